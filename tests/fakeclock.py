"""The suite under a fake clock. `make test-clock` runs the tests that depend on the wall
clock under libfaketime at the instants that break such tests (CONTRIBUTING.md): the test
process and nudger's subprocesses then share one fake time, while the servers the tests
start (Dovecot, PostgreSQL, Radicale) keep the real one, as a user's servers would (Dovecot
stops answering under libfaketime)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

# libfaketime's variables.
FAKETIME_KEYS = ("LD_PRELOAD", "FAKETIME", "FAKETIME_DONT_RESET", "FAKETIME_NO_CACHE",
                 "FAKETIME_TIMESTAMP_FILE", "FAKETIME_CACHE_DURATION")
_RELATIVE = re.compile(r"([+-]\d+(?:\.\d+)?)([smhdy]?)(\s.*)?")


def clock_env(base: Mapping[str, str], own: Mapping[str, str]) -> dict[str, str]:
    """`base` (the test's environment) updated with `own`, the clock rules applied.

    A test that brings its own clock (LD_PRELOAD in `own`) gets only its own libfaketime
    keys: the suite's FAKETIME would otherwise win over a FAKETIME_TIMESTAMP_FILE. A
    relative clock of its own ("+0 x30") is relative to the real time; under a suite-wide
    fake clock it is rebased on the fake now, so the subprocess and the test agree on
    the date. Without a clock of its own, the subprocess inherits the suite's fake clock
    (FAKETIME_DONT_RESET keeps the moment, not the start)."""
    env = dict(base)
    if "LD_PRELOAD" in own:
        suite_clock = env.get("FAKETIME")
        for key in FAKETIME_KEYS:
            env.pop(key, None)
        env.update(own)
        relative = _RELATIVE.fullmatch(env.get("FAKETIME", ""))
        if suite_clock and relative:
            amount, unit, rest = relative.groups()
            seconds = float(amount) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400,
                                       "y": 365 * 86400}[unit]
            zone = ZoneInfo(env["TZ"]) if env.get("TZ") else None
            start = datetime.now(zone) + timedelta(seconds=seconds)
            env["FAKETIME"] = f"@{start:%Y-%m-%d %H:%M:%S}{rest or ''}"
        return env
    env.update(own)
    return env


def real_clock_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """`base` (default: this process's environment) without libfaketime: for a server the
    tests start, which keeps the real time whatever the suite's clock."""
    return {k: v for k, v in (os.environ if base is None else base).items()
            if k not in FAKETIME_KEYS}
