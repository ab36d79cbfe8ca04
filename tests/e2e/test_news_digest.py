"""News reaches the user the same day (issue 21, item 4): with nothing due and
`send_when_empty = false`, a day whose mailbox brings a recruiter's reply still has a
digest, and its subject names the reply; `digest --send --force` sends even an empty day.
The installed `nudger` against the real Dovecot and the project's SMTP server, under
libfaketime (a digest moment is a time of day)."""

from __future__ import annotations

from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.conftest import World, needs_faketime
from tests.e2e.test_mail_commands import PASSWORD, imap_table, text_of

pytestmark = pytest.mark.slow
ZONE = ZoneInfo("America/New_York")


def quiet_config(world: World, dovecot: Any) -> None:
    world.extra_env["NUDGER_IMAP_PASSWORD"] = PASSWORD
    world.write_config(imap_table(dovecot))
    text = world.config.read_text(encoding="utf-8")
    world.config.write_text(text.replace("send_when_empty = true", "send_when_empty = false"),
                            encoding="utf-8")


def recruiter_reply(when: datetime) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Dana Lee <dana@acme.example>"
    msg["To"] = "Alex Rivera <alex@example.com>"
    msg["Subject"] = "Re: Account Executive"
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = make_msgid(domain="acme.example")
    msg.set_content("Hi Alex,\n\nCould you do a call on Thursday at 10?\n\nDana\n")
    return bytes(msg)


def test_a_reply_on_a_quiet_day_gets_its_digest_that_day(world: World, dovecot: Any) -> None:
    needs_faketime()
    quiet_config(world, dovecot)
    # Tomorrow (so the test servers' certificates are valid), 08:00 in New York: the
    # 07:30 digest is due, and nothing is due in it (#1 is snoozed).
    day = (datetime.now(ZONE) + timedelta(days=1)).date()
    morning = datetime(day.year, day.month, day.day, 8, 0, tzinfo=ZONE)

    def at(moment: datetime) -> str:
        return "@" + moment.astimezone(ZONE).strftime("%Y-%m-%d %H:%M:%S")

    world.extra_env["TZ"] = "America/New_York"  # libfaketime's absolute time is local
    world.ok("snooze", "1", "30 days", faketime=at(morning))
    world.ok("run", "--once", faketime=at(morning))
    assert world.rows("SELECT local_date, state, last_error FROM digest") == [
        (day.isoformat(), "skipped", "nothing due")]
    assert world.server.messages == []

    # At 11:00 the recruiter answers; the next mailbox pass reads it.
    dovecot.append("INBOX", recruiter_reply(morning + timedelta(hours=3)))
    world.ok("run", "--once", faketime=at(morning + timedelta(hours=3, minutes=5)))
    [digest] = world.server.wait_for_messages(1)
    assert str(digest.message["Subject"]) == "1 reply: Acme"
    text = text_of(digest.message)
    assert "Dana Lee" in text and "Could you do a call on Thursday" in text
    assert world.rows("SELECT state FROM digest") == [("sent",)]

    # The day after: the reply is no news any more, and nothing is due: no digest...
    next_day = morning + timedelta(days=1)
    out = world.ok("digest", "--send", faketime=at(next_day))
    assert out.startswith("nothing sent") and len(world.server.messages) == 1
    # ...unless the user asks for one, as the README says --force does.
    out = world.ok("digest", "--send", "--force", faketime=at(next_day + timedelta(minutes=1)))
    assert "sent" in out and not out.startswith("nothing sent")
    second = world.server.wait_for_messages(2)[1]
    assert "Nothing due today" in str(second.message["Subject"])
