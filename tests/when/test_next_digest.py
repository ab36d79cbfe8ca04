"""A seeker's next digest moment (nudger.when.next_digest): the seeker's zone, time and
days over config.toml's, the single user's rule across DST, and properties over random
zones, times, days and moments (hypothesis)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nudger.config import Settings, parse_settings
from nudger.vocab import WEEKDAYS
from nudger.when import schedule
from nudger.when.next_digest import clock_of, next_digest_at, parse_at, parse_days, parse_zone


@dataclass
class Fields:
    timezone: str = ""
    digest_at: str = ""
    digest_days: str = ""


def config(zone: str = "America/Chicago", at: str = "07:30",
           days: str = '["mon","tue","wed","thu","fri"]') -> Settings:
    text = f'timezone = "{zone}"\n[digest]\ntime = "{at}"\ndays = {days}\n'
    return parse_settings(text, Path("/tmp/config.toml"))


CONFIG = config()


def test_empty_fields_are_the_configs_defaults() -> None:
    friday_noon = datetime(2026, 11, 27, 18, 0, tzinfo=UTC)  # 12:00 in Chicago
    moment = next_digest_at(CONFIG, Fields(), friday_noon)
    assert moment.tzinfo is UTC
    assert moment == datetime(2026, 11, 30, 13, 30, tzinfo=UTC)  # Monday 07:30 CST
    assert moment == schedule.next_digest_at(CONFIG, friday_noon).astimezone(UTC)


def test_the_seekers_own_zone_time_and_days_win() -> None:
    seeker = Fields("Europe/Berlin", "09:15", "sat")
    moment = next_digest_at(CONFIG, seeker, datetime(2026, 11, 27, 18, 0, tzinfo=UTC))
    assert moment.astimezone(ZoneInfo("Europe/Berlin")) == datetime(
        2026, 11, 28, 9, 15, tzinfo=ZoneInfo("Europe/Berlin"))
    # Only the time: the zone and the days stay config.toml's.
    moment = next_digest_at(CONFIG, Fields(digest_at="06:00"),
                            datetime(2026, 11, 27, 18, 0, tzinfo=UTC))
    assert moment == datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def test_strictly_after_a_digest_moment() -> None:
    at = datetime(2026, 11, 30, 13, 30, tzinfo=UTC)  # Monday's moment itself
    assert next_digest_at(CONFIG, Fields(), at) == at + timedelta(days=1)
    assert next_digest_at(CONFIG, Fields(), at - timedelta(microseconds=1)) == at


def test_a_0230_digest_on_a_spring_forward_day_goes_out_at_0330() -> None:
    # 2026-03-08 in New York: 02:00 EST becomes 03:00 EDT; 02:30 does not exist.
    seeker = Fields("America/New_York", "02:30", "sun")
    moment = next_digest_at(CONFIG, seeker, datetime(2026, 3, 7, 12, 0, tzinfo=UTC))
    assert moment == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    local = moment.astimezone(ZoneInfo("America/New_York"))
    assert (local.date(), local.time()) == (date(2026, 3, 8), time(3, 30))
    # The next one is a week later at 02:30 again.
    following = next_digest_at(CONFIG, seeker, moment)
    assert following.astimezone(ZoneInfo("America/New_York")).time() == time(2, 30)


def test_a_0130_digest_on_a_fall_back_day_goes_out_once_at_the_first_0130() -> None:
    # 2026-11-01 in New York: 02:00 EDT becomes 01:00 EST; 01:30 happens twice.
    seeker = Fields("America/New_York", "01:30", "sun")
    first = next_digest_at(CONFIG, seeker, datetime(2026, 10, 31, 12, 0, tzinfo=UTC))
    assert first == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT
    # Asked during the second 01:30 (EST), the next one is next Sunday's, not a repeat.
    second_0130 = datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
    assert next_digest_at(CONFIG, seeker, second_0130) == datetime(2026, 11, 8, 6, 30,
                                                                   tzinfo=UTC)


@pytest.mark.parametrize(("value", "expected"), [
    ("7:30", "07:30"), ("23:59", "23:59"), (" 00:00 ", "00:00"), ("", "")])
def test_parse_at(value: str, expected: str) -> None:
    assert parse_at(value) == expected


@pytest.mark.parametrize(("value", "message"), [
    ("24:00", "between \"00:00\" and \"23:59\""), ("7.30", "like \"07:30\""),
    ("730", "like \"07:30\""), ("07:60", "between")])
def test_parse_at_refuses(value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_at(value)


def test_parse_days() -> None:
    assert parse_days("Fri, mon,mon") == "mon,fri"
    assert parse_days("") == ""
    with pytest.raises(ValueError, match=r"'monday' is not a weekday.*mon,tue,wed"):
        parse_days("monday,tue")


def test_parse_zone() -> None:
    assert parse_zone("Europe/Paris") == "Europe/Paris"
    assert parse_zone("") == ""
    with pytest.raises(ValueError, match="did you mean 'Europe/Paris'"):
        parse_zone("Europe/Pariss")
    with pytest.raises(ValueError, match="like \"America/Chicago\""):
        parse_zone("../../etc/passwd")


# --- properties -------------------------------------------------------------------------

ZONES = ("UTC", "America/New_York", "America/Chicago", "Europe/Berlin", "Europe/London",
         "Australia/Lord_Howe", "Pacific/Chatham", "Asia/Kolkata", "America/Sao_Paulo",
         "America/St_Johns", "Asia/Tehran")
moments = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2035, 12, 31),
                       timezones=st.just(UTC))
clock_fields = st.builds(
    Fields,
    st.sampled_from(("", *ZONES)),
    st.one_of(st.just(""), st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23),
                                     st.sampled_from((0, 1, 15, 30, 45, 59)))),
    st.one_of(st.just(""), st.lists(st.sampled_from(WEEKDAYS), min_size=1, unique=True)
              .map(",".join)),
)


@given(clock_fields, moments)
@settings(max_examples=400, deadline=None)
def test_the_next_moment_is_the_first_digest_moment_after(seeker: Fields,
                                                          after: datetime) -> None:
    clock = clock_of(CONFIG, seeker)
    moment = next_digest_at(CONFIG, seeker, after)
    assert moment.tzinfo is UTC and moment > after
    local = moment.astimezone(clock.zone)
    assert clock.is_day(local.date())
    # Its wall time is the digest time, or (in a spring-forward gap) the instant the gap
    # ends, which is later by less than the gap.
    wall = datetime.combine(local.date(), clock.at)
    shown = local.replace(tzinfo=None)
    assert timedelta(0) <= shown - wall < timedelta(hours=2)
    if shown != wall:  # only in a gap: the wall time does not exist that day
        assert wall.replace(tzinfo=clock.zone).astimezone(UTC).astimezone(
            clock.zone).replace(tzinfo=None) != wall
    # No digest moment was skipped between `after` and it, and there is one per day.
    assert next_digest_at(CONFIG, seeker, moment - timedelta(microseconds=1)) == moment
    later = next_digest_at(CONFIG, seeker, moment)
    assert later.astimezone(clock.zone).date() > local.date()
    for day in range(1, (local.date() - after.astimezone(clock.zone).date()).days):
        between = after.astimezone(clock.zone).date() + timedelta(days=day)
        assert not clock.is_day(between) or clock.moment(between) <= after


@given(moments)
@settings(max_examples=200, deadline=None)
def test_a_seeker_without_fields_is_the_single_users_schedule(after: datetime) -> None:
    for zone in ("Europe/Berlin", "America/New_York"):
        settings_ = config(zone, "02:30", '["sun","mon"]')
        # Compared in UTC: by PEP 495 a moment in a repeated hour never equals one in
        # another zone.
        assert next_digest_at(settings_, Fields(), after) == schedule.next_digest_at(
            settings_, after).astimezone(UTC)
