"""What is due, for which application, on which day. Pure: no I/O, no clock.

Semantics (docs/cadence.md; the README's "How the cadence works" tells the
same in plain words):

- An application in an open stage S, entered on E, follows the [[cadence]] of S. Closed
  stages, and stages without a [[cadence]], get nothing.
- The stage's *start* is E, except in `interviewing`: there it is the interview's local
  date when that is later than E, so that the thank-you follows the interview. A
  `thank-you` step waits for the interview's date: while none is known, nothing is next
  in `interviewing` from that step on (a thank-you before the interview is a wrong one).
- The steps done or skipped in S are counted by the highest `step` number its touches in
  S (on or after E) carry; `nudger done`, `skip`, and a `log` of the next step's action
  record it. A touch with no step (a `log` of another action) completes nothing.
- The clock (anchor) is the later of the start and the last touch or skip in S: step 1 is
  due `wait` after the start, every later step `wait` after the last touch, so any
  follow-up, of any channel, resets it. A skip is a touch here too: the step after a
  skipped one waits its own `wait` from the day of the skip.
- A step with `before` is due that long before the application's deadline (not before
  the anchor). Without a deadline it does not apply; once its deadline has passed it is
  passed over and the step after it comes next, counted from the anchor.
- After the last step, that step repeats every `repeat` after the last touch (if `repeat`
  is set); a repeated `before` step stops at the deadline like the step itself.
- An undone step stays due every day after its due date (overdue, with the days late),
  until it is done, skipped, or hidden by a snooze.
- Snoozed applications get nothing on the days before the snooze ends: no nudge, no
  "going cold" entry.
- `give_up` after the start with no stage change: the application is "going cold" (its
  steps keep coming until it is closed). With `auto_ghost = true` the caller closes it
  as `ghosted` (`nudger.track.progress.apply_auto_ghost`).
- Touches are taken as recorded: asking about a past day does not hide touches logged
  after it.
- A zero `wait` is accepted on step 1 only (config.py refuses it later: the step would
  fall due the day the step before it was done); `repeat` and `give_up` must be longer
  than zero. So logging the step due on a day never makes a `wait` step due that day.

`due_on` (one day) and `plan` (a range of days) are built on the same per-day function,
`offered`, so the plan for a day always agrees with what is due that day.
"""

from __future__ import annotations

import gc
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import NamedTuple

from nudger.config import Cadence, Step
from nudger.vocab import OPEN_STAGES, Action, Stage
from nudger.when.business import Calendar
from nudger.when.dates import LATEST

_OPEN = frozenset(OPEN_STAGES)
_ONE_DAY = timedelta(days=1)


class TouchInfo(NamedTuple):
    """One logged touch (or skip) as the engine sees it. A named tuple rather than a
    dataclass: a digest builds one per touch of every open application, and a tuple is
    built three times faster (bench/b_cadence.py)."""

    on: date
    action: str
    stage: str
    step: int | None = None  # the cadence step it completed (or skipped), if any
    skipped: bool = False


@dataclass(frozen=True, slots=True)
class AppState:
    """What the engine needs to know of one application."""

    id: int
    stage: str
    stage_since: date
    applied_on: date | None = None
    deadline: date | None = None
    snoozed_until: date | None = None  # nothing shows on days before this one
    touches: tuple[TouchInfo, ...] = ()
    company: str = ""
    role: str = ""
    interview_on: date | None = None  # the interview's local date (interview_at in the zone)
    paused: bool = False  # a reply from the mailbox paused its nudges (docs/mailbox.md)


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
    deadline: date | None = None  # for a step counted back from a deadline: gone after it
    shows: date | None = None  # in a plan: the first day of the range it is listed on

    @property
    def label(self) -> str:
        if self.repeat:
            return f"follow-up {self.step} (repeating {self.steps} of {self.steps}): {self.action}"
        return f"follow-up {self.step} of {self.steps}: {self.action}"


@dataclass(frozen=True, slots=True)
class Cold:
    """An application with no stage change for `give_up` since its stage started."""

    app_id: int
    stage: str
    since: date  # the stage's start (the interview's date, in `interviewing`)
    days: int  # calendar days from `since` to the day asked about
    auto_ghost: bool


