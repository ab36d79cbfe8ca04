"""Fault trials on `nudger worker` beyond SIGKILL (tests/workers/test_run_faults.py): N
workers as real subprocesses against the real PostgreSQL cluster the tests start and the
project's SMTP server, each trial ending with the same check (`_exactly_once`): every
seeker has exactly one digest per date in the outbox, recorded as sent, and the relay saw
each seeker's digest once, under the row's Message-ID.

1. a worker frozen (SIGSTOP) in the middle of a send, past its lease, another taking the
   row over, then thawed (SIGCONT): it neither sends nor marks, and logs so;
2. the database restarted under running workers, one of them in the middle of a send: they
   reconnect (each heart-beats again) and the digest goes out once;
3. the relay down for an hour while the digest is due: every retry is recorded, the digest
   goes out once when the relay is back;
4. workers started at the same second: the digest claimed and sent once;
5. one worker's clock two minutes off (libfaketime on that subprocess only): it neither
   steals a live claim nor sends it again (leases are read against the database's clock).

The outbox reads leases and retry times against the database's clock, which keeps the real
time here; where an hour must pass, the trial moves the row's times back by it (as the
SIGKILL trials run a lease out) and gives the workers that moment's tick (the `nudger.tick`
job the periodic deferrer would have queued at that minute, its timestamp an hour on).

`make test` runs each once with 2 workers; `make test-full` (NUDGER_FULL_TRIALS=1) more
times with 4 workers (see each test's `trials`).
"""

from __future__ import annotations

import asyncio
import re
import signal
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from nudger.store.pgurl import parse
from tests import pgserver
from tests.conftest import Home, pg_database, trials
from tests.daemon_helpers import DaemonProcess, faketime_library, wait_until
from tests.smtpserver import SmtpServer
from tests.workers.test_run import _config

WORKERS = trials(full=4, representative=2)  # the workers each trial runs
STARTED = r"info: worker \S+ started on "


# --- the workers, the database and the check every trial ends with -------------------------

def _spawn(home: Home, config: Path, clock: str | None = None) -> DaemonProcess:
    """One `nudger worker`; `clock` a libfaketime offset for this subprocess only."""
    env = {"PGPASSWORD": pgserver.PASSWORD}
    if clock is not None:
        library = faketime_library()
        assert library is not None
        env.update({"LD_PRELOAD": library, "FAKETIME": clock})
    return DaemonProcess(home.root / "home", config, "worker", env=env)


def _sql(pg_cluster: Any, pg_url: str, sql: str) -> list[tuple[Any, ...]]:
    return pg_cluster.admin(sql, dbname=parse(pg_url).dbname)


def _row(pg_cluster: Any, pg_url: str) -> dict[str, Any] | None:
    """The one digest row (the single user's digest of today), or None before the claim."""
    if _sql(pg_cluster, pg_url, "SELECT to_regclass('digest')") == [(None,)]:
        return None  # the first worker is still creating the schema
    rows = _sql(pg_cluster, pg_url,
                "SELECT state, message_id, claimed_by, lease_until, attempts, seeker_id, "
                "local_date, next_attempt_at, last_error FROM digest")
    assert len(rows) <= 1, rows
    keys = ("state", "message_id", "claimed_by", "lease_until", "attempts", "seeker_id",
            "local_date", "next_attempt_at", "last_error")
    return dict(zip(keys, rows[0], strict=True)) if rows else None


def _state(pg_cluster: Any, pg_url: str) -> str | None:
    row = _row(pg_cluster, pg_url)
    return None if row is None else str(row["state"])


def _exactly_once(pg_cluster: Any, pg_url: str, server: SmtpServer) -> None:
    """Every seeker has exactly one digest per date in the outbox, sent; the relay saw each
    digest once, carrying its row's Message-ID, and nothing else."""
    seekers = {s for (s,) in _sql(pg_cluster, pg_url, "SELECT id FROM seeker WHERE enabled")}
    rows = _sql(pg_cluster, pg_url,
                "SELECT seeker_id, local_date, recipient, state, message_id FROM digest")
    per_day: dict[tuple[int, date], int] = defaultdict(int)
    for seeker, day, _, state, _ in rows:
        per_day[(seeker, day)] += 1
        assert state == "sent", rows
    assert per_day and all(n == 1 for n in per_day.values()), rows
    assert {seeker for seeker, _ in per_day} == seekers, (rows, seekers)
    seen: dict[str, list[str]] = defaultdict(list)
    for message in server.messages:
        for rcpt in message.rcpt_tos:
            seen[rcpt].append(message.message_id)
    expected: dict[str, list[str]] = defaultdict(list)
    for _, _, recipient, _, message_id in rows:
        expected[recipient].append(message_id)
    assert {r: sorted(ids) for r, ids in seen.items()} == \
        {r: sorted(ids) for r, ids in expected.items()}, (seen, rows)


