"""Stats on hand-built histories whose numbers are known, and the loader's query count."""

from __future__ import annotations

import json
from datetime import date

from nudger.config import Settings
from nudger.track.cadence import AppState, TouchInfo
from nudger.track.stats import (
    ChangeRow,
    History,
    Rate,
    compute,
    effort_section,
    replies,
    states_on,
    streak,
    week_effort,
)
from nudger.when.business import Calendar
from tests.conftest import Home

SETTINGS = Settings()  # the default cadence, weekdays, no holidays
CALENDAR = Calendar.from_settings(SETTINGS)
D = date.fromisoformat


def app_row(app_id: int, company: str, role: str, stage: str, since: date,
            applied_on: date | None = None) -> AppState:
    return AppState(id=app_id, company=company, role=role, stage=stage, stage_since=since,
                    applied_on=applied_on)


def touch_row(app_id: int, action: str, on: date, stage: str, step: int | None = None,
              skipped: bool = False) -> tuple[int, TouchInfo]:
    return app_id, TouchInfo(on, action, stage, step, skipped)


def history_of(apps: list[AppState], touches: list[tuple[int, TouchInfo]] | None = None,
               changes: list[ChangeRow] | None = None) -> History:
    """A History from rows in the order they happened (touches grouped by application)."""
    grouped: dict[int, list[TouchInfo]] = {}
    for app_id, touch in touches or []:
        grouped.setdefault(app_id, []).append(touch)
    return History(apps, grouped, changes or [])


def hunt() -> History:
    """Five applications in November 2026 (2 Nov is a Monday)."""
    apps = [
        app_row(1, "Acme", "AE", "interviewing", D("2026-11-12"), D("2026-11-02")),
        app_row(2, "Globex", "SDR", "rejected", D("2026-11-06"), D("2026-11-02")),
        app_row(3, "Initech", "AM", "applied", D("2026-11-03"), D("2026-11-03")),
        app_row(4, "Umbrella", "Courier", "wishlist", D("2026-11-01")),
        app_row(5, "Hooli", "BDR", "withdrawn", D("2026-11-10"), D("2026-11-04")),
    ]
    touches = [
        touch_row(1, "email", D("2026-11-05"), "applied", 1),
        touch_row(3, "email", D("2026-11-06"), "applied", 1),
        touch_row(3, "call", D("2026-11-09"), "applied", 2, skipped=True),
        touch_row(1, "call", D("2026-11-09"), "applied", 2),
        touch_row(1, "thank-you", D("2026-11-13"), "interviewing", 1),
    ]
    changes = [
        ChangeRow(4, "wishlist", D("2026-11-01")),
        ChangeRow(1, "applied", D("2026-11-02")),
        ChangeRow(2, "applied", D("2026-11-02")),
        ChangeRow(3, "applied", D("2026-11-03")),
        ChangeRow(5, "applied", D("2026-11-04")),
        ChangeRow(2, "rejected", D("2026-11-06")),
        ChangeRow(5, "withdrawn", D("2026-11-10")),
        ChangeRow(1, "interviewing", D("2026-11-12")),
        ChangeRow(1, "offer", D("2026-11-20")),  # a second move is not a second reply
    ]
    return history_of(apps, touches, changes)


def test_the_numbers_of_a_known_history() -> None:
    stats = compute(hunt(), SETTINGS, CALENDAR, D("2026-11-18"))
    assert stats.pipeline == {"wishlist": 1, "applied": 1, "interviewing": 1, "offer": 0,
                              "accepted": 0, "rejected": 1, "withdrawn": 1, "ghosted": 0}
    assert stats.follow_up == Rate(2, 5)  # Acme and Initech; a skip is not a follow-up
    assert stats.per_week == [(D("2026-11-02"), 2), (D("2026-11-09"), 2),
                              (D("2026-11-16"), 0)]
    assert stats.per_action == {"email": 2, "call": 1, "thank-you": 1}
    assert [(r.app_id, r.on, r.stage, r.days, r.after) for r in stats.replies] == [
        (2, D("2026-11-06"), "rejected", 4, "none"),
        (1, D("2026-11-12"), "interviewing", 10, "call"),
    ]
    assert stats.by_action == {"call": 1, "none": 1}
    assert stats.reply_rate == Rate(2, 4)  # withdrawn is no reply; the wishlist never applied
    assert stats.median_days == 7
    data = stats.as_json()
    assert data["replies_by_last_action"] == {"call": 1, "none": 1}
    assert data["follow_up_rate"] == {"part": 2, "whole": 5, "ratio": 0.4}
    json.dumps(data)