@dataclass(frozen=True)
class DueReport:
    day: date
    nudges: list[Nudge] = field(default_factory=list)  # overdue first, then by due date, id
    cold: list[Cold] = field(default_factory=list)  # longest first

    @property
    def overdue(self) -> list[Nudge]:
        return [n for n in self.nudges if n.overdue_days > 0]

    @property
    def today(self) -> list[Nudge]:
        return [n for n in self.nudges if n.overdue_days == 0]

    def without(self, app_ids: Collection[int]) -> DueReport:
        """This report minus some applications (e.g. those `apply_auto_ghost` closed)."""
        gone = set(app_ids)
        return DueReport(self.day, [n for n in self.nudges if n.app_id not in gone],
                         [c for c in self.cold if c.app_id not in gone])


@contextmanager
def bulk() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small acyclic objects.

    Loading 100,000 applications allocates millions of tuples and dataclasses, none in a
    cycle; the collector would walk the growing heap again and again for nothing (it
    costs ~40% of the time, see bench/b_cadence.py). Reference counting still frees
    everything; the collector is restored on exit, even on error."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def stage_start(app: AppState) -> date:
    """The day the current stage's clock starts: entering it, or for `interviewing` the
    interview itself when that comes later."""
    if (app.stage == "interviewing" and app.interview_on is not None
            and app.interview_on > app.stage_since):
        return app.interview_on
    return app.stage_since


def _progress(app: AppState) -> tuple[int, date]:
    """(steps done or skipped in the current stage, the date the clock counts from)."""
    done = 0
    anchor = stage_start(app)
    stage, since = app.stage, app.stage_since
    for on, _action, touch_stage, step, _skipped in app.touches:  # unpacking is fastest
        if touch_stage != stage or on < since:
            continue
        if step is not None and step > done:
            done = step
        if on > anchor:
            anchor = on
    return done, anchor


def _upcoming(
    app: AppState, cadence: Cadence, calendar: Calendar, day: date | None
) -> tuple[int, Step, date, bool, date | None] | None:
    """(step number, its rule, due date, is a repeat, deadline it dies at) of the next
    step, or None. The engine's one rule; `next_step` and `offered` dress it up.

    A step that would fall due after nudger.when.dates.LATEST (only a row written around
    nudger's checks can get there) is no step: the cadence simply ends."""
    found = _next_due(app, cadence, calendar, day)
    if found is not None and found[2] > LATEST:
        return None
    return found


def _next_due(
    app: AppState, cadence: Cadence, calendar: Calendar, day: date | None
) -> tuple[int, Step, date, bool, date | None] | None:
    if app.stage not in _OPEN:
        return None
    done, anchor = _progress(app)
    steps = cadence.steps
    deadline = app.deadline
    expired = deadline is not None and day is not None and day > deadline
    index = done
    while index < len(steps):
        step = steps[index]
        if step.action == Action.THANK_YOU and app.stage == Stage.INTERVIEWING \
                and app.interview_on is None:
            return None  # the thank-you follows an interview whose date is not known yet
        if step.wait is not None:
            return index + 1, step, calendar.after(anchor, step.wait), False, None
        if deadline is not None and step.before is not None and not expired:
            due = calendar.before(deadline, step.before)
            return index + 1, step, due if due > anchor else anchor, False, deadline
        index += 1  # a deadline step without a (future) deadline does not apply
    if cadence.repeat is None or not steps:
        return None
    last = steps[-1]
    if last.before is not None and (deadline is None or expired):
        return None
    return (max(done, len(steps)) + 1, last, calendar.after(anchor, cadence.repeat), True,
            deadline if last.before is not None else None)


def _nudge(app: AppState, cadence: Cadence,
           found: tuple[int, Step, date, bool, date | None], overdue: int = 0) -> Nudge:
    number, step, due, repeat, deadline = found
    return Nudge(app.id, app.stage, number, len(cadence.steps), step.action,
                 step.template or step.action, due, repeat, overdue, deadline)


def next_step(
    app: AppState, cadence: Cadence | None, calendar: Calendar, day: date | None = None
) -> Nudge | None:
    """The next undone step with its due date; None when nothing is next.

    Without `day` this ignores the calendar date; with it, `before` steps whose deadline
    lies before `day` are passed over (they can no longer be done in time)."""
    if cadence is None:
        return None
    found = _upcoming(app, cadence, calendar, day)
    return None if found is None else _nudge(app, cadence, found)


