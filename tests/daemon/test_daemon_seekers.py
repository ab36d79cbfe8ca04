"""`nudger run` on a database of several seekers (README, "Many seekers on PostgreSQL";
docs/outbox.md, "Many seekers, one daemon"), on both engines: each enabled seeker's digest
reaches the SMTP server once, at their own local time, addressed to them; a disabled
seeker gets none; a restart sends nothing again; a seeker whose digest fails does not
stop the next one's. The daemon runs in-process against a real SMTP server and a real
database, with only its clock mocked (the scheduler's interval made short)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from nudger.config import ConfigLocation, Settings, parse_settings
from nudger.daemon.notify import Notifier
from nudger.daemon.run import Daemon
from nudger.daemon.seekerpass import serves_many
from nudger.track import seekers
from tests.daemon.test_daemon_inprocess import Clock, Lines, wait_for
from tests.daemon_helpers import EVERY_DAY
from tests.smtpserver import SmtpServer

# A Monday well ahead of the real clock: the scheduler's own one-off wake-ups (real time)
# never fire during a test, so only the mocked clock and the short interval drive it.
ADDED = datetime(2031, 1, 12, 20, 0, tzinfo=UTC)  # Sunday evening, UTC
DAY = date(2031, 1, 13)
# Each seeker's own zone and time, and the instant (UTC) it falls on that Monday.
KOLKATA = ("kiran@example.in", "Asia/Kolkata", "09:00", datetime(2031, 1, 13, 3, 30, tzinfo=UTC))
PARIS = ("dana@example.fr", "Europe/Paris", "08:00", datetime(2031, 1, 13, 7, 0, tzinfo=UTC))
NEW_YORK = ("lee@example.com", "America/New_York", "07:30",
            datetime(2031, 1, 13, 12, 30, tzinfo=UTC))
LONDON_OFF = ("off@example.co.uk", "Europe/London", "08:00",
              datetime(2031, 1, 13, 8, 0, tzinfo=UTC))


@pytest.fixture(autouse=True)
def _short_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    import nudger.daemon.run

    monkeypatch.setattr(nudger.daemon.run, "SEEKERS_WAKE", timedelta(seconds=0.2))


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    with SmtpServer("plain") as smtp:
        yield smtp


def settings_for_test(tmp_path: Path, server: SmtpServer) -> tuple[Path, Settings]:
    config = tmp_path / "config.toml"
    body = (f'timezone = "UTC"\ndatabase = "nudger.db"\n[profile]\nname = "Coach"\n'
            f'email = "coach@example.org"\n[digest]\ntime = "06:00"\ndays = {EVERY_DAY}\n'
            'catch_up = "12 hours"\nsend_when_empty = true\n[delivery]\nmethod = "smtp"\n'
            'from = "nudger <coach@example.org>"\n' + server.smtp_config(tmp_path))
    config.write_text(body)
    return config, parse_settings(body, config)


def add_seekers(db: Any, settings: Settings) -> None:
    for email, zone, at, _ in (KOLKATA, PARIS, NEW_YORK, LONDON_OFF):
        seekers.add_seeker(db, settings, email=email, name=email.split("@")[0].title(),
                           timezone=zone, at=at, now=ADDED)
    seekers.set_enabled(db, settings, LONDON_OFF[0], False, now=ADDED)


def daemon_on(config: Path, settings: Settings, db: Any, clock: Clock,
              log: logging.Logger | None = None) -> Daemon:
    return Daemon(ConfigLocation(config, True), {}, settings, db, Notifier({}),
                  log or logging.getLogger("nudger.test.seekers"), clock, many=True)


def outbox(db: Any) -> dict[str, tuple[str, str]]:
    """email → (local date, state) of every digest row."""
    with db.read_session(every_seeker=True) as s:
        rows = s.connection().execute(text(
            "SELECT seeker.email, digest.local_date, digest.state FROM digest "
            "JOIN seeker ON seeker.id = digest.seeker_id")).all()
    return {email: (str(day), state) for email, day, state in rows}


def recipients(server: SmtpServer) -> list[str]:
    return [to for message in server.messages for to in message.rcpt_tos]


async def at_moment(clock: Clock, moment: datetime, check: object) -> None:
    clock.now = moment
    await wait_for(check)


def test_the_single_users_database_is_not_served_seeker_by_seeker(engine_db: Any,
                                                                 tmp_path: Path) -> None:
    with engine_db.session() as s:  # the single user's seeker is made by a first write
        from nudger.track import tracker

        tracker.add_application(s, company="Acme", role="AE", today=DAY, now=ADDED)
    assert not serves_many(engine_db)
    with SmtpServer("plain") as smtp:
        _, settings = settings_for_test(tmp_path, smtp)
    seekers.add_seeker(engine_db, settings, email="ann@example.org", name="Ann", now=ADDED)
    assert serves_many(engine_db)


async def test_each_seeker_at_their_own_time_once(engine_db: Any, tmp_path: Path,
                                                  server: SmtpServer) -> None:
    config, settings = settings_for_test(tmp_path, server)
    add_seekers(engine_db, settings)
    clock = Clock(datetime(2031, 1, 13, 2, 0, tzinfo=UTC))
    daemon = daemon_on(config, settings, engine_db, clock)
    serving = asyncio.create_task(daemon.serve())
    try:
        await asyncio.sleep(0.6)  # a few wake-ups: nobody is due at 02:00 UTC
        assert server.messages == [] and outbox(engine_db) == {}
        assert daemon.status_line() == "next digest Mon 2031-01-13 03:30 UTC"

        await at_moment(clock, KOLKATA[3] + timedelta(seconds=30),
                        lambda: len(server.messages) == 1)
        assert recipients(server) == [KOLKATA[0]]
        await at_moment(clock, PARIS[3] + timedelta(seconds=5),
                        lambda: len(server.messages) == 2)
        assert recipients(server) == [KOLKATA[0], PARIS[0]]
        await asyncio.sleep(0.6)  # the same minute's wake-ups change nothing
        assert len(server.messages) == 2
    finally:
        daemon.request_stop()
        assert await asyncio.wait_for(serving, 10) == 0

    # A restart after the sends: nothing again, then New York's at its time.
    clock.now = PARIS[3] + timedelta(minutes=3)
    again = daemon_on(config, settings, engine_db, clock)
    serving = asyncio.create_task(again.serve())
    try:
        await asyncio.sleep(0.6)
        assert len(server.messages) == 2
        await at_moment(clock, NEW_YORK[3], lambda: len(server.messages) == 3)
        clock.now = LONDON_OFF[3] + timedelta(hours=6)  # the disabled seeker: nothing
        await asyncio.sleep(0.6)
    finally:
        again.request_stop()
        assert await asyncio.wait_for(serving, 10) == 0
    assert recipients(server) == [KOLKATA[0], PARIS[0], NEW_YORK[0]]
    for message, (email, _, _, _) in zip(server.messages, (KOLKATA, PARIS, NEW_YORK),
                                         strict=True):
        assert message.message["To"].addresses[0].addr_spec == email
        body = message.message.get_body(("plain",)).get_content()
        assert email.split("@")[0].title() in body  # their own name, not the coach's
    assert outbox(engine_db) == {email: (str(DAY), "sent")
                                 for email, _, _, _ in (KOLKATA, PARIS, NEW_YORK)}
    listed = {row["email"]: row for row in seekers.list_seekers(engine_db)}
    assert listed[PARIS[0]]["next_digest_at"] == "2031-01-14T07:00:00+00:00"
    assert listed[LONDON_OFF[0]]["next_digest_at"] is None


async def test_a_missed_wake_is_caught_up_or_skipped_on_start(engine_db: Any,
                                                              tmp_path: Path,
                                                              server: SmtpServer) -> None:
    """The daemon was down from Sunday evening to Monday 16:00 UTC: Paris's (9 h late,
    within catch_up) and New York's (3.5 h late) go out on start; Kolkata's, 12.5 h late,
    is recorded as skipped, never sent late; each seeker's next digest moves to Tuesday."""
    config, settings = settings_for_test(tmp_path, server)
    add_seekers(engine_db, settings)
    clock = Clock(datetime(2031, 1, 13, 16, 0, tzinfo=UTC))
    daemon = daemon_on(config, settings, engine_db, clock)
    assert await daemon.run_once() == 0
    assert sorted(recipients(server)) == sorted([PARIS[0], NEW_YORK[0]])
    assert outbox(engine_db) == {KOLKATA[0]: (str(DAY), "skipped"),
                                 PARIS[0]: (str(DAY), "sent"), NEW_YORK[0]: (str(DAY), "sent")}
    assert await daemon.run_once() == 0  # again: nothing
    assert len(server.messages) == 2
    listed = {row["email"]: row["next_digest_at"] for row in seekers.list_seekers(engine_db)}
    assert listed[KOLKATA[0]] == "2031-01-14T03:30:00+00:00"


