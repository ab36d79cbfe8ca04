"""When a digest is due. Pure functions of the settings and a moment; no clock reads.

A digest belongs to a *local date* in its zone. Its moment is the digest time on that date:
inside a DST fall-back's repeated hour it is the first occurrence (fold=0); inside a
spring-forward gap it is the instant the clocks jump to (02:30 that does not exist becomes
03:30), so every digest day has exactly one moment.

The rule is written once, over a `DigestClock` (zone, time, days): the single user's comes
from config.toml (`DigestClock.of(settings)`, what the `Settings` functions below use), a
seeker's from the seeker's own fields over the same defaults (`nudger.when.next_digest`).
Holidays do not move a digest: it goes out on every listed weekday, as `[digest] days` says.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING

from nudger.vocab import WEEKDAY_INDEX

if TYPE_CHECKING:
    from nudger.config import Settings


@dataclass(frozen=True)
class DigestClock:
    """Whose digest, when: a zone, a local time of day and the weekdays it goes out."""

    zone: tzinfo
    at: time
    days: tuple[str, ...]  # weekday names ("mon", ...), at least one

    @classmethod
    def of(cls, settings: Settings) -> DigestClock:
        return cls(settings.zone, settings.digest.time, tuple(settings.digest.days))

    def local_date(self, now: datetime) -> date:
        return now.astimezone(self.zone).date()

    def is_day(self, day: date) -> bool:
        return day.weekday() in {WEEKDAY_INDEX[d] for d in self.days}

    def moment(self, day: date) -> datetime:
        """The aware moment (in the zone) the digest of `day` is due, normalised through UTC
        so that a time in a DST gap lands on the real instant after the jump."""
        aware = datetime.combine(day, self.at).replace(tzinfo=self.zone, fold=0)
        return aware.astimezone(UTC).astimezone(self.zone)

    def next_after(self, after: datetime) -> datetime:
        """The first digest moment strictly after `after` (an aware datetime)."""
        # Compared in UTC: two datetimes with the same tzinfo compare by wall clock, fold
        # ignored, which is wrong inside a fall-back's repeated hour.
        after = after.astimezone(UTC)
        day = self.local_date(after)
        for offset in range(0, 15):
            candidate = day + timedelta(days=offset)
            if not self.is_day(candidate):
                continue
            moment = self.moment(candidate)
            if moment > after:
                return moment
        raise ValueError("the digest days name no weekday")  # validation prevents this

    def latest_day(self, now: datetime) -> date | None:
        """The most recent digest day whose moment is at or before `now` (within a
        fortnight)."""
        now = now.astimezone(UTC)  # see next_after
        day = self.local_date(now)
        for offset in range(0, 15):
            candidate = day - timedelta(days=offset)
            if self.is_day(candidate) and self.moment(candidate) <= now:
                return candidate
        return None


def local_date(now: datetime, settings: Settings) -> date:
    """The user's calendar date at the aware moment `now`."""
    return now.astimezone(settings.zone).date()


def is_digest_day(settings: Settings, day: date) -> bool:
    return DigestClock.of(settings).is_day(day)


def digest_moment(settings: Settings, day: date) -> datetime:
    """The aware moment the digest of `day` is due (normalised through UTC, so a time in a
    DST gap lands on the real instant after the jump)."""
    return DigestClock.of(settings).moment(day)


def next_digest_at(settings: Settings, after: datetime) -> datetime:
    """The first digest moment strictly after `after` (an aware datetime)."""
    return DigestClock.of(settings).next_after(after)


def latest_digest_day(settings: Settings, now: datetime) -> date | None:
    """The most recent digest day whose moment is at or before `now` (within a fortnight)."""
    return DigestClock.of(settings).latest_day(now)
