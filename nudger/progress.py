"""Between the store and the cadence engine: load what the engine needs in a constant
number of queries, record touches and skips with the step they complete, and close the
applications that `auto_ghost` gives up on."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, tzinfo
from sys import intern
from typing import Any

from sqlmodel import Session

from nudger import tracker
from nudger.cadence import AppState, DueReport, Nudge, TouchInfo, bulk, due_on, next_step
from nudger.calendar import Calendar
from nudger.config import Settings
from nudger.errors import DataError, UsageError
from nudger.store.models import Application, Touch
from nudger.vocab import OPEN_STAGES

# Up to this many applications are named in an IN (...) list; more, and the queries read
# every row of the open stages and drop the others in Python (one query either way).
_IN_LIMIT = 500


def _local_date(moment: datetime | None, zone: tzinfo) -> date | None:
    if moment is None:
        return None
    if moment.tzinfo is None:  # stored UTC; read raw it comes back naive
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone).date()


class _Dates:
    """ISO text → date, memoised: a hunt's rows share a few hundred distinct dates."""

    def __init__(self) -> None:
        self.seen: dict[str, date] = {}

    def __call__(self, text: str | None, table: str, row: object, column: str) -> date | None:
        if text is None:
            return None
        found = self.seen.get(text)
        if found is None:
            try:
                found = date.fromisoformat(text)
            except (TypeError, ValueError):
                raise DataError(
                    f"the database holds {text!r} in {table} #{row} column {column}, which "
                    "is not a date (YYYY-MM-DD); fix that row with sqlite3 or `nudger edit`"
                ) from None
            self.seen[text] = found
        return found


def _moment(text: str | None, app_id: object) -> datetime | None:
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text)
    except (TypeError, ValueError):
        raise DataError(
            f"the database holds {text!r} in application #{app_id} column interview_at, "
            "which is not a date and time; set it again with `nudger edit --interview`"
        ) from None


def _marks(count: int) -> str:
    return ", ".join("?" * count)


def load_states(
    session: Session, apps: Sequence[Application] | None = None, *, open_only: bool = True,
    zone: tzinfo | None = None,
) -> list[AppState]:
    """AppStates for `apps` (default: every application, in an open stage unless
    `open_only` is false), in three queries whatever their number.

    `zone` is the user's zone (`settings.zone`): it turns the interview's UTC moment into
    the local date the `interviewing` cadence counts from. Touches are those of the
    current stage since it was entered, oldest first.

    This runs over every application for every digest, so it reads plain rows through
    the session's own DBAPI connection (same transaction) rather than building ORM
    objects: see bench/b_cadence.py for what that buys."""
    with bulk():
        return _load(session, apps, open_only, zone or UTC)