def _stop_all(workers: list[DaemonProcess]) -> None:
    """SIGTERM each: every one exits 0, none left a traceback."""
    codes = [w.stop(signal.SIGTERM, timeout=15) for w in workers]
    assert codes == [0] * len(workers), [w.log for w in workers]
    for worker in workers:
        assert "Traceback" not in worker.log, worker.log


def _close_all(workers: list[DaemonProcess]) -> None:
    for worker in workers:
        if worker.proc.poll() is None:
            try:
                worker.send_signal(signal.SIGCONT)
            except ProcessLookupError:
                pass
        worker.close()


def _defer(pg_cluster: Any, pg_url: str, home: Home, task: str, **kwargs: Any) -> None:
    """Queue one of nudger's jobs as the workers' own deferrers do."""
    from nudger.workers.app import make_app
    from nudger.workers.tasks import QUEUE

    db = pg_database(pg_cluster, pg_url, home.root / "nudger.db")

    async def defer() -> None:
        app = make_app(db, pool_size=1)
        async with app.open_async():
            await app.configure_task(task, queue=QUEUE).defer_async(**kwargs)

    try:
        asyncio.run(defer())
    finally:
        db.dispose()


def _started(pg_cluster: Any, pg_url: str, workers: list[DaemonProcess]) -> None:
    """Wait for each worker's start (its first tick done; generous: a loaded machine takes
    long to start Python); on a timeout, say what the database sessions were waiting for."""
    for worker in workers:
        try:
            worker.wait_log(STARTED, timeout=90)
        except AssertionError as exc:
            sessions = pg_cluster.admin(
                "SELECT pid, application_name, state, wait_event_type, wait_event, "
                f"left(query, 200) FROM pg_stat_activity WHERE datname = "
                f"'{parse(pg_url).dbname}'")
            raise AssertionError(f"{exc}\nthe database's sessions: {sessions}") from None


def _running(workers: list[DaemonProcess]) -> None:
    for worker in workers:
        assert worker.proc.poll() is None, f"a worker exited:\n{worker.log}"


# --- 1. frozen past its lease --------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("trial", range(trials(full=10, representative=1)))
def test_a_worker_frozen_past_its_lease_neither_sends_nor_marks(
        home: Home, pg_cluster: Any, trial: int) -> None:
    pg_url = pg_cluster.url(pg_cluster.new_database())
    timeout = 3.0
    with SmtpServer("plain") as server:
        config = _config(home, server, pg_url, timeout=timeout)
        server.handler.stall = ("MAIL", 60.0)  # its MAIL is answered long after it wakes
        frozen = _spawn(home, config)
        workers = [frozen]
        try:
            wait_until(lambda: "MAIL" in server.verbs(), 60, "MAIL at the relay")
            frozen.send_signal(signal.SIGSTOP)
            stopped = time.monotonic()
            server.handler.stall = None
            row = _row(pg_cluster, pg_url)
            assert row is not None and row["state"] == "sending", row
            assert f":{frozen.pid}:" in row["claimed_by"]
            # Its lease runs out while it is frozen (smtp.timeout × 15 in real life).
            _sql(pg_cluster, pg_url,
                 "UPDATE digest SET lease_until = now() - interval '1 second'")
            workers += [_spawn(home, config) for _ in range(WORKERS - 1)]
            wait_until(lambda: _state(pg_cluster, pg_url) == "sent", 60, "the takeover's mark")
            taken = _row(pg_cluster, pg_url)
            assert taken is not None and f":{frozen.pid}:" not in taken["claimed_by"]
            # Frozen longer than its SMTP timeout: its wait for MAIL's answer is over when
            # it wakes, as after any long freeze (a suspended VM, a stopped container).
            time.sleep(max(0.0, timeout + 0.5 - (time.monotonic() - stopped)))
            frozen.send_signal(signal.SIGCONT)
            frozen.wait_log(r"warning: digest of \S+: \S+ may no longer mark it retry: its "
                            r"lease ran out and the row is now sent by "
                            + re.escape(taken["claimed_by"]), timeout=60)
            assert not frozen.log_matches(r"delivered"), frozen.log
            assert _row(pg_cluster, pg_url) == taken  # its mark changed nothing
            _started(pg_cluster, pg_url, workers[1:])
            _stop_all(workers)
        finally:
            _close_all(workers)
        assert [m.message_id for m in server.messages] == [taken["message_id"]]
        _exactly_once(pg_cluster, pg_url, server)


