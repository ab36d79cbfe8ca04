"""Business days and due dates: weekends, US public holidays (through the holidays
package), observed holidays, month and year ends, a leap day, a Friday-Saturday weekend."""

from __future__ import annotations

from datetime import date

import pytest

from nudger.when.business import Calendar
from nudger.when.durations import parse_duration

US = Calendar("US")
PLAIN = Calendar()  # no country: weekends only
GULF = Calendar(None, None, ("fri", "sat"))


@pytest.mark.parametrize(
    ("day", "business"),
    [
        (date(2026, 11, 26), False),  # Thanksgiving (Thursday)
        (date(2026, 11, 27), True),  # the Friday after is a working day
        (date(2026, 11, 28), False),  # Saturday
        (date(2026, 7, 3), False),  # Independence Day observed (4 July 2026 is a Saturday)
        (date(2026, 7, 6), True),
        (date(2026, 12, 25), False),  # Christmas (Friday)
        (date(2027, 12, 31), False),  # New Year 2028 (a Saturday) observed on the Friday
        (date(2028, 2, 29), True),  # leap day, a Tuesday
        (date(2028, 2, 21), False),  # Washington's Birthday
    ],
)
def test_us_business_days(day: date, business: bool) -> None:
    assert US.is_business_day(day) is business


def test_no_country_means_weekends_only() -> None:
    assert not PLAIN.is_business_day(date(2026, 11, 28))
    assert PLAIN.is_business_day(date(2026, 11, 26))  # Thanksgiving, but no holiday table
    assert PLAIN.holiday_name(date(2026, 11, 26)) is None
    assert US.holiday_name(date(2026, 11, 26)) == "Thanksgiving Day"


@pytest.mark.parametrize(
    ("calendar", "start", "wait", "due"),
    [
        # Around a weekend: Thursday + 3 business days = Tuesday.
        (US, date(2026, 11, 12), "3 business days", date(2026, 11, 17)),
        # Over Thanksgiving: Wednesday + 1 business day skips Thursday = Friday.
        (US, date(2026, 11, 25), "1 business day", date(2026, 11, 27)),
        (PLAIN, date(2026, 11, 25), "1 business day", date(2026, 11, 26)),
        # From a weekend day: Saturday + 1 business day = Monday.
        (US, date(2026, 11, 28), "1 business day", date(2026, 11, 30)),
        # July 4th weekend 2026: Thursday 2 July + 1 business day jumps Fri 3 (observed).
        (US, date(2026, 7, 2), "1 business day", date(2026, 7, 6)),
        # Month end: Friday 30 October + 2 business days = Tuesday 3 November.
        (US, date(2026, 10, 30), "2 business days", date(2026, 11, 3)),
        # Year end: Christmas Friday, New Year Friday 2027.
        (US, date(2026, 12, 24), "3 business days", date(2026, 12, 30)),
        (US, date(2026, 12, 30), "2 business days", date(2027, 1, 4)),
        # Leap day: Friday 25 Feb 2028 + 2 business days = Tuesday 29 Feb.
        (US, date(2028, 2, 25), "2 business days", date(2028, 2, 29)),
        (US, date(2028, 2, 28), "1 day", date(2028, 2, 29)),
        (US, date(2028, 2, 28), "2 days", date(2028, 3, 1)),
        (US, date(2027, 2, 28), "1 day", date(2027, 3, 1)),
        # Calendar days ignore weekends and holidays; hours round up to whole days.
        (US, date(2026, 11, 25), "1 day", date(2026, 11, 26)),
        (US, date(2026, 12, 31), "1 week", date(2027, 1, 7)),
        (US, date(2026, 11, 25), "36 hours", date(2026, 11, 27)),
        (US, date(2026, 11, 25), "24 hours", date(2026, 11, 26)),
        (US, date(2026, 11, 25), "0 days", date(2026, 11, 25)),
        # A Friday-Saturday weekend: Thursday + 1 business day = Sunday.
        (GULF, date(2026, 11, 26), "1 business day", date(2026, 11, 29)),
    ],
)
def test_after(calendar: Calendar, start: date, wait: str, due: date) -> None:
    assert calendar.after(start, parse_duration(wait)) == due
    # The memo answers the same the second time.
    assert calendar.after(start, parse_duration(wait)) == due


@pytest.mark.parametrize(
    ("end", "before", "due"),
    [
        (date(2026, 11, 30), "2 business days", date(2026, 11, 25)),  # over Thanksgiving
        (date(2026, 12, 1), "3 days", date(2026, 11, 28)),
        (date(2028, 3, 1), "1 day", date(2028, 2, 29)),
        (date(2027, 1, 1), "2 days", date(2026, 12, 30)),
        (date(2027, 1, 4), "1 business day", date(2026, 12, 31)),
    ],
)
def test_before(end: date, before: str, due: date) -> None:
    assert US.before(end, parse_duration(before)) == due


def test_add_business_days_both_ways_round_trip_on_business_days() -> None:
    day = date(2026, 11, 20)
    for count in range(0, 40):
        later = US.add_business_days(day, count)
        assert US.add_business_days(later, -count) == day
        assert count == 0 or US.is_business_day(later)


def test_a_week_without_business_days_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one business day"):
        Calendar(None, None, ("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