def _load(session: Session, apps: Sequence[Application] | None, open_only: bool,
          zone: tzinfo) -> list[AppState]:
    parse = _Dates()
    session.flush()  # the raw cursor below sees only what the session has written
    cursor = session.connection().connection.cursor()
    try:
        if apps is None:
            sql = ("SELECT id, stage, stage_since, applied_on, deadline, interview_at, company, "
                   "role, paused_since IS NOT NULL FROM application")
            params: list[Any] = []
            if open_only:
                # `+stage`: scan in id order rather than sort what the stage index finds
                sql += f" WHERE +stage IN ({_marks(len(OPEN_STAGES))})"
                params = list(OPEN_STAGES)
            rows: list[tuple[Any, ...]] = []
            seen = parse.seen
            for app_id, stage, since, applied, deadline, interview, company, role, paused in \
                    cursor.execute(sql + " ORDER BY id", params):
                rows.append((
                    app_id, intern(stage),
                    seen.get(since) or parse(since, "application", app_id, "stage_since"),
                    None if applied is None else
                    seen.get(applied) or parse(applied, "application", app_id, "applied_on"),
                    None if deadline is None else
                    seen.get(deadline) or parse(deadline, "application", app_id, "deadline"),
                    None if interview is None else _moment(interview, app_id),
                    company, role, paused == 1))
            narrow: list[int] | None = None
        else:
            rows = [(a.id, a.stage, a.stage_since, a.applied_on, a.deadline, a.interview_at,
                     a.company, a.role, a.paused_since is not None)
                    for a in apps if a.id is not None]
            ids = sorted({row[0] for row in rows})
            narrow = ids if len(ids) <= _IN_LIMIT else None
        if not rows:
            return []

        # The touches of each application's current stage since it was entered, grouped
        # and put in date order in Python: a JOIN or an ORDER BY over the whole table
        # costs SQLite more than the dictionary lookups below, and rows mostly arrive in
        # order already.
        scope = {row[0]: row for row in rows}  # id → (id, stage, stage_since, ...)
        sql = ("SELECT application_id, touched_on, action, stage, step, skipped, id "
               "FROM touch")
        params = []
        if narrow is not None:
            sql += f" WHERE application_id IN ({_marks(len(narrow))})"
            params = list(narrow)
        elif apps is None and open_only:
            sql += f" WHERE stage IN ({_marks(len(OPEN_STAGES))})"
            params = list(OPEN_STAGES)
        seen = parse.seen
        new_touch = tuple.__new__  # TouchInfo(...) without its Python-level __new__
        shared: dict[tuple[Any, ...], TouchInfo] = {}
        touches: dict[int, list[TouchInfo]] = {}
        unsorted: set[int] = set()
        for app_id, on_text, action, stage, step, skipped, touch_id in \
                cursor.execute(sql, params):
            current = scope.get(app_id)
            if current is None or stage != current[1]:
                continue
            on = seen.get(on_text) or parse(on_text, "touch", touch_id, "touched_on")
            assert on is not None  # the column is NOT NULL
            if on < current[2]:
                continue  # before the stage was (re-)entered
            # Touches are immutable values that repeat (a date, an action, a step): share
            # one TouchInfo per distinct value, and one string per action and stage. A
            # hunt of 100,000 applications then holds a few thousand touch objects, not
            # 500,000, and stays small enough to be walked quickly.
            key = (on, intern(action), current[1], step, skipped == 1)
            info = shared.get(key)
            if info is None:
                info = shared[key] = new_touch(TouchInfo, key)
            found = touches.get(app_id)
            if found is None:
                touches[app_id] = [info]
            else:
                if on < found[-1].on:
                    unsorted.add(app_id)
                found.append(info)
        for app_id in unsorted:
            touches[app_id].sort(key=_touch_day)  # stable: same-day touches keep their order

        sql = ("SELECT s.application_id, s.until, s.id FROM snooze s JOIN (SELECT "
               "application_id, MAX(id) AS last FROM snooze")
        params = []
        if narrow is not None:
            sql += f" WHERE application_id IN ({_marks(len(narrow))})"
            params = list(narrow)
        sql += " GROUP BY application_id) latest ON s.id = latest.last"
        snoozes: dict[int, date | None] = {
            app_id: parse(until, "snooze", snooze_id, "until")
            for app_id, until, snooze_id in cursor.execute(sql, params)
        }
    finally:
        cursor.close()

    empty: tuple[TouchInfo, ...] = ()
    return [
        AppState(
            id=app_id, stage=stage, stage_since=since, applied_on=applied, deadline=deadline,
            snoozed_until=snoozes.get(app_id),
            touches=tuple(touches[app_id]) if app_id in touches else empty,
            company=company, role=role,
            interview_on=_local_date(interview, zone) if interview is not None else None,
            paused=paused,
        )
        for app_id, stage, since, applied, deadline, interview, company, role, paused in rows
    ]


def _touch_day(touch: TouchInfo) -> date:
    return touch.on


def step_json(nudge: Nudge, today: date) -> dict[str, Any]:
    return {
        "step": nudge.step,
        "of": nudge.steps,
        "action": nudge.action,
        "template": nudge.template,
        "due": nudge.due.isoformat(),
        "overdue_days": max(0, (today - nudge.due).days),
        "repeat": nudge.repeat,
        "deadline": nudge.deadline.isoformat() if nudge.deadline else None,
        "label": nudge.label,
    }


def next_steps(
    session: Session, settings: Settings, calendar: Calendar, today: date,
    apps: Sequence[Application] | None = None,
) -> dict[int, dict[str, Any]]:
    """Application id → its next step (as JSON-able data), for `list` and `show`; for
    every open application when `apps` is None."""
    out: dict[int, dict[str, Any]] = {}
    chosen = None if apps is None else [a for a in apps if a.stage in OPEN_STAGES]
    for state in load_states(session, chosen, zone=settings.zone):
        nudge = next_step(state, settings.cadence_for(state.stage), calendar, today)
        if nudge is not None:
            out[state.id] = step_json(nudge, today)
    return out


