"""The hot reads, on plain rows: `load_states` (what the cadence engine needs, for every
digest and `list`) and `list_summary` (what `nudger list` shows). Part of the one read path
(store.read re-exports them); kept apart because this module imports neither SQLAlchemy nor
the models, so that `nudger list` reads the database through a plain sqlite3 connection
(`Database.read_connection`) without paying for the ORM's import. It takes an ORM session just as
well, and then reads in that session's transaction. On PostgreSQL the same SQL runs through
psycopg (`_cursor` turns the `?` marks into `%s`; dates come back as dates, not ISO text).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, date, datetime, tzinfo
from sys import intern
from typing import TYPE_CHECKING, Any, TypeAlias, cast

from nudger.errors import DataError, UsageError
from nudger.store.scope import check_sql, guarded, seeker_of
from nudger.track.cadence import AppState, TouchInfo, bulk
from nudger.vocab import CLOSED_STAGES, OPEN_STAGES, STAGES
from nudger.when.times import local

if TYPE_CHECKING:
    from sqlmodel import Session

    from nudger.store.models import Application

# An ORM session, a plain sqlite3 connection, or a plain psycopg one (PgDatabase's
# read_connection).
Source: TypeAlias = "Session | sqlite3.Connection | Any"


def check_stage(stage: str) -> str:
    if stage not in STAGES:
        raise UsageError(
            f"unknown stage {stage!r}; valid stages: {', '.join(OPEN_STAGES)} (open), "
            f"{', '.join(CLOSED_STAGES)} (closed)"
        )
    return stage


# Up to this many applications are named in an IN (...) list; more, and the queries read
# every row of the open stages and drop the others in Python (one query either way).
_IN_LIMIT = 500


def local_date(moment: datetime | None, zone: tzinfo) -> date | None:
    """A stored moment (UTC; read raw it comes back naive) as a local date in `zone`."""
    found = local(moment, zone)  # None too for a moment outside the supported range
    return None if found is None else found.date()


class _Dates:
    """ISO text → date, memoised: a hunt's rows share a few hundred distinct dates."""

    def __init__(self) -> None:
        self.seen: dict[str, date] = {}

    def __call__(self, text: str | date | None, table: str, row: object,
                 column: str) -> date | None:
        if text is None:
            return None
        if isinstance(text, date):  # PostgreSQL hands back dates
            self.seen[text] = text  # type: ignore[index]
            return text
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


def _moment(text: str | datetime | None, app_id: object) -> datetime | None:
    if text is None or isinstance(text, datetime):
        return text
    try:
        return datetime.fromisoformat(text)
    except (TypeError, ValueError):
        raise DataError(
            f"the database holds {text!r} in application #{app_id} column interview_at, "
            "which is not a date and time; set it again with `nudger edit --interview`"
        ) from None


def _marks(count: int) -> str:
    return ", ".join("?" * count)


# The columns the raw SELECTs below read, per table; tests/store/test_states.py checks each
# against the model tables (store.models), which this module does not import: `nudger list`
# reads through here without SQLAlchemy.
COLUMNS = {
    "application": ("id", "stage", "stage_since", "applied_on", "deadline", "interview_at",
                    "company", "role", "paused_since"),
    "touch": ("application_id", "touched_on", "action", "stage", "step", "skipped", "id"),
    "snooze": ("application_id", "until", "id"),
}
_APP, _TOUCH, _SNOOZE = "application", "touch", "snooze"
# Each query reads one seeker's rows: the first `?` is the seeker (nudger/store/scope.py).
_APP_SQL = f"SELECT {', '.join(COLUMNS[_APP])} FROM {_APP} WHERE seeker_id = ?"
_TOUCH_SQL = f"SELECT {', '.join(COLUMNS[_TOUCH])} FROM {_TOUCH} WHERE seeker_id = ?"
_SNOOZE_SQL = (f"SELECT s.application_id, s.until, s.id FROM {_SNOOZE} s JOIN (SELECT "
               f"application_id, MAX(id) AS last FROM {_SNOOZE} WHERE seeker_id = ?")
