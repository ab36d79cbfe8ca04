"""SIGKILL trials on the workers' single-seeker flow: a worker killed at a point of the
send (anywhere in its first seconds: starting, ticking, claiming, composing; waiting for
the relay's answer to MAIL; in DATA; the instant the relay accepted, before the mark), its
lease run out, then a second worker started. Every trial ends with the day's digest sent
and recorded once, every message the relay saw carrying the row's one Message-ID, and a
second copy only when the first worker was killed after the relay accepted it.

`make test` runs each point once; `make test-full` (NUDGER_FULL_TRIALS=1) 30 times each
(120 trials). The other faults (a frozen worker, a database restart, the relay down for an
hour, workers started at once, a clock off) are in tests/workers/test_worker_faults.py."""

from __future__ import annotations

import random
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from nudger.store.pgurl import parse
from tests.conftest import Home, trials
from tests.daemon_helpers import DaemonProcess, wait_until
from tests.smtpserver import SmtpServer
from tests.workers.test_run import _config, _rows, _worker

POINTS = ("early", "mail", "data", "accepted")


def _kill_at(point: str, server: SmtpServer, home: Home, config: Path,
             seed: int) -> DaemonProcess:
    """Start a worker and SIGKILL it at `point`; it has exited when this returns."""
    handler = server.handler
    holder: list[DaemonProcess] = []
    if point == "accepted":
        handler.on_accept = lambda: holder[0].send_signal(signal.SIGKILL)
    elif point == "mail":
        handler.stall = ("MAIL", 30.0)
    elif point == "data":
        handler.hold_data = 30.0
    worker = _worker(home, config)
    holder.append(worker)
    try:
        if point == "early":
            # Somewhere in its first seconds: importing, connecting, ticking, claiming,
            # composing or sending, wherever the dice put it.
            wait_until(lambda: worker.log_matches(r"started on "), 90, "the worker's start")
            time.sleep(random.Random(seed).uniform(0.0, 1.5))
            worker.send_signal(signal.SIGKILL)
        elif point == "mail":
            wait_until(lambda: "MAIL" in server.verbs(), 90, "MAIL at the relay")
            worker.send_signal(signal.SIGKILL)
        elif point == "data":
            wait_until(lambda: handler.holding, 90, "the message in DATA")
            worker.send_signal(signal.SIGKILL)
        assert worker.proc.wait(timeout=30) == -signal.SIGKILL, worker.log
    finally:
        worker.close()
        handler.on_accept = None
        handler.stall = None
        handler.hold_data = 0
    return worker


@pytest.mark.slow
@pytest.mark.parametrize("point", POINTS)
@pytest.mark.parametrize("trial", range(trials(full=30, representative=1)))
def test_a_worker_killed_at_any_point_leaves_one_digest(
        home: Home, pg_cluster: Any, point: str, trial: int) -> None:
    pg_url = pg_cluster.url(pg_cluster.new_database())
    with SmtpServer("plain") as server:
        config = _config(home, server, pg_url, timeout=30)
        killed = _kill_at(point, server, home, config, seed=trial * 31 + len(point))
        before = [m.message_id for m in server.messages]
        # Its lease runs out (smtp.timeout × 15 in real life), and by then its heartbeat is
        # as old: a job it had fetched before claiming (the tick's 'pending' row) counts as
        # stalled and is retried by the next worker's tick.
        pg_cluster.admin("UPDATE digest SET lease_until = now() - interval '1 second' "
                         "WHERE state = 'sending'", dbname=parse(pg_url).dbname)
        pg_cluster.admin("UPDATE procrastinate_workers SET last_heartbeat = now() - "
                         "interval '5 minutes'", dbname=parse(pg_url).dbname)
        again = _worker(home, config)
        try:
            wait_until(lambda: [r[0] for r in _rows(pg_cluster, pg_url)] == ["sent"], 60,
                       "the digest recorded as sent")
            again.wait_log(r"info: worker \S+ started on ")  # its signal handlers are set
            assert again.stop() == 0
        finally:
            again.close()
        rows = _rows(pg_cluster, pg_url)
        assert len(rows) == 1, rows
        [(state, message_id, claimed_by, lease, _, _)] = rows
        assert state == "sent" and lease is None
        assert f":{again.pid}:" in claimed_by or f":{killed.pid}:" in claimed_by
        seen = [m.message_id for m in server.messages]
        assert set(seen) == {message_id}, (seen, message_id)
        if point == "accepted":
            assert before == [message_id] and len(seen) == 2  # the one duplicate possible
        elif point in ("mail", "data"):
            assert before == [] and len(seen) == 1
        else:
            assert len(seen) <= 2 and (len(seen) == 1 or before == [message_id])
