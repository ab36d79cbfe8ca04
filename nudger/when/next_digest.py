"""A seeker's next digest moment: pure, no clock reads, no database.

A seeker's own `timezone`, `digest_at` ("HH:MM") and `digest_days` ("mon,tue,...") win;
an empty one means config.toml's (`timezone`, `[digest] time`, `[digest] days`). The rule
itself is the single user's, `nudger.when.schedule.DigestClock`, so one seeker on a
database and the single-user daemon pick the same moments:

- a time inside a spring-forward gap is the instant the clocks jump to (a 02:30 digest on
  the day 02:00 becomes 03:00 goes out at 03:30 local, the first real instant after
  02:30 standard time), so the digest still goes out that day;
- a time inside a fall-back's repeated hour is its first occurrence (01:30 on the day
  02:00 becomes 01:00 is the 01:30 before the clocks go back), so it goes out once;
- holidays do not move a digest, as for the single user: it goes out on every listed day.

The parse functions here check the three fields as config.toml checks its own (a
did-you-mean for a zone, "HH:MM", weekday names) and raise ValueError saying what would be
valid; `nudger.track.seekers` turns that into the user's error.
"""

from __future__ import annotations

import difflib
import re
from datetime import UTC, datetime, time
from functools import lru_cache
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from nudger.vocab import WEEKDAYS
from nudger.when.schedule import DigestClock

if TYPE_CHECKING:
    from nudger.config import Settings


class SeekerClock(Protocol):
    """The fields of a seeker that say when its digest goes out ("" = config.toml's)."""

    @property
    def timezone(self) -> str: ...
    @property
    def digest_at(self) -> str: ...
    @property
    def digest_days(self) -> str: ...


@lru_cache(maxsize=1024)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def parse_zone(value: str) -> str:
    """An IANA zone name as given, or ValueError with the nearest name."""
    value = value.strip()
    try:
        if value:
            _zone(value)
        return value
    except (ZoneInfoNotFoundError, ValueError):
        pass
    from zoneinfo import available_timezones

    near = difflib.get_close_matches(value, sorted(available_timezones()), n=1)
    hint = f" (did you mean {near[0]!r}?)" if near else ""
    raise ValueError(f"{value!r} is not an IANA time zone name{hint}; write one like "
                     "\"America/Chicago\"")


def parse_at(value: str) -> str:
    """A 24-hour time as "HH:MM" ("7:30" → "07:30"), "" kept, or ValueError."""
    value = value.strip()
    if not value:
        return ""
    if not re.fullmatch(r"\d{1,2}:\d{2}", value):
        raise ValueError(f"{value!r} is not a 24-hour time; write one like \"07:30\"")
    hour, minute = (int(part) for part in value.split(":"))
    if hour > 23 or minute > 59:
        raise ValueError(f"{value!r} is not a time of day; write one between \"00:00\" "
                         "and \"23:59\"")
    return f"{hour:02d}:{minute:02d}"


def parse_days(value: str) -> str:
    """Weekday names separated by commas ("mon,tue"), lower-cased, repeats dropped, in the
    week's order; "" kept; ValueError naming the valid names otherwise."""
    value = value.strip()
    if not value:
        return ""
    given = [part.strip().lower() for part in value.split(",")]
    wrong = [part for part in given if part not in WEEKDAYS]
    if wrong:
        shown = ", ".join(repr(part) for part in wrong)
        raise ValueError(f"{shown} {'is not a weekday' if len(wrong) == 1 else 'are not weekdays'}"
                         f"; write days like \"mon,tue,wed\" from {','.join(WEEKDAYS)}")
    return ",".join(day for day in WEEKDAYS if day in given)


def clock_of(settings: Settings, seeker: SeekerClock) -> DigestClock:
    """The seeker's digest clock: its own fields over config.toml's."""
    zone = _zone(seeker.timezone) if seeker.timezone else settings.zone
    if seeker.digest_at:
        hour, minute = (int(part) for part in seeker.digest_at.split(":"))
        at = time(hour, minute)
    else:
        at = settings.digest.time
    days = tuple(seeker.digest_days.split(",")) if seeker.digest_days else tuple(
        settings.digest.days)
    return DigestClock(zone, at, days)


def next_digest_at(settings: Settings, seeker: SeekerClock, after: datetime) -> datetime:
    """The seeker's first digest moment strictly after the aware moment `after`, in UTC."""
    return clock_of(settings, seeker).next_after(after).astimezone(UTC)
