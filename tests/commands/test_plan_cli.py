"""`nudger due`, `done` and `skip` through the CLI entry point, against a real SQLite
file, with the clock frozen on Friday 2026-11-27 in Chicago (the day after Thanksgiving)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.clock import frozen
from tests.conftest import Home, on_engine

NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # 09:00 in Chicago


@pytest.fixture(autouse=True)
def _at_now() -> Iterator[None]:
    with frozen(NOW):
        yield


@pytest.fixture
def home(home: Home, engine: str, request: pytest.FixtureRequest,
         monkeypatch: pytest.MonkeyPatch) -> Home:
    """Every test here runs on SQLite and on PostgreSQL."""
    return on_engine(home, engine, request, monkeypatch)


def touches(home: Home) -> list[tuple[object, ...]]:
    if home.pg_url is not None:
        db = home.open_db()
        try:
            with db.connect() as pg:
                return [(a, b, c.isoformat(), d, int(e), f) for a, b, c, d, e, f in pg.execute(
                    "SELECT application_id, action, touched_on, step, skipped, note FROM "
                    "touch ORDER BY id")]
        finally:
            db.dispose()
    con = sqlite3.connect(home.db_path)
    try:
        return con.execute(
            "SELECT application_id, action, touched_on, step, skipped, note FROM touch "
            "ORDER BY id").fetchall()
    finally:
        con.close()


def test_due_today_done_and_the_next_step(home: Home) -> None:
    assert "nothing due today" in home.ok("due")
    home.ok("add", "Acme", "Account Executive", "--applied", "2026-11-23")
    # 3 business days after Monday 23 November, Thanksgiving not counted: Friday 27.
    assert "nothing due on 2026-11-26" in home.ok("due", "--date", "2026-11-26")
    out = home.ok("due")
    assert "due today: 1 follow-up" in out
    header, row = out.splitlines()[1:3]
    assert header.split() == ["ID", "COMPANY", "ROLE", "STEP", "DUE", "LATE", "LOG", "IT"]
    assert "follow-up 1 of 5: email" in row and "2026-11-27" in row and "nudger done 1" in row
    assert header.index("STEP") == row.index("follow-up")  # aligned columns

    out = home.ok("done", "1", "--note", "asked Dana when interviews happen")
    assert out.strip() == "#1: done follow-up 1 of 5: email on 2026-11-27"
    assert touches(home) == [(1, "email", "2026-11-27", 1, 0, "asked Dana when interviews happen")]
    assert "nothing due today" in home.ok("due")
    # The call waits 2 business days from the email: Tuesday 1 December.
    assert "nothing due on 2026-11-30" in home.ok("due", "--date", "2026-11-30")
    assert "follow-up 2 of 5: call" in home.ok("due", "--date", "2026-12-01")
    listing = home.ok("list")
    assert "call 2026-12-01" in listing


def test_overdue_first_with_days_late_and_json(home: Home) -> None:
    home.ok("add", "Acme", "AE", "--applied", "2026-11-23")
    home.ok("add", "Globex", "SDR", "--applied", "2026-11-02")
    out = home.ok("due", "--date", "2026-12-01")
    lines = out.splitlines()
    assert "2 follow-ups, 2 overdue" in lines[0]
    assert lines[2].startswith("2 ") and "26 days" in lines[2]  # due 2026-11-05
    assert lines[3].startswith("1 ") and "4 days" in lines[3]
    data = json.loads(home.ok("due", "--date", "2026-12-01", "--json"))
    assert data["date"] == "2026-12-01"
    assert [(n["id"], n["company"], n["step"], n["of"], n["action"], n["due"],
             n["overdue_days"], n["command"]) for n in data["nudges"]] == [
        (2, "Globex", 1, 5, "email", "2026-11-05", 26, "nudger done 2"),
        (1, "Acme", 1, 5, "email", "2026-11-27", 4, "nudger done 1"),
    ]
    assert data["cold"] == []


def test_going_cold_is_listed(home: Home) -> None:
    home.ok("add", "Initech", "AE", "--applied", "2026-10-01")
    out = home.ok("due")
    assert "going cold" in out
    assert "Initech" in out.split("going cold")[1] and "57" in out.split("going cold")[1]
    data = json.loads(home.ok("due", "--json"))
    assert data["cold"] == [{"id": 1, "company": "Initech", "role": "AE", "stage": "applied",
                             "since": "2026-10-01", "days": 57, "auto_ghost": False}]


def test_skip_moves_on_and_restarts_the_clock(home: Home) -> None:
    home.ok("add", "Acme", "AE", "--applied", "2026-11-23")
    assert home.ok("skip", "1", "--note", "no address").strip() == \
        "#1: skipped follow-up 1 of 5: email on 2026-11-27"
    assert touches(home) == [(1, "email", "2026-11-27", 1, 1, "no address")]
    # Step 2 waits its own 2 business days from the skip.
    assert "nothing due on 2026-11-30" in home.ok("due", "--date", "2026-11-30")
    assert "follow-up 2 of 5: call" in home.ok("due", "--date", "2026-12-01")
    show = home.ok("show", "1")
    assert "skipped email" in show and "follow-up 2 of 5: call, due 2026-12-01" in show


def test_done_with_a_date_and_early(home: Home) -> None:
    home.ok("add", "Acme", "AE", "--applied", "2026-11-25")
    out = home.ok("done", "1", "--date", "yesterday")
    assert "done follow-up 1 of 5: email on 2026-11-26" in out
    assert "days early; it was due 2026-12-01" in out
    assert touches(home)[0][2] == "2026-11-26"


def test_plan_for_the_next_days_agrees_with_each_day(home: Home) -> None:
    home.ok("add", "Acme", "AE", "--applied", "2026-11-23")
    home.ok("add", "Globex", "SDR", "--applied", "2026-11-25")
    home.ok("add", "Hooli", "AE", "--stage", "wishlist", "--deadline", "2026-12-04")
    home.ok("snooze", "2", "2026-12-03")
    out = home.ok("due", "--days", "10")
    assert "plan for 2026-11-27 to 2026-12-06, if you do nothing: 3 follow-ups" in out
    data = json.loads(home.ok("due", "--days", "10", "--json"))
    assert (data["start"], data["end"], data["days"]) == ("2026-11-27", "2026-12-06", 10)
    shows = {(n["id"], n["step"]): n["shows"] for n in data["plan"]}
    # Globex falls due on 1 December, but its snooze hides it until 3 December.
    assert shows == {(1, 1): "2026-11-27", (3, 1): "2026-12-01", (2, 1): "2026-12-03"}
    for offset in range(10):
        day = date(2026, 11, 27) + timedelta(days=offset)
        listed = {(n["id"], n["step"]) for n in data["plan"]
                  if n["shows"] <= day.isoformat()
                  and (n["deadline"] is None or day.isoformat() <= n["deadline"])}
        due = json.loads(home.ok("due", "--date", day.isoformat(), "--json"))
        assert {(n["id"], n["step"]) for n in due["nudges"]} == listed, day


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("done", "99"), "no application #99"),
        (("skip", "99"), "no application #99"),
        (("done", "abc"), "not an application ID"),
        (("due", "--date", "2026-02-30"), "--date '2026-02-30' is not a date"),
        (("due", "--date", "someday"), "is not a date"),
        (("done", "1", "--date", "never"), "is not a date"),
        (("due", "--days", "0"), "from 1 to 366"),
        (("due", "--days", "many"), "not a whole number"),
        (("due", "--days", "400"), "from 1 to 366"),
        (("due", "--date", "9999-12-31"), "out of range"),
        (("due", "--date", "0001-01-01", "--days", "3"), "out of range"),
    ],
)
def test_bad_input_exits_2_and_changes_nothing(home: Home, args: tuple[str, ...],
                                               message: str) -> None:
    home.ok("add", "Acme", "AE", "--applied", "2026-11-23")
    result = home.run(*args)
    assert result.code == 2
    assert message in result.err
    assert "Traceback" not in result.err
    assert touches(home) == []


def test_nothing_next_exits_2_with_a_reason(home: Home) -> None:
    home.ok("add", "Acme", "AE", "--applied", "2026-11-23")
    home.ok("stage", "1", "rejected")
    result = home.run("done", "1")
    assert result.code == 2
    assert "#1 Acme has no next step: its stage 'rejected' is closed" in result.err
    home.ok("add", "Hooli", "AE", "--stage", "wishlist")  # a deadline step, no deadline
    result = home.run("skip", "2")
    assert result.code == 2
    assert "cadence is finished" in result.err and "nudger log 2" in result.err
    assert touches(home) == []


def test_help_has_examples(home: Home) -> None:
    for command in ("due", "done", "skip"):
        out = home.run(command, "--help").out
        assert f"example:\n  nudger {command}" in out
