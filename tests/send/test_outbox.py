"""The outbox against a real aiosmtpd server and a real SQLite file: every failure mode
ends in the right state, nothing is lost and nothing is sent twice."""

from __future__ import annotations

import asyncio
import mailbox
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from nudger.config import Settings, parse_settings
from nudger.send.outbox import (
    Outcome,
    record_skipped,
    retry_due,
    send_digest,
)
from nudger.send.status import outbox_status
from nudger.store.db import Database
from nudger.store.models import DigestRecord
from nudger.when.business import Calendar
from tests.paths import REPO
from tests.smtpserver import SmtpServer, refused_port

DAY = date(2026, 11, 26)  # a Thursday
NOW = datetime(2026, 11, 26, 13, 30, tzinfo=UTC)  # 07:30 in Chicago

PROFILE = """\
timezone = "America/Chicago"
database = "nudger.db"
[profile]
name = "Alex Rivera"
email = "alex@example.com"
[delivery]
from = "nudger <nudger@example.com>"
retry = { first = "1 minute", max = "10 minutes" }
"""


@dataclass(frozen=True)
class Composed:
    local_date: date
    message: EmailMessage
    message_id: str
    nudges: int
    text: str
    html: str
    news: int = 0


@dataclass
class SmallCompose:
    """A stand-in for nudger.digest.compose_digest with compose_digest's signature: a
    small real message, `nudges` as told, and a record of the notices it was given."""

    nudges: int = 2
    calls: list[tuple[date, tuple[str, ...]]] = field(default_factory=list)

    def __call__(self, settings: Settings, session: Any, calendar: Calendar,
                 local_date: date, now: datetime, *,
                 notices: Sequence[str] = ()) -> Composed:
        self.calls.append((local_date, tuple(notices)))
        message_id = f"<digest-{local_date.isoformat()}.alex@nudger.test>"
        text = f"{self.nudges} follow-ups on {local_date}\n" + "\n".join(notices)
        message = EmailMessage()
        message["From"] = settings.sender
        message["To"] = settings.recipient
        message["Subject"] = f"{self.nudges} follow-ups today"
        message["Date"] = format_datetime(now)
        message["Message-ID"] = message_id
        message.set_content(text)
        return Composed(local_date, message, message_id, self.nudges, text, "")


@dataclass
class World:
    dir: Path
    settings: Settings
    db: Database
    calendar: Calendar
    compose: SmallCompose

    def send(self, day: date = DAY, now: datetime = NOW, **kw: Any) -> Any:
        return asyncio.run(send_digest(self.settings, self.db, self.calendar, day, now,
                                       compose=self.compose, env=kw.pop("env", {}), **kw))

    def retry(self, now: datetime) -> Any:
        return asyncio.run(retry_due(self.settings, self.db, self.calendar, now,
                                     compose=self.compose, env={}))

    def record(self, day: date = DAY) -> DigestRecord:
        with self.db.read_session() as s:
            from sqlmodel import select

            found = s.exec(select(DigestRecord).where(DigestRecord.local_date == day)).first()
        assert found is not None
        return found


def make_world(tmp: Path, extra: str = "", compose: SmallCompose | None = None) -> World:
    settings = parse_settings(PROFILE + extra, tmp / "config.toml")
    db = Database(tmp / "nudger.db")
    db.ensure()
    return World(tmp, settings, db, Calendar.from_settings(settings), compose or SmallCompose())


def delivery_world(tmp: Path, lines: str) -> World:
    """A world whose [delivery] table has these extra lines."""
    settings = parse_settings(PROFILE.replace("retry =", f"{lines}\nretry ="),
                              tmp / "config.toml")
    db = Database(tmp / "nudger.db")
    db.ensure()
    return World(tmp, settings, db, Calendar.from_settings(settings), SmallCompose())


@pytest.fixture
def world(tmp_path: Path) -> World:
    return make_world(tmp_path)


def smtp_world(tmp: Path, server: SmtpServer, timeout: float = 5, extra: str = "") -> World:
    return make_world(tmp, server.smtp_config(tmp, timeout=timeout) + extra)