_SUMMARY_SQL = (
    "SELECT a.id, a.company, a.role, a.stage, a.applied_on, t.last, a.number "
    f"FROM {_APP} AS a LEFT JOIN (SELECT application_id, "
    f"max(touched_on) AS last FROM {_TOUCH} WHERE seeker_id = ? AND NOT skipped "
    "GROUP BY application_id) AS t ON t.application_id = a.id WHERE a.seeker_id = ?"
)
SUMMARY_COLUMNS = {"application": ("id", "company", "role", "stage", "applied_on", "number"),
                   "touch": ("application_id", "touched_on", "skipped")}


class _PgCursor:
    """A psycopg cursor that takes this module's SQL as written for SQLite: `?` marks
    become `%s`, and `+stage` (SQLite's "do not use the index here") plain `stage`."""

    def __init__(self, cursor: Any, guard: bool = False) -> None:
        self.cursor = cursor
        self.guard = guard

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        if self.guard:
            check_sql(sql)  # a seeker's rows only (nudger/store/scope.py)
        return self.cursor.execute(sql.replace("?", "%s").replace("+stage", "stage"),
                                   tuple(params))

    def close(self) -> None:
        self.cursor.close()


class _Checked:
    """A session's raw sqlite3 cursor, its statements guarded (nudger/store/scope.py)."""

    def __init__(self, cursor: Any, guard: bool) -> None:
        self.cursor = cursor
        self.guard = guard

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        if self.guard:
            check_sql(sql)
        return self.cursor.execute(sql, params)

    def close(self) -> None:
        self.cursor.close()


def _is_postgres(source: Any) -> bool:
    if isinstance(source, sqlite3.Connection):
        return False
    if not hasattr(source, "get_bind"):  # a plain psycopg connection
        return True
    return bool(source.get_bind().dialect.name == "postgresql")


def plain_cursor(source: Source) -> sqlite3.Cursor:
    """A cursor for SQL written for SQLite (`?` marks) on a session or a read connection,
    on either engine, its statements guarded (nudger/store/scope.py)."""
    return _cursor(source)


def _cursor(source: Source) -> sqlite3.Cursor:
    """A cursor on the connection `source` is or holds: a plain sqlite3 connection, a
    plain psycopg one, or an ORM session's own DBAPI connection (same transaction, after
    flushing what it wrote)."""
    if isinstance(source, sqlite3.Connection):
        return source.cursor()
    if not hasattr(source, "get_bind"):  # a plain psycopg connection
        return cast(sqlite3.Cursor, _PgCursor(cast(Any, source).cursor()))
    source.flush()  # the raw cursor below sees only what the session has written
    raw = source.connection().connection.cursor()
    guard = guarded(source)
    return cast(sqlite3.Cursor, _PgCursor(raw, guard) if _is_postgres(source) else
                _Checked(raw, guard))


def list_summary(source: Source, stage: str | None = None) -> list[tuple[Any, ...]]:
    """(id, company, role, stage, applied_on, last_touch, number) per application, dates as ISO
    text: what `nudger list` shows, in one query and without building ORM objects (a
    person waits for this one)."""
    sql = _SUMMARY_SQL
    seeker = seeker_of(source)
    params: tuple[Any, ...] = (seeker, seeker)
    if stage:
        sql += " AND a.stage = ?"
        params = (seeker, seeker, check_stage(stage))
    cursor = _cursor(source)
    try:
        rows = list(cursor.execute(sql + " ORDER BY a.number", params))
    finally:
        cursor.close()
    if rows and _is_postgres(source):  # dates as ISO text, as SQLite hands them back
        rows = [(*row[:4], None if row[4] is None else row[4].isoformat(),
                 None if row[5] is None else row[5].isoformat(), row[6]) for row in rows]
    return rows


