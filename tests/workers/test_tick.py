"""The workers' tick (nudger/workers/tick.py) against the real PostgreSQL the tests start,
with procrastinate's real queue tables, the clock given as `now`: seekers in six zones
ticked every 15 minutes over eleven days that hold Paris's spring-forward and Sydney's and
Auckland's fall-back get exactly one outbox row and one queued job per local date, at their
local time; two workers ticking the same minute defer each seeker once; a missed hour heals
on the next tick (beyond digest.catch_up: recorded as skipped, never sent late); a 'pending'
row whose job was lost gets a new one; a disabled seeker gets nothing; the single user's
digest still follows config.toml; a job commits or rolls back with the tick's transaction;
and a real `nudger worker` sends each due seeker's digest once."""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from nudger.config import Settings, parse_settings
from nudger.store.db import Database
from nudger.track.seekers import add_seeker, set_enabled
from nudger.workers.app import make_app
from nudger.workers.tasks import JOB_BATCH
from nudger.workers.tick import BATCH, JobWriter, TickReport, tick
from tests.conftest import pg_database

EVERY_DAY = "mon,tue,wed,thu,fri,sat,sun"
SETTINGS: Settings = parse_settings(
    'timezone = "Europe/London"\n[profile]\nemail = "coach@example.org"\n'
    '[digest]\ntime = "08:00"\ncatch_up = "3 hours"\n', Path("/tmp/config.toml"))
# Six zones, each digest time picked to meet its zone's change in the window: Paris's
# 02:30 does not exist on 2026-03-29 (02:00 becomes 03:00); Sydney's 02:30 and Auckland's
# 02:15 come twice on 2026-04-05 (03:00 becomes 02:00); Kolkata is +05:30, Sao Paulo has no
# DST any more and its 23:50 is a few minutes from the next UTC day.
SEEKERS = {
    "paris@example.org": ("Europe/Paris", "02:30"),
    "nyc@example.org": ("America/New_York", "07:30"),
    "sydney@example.org": ("Australia/Sydney", "02:30"),
    "kolkata@example.org": ("Asia/Kolkata", "08:45"),
    "saopaulo@example.org": ("America/Sao_Paulo", "23:50"),
    "auckland@example.org": ("Pacific/Auckland", "02:15"),
}
START = datetime(2026, 3, 27, 0, 0, tzinfo=UTC)
END = datetime(2026, 4, 7, 0, 0, tzinfo=UTC)
STEP = timedelta(hours=2)


@pytest.fixture
def url(pg_cluster: Any, pg_template: str) -> str:
    """A migrated database of the session's cluster (a copy of the template)."""
    pg_cluster.count += 1
    name = f"tick{os.getpid()}_{pg_cluster.count}"
    pg_cluster.admin(f"CREATE DATABASE {name} TEMPLATE {pg_template} OWNER nudger")
    return str(pg_cluster.url(name))


@pytest.fixture
def db(pg_cluster: Any, url: str, tmp_path: Path) -> Iterator[Database]:
    database = pg_database(pg_cluster, url, tmp_path / "nudger.db")
    yield database
    database.dispose()


def _seeker_ids(db: Database) -> dict[str, int]:
    from sqlalchemy import text

    with db.read_session(every_seeker=True) as s:
        return {str(e): int(i) for i, e in s.execute(text("SELECT id, email FROM seeker"))}


def _rows(db: Database) -> list[tuple[int, date, str, datetime]]:
    """Every outbox row: (seeker, local date, state, recorded at, aware UTC)."""
    from sqlalchemy import text

    with db.read_session(every_seeker=True) as s:
        return [(int(a), b, str(c), d.replace(tzinfo=UTC)) for a, b, c, d in s.execute(text(
            "SELECT seeker_id, local_date, state, created_at FROM digest /* all seekers */ "
            "ORDER BY seeker_id, local_date"))]


