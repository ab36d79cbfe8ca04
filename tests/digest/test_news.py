"""The digest's news (issue 21, item 4): what the mailbox brought since the last digest,
counted by when nudger recorded it; a reply from the mailbox's history is no news."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from nudger.digest.news import news_since
from nudger.mail.act.commandlog import MailCommand
from nudger.mail.capture.suggestions import propose
from nudger.store.models import Contact, MailMessage
from tests.digest_helpers import add_app, make_db, make_settings

NOW = datetime(2026, 12, 7, 13, 0, tzinfo=UTC)
LAST_DIGEST = NOW - timedelta(hours=20)


def reply(app_id: int, key: str, written: datetime, recorded: datetime) -> MailMessage:
    return MailMessage(key=key, message_id=key, direction="in", kind="reply", date=written,
                       application_id=app_id, created_at=recorded)


def test_news_is_what_was_recorded_since_the_last_digest(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    db = make_db(settings)
    tailspin = add_app(db, "Tailspin Toys")
    acme = add_app(db, "Acme", contacts=["Dana Lee <dana@acme.example>"])
    old = add_app(db, "Globex")
    with db.session() as s:
        assert news_since(s, LAST_DIGEST, NOW) == []
        s.add(reply(tailspin, "r1", NOW - timedelta(hours=2), NOW - timedelta(hours=1)))
        # Before the last digest: that digest told it already.
        s.add(reply(acme, "r2", NOW - timedelta(days=1), LAST_DIGEST - timedelta(hours=1)))
        # Found by the first pass in weeks of history: recorded now, but no news.
        s.add(reply(old, "r3", NOW - timedelta(days=40), NOW - timedelta(hours=1)))
        dana = s.get(Contact, 1)
        assert dana is not None
        dana.bounced_at = NOW - timedelta(hours=3)
        s.add(dana)
        propose(s, kind="application", fingerprint="f1", summary="Initech, Sales Lead",
                reason="Thank you for applying", confidence=0.9, payload={},
                now=NOW - timedelta(hours=4))
        s.add(MailCommand(message_key="c1", processed_at=NOW - timedelta(hours=5),
                          done=json.dumps(["#2: done follow-up 1 of 3: email"])))
        s.add(MailCommand(message_key="c2", processed_at=NOW - timedelta(hours=5),
                          refusal="no token"))
    with db.read_session() as s:
        assert news_since(s, LAST_DIGEST, NOW) == [
            "1 reply: Tailspin Toys", "1 bounce: dana@acme.example",
            "1 suggestion: Initech, Sales Lead", "1 done by mail", "1 command refused"]