def test_since_limits_applications_and_touches() -> None:
    stats = compute(hunt(), SETTINGS, CALENDAR, D("2026-11-18"), since=D("2026-11-03"))
    assert stats.follow_up == Rate(1, 2)  # Initech and Hooli started since; Initech touched
    assert stats.per_action == {"email": 2, "call": 1, "thank-you": 1}
    assert stats.per_week[0] == (D("2026-11-02"), 2)
    assert stats.replies == []


def test_the_last_touch_before_the_reply_wins() -> None:
    history = history_of(
        [app_row(1, "A", "B", "interviewing", D("2026-11-10"), D("2026-11-02"))],
        [touch_row(1, "email", D("2026-11-04"), "applied", 1),
         touch_row(1, "social", D("2026-11-10"), "applied"),  # same day as the move: counts
         touch_row(1, "thank-you", D("2026-11-10"), "interviewing", 1)],  # after: does not
        [ChangeRow(1, "applied", D("2026-11-02")), ChangeRow(1, "interviewing",
                                                             D("2026-11-10"))],
    )
    [reply] = replies(history)
    assert reply.after == "social" and reply.days == 8


def diligent(call_on: str, social_on: str | None = None) -> History:
    """Applied Mon 2 Nov: email due Thu 5 (done), call due Mon 9 (done on `call_on`),
    social due 3 business days after the call."""
    touches = [touch_row(1, "email", D("2026-11-05"), "applied", 1),
               touch_row(1, "call", D(call_on), "applied", 2)]
    if social_on:
        touches.append(touch_row(1, "social", D(social_on), "applied", 3))
    return history_of([app_row(1, "A", "B", "applied", D("2026-11-02"), D("2026-11-02"))],
                   touches, [ChangeRow(1, "applied", D("2026-11-02"))])


def test_streak_counts_days_whose_nudges_were_done() -> None:
    history = diligent("2026-11-09")
    # Today (Thu 12) the social step is due and not done yet: today does not break it.
    result = streak(history, SETTINGS, CALENDAR, D("2026-11-12"))
    assert (result.days, result.since) == (2, D("2026-11-05"))
    # Once the day is over undone, it does.
    assert streak(history, SETTINGS, CALENDAR, D("2026-11-13")).days == 0


def test_a_late_follow_up_breaks_the_streak() -> None:
    history = diligent("2026-11-10", social_on="2026-11-13")  # call one day late
    result = streak(history, SETTINGS, CALENDAR, D("2026-11-13"))
    # Mon 9 ended with the call undone: broken. Tue 10 (the overdue call done) and Fri 13
    # (the social step done) are kept.
    assert (result.days, result.since) == (2, D("2026-11-10"))


def test_streak_of_nothing() -> None:
    assert streak(history_of([]), SETTINGS, CALENDAR, D("2026-11-13")).days == 0


def test_states_replay_the_past() -> None:
    history = hunt()
    [acme] = [s for s in states_on(history, D("2026-11-10")) if s.id == 1]
    assert (acme.stage, acme.stage_since, len(acme.touches)) == ("applied", D("2026-11-02"), 2)
    assert {s.id for s in states_on(history, D("2026-11-02"))} == {1, 2, 4}