def _batches(db: Database) -> list[list[tuple[int, date]]]:
    """Every send job waiting in the queue: its batch of (seeker, local date)."""
    from sqlalchemy import text

    with db.read_session(every_seeker=True) as s:
        return [[(int(seeker), date.fromisoformat(day)) for seeker, day in args["batch"]]
                for (args,) in s.execute(text(
                    "SELECT args FROM procrastinate_jobs WHERE task_name = "
                    "'nudger.send_digests' AND status = 'todo' ORDER BY id"))]


def _jobs(db: Database) -> list[tuple[int, date]]:
    """Every digest waiting in the queue: (seeker, local date), of every batch."""
    return [pair for batch in _batches(db) for pair in batch]


async def _ticks(dbs: list[Database], moments: list[datetime],
                 settings: Settings = SETTINGS) -> list[TickReport]:
    """Tick at each moment in turn; at each, every database (one per worker) at once."""
    reports: list[TickReport] = []
    apps = [make_app(d, pool_size=2) for d in dbs]
    writers = [JobWriter() for _ in dbs]
    for app in apps:
        await app.open_async()
    try:
        for moment in moments:
            reports += await asyncio.gather(*(
                tick(app, settings, d, moment, writer)
                for app, d, writer in zip(apps, dbs, writers, strict=True)))
    finally:
        for app in apps:
            await app.close_async()
    return reports


def _moments(zone: str, at: str) -> dict[date, datetime]:
    """Every local date whose digest moment falls in the window, with that moment (UTC):
    the local time on that date, the first of two in a repeated hour (fold=0), in a gap
    the offset from before the change (02:30 that does not exist is 03:30 summer time)."""
    hour, minute = map(int, at.split(":"))
    found: dict[date, datetime] = {}
    day = (START - timedelta(days=1)).date()
    while day <= END.date():
        moment = datetime(day.year, day.month, day.day, hour, minute,
                          tzinfo=ZoneInfo(zone)).astimezone(UTC)
        if START < moment <= END:
            found[day] = moment
        day += timedelta(days=1)
    return found


def _add(db: Database, email: str, zone: str, at: str, now: datetime) -> None:
    add_seeker(db, SETTINGS, email=email, name=email.split("@")[0], now=now,
               timezone=zone, at=at, days=EVERY_DAY)


@pytest.mark.slow
def test_six_zones_over_two_dst_changes_one_row_and_one_job_per_local_date(
        db: Database) -> None:
    for email, (zone, at) in SEEKERS.items():
        _add(db, email, zone, at, START)
    _add(db, "off@example.org", "Europe/Paris", "09:00", START)
    set_enabled(db, SETTINGS, "off@example.org", False, START)
    ids = _seeker_ids(db)
    wanted = {email: _moments(zone, at) for email, (zone, at) in SEEKERS.items()}
    # The clock at key instants: a minute before each digest moment, at it and a minute
    # after, and every two hours all along (a real worker ticks every minute; these are
    # the minutes where something can go wrong).
    moments = {START + STEP * n for n in range(int((END - START) / STEP) + 1)}
    for days in wanted.values():
        moments |= {m + timedelta(minutes=k) for m in days.values() for k in (-1, 0, 1)}
    reports = asyncio.run(_ticks([db], sorted(moments)))

    rows, jobs = _rows(db), _jobs(db)
    assert {state for *_, state, _ in rows} == {"pending"}
    assert Counter(jobs) == Counter((seeker, day) for seeker, day, *_ in rows)  # one each
    assert sorted(p for r in reports for p in r.deferred) == sorted(jobs)
    by_seeker: dict[int, dict[date, datetime]] = {}
    for seeker, day, _, recorded in rows:
        assert day not in by_seeker.setdefault(seeker, {}), (seeker, day)
        by_seeker[seeker][day] = recorded
    assert ids["off@example.org"] not in by_seeker  # disabled: nothing at all
    for email, days in wanted.items():
        got = by_seeker[ids[email]]
        assert sorted(got) == sorted(days), email
        for day, moment in days.items():  # recorded by the tick at the moment, not before
            assert got[day] == moment, (email, day, moment, got[day])
    paris, sydney, auckland = (by_seeker[ids[f"{c}@example.org"]]
                               for c in ("paris", "sydney", "auckland"))
    # 02:30 that does not exist: the instant the clocks jump to, 03:30 CEST, that day.
    assert paris[date(2026, 3, 29)] == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    # 02:30 and 02:15 that come twice: the first, still on summer time, once.
    assert sydney[date(2026, 4, 5)] == datetime(2026, 4, 4, 15, 30, tzinfo=UTC)
    assert auckland[date(2026, 4, 5)] == datetime(2026, 4, 4, 13, 15, tzinfo=UTC)
    # The day after each change, the new offset: Paris +02:00, Sydney +10:00.
    assert paris[date(2026, 3, 30)] == datetime(2026, 3, 30, 0, 30, tzinfo=UTC)
    assert sydney[date(2026, 4, 6)] == datetime(2026, 4, 5, 16, 30, tzinfo=UTC)


