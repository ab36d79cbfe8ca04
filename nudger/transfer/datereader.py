"""Dates in a CSV file: ISO, month names, spreadsheet serial numbers, and day/month orders
only when the user says which (`--date-format`), never guessed."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from nudger.errors import UsageError
from nudger.when.dates import DATE_RANGE, in_range

_MONTHS: dict[str, int] = {}
for _i, _names_m in enumerate((
    ("jan", "january", "januar", "janvier", "jän"), ("feb", "february", "februar", "février"),
    ("mar", "march", "märz", "mars", "mär"), ("apr", "april", "avril"),
    ("may", "mai"), ("jun", "june", "juni", "juin"), ("jul", "july", "juli", "juillet"),
    ("aug", "august", "août"), ("sep", "sept", "september", "septembre"),
    ("oct", "october", "oktober", "octobre", "okt"), ("nov", "november", "novembre"),
    ("dec", "december", "dezember", "décembre", "dez"),
), start=1):
    for _m in _names_m:
        _MONTHS[_m] = _i
_WEEKDAYS = {"mon", "monday", "tue", "tues", "tuesday", "wed", "wednesday", "thu", "thur",
             "thurs", "thursday", "fri", "friday", "sat", "saturday", "sun", "sunday"}
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
                  r"(?:Z|[+-]\d{2}:?\d{2})?)?$")
_YMD = re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})$")
_NUMERIC = re.compile(r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})$")
_SERIAL = re.compile(r"^\d{5}(?:\.\d+)?$")
_EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 is 1900-01-01 given Lotus's 1900 leap day
_ORDERS = {"dmy": "day/month/year", "mdy": "month/day/year", "ymd": "year/month/day"}
DATE_FORMS = ("2026-11-20, 2026/11/20, 20 Nov 2026, Nov 20, 2026, or a spreadsheet date "
              "number")


class DateReader:
    """Reads the dates of one file. `fmt` is a strptime format (`%d.%m.%Y`) or one of
    `dmy`, `mdy`, `ymd` (any of / . - between the numbers); day/month orders are read only
    when it says which, never guessed, even where a value like 11/15 could only be one."""

    def __init__(self, fmt: str | None) -> None:
        self.fmt = fmt.strip() if fmt else None
        self.order: str | None = None
        if self.fmt is None:
            return
        lowered = self.fmt.lower().replace("/", "").replace(".", "").replace("-", "")
        if lowered in _ORDERS:
            self.order = lowered
        elif lowered in ("ddmmyyyy", "ddmmyy"):
            self.order = "dmy"
        elif lowered in ("mmddyyyy", "mmddyy"):
            self.order = "mdy"
        elif "%" not in self.fmt or not (
            "%d" in self.fmt and ("%m" in self.fmt or "%b" in self.fmt or "%B" in self.fmt)
            and ("%Y" in self.fmt or "%y" in self.fmt)
        ):
            raise UsageError(
                f"--date-format {self.fmt!r}: write a strptime format with day, month and "
                "year, like %d.%m.%Y or %m/%d/%Y, or one of dmy, mdy, ymd"
            )

    def describe(self) -> str:
        return self.order or self.fmt or ""

    def __call__(self, text: str) -> date | None:
        """The date in `text` (None when empty); ValueError says what would be valid."""
        value = text.strip()
        if not value:
            return None
        match = _ISO.match(value)
        if match:
            return self._make(value, int(match[1]), int(match[2]), int(match[3]))
        match = _YMD.match(value)
        if match:
            return self._make(value, int(match[1]), int(match[2]), int(match[3]))
        numeric = _NUMERIC.match(value)
        if self.fmt is not None:
            if self.order is not None:
                if numeric:
                    a, b, c = int(numeric[1]), int(numeric[3]), numeric[4]
                    year = int(c) if len(c) == 4 else 2000 + int(c)
                    if self.order == "dmy":
                        return self._make(value, year, b, a)
                    if self.order == "mdy":
                        return self._make(value, year, a, b)
            else:
                try:
                    return self._check_year(value, datetime.strptime(value, self.fmt).date())
                except ValueError:
                    if numeric or re.fullmatch(r"[\d\s./\-]+", value):
                        raise ValueError(
                            f"{value!r} does not match --date-format {self.fmt} or is not a "
                            f"real date; write it like {date(2026, 11, 3).strftime(self.fmt)}"
                        ) from None
        if numeric:
            a, b = int(numeric[1]), int(numeric[3])
            sep = numeric[2]
            if a > 12 and b <= 12:
                hint = f"it reads as day{sep}month (no month {a}): pass --date-format dmy"
            elif b > 12 and a <= 12:
                hint = f"it reads as month{sep}day (no month {b}): pass --date-format mdy"
            else:
                hint = (f"could be {a} {_month_name(b)} or {_month_name(a)} {b}: pass "
                        f"--date-format dmy (%d{sep}%m{sep}%Y) or mdy (%m{sep}%d{sep}%Y)")
            raise ValueError(
                f"{value!r} is in day/month order and nudger never guesses which; {hint}"
            )
        if _SERIAL.match(value):
            serial = float(value)
            if not 20_000 <= serial <= 80_000:
                raise ValueError(f"{value!r} is a number but not a spreadsheet date between "
                                 f"1954 and 2119; write a date like {DATE_FORMS}")
            return _EXCEL_EPOCH + timedelta(days=int(serial))
        named = self._named(value)
        if named is not None:
            return named
        raise ValueError(f"{value!r} is not a date nudger can read; write {DATE_FORMS}, or "
                         "pass --date-format (e.g. %d.%m.%Y) for day/month orders")

    def _named(self, value: str) -> date | None:
        """Dates with a month name: `Nov 4, 2026`, `4 November 2026`, `04-Nov-26`."""
        tokens = [t for t in re.split(r"[\s,./\-]+", value.casefold()) if t]
        tokens = [t for t in tokens if t not in _WEEKDAYS]
        month_at = [i for i, t in enumerate(tokens) if t.rstrip(".") in _MONTHS]
        if len(tokens) != 3 or len(month_at) != 1:
            return None
        month = _MONTHS[tokens[month_at[0]].rstrip(".")]
        numbers = [re.sub(r"(st|nd|rd|th|er)$", "", t) for i, t in enumerate(tokens)
                   if i != month_at[0]]
        if not all(n.isdigit() for n in numbers):
            return None
        if len(numbers[0]) == 4:  # 2026 Nov 4
            year_text, day_text = numbers
        else:
            day_text, year_text = numbers
        if len(year_text) not in (2, 4) or len(day_text) > 2:
            return None
        year = int(year_text) if len(year_text) == 4 else 2000 + int(year_text)
        return self._make(value, year, month, int(day_text))

    def _make(self, text: str, year: int, month: int, day: int) -> date:
        try:
            value = date(year, month, day)
        except ValueError:
            if not 1 <= month <= 12:
                raise ValueError(f"{text!r} is not a real date (there is no month {month})"
                                 ) from None
            if not 1 <= year <= 9998:
                raise ValueError(f"{text!r}: the year {year} is out of range; write a date "
                                 f"like {DATE_FORMS}") from None
            last = (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)).day
            raise ValueError(f"{text!r} is not a real date ({_month_name(month)} {year} "
                             f"has {last} days)") from None
        return self._check_year(text, value)

    @staticmethod
    def _check_year(text: str, value: date) -> date:
        if not in_range(value):
            raise ValueError(f"{text!r}: the year {value.year} is out of range; nudger "
                             f"accepts dates from {DATE_RANGE}")
        return value


def _month_name(month: int) -> str:
    return date(2000, month, 1).strftime("%B") if 1 <= month <= 12 else f"month {month}"
