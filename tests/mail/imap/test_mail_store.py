"""The mailbox store: suggestions (propose once per fingerprint, accept/dismiss by S-id from
the CLI), the pause a reply puts on an application and the three things that end it."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlmodel import select

from nudger.mail.capture import suggestions
from nudger.store.db import Database
from nudger.store.models import Application, Contact, MailMessage, StageChange, Suggestion
from tests.conftest import Home

NOW = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)


def _db(home: Home) -> Database:
    db = Database(home.db_path)
    db.ensure()
    return db


def _app(db: Database, **extra: object) -> int:
    from nudger.track import tracker

    with db.session() as s:
        app = tracker.add_application(
            s, company="Fabrikam", role="Account Executive", today=date(2026, 11, 16),
            applied_on=date(2026, 11, 16), now=NOW,
            contacts=[tracker.ContactSpec("Priya Nair", "priya@fabrikam.com")])
        assert app.id is not None
        return app.id


def test_propose_once_per_fingerprint_even_after_dismiss(home: Home) -> None:
    db = _db(home)
    app_id = _app(db)
    with db.session() as s:
        first = suggestions.propose(
            s, kind="contact", fingerprint="contact:1:lee@fabrikam.com",
            summary="Add Lee <lee@fabrikam.com>\r\nBcc: x@evil.test", reason="you wrote",
            confidence=2.0, payload={"name": "Lee", "email": "lee@fabrikam.com"},
            application_id=app_id, now=NOW)
        assert first is not None and first.id is not None
        assert "\n" not in first.summary and first.confidence == 1.0
        again = suggestions.propose(
            s, kind="contact", fingerprint="contact:1:lee@fabrikam.com", summary="x",
            reason="", confidence=0.5, payload={}, now=NOW)
        assert again is None
    out = home.ok("dismiss", f"S{first.id}")
    assert "dismissed" in out
    with db.session() as s:
        assert suggestions.propose(
            s, kind="contact", fingerprint="contact:1:lee@fabrikam.com", summary="x",
            reason="", confidence=0.5, payload={}, now=NOW) is None
    assert "no open suggestions" in home.ok("suggestions")


def test_accept_each_kind_from_the_cli(home: Home) -> None:
    db = _db(home)
    app_id = _app(db)
    with db.session() as s:
        ids = [
            suggestions.propose(s, kind="contact", fingerprint="c", summary="add Lee",
                                reason="r", confidence=0.6, application_id=app_id,
                                payload={"name": "Lee Park", "email": "lee@fabrikam.com"},
                                now=NOW),
            suggestions.propose(s, kind="stage", fingerprint="s", summary="interviewing",
                                reason="r", confidence=0.8, application_id=app_id,
                                payload={"stage": "interviewing", "date": "2026-11-29",
                                         "interview_at": None}, now=NOW),
            suggestions.propose(s, kind="application", fingerprint="a",
                                summary="Contoso — SDR", reason="ATS mail", confidence=0.9,
                                payload={"company": "Contoso", "role": "SDR",
                                         "applied_on": "2026-11-20", "source": "greenhouse",
                                         "url": "", "contact_name": "",
                                         "contact_email": ""}, now=NOW),
        ]
    listed = json.loads(home.ok("suggestions", "--json"))
    assert [x["id"] for x in listed] == [f"S{s.id}" for s in ids if s]
    out = home.ok("accept", *(f"S{s.id}" for s in ids if s))
    assert "added contact Lee Park" in out and "now interviewing" in out
    assert "added #" in out
    with db.read_session() as s:
        assert s.get(Application, app_id).stage == "interviewing"  # type: ignore[union-attr]
        assert {c.email for c in s.exec(select(Contact)).all()} >= {"lee@fabrikam.com"}
        assert s.exec(select(Application).where(Application.company == "Contoso")).one()
        assert {x.status for x in s.exec(select(Suggestion)).all()} == {"accepted"}
    # Accepting twice reports it and changes nothing.
    again = home.ok("accept", f"{ids[1].id}")  # type: ignore[union-attr]
    assert "already accepted" in again


def test_accept_unknown_or_malformed_id_is_usage_error(home: Home) -> None:
    _db(home)
    assert home.run("accept", "S999").code == 2
    bad = home.run("accept", "S1;rm")
    assert bad.code == 2 and "not a suggestion id" in bad.err


def _reply(db: Database, app_id: int, when: datetime) -> int:
    from nudger.mail.imap.replies import pause

    with db.session() as s:
        message = MailMessage(key="r1@fabrikam.com", message_id="r1@fabrikam.com",
                              direction="in", kind="reply", date=when,
                              from_addr="priya@fabrikam.com", from_name="Priya Nair",
                              subject="Re: Account Executive", snippet="Let's talk",
                              application_id=app_id, created_at=NOW)
        s.add(message)
        s.flush()
        app = s.get(Application, app_id)
        assert app is not None and pause(s, app, message, NOW)
        assert message.id is not None
        return message.id


def _due_ids(home: Home) -> list[int]:
    data = json.loads(home.ok("due", "--json", "--date", "2026-12-10"))
    return [n["id"] for n in data["nudges"]] if isinstance(data, dict) else \
        [n["id"] for n in data]


@pytest.mark.parametrize("ender", ["resume", "stage", "log"])
def test_pause_hides_nudges_until_ended(home: Home, ender: str) -> None:
    db = _db(home)
    app_id = _app(db)
    assert app_id in _due_ids(home)
    _reply(db, app_id, datetime(2026, 11, 27, 10, 0, tzinfo=UTC))
    assert app_id not in _due_ids(home)
    if ender == "resume":
        assert "nudges resumed" in home.ok("resume", str(app_id))
        assert "was not paused" in home.ok("resume", str(app_id))
    elif ender == "stage":
        home.ok("stage", str(app_id), "applied", "--date", "2026-11-28")
    else:
        home.ok("log", str(app_id), "call", "--date", "2026-11-28")
    with db.read_session() as s:
        app = s.get(Application, app_id)
        assert app is not None and app.paused_since is None
        assert s.exec(select(StageChange)).all()


def test_resume_unknown_application(home: Home) -> None:
    _db(home)
    result = home.run("resume", "99")
    assert result.code == 2 and "no application #99" in result.err


def test_stats_count_a_mail_reply_once_by_the_channel_before_it() -> None:
    from nudger.track.cadence import AppState, TouchInfo
    from nudger.track.stats import ChangeRow, History, MailReplyRow, replies

    apps = [AppState(id=i, stage="interviewing", stage_since=date(2026, 11, 20),
                     applied_on=date(2026, 11, 2)) for i in (1, 2, 3)]
    touches = {1: [TouchInfo(date(2026, 11, 5), "email", "applied", 1)],
               2: [TouchInfo(date(2026, 11, 5), "call", "applied", 2)],
               3: [TouchInfo(date(2026, 11, 5), "social", "applied", 3)]}
    changes = [ChangeRow(i, "interviewing", date(2026, 11, 20)) for i in (1, 2, 3)]
    history = History(apps, touches, changes, (), [
        MailReplyRow(1, date(2026, 11, 10)),   # answered by mail, stage moved later
        MailReplyRow(1, date(2026, 11, 12)),   # a second mail in the thread: same reply
        MailReplyRow(2, date(2026, 11, 25)),   # mail after the stage change: one reply
    ])
    found = {r.app_id: r for r in replies(history)}
    assert len(found) == 3
    assert (found[1].source, found[1].on, found[1].after) == ("mail", date(2026, 11, 10),
                                                              "email")
    assert (found[2].source, found[2].on, found[2].after) == ("stage", date(2026, 11, 20),
                                                              "call")
    assert found[3].source == "stage" and found[3].after == "social"


def test_imap_password_sources(tmp_path: Any) -> None:
    from nudger.config import parse_settings
    from nudger.errors import ConfigError
    from nudger.secrets import imap_password, imap_password_source

    path = tmp_path / "config.toml"
    base = '[imap]\nhost = "imap.example.com"\nusername = "alex@example.com"\n'
    s = parse_settings(base + 'password_env = "IMAP_PW"\n', path)
    assert imap_password(s, {"IMAP_PW": "pw1"}).reveal() == "pw1"
    with pytest.raises(ConfigError, match="IMAP_PW"):
        imap_password(s, {})
    secret = tmp_path / "pw"
    secret.write_text("pw2\n")
    secret.chmod(0o644)
    s = parse_settings(base + 'password_file = "pw"\n', path)
    with pytest.raises(ConfigError, match="chmod 600"):
        imap_password(s, {})
    secret.chmod(0o600)
    assert imap_password(s, {}).reveal() == "pw2"
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "imap-password").write_text("pw3")
    s = parse_settings(base, path)
    env = {"CREDENTIALS_DIRECTORY": str(creds)}
    assert imap_password(s, env).reveal() == "pw3"
    assert "imap-password" in (imap_password_source(s, env) or "")
    with pytest.raises(ConfigError, match="imap-password"):
        imap_password(s, {})
    assert "pw3" not in repr(imap_password(s, env))
