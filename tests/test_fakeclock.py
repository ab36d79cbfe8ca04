"""The suite's clock rules for subprocesses (tests/fakeclock.py): under `make test-clock`
nudger's subprocesses share the suite's fake time, a test's own clock replaces it, and the
test servers keep the real time."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine

from tests.fakeclock import clock_env, real_clock_env

SUITE = {"PATH": "/usr/bin", "LD_PRELOAD": "/lib/libfaketime.so.1",
         "FAKETIME": "@2026-12-31 23:59:00", "FAKETIME_DONT_RESET": "1"}


def test_a_subprocess_without_a_clock_of_its_own_keeps_the_suites() -> None:
    env = clock_env(SUITE, {"HOME": "/h"})
    assert env == {**SUITE, "HOME": "/h"}


def test_a_clock_of_the_tests_own_replaces_the_suites() -> None:
    # A timestamp file loses to FAKETIME: the suite's FAKETIME must not stay behind.
    own = {"LD_PRELOAD": "/lib/libfaketime.so.1", "FAKETIME_TIMESTAMP_FILE": "/t/rc"}
    env = clock_env(SUITE, own)
    assert "FAKETIME" not in env and "FAKETIME_DONT_RESET" not in env
    assert env["FAKETIME_TIMESTAMP_FILE"] == "/t/rc" and env["PATH"] == "/usr/bin"
    absolute = clock_env(SUITE, {"LD_PRELOAD": "/l", "FAKETIME": "@2025-11-02 04:30:00 x400"})
    assert absolute["FAKETIME"] == "@2025-11-02 04:30:00 x400"


def test_a_relative_clock_is_rebased_on_the_suites_fake_now() -> None:
    own = {"LD_PRELOAD": "/l", "FAKETIME": "+0 x30", "TZ": "UTC"}
    with time_machine.travel(datetime(2026, 12, 31, 23, 59, 5, tzinfo=UTC), tick=False):
        env = clock_env(SUITE, own)
        assert env["FAKETIME"] == "@2026-12-31 23:59:05 x30"
        assert clock_env(SUITE, {**own, "FAKETIME": "+1h"})["FAKETIME"] == \
            "@2027-01-01 00:59:05"
    # Without a suite clock, a relative clock is left as the test wrote it.
    assert clock_env({"PATH": "/usr/bin"}, own)["FAKETIME"] == "+0 x30"


def test_the_test_servers_keep_the_real_time() -> None:
    assert real_clock_env(SUITE) == {"PATH": "/usr/bin"}