def test_two_workers_ticking_the_same_minute_defer_each_seeker_once(
        db: Database, pg_cluster: Any, url: str, tmp_path: Path) -> None:
    count = BATCH * 2 + 37  # more than one batch each, so their batches interleave
    due_at = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    before = due_at - timedelta(hours=1)
    from nudger.store.bulk import BulkInsert
    from nudger.store.models import Seeker

    with db.session(every_seeker=True) as s:
        insert = BulkInsert(s.connection(), Seeker, (
            "email", "name", "timezone", "digest_at", "digest_days", "enabled",
            "next_digest_at", "created_at", "updated_at"))
        for n in range(count):
            insert.add((f"s{n}@example.org", f"S {n}", "UTC", "08:00", EVERY_DAY, True,
                        due_at, before, before))
        insert.flush()
    other = pg_database(pg_cluster, url, tmp_path / "other.db")  # another worker's
    try:
        first = asyncio.run(_ticks([db, other], [due_at + timedelta(seconds=5)]))
        again = asyncio.run(_ticks([other, db], [due_at + timedelta(seconds=20)]))
    finally:
        other.dispose()
    deferred = [p for r in first for p in r.deferred]
    assert len(deferred) == len(set(deferred)) == count
    assert all(r.deferred for r in first)  # both took a share
    assert [r.deferred for r in again] == [[], []]
    assert sorted(_jobs(db)) == sorted(deferred)
    # One job per batch of at most JOB_BATCH seekers, each batch from one tick transaction.
    batches = _batches(db)
    assert all(0 < len(batch) <= JOB_BATCH for batch in batches)
    assert len(batches) >= count // JOB_BATCH
    assert len(_rows(db)) == count