def test_week_effort() -> None:
    effort = week_effort(diligent("2026-11-09"), SETTINGS, CALENDAR, D("2026-11-02"),
                         D("2026-11-26"))
    assert (effort.start, effort.end, effort.done, effort.due) == (
        D("2026-11-02"), D("2026-11-08"), 1, 1)
    assert effort.by_action == {"email": 1}
    assert effort.per_day[3] == (D("2026-11-05"), 1)
    partial = week_effort(hunt(), SETTINGS, CALENDAR, D("2026-11-09"), D("2026-11-11"))
    assert partial.end == D("2026-11-11") and len(partial.per_day) == 3
    assert partial.replies == 0 and partial.done == 1


def test_stats_command(home: Home) -> None:
    assert "no applications yet" in home.ok("stats")
    home.ok("add", "Acme", "AE", "--applied", "2026-11-02")
    home.ok("log", "1", "email", "--date", "2026-11-05")
    home.ok("stage", "1", "interviewing", "--date", "2026-11-09")
    data = json.loads(home.ok("stats", "--json"))
    assert data["replies_by_last_action"] == {"email": 1}
    assert data["median_days_to_reply"] == 7
    text = home.ok("stats", "--since", "2026-11-01")
    assert "follow-up rate: 1 of 1 (100%)" in text and "email" in text
    assert home.run("stats", "--since", "someday").code == 2


def test_effort_section_on_the_effort_day_only() -> None:
    history = diligent("2026-11-09", social_on="2026-11-12")
    settings = Settings.model_validate({"digest": {"effort_day": "mon"}})
    assert effort_section(history, settings, CALENDAR, D("2026-11-17")) is None  # a Tuesday
    section = effort_section(history, settings, CALENDAR, D("2026-11-16"))
    assert section is not None
    # Mon 9 to Sun 15: the call (due Mon 9) and the social step (due Thu 12), both done.
    assert (section["week_start"], section["week_end"]) == ("2026-11-09", "2026-11-15")
    assert (section["done"], section["due"], section["replies"]) == (2, 2, 0)
    assert section["by_channel"] == [
        {"action": "call", "done": 1, "replies": 0, "bar": 6},
        {"action": "social", "done": 1, "replies": 0, "bar": 6},
    ]
    assert section["done_bar"] == section["due_bar"] == 12
    assert section["streak"] == 3  # Thu 5, Mon 9, Thu 12
    assert [d["done"] for d in section["per_day"]] == [1, 0, 0, 1, 0, 0, 0]


def test_effort_day_moves_to_the_next_digest_day() -> None:
    from datetime import date as _date
    from pathlib import Path as _Path

    from nudger.config import parse_settings
    from nudger.track.stats import is_effort_day

    both = parse_settings('[digest]\ndays = ["mon", "wed"]\neffort_day = "mon"\n',
                          _Path("/tmp/c.toml"))
    assert is_effort_day(both, _date(2026, 11, 30))  # Monday
    assert not is_effort_day(both, _date(2026, 12, 2))
    weekend_off = parse_settings('[digest]\ndays = ["tue", "thu"]\neffort_day = "sun"\n',
                                 _Path("/tmp/c.toml"))
    assert is_effort_day(weekend_off, _date(2026, 12, 1))  # Tuesday carries it
    assert not is_effort_day(weekend_off, _date(2026, 11, 29))  # no digest on Sunday
    assert not is_effort_day(weekend_off, _date(2026, 12, 3))


def test_an_application_added_at_interviewing_is_no_reply(home: Home) -> None:
    """The stage an application is added at records where the hunt stands, not an answer:
    only a later move counts as a reply (issue 21, item 3)."""
    home.ok("add", "Acme", "AE", "--applied", "2026-11-02", "--stage", "interviewing")
    home.ok("add", "Globex", "AE", "--applied", "2026-11-02")
    home.ok("stage", "2", "interviewing", "--date", "2026-11-20")
    from nudger.store.db import Database
    from nudger.store.read import load_history

    db = Database(home.db_path)
    with db.read_session() as s:
        history = load_history(s, SETTINGS.zone)
    db.dispose()
    assert [(r.app_id, r.on) for r in replies(history)] == [(2, D("2026-11-20"))]