async def test_a_failing_seeker_does_not_stop_the_next(engine_db: Any, tmp_path: Path) -> None:
    """Kolkata's address is refused by the relay (a permanent failure, recorded for them)
    and Paris's stored zone is broken (their pass fails before anything is recorded, and is
    tried again); New York's digest still goes out."""
    with SmtpServer("plain", replies={"RCPT": ["550 5.1.1 no such mailbox"]}) as smtp:
        config, settings = settings_for_test(tmp_path, smtp)
        add_seekers(engine_db, settings)
        with engine_db.session(every_seeker=True) as s:
            s.connection().execute(text("UPDATE seeker SET timezone = 'Mars/Olympus' "
                                        "WHERE email = :e"), {"e": PARIS[0]})
        log = logging.getLogger("nudger.test.seekers.failing")
        log.propagate = False
        lines = Lines()
        log.addHandler(lines)
        log.setLevel(logging.DEBUG)
        clock = Clock(NEW_YORK[3] + timedelta(minutes=1))  # all three due, longest first
        daemon = daemon_on(config, settings, engine_db, clock, log)
        assert await daemon.run_once() == 1  # a failed digest: exit status 1
        assert recipients(smtp) == [NEW_YORK[0]]
        states = outbox(engine_db)
        assert states[KOLKATA[0]] == (str(DAY), "failed")
        assert states[NEW_YORK[0]] == (str(DAY), "sent")
        assert PARIS[0] not in states
        broken = [line for line in lines.lines if PARIS[0] in line and "Mars/Olympus" in line]
        assert broken and "nudger seeker edit" in broken[0]
        # Paris stays due: fixed, the next pass sends theirs.
        seekers.edit_seeker(engine_db, settings, PARIS[0], {"timezone": "Europe/Paris"},
                            now=clock.now - timedelta(hours=6))
        assert await daemon.run_once() == 1  # Kolkata's failure is still among the outcomes
        assert recipients(smtp) == [NEW_YORK[0], PARIS[0]]


