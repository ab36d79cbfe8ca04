"""What is due, for which application, on which day. Pure: no I/O, no clock.

Semantics (DESIGN.md, "Cadence semantics"):
- An application in an open stage S, entered on E, follows the [[cadence]] of S.
- The steps done or skipped in S are counted by the highest `step` number its touches in
  S (on or after E) carry; `nudger done`, `skip`, and a `log` of the due action record it.
- The clock (anchor) is the later of E and the last touch or skip in S: step 1 is due
  `wait` after E, every later step `wait` after the last touch, so any follow-up resets it.
- A step with `before` is due that long before the application's deadline; without a
  deadline it does not apply, and after the deadline it is no longer offered.
- After the last step, that step repeats every `repeat` after the last touch (if set).
- Snoozed applications get nothing before the snooze ends; closed stages get nothing.
- `give_up` after E with no stage change: the application is "going cold".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from nudger.calendar import Calendar
from nudger.config import OPEN_STAGES, Cadence


@dataclass(frozen=True, slots=True)
class TouchInfo:
    on: date
    action: str
    stage: str
    step: int | None = None
    skipped: bool = False


@dataclass(frozen=True, slots=True)
class AppState:
    """What the engine needs to know of one application."""

    id: int
    stage: str
    stage_since: date
    applied_on: date | None = None
    deadline: date | None = None
    snoozed_until: date | None = None
    touches: tuple[TouchInfo, ...] = ()
    company: str = ""
    role: str = ""


@dataclass(frozen=True, slots=True)
class Nudge:
    """One step due (or coming due) for one application."""

    app_id: int
    stage: str
    step: int  # 1-based; past `steps` for a repeat
    steps: int  # how many steps the stage's cadence has
    action: str
    template: str  # the draft template's name (the action, unless the step names one)
    due: date
    repeat: bool = False
    overdue_days: int = 0  # relative to the day asked about
    deadline: date | None = None  # for a step counted back from a deadline

    @property
    def label(self) -> str:
        if self.repeat:
            return f"follow-up {self.step} (repeating {self.steps} of {self.steps}): {self.action}"
        return f"follow-up {self.step} of {self.steps}: {self.action}"


@dataclass(frozen=True, slots=True)
class Cold:
    """An application with no reply for `give_up` since it entered its stage."""

    app_id: int
    stage: str
    since: date
    days: int
    auto_ghost: bool


@dataclass(frozen=True)
class DueReport:
    day: date
    nudges: list[Nudge] = field(default_factory=list)  # overdue first, then by due date, id
    cold: list[Cold] = field(default_factory=list)

    @property
    def overdue(self) -> list[Nudge]:
        return [n for n in self.nudges if n.overdue_days > 0]

    @property
    def today(self) -> list[Nudge]:
        return [n for n in self.nudges if n.overdue_days == 0]


def _progress(app: AppState) -> tuple[int, date]:
    """(steps done or skipped in the current stage, the date the clock counts from)."""
    done = 0
    anchor = app.stage_since
    for touch in app.touches:
        if touch.stage != app.stage or touch.on < app.stage_since:
            continue
        if touch.step is not None and touch.step > done:
            done = touch.step
        if touch.on > anchor:
            anchor = touch.on
    return done, anchor


def next_step(app: AppState, cadence: Cadence | None, calendar: Calendar) -> Nudge | None:
    """The next undone step with its due date, whatever today is; None when nothing is next."""
    if cadence is None or app.stage not in OPEN_STAGES:
        return None
    done, anchor = _progress(app)
    steps = cadence.steps
    index = done
    while index < len(steps):
        step = steps[index]
        if step.wait is not None:
            due = calendar.after(anchor, step.wait)
        elif app.deadline is not None and step.before is not None:
            due = max(calendar.before(app.deadline, step.before), anchor)
        else:
            index += 1  # a deadline step with no deadline does not apply
            continue
        return Nudge(app.id, app.stage, index + 1, len(steps), step.action,
                     step.template or step.action, due,
                     deadline=app.deadline if step.before is not None else None)
    if cadence.repeat is None or not steps:
        return None
    last = steps[-1]
    return Nudge(app.id, app.stage, max(done, len(steps)) + 1, len(steps), last.action,
                 last.template or last.action, calendar.after(anchor, cadence.repeat),
                 repeat=True)


def _by_stage(rules: Iterable[Cadence]) -> dict[str, Cadence]:
    return {rule.stage: rule for rule in rules}


def is_snoozed(app: AppState, day: date) -> bool:
    return app.snoozed_until is not None and day < app.snoozed_until


def _offered(app: AppState, nudge: Nudge, day: date) -> bool:
    if nudge.due > day or is_snoozed(app, day):
        return False
    # A step counted back from a deadline is no use once the deadline has passed.
    return nudge.deadline is None or day <= nudge.deadline


def due_on(
    apps: Sequence[AppState], rules: Iterable[Cadence], calendar: Calendar, day: date
) -> DueReport:
    """Every nudge due on `day` (overdue ones included), and the applications going cold."""
    by_stage = _by_stage(rules)
    nudges: list[Nudge] = []
    cold: list[Cold] = []
    for app in apps:
        cadence = by_stage.get(app.stage)
        if cadence is None or app.stage not in OPEN_STAGES:
            continue
        nudge = next_step(app, cadence, calendar)
        if nudge is not None and _offered(app, nudge, day):
            nudges.append(_with_overdue(nudge, day))
        if cadence.give_up is not None and not is_snoozed(app, day):
            limit = calendar.after(app.stage_since, cadence.give_up)
            if day >= limit:
                cold.append(Cold(app.id, app.stage, app.stage_since,
                                 (day - app.stage_since).days, cadence.auto_ghost))
    nudges.sort(key=lambda n: (-n.overdue_days, n.due, n.app_id))
    cold.sort(key=lambda c: (-c.days, c.app_id))
    return DueReport(day, nudges, cold)


def _with_overdue(nudge: Nudge, day: date) -> Nudge:
    return replace(nudge, overdue_days=max(0, (day - nudge.due).days))


def plan(
    apps: Sequence[AppState], rules: Iterable[Cadence], calendar: Calendar, start: date,
    days: int,
) -> list[Nudge]:
    """Every nudge that falls due (first shows up) from `start` through `start + days - 1`
    if the user does nothing, plus what is already overdue on `start`."""
    by_stage = _by_stage(rules)
    end = start + timedelta(days=max(days, 1) - 1)
    out: list[Nudge] = []
    for app in apps:
        cadence = by_stage.get(app.stage)
        if cadence is None or app.stage not in OPEN_STAGES:
            continue
        nudge = next_step(app, cadence, calendar)
        if nudge is None:
            continue
        shows = max(nudge.due, app.snoozed_until or nudge.due)
        if shows <= end and _offered(app, nudge, max(shows, start)):
            out.append(_with_overdue(nudge, max(shows, start)) if shows < start else nudge)
    out.sort(key=lambda n: (max(n.due, start), -n.overdue_days, n.app_id))
    return out
