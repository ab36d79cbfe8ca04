"""Durations as users write them; anything else is refused with the valid forms."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from nudger.config import parse_settings
from nudger.errors import ConfigError
from nudger.when.durations import Duration, parse_duration


@pytest.mark.parametrize(
    ("text", "amount", "unit"),
    [
        ("3 days", 3, "days"),
        ("1 day", 1, "days"),
        ("2 business days", 2, "business_days"),
        ("1 business day", 1, "business_days"),
        ("5 working days", 5, "business_days"),
        ("1 week", 1, "weeks"),
        ("2 weeks", 2, "weeks"),
        ("36 hours", 36, "hours"),
        ("90 minutes", 90, "minutes"),
        ("  2   Business   Days ", 2, "business_days"),
        ("0 days", 0, "days"),
        ("3660 days", 3660, "days"),
    ],
)
def test_valid(text: str, amount: int, unit: str) -> None:
    assert parse_duration(text) == Duration(amount, unit)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    ["", "3", "days", "three days", "3 fortnights", "-3 days", "3.5 days", "3 days later",
     "1 business", "3661 days", "600 weeks", "9999999 days"],
)
def test_invalid(text: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_duration(text)
    message = str(info.value)
    assert repr(text) in message
    assert "'3 days'" in message or "ten years" in message


def test_str_and_timedelta() -> None:
    assert str(parse_duration("1 business day")) == "1 business day"
    assert str(parse_duration("3 business days")) == "3 business days"
    assert parse_duration("36 hours").as_timedelta() == timedelta(hours=36)
    assert parse_duration("2 weeks").as_timedelta() == timedelta(days=14)
    with pytest.raises(ValueError, match="calendar"):
        parse_duration("2 business days").as_timedelta()


def test_a_bad_duration_in_config_names_key_and_value(tmp_path: Path) -> None:
    text = ('[[cadence]]\nstage = "applied"\nsteps = [\n'
            '  { wait = "3 bizness days", action = "email" },\n]\n')
    with pytest.raises(ConfigError) as info:
        parse_settings(text, tmp_path / "config.toml")
    message = str(info.value)
    assert "config.toml:4" in message
    assert "wait" in message and "3 bizness days" in message
    assert "'2 business days'" in message
