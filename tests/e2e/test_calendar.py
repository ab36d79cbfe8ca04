"""Scenario: the calendar from outside. The installed program, debug logging, hostile
values in the user's data, `[ics] path` kept by `run --once`, and a CalDAV server
(Radicale) first refusing a canary password (401), then taking the right one.

The file must parse back to exactly nudger's events whatever the notes say; the canary
must not appear in any output, log line, file or database row; the digest goes out
while CalDAV fails.
"""

from __future__ import annotations

from pathlib import Path

import icalendar
import pytest

from tests.caldavserver import USERS, radicale
from tests.e2e.conftest import World
from tests.smtpserver import SmtpServer

CANARY = "caldav-canary-Pa55-91c2e"
MORNING = "@2027-02-01 13:00:00"
pytestmark = pytest.mark.slow
HOSTILE = ("Call in; dial 555,123#\nEND:VEVENT\nBEGIN:VEVENT\nUID:evil\nSUMMARY:owned\n"
           "https://teams.microsoft.com/l/meetup-join/19%3a,x;y")


def test_calendar_file_and_caldav_from_outside(tmp_path: Path) -> None:
    root = tmp_path / "w"
    (root / "home").mkdir(parents=True)
    feed = root / "public" / "nudger.ics"
    with SmtpServer("starttls") as smtp, radicale(tmp_path / "radicale") as dav:
        world = World(root, smtp)
        world.write_config(f'\n[ics]\npath = "{feed}"\n\n[caldav]\nurl = "{dav.base}"\n'
                           'username = "alex"\npassword_env = "NUDGER_CALDAV_PASSWORD"\n'
                           "timeout = 5\n")
        outputs: list[str] = []

        def run(*args: str, password: str = CANARY, code: int = 0) -> None:
            result = world.run(*args, faketime=MORNING, NUDGER_CALDAV_PASSWORD=password)
            assert "Traceback" not in result.stderr, result.stderr
            assert result.returncode == code, (args, result.stderr[-2000:])
            outputs.extend([result.stdout, result.stderr])

        run("add", "Northwind; Traders, Inc.", "AE, East", "--applied", "2027-01-20",
            "--contact", "Lee, Dana <dana@northwind.example>", "--notes", HOSTILE)
        run("stage", "1", "interviewing", "--interview", "2027-02-03 10:00")
        run("run", "--once")
        run("status")
        run("check", "--caldav", code=1)
        assert any("401" in o for o in outputs), "the server should have refused the login"
        assert any("failing (auth" in o for o in outputs)
        assert smtp.messages, "the digest went out while CalDAV failed"

        cal = icalendar.Calendar.from_ical(feed.read_bytes())
        uids = [str(e["UID"]) for e in cal.walk("VEVENT")]
        assert "evil" not in uids and all(u.startswith(("interview-", "followup-"))
                                          for u in uids)
        (interview,) = [e for e in cal.walk("VEVENT") if str(e["UID"]).startswith("interview")]
        assert "END:VEVENT\nBEGIN:VEVENT\nUID:evil" in str(interview["DESCRIPTION"])
        assert str(interview["LOCATION"]).startswith("https://teams.microsoft.com/")

        run("run", "--once", password=USERS["alex"])
        run("status", password=USERS["alex"])
        assert "caldav:       ok" in outputs[-2]
        stored = b"".join(p.read_bytes() for p in dav.folder.rglob("*.ics"))
        assert b"interview-1-1@" in stored

    text = "\n".join(outputs)
    assert CANARY not in text
    for path in list(root.rglob("*")) + list((tmp_path / "radicale").rglob("*")):
        if path.is_file():
            assert CANARY.encode() not in path.read_bytes(), f"canary in {path}"