def load_states(
    source: Source, apps: Sequence[Application] | None = None, *, open_only: bool = True,
    zone: tzinfo | None = None,
) -> list[AppState]:
    """AppStates for `apps` (default: every application, in an open stage unless
    `open_only` is false), in three queries whatever their number.

    `zone` is the user's zone (`settings.zone`): it turns the interview's UTC moment into
    the local date the `interviewing` cadence counts from. Touches are those of the
    current stage since it was entered, oldest first.

    `source` is an ORM session (read through its own DBAPI connection, same transaction)
    or a plain sqlite3 connection (`Database.read_connection`). This runs over every application
    for every digest, so it reads plain rows rather than building ORM objects: see
    bench/b_cadence.py for what that buys."""
    with bulk():
        return _load(source, apps, open_only, zone or UTC)


def _load(source: Source, apps: Sequence[Application] | None, open_only: bool,
          zone: tzinfo) -> list[AppState]:
    parse = _Dates()
    seeker = seeker_of(source)
    cursor = _cursor(source)
    try:
        if apps is None:
            sql = _APP_SQL
            params: list[Any] = [seeker]
            if open_only:
                # `+stage`: scan in id order rather than sort what the stage index finds
                sql += f" AND +stage IN ({_marks(len(OPEN_STAGES))})"
                params += OPEN_STAGES
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

        sql = _TOUCH_SQL
        params = [seeker]
        if narrow is not None:
            sql += f" AND application_id IN ({_marks(len(narrow))})"
            params += narrow
        elif apps is None and open_only:
            sql += f" AND stage IN ({_marks(len(OPEN_STAGES))})"
            params += OPEN_STAGES
        touch_rows = cursor.execute(sql, params)
        touches = group_touches(rows, touch_rows, parse)

        sql = _SNOOZE_SQL
        params = [seeker]
        if narrow is not None:
            sql += f" AND application_id IN ({_marks(len(narrow))})"
            params += narrow
        sql += " GROUP BY application_id) latest ON s.id = latest.last"
        snoozes: dict[int, date | None] = {
            app_id: parse(until, _SNOOZE, snooze_id, "until")
            for app_id, until, snooze_id in cursor.execute(sql, params)
        }
    finally:
        cursor.close()
    return states_of(rows, touches, snoozes, zone)


def group_touches(rows: Sequence[tuple[Any, ...]], touch_rows: Any,
                  parse: _Dates | None = None) -> dict[int, list[TouchInfo]]:
    """The touches of each application of `rows` (id, stage, stage_since, ...) in its
    current stage since it was entered, in date order, from `touch_rows` (application_id,
    touched_on, action, stage, step, skipped, id, in any order of application: others'
    rows are left out). Shared by the batch read (store/read_batch.py)."""
    # Grouped and put in date order in Python: a JOIN or an ORDER BY over the whole table
    # costs SQLite more than the dictionary lookups below, and rows mostly arrive in
    # order already.
    parse = parse or _Dates()
    scope = {row[0]: row for row in rows}  # id → (id, stage, stage_since, ...)
    seen = parse.seen
    new_touch = tuple.__new__  # TouchInfo(...) without its Python-level __new__
    shared: dict[tuple[Any, ...], TouchInfo] = {}
    touches: dict[int, list[TouchInfo]] = {}
    unsorted: set[int] = set()
    for app_id, on_text, action, stage, step, skipped, touch_id in touch_rows:
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
    return touches


def states_of(rows: Sequence[tuple[Any, ...]], touches: dict[int, list[TouchInfo]],
              snoozes: dict[int, date | None], zone: tzinfo) -> list[AppState]:
    """The AppStates of `rows` (id, stage, stage_since, applied_on, deadline,
    interview_at, company, role, paused) with their touches and latest snooze."""
    empty: tuple[TouchInfo, ...] = ()
    return [
        AppState(
            id=app_id, stage=stage, stage_since=since, applied_on=applied, deadline=deadline,
            snoozed_until=snoozes.get(app_id),
            touches=tuple(touches[app_id]) if app_id in touches else empty,
            company=company, role=role,
            interview_on=local_date(interview, zone) if interview is not None else None,
            paused=paused,  # a reply from the mailbox paused its nudges
        )
        for app_id, stage, since, applied, deadline, interview, company, role, paused in rows
    ]


def _touch_day(touch: TouchInfo) -> date:
    return touch.on
