"""Business days, public holidays and due dates.

A `Calendar` knows the weekend and the holidays of one country (and region) through the
`holidays` package (cached on disk by `nudger.when.holidays`); nothing here reads the clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from nudger.vocab import WEEKDAY_INDEX
from nudger.when.durations import Duration


def shift(day: date, days: int) -> date:
    """`day` plus `days`, saturating at date.max / date.min instead of overflowing.

    nudger accepts dates up to 9000-12-31 only (nudger.when.dates), so every sum of an
    accepted date and a duration is exact; a row from elsewhere (9999-12-31 written with
    sqlite3) lands on date.max, which cadence.py reads as "never"."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.max if days > 0 else date.min


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
        if len(self.weekend) >= 7:
            raise ValueError("a calendar needs at least one business day a week")
        # Memos: the cadence asks the same few hundred (start, count) questions for tens of
        # thousands of applications. Holidays never change for a calendar's lifetime.
        self._holiday_years: dict[int, dict[date, str]] = {}
        self._business: dict[date, bool] = {}
        self._shifted: dict[tuple[date, int], date] = {}
        self._after: dict[tuple[date, int, str], date] = {}

    @classmethod
    def from_settings(cls, settings: Any) -> Calendar:
        table = settings.calendar
        return cls(table.holidays, table.region, table.weekend)

    def _holiday_names(self, year: int) -> dict[date, str]:
        """The holidays falling in `year`, date → name.

        Through `nudger.when.holidays` (the `holidays` package, cached on disk by its
        version). A holiday of one year can be observed in the next or the previous one
        (1 January 2028, a Saturday, is observed on Friday 31 December 2027 in the US), so
        the neighbouring years are asked too."""
        found = self._holiday_years.get(year)
        if found is None:
            found = {}
            if self.country:
                from nudger.when import holidays as holidaycache

                cache = holidaycache.default()
                for near in (year - 1, year, year + 1):
                    if date.min.year < near < date.max.year:
                        for day, name in cache.year(self.country, self.region, near).items():
                            if day.year == year:
                                found.setdefault(day, name)
            self._holiday_years[year] = found
        return found

    def is_holiday(self, day: date) -> bool:
        return day in self._holiday_names(day.year)

    def holiday_name(self, day: date) -> str | None:
        return self._holiday_names(day.year).get(day)

    def is_business_day(self, day: date) -> bool:
        known = self._business.get(day)
        if known is None:
            known = day.weekday() not in self.weekend and not self.is_holiday(day)
            self._business[day] = known
        return known

    def add_business_days(self, start: date, count: int) -> date:
        """The date `count` business days after `start` (before it, for a negative count).

        `start` itself need not be a business day: 1 business day after a Saturday is the
        Monday (or the Tuesday, when that Monday is a holiday)."""
        key = (start, count)
        found = self._shifted.get(key)
        if found is not None:
            return found
        step = timedelta(days=1 if count >= 0 else -1)
        day = start
        remaining = abs(count)
        while remaining:
            if day in (date.max, date.min):
                break  # the end of the calendar: saturate (see `shift`)
            day += step
            if self.is_business_day(day):
                remaining -= 1
        if len(self._shifted) > 200_000:  # a bound for a daemon that runs for years
            self._shifted.clear()
        self._shifted[key] = day
        return day

    def next_business_day(self, day: date) -> date:
        """`day` itself when it is a business day, else the next one."""
        while not self.is_business_day(day) and day < date.max:
            day += timedelta(days=1)
        return day

    def after(self, start: date, duration: Duration) -> date:
        """The date `duration` after `start`; hours round up to whole days."""
        key = (start, duration.amount, duration.unit)  # C-level hashing, unlike Duration's
        found = self._after.get(key)
        if found is not None:
            return found
        if duration.is_business:
            found = self.add_business_days(start, duration.amount)
        else:
            delta = duration.as_timedelta()
            found = shift(start, delta.days + (1 if delta.seconds else 0))
        if len(self._after) > 200_000:
            self._after.clear()
        self._after[key] = found
        return found

    def before(self, end: date, duration: Duration) -> date:
        """The date `duration` before `end`."""
        if duration.is_business:
            return self.add_business_days(end, -duration.amount)
        delta = duration.as_timedelta()
        return shift(end, -(delta.days + (1 if delta.seconds else 0)))

    def after_moment(self, start: datetime, duration: Duration) -> datetime:
        """A point in time `duration` after `start` (business days keep the time of day)."""
        if duration.is_business:
            day = self.add_business_days(start.date(), duration.amount)
            return datetime.combine(day, start.timetz())
        try:
            return start + duration.as_timedelta()
        except OverflowError:
            return datetime.max.replace(tzinfo=start.tzinfo)
