"""Issue 13, class 1: one range of dates at every door, and arithmetic safe at its edges.

(The installed program's view of the same is tests/e2e/test_date_range.py.)
"""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest

from nudger.config import parse_settings
from nudger.errors import UsageError
from nudger.track.cadence import AppState, due_on, next_step, plan
from nudger.when.business import Calendar, shift
from nudger.when.dates import EARLIEST, LATEST, parse_date
from nudger.when.durations import parse_duration
from tests.conftest import BASE_CONFIG, Home

RANGE = "1900-01-01 to 9000-12-31"


def tables(home: Home) -> list[object]:
    import sqlite3

    con = sqlite3.connect(home.db_path)
    try:
        return [con.execute(f"SELECT * FROM {t} ORDER BY id").fetchall()
                for t in ("application", "touch", "snooze", "stagechange", "contact")]
    finally:
        con.close()


@pytest.mark.parametrize("bad", ["9999-12-31", "9001-01-01", "1899-12-31", "0001-01-01"])
def test_every_door_refuses_a_date_out_of_range(home: Home, bad: str) -> None:
    home.ok("add", "Acme", "AE", "--applied", "2026-11-02")
    before = tables(home)
    commands = [
        ("add", "Bad", "AE", "--applied", bad), ("add", "Bad", "AE", "--deadline", bad),
        ("add", "Bad", "AE", "--interview", f"{bad} 23:59"),
        ("edit", "1", "--applied", bad), ("edit", "1", "--deadline", bad),
        ("edit", "1", "--interview", f"{bad} 10:00"),
        ("log", "1", "email", "--date", bad), ("done", "1", "--date", bad),
        ("skip", "1", "--date", bad), ("stage", "1", "interviewing", "--date", bad),
        ("stage", "1", "interviewing", "--interview", f"{bad} 10:00"),
        ("snooze", "1", bad), ("due", "--date", bad),
    ]
    for args in commands:
        result = home.run(*args)
        assert result.code == 2, (args, result)
        assert bad in result.err and RANGE in result.err, (args, result.err)
    assert tables(home) == before


def test_relative_dates_past_the_end_are_refused() -> None:
    with pytest.raises(UsageError, match=RANGE):
        parse_date("in 9999 weeks", date(8900, 1, 1))
    with pytest.raises(UsageError, match=RANGE):
        parse_date("tomorrow", LATEST)
    assert parse_date("today", LATEST) == LATEST
    assert parse_date("1900-01-01", date(2026, 1, 1)) == EARLIEST


def test_imports_refuse_dates_out_of_range(home: Home) -> None:
    home.ok("add", "Acme", "AE", "--applied", "2026-11-02")
    before = tables(home)
    exported = json.loads(home.ok("export", "--format", "json"))
    app = exported["applications"][0]
    for key, value in (("applied_on", "9999-12-31"), ("deadline", "1899-01-01"),
                       ("stage_since", "9999-12-31"),
                       ("interview_at", "9999-12-31T23:59:00+00:00"),
                       ("created_at", "0001-01-01T00:00:00+05:00")):
        changed = {**exported, "applications": [{**app, "company": "Other", key: value}]}
        path = home.root / f"bad-{key}.json"
        path.write_text(json.dumps(changed), encoding="utf-8")
        result = home.run("import", str(path))
        assert result.code != 0, (key, result)
        assert value in result.err and RANGE in result.err, (key, result.err)
    sheet = home.root / "late.csv"
    with open(sheet, "w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["Company", "Position", "Date Applied", "Deadline"])
        out.writerow(["Late Co", "AE", "2026-11-02", "9999-12-31"])
    result = home.run("import", str(sheet))
    assert result.code != 0 and "9999-12-31" in result.err and RANGE in result.err
    assert tables(home) == before


def test_business_days_and_durations_saturate_at_the_end_of_the_calendar() -> None:
    calendar = Calendar("US")
    assert calendar.add_business_days(date.max, 3) == date.max
    assert calendar.add_business_days(date(9999, 12, 29), 5) == date.max
    assert calendar.add_business_days(date.min, -3) == date.min
    assert calendar.after(date.max, parse_duration("3 days")) == date.max
    assert calendar.before(date.min, parse_duration("2 weeks")) == date.min
    assert calendar.next_business_day(date.max) == date.max
    assert shift(date(2026, 1, 1), 3) == date(2026, 1, 4)
    # Inside the range, nothing is clamped.
    assert calendar.after(LATEST, parse_duration("522 weeks")) == shift(LATEST, 522 * 7)


def test_a_cadence_that_would_run_past_the_end_simply_ends() -> None:
    settings = parse_settings(BASE_CONFIG, Path("config.toml"))
    calendar = Calendar("US")
    day = date(2026, 12, 1)
    apps = [
        AppState(1, "applied", date(2026, 11, 2), applied_on=date(2026, 11, 2)),
        AppState(2, "applied", date(9999, 12, 31), applied_on=date(9999, 12, 31)),
        AppState(3, "offer", date(2026, 11, 2), deadline=date(9999, 12, 31)),
        AppState(4, "interviewing", date(2026, 11, 2), interview_on=date(9999, 12, 31)),
        AppState(5, "applied", date(2026, 11, 2), snoozed_until=date(9999, 12, 31)),
        AppState(6, "applied", date(8999, 12, 20)),
    ]
    report = due_on(apps, settings.cadence, calendar, day)
    assert [n.app_id for n in report.nudges] == [1]
    for app in apps[1:4]:
        assert next_step(app, settings.cadence_for(app.stage), calendar, day) is None
    assert next_step(apps[5], settings.cadence_for("applied"), calendar) is not None
    assert [n.app_id for n in plan(apps, settings.cadence, calendar, day, 30)] == [1]
    assert due_on(apps, settings.cadence, calendar, LATEST).day == LATEST
