"""Dates and times as users type them: ISO, `today`, `yesterday`, `3 days ago`, `in 2 weeks`."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, tzinfo

from nudger.errors import UsageError

DATE_FORMS = "YYYY-MM-DD, today, yesterday, tomorrow, '3 days ago', 'in 2 weeks'"
_RELATIVE = re.compile(r"^(?:(in)\s+)?(\d{1,4})\s+(day|days|week|weeks)(?:\s+(ago))?$")

# The dates nudger accepts, at every door (command line, imports, the database's own
# rows): far enough from date.min and date.max (0001-01-01, 9999-12-31) that adding the
# longest duration config.toml allows (ten years) can never overflow.
EARLIEST = date(1900, 1, 1)
LATEST = date(9000, 12, 31)
DATE_RANGE = f"{EARLIEST.isoformat()} to {LATEST.isoformat()}"


class DateRangeError(UsageError):
    """A date nudger can read but does not accept (outside EARLIEST..LATEST)."""


def in_range(day: date) -> bool:
    return EARLIEST <= day <= LATEST


def check_range(day: date, what: str, text: object = None) -> date:
    """`day` itself when nudger accepts it; otherwise a UsageError naming the value and
    the range."""
    if not EARLIEST <= day <= LATEST:
        shown = day.isoformat() if text is None else str(text)
        raise DateRangeError(f"{what} {shown!r} is out of range; nudger accepts dates from "
                         f"{DATE_RANGE}")
    return day


def parse_date(text: str, today: date, *, what: str = "date") -> date:
    """A calendar date within EARLIEST..LATEST; `today` is the user's local date, passed
    in (never read here)."""
    return check_range(_parse_date(text, today, what), what, text)


def _parse_date(text: str, today: date, what: str) -> date:
    value = " ".join(text.strip().lower().split())
    if value == "today":
        return today
    match = _RELATIVE.match(value)
    if value in ("yesterday", "tomorrow") or (
            match and (match.group(1) is None) != (match.group(4) is None)):
        if value == "yesterday":
            amount = -1
        elif value == "tomorrow":
            amount = 1
        else:
            assert match is not None
            amount = int(match.group(2)) * (7 if match.group(3).startswith("week") else 1)
            amount = -amount if match.group(4) else amount
        try:
            return today + timedelta(days=amount)
        except OverflowError:
            raise DateRangeError(f"{what} {text!r} is out of range; nudger accepts dates from "
                             f"{DATE_RANGE}") from None
    try:
        return date.fromisoformat(value)
    except ValueError:
        pass
    raise UsageError(f"{what} {text!r} is not a date; write {DATE_FORMS}")


def parse_datetime(text: str, today: date, zone: tzinfo, *, what: str = "time") -> datetime:
    """A local date and time (`2026-12-01 14:30`, `tomorrow 10:00`), returned zone-aware."""
    value = " ".join(text.strip().split())
    clock = time(9, 0)
    match = re.match(r"^(.*?)[ T](\d{1,2}):(\d{2})$", value)
    if match:
        hour, minute = int(match.group(2)), int(match.group(3))
        if hour > 23 or minute > 59:
            raise UsageError(f"{what} {text!r}: {hour}:{minute:02d} is not a time of day")
        clock = time(hour, minute)
        value = match.group(1)
    day = parse_date(value, today, what=what)
    return datetime.combine(day, clock, tzinfo=zone)