# --- 2. the database restarted -------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("trial", range(trials(full=5, representative=1)))
def test_workers_outlive_a_database_restart_and_send_once(
        home: Home, pg_cluster: Any, trial: int) -> None:
    pg_url = pg_cluster.url(pg_cluster.new_database())
    with SmtpServer("plain") as server:
        server.handler.pause_at = "MAIL"  # one worker is in the middle of the send
        config = _config(home, server, pg_url, timeout=30)
        workers = [_spawn(home, config) for _ in range(WORKERS)]
        try:
            _started(pg_cluster, pg_url, workers)
            wait_until(lambda: server.handler.paused >= 1, 60, "MAIL at the relay")
            assert _state(pg_cluster, pg_url) == "sending"
            # Down for a second, or long enough that a worker's first try to serve again
            # finds it still down.
            pg_cluster.restart(down=1.0 if trial % 2 == 0 else 3.0)
            [(back,)] = pg_cluster.admin("SELECT now()")
            server.handler.resume.set()  # the relay answers: the mark goes to the new server
            wait_until(lambda: _state(pg_cluster, pg_url) == "sent", 60, "the mark")
            # Each worker is back on the database: it heart-beats again (every 10 s).
            try:
                wait_until(lambda: _sql(pg_cluster, pg_url,
                                        "SELECT count(*) FROM procrastinate_workers WHERE "
                                        f"last_heartbeat > '{back.isoformat()}'")[0][0]
                           >= len(workers), 40, "every worker's heartbeat after the restart")
            except AssertionError as exc:
                raise AssertionError(f"{exc}\n" + "\n--- a worker's log ---\n".join(
                    w.log for w in workers)) from None
            _running(workers)
            for worker in workers:
                assert worker.log_matches(r"warning: worker \S+: lost the database \(.*\); "
                                          r"serving again in"), worker.log
            row = _row(pg_cluster, pg_url)
            assert row is not None and row["attempts"] == 1, row
            _stop_all(workers)
        finally:
            server.handler.resume.set()
            _close_all(workers)
        assert len(server.messages) == 1
        _exactly_once(pg_cluster, pg_url, server)


# --- 3. the relay down for an hour ---------------------------------------------------------

def _time_passes_to_the_retry(pg_cluster: Any, pg_url: str) -> timedelta:
    """Move the row's times back until its retry is due by the database's clock (the
    outbox's clock): how long that was."""
    [(gap,)] = _sql(pg_cluster, pg_url,
                    "SELECT next_attempt_at - now() + interval '1 second' FROM digest")
    gap = max(gap, timedelta(0))
    shift = f"interval '{gap.total_seconds():.6f} seconds'"
    _sql(pg_cluster, pg_url,
         f"UPDATE digest SET created_at = created_at - {shift}, updated_at = updated_at - "
         f"{shift}, next_attempt_at = next_attempt_at - {shift}")
    return gap


@pytest.mark.slow
@pytest.mark.parametrize("trial", range(trials(full=5, representative=1)))
def test_the_relay_down_for_an_hour_then_each_digest_sent_once(
        home: Home, pg_cluster: Any, trial: int) -> None:
    from nudger.workers.tasks import TICK

    pg_url = pg_cluster.url(pg_cluster.new_database())
    server = SmtpServer("plain").start()
    config = _config(home, server, pg_url)
    server.stop()  # the relay is down: its port refuses connections
    workers = [_spawn(home, config) for _ in range(WORKERS)]
    try:
        wait_until(lambda: _state(pg_cluster, pg_url) == "retry", 60, "the first failure")
        passed, failures = timedelta(0), 1
        while True:
            row = _row(pg_cluster, pg_url)
            assert row is not None and (row["state"], row["attempts"]) == ("retry", failures)
            assert "refused" in row["last_error"] or "connect" in row["last_error"], row
            gap = _time_passes_to_the_retry(pg_cluster, pg_url)
            passed += gap
            if passed >= timedelta(hours=1):
                server.start()  # the relay is back (on the same port)
            # That minute's tick, as the periodic deferrer queues it.
            now = datetime.now(UTC) + passed
            _defer(pg_cluster, pg_url, home, TICK, timestamp=int(now.timestamp()))
            if passed >= timedelta(hours=1):
                break
            failures += 1
            wait_until(lambda n=failures: (_row(pg_cluster, pg_url) or {}).get("attempts") == n
                       and _state(pg_cluster, pg_url) == "retry", 60, f"attempt {failures}")
        wait_until(lambda: _state(pg_cluster, pg_url) == "sent", 60, "the send")
        # An hour of doubling waits from one minute: 0, 1, 3, 7, 15, 31 min, then sent.
        assert failures >= 5
        row = _row(pg_cluster, pg_url)
        assert row is not None and row["attempts"] == failures + 1 and \
            row["next_attempt_at"] is None, row
        retry = r"warning: digest of \S+ \(seeker [^)]*\) retry: .*retrying at"
        retries = [line for w in workers for line in w.log_matches(retry)]
        assert len(retries) == failures, "\n".join(w.log for w in workers)
        time.sleep(1)  # nothing more goes out
        _stop_all(workers)
    finally:
        server.stop()
        _close_all(workers)
    assert len(server.messages) == 1
    _exactly_once(pg_cluster, pg_url, server)