def test_a_missed_hour_heals_on_the_next_tick_and_a_lost_job_is_deferred_again(
        db: Database) -> None:
    from sqlalchemy import text

    monday = datetime(2026, 12, 7, 0, 0, tzinfo=UTC)
    _add(db, "late@example.org", "Europe/Berlin", "08:00", monday)  # due 07:00 UTC
    _add(db, "later@example.org", "Europe/Berlin", "04:00", monday)  # due 03:00 UTC
    ids = _seeker_ids(db)
    # The workers were down from 02:59 to 08:10 UTC: nothing ran in between.
    asyncio.run(_ticks([db], [datetime(2026, 12, 7, 2, 59, tzinfo=UTC)]))
    assert _rows(db) == []
    asyncio.run(_ticks([db], [datetime(2026, 12, 7, 8, 10, tzinfo=UTC)]))
    rows = {(s, d): state for s, d, state, _ in _rows(db)}
    today = date(2026, 12, 7)
    # 70 minutes late: within catch_up (3 hours), sent; 5 h 10 min late: recorded skipped.
    assert rows == {(ids["late@example.org"], today): "pending",
                    (ids["later@example.org"], today): "skipped"}
    assert _jobs(db) == [(ids["late@example.org"], today)]
    # The job is lost (it failed before it claimed its row): the next tick gives another.
    with db.session(every_seeker=True) as s:
        s.execute(text("UPDATE procrastinate_jobs SET status = 'failed'"))
    [report] = asyncio.run(_ticks([db], [datetime(2026, 12, 7, 8, 11, tzinfo=UTC)]))
    assert report.deferred == [(ids["late@example.org"], today)]
    assert _jobs(db) == [(ids["late@example.org"], today)]
    [report] = asyncio.run(_ticks([db], [datetime(2026, 12, 7, 8, 12, tzinfo=UTC)]))
    assert report.deferred == []  # its job waits: nothing more
    # Both moved on to tomorrow.
    with db.read_session(every_seeker=True) as s:
        moments = sorted(m for (m,) in s.execute(text("SELECT next_digest_at FROM seeker")))
    assert moments == [datetime(2026, 12, 8, 3, 0), datetime(2026, 12, 8, 7, 0)]


def test_the_single_users_digest_follows_config_toml(db: Database) -> None:
    # No seeker yet: the single user's is made by the tick's first write, as `nudger run`
    # makes it. At 07:55 on Monday the latest digest day is Friday, missed by far more
    # than catch_up: recorded as skipped, as the daemon does.
    monday_0805 = datetime(2026, 12, 7, 8, 5, tzinfo=UTC)  # London: 08:05, due at 08:00
    [report] = asyncio.run(_ticks([db], [monday_0805 - timedelta(minutes=10)]))
    ids = _seeker_ids(db)
    assert list(ids) == [""] and report.deferred == []
    assert report.skipped == [(ids[""], date(2026, 12, 4))]
    [report] = asyncio.run(_ticks([db], [monday_0805]))
    assert report.deferred == [(ids[""], date(2026, 12, 7))]
    assert [(s, d, state) for s, d, state, _ in _rows(db)] == [
        (ids[""], date(2026, 12, 4), "skipped"), (ids[""], date(2026, 12, 7), "pending")]
    reports = asyncio.run(_ticks([db, db], [monday_0805 + timedelta(minutes=1)]))
    assert [r.deferred for r in reports] == [[], []]
    assert _jobs(db) == [(ids[""], date(2026, 12, 7))]
    # Saturday is not one of config.toml's digest days.
    [report] = asyncio.run(_ticks([db], [datetime(2026, 12, 12, 8, 30, tzinfo=UTC)]))
    assert report.deferred == [] and [d for _, d, *_ in _rows(db)][-1] == date(2026, 12, 11)


def test_a_job_is_deferred_in_the_callers_transaction(db: Database) -> None:
    """The tick's jobs commit with its rows: a transaction that fails after the defer
    (a crash, a lost connection) leaves no job behind, and one that commits leaves it."""
    writer = JobWriter()
    day = date(2026, 12, 7)
    with pytest.raises(RuntimeError), db.session(every_seeker=True) as s:
        assert writer.defer(s, [(7, day)]) == [(7, day)]
        raise RuntimeError("the worker dies before the commit")
    assert _jobs(db) == []
    with db.session(every_seeker=True) as s:
        assert writer.defer(s, [(7, day), (8, day)]) == [(7, day), (8, day)]
    with db.session(every_seeker=True) as s:  # one job waiting per seeker and day
        assert writer.defer(s, [(7, day), (9, day)]) == [(9, day)]
    assert sorted(_jobs(db)) == [(7, day), (8, day), (9, day)]
    assert _batches(db) == [[(7, day), (8, day)], [(9, day)]]  # a job per call's batch
    many = [(n, day) for n in range(100, 100 + 2 * JOB_BATCH + 1)]
    with db.session(every_seeker=True) as s:
        assert writer.defer(s, many) == many
    assert [len(b) for b in _batches(db)][2:] == [JOB_BATCH, JOB_BATCH, 1]


