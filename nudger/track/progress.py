"""Between the store and the cadence engine: load what the engine needs in a constant
number of queries, record touches and skips with the step they complete, and close the
applications that `auto_ghost` gives up on."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session

from nudger.config import Settings
from nudger.errors import UsageError
from nudger.store.db import Database
from nudger.store.models import Application, Touch
from nudger.store.read import load_states
from nudger.track import tracker
from nudger.track.cadence import DueReport, Nudge, due_on, next_step
from nudger.vocab import OPEN_STAGES
from nudger.when.business import Calendar


def current_step(
    session: Session, settings: Settings, calendar: Calendar, app: Application,
    day: date | None = None,
) -> Nudge | None:
    """The step next for `app` as of `day` (deadline steps gone by then are passed over)."""
    states = load_states(session, [app], zone=settings.zone)
    if not states:
        return None
    return next_step(states[0], settings.cadence_for(app.stage), calendar, day)


def mail_logged(session: Session, app_id: int, on: date) -> Touch | None:
    """The email touch of `on` that the mailbox sync logged from the Sent folder, when it
    is the latest touch of that day: a `nudger done` or `nudger log ID email` the same day
    is the same follow-up (docs/mailbox.md, exactly once), not a second one."""
    from sqlmodel import col, select

    from nudger.store.models import MailMessage

    latest = session.exec(
        select(Touch).where(Touch.application_id == app_id, Touch.touched_on == on)
        .order_by(col(Touch.id).desc())).first()
    if latest is None or latest.action != "email" or latest.skipped:
        return None
    linked = session.exec(select(MailMessage.id).where(
        MailMessage.touch_id == latest.id, MailMessage.kind == "followup")).first()
    return latest if linked is not None else None


def record_touch(
    session: Session, settings: Settings, calendar: Calendar, today: date, app_id: int,
    action: str, on: date, *, now: datetime, note: str = "",
) -> tuple[Touch, str | None]:
    """Log a touch; when its action is the step next on `on`, it completes that step."""
    app = tracker.get_application(session, app_id)
    tracker.check_action(action)
    if action == "email":
        already = mail_logged(session, app_id, on)
        if already is not None:
            return already, "nothing new: already logged from your Sent folder"
    nudge = current_step(session, settings, calendar, app, on)
    step = nudge.step if nudge is not None and nudge.action == action else None
    touch = tracker.log_touch(session, app_id, action, on, now=now, note=note, step=step)
    return touch, (nudge.label if step is not None and nudge is not None else None)


def _nothing_next(app: Application) -> UsageError:
    if app.stage not in OPEN_STAGES:
        why = f"its stage {app.stage!r} is closed"
        hint = f"`nudger stage {app.id} applied` reopens it"
    else:
        why = f"its {app.stage!r} cadence is finished (or has no step that applies)"
        hint = f"`nudger log {app.id} ACTION` records a follow-up anyway"
    return UsageError(f"#{app.number} {app.company} has no next step: {why}; {hint}")


def complete_step(
    session: Session, settings: Settings, calendar: Calendar, app_id: int, on: date, *,
    now: datetime, note: str = "",
) -> tuple[Touch, Nudge]:
    """`nudger done`: log a touch of the step next on `on`, completing it. UsageError
    when nothing is next (closed stage, finished cadence)."""
    app = tracker.get_application(session, app_id)
    nudge = current_step(session, settings, calendar, app, on)
    if nudge is None:
        raise _nothing_next(app)
    touch = tracker.log_touch(session, app_id, nudge.action, on, now=now, note=note,
                              step=nudge.step)
    return touch, nudge


def skip_step(
    session: Session, settings: Settings, calendar: Calendar, app_id: int, on: date, *,
    now: datetime, note: str = "",
) -> tuple[Touch, Nudge]:
    """`nudger skip`: pass over the step next on `on` without doing it. The skip is stored
    as a touch with skipped=True and that step's number and action; like a touch it
    restarts the clock, so the step after it waits its own `wait` from `on`."""
    app = tracker.get_application(session, app_id)
    nudge = current_step(session, settings, calendar, app, on)
    if nudge is None:
        raise _nothing_next(app)
    touch = tracker.log_touch(session, app_id, nudge.action, on, now=now, note=note,
                              step=nudge.step, skipped=True)
    return touch, nudge


def apply_auto_ghost(session: Session, report: DueReport, today: date, now: datetime
                     ) -> list[int]:
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
            session, entry.app_id, "ghosted", today, now=now,
            note=f"auto_ghost: no reply {entry.days} days after {entry.stage} started on "
                 f"{entry.since.isoformat()}",
        )
        closed.append(entry.app_id)
    return closed


def close_gone_cold(db: Database, settings: Settings, calendar: Calendar, day: date,
                    now: datetime) -> list[str]:
    """What a digest day does before its digest is sent: close what `auto_ghost = true`
    says to close on `day`, in its own transaction; one line per application closed, for
    the digest to tell."""
    if not any(rule.auto_ghost for rule in settings.cadence):
        return []
    with db.session() as session:
        return auto_ghost_due(session, settings, calendar, day, now)


def auto_ghost_due(session: Session, settings: Settings, calendar: Calendar,
                   day: date, now: datetime) -> list[str]:
    """Close what `auto_ghost = true` says to close on `day`; one line per application
    closed, for the digest to tell. Nothing to do (and no query) when no cadence asks."""
    if not any(rule.auto_ghost for rule in settings.cadence):
        return []
    report = due_on(load_states(session, zone=settings.zone), settings.cadence, calendar, day)
    names = {c.app_id: c for c in report.cold}
    closed = apply_auto_ghost(session, report, day, now)
    out = []
    for app_id in closed:
        app = session.get(Application, app_id)
        entry = names[app_id]
        shown = app.number if app is not None else app_id  # the seeker's own #number
        label = f"#{shown} {app.company}" if app is not None else f"#{shown}"
        out.append(f"Closed as ghosted (auto_ghost): {label}, no reply {entry.days} days "
                   f"after entering {entry.stage}. Reopen with: nudger stage {shown} "
                   f"{entry.stage}")
    return out
