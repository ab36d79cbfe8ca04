"""The suite's shared moments and its one frozen clock.

Tests never read the real clock for what they assert: they name a moment from here and
freeze time there (`frozen`), or pass `today`/`now` to library code. A test that needs its
own moment (a holiday, a DST night, an effort day) names it beside the test and says why.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import time_machine

CHICAGO = ZoneInfo("America/Chicago")  # the suite's usual config.toml timezone

DAY = date(2026, 11, 24)  # a Tuesday, no US holiday near: the digest tests' day
NOW = datetime(2026, 11, 24, 13, 30, tzinfo=UTC)  # 07:30 in Chicago: its digest time
MONDAY_NOW = datetime(2026, 11, 30, 10, 0, tzinfo=CHICAGO)  # a working Monday morning


@contextmanager
def frozen(moment: datetime = NOW) -> Iterator[None]:
    """Time stands still at `moment` (time-machine: every clock Python reads)."""
    with time_machine.travel(moment, tick=False):
        yield