# --- 4. started at the same second ---------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("trial", range(trials(full=10, representative=1)))
def test_workers_started_at_the_same_second_send_once(
        home: Home, pg_cluster: Any, trial: int) -> None:
    pg_url = pg_cluster.url(pg_cluster.new_database())
    with SmtpServer("plain") as server:
        config = _config(home, server, pg_url)
        workers = [_spawn(home, config) for _ in range(max(WORKERS, 2))]
        try:
            _started(pg_cluster, pg_url, workers)  # each ticked as it started
            wait_until(lambda: _state(pg_cluster, pg_url) == "sent", 60, "the mark")
            time.sleep(1)  # every worker had its chance at it
            delivered = [line for w in workers for line in w.log_matches(r"delivered \(")]
            assert len(delivered) == 1, delivered
            row = _row(pg_cluster, pg_url)
            assert row is not None and row["attempts"] == 1, row  # claimed once
            _stop_all(workers)
        finally:
            _close_all(workers)
        _exactly_once(pg_cluster, pg_url, server)


# --- 5. a clock two minutes off ------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.xdist_group("clock")  # libfaketime on a subprocess
@pytest.mark.parametrize("trial", range(trials(full=10, representative=1)))
def test_a_worker_two_minutes_off_steals_no_live_claim(
        home: Home, pg_cluster: Any, trial: int) -> None:
    from nudger.workers.tasks import SEND_BATCH

    if faketime_library() is None:
        pytest.skip("libfaketime is not installed (apt-get install faketime)")
    offset = "+120" if trial % 2 == 0 else "-120"  # ahead: the one that could steal
    pg_url = pg_cluster.url(pg_cluster.new_database())
    with SmtpServer("plain") as server:
        server.handler.pause_at = "MAIL"
        config = _config(home, server, pg_url, timeout=30)
        honest = _spawn(home, config)
        workers = [honest]
        try:
            wait_until(lambda: server.handler.paused >= 1, 60, "MAIL at the relay")
            # A live claim with a minute left by the database's clock: run out already by
            # the clock of a worker two minutes ahead.
            _sql(pg_cluster, pg_url,
                 "UPDATE digest SET lease_until = now() + interval '60 seconds'")
            held = _row(pg_cluster, pg_url)
            assert held is not None and f":{honest.pid}:" in held["claimed_by"]
            skewed = [_spawn(home, config, clock=offset) for _ in range(WORKERS - 1)]
            workers += skewed
            for worker in skewed:
                line = worker.wait_log(STARTED, timeout=90)  # its tick found nothing due
                stamp = datetime.strptime(line[:24], "%Y-%m-%d %H:%M:%S%z")
                off = (stamp - datetime.now(UTC)).total_seconds()
                assert abs(off - int(offset)) < 30, (offset, line)  # its clock is off
            # The queue runs a job at least once: the digest's job again, on the skewed.
            for _ in skewed:
                _defer(pg_cluster, pg_url, home, SEND_BATCH,
                       batch=[[held["seeker_id"], held["local_date"].isoformat()]])
            wait_until(lambda: _sql(pg_cluster, pg_url,
                                    "SELECT count(*) FROM procrastinate_jobs WHERE "
                                    "task_name = 'nudger.send_digests'")[0][0] == 1, 60,
                       "the skewed workers' jobs done (only the honest one's running)")
            assert _row(pg_cluster, pg_url) == held  # not taken over, not renewed
            for worker in skewed:
                assert not worker.log_matches(r"takes it over|delivered"), worker.log
            server.handler.resume.set()
            wait_until(lambda: _state(pg_cluster, pg_url) == "sent", 60, "the mark")
            row = _row(pg_cluster, pg_url)
            assert row is not None and row["claimed_by"] == held["claimed_by"]
            assert row["attempts"] == 1, row
            _stop_all(workers)
        finally:
            server.handler.resume.set()
            _close_all(workers)
        assert len(server.messages) == 1
        _exactly_once(pg_cluster, pg_url, server)
