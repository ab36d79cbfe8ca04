"""Digest moments across weekdays and DST transitions."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from nudger.config import parse_settings
from nudger.when.schedule import digest_moment, is_digest_day, latest_digest_day, next_digest_at


def settings(zone: str, at: str = "07:30", days: str = '["mon","tue","wed","thu","fri"]'):
    text = f'timezone = "{zone}"\n[digest]\ntime = "{at}"\ndays = {days}\n'
    return parse_settings(text, Path("/tmp/config.toml"))


def test_weekend_is_not_a_digest_day() -> None:
    s = settings("America/Chicago")
    assert is_digest_day(s, date(2026, 11, 27))  # Friday
    assert not is_digest_day(s, date(2026, 11, 28))  # Saturday


def test_next_digest_skips_the_weekend() -> None:
    s = settings("America/Chicago")
    friday_noon = datetime(2026, 11, 27, 12, 0, tzinfo=ZoneInfo("America/Chicago"))
    nxt = next_digest_at(s, friday_noon)
    assert nxt.date() == date(2026, 11, 30) and nxt.time() == time(7, 30)


def test_spring_forward_gap_moves_to_the_real_instant() -> None:
    s = settings("Europe/Berlin", "02:30", '["sun"]')
    moment = digest_moment(s, date(2025, 3, 30))
    assert moment.astimezone(UTC) == datetime(2025, 3, 30, 1, 30, tzinfo=UTC)
    assert moment.time() == time(3, 30)


def test_fall_back_repeated_hour_is_the_first_occurrence() -> None:
    s = settings("Europe/Berlin", "02:30", '["sun"]')
    moment = digest_moment(s, date(2025, 10, 26))
    assert moment.astimezone(UTC) == datetime(2025, 10, 26, 0, 30, tzinfo=UTC)


def test_latest_digest_day() -> None:
    s = settings("America/New_York")
    before = datetime(2026, 11, 30, 7, 0, tzinfo=ZoneInfo("America/New_York"))  # Monday 07:00
    after = datetime(2026, 11, 30, 8, 0, tzinfo=ZoneInfo("America/New_York"))
    assert latest_digest_day(s, before) == date(2026, 11, 27)
    assert latest_digest_day(s, after) == date(2026, 11, 30)
