"""Durations as users write them in config.toml and on the command line.

`3 days`, `2 business days`, `1 week`, `36 hours`, `2 weeks`, `90 minutes`. Anything else is
rejected with the forms that are valid. Business days cannot be turned into a timedelta on
their own: they need a calendar (see `nudger.when.business`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

Unit = Literal["minutes", "hours", "days", "business_days", "weeks"]

_UNITS: dict[str, Unit] = {
    "minute": "minutes",
    "minutes": "minutes",
    "min": "minutes",
    "mins": "minutes",
    "hour": "hours",
    "hours": "hours",
    "h": "hours",
    "day": "days",
    "days": "days",
    "d": "days",
    "business day": "business_days",
    "business days": "business_days",
    "working day": "business_days",
    "working days": "business_days",
    "week": "weeks",
    "weeks": "weeks",
    "w": "weeks",
}

_PATTERN = re.compile(r"^\s*(\d{1,6})\s*([a-z]+(?:\s+[a-z]+)?)\s*$", re.IGNORECASE)

VALID_FORMS = "'3 days', '2 business days', '1 week', '36 hours', '90 minutes'"

# Ten years, in each unit: longer is a typo (and would overflow date arithmetic).
_LIMITS: dict[Unit, int] = {"minutes": 3660 * 24 * 60, "hours": 3660 * 24, "days": 3660,
                            "business_days": 2610, "weeks": 522}


@dataclass(frozen=True, slots=True)
class Duration:
    """An amount of a unit. `business_days` need a calendar to resolve."""

    amount: int
    unit: Unit

    @property
    def is_business(self) -> bool:
        return self.unit == "business_days"

    def as_timedelta(self) -> timedelta:
        """The fixed-length equivalent; business days raise (they depend on the calendar)."""
        if self.unit == "minutes":
            return timedelta(minutes=self.amount)
        if self.unit == "hours":
            return timedelta(hours=self.amount)
        if self.unit == "days":
            return timedelta(days=self.amount)
        if self.unit == "weeks":
            return timedelta(weeks=self.amount)
        raise ValueError("business days depend on the calendar; use nudger.when.business")

    def __str__(self) -> str:
        name = self.unit.replace("_", " ")
        if self.amount == 1:
            name = name[:-1]
        return f"{self.amount} {name}"


def parse_duration(text: str) -> Duration:
    """Parse `3 business days` and friends; ValueError names the valid forms."""
    match = _PATTERN.match(text)
    unit = _UNITS.get(" ".join(match.group(2).lower().split())) if match else None
    if match is None or unit is None:
        raise ValueError(f"{text!r} is not a duration; write it like {VALID_FORMS}")
    amount = int(match.group(1))
    if amount > _LIMITS[unit]:
        raise ValueError(
            f"{text!r} is longer than ten years ({_LIMITS[unit]} {unit.replace('_', ' ')} at "
            "most); write something like '3 days' or '2 business days'"
        )
    return Duration(amount, unit)