def test_sent_once_then_already(tmp_path: Path) -> None:
    with SmtpServer("plain") as server:
        w = smtp_world(tmp_path, server)
        first = w.send()
        assert first.outcome == Outcome.SENT, first.detail
        # Made by the outbox when it recorded the day (not by compose): the date, 96
        # random bits, the sender's domain.
        assert re.fullmatch(r"<nudger-digest\.2026-11-26\.[0-9a-f]{24}@example\.com>",
                            first.message_id), first.message_id
        second = w.send(now=NOW + timedelta(hours=3))
        assert second.outcome == Outcome.ALREADY
        assert "was sent at" in second.detail
        assert len(server.messages) == 1
        assert server.messages[0].message_id == first.message_id
        assert server.messages[0].rcpt_tos == ["alex@example.com"]
    record = w.record()
    assert (record.state, record.attempts, record.nudges) == ("sent", 1, 2)
    assert record.sent_at is not None and record.last_error == ""


def test_force_after_sent_is_a_new_message_with_a_new_message_id(tmp_path: Path) -> None:
    """Gmail drops a second message whose Message-ID it has seen: a forced resend (new
    content) must not reuse the first one's."""
    with SmtpServer("plain") as server:
        w = smtp_world(tmp_path, server)
        first = w.send()
        assert first.outcome == Outcome.SENT
        again = w.send(now=NOW + timedelta(hours=1), force=True)
        assert again.outcome == Outcome.SENT
        ids = [m.message_id for m in server.messages]
    assert ids == [first.message_id, again.message_id]
    assert first.message_id != again.message_id
    assert w.record().attempts == 2 and w.record().message_id == again.message_id


def test_message_id_is_recorded_before_sending_and_not_guessable(tmp_path: Path) -> None:
    """Two databases, same recipient and date: two different Message-IDs. The ID is in the
    row before any I/O, and a retry after a failure carries it."""
    with SmtpServer("plain", replies={"DATA": ["451 4.3.0 try later"]}) as server:
        a = smtp_world(tmp_path / "a", server)
        failed = a.send()
        assert failed.outcome == Outcome.RETRY
        stored = a.record().message_id
        assert stored.startswith("<nudger-digest.2026-11-26.")
        (again,) = a.retry(NOW + timedelta(hours=1))
        assert again.outcome == Outcome.SENT and again.message_id == stored
        b = smtp_world(tmp_path / "b", server)
        assert b.send().outcome == Outcome.SENT
        ids = [m.message_id for m in server.messages]
    assert ids[-2] == stored and ids[-1] != stored


def test_nothing_due_is_recorded_as_skipped(tmp_path: Path) -> None:
    with SmtpServer("plain") as server:
        w = smtp_world(tmp_path, server)
        w.compose.nudges = 0
        result = w.send()
        assert result.outcome == Outcome.EMPTY
        assert server.messages == []
        assert (w.record().state, w.record().last_error) == ("skipped", "nothing due")
        assert w.send().outcome == Outcome.ALREADY


def test_send_when_empty_sends(tmp_path: Path) -> None:
    with SmtpServer("plain") as server:
        w = smtp_world(tmp_path, server, extra="[digest]\nsend_when_empty = true\n")
        w.compose.nudges = 0
        assert w.send().outcome == Outcome.SENT
        assert len(server.messages) == 1


@pytest.mark.parametrize("reply", ["421 4.3.2 Service shutting down",
                                   "451 4.3.0 Try again later",
                                   "452 4.3.1 Insufficient system storage"])
def test_transient_reply_is_retried_until_it_gets_through(tmp_path: Path, reply: str) -> None:
    with SmtpServer("plain", replies={"DATA": [reply]}) as server:
        w = smtp_world(tmp_path, server)
        result = w.send()
        assert result.outcome == Outcome.RETRY
        assert result.next_attempt_at == NOW + timedelta(minutes=1)
        record = w.record()
        assert (record.state, record.last_code) == ("retry", int(reply[:3]))
        assert reply[4:] in record.last_error
        assert server.messages == []
        # Not due yet: nothing happens.
        assert w.retry(NOW + timedelta(seconds=30)) == []
        done = w.retry(NOW + timedelta(minutes=1, seconds=1))
        assert [r.outcome for r in done] == [Outcome.SENT]
        assert [m.message_id for m in server.messages] == [result.message_id]
        assert w.retry(NOW + timedelta(hours=1)) == []
    record = w.record()
    assert (record.state, record.attempts, record.last_error) == ("sent", 2, "")