def current_step(
    session: Session, settings: Settings, calendar: Calendar, app: Application,
    day: date | None = None,
) -> Nudge | None:
    """The step next for `app` as of `day` (deadline steps gone by then are passed over)."""
    states = load_states(session, [app], zone=settings.zone)
    if not states:
        return None
    return next_step(states[0], settings.cadence_for(app.stage), calendar, day)


def record_touch(
    session: Session, settings: Settings, calendar: Calendar, today: date, app_id: int,
    action: str, on: date, *, note: str = "",
) -> tuple[Touch, str | None]:
    """Log a touch; when its action is the step next on `on`, it completes that step."""
    app = tracker.get_application(session, app_id)
    tracker.check_action(action)
    nudge = current_step(session, settings, calendar, app, on)
    step = nudge.step if nudge is not None and nudge.action == action else None
    touch = tracker.log_touch(session, app_id, action, on, note=note, step=step)
    return touch, (nudge.label if step is not None and nudge is not None else None)


def _nothing_next(app: Application) -> UsageError:
    if app.stage not in OPEN_STAGES:
        why = f"its stage {app.stage!r} is closed"
        hint = f"`nudger stage {app.id} applied` reopens it"
    else:
        why = f"its {app.stage!r} cadence is finished (or has no step that applies)"
        hint = f"`nudger log {app.id} ACTION` records a follow-up anyway"
    return UsageError(f"#{app.id} {app.company} has no next step: {why}; {hint}")


def complete_step(
    session: Session, settings: Settings, calendar: Calendar, app_id: int, on: date, *,
    note: str = "",
) -> tuple[Touch, Nudge]:
    """`nudger done`: log a touch of the step next on `on`, completing it. UsageError
    when nothing is next (closed stage, finished cadence)."""
    app = tracker.get_application(session, app_id)
    nudge = current_step(session, settings, calendar, app, on)
    if nudge is None:
        raise _nothing_next(app)
    touch = tracker.log_touch(session, app_id, nudge.action, on, note=note, step=nudge.step)
    return touch, nudge


def skip_step(
    session: Session, settings: Settings, calendar: Calendar, app_id: int, on: date, *,
    note: str = "",
) -> tuple[Touch, Nudge]:
    """`nudger skip`: pass over the step next on `on` without doing it. The skip is stored
    as a touch with skipped=True and that step's number and action; like a touch it
    restarts the clock, so the step after it waits its own `wait` from `on`."""
    app = tracker.get_application(session, app_id)
    nudge = current_step(session, settings, calendar, app, on)
    if nudge is None:
        raise _nothing_next(app)
    touch = tracker.log_touch(session, app_id, nudge.action, on, note=note, step=nudge.step,
                              skipped=True)
    return touch, nudge


def apply_auto_ghost(session: Session, report: DueReport, today: date) -> list[int]:
    """Close as `ghosted` every application the report lists as going cold under a
    cadence with `auto_ghost = true`; returns their IDs. An application whose stage
    changed since the report was computed is left alone. Call inside a write session;
    `report.without(ids)` then drops their nudges."""
    closed: list[int] = []
    for entry in report.cold:
        if not entry.auto_ghost:
            continue
        app = session.get(Application, entry.app_id)
        if app is None or app.stage != entry.stage:
            continue
        tracker.change_stage(
            session, entry.app_id, "ghosted", today,
            note=f"auto_ghost: no reply {entry.days} days after {entry.stage} started on "
                 f"{entry.since.isoformat()}",
        )
        closed.append(entry.app_id)
    return closed


def auto_ghost_due(session: Session, settings: Settings, calendar: Calendar,
                   day: date) -> list[str]:
    """Close what `auto_ghost = true` says to close on `day`; one line per application
    closed, for the digest to tell. Nothing to do (and no query) when no cadence asks."""
    if not any(rule.auto_ghost for rule in settings.cadence):
        return []
    report = due_on(load_states(session, zone=settings.zone), settings.cadence, calendar, day)
    names = {c.app_id: c for c in report.cold}
    closed = apply_auto_ghost(session, report, day)
    out = []
    for app_id in closed:
        app = session.get(Application, app_id)
        entry = names[app_id]
        label = f"#{app_id} {app.company}" if app is not None else f"#{app_id}"
        out.append(f"Closed as ghosted (auto_ghost): {label}, no reply {entry.days} days "
                   f"after entering {entry.stage}. Reopen with: nudger stage {app_id} "
                   f"{entry.stage}")
    return out
