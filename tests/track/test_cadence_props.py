"""Properties of the cadence engine over random applications, touches, snoozes, deadlines,
interviews and rules (hypothesis): nothing for closed or snoozed applications; no step
due before its wait has passed since the last touch; the same input gives the same
output; logging the due step removes it from that day's list; the plan for N days agrees
with asking `due_on` for each of those days."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nudger.config import Cadence
from nudger.track.cadence import AppState, TouchInfo, due_on, is_snoozed, plan, stage_start
from nudger.vocab import OPEN_STAGES, STAGES
from nudger.when.business import Calendar

CALENDARS = (Calendar("US"), Calendar(None, None, ("fri", "sat")))
FIRST = date(2026, 10, 1)
LAST = date(2028, 3, 31)  # spans Thanksgiving, 4 July, two year ends and 2028-02-29
dates = st.dates(min_value=FIRST, max_value=LAST)
UNITS = ("days", "business days", "weeks", "hours")
ACTIONS = ("email", "call", "visit", "social", "network", "pitch", "thank-you", "apply")


def duration(low: int) -> st.SearchStrategy[str]:
    return st.builds(lambda n, u: f"{n} {u}", st.integers(low, 8), st.sampled_from(UNITS))


@st.composite
def cadences(draw: st.DrawFn, stage: str) -> Cadence:
    steps: list[dict[str, Any]] = []
    for index in range(draw(st.integers(1, 4))):
        if draw(st.booleans()) and draw(st.integers(0, 3)) == 0:
            steps.append({"before": draw(duration(0)), "action": draw(st.sampled_from(ACTIONS))})
        else:
            steps.append({"wait": draw(duration(0 if index == 0 else 1)),
                          "action": draw(st.sampled_from(ACTIONS))})
    give_up = draw(st.none() | duration(1))
    return Cadence.model_validate({
        "stage": stage, "steps": steps, "repeat": draw(st.none() | duration(1)),
        "give_up": give_up, "auto_ghost": give_up is not None and draw(st.booleans()),
    }, strict=False)


@st.composite
def rule_sets(draw: st.DrawFn) -> tuple[Cadence, ...]:
    stages = draw(st.lists(st.sampled_from(OPEN_STAGES), unique=True, min_size=1))
    return tuple(draw(cadences(stage)) for stage in stages)


@st.composite
def applications(draw: st.DrawFn, app_id: int) -> AppState:
    stage = draw(st.sampled_from(STAGES))
    since = draw(dates)
    touches = []
    for _ in range(draw(st.integers(0, 6))):
        touches.append(TouchInfo(
            on=draw(st.dates(min_value=since - timedelta(days=10),
                             max_value=since + timedelta(days=80))),
            action=draw(st.sampled_from(ACTIONS)),
            stage=stage if draw(st.integers(0, 4)) else draw(st.sampled_from(STAGES)),
            step=draw(st.none() | st.integers(1, 6)),
            skipped=draw(st.booleans()),
        ))
    touches.sort(key=lambda t: t.on)
    return AppState(
        id=app_id, stage=stage, stage_since=since,
        deadline=draw(st.none() | st.dates(min_value=since, max_value=since + timedelta(60))),
        snoozed_until=draw(st.none() | st.dates(min_value=since, max_value=since + timedelta(60))),
        interview_on=draw(st.none() | st.dates(min_value=since - timedelta(days=5),
                                               max_value=since + timedelta(days=20))),
        touches=tuple(touches),
    )


@st.composite
def worlds(draw: st.DrawFn) -> tuple[list[AppState], tuple[Cadence, ...], Calendar, date]:
    count = draw(st.integers(1, 6))
    apps = [draw(applications(i + 1)) for i in range(count)]
    day = draw(st.dates(min_value=FIRST, max_value=LAST + timedelta(days=60)))
    return apps, draw(rule_sets()), draw(st.sampled_from(CALENDARS)), day


PROPS = settings(max_examples=120, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _anchor(app: AppState) -> date:
    """The clock's start, written out independently of the engine's own code."""
    ons = [t.on for t in app.touches if t.stage == app.stage and t.on >= app.stage_since]
    return max([stage_start(app), *ons])


@PROPS
@given(worlds())
def test_nothing_for_closed_or_snoozed(world: Any) -> None:
    apps, rules, calendar, day = world
    report = due_on(apps, rules, calendar, day)
    by_id = {a.id: a for a in apps}
    for app_id in [n.app_id for n in report.nudges] + [c.app_id for c in report.cold]:
        app = by_id[app_id]
        assert app.stage in OPEN_STAGES
        assert not is_snoozed(app, day)
    # At most one nudge per application and day.
    assert len({n.app_id for n in report.nudges}) == len(report.nudges)


@PROPS
@given(worlds())
def test_no_step_before_its_wait_since_the_last_touch(world: Any) -> None:
    apps, rules, calendar, day = world
    by_id = {a.id: a for a in apps}
    by_stage = {r.stage: r for r in rules}
    for nudge in due_on(apps, rules, calendar, day).nudges:
        app = by_id[nudge.app_id]
        rule = by_stage[app.stage]
        anchor = _anchor(app)
        assert nudge.due <= day
        assert nudge.overdue_days == (day - nudge.due).days
        if nudge.repeat:
            assert rule.repeat is not None
            assert nudge.due == calendar.after(anchor, rule.repeat)
            continue
        step = rule.steps[nudge.step - 1]
        if step.wait is not None:
            assert nudge.due == calendar.after(anchor, step.wait)
            assert day >= calendar.after(anchor, step.wait)
        else:
            assert step.before is not None and app.deadline is not None
            assert anchor <= nudge.due <= day <= app.deadline


@PROPS
@given(worlds(), st.randoms(use_true_random=False))
def test_same_input_same_output(world: Any, rng: Any) -> None:
    apps, rules, calendar, day = world
    first = due_on(apps, rules, calendar, day)
    shuffled = list(apps)
    rng.shuffle(shuffled)
    fresh = Calendar(calendar.country, calendar.region,
                     [d for d, i in (("mon", 0), ("tue", 1), ("wed", 2), ("thu", 3), ("fri", 4),
                                     ("sat", 5), ("sun", 6)) if i in calendar.weekend])
    assert due_on(shuffled, tuple(reversed(rules)), fresh, day) == first
    assert due_on(apps, rules, calendar, day) == first


@PROPS
@given(worlds())
def test_logging_the_due_step_removes_it(world: Any) -> None:
    apps, rules, calendar, day = world
    report = due_on(apps, rules, calendar, day)
    for nudge in report.nudges:
        logged = [
            AppState(a.id, a.stage, a.stage_since, a.applied_on, a.deadline, a.snoozed_until,
                     (*a.touches, TouchInfo(day, nudge.action, a.stage, nudge.step)),
                     interview_on=a.interview_on)
            if a.id == nudge.app_id else a
            for a in apps
        ]
        after = due_on(logged, rules, calendar, day)
        assert (nudge.app_id, nudge.step) not in {(n.app_id, n.step) for n in after.nudges}
        # Other applications are untouched.
        assert [n for n in after.nudges if n.app_id != nudge.app_id] == \
            [n for n in report.nudges if n.app_id != nudge.app_id]


@PROPS
@given(worlds(), st.integers(1, 21))
def test_plan_agrees_with_due_on_each_day(world: Any, days: int) -> None:
    apps, rules, calendar, start = world
    entries = plan(apps, rules, calendar, start, days)
    for offset in range(days):
        day = start + timedelta(days=offset)
        listed: dict[int, Any] = {}
        for entry in entries:  # the latest entry shown by `day` stands for its application
            assert entry.shows is not None
            if entry.shows <= day:
                listed[entry.app_id] = entry
        expected = {
            (e.app_id, e.step, e.due)
            for e in listed.values() if e.deadline is None or day <= e.deadline
        }
        report = due_on(apps, rules, calendar, day)
        assert {(n.app_id, n.step, n.due) for n in report.nudges} == expected, day
    for entry in entries:
        assert entry.shows is not None and start <= entry.shows < start + timedelta(days)
        assert entry.overdue_days == (entry.shows - entry.due).days
