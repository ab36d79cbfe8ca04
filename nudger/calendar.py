"""Business days, public holidays and due dates.

A `Calendar` knows the weekend and the holidays of one country (and region) through the
`holidays` package; nothing here reads the clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Any

from nudger.durations import Duration

WEEKDAY_INDEX = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


class Calendar:
    def __init__(
        self,
        country: str | None = None,
        region: str | None = None,
        weekend: Iterable[str] = ("sat", "sun"),
    ) -> None:
        self.country = country
        self.region = region
        self.weekend = frozenset(WEEKDAY_INDEX[d] for d in weekend)
        self._years: set[int] = set()

    @classmethod
    def from_settings(cls, settings: Any) -> Calendar:
        table = settings.calendar
        return cls(table.holidays, table.region, table.weekend)

    @cached_property
    def _holidays(self) -> Any:
        if not self.country:
            return None
        import holidays

        return holidays.country_holidays(self.country, subdiv=self.region)

    def is_holiday(self, day: date) -> bool:
        table = self._holidays
        return table is not None and day in table

    def holiday_name(self, day: date) -> str | None:
        table = self._holidays
        return None if table is None else table.get(day)

    def is_business_day(self, day: date) -> bool:
        return day.weekday() not in self.weekend and not self.is_holiday(day)

    def add_business_days(self, start: date, count: int) -> date:
        """The date `count` business days after `start` (before it, for a negative count)."""
        step = 1 if count >= 0 else -1
        day = start
        remaining = abs(count)
        while remaining:
            day += timedelta(days=step)
            if self.is_business_day(day):
                remaining -= 1
        return day

    def next_business_day(self, day: date) -> date:
        """`day` itself when it is a business day, else the next one."""
        while not self.is_business_day(day):
            day += timedelta(days=1)
        return day

    def after(self, start: date, duration: Duration) -> date:
        """The date `duration` after `start`; hours round up to whole days."""
        if duration.is_business:
            return self.add_business_days(start, duration.amount)
        delta = duration.as_timedelta()
        days = delta.days + (1 if delta.seconds or delta.microseconds else 0)
        return start + timedelta(days=days)

    def before(self, end: date, duration: Duration) -> date:
        """The date `duration` before `end`."""
        if duration.is_business:
            return self.add_business_days(end, -duration.amount)
        delta = duration.as_timedelta()
        days = delta.days + (1 if delta.seconds or delta.microseconds else 0)
        return end - timedelta(days=days)

    def after_moment(self, start: datetime, duration: Duration) -> datetime:
        """A point in time `duration` after `start` (business days keep the time of day)."""
        if duration.is_business:
            day = self.add_business_days(start.date(), duration.amount)
            return datetime.combine(day, start.timetz())
        return start + duration.as_timedelta()