def test_a_job_of_an_earlier_version_counts_as_waiting(db: Database) -> None:
    """A queue upgraded from one job per seeker (`nudger.send_digest`) still holds such
    jobs: their digests are not handed out a second time, nor counted as lost."""
    from nudger.store.outbox_bulk import DayRow, record_days
    from nudger.workers.tasks import QUEUE, SEND

    day = date(2026, 12, 7)
    writer = JobWriter()
    _add(db, "old@example.org", "UTC", "08:00", datetime(2026, 12, 7, 8, 0, tzinfo=UTC))
    seeker = _seeker_ids(db)["old@example.org"]
    from procrastinate.jobs import Job

    with db.session(every_seeker=True) as s:
        record_days(s.connection(), [DayRow(seeker, "old@example.org", day, "pending")],
                    datetime(2026, 12, 7, 8, 0, tzinfo=UTC))
        writer.manager.batch_defer_jobs(jobs=[Job(
            id=None, queue=QUEUE, lock=None, queueing_lock=f"digest:{seeker}:{day}",
            task_name=SEND, task_kwargs={"seeker_id": seeker, "local_date": str(day)})],
            connection=s.connection().connection.driver_connection)
    with db.session(every_seeker=True) as s:
        assert writer.defer(s, [(seeker, day)]) == []
    [report] = asyncio.run(_ticks([db], [datetime(2026, 12, 7, 8, 1, tzinfo=UTC)]))
    assert report.deferred == [] and _batches(db) == []


@pytest.mark.slow
def test_a_worker_sends_each_due_seekers_digest_once(
        home: Any, pg_cluster: Any, pg_url: str) -> None:
    """The whole path with a real `nudger worker` subprocess and SMTP server: the tick
    records two due seekers with their jobs, the jobs claim and send; a disabled seeker's
    digest is not sent."""
    import signal

    from sqlalchemy import text

    from nudger.store.pgurl import parse
    from tests.daemon_helpers import wait_until
    from tests.smtpserver import SmtpServer
    from tests.workers.test_run import _config, _worker

    with SmtpServer("plain") as server:
        config = _config(home, server, pg_url)
        settings = parse_settings(config.read_text(), config)
        db = pg_database(pg_cluster, pg_url, home.root / "nudger.db")
        try:
            db.ensure(create=True)
            now = datetime.now(UTC)
            for email in ("ann@example.org", "bob@example.net", "off@example.org"):
                add_seeker(db, settings, email=email, name=email[:3].title(), now=now,
                           days=EVERY_DAY)
            set_enabled(db, settings, "off@example.org", False, now)
            with db.session(every_seeker=True) as s:  # due an hour ago, today
                s.execute(text("UPDATE seeker SET next_digest_at = :at WHERE enabled"),
                          {"at": now - timedelta(hours=1)})
            ids = _seeker_ids(db)
        finally:
            db.dispose()
        worker = _worker(home, config)
        try:
            server.wait_for_messages(2, timeout=60)
            rows = lambda: pg_cluster.admin(  # noqa: E731
                "SELECT seeker_id, state, attempts FROM digest ORDER BY seeker_id",
                dbname=parse(pg_url).dbname)
            wait_until(lambda: [r[1] for r in rows()] == ["sent", "sent"], 20, "the marks")
            time.sleep(2)  # another tick had its chance
            assert worker.stop(signal.SIGTERM, timeout=10) == 0
        finally:
            worker.close()
        assert sorted(r for m in server.messages for r in m.rcpt_tos) == [
            "ann@example.org", "bob@example.net"]
        assert rows() == [(ids["ann@example.org"], "sent", 1),
                          (ids["bob@example.net"], "sent", 1)]
        assert "Traceback" not in worker.log
