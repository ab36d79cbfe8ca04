"""Invitations in the digest: an interview added or moved is announced once, as a
text/calendar; method=PUBLISH part after the unchanged text and HTML parts; the digest
says so; and SpamAssassin still scores it 0.5 or less."""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import icalendar
import pytest

from nudger.config import Settings
from nudger.send import outbox
from nudger.store.db import Database
from nudger.track import tracker
from nudger.when.business import Calendar
from tests.digest_helpers import DAY, NOW, add_app, make_db, make_settings

SPAMASSASSIN = shutil.which("spamassassin")
INTERVIEW = datetime(2026, 11, 26, 20, 0, tzinfo=UTC)  # Thursday 14:00 in Chicago


def setup(tmp_path: Path, extra: str = "") -> tuple[Settings, Database, int]:
    settings = make_settings(tmp_path, extra='\n[delivery]\nmethod = "maildir"\n'
                             'maildir = "Maildir"\n' + extra)
    db = make_db(settings)
    add_app(db, "Northwind; Traders, Inc.", contacts=["Dana Lee <dana@northwind.example>"])
    app_id = add_app(db, "Acme", "Sales Lead", notes="Join https://meet.google.com/abc-defg")
    with db.session() as s:
        tracker.change_stage(s, app_id, "interviewing", DAY - timedelta(days=1),
                             now=NOW - timedelta(days=1), interview_at=INTERVIEW)
    return settings, db, app_id


def send(settings: Settings, db: Database, days: int = 0) -> EmailMessage | None:
    """Deliver the digest `days` after DAY to the maildir; the message, or None."""
    day, now = DAY + timedelta(days=days), NOW + timedelta(days=days)
    folder = settings.resolve("Maildir") / "new"
    before = set(folder.glob("*")) if folder.exists() else set()
    result = asyncio.run(outbox.send_digest(settings, db, Calendar.from_settings(settings),
                                            day, now, env={}))
    assert str(result.outcome) in ("sent", "empty"), result
    new = set(folder.glob("*")) - before
    if not new:
        return None
    (path,) = new
    parsed = message_from_bytes(path.read_bytes(), policy=default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def calendar_part(msg: EmailMessage) -> EmailMessage | None:
    found = [p for p in msg.walk() if p.get_content_type() == "text/calendar"]
    assert len(found) <= 1
    part = found[0] if found else None
    assert part is None or isinstance(part, EmailMessage)
    return part


def test_an_added_interview_is_announced_once(tmp_path: Path) -> None:
    settings, db, app_id = setup(tmp_path)
    msg = send(settings, db)
    assert msg is not None
    assert msg.get_content_type() == "multipart/mixed"
    alternative, invitation = msg.get_payload()  # type: ignore[misc]
    assert alternative.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in alternative.get_payload()] == \
        ["text/plain", "text/html"]
    assert invitation.get_content_type() == "text/calendar"
    assert invitation.get_param("method") == "PUBLISH"
    assert invitation.get_filename() == "interview.ics"
    cal = icalendar.Calendar.from_ical(invitation.get_content())
    assert str(cal["METHOD"]) == "PUBLISH"
    (event,) = cal.walk("VEVENT")
    assert str(event["UID"]).startswith(f"interview-{app_id}-1@")
    assert int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTART").astimezone(UTC) == INTERVIEW
    assert str(event["LOCATION"]) == "https://meet.google.com/abc-defg"
    assert cal.walk("VTIMEZONE")
    text = alternative.get_payload()[0].get_content()
    html = alternative.get_payload()[1].get_content()
    assert "Calendar invitation attached (new): Interview: Acme (Sales Lead), Thu 26 Nov " \
        "at 14:00" in text
    assert "Calendar invitation attached" in html
    # the next digest does not announce it again
    again = send(settings, db, days=1)
    assert again is None or calendar_part(again) is None


def test_a_moved_interview_is_announced_again_with_sequence_raised(tmp_path: Path) -> None:
    settings, db, app_id = setup(tmp_path)
    first = send(settings, db)
    assert first is not None and calendar_part(first) is not None
    with db.session() as s:
        tracker.edit_application(s, app_id, {"interview_at": INTERVIEW + timedelta(days=1)},
                                 now=NOW + timedelta(hours=1))
    msg = send(settings, db, days=1)
    assert msg is not None
    part = calendar_part(msg)
    assert part is not None
    (event,) = icalendar.Calendar.from_ical(part.get_content()).walk("VEVENT")
    assert int(event["SEQUENCE"]) == 1
    assert str(event["UID"]).startswith(f"interview-{app_id}-1@")
    text = msg.get_body(("plain",))
    assert text is not None and "Calendar invitation attached (updated)" in text.get_content()


def test_invitations_can_be_turned_off(tmp_path: Path) -> None:
    settings, db, _app_id = setup(tmp_path, extra="\n[ics]\ninvitations = false\n")
    msg = send(settings, db)
    assert msg is not None and msg.get_content_type() == "multipart/alternative"
    assert calendar_part(msg) is None


def test_the_text_and_html_parts_are_those_of_the_plain_digest(tmp_path: Path) -> None:
    """With the invitation notice given as a plain notice, compose_digest makes exactly
    the text and HTML the sent message carries."""
    from nudger.digest.compose import compose_digest

    settings, db, _app_id = setup(tmp_path)
    msg = send(settings, db)
    assert msg is not None
    text = msg.get_body(("plain",))
    assert text is not None
    notice = next(line for line in text.get_content().splitlines()
                  if "Calendar invitation attached" in line).strip(" -*!")
    with db.read_session() as s:
        plain = compose_digest(settings, s, Calendar.from_settings(settings), DAY, NOW,
                               notices=[notice])
    html = msg.get_body(("html",))
    assert html is not None
    assert text.get_content() == plain.text
    assert html.get_content() == plain.html


@pytest.mark.slow
@pytest.mark.skipif(SPAMASSASSIN is None, reason="SpamAssassin is not installed "
                    "(Debian: apt-get install -y spamassassin); .ci/run installs it")
def test_spamassassin_score_with_an_invitation(tmp_path: Path) -> None:
    settings, db, _app_id = setup(tmp_path)
    msg = send(settings, db)
    assert msg is not None and calendar_part(msg) is not None
    assert SPAMASSASSIN is not None
    result = subprocess.run([SPAMASSASSIN, "-L", "-t"], input=msg.as_bytes(),
                            capture_output=True, timeout=120, check=False)
    report = result.stdout.decode("utf-8", "replace")
    found = re.search(r"X-Spam-Status: \w+, score=(-?\d+(?:\.\d+)?)", report)
    assert found, report[:2000] + result.stderr.decode("utf-8", "replace")
    details = report.split("Content analysis details:", 1)[-1][:3000]
    assert float(found.group(1)) <= 0.5, details
