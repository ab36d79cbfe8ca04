"""When a digest is due. Pure functions of the settings and a moment; no clock reads.

A digest belongs to a *local date* in the configured zone. Its moment is `digest.time` on
that date: inside a DST fall-back's repeated hour it is the first occurrence (fold=0);
inside a spring-forward gap it is the instant the clocks jump to (02:30 that does not
exist becomes 03:30), so every digest day has exactly one moment.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from nudger.config import Settings
from nudger.vocab import WEEKDAY_INDEX


def local_date(now: datetime, settings: Settings) -> date:
    """The user's calendar date at the aware moment `now`."""
    return now.astimezone(settings.zone).date()


def is_digest_day(settings: Settings, day: date) -> bool:
    return day.weekday() in {WEEKDAY_INDEX[d] for d in settings.digest.days}


def digest_moment(settings: Settings, day: date) -> datetime:
    """The aware moment the digest of `day` is due (normalised through UTC, so a time in a
    DST gap lands on the real instant after the jump)."""
    naive = datetime.combine(day, settings.digest.time)
    aware = naive.replace(tzinfo=settings.zone, fold=0)
    return aware.astimezone(UTC).astimezone(settings.zone)


def next_digest_at(settings: Settings, after: datetime) -> datetime:
    """The first digest moment strictly after `after` (an aware datetime)."""
    # Compared in UTC: two datetimes with the same tzinfo compare by wall clock, fold
    # ignored, which is wrong inside a fall-back's repeated hour.
    after = after.astimezone(UTC)
    day = local_date(after, settings)
    for offset in range(0, 15):
        candidate = day + timedelta(days=offset)
        if not is_digest_day(settings, candidate):
            continue
        moment = digest_moment(settings, candidate)
        if moment > after:
            return moment
    raise ValueError("digest.days names no weekday")  # config validation prevents this


def latest_digest_day(settings: Settings, now: datetime) -> date | None:
    """The most recent digest day whose moment is at or before `now` (within a fortnight)."""
    now = now.astimezone(UTC)  # see next_digest_at
    day = local_date(now, settings)
    for offset in range(0, 15):
        candidate = day - timedelta(days=offset)
        if is_digest_day(settings, candidate) and digest_moment(settings, candidate) <= now:
            return candidate
    return None
