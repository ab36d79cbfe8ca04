"""The cadence rules, one table row each, written from docs/cadence.md and
the module docstring of nudger/cadence.py. Dates sit around weekends, Thanksgiving
(Thursday 2026-11-26), 4 July, month and year ends, and the leap day 2028-02-29."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from nudger.config import DEFAULT_CADENCE, Cadence, parse_settings
from nudger.errors import ConfigError
from nudger.track.cadence import AppState, Cold, DueReport, TouchInfo, due_on, next_step, plan
from nudger.when.business import Calendar

US = Calendar("US")
D = date


def cadence(stage: str, *steps: tuple[str, str] | tuple[str, str, str], **extra: Any
            ) -> Cadence:
    """cadence("applied", ("wait", "3 business days", "email"), repeat="...")."""
    rows = []
    for kind, value, action, *template in steps:
        row: dict[str, Any] = {kind: value, "action": action}
        if template:
            row["template"] = template[0]
        rows.append(row)
    return Cadence.model_validate({"stage": stage, "steps": rows, **extra}, strict=False)


APPLIED = cadence("applied", ("wait", "3 business days", "email"),
                  ("wait", "2 business days", "call"), ("wait", "3 business days", "social"),
                  repeat="10 business days", give_up="45 days")
NO_REPEAT = cadence("applied", ("wait", "3 business days", "email"),
                    ("wait", "2 business days", "call"))
INTERVIEWING = cadence("interviewing", ("wait", "1 business day", "thank-you"),
                       ("wait", "5 business days", "email"), give_up="30 days",
                       auto_ghost=True)
WISHLIST = cadence("wishlist", ("before", "3 days", "apply"))
OFFER = cadence("offer", ("before", "2 business days", "email", "offer-reply"),
                ("wait", "3 days", "call"))
REMINDERS = cadence("offer", ("before", "5 days", "email"), repeat="2 days")
ZERO_FIRST = cadence("interviewing", ("wait", "0 days", "thank-you"),
                     ("wait", "1 week", "email"))
RULES = (APPLIED, INTERVIEWING, WISHLIST)


def touch(on: date, action: str = "email", step: int | None = None, *,
          stage: str = "applied", skipped: bool = False) -> TouchInfo:
    return TouchInfo(on, action, stage, step, skipped)


@dataclass
class Case:
    name: str
    app: dict[str, Any]
    day: date
    nudges: list[tuple[int, str, date, int]]  # (step, action, due, days late)
    rules: tuple[Cadence, ...] = RULES
    cold: list[tuple[date, int, bool]] = field(default_factory=list)  # since, days, auto


APPLIED_ON = D(2026, 11, 23)  # a Monday, the week of Thanksgiving


def app(stage: str = "applied", since: date = APPLIED_ON, **extra: Any) -> dict[str, Any]:
    return {"id": 1, "stage": stage, "stage_since": since, **extra}


CASES = [
    # Step 1 counts from entering the stage; Thanksgiving is not a business day.
    Case("step 1 not yet due on the holiday", app(), D(2026, 11, 26), []),
    Case("step 1 due 3 business days after applying, over Thanksgiving", app(),
         D(2026, 11, 27), [(1, "email", D(2026, 11, 27), 0)]),
    Case("an undone step stays due, days late counted in calendar days", app(),
         D(2026, 12, 1), [(1, "email", D(2026, 11, 27), 4)]),
    Case("applied on a Saturday: the clock starts from it", app(since=D(2026, 11, 28)),
         D(2026, 12, 2), [(1, "email", D(2026, 12, 2), 0)]),
    # Later steps count from the last touch.
    Case("step 2 waits from the touch that did step 1",
         app(touches=(touch(D(2026, 11, 27), "email", 1),)), D(2026, 12, 1),
         [(2, "call", D(2026, 12, 1), 0)]),
    Case("step 2 is not due the day after step 1",
         app(touches=(touch(D(2026, 11, 27), "email", 1),)), D(2026, 11, 30), []),
    Case("any touch resets the clock, even one completing no step",
         app(touches=(touch(D(2026, 11, 25), "call"),)), D(2026, 11, 30), []),
    Case("... and the step then waits its full wait from that touch",
         app(touches=(touch(D(2026, 11, 25), "call"),)), D(2026, 12, 1),
         [(1, "email", D(2026, 12, 1), 0)]),
    Case("the latest touch is the anchor, whatever order they are listed in",
         app(touches=(touch(D(2026, 12, 3), "social"), touch(D(2026, 11, 27), "email", 1))),
         D(2026, 12, 7), [(2, "call", D(2026, 12, 7), 0)]),
    Case("the highest step recorded counts as done",
         app(touches=(touch(D(2026, 11, 27), "call", 2),)), D(2026, 12, 2),
         [(3, "social", D(2026, 12, 2), 0)]),
    # A skip moves past the step and restarts the clock from the day of the skip.
    Case("a skip passes the step and anchors the next one",
         app(touches=(touch(D(2026, 11, 30), "email", 1, skipped=True),)), D(2026, 12, 2),
         [(2, "call", D(2026, 12, 2), 0)]),
    Case("the step after a skip is not due early",
         app(touches=(touch(D(2026, 11, 30), "email", 1, skipped=True),)), D(2026, 12, 1),
         []),
    # Repeat after the last step.
    Case("after the last step it repeats every `repeat` from the last touch",
         app(touches=(touch(D(2026, 12, 10), "social", 3),)), D(2026, 12, 24),
         [(4, "social", D(2026, 12, 24), 0)]),
    Case("repeat over Christmas and New Year",
         app(touches=(touch(D(2026, 12, 18), "social", 3),)), D(2027, 1, 5),
         [(4, "social", D(2027, 1, 5), 0)]),
    Case("a done repeat schedules the next repeat",
         app(touches=(touch(D(2026, 12, 10), "social", 3), touch(D(2026, 12, 24), "social", 4))),
         D(2027, 1, 11), [(5, "social", D(2027, 1, 11), 0)],
         cold=[(D(2026, 11, 23), 49, False)]),
    Case("without repeat the cadence ends with its last step",
         app(touches=(touch(D(2026, 11, 27), "email", 1), touch(D(2026, 12, 1), "call", 2))),
         D(2027, 3, 1), [], rules=(NO_REPEAT,)),
    # Going cold.
    Case("not cold the day before give_up", app(since=D(2026, 10, 1),
         touches=(touch(D(2026, 11, 13), "social", 3),)), D(2026, 11, 14), []),
    Case("cold on give_up, steps still coming", app(since=D(2026, 10, 1),
         touches=(touch(D(2026, 11, 13), "social", 3),)), D(2026, 11, 15), [],
         cold=[(D(2026, 10, 1), 45, False)]),
    Case("cold and overdue together", app(since=D(2026, 10, 1)), D(2026, 11, 16),
         [(1, "email", D(2026, 10, 6), 41)], cold=[(D(2026, 10, 1), 46, False)]),
    # Snoozes.
    Case("snoozed: nothing before the snooze ends, not even going cold",
         app(since=D(2026, 10, 1), snoozed_until=D(2026, 11, 20)), D(2026, 11, 19), []),
    Case("the snooze ends: the step shows again with its days late",
         app(since=D(2026, 10, 1), snoozed_until=D(2026, 11, 20)), D(2026, 11, 20),
         [(1, "email", D(2026, 10, 6), 45)], cold=[(D(2026, 10, 1), 50, False)]),
    Case("a snooze that ended in the past changes nothing",
         app(snoozed_until=D(2026, 11, 1)), D(2026, 11, 27), [(1, "email", D(2026, 11, 27), 0)]),
    # Closed stages, stages without a cadence, stage changes.
    Case("closed stages get nothing", app(stage="rejected", since=D(2026, 10, 1)),
         D(2026, 12, 1), []),
    Case("a stage without a [[cadence]] gets nothing", app(stage="offer"), D(2026, 12, 30), []),
    Case("touches of the previous stage do not count in the new one",
         app(stage="interviewing", since=D(2026, 11, 30), interview_on=D(2026, 11, 30),
             touches=(touch(D(2026, 11, 27), "email", 1), touch(D(2026, 11, 30), "call", 2))),
         D(2026, 12, 1), [(1, "thank-you", D(2026, 12, 1), 0)]),
    Case("no thank-you while the interview's date is unknown (issue 21, item 8)",
         app(stage="interviewing", since=D(2026, 11, 16)), D(2026, 12, 1), []),
    Case("a touch dated before the stage was entered does not count",
         app(touches=(touch(D(2026, 11, 20), "email", 1),)), D(2026, 11, 27),
         [(1, "email", D(2026, 11, 27), 0)]),
    # Interviewing: the thank-you follows the interview.
    Case("interview after entering the stage: thank-you the next business day after it",
         app(stage="interviewing", since=D(2026, 11, 16), interview_on=D(2026, 11, 25)),
         D(2026, 11, 27), [(1, "thank-you", D(2026, 11, 27), 0)]),
    Case("no thank-you before the interview",
         app(stage="interviewing", since=D(2026, 11, 16), interview_on=D(2026, 11, 25)),
         D(2026, 11, 24), []),
    Case("an interview before entering the stage: the stage entry counts",
         app(stage="interviewing", since=D(2026, 7, 2), interview_on=D(2026, 6, 30)),
         D(2026, 7, 6), [(1, "thank-you", D(2026, 7, 6), 0)]),
    Case("the interview date does nothing outside `interviewing`",
         app(interview_on=D(2026, 12, 15)), D(2026, 11, 27), [(1, "email", D(2026, 11, 27), 0)]),
    Case("going cold counts from the interview too",
         app(stage="interviewing", since=D(2026, 10, 1), interview_on=D(2026, 10, 20),
             touches=(touch(D(2026, 10, 21), "thank-you", 1, stage="interviewing"),
                      touch(D(2026, 10, 28), "email", 2, stage="interviewing"))),
         D(2026, 11, 19), [], cold=[(D(2026, 10, 20), 30, True)]),
    Case("a thank-you with zero wait is due on the interview day",
         app(stage="interviewing", since=D(2026, 11, 2), interview_on=D(2026, 11, 26)),
         D(2026, 11, 26), [(1, "thank-you", D(2026, 11, 26), 0)], rules=(ZERO_FIRST,)),
    # Deadline steps.
    Case("a wishlist entry: apply 3 days before the deadline",
         app(stage="wishlist", since=D(2026, 11, 2), deadline=D(2028, 3, 3)),
         D(2028, 2, 29), [(1, "apply", D(2028, 2, 29), 0)]),
    Case("not before that", app(stage="wishlist", since=D(2026, 11, 2), deadline=D(2028, 3, 3)),
         D(2028, 2, 28), []),
    Case("still offered on the deadline itself",
         app(stage="wishlist", since=D(2026, 11, 2), deadline=D(2027, 1, 1)),
         D(2027, 1, 1), [(1, "apply", D(2026, 12, 29), 3)]),
    Case("gone the day after the deadline",
         app(stage="wishlist", since=D(2026, 11, 2), deadline=D(2027, 1, 1)),
         D(2027, 1, 2), []),
    Case("no deadline: a deadline step does not apply",
         app(stage="wishlist", since=D(2026, 11, 2)), D(2026, 12, 1), []),
    Case("a deadline step is never due before the stage starts",
         app(stage="wishlist", since=D(2026, 11, 30), deadline=D(2026, 12, 1)),
         D(2026, 11, 30), [(1, "apply", D(2026, 11, 30), 0)]),
    Case("deadline step in business days, with its own template",
         app(stage="offer", since=D(2026, 11, 20), deadline=D(2026, 11, 30)),
         D(2026, 11, 25), [(1, "email", D(2026, 11, 25), 0)], rules=(OFFER,)),
    Case("a passed deadline step gives way to the next step, counted from the anchor",
         app(stage="offer", since=D(2026, 11, 20), deadline=D(2026, 11, 30)),
         D(2026, 12, 1), [(2, "call", D(2026, 11, 23), 8)], rules=(OFFER,)),
    Case("a repeated deadline reminder stops at the deadline",
         app(stage="offer", since=D(2026, 11, 1), deadline=D(2026, 12, 10),
             touches=(touch(D(2026, 12, 8), "email", 1, stage="offer"),)),
         D(2026, 12, 10), [(2, "email", D(2026, 12, 10), 0)], rules=(REMINDERS,)),
    Case("... and is gone after it",
         app(stage="offer", since=D(2026, 11, 1), deadline=D(2026, 12, 10),
             touches=(touch(D(2026, 12, 8), "email", 1, stage="offer"),)),
         D(2026, 12, 11), [], rules=(REMINDERS,)),
    # Month and year ends, leap day.
    Case("month end", app(since=D(2026, 9, 28)), D(2026, 10, 1),
         [(1, "email", D(2026, 10, 1), 0)]),
    Case("year end: 1 January is a holiday", app(since=D(2026, 12, 29)), D(2027, 1, 4),
         [(1, "email", D(2027, 1, 4), 0)]),
    Case("leap day", app(since=D(2028, 2, 24)), D(2028, 2, 29),
         [(1, "email", D(2028, 2, 29), 0)]),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_rule(case: Case) -> None:
    state = AppState(**case.app)
    report = due_on([state], case.rules, US, case.day)
    assert [(n.step, n.action, n.due, n.overdue_days) for n in report.nudges] == case.nudges
    assert [(c.since, c.days, c.auto_ghost) for c in report.cold] == case.cold
    # The plan for that single day says the same (plan and due_on share one rule).
    entries = plan([state], case.rules, US, case.day, 1)
    assert [(n.step, n.action, n.due, n.overdue_days) for n in entries] == case.nudges


def test_nudge_fields_label_and_template() -> None:
    state = AppState(1, "offer", D(2026, 11, 20), deadline=D(2026, 11, 30))
    nudge = next_step(state, OFFER, US, D(2026, 11, 24))
    assert nudge is not None
    assert (nudge.step, nudge.steps, nudge.template, nudge.deadline) == (
        1, 2, "offer-reply", D(2026, 11, 30))
    assert nudge.label == "follow-up 1 of 2: email"
    done = AppState(1, "applied", D(2026, 11, 2),
                    touches=(touch(D(2026, 11, 10), "social", 3),))
    repeat = next_step(done, APPLIED, US)
    assert repeat is not None and repeat.repeat
    assert repeat.label == "follow-up 4 (repeating 3 of 3): social"


def test_next_step_without_a_day_keeps_a_passed_deadline_step() -> None:
    state = AppState(1, "offer", D(2026, 11, 20), deadline=D(2026, 11, 30))
    nudge = next_step(state, OFFER, US)
    assert nudge is not None and nudge.step == 1
    later = next_step(state, OFFER, US, D(2026, 12, 1))
    assert later is not None and later.step == 2


def test_report_order_overdue_first_then_due_then_id() -> None:
    apps = [
        AppState(1, "applied", D(2026, 11, 30)),  # due 2026-12-03, today
        AppState(2, "applied", D(2026, 11, 16)),  # due 2026-11-19, 14 days late
        AppState(3, "applied", D(2026, 11, 23)),  # due 2026-11-27, 6 days late
        AppState(4, "applied", D(2026, 11, 30)),  # due 2026-12-03, today
    ]
    report = due_on(apps, RULES, US, D(2026, 12, 3))
    assert [n.app_id for n in report.nudges] == [2, 3, 1, 4]
    assert [n.app_id for n in report.overdue] == [2, 3]
    assert [n.app_id for n in report.today] == [1, 4]


def test_cold_order_and_without() -> None:
    apps = [AppState(1, "applied", D(2026, 9, 1)), AppState(2, "applied", D(2026, 8, 1)),
            AppState(3, "interviewing", D(2026, 10, 1))]
    report = due_on(apps, RULES, US, D(2026, 12, 1))
    assert [c.app_id for c in report.cold] == [2, 1, 3]
    assert report.cold[2] == Cold(3, "interviewing", D(2026, 10, 1), 61, True)
    trimmed = report.without([2, 3])
    assert isinstance(trimmed, DueReport)
    assert [c.app_id for c in trimmed.cold] == [1]
    assert {n.app_id for n in trimmed.nudges} == {1}


def test_default_cadence_matches_config_example() -> None:
    from tests.conftest import REPO

    text = (REPO / "config.example.toml").read_text(encoding="utf-8")
    settings = parse_settings(text, REPO / "config.example.toml")
    assert settings.cadence == DEFAULT_CADENCE


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ('{ wait = "0 days", action = "email" }, { wait = "0 business days", action = "call" }',
         "step 2 has wait = \"0 business days\"; only step 1 may wait zero"),
        ('{ wait = "90 minutes", action = "email" }', "not minutes"),
        ('{ before = "30 minutes", action = "email" }', "not minutes"),
        ('{ action = "email" }', "exactly one of wait"),
        ('{ wait = "1 day", before = "1 day", action = "email" }', "exactly one of wait"),
        ('{ wait = "1 day", action = "fax" }', "fax"),
    ],
)
def test_rules_are_checked_at_load(tmp_path: Path, steps: str, message: str) -> None:
    text = f'[[cadence]]\nstage = "applied"\nsteps = [ {steps} ]\n'
    with pytest.raises(ConfigError) as info:
        parse_settings(text, tmp_path / "config.toml")
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('stage = "applied"\nsteps = []', "has no steps"),
        ('stage = "rejected"\nsteps = [ { wait = "1 day", action = "email" } ]', "rejected"),
        ('stage = "applied"\nsteps = [ { wait = "1 day", action = "email" } ]\n'
         'repeat = "0 days"', "repeat must be longer than zero"),
        ('stage = "applied"\nsteps = [ { wait = "1 day", action = "email" } ]\n'
         'auto_ghost = true', "auto_ghost needs give_up"),
    ],
)
def test_cadence_tables_are_checked_at_load(tmp_path: Path, table: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_settings(f"[[cadence]]\n{table}\n", tmp_path / "config.toml")
    assert message in str(info.value)


def test_zero_wait_on_step_one_is_accepted(tmp_path: Path) -> None:
    settings = parse_settings(
        '[[cadence]]\nstage = "interviewing"\nsteps = [ { wait = "0 days", action = '
        '"thank-you" }, { wait = "1 week", action = "email" } ]\n', tmp_path / "c.toml")
    assert settings.cadence[0].steps[0].wait is not None
