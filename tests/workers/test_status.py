"""`nudger status --workers` against the real PostgreSQL the tests start: nothing running;
outbox rows in every state with a queue backlog made by procrastinate itself (jobs deferred,
one fetched by a registered worker); a real `nudger worker` subprocess shown alive, gone
after SIGTERM (procrastinate deletes a stopped worker's row) and shown as stopped
responding once a SIGKILLed one's heartbeat is older than procrastinate's stalled timeout.
On SQLite: one line saying it needs PostgreSQL, exit 78 as `nudger worker`."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from nudger.store.models import DigestRecord
from nudger.workers.app import make_app
from nudger.workers.status import STALLED_AFTER_S, alive_count, workers_status
from nudger.workers.tasks import QUEUE, SEND_BATCH
from nudger.workers.tick import JobWriter
from tests import pgserver
from tests.conftest import BASE_CONFIG, Home, pg_database
from tests.daemon_helpers import wait_until
from tests.smtpserver import SmtpServer
from tests.workers.test_run import _config, _worker

CHICAGO = ZoneInfo("America/Chicago")


def _pg_config(home: Home, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    home.write_config(BASE_CONFIG.replace('database = "nudger.db"', f'database = "{pg_url}"'))
    home.db_path.unlink(missing_ok=True)  # the home's SQLite file: nothing may use it
    monkeypatch.setenv("PGPASSWORD", pgserver.PASSWORD)


def _status(home: Home, *config: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(home.ok(*config, "status", "--workers", "--json"))
    return data


def test_status_workers_refuses_sqlite_as_the_worker_does(home: Home) -> None:
    for args in (("status", "--workers"), ("status", "--workers", "--json")):
        result = home.run(*args)
        assert result.code == 78 == home.run("worker").code
        assert "`nudger status --workers` needs PostgreSQL" in result.err
        assert "nudger run" in result.err and result.out == ""
        assert "Traceback" not in result.err


def test_status_workers_on_an_empty_database(home: Home, pg_cluster: Any, pg_url: str,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    _pg_config(home, pg_url, monkeypatch)
    data = _status(home)
    assert (data["workers"], data["alive"], data["backlog"]) == ([], 0, {})
    assert data["digests"] == {"sent": 0, "failed": 0, "pending": 0, "per_hour": []}
    assert data["oldest_pending"] is None
    text = home.ok("status", "--workers")
    assert "workers:      0 alive (start one with `nudger worker`)" in text
    assert "queue:        empty" in text and "oldest pending: none" in text
    assert ": 0 sent, 0 failed, 0 pending" in text
    # Two rows of today's date, written an hour and a half ago: the text names them.
    now = datetime.now(CHICAGO)
    earlier = (now - timedelta(minutes=90)).astimezone(UTC)
    db = pg_database(pg_cluster, pg_url, home.db_path)
    try:
        with db.session() as s:
            s.add(_row(now.date(), "sent", earlier, sent=earlier))
            s.add(_row(now.date(), "retry", earlier, error="451 try later", attempts=2))
    finally:
        db.dispose()
    text = home.ok("status", "--workers")
    hour = earlier.astimezone(CHICAGO).strftime("%H:00")
    assert f"digests of {now.date()}: 1 sent, 0 failed, 1 pending" in text
    assert f"  {hour}        1 sent        0 failed        1 pending" in text
    assert f"oldest pending: the digest of {now.date()} (retry, attempt 2), waiting 1 h " \
        "30 min since " in text and ": 451 try later" in text


def _row(day: date, state: str, created: datetime, *, updated: datetime | None = None,
         sent: datetime | None = None, error: str = "", attempts: int = 1) -> DigestRecord:
    return DigestRecord(recipient=f"{state}-{day}-{created.isoformat()}@example.com",
                        local_date=day, message_id=f"<{state}.{created.timestamp()}@x>",
                        state=state, attempts=attempts, last_error=error,
                        created_at=created, updated_at=updated or created, sent_at=sent)


def test_outbox_states_per_hour_the_backlog_and_the_oldest_pending(
        pg_cluster: Any, pg_url: str, tmp_path: Path) -> None:
    db = pg_database(pg_cluster, pg_url, tmp_path / "nudger.db")
    db.ensure(create=True)
    today = date(2026, 12, 7)
    now = datetime(2026, 12, 7, 11, 20, tzinfo=CHICAGO)  # 17:20 UTC
    at = lambda h, m=0: datetime(2026, 12, 7, h, m, tzinfo=CHICAGO).astimezone(UTC)  # noqa: E731
    yesterday = at(9) - timedelta(days=1, minutes=30)  # 2026-12-06 08:30 Chicago
    with db.session() as s:
        for row in (
            _row(today, "sent", at(8), sent=at(8, 1)),
            _row(today, "sent", at(8, 30), sent=at(9, 2)),  # counted in the hour it went
            _row(today, "sent", at(9), sent=at(9, 59)),
            _row(today, "failed", at(9), updated=at(10, 5), error="550 no such user"),
            _row(today, "retry", at(10, 15), error="451 try later", attempts=2),
            _row(today, "sending", at(10, 40)),
            _row(today, "skipped", at(8)),  # not a send: not counted
            _row(date(2026, 12, 6), "sent", yesterday, sent=yesterday),  # another day
            # yesterday's, still waiting: the oldest pending
            _row(date(2026, 12, 6), "retry", yesterday, error="421 busy", attempts=4),
        ):
            s.add(row)

    async def queue() -> None:
        app = make_app(db, pool_size=2)
        async with app.open_async():
            writer = JobWriter()
            for seeker in (1, 2, 3):  # a batch job each
                with db.session(every_seeker=True) as s:
                    assert writer.defer(s, [(seeker, today)]) == [(seeker, today)]
            with db.session(every_seeker=True) as s:  # one waiting per seeker and day
                assert writer.defer(s, [(1, today)]) == []
            worker = await app.job_manager.register_worker()
            job = await app.job_manager.fetch_job([QUEUE], worker)
            assert job is not None and job.task_name == SEND_BATCH

    try:
        asyncio.run(queue())
        found = workers_status(db, CHICAGO, today, now)
    finally:
        db.dispose()
    assert [(w.alive, w.running) for w in found.workers] == [(True, 1)]
    assert found.workers[0].age < timedelta(seconds=STALLED_AFTER_S)
    assert found.backlog == {SEND_BATCH: {"todo": 2, "doing": 1}}
    assert [(h.hour.strftime("%H:%M"), h.sent, h.failed, h.pending) for h in found.hours] == [
        ("08:00", 1, 0, 0), ("09:00", 2, 0, 0), ("10:00", 0, 1, 2)]
    assert all(h.hour.tzinfo is not None and h.hour.utcoffset() == timedelta(hours=-6)
               for h in found.hours)
    assert found.totals() == {"sent": 3, "failed": 1, "pending": 2}
    oldest = found.oldest_pending
    assert oldest is not None
    assert (oldest.local_date, oldest.state, oldest.attempts, oldest.error) == (
        date(2026, 12, 6), "retry", 4, "421 busy")
    assert oldest.waited == timedelta(days=1, hours=2, minutes=50)
    data = found.as_json()
    assert data["oldest_pending"]["waited_seconds"] == 96600
    assert data["digests"]["per_hour"][2] == {"hour": "2026-12-07T10:00:00-06:00",
                                              "sent": 0, "failed": 1, "pending": 2}


def test_a_half_hour_zone_keeps_its_own_hours(pg_cluster: Any, pg_url: str,
                                              tmp_path: Path) -> None:
    db = pg_database(pg_cluster, pg_url, tmp_path / "nudger.db")
    db.ensure(create=True)
    kolkata = ZoneInfo("Asia/Kolkata")
    day = date(2026, 12, 7)
    with db.session() as s:
        for minute in (31, 59):  # 08:31 and 08:59 UTC: 14:01 and 14:29 in Kolkata
            moment = datetime(2026, 12, 7, 8, minute, tzinfo=UTC)
            s.add(_row(day, "sent", moment, sent=moment))
    try:
        found = workers_status(db, kolkata, day, datetime(2026, 12, 7, 12, tzinfo=UTC))
    finally:
        db.dispose()
    # Bucketed by the UTC hour (08:00-09:00), labelled with its local start, 13:30.
    assert [(h.hour.strftime("%H:%M"), h.sent) for h in found.hours] == [("13:30", 2)]


def test_the_workers_sharing_the_relay_are_those_heart_beating(
        pg_cluster: Any, pg_url: str, tmp_path: Path) -> None:
    db = pg_database(pg_cluster, pg_url, tmp_path / "nudger.db")
    db.ensure(create=True)
    admin = pg_cluster.admin
    name = pg_url.rsplit("/", 1)[1]
    try:
        assert alive_count(db) == 0
        admin("INSERT INTO procrastinate_workers (last_heartbeat) VALUES (now()), "
              "(now() - interval '5 seconds'), "
              f"(now() - interval '{STALLED_AFTER_S + 5} seconds')", dbname=name)
        assert alive_count(db) == 2  # the third stopped heart-beating
    finally:
        db.dispose()


@pytest.mark.slow
def test_a_real_worker_alive_then_stopped_then_killed_and_stalled(
        home: Home, pg_cluster: Any, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGPASSWORD", pgserver.PASSWORD)
    with SmtpServer("plain") as server:
        config = _config(home, server, pg_url)
        flags = ("--config", str(config))
        worker = _worker(home, config)
        try:
            worker.wait_ready()
            server.wait_for_messages(1, timeout=30)  # today's digest was due an hour ago
            data = _status(home, *flags)
            assert data["alive"] == 1 and data["workers"][0]["alive"] is True
            wait_until(lambda: _status(home, *flags)["digests"]["sent"] == 1, 10, "the mark")
            text = home.ok(*flags, "status", "--workers")
            assert "workers:      1 alive" in text and "heartbeat" in text
            assert ": 1 sent, 0 failed, 0 pending" in text
            assert worker.stop(signal.SIGTERM, timeout=10) == 0
        finally:
            worker.close()
        # A worker stopped cleanly unregisters: nothing is left to show.
        data = _status(home, *flags)
        assert (data["workers"], data["alive"]) == ([], 0)

        killed = _worker(home, config)
        try:
            killed.wait_ready()
            assert _status(home, *flags)["alive"] == 1
            killed.stop(signal.SIGKILL, timeout=10)
        finally:
            killed.close()
        started = time.monotonic()
        # Killed, its row stays with its last heartbeat; past the stalled timeout it is
        # shown as stopped responding (its jobs are then retried by the others).
        wait_until(lambda: _status(home, *flags)["workers"][0]["alive"] is False,
                   STALLED_AFTER_S + 15, "the stalled timeout")
        assert time.monotonic() - started >= STALLED_AFTER_S - 10 - 1  # heartbeat: 10 s
        data = _status(home, *flags)
        assert data["alive"] == 0 and len(data["workers"]) == 1
        # Not alive means older than the timeout; the JSON rounds to a tenth (30.04 → 30.0).
        assert data["workers"][0]["seconds_since_heartbeat"] >= STALLED_AFTER_S
        text = home.ok(*flags, "status", "--workers")
        assert "workers:      0 alive" in text and "stopped responding" in text
