"""Scenario 5: two daemons on one database, and CLI sends racing the daemon: one digest."""

from __future__ import annotations

import re
import signal
from datetime import date, timedelta

from tests.conftest import trials
from tests.e2e.conftest import World, wait_for

MORNING = "@2027-02-01 13:00:00"  # 08:00 in New York: today's 07:30 digest is due


def test_second_daemon_refuses_naming_the_first(world: World) -> None:
    first = world.spawn("run", faketime=MORNING)
    try:
        assert wait_for(lambda: len(world.server.messages) == 1, timeout=30), \
            first.stderr.read() if first.poll() is not None else "no digest"
        second = world.run("run", faketime=MORNING, timeout=30)
        assert second.returncode == 1
        assert re.search(rf"\b{first.pid}\b", second.stderr), second.stderr
        assert first.poll() is None  # the first one is untouched
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=15)
    assert first.returncode == 0
    assert len(world.server.messages) == 1


def test_cli_sends_racing_run_once(world: World) -> None:
    """Several processes at once, every day for a week (three days in `make test`): one
    message a day."""
    days = trials(full=7, representative=3)
    start = date(2027, 2, 8)
    for offset in range(days):
        day = start + timedelta(days=offset)
        moment = f"@{day.isoformat()} 13:00:00"
        procs = [world.spawn("digest", "--send", faketime=moment) for _ in range(3)]
        procs += [world.spawn("run", "--once", faketime=moment) for _ in range(2)]
        for proc in procs:
            proc.communicate(timeout=60)
    assert len(world.server.messages) == days
    assert len({m.message_id for m in world.server.messages}) == days
    assert world.integrity() == "ok"
