"""Build real databases for the digest tests: a SQLite file, applications added through
the tracker library, dates explicit (never the real clock)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

from nudger.config import Settings, parse_settings
from nudger.digest.compose import ComposedDigest, compose_digest
from nudger.store.db import Database
from nudger.track import tracker
from nudger.when.business import Calendar
from tests.clock import DAY, NOW

CONFIG = """\
timezone = "America/Chicago"
database = "nudger.db"

[profile]
name = "{name}"
email = "alex@example.com"
phone = "+1 312 555 0100"
pitch = "{pitch}"
signature = "{name}\\n+1 312 555 0100"

[calendar]
holidays = "US"
"""


def make_settings(folder: Path, *, name: str = "Alex Rivera",
                  pitch: str = "I grow distributor accounts.", extra: str = "") -> Settings:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.toml"
    path.write_text(CONFIG.format(name=name, pitch=pitch) + extra, encoding="utf-8")
    return parse_settings(path.read_text(encoding="utf-8"), path)


def make_db(settings: Settings) -> Database:
    assert settings.base_dir is not None
    db = Database(settings.base_dir / "nudger.db")
    db.ensure(create=True)
    return db


def add_app(db: Database, company: str, role: str = "Account Executive", *,
            applied: date = DAY - timedelta(days=7),
            contacts: Sequence[str | tracker.ContactSpec] = (),
            touches: Sequence[tuple[str, date, str, int | None]] = (),
            **extra: Any) -> int:
    """An application applied on `applied` with contacts ("Name <email>") and touches
    (action, date, note, step)."""
    with db.session() as s:
        specs = [tracker.parse_contact(c) if isinstance(c, str) else c for c in contacts]
        app = tracker.add_application(s, company=company, role=role, today=applied,
                                      applied_on=applied, contacts=specs, **extra,
                                      now=datetime.now(UTC))
        assert app.id is not None
        for action, on, note, step in touches:
            tracker.log_touch(s, app.id, action, on, note=note, step=step, now=datetime.now(UTC))
        return app.id


def compose(settings: Settings, db: Database, day: date = DAY, now: datetime = NOW,
            **kw: Any) -> ComposedDigest:
    with db.read_session() as s:
        return compose_digest(settings, s, Calendar.from_settings(settings), day, now, **kw)


def parse(composed: ComposedDigest) -> EmailMessage:
    parsed = message_from_bytes(composed.message.as_bytes(), policy=default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def parts(msg: EmailMessage) -> tuple[str, str]:
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()
