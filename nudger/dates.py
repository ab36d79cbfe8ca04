"""Dates and times as users type them: ISO, `today`, `yesterday`, `3 days ago`, `in 2 weeks`."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, tzinfo

from nudger.errors import UsageError

DATE_FORMS = "YYYY-MM-DD, today, yesterday, tomorrow, '3 days ago', 'in 2 weeks'"
_RELATIVE = re.compile(r"^(?:(in)\s+)?(\d{1,4})\s+(day|days|week|weeks)(?:\s+(ago))?$")


def parse_date(text: str, today: date, *, what: str = "date") -> date:
    """A calendar date; `today` is the user's local date, passed in (never read here)."""
    value = " ".join(text.strip().lower().split())
    if value == "today":
        return today
    if value == "yesterday":
        return today - timedelta(days=1)
    if value == "tomorrow":
        return today + timedelta(days=1)
    match = _RELATIVE.match(value)
    if match and (match.group(1) is None) != (match.group(4) is None):
        amount = int(match.group(2)) * (7 if match.group(3).startswith("week") else 1)
        return today - timedelta(days=amount) if match.group(4) else today + timedelta(days=amount)
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
