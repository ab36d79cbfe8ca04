"""Scenario 1: kill -9 at random moments of a digest run, fifty times and more
(`make test-full`; `make test` runs 8, each window twice).

Four windows, each entered without any hook in nudger itself:
- before the outbox record: the test holds the database's write lock, so nudger is stuck
  before it can record the day (or still starting up);
- after the record, before DATA: the server stalls on MAIL;
- during DATA: the server holds the message before accepting it;
- accepted but not marked: the server accepts, and at that instant the test takes the
  write lock, so nudger cannot mark the record 'sent'.
After each kill a clean `nudger run --once` recovers. Every local date's digest must arrive
at least once; a second copy only after the accepted-but-unmarked window, with the same
Message-ID; and the database passes `PRAGMA integrity_check` after every trial.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta

import pytest

from tests.conftest import trials
from tests.e2e.conftest import LockOnAccept, World, kill9, wait_for, write_lock

TRIALS = trials(full=52, representative=8)
WINDOWS = ("before-record", "before-data", "during-data", "accepted-unmarked")
FIRST = date(2027, 1, 4)


def fake_morning(day: date, minute: int = 0) -> str:
    # 13:xx UTC is 08:xx in New York in winter: after the 07:30 digest, inside catch-up.
    return f"@{day.isoformat()} 13:{minute:02d}:00"


@pytest.mark.slow
def test_kill_minus_nine_never_loses_a_digest(world: World) -> None:
    rng = random.Random(20261126)
    server = world.server
    handler = server.handler
    windows: dict[str, str] = {}
    for trial in range(TRIALS):
        day = FIRST + timedelta(days=trial)
        window = WINDOWS[trial % len(WINDOWS)]
        windows[day.isoformat()] = window
        jitter = rng.uniform(0.0, 0.4)
        if window == "before-record":
            with write_lock(world.db):
                proc = world.spawn("run", "--once", faketime=fake_morning(day))
                wait_for(lambda: False, timeout=0.3 + jitter)
                kill9(proc)
        elif window == "before-data":
            handler.stall = ("MAIL", 30.0)
            proc = world.spawn("run", "--once", faketime=fake_morning(day))
            assert wait_for(lambda: "MAIL" in server.verbs()[-3:], timeout=30)
            wait_for(lambda: False, timeout=jitter / 4)
            kill9(proc)
            handler.stall = None
        elif window == "during-data":
            handler.hold_data = 30.0
            proc = world.spawn("run", "--once", faketime=fake_morning(day))
            assert wait_for(lambda: handler.holding, timeout=30)
            wait_for(lambda: False, timeout=jitter / 4)
            kill9(proc)
            handler.hold_data = 0.0
        else:
            lock = LockOnAccept(world.db)
            handler.on_accept = lock
            proc = world.spawn("run", "--once", faketime=fake_morning(day))
            try:
                assert lock.accepted.wait(timeout=30)
                wait_for(lambda: False, timeout=0.1 + jitter / 4)
                kill9(proc)
            finally:
                handler.on_accept = None
                lock.release()
        server.commands.clear()
        assert world.integrity() == "ok", f"trial {trial} ({window})"
        # A clean run later that morning recovers whatever the kill left.
        recovered = world.run("run", "--once", faketime=fake_morning(day, 5))
        assert recovered.returncode == 0, recovered.stderr
        assert world.integrity() == "ok"

    outbox = world.digests()
    day_of = {message_id: day for day, (_, message_id) in outbox.items()}
    by_date: dict[str, list[str]] = defaultdict(list)
    for message in server.messages:
        assert message.message_id in day_of, f"unknown Message-ID {message.message_id}"
        by_date[day_of[message.message_id]].append(message.message_id)
    for offset in range(TRIALS):
        day = (FIRST + timedelta(days=offset)).isoformat()
        assert outbox[day][0] == "sent", (day, outbox[day])
        ids = by_date[day]
        assert ids, f"{day} ({windows[day]}): the digest never arrived"
        if windows[day] == "accepted-unmarked":
            # The server has it but the record does not say so: the one resend allowed,
            # with the same Message-ID (which also proves the window was really hit).
            assert len(ids) == 2, f"{day}: {len(ids)} copies after an accepted-unmarked kill"
        else:
            assert len(ids) == 1, f"{day}: {len(ids)} copies after a kill {windows[day]}"
