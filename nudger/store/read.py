"""The one read path from the database to the engines: `load_states` (what the cadence
engine needs), `load_history` (what stats needs), `load_digest` (what a digest shows).

Every statement is built from the model tables (store.models); nothing else in nudger
reads applications, touches, contacts, stage changes or snoozes for the engines. The hot
one, `load_states`, runs over every open application for every digest: it reads plain rows
through the session's own DBAPI connection (same transaction) and builds the engine's own
types (cadence.AppState, cadence.TouchInfo), sharing equal values (bench/b_cadence.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from sys import intern
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from nudger.cadence import AppState, TouchInfo, bulk
from nudger.errors import DataError
from nudger.stats import ChangeRow, History, MailReplyRow, SnoozeRow
from nudger.store.models import (
    Application,
    Contact,
    MailMessage,
    Snooze,
    StageChange,
    Touch,
    table_of,
)
from nudger.times import as_utc
from nudger.vocab import OPEN_STAGES

# --- the cadence engine ------------------------------------------------------------------

# Up to this many applications are named in an IN (...) list; more, and the queries read
# every row of the open stages and drop the others in Python (one query either way).
_IN_LIMIT = 500


def _local_date(moment: datetime | None, zone: tzinfo) -> date | None:
    """A stored moment (UTC; read raw it comes back naive) as a local date in `zone`."""
    return None if moment is None else as_utc(moment).astimezone(zone).date()


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


def _columns(model: Any, *names: str) -> str:
    """`names` checked against the model's table, for the raw SELECTs below."""
    table = table_of(model)
    for name in names:
        assert name in table.c, f"{table.name} has no column {name}"
    return ", ".join(names)


# The SQL of the read path, built from the model tables once (raw cursor, no ORM objects).
_APP = table_of(Application).name
_TOUCH = table_of(Touch).name
_SNOOZE = table_of(Snooze).name
_APP_SQL = "SELECT " + _columns(Application, "id", "stage", "stage_since", "applied_on",
                                 "deadline", "interview_at", "company", "role",
                                 "paused_since") + f" FROM {_APP}"
_TOUCH_SQL = "SELECT " + _columns(Touch, "application_id", "touched_on", "action", "stage",
                                  "step", "skipped", "id") + f" FROM {_TOUCH}"
_SNOOZE_SQL = (f"SELECT s.application_id, s.until, s.id FROM {_SNOOZE} s JOIN (SELECT "
               f"application_id, MAX(id) AS last FROM {_SNOOZE}")


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
            sql = _APP_SQL
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
                    seen.get(since) or parse(since, _APP, app_id, "stage_since"),
                    None if applied is None else
                    seen.get(applied) or parse(applied, _APP, app_id, "applied_on"),
                    None if deadline is None else
                    seen.get(deadline) or parse(deadline, _APP, app_id, "deadline"),
                    None if interview is None else _moment(interview, app_id),
                    company, role, paused is not None))
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
        sql = _TOUCH_SQL
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
            on = seen.get(on_text) or parse(on_text, _TOUCH, touch_id, "touched_on")
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

        sql = _SNOOZE_SQL
        params = []
        if narrow is not None:
            sql += f" WHERE application_id IN ({_marks(len(narrow))})"
            params = list(narrow)
        sql += " GROUP BY application_id) latest ON s.id = latest.last"
        snoozes: dict[int, date | None] = {
            app_id: parse(until, _SNOOZE, snooze_id, "until")
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
            paused=paused,  # a reply from the mailbox paused its nudges
        )
        for app_id, stage, since, applied, deadline, interview, company, role, paused in rows
    ]


def _touch_day(touch: TouchInfo) -> date:
    return touch.on


# --- stats -------------------------------------------------------------------------------

def load_history(session: Session, zone: tzinfo = UTC) -> History:
    """The whole history, in five queries whatever its size: every application (as an
    AppState without touches), every touch by application in the order logged, the stage
    changes and the snoozes. `zone` turns the interview's moment into the local date the
    interviewing cadence counts from, as the digest does."""
    apps = [
        AppState(id=a.id, stage=a.stage, stage_since=a.stage_since, applied_on=a.applied_on,
                 deadline=a.deadline, company=a.company, role=a.role,
                 interview_on=_local_date(a.interview_at, zone))
        for a in session.exec(select(Application).order_by(col(Application.id))).all()
        if a.id is not None
    ]
    touches: dict[int, list[TouchInfo]] = {}
    for t in session.exec(select(Touch).order_by(col(Touch.touched_on), col(Touch.id))):
        touches.setdefault(t.application_id, []).append(
            TouchInfo(t.touched_on, t.action, t.stage, t.step, t.skipped))
    changes = [
        ChangeRow(c.application_id, c.stage, c.changed_on)
        for c in session.exec(select(StageChange).order_by(col(StageChange.changed_on),
                                                           col(StageChange.id)))
    ]
    snoozes = [
        SnoozeRow(s.application_id, s.until, s.created_at.date())
        for s in session.exec(select(Snooze).order_by(col(Snooze.created_at), col(Snooze.id)))
    ]
    mail_replies = [
        MailReplyRow(m.application_id, as_utc(m.date).astimezone(zone).date())
        for m in session.exec(select(MailMessage).where(
            MailMessage.kind == "reply", col(MailMessage.application_id).is_not(None))
            .order_by(col(MailMessage.date)))
        if m.application_id is not None
    ]
    return History(apps, touches, changes, snoozes, mail_replies)


# --- the digest --------------------------------------------------------------------------

@dataclass(frozen=True)
class DigestData:
    """What one day's digest shows: the open applications (as models, for the templates'
    values) with their engine states, contacts and last real touch, and how many
    applications are tracked in all."""

    apps: dict[int, Application]
    states: list[AppState]
    contacts: dict[int, list[Contact]]
    last: dict[int, Touch]
    tracked: int


def load_digest(session: Session, day: date, zone: tzinfo) -> DigestData:
    apps = list(session.exec(select(Application)
                             .where(col(Application.stage).in_(OPEN_STAGES))
                             .order_by(col(Application.id))).all())
    states = load_states(session, apps, zone=zone)  # the interview's local date
    ids = [a.id for a in apps if a.id is not None]
    tracked = session.exec(select(func.count()).select_from(Application)).one()
    return DigestData({a.id: a for a in apps if a.id is not None}, states,
                      _group_contacts(session, ids), _last_touches(session, ids, day),
                      int(tracked))


def _group_contacts(session: Session, ids: Sequence[int]) -> dict[int, list[Contact]]:
    out: dict[int, list[Contact]] = {}
    if not ids:
        return out
    rows = session.exec(select(Contact).where(col(Contact.application_id).in_(ids))
                        .order_by(col(Contact.id))).all()
    for contact in rows:
        out.setdefault(contact.application_id, []).append(contact)
    return out


def _last_touches(session: Session, ids: Sequence[int], day: date) -> dict[int, Touch]:
    """Each application's latest real (not skipped) touch on or before `day`."""
    out: dict[int, Touch] = {}
    if not ids:
        return out
    rows = session.exec(
        select(Touch).where(col(Touch.application_id).in_(ids))
        .where(col(Touch.skipped).is_(False)).where(col(Touch.touched_on) <= day)
        .order_by(col(Touch.touched_on), col(Touch.id))
    ).all()
    for touch in rows:
        out[touch.application_id] = touch
    return out
