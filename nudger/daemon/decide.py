"""The daemon's decision, pure: given the settings, the moment and what the outbox has
recorded, send, skip or leave the digest of the latest digest day (docs/outbox.md, "The
daemon's clock"). No scheduler, database or clock here: tests call `decide` directly, and
nudger.daemon.digestpass acts on its answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from nudger.when.schedule import (
    digest_moment,
    is_digest_day,
    latest_digest_day,
    local_date,
    next_digest_at,
)

if TYPE_CHECKING:
    from nudger.config import Settings

# How often the interval job wakes ensure_digest: the longest a digest can be late after a
# resume from suspend or a clock jump. Each wake-up is one indexed SQLite read.
WAKE_EVERY = timedelta(minutes=5)


# --- the decision: a pure function of the settings, the moment and what is recorded -------

class Action(StrEnum):
    SEND = "send"  # the latest digest day is due, unrecorded, within catch_up: send it now
    SKIP = "skip"  # due and unrecorded, but catch_up has passed: record it as skipped
    WAIT = "wait"  # today's digest is still ahead
    NOTHING = "nothing"  # the latest digest day is already recorded; today is not one


@dataclass(frozen=True)
class Decision:
    action: Action
    local_date: date | None  # the digest day the action is about
    moment: datetime | None  # that day's digest moment
    next_at: datetime  # the next digest moment after `now`
    reason: str


def decide(settings: Settings, now: datetime,
           recorded: Callable[[date], str | None]) -> Decision:
    """What `ensure_digest` should do at the aware moment `now`.

    `recorded(day)` returns the outbox state of `day`'s digest (sent, sending, retry,
    failed, skipped...) or None when there is no record. Only the *latest* digest day whose
    moment has come is considered, so a machine that was off for a week sends at most one
    digest on start (today's, if due), never seven.
    """
    # In UTC: aware datetimes sharing a tzinfo subtract and compare by wall clock, which is
    # an hour off inside a fall-back's repeated hour.
    now = now.astimezone(UTC)
    next_at = next_digest_at(settings, now)
    today = local_date(now, settings)
    day = latest_digest_day(settings, now)
    if day is None:  # digest.days is never empty, so only a fortnight without one
        return Decision(Action.NOTHING, None, None, next_at, "no digest day has come yet")
    moment = digest_moment(settings, day)
    state = recorded(day)
    if state is not None:
        if day != today and is_digest_day(settings, today):
            return Decision(Action.WAIT, today, digest_moment(settings, today), next_at,
                            f"today's digest is due at {clock_words(next_at)}")
        return Decision(Action.NOTHING, day, moment, next_at,
                        f"the digest for {day} is already recorded ({state})")
    if day != today and recorded(today) is not None:
        # Today's digest went out early (`nudger digest --send`): an older one is history.
        return Decision(Action.NOTHING, today, digest_moment(settings, today), next_at,
                        f"today's digest is already recorded ({recorded(today)})")
    late = now - moment
    window = settings.digest.catch_up.as_timedelta()
    if late <= window:
        why = "due now" if late < WAKE_EVERY else f"catching up, {_span(late)} late"
        return Decision(Action.SEND, day, moment, next_at, why)
    return Decision(
        Action.SKIP, day, moment, next_at,
        f"missed by {_span(late)}, more than digest.catch_up ({settings.digest.catch_up}); "
        "not sent late",
    )


def clock_words(moment: datetime) -> str:
    """A moment as the log and systemd's status show it: "Tue 2026-12-08 07:30 EST"."""
    return moment.strftime("%a %Y-%m-%d %H:%M %Z")


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    if hours >= 48:
        return f"{hours // 24} days {hours % 24} h"
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"
