"""Between the store and the cadence engine: load what the engine needs in a constant
number of queries, and record touches with the step they complete."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from nudger import tracker
from nudger.cadence import AppState, Nudge, TouchInfo, next_step
from nudger.calendar import Calendar
from nudger.config import OPEN_STAGES, Settings
from nudger.models import Application, Snooze, Touch


def load_states(
    session: Session, apps: Sequence[Application] | None = None, *, open_only: bool = True
) -> list[AppState]:
    """AppStates for `apps` (default: every application in an open stage), in three
    queries whatever their number."""
    if apps is None:
        query = select(Application).order_by(col(Application.id))
        if open_only:
            query = query.where(col(Application.stage).in_(OPEN_STAGES))
        apps = list(session.exec(query).all())
    ids = [a.id for a in apps if a.id is not None]
    touches: dict[int, list[TouchInfo]] = {}
    snoozes: dict[int, date] = {}
    if ids:
        # One query each, filtered by stage in SQL rather than by a long IN list.
        touch_rows = session.execute(
            sa_select(col(Touch.application_id), col(Touch.touched_on), col(Touch.action),
                      col(Touch.stage), col(Touch.step), col(Touch.skipped))
            .join(Application, col(Application.id) == col(Touch.application_id))
            .where(col(Touch.stage) == col(Application.stage))
            .where(col(Touch.touched_on) >= col(Application.stage_since))
            .order_by(col(Touch.touched_on), col(Touch.id))
        ).all()
        wanted = set(ids)
        for app_id, on, action, stage, step, skipped in touch_rows:
            if app_id in wanted:
                touches.setdefault(app_id, []).append(
                    TouchInfo(on, action, stage, step, bool(skipped)))
        latest = (
            select(Snooze.application_id, func.max(Snooze.id).label("last"))
            .group_by(col(Snooze.application_id)).subquery()
        )
        for app_id, until in session.execute(
            sa_select(col(Snooze.application_id), col(Snooze.until))
            .join(latest, col(Snooze.id) == latest.c.last)
        ).all():
            if app_id in wanted:
                snoozes[app_id] = until
    return [
        AppState(
            id=a.id, stage=a.stage, stage_since=a.stage_since, applied_on=a.applied_on,
            deadline=a.deadline, snoozed_until=snoozes.get(a.id),
            touches=tuple(touches.get(a.id, ())), company=a.company, role=a.role,
        )
        for a in apps if a.id is not None
    ]


def step_json(nudge: Nudge, today: date) -> dict[str, Any]:
    return {
        "step": nudge.step,
        "of": nudge.steps,
        "action": nudge.action,
        "due": nudge.due.isoformat(),
        "overdue_days": max(0, (today - nudge.due).days),
        "repeat": nudge.repeat,
        "label": nudge.label,
    }


def next_steps(
    session: Session, settings: Settings, calendar: Calendar, today: date,
    apps: Sequence[Application],
) -> dict[int, dict[str, Any]]:
    """Application id → its next step (as JSON-able data), for `list` and `show`."""
    out: dict[int, dict[str, Any]] = {}
    for state in load_states(session, [a for a in apps if a.stage in OPEN_STAGES]):
        nudge = next_step(state, settings.cadence_for(state.stage), calendar)
        if nudge is not None:
            out[state.id] = step_json(nudge, today)
    return out


def current_step(
    session: Session, settings: Settings, calendar: Calendar, app: Application
) -> Nudge | None:
    states = load_states(session, [app])
    return next_step(states[0], settings.cadence_for(app.stage), calendar) if states else None


def record_touch(
    session: Session, settings: Settings, calendar: Calendar, today: date, app_id: int,
    action: str, on: date, *, note: str = "",
) -> tuple[Touch, str | None]:
    """Log a touch; when its action is the step now next, it completes that step."""
    app = tracker.get_application(session, app_id)
    tracker.check_action(action)
    nudge = current_step(session, settings, calendar, app)
    step = nudge.step if nudge is not None and nudge.action == action else None
    touch = tracker.log_touch(session, app_id, action, on, note=note, step=step)
    return touch, (nudge.label if step is not None and nudge is not None else None)