@pytest.mark.parametrize("verb,reply", [("DATA", "550 5.1.1 Mailbox unavailable"),
                                        ("DATA", "554 5.7.1 Message rejected as spam"),
                                        ("MAIL", "550 5.7.1 Sender not allowed")])
def test_permanent_reply_fails_with_code_and_text(tmp_path: Path, verb: str,
                                                  reply: str) -> None:
    with SmtpServer("plain", replies={verb: reply}) as server:
        w = smtp_world(tmp_path, server)
        result = w.send()
        assert result.outcome == Outcome.FAILED
        assert reply in result.detail and str(server.port) in result.detail
        assert w.retry(NOW + timedelta(days=1)) == []
        assert server.messages == []
    record = w.record()
    assert (record.state, record.last_code) == ("failed", int(reply[:3]))
    assert reply in record.last_error


def test_backoff_doubles_up_to_the_cap(tmp_path: Path) -> None:
    with SmtpServer("plain", replies={"MAIL": "451 4.3.0 busy"}) as server:
        w = smtp_world(tmp_path, server)
        now = NOW
        waits = []
        result = w.send(now=now)
        for _ in range(5):
            assert result.next_attempt_at is not None
            waits.append(result.next_attempt_at - now)
            now = result.next_attempt_at
            (result,) = w.retry(now)
            assert result.outcome == Outcome.RETRY
        assert server.messages == []
    assert [int(w.total_seconds() // 60) for w in waits] == [1, 2, 4, 8, 10]


def test_give_up_turns_a_long_transient_failure_permanent(tmp_path: Path) -> None:
    with SmtpServer("plain", replies={"MAIL": "451 4.3.0 busy"}) as server:
        profile = PROFILE.replace('max = "10 minutes" }',
                                  'max = "10 minutes", give_up = "5 minutes" }')
        settings = parse_settings(profile + server.smtp_config(tmp_path),
                                  tmp_path / "config.toml")
        db = Database(tmp_path / "nudger.db")
        db.ensure()
        w = World(tmp_path, settings, db, Calendar.from_settings(settings), SmallCompose())
        assert w.send().outcome == Outcome.RETRY
        (second,) = w.retry(NOW + timedelta(minutes=1))
        assert second.outcome == Outcome.RETRY
        (last,) = w.retry(NOW + timedelta(minutes=6))
        assert last.outcome == Outcome.FAILED
        assert "gave up after 3 attempts" in last.detail
    assert w.record().state == "failed"


def test_connection_dropped_after_data_is_uncertain_and_resent_with_same_id(
        tmp_path: Path) -> None:
    with SmtpServer("plain", drop_after_data=True) as server:
        w = smtp_world(tmp_path, server)
        result = w.send()
        assert result.outcome == Outcome.RETRY
        assert "may have arrived" in result.detail
        assert w.record().uncertain is True
        assert len(server.messages) == 1  # it did arrive; the client cannot know
        server.handler.drop_after_data = False
        (again,) = w.retry(NOW + timedelta(minutes=2))
        assert again.outcome == Outcome.SENT
        # The one unavoidable duplicate carries the same Message-ID.
        assert [m.message_id for m in server.messages] == [result.message_id] * 2
    assert (w.record().state, w.record().uncertain) == ("sent", False)


def test_stalled_server_times_out_and_is_retried(tmp_path: Path) -> None:
    with SmtpServer("plain", stall=("MAIL", 3.0)) as server:
        w = smtp_world(tmp_path, server, timeout=0.5)
        result = w.send()
        assert result.outcome == Outcome.RETRY
        assert "no answer within 0.5 s" in result.detail
        assert server.messages == []
        server.handler.stall = None
        (again,) = w.retry(NOW + timedelta(minutes=1))
        assert again.outcome == Outcome.SENT
        assert len(server.messages) == 1


def test_refused_connection_is_transient(tmp_path: Path) -> None:
    server = SmtpServer("plain")  # never started: nothing listens on its port
    with refused_port() as server.port:
        w = smtp_world(tmp_path, server)
        result = w.send()
    assert result.outcome == Outcome.RETRY
    assert "cannot connect" in result.detail


def test_no_starttls_offered_fails_before_auth_or_mail(tmp_path: Path) -> None:
    with SmtpServer("plain", password="pw") as server:
        tls_twin = SmtpServer("starttls")
        tls_twin.port = server.port
        w = make_world(tmp_path, tls_twin.smtp_config(tmp_path, username="alex") +
                       'password_env = "PW"\n')
        result = w.send(env={"PW": "pw"})
        assert result.outcome == Outcome.FAILED
        assert "does not offer STARTTLS" in result.detail
        assert server.verbs() == ["EHLO"]  # never AUTH, never MAIL
    assert w.record().state == "failed"


@pytest.mark.parametrize("mode", ["starttls", "tls"])
def test_certificate_for_another_host_is_permanent(tmp_path: Path, mode: Any) -> None:
    with SmtpServer(mode, cert_hosts=["mail.example.net"]) as server:
        w = smtp_world(tmp_path, server)
        result = w.send()
        assert result.outcome == Outcome.FAILED
        assert "certificate is not valid for 127.0.0.1" in result.detail
        assert "MAIL" not in server.verbs()
        assert server.messages == []


@pytest.mark.parametrize("mode", ["starttls", "tls"])
def test_tls_modes_deliver(tmp_path: Path, mode: Any) -> None:
    with SmtpServer(mode, password="pw") as server:
        w = make_world(tmp_path, server.smtp_config(tmp_path, username="alex") +
                       'password_env = "PW"\n')
        assert w.send(env={"PW": "pw"}).outcome == Outcome.SENT
        assert server.logins == [("alex", True)]
        assert len(server.messages) == 1


def test_refused_login_535_is_permanent(tmp_path: Path) -> None:
    with SmtpServer("starttls", password="right") as server:
        w = make_world(tmp_path, server.smtp_config(tmp_path, username="alex") +
                       'password_env = "PW"\n')
        result = w.send(env={"PW": "wrong"})
        assert result.outcome == Outcome.FAILED
        assert "535" in result.detail and "check smtp.username" in result.detail
        assert "MAIL" not in server.verbs()
    assert w.record().last_code == 535


def test_missing_password_is_a_permanent_failure(tmp_path: Path) -> None:
    with SmtpServer("starttls", password="pw") as server:
        w = make_world(tmp_path, server.smtp_config(tmp_path, username="alex") +
                       'password_env = "PW"\n')
        result = w.send(env={})
        assert result.outcome == Outcome.FAILED
        assert "PW" in result.detail and "not set" in result.detail
        assert server.commands == []


# --- crashes and concurrency -----------------------------------------------------------

def _dead_pid() -> int:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    return int(proc.stdout)


def _leave_sending(w: World, claimed_by: str, updated: datetime) -> None:
    with w.db.session() as s:
        s.add(DigestRecord(recipient="alex@example.com", local_date=DAY,
                           message_id="<digest-2026-11-26.alex@nudger.test>",
                           state="sending", attempts=1, claimed_by=claimed_by,
                           created_at=updated, updated_at=updated))


def test_sending_left_by_a_dead_process_is_resent_at_once(tmp_path: Path) -> None:
    with SmtpServer("plain") as server:
        w = smtp_world(tmp_path, server)
        _leave_sending(w, f"{socket.gethostname()}:{_dead_pid()}", NOW)
        assert w.send().outcome == Outcome.ALREADY  # the day is taken ...
        (result,) = w.retry(NOW + timedelta(seconds=5))  # ... and its claimer is dead
        assert result.outcome == Outcome.SENT
        assert [m.message_id for m in server.messages] == \
            ["<digest-2026-11-26.alex@nudger.test>"]
    assert (w.record().state, w.record().attempts) == ("sent", 2)


def test_sending_by_another_host_waits_until_stale(tmp_path: Path) -> None:
    with SmtpServer("plain") as server:
        w = smtp_world(tmp_path, server)
        _leave_sending(w, "other-host:4242", NOW)
        assert w.retry(NOW + timedelta(minutes=1)) == []
        (result,) = w.retry(NOW + timedelta(minutes=6))
        assert result.outcome == Outcome.SENT
        assert len(server.messages) == 1


def test_sending_by_a_live_process_is_not_taken(tmp_path: Path) -> None:
    with SmtpServer("plain") as server:
        w = smtp_world(tmp_path, server)
        _leave_sending(w, f"{socket.gethostname()}:{os.getppid()}", NOW)
        assert w.retry(NOW + timedelta(minutes=1)) == []
        assert w.send(force=True).outcome == Outcome.ALREADY
        assert server.messages == []


def test_two_concurrent_senders_send_one_message(tmp_path: Path) -> None:
    with SmtpServer("plain") as server:
        w = smtp_world(tmp_path, server)
        barrier = threading.Barrier(2)
        outcomes: list[Outcome] = []

        def run() -> None:
            db = Database(w.db.path)  # its own engine and connections
            barrier.wait()
            result = asyncio.run(send_digest(w.settings, db, w.calendar, DAY, NOW,
                                             compose=w.compose, env={}))
            outcomes.append(result.outcome)
            db.dispose()

        threads = [threading.Thread(target=run) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert sorted(outcomes) == sorted([Outcome.SENT, Outcome.ALREADY])
        assert len(server.messages) == 1


CHILD = """
import asyncio, sys
from datetime import datetime, date
sys.path.insert(0, {repo!r})
from tests.send.test_outbox import make_world, DAY, NOW
from pathlib import Path
from nudger.send.outbox import send_digest
from tests.smtpserver import SmtpServer
server = SmtpServer("plain"); server.port = {port}
w = make_world(Path({dir!r}), server.smtp_config(Path({dir!r})))
print(asyncio.run(send_digest(w.settings, w.db, w.calendar, DAY, NOW, compose=w.compose,
                              env={{}})).outcome)
"""


def test_two_processes_send_one_message(tmp_path: Path) -> None:
    repo = str(REPO)
    with SmtpServer("plain") as server:
        smtp_world(tmp_path, server)  # creates the database first
        code = CHILD.format(repo=repo, port=server.port, dir=str(tmp_path))
        procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
        outs = [p.communicate(timeout=60) for p in procs]
        assert all(p.returncode == 0 for p in procs), outs
        assert sorted(o.strip() for o, _ in outs) == ["already", "sent"]
        assert len(server.messages) == 1


# --- superseding and notices -----------------------------------------------------------

def test_next_digest_reports_the_failed_one_once(tmp_path: Path) -> None:
    with SmtpServer("plain", replies={"DATA": ["550 5.1.1 Mailbox unavailable"]}) as server:
        w = smtp_world(tmp_path, server)
        assert w.send().outcome == Outcome.FAILED
        friday = DAY + timedelta(days=1)
        assert w.send(friday, NOW + timedelta(days=1)).outcome == Outcome.SENT
        monday = DAY + timedelta(days=4)
        assert w.send(monday, NOW + timedelta(days=4)).outcome == Outcome.SENT
    notices = dict(w.compose.calls)
    assert len(notices[friday]) == 1
    assert "Thursday 26 November" in notices[friday][0]
    assert "550 5.1.1 Mailbox unavailable" in notices[friday][0]
    assert notices[monday] == ()
    assert "550 5.1.1" in server.messages[0].message.get_content()
    assert w.record().reported_in == friday


def test_a_retry_is_superseded_by_the_next_digest(tmp_path: Path) -> None:
    with SmtpServer("plain", replies={"DATA": ["451 4.3.0 later"]}) as server:
        w = smtp_world(tmp_path, server)
        assert w.send().outcome == Outcome.RETRY
        friday = DAY + timedelta(days=1)
        assert w.send(friday, NOW + timedelta(days=1)).outcome == Outcome.SENT
        assert w.retry(NOW + timedelta(days=1, hours=1)) == []
        assert len(server.messages) == 1  # only Friday's
    old = w.record()
    assert old.state == "failed"
    assert "451 4.3.0 later" in old.last_error and "replaced" in old.last_error
    (notice,) = dict(w.compose.calls)[friday]
    assert "Thursday 26 November" in notice


def test_record_skipped_keeps_a_day_from_being_sent_late(world: World) -> None:
    assert record_skipped(world.settings, world.db, DAY, NOW, "missed: daemon was down")
    assert not record_skipped(world.settings, world.db, DAY, NOW, "again")
    result = world.send()
    assert result.outcome == Outcome.ALREADY and "skipped" in result.detail
    assert world.record().last_error == "missed: daemon was down"


# --- other methods ---------------------------------------------------------------------

def test_maildir_is_the_default_and_reads_back(world: World) -> None:
    result = world.send()
    assert result.outcome == Outcome.SENT
    box = mailbox.Maildir(world.dir / "Maildir", create=False)
    (message,) = list(box)
    assert message["Message-ID"] == result.message_id
    assert "2 follow-ups" in str(message["Subject"])
    assert str(world.dir / "Maildir" / "new") in result.detail


def test_maildir_path_from_config_is_relative_to_it(tmp_path: Path) -> None:
    w = delivery_world(tmp_path, 'maildir = "mail/inbox"')
    assert w.send().outcome == Outcome.SENT
    assert len(mailbox.Maildir(tmp_path / "mail" / "inbox", create=False)) == 1
    assert not (tmp_path / "Maildir").exists()


STAND_IN = """#!{python}
import json, sys
data = sys.stdin.buffer.read()
with open({log!r}, "a") as out:
    out.write(json.dumps({{"args": sys.argv[1:], "input": data.decode()}}) + "\\n")
sys.exit({code})
"""


def _stand_in(directory: Path, code: int = 0) -> Path:
    bin_dir = directory / "bin"
    bin_dir.mkdir(exist_ok=True)
    log = directory / "sendmail.log"
    script = bin_dir / "sendmail"
    script.write_text(STAND_IN.format(python=sys.executable, log=str(log), code=code))
    script.chmod(0o755)
    return log


def test_sendmail_through_a_stand_in_on_path(tmp_path: Path) -> None:
    import json

    log = _stand_in(tmp_path)
    w = delivery_world(tmp_path, 'method = "sendmail"\nsendmail = "sendmail"')
    env = {"PATH": f"{tmp_path / 'bin'}:{os.environ.get('PATH', '')}"}
    result = w.send(env=env)
    assert result.outcome == Outcome.SENT, result.detail
    (call,) = [json.loads(line) for line in log.read_text().splitlines()]
    assert call["args"] == ["-t", "-oi"]
    assert f"Message-ID: {result.message_id}" in call["input"]
    assert "To: alex@example.com" in call["input"]


@pytest.mark.parametrize("code,outcome", [(75, Outcome.RETRY), (67, Outcome.FAILED)])
def test_sendmail_exit_status_is_classified(tmp_path: Path, code: int,
                                            outcome: Outcome) -> None:
    _stand_in(tmp_path, code)
    w = delivery_world(tmp_path, f'method = "sendmail"\nsendmail = "{tmp_path}/bin/sendmail"')
    result = w.send()
    assert result.outcome == outcome
    assert f"exit status {code}" in result.detail


def test_missing_sendmail_is_permanent(tmp_path: Path) -> None:
    w = delivery_world(tmp_path, 'method = "sendmail"\nsendmail = "/nonexistent/sendmail"')
    result = w.send()
    assert result.outcome == Outcome.FAILED
    assert "no such program" in result.detail


# --- status ----------------------------------------------------------------------------

def test_status_shows_last_sent_retrying_and_failed(tmp_path: Path) -> None:
    with SmtpServer("plain", replies={"DATA": ["554 5.7.1 rejected"]}) as server:
        w = smtp_world(tmp_path, server)
        assert w.send(DAY - timedelta(days=2), NOW - timedelta(days=2)).outcome == \
            Outcome.FAILED
        assert w.send(DAY - timedelta(days=1), NOW - timedelta(days=1)).outcome == \
            Outcome.SENT
        server.handler.replies["DATA"] = ["451 4.3.0 later"]
        assert w.send().outcome == Outcome.RETRY
    status = outbox_status(w.settings, w.db, NOW)
    assert status.last_sent is not None
    assert status.last_sent.local_date == DAY - timedelta(days=1)
    assert status.today is not None and status.today.state == "retry"
    assert [i.local_date for i in status.retrying] == [DAY]
    assert status.retrying[0].code == 451
    assert [(i.local_date, i.code) for i in status.failed] == [(DAY - timedelta(days=2), 554)]
    assert "554 5.7.1 rejected" in status.as_json()["failed"][0]["error"]


def test_killed_mid_send_is_resent_with_the_same_message_id(tmp_path: Path) -> None:
    """kill -9 while the server holds the reply to DATA: the row stays 'sending' with the
    dead pid; retry_due resends at once, with the same Message-ID."""
    import signal

    repo = str(REPO)
    with SmtpServer("plain", stall=("DATA", 30.0)) as server:
        smtp_world(tmp_path, server, timeout=60)
        code = CHILD.format(repo=repo, port=server.port, dir=str(tmp_path))
        child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
        server.wait_for_messages(1, timeout=30)  # the child is now waiting for the reply
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=10)
        w = smtp_world(tmp_path, server)
        record = w.record()
        assert (record.state, record.claimed_by) == ("sending",
                                                     f"{socket.gethostname()}:{child.pid}")
        server.handler.stall = None
        (result,) = w.retry(NOW + timedelta(seconds=1))
        assert result.outcome == Outcome.SENT
        ids = [m.message_id for m in server.messages]
    assert ids == [w.record().message_id] * 2
    assert (w.record().state, w.record().attempts) == ("sent", 2)


def test_a_cancelled_send_goes_back_to_retry_as_uncertain(tmp_path: Path) -> None:
    """A daemon that cancels an in-flight send at shutdown leaves no 'sending' row."""
    with SmtpServer("plain", stall=("DATA", 10.0)) as server:
        w = smtp_world(tmp_path, server, timeout=30)

        async def go() -> None:
            task = asyncio.create_task(send_digest(w.settings, w.db, w.calendar, DAY, NOW,
                                                   compose=w.compose, env={}))
            while not server.messages:
                await asyncio.sleep(0.02)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

        asyncio.run(go())
        record = w.record()
        assert (record.state, record.uncertain) == ("retry", True)
        assert "stopped in the middle" in record.last_error
        server.handler.stall = None
        (again,) = w.retry(NOW + timedelta(minutes=1))
        assert again.outcome == Outcome.SENT
        assert [m.message_id for m in server.messages] == [again.message_id] * 2


def test_a_compose_error_is_permanent_and_force_sends_once_fixed(world: World) -> None:
    """Issue 13: a template that cannot render fails the same way every time; it is not
    retried as if transient. Once fixed, `digest --send --force` sends the day."""
    from nudger.errors import ConfigError

    fixed = SmallCompose()

    def failing(*args: Any, **kwargs: Any) -> Composed:
        raise ConfigError("templates/digest.txt.j2:3: unexpected '}'")

    world.compose = failing  # type: ignore[assignment]
    result = world.send()
    assert result.outcome == Outcome.FAILED
    assert "digest.txt.j2:3" in result.detail and "--send --force" in result.detail
    world.compose = fixed
    assert world.retry(NOW + timedelta(minutes=2)) == []
    again = world.send(now=NOW + timedelta(minutes=3), force=True)
    assert again.outcome == Outcome.SENT


def test_every_failure_line_names_the_date_and_message_id(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Issue 6: every digest, retry and failure is logged with local date and Message-ID."""
    import logging

    with SmtpServer("plain", replies={"DATA": ["451 4.3.0 try later",
                                               "554 5.7.1 rejected"]}) as server:
        world = make_world(tmp_path, server.smtp_config(tmp_path))
        caplog.set_level(logging.DEBUG)
        first = world.send()
        assert first.outcome == Outcome.RETRY
        second = world.retry(NOW + timedelta(hours=1))
        assert [r.outcome for r in second] == [Outcome.FAILED]
    lines = [r.getMessage() for r in caplog.records if "not delivered" in r.getMessage()]
    assert len(lines) == 2
    assert all(DAY.isoformat() in line and first.message_id in line for line in lines), lines
