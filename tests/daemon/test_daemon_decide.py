"""decide(): what ensure_digest does at a moment, as a pure function of settings, the
moment and the outbox's records. Across digest time, weekends, catch-up, DST in both
directions and long gaps: exactly one digest per digest day, never one sent days late."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from nudger.config import Settings, parse_settings
from nudger.daemon.decide import WAKE_EVERY, Action, Decision, decide
from nudger.when.schedule import digest_moment, is_digest_day
from tests.clock import frozen

NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS = '["mon","tue","wed","thu","fri"]'
EVERY_DAY = '["mon","tue","wed","thu","fri","sat","sun"]'


def settings(zone: str = "America/New_York", at: str = "07:30", days: str = WEEKDAYS,
             catch_up: str = "12 hours") -> Settings:
    text = (f'timezone = "{zone}"\n[digest]\ntime = "{at}"\ndays = {days}\n'
            f'catch_up = "{catch_up}"\n')
    return parse_settings(text, Path("/tmp/config.toml"))


class Outbox:
    """The records decide() consults, and what acting on its decisions would record."""

    def __init__(self, recorded: dict[date, str] | None = None) -> None:
        self.records: dict[date, str] = dict(recorded or {})
        self.sent: list[tuple[date, datetime]] = []
        self.skipped: list[date] = []

    def state(self, day: date) -> str | None:
        return self.records.get(day)

    def act(self, s: Settings, now: datetime) -> Decision:
        decision = decide(s, now, self.state)
        if decision.action is Action.SEND:
            assert decision.local_date is not None
            self.records[decision.local_date] = "sent"
            self.sent.append((decision.local_date, now))
        elif decision.action is Action.SKIP:
            assert decision.local_date is not None
            self.records[decision.local_date] = "skipped"
            self.skipped.append(decision.local_date)
        return decision


def at(zone: ZoneInfo, *parts: int, fold: int = 0) -> datetime:
    return datetime(*parts, tzinfo=zone, fold=fold)  # type: ignore[misc]


# --- the ordinary day ------------------------------------------------------------------------

def test_before_the_digest_time_waits_for_today() -> None:
    s = settings()
    friday = date(2026, 11, 27)
    d = decide(s, at(NY, 2026, 11, 30, 7, 29), Outbox({friday: "sent"}).state)  # Monday
    assert d.action is Action.WAIT and d.local_date == date(2026, 11, 30)
    assert d.next_at == at(NY, 2026, 11, 30, 7, 30)


def test_at_and_after_the_digest_time_sends_today() -> None:
    s = settings()
    outbox = Outbox({date(2026, 11, 27): "sent"})
    for moment in (at(NY, 2026, 11, 30, 7, 30), at(NY, 2026, 11, 30, 9, 0)):
        d = decide(s, moment, outbox.state)
        assert d.action is Action.SEND and d.local_date == date(2026, 11, 30)


def test_recorded_in_any_state_is_left_to_the_outbox() -> None:
    s = settings()
    monday = date(2026, 11, 30)
    for state in ("sent", "sending", "pending", "retry", "failed", "skipped"):
        d = decide(s, at(NY, 2026, 11, 30, 8, 0), Outbox({monday: state}).state)
        assert d.action is Action.NOTHING and state in d.reason


def test_a_non_digest_day_sends_nothing() -> None:
    s = settings()
    saturday_noon = at(NY, 2026, 11, 28, 12, 0)
    d = decide(s, saturday_noon, Outbox({date(2026, 11, 27): "sent"}).state)
    assert d.action is Action.NOTHING
    assert d.next_at == at(NY, 2026, 11, 30, 7, 30)  # Monday


def test_the_days_are_the_configured_ones() -> None:
    s = settings(days='["sat"]')
    d = decide(s, at(NY, 2026, 11, 28, 7, 31), Outbox().state)
    assert d.action is Action.SEND and d.local_date == date(2026, 11, 28)
    d = decide(s, at(NY, 2026, 11, 30, 7, 31), Outbox({date(2026, 11, 28): "sent"}).state)
    assert d.action is Action.NOTHING


# --- catch-up ----------------------------------------------------------------------------------

def test_catch_up_inside_the_window_sends_the_missed_digest() -> None:
    s = settings()  # catch_up 12 hours
    d = decide(s, at(NY, 2026, 11, 30, 19, 30), Outbox().state)  # exactly 12 h late
    assert d.action is Action.SEND and d.local_date == date(2026, 11, 30)
    assert "catching up" in d.reason


def test_catch_up_outside_the_window_records_a_skip() -> None:
    s = settings()
    d = decide(s, at(NY, 2026, 11, 30, 19, 31), Outbox().state)
    assert d.action is Action.SKIP and d.local_date == date(2026, 11, 30)
    assert "catch_up" in d.reason and "12 h 01 min" in d.reason


def test_a_missed_yesterday_is_skipped_and_today_still_goes_out() -> None:
    s = settings()
    outbox = Outbox({date(2026, 11, 27): "sent"})
    tuesday_early = at(NY, 2026, 12, 1, 6, 0)  # Monday's digest missed by 22.5 h
    assert outbox.act(s, tuesday_early).action is Action.SKIP
    assert outbox.skipped == [date(2026, 11, 30)]
    assert outbox.act(s, tuesday_early).action is Action.WAIT
    assert outbox.act(s, at(NY, 2026, 12, 1, 7, 30)).action is Action.SEND
    assert outbox.sent == [(date(2026, 12, 1), at(NY, 2026, 12, 1, 7, 30))]


def test_a_week_switched_off_sends_one_digest_not_seven() -> None:
    s = settings(days=EVERY_DAY)
    outbox = Outbox({date(2026, 11, 20): "sent"})
    back = at(NY, 2026, 11, 27, 9, 0)  # a week later, after today's digest time
    for minute in range(0, 60, 5):  # start-up, then the interval job
        outbox.act(s, back + timedelta(minutes=minute))
    assert outbox.sent == [(date(2026, 11, 27), back)]
    assert outbox.skipped == []  # the days in between are history, not digests owed


def test_a_week_off_and_back_before_the_digest_time() -> None:
    s = settings(days=EVERY_DAY)
    outbox = Outbox({date(2026, 11, 20): "sent"})
    outbox.act(s, at(NY, 2026, 11, 27, 6, 0))
    assert outbox.sent == [] and outbox.skipped == [date(2026, 11, 26)]
    outbox.act(s, at(NY, 2026, 11, 27, 7, 30))
    assert [day for day, _ in outbox.sent] == [date(2026, 11, 27)]


def test_with_time_machine_the_wall_clock_is_what_decide_is_given() -> None:
    # The daemon's clock is datetime.now(UTC); with the clock moved, decide sees the move.
    s = settings()
    with frozen(datetime(2026, 11, 30, 12, 31, tzinfo=UTC)):
        now = datetime.now(UTC)
        d = decide(s, now, Outbox({date(2026, 11, 27): "sent"}).state)
    assert d.action is Action.SEND and d.local_date == date(2026, 11, 30)


# --- DST -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("zone", "day", "clock"), [
    (NY, date(2025, 11, 2), (1, 30)),
    (BERLIN, date(2025, 10, 26), (2, 30)),
])
def test_fall_back_repeated_hour_sends_once(zone: ZoneInfo, day: date,
                                            clock: tuple[int, int]) -> None:
    s = settings(zone.key, f"{clock[0]:02d}:{clock[1]:02d}", EVERY_DAY)
    outbox = Outbox({day - timedelta(days=1): "sent"})
    first = at(zone, day.year, day.month, day.day, *clock, fold=0)
    second = at(zone, day.year, day.month, day.day, *clock, fold=1)
    assert second - first == timedelta(0)  # wall-clock arithmetic; the real gap is 1 h
    assert second.astimezone(UTC) - first.astimezone(UTC) == timedelta(hours=1)
    assert outbox.act(s, first).action is Action.SEND
    assert outbox.act(s, second).action is Action.NOTHING  # the cron job's second firing
    assert outbox.sent == [(day, first)]


def test_fall_back_first_occurrence_missed_the_second_is_a_catch_up() -> None:
    s = settings("America/New_York", "01:30", EVERY_DAY)
    day = date(2025, 11, 2)
    second = at(NY, 2025, 11, 2, 1, 30, fold=1)
    d = decide(s, second, Outbox({day - timedelta(days=1): "sent"}).state)
    assert d.action is Action.SEND and d.local_date == day and "1 h 00 min late" in d.reason


@pytest.mark.parametrize(("zone", "day"), [(NY, date(2025, 3, 9)), (BERLIN, date(2025, 3, 30))])
def test_spring_forward_gap_sends_once_at_the_jump(zone: ZoneInfo, day: date) -> None:
    s = settings(zone.key, "02:30", EVERY_DAY)  # 02:30 does not exist that night
    outbox = Outbox({day - timedelta(days=1): "sent"})
    just_before = at(zone, day.year, day.month, day.day, 1, 59)
    assert outbox.act(s, just_before).action is Action.WAIT
    jump = at(zone, day.year, day.month, day.day, 3, 0)  # the first instant after the gap
    assert outbox.act(s, jump).action is Action.WAIT  # 02:30 → 03:30, not 03:00
    assert outbox.act(s, at(zone, day.year, day.month, day.day, 3, 30)).action is Action.SEND
    assert outbox.act(s, at(zone, day.year, day.month, day.day, 3, 35)).action is Action.NOTHING
    assert [d for d, _ in outbox.sent] == [day]


@pytest.mark.parametrize(("zone", "day"), [(NY, date(2025, 3, 10)), (BERLIN, date(2025, 3, 31))])
def test_the_day_after_spring_forward_is_not_skipped(zone: ZoneInfo, day: date) -> None:
    # APScheduler's cron trigger at 00:30 skips this day (docs/pitfalls.md); decide does not.
    s = settings(zone.key, "00:30", EVERY_DAY)
    outbox = Outbox({day - timedelta(days=1): "sent"})
    assert outbox.act(s, at(zone, day.year, day.month, day.day, 0, 35)).action is Action.SEND


def simulate(s: Settings, start: datetime, end: datetime, step: timedelta,
             extra: list[datetime] | None = None) -> Outbox:
    """Wake decide the way the daemon does: every `step`, plus at extra moments. The days
    before `start` count as handled (by an earlier run)."""
    first = start.astimezone(s.zone).date()
    outbox = Outbox({first - timedelta(days=n): "sent" for n in range(0, 15)
                     if digest_moment(s, first - timedelta(days=n)) <= start})
    moments = []
    moment = start
    while moment <= end:
        moments.append(moment)
        moment += step
    for moment in sorted(moments + (extra or []), key=lambda m: m.astimezone(UTC)):
        outbox.act(s, moment)
    return outbox


@pytest.mark.parametrize(("zone", "clock", "start"), [
    (NY, "01:30", datetime(2025, 10, 29, 12, 0, tzinfo=UTC)),  # across the fall-back
    (NY, "02:30", datetime(2025, 3, 4, 12, 0, tzinfo=UTC)),  # across the spring-forward
    (BERLIN, "02:30", datetime(2025, 10, 22, 12, 0, tzinfo=UTC)),
    (BERLIN, "00:30", datetime(2025, 3, 26, 12, 0, tzinfo=UTC)),
])
def test_ten_days_of_wake_ups_give_exactly_one_digest_per_day(
        zone: ZoneInfo, clock: str, start: datetime) -> None:
    s = settings(zone.key, clock, EVERY_DAY)
    end = start + timedelta(days=10)
    # The interval job every WAKE_EVERY, and the cron job firing at each digest moment and
    # again an hour later (the fall-back double firing).
    days = [start.astimezone(zone).date() + timedelta(days=n) for n in range(11)]
    cron = [digest_moment(s, d) for d in days]
    cron += [m + timedelta(hours=1) for m in cron]
    outbox = simulate(s, start, end, WAKE_EVERY, [m for m in cron if start <= m <= end])
    sent_days = [d for d, _ in outbox.sent]
    assert len(sent_days) == len(set(sent_days))
    first_full = start.astimezone(zone).date() + timedelta(days=1)
    expected = [d for d in days if first_full <= d and digest_moment(s, d) <= end]
    assert sorted(set(sent_days) & set(expected)) == expected
    for day, moment in outbox.sent:
        if day in expected:  # sent at the digest moment, not later
            assert moment.astimezone(UTC) == digest_moment(s, day).astimezone(UTC)
    assert outbox.skipped == []


def test_weekdays_only_over_a_fortnight() -> None:
    s = settings()
    start = datetime(2026, 11, 16, 5, 0, tzinfo=UTC)  # a Monday, before 07:30 New York
    outbox = simulate(s, start, start + timedelta(days=14), timedelta(minutes=15))
    sent_days = [d for d, _ in outbox.sent]
    assert sent_days == [date(2026, 11, 16) + timedelta(days=n) for n in range(14)
                         if is_digest_day(s, date(2026, 11, 16) + timedelta(days=n))]
    for day, moment in outbox.sent:
        late = moment - digest_moment(s, day)
        assert timedelta(0) <= late < timedelta(minutes=15)


def test_inside_the_repeated_hour_a_same_zone_now_is_compared_in_real_time() -> None:
    # 01:10 EST comes after 01:30 EDT; with one tzinfo Python compares wall clocks.
    from nudger.when.schedule import latest_digest_day, next_digest_at

    s = settings("America/New_York", "01:30", EVERY_DAY)
    now = at(NY, 2025, 11, 2, 1, 10, fold=1)
    assert latest_digest_day(s, now) == date(2025, 11, 2)
    assert next_digest_at(s, now).date() == date(2025, 11, 3)
    d = decide(s, now, Outbox({date(2025, 11, 1): "sent"}).state)
    assert d.action is Action.SEND and d.local_date == date(2025, 11, 2)


def test_an_older_day_is_not_sent_after_todays_went_out_early() -> None:
    # `nudger digest --send` at 06:00 Tuesday; Monday's digest was missed. With a long
    # catch_up Monday would still be "due", but a newer digest already went out.
    s = settings(catch_up="2 days")
    tuesday, monday = date(2026, 12, 1), date(2026, 11, 30)
    d = decide(s, at(NY, 2026, 12, 1, 6, 30), Outbox({tuesday: "sent"}).state)
    assert d.action is Action.NOTHING and d.local_date == tuesday
    d = decide(s, at(NY, 2026, 12, 1, 6, 30), Outbox().state)
    assert d.action is Action.SEND and d.local_date == monday  # without it, catch-up


def test_decide_is_importable_without_the_scheduler_or_the_database() -> None:
    """The decision is pure: its module pulls in neither APScheduler nor SQLModel, so it is
    tested (and benchmarked) without a scheduler, a loop or a database."""
    import subprocess
    import sys

    code = ("import sys, nudger.daemon.decide; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'apscheduler', 'sqlmodel', 'sqlalchemy', 'asyncio'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