async def test_seekers_added_beside_the_single_user_are_served_from_the_next_pass(
        engine_db: Any, tmp_path: Path, server: SmtpServer) -> None:
    """A single user's daemon (config.toml's 06:00 UTC) sends their digest as always; once
    a seeker is added to that database, the next pass serves each seeker at their own
    time, the single user's included (their row gets a next digest), never twice."""
    from nudger.track import tracker

    config, settings = settings_for_test(tmp_path, server)
    with engine_db.session() as s:
        tracker.add_application(s, company="Acme", role="AE", today=DAY, now=ADDED)
    clock = Clock(datetime(2031, 1, 13, 6, 1, tzinfo=UTC))
    daemon = Daemon(ConfigLocation(config, True), {}, settings, engine_db, Notifier({}),
                    logging.getLogger("nudger.test.seekers.switch"), clock)
    assert daemon.seekers is None
    assert await daemon.run_once() == 0
    assert recipients(server) == ["coach@example.org"]

    email, zone, at, moment = PARIS
    seekers.add_seeker(engine_db, settings, email=email, name="Dana", timezone=zone, at=at,
                       now=ADDED)
    clock.now = moment + timedelta(minutes=1)
    assert await daemon.run_once() == 0
    assert daemon.seekers is not None
    assert recipients(server) == ["coach@example.org", PARIS[0]]
    assert outbox(engine_db) == {"": (str(DAY), "sent"), PARIS[0]: (str(DAY), "sent")}
    listed = {row["email"]: row["next_digest_at"] for row in seekers.list_seekers(engine_db)}
    assert listed[""] == "2031-01-14T06:00:00+00:00"

    clock.now = datetime(2031, 1, 14, 6, 0, 30, tzinfo=UTC)  # the single user's next one
    assert await daemon.run_once() == 0
    assert recipients(server) == ["coach@example.org", PARIS[0], "coach@example.org"]


async def test_a_transient_failure_is_retried_for_that_seeker_only(
        engine_db: Any, tmp_path: Path) -> None:
    """The relay answers Kolkata's DATA with 451: their digest waits in 'retry' (the next
    pass does not send it again as new), goes out once at its retry time, a minute on,
    with the Message-ID recorded for it; Paris's goes out at its own time meanwhile, once."""
    with SmtpServer("plain", replies={"DATA": ["451 4.3.0 try again later"]}) as smtp:
        config, settings = settings_for_test(tmp_path, smtp)
        add_seekers(engine_db, settings)
        clock = Clock(KOLKATA[3] + timedelta(seconds=10))
        daemon = daemon_on(config, settings, engine_db, clock)
        assert await daemon.run_once() == 0
        assert smtp.messages == [] and outbox(engine_db)[KOLKATA[0]] == (str(DAY), "retry")
        clock.now = KOLKATA[3] + timedelta(seconds=40)  # before the retry time: nothing
        assert await daemon.run_once() == 0
        assert smtp.messages == []
        assert daemon.seekers is not None
        wake = daemon.seekers.next_wake(clock.now, timedelta(seconds=15))
        assert wake is not None and KOLKATA[3] < wake <= KOLKATA[3] + timedelta(minutes=2)

        clock.now = KOLKATA[3] + timedelta(minutes=2)
        assert await daemon.run_once() == 0
        assert recipients(smtp) == [KOLKATA[0]]
        assert outbox(engine_db)[KOLKATA[0]] == (str(DAY), "sent")
        clock.now = PARIS[3] + timedelta(seconds=1)
        assert await daemon.run_once() == 0
        assert recipients(smtp) == [KOLKATA[0], PARIS[0]]
        with engine_db.read_session(every_seeker=True) as s:
            stored = dict(s.connection().execute(text(
                "SELECT seeker.email, digest.message_id FROM digest "
                "JOIN seeker ON seeker.id = digest.seeker_id")).all())
        assert smtp.messages[0].message_id == stored[KOLKATA[0]]