def _by_stage(rules: Iterable[Cadence]) -> dict[str, Cadence]:
    return {rule.stage: rule for rule in rules}


def is_snoozed(app: AppState, day: date) -> bool:
    return app.paused or (app.snoozed_until is not None and day < app.snoozed_until)


def offered(app: AppState, cadence: Cadence | None, calendar: Calendar, day: date
            ) -> Nudge | None:
    """The nudge `app` shows on `day` (with its days late), or None. At most one per
    application and day: the next step, once due, until it is done or skipped."""
    if cadence is None or app.paused or (app.snoozed_until is not None
                                          and day < app.snoozed_until):
        return None
    found = _upcoming(app, cadence, calendar, day)
    if found is None or found[2] > day:
        return None
    if found[4] is not None and day > found[4]:
        return None  # a deadline step (or its repeat) is no use once the deadline is gone
    return _nudge(app, cadence, found, (day - found[2]).days)


def going_cold(app: AppState, cadence: Cadence | None, calendar: Calendar, day: date
               ) -> Cold | None:
    """The "going cold" entry of `app` on `day`, if `give_up` has passed since its start."""
    if (cadence is None or cadence.give_up is None or app.stage not in _OPEN
            or is_snoozed(app, day)):
        return None
    start = stage_start(app)
    if day < calendar.after(start, cadence.give_up):
        return None
    return Cold(app.id, app.stage, start, (day - start).days, cadence.auto_ghost)


def due_on(
    apps: Sequence[AppState], rules: Iterable[Cadence], calendar: Calendar, day: date
) -> DueReport:
    """Every nudge due on `day` (overdue ones included), and the applications going cold."""
    by_stage = _by_stage(rules)
    nudges: list[Nudge] = []
    cold: list[Cold] = []
    with bulk():
        for app in apps:
            cadence = by_stage.get(app.stage)
            if cadence is None:
                continue
            nudge = offered(app, cadence, calendar, day)
            if nudge is not None:
                nudges.append(nudge)
            entry = going_cold(app, cadence, calendar, day)
            if entry is not None:
                cold.append(entry)
    nudges.sort(key=lambda n: (-n.overdue_days, n.due, n.app_id))
    cold.sort(key=lambda c: (-c.days, c.app_id))
    return DueReport(day, nudges, cold)


def _next_change(app: AppState, cadence: Cadence, calendar: Calendar, day: date
                 ) -> date | None:
    """The first day after `day` on which `offered` may answer differently: the next
    step falls due, the snooze ends, or the deadline passes. None: never again."""
    if app.paused:
        return None  # until the user answers the reply, nothing changes by itself
    candidates = []
    nudge = next_step(app, cadence, calendar, day)
    if nudge is not None and nudge.due > day:
        candidates.append(nudge.due)
    if app.snoozed_until is not None and app.snoozed_until > day:
        candidates.append(app.snoozed_until)
    if app.deadline is not None and day <= app.deadline < date.max:
        candidates.append(app.deadline + _ONE_DAY)
    return min(candidates) if candidates else None


def plan(
    apps: Sequence[AppState], rules: Iterable[Cadence], calendar: Calendar, start: date,
    days: int,
) -> list[Nudge]:
    """Every nudge listed on some day from `start` through `start + days - 1` if the user
    does nothing, each once, with `shows` set to the first day it is listed (`start` for
    what is already overdue then) and `overdue_days` as of that day.

    On each day D of the range, `due_on(D)` lists exactly the entries with `shows <= D`
    (and, for a deadline step, `D <= deadline`)."""
    by_stage = _by_stage(rules)
    end = start + timedelta(days=max(days, 1) - 1)
    out: list[Nudge] = []
    for app in apps:
        cadence = by_stage.get(app.stage)
        if cadence is None or app.stage not in _OPEN:
            continue
        day: date | None = start
        listed: int | None = None
        while day is not None and day <= end:
            nudge = offered(app, cadence, calendar, day)
            if nudge is not None and nudge.step != listed:
                out.append(replace(nudge, shows=day))
            listed = nudge.step if nudge is not None else None
            day = _next_change(app, cadence, calendar, day)
    out.sort(key=lambda n: (n.shows, -n.overdue_days, n.due, n.app_id))
    return out
