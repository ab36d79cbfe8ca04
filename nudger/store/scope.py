"""Every query of a seeker's rows is scoped to that seeker here, in one place.

A `Database` is bound to one seeker (`Database.seeker_id`: the one chosen with `--seeker` /
NUDGER_SEEKER, else the only one, else the single user's, made on the first write). Its
sessions carry the id (`session.info["seeker_id"]`) and two listeners do the rest, so no
caller has to remember it:

- `do_orm_execute`: every ORM SELECT, UPDATE and DELETE gets `seeker_id = <id>` on every
  table with seeker rows (`with_loader_criteria` on `SeekerOwned`, aliases included), so
  `session.get(Application, 7)` of another seeker's row is None and a bulk update cannot
  reach another seeker's rows;
- `before_flush`: a new row gets the session's seeker (and a new application the seeker's
  next number); a row of another seeker in the session is refused.

SQL written by hand (store/states.py, store/read.py, store/bulk.py, transfer, capture, the
calendar's counts) takes the id from the same place (`seeker_of(source)`) and names
`seeker_id` itself. A guard checks every statement a scoped session or a read connection
runs: one that reads or writes a seeker table without naming `seeker_id` (other than the
ORM's own write of one row by its key) raises `ScopeError` instead of running, so a
forgotten scope fails loudly in the tests rather than showing one seeker another's rows.

A session opened with `every_seeker=True` (`nudger seeker` administration, `db copy`) is
not scoped; rows it adds must name their seeker.
"""

from __future__ import annotations

import functools
import re
import sqlite3
from typing import TYPE_CHECKING, Any

from nudger.errors import NudgerError

if TYPE_CHECKING:
    from sqlalchemy.orm import ORMExecuteState, Session

# Every table that holds a seeker's rows (migration 0009_seeker_rows); a test holds it to
# the models' `seeker_id` columns.
SEEKER_TABLES = frozenset({
    "application", "contact", "touch", "stagechange", "snooze", "digest", "calendar_event",
    "calendar_sync", "mailmessage", "mailfolder", "mailsync", "suggestion", "mailcommand",
    "mailcommand_button", "maildraft"})
SEEKER_KEY = "seeker_id"  # session.info's key and the column's name
NO_SEEKER = 0  # the scope of a database with no seeker yet: no row can match it


class ScopeError(NudgerError):
    """A statement on a seeker's rows without the seeker: a bug in nudger, refused before
    it could read or change another seeker's rows."""


class SeekerOwned:
    """The models whose rows belong to a seeker (each has a `seeker_id` column)."""

    seeker_id: int | None


_TABLE_REF = re.compile(r"\b(?:from|join|into|update)\s+\"?(\w+)", re.IGNORECASE)
# The ORM's own writes of one row it loaded (scoped) or made (stamped): by its key alone.
_BY_KEY = re.compile(r"^\s*(?:update\s+\w+\s+set\s.*?|delete\s+from\s+\w+)\s+where\s+"
                     r"(?:\w+\.)?(?:id|uid)\s*=\s*\S+\s*$", re.IGNORECASE | re.DOTALL)


# Written into a statement that reads across seekers on purpose (the internal ids, which
# are unique in the whole database): the guard lets it through.
ALL_SEEKERS = "/* all seekers */"


@functools.lru_cache(maxsize=1024)
def unscoped_table(sql: str) -> str | None:
    """The seeker table `sql` reads or writes without naming `seeker_id`, or None. A pure
    function of the text, remembered: a worker runs the same few hundred statements for
    every digest, and parsing each again was a measurable part of its CPU."""
    tables = {name.lower() for name in _TABLE_REF.findall(sql)} & SEEKER_TABLES
    if not tables or SEEKER_KEY in sql.lower() or ALL_SEEKERS in sql or _BY_KEY.match(sql):
        return None
    return min(tables)


def check_sql(sql: str) -> None:
    """Refuse `sql` when it touches a seeker's table without the seeker (see the guard)."""
    table = unscoped_table(sql)
    if table is not None:
        first = " ".join(sql.split())[:160]
        raise ScopeError(f"internal error: a statement on the table {table} names no seeker, "
                         f"and was not run (nudger/store/scope.py): {first}")


def seeker_of(source: Any) -> int:
    """The seeker a session or a read connection is scoped to."""
    if hasattr(source, "get_execution_options"):  # a scoped session's Connection
        value = source.get_execution_options().get("nudger_seeker")
    elif hasattr(source, "info") and isinstance(source.info, dict):  # a Session
        value = source.info.get(SEEKER_KEY)
    else:
        value = getattr(source, "nudger_seeker_id", None)
    if value is None:
        raise ScopeError("internal error: a query of a seeker's rows on a connection "
                         "scoped to no seeker (nudger/store/scope.py)")
    return int(value)


# --- plain connections (Database.read_connection) ---------------------------------------

class _GuardedCursor(sqlite3.Cursor):
    def execute(self, sql: str, parameters: Any = (), /) -> _GuardedCursor:
        if getattr(self.connection, "nudger_guarded", True):
            check_sql(sql)
        super().execute(sql, parameters)
        return self

    def executemany(self, sql: str, parameters: Any, /) -> _GuardedCursor:
        if getattr(self.connection, "nudger_guarded", True):
            check_sql(sql)
        super().executemany(sql, parameters)
        return self


class ScopedSqlite(sqlite3.Connection):
    """A plain sqlite3 connection that knows its seeker and guards its statements (when
    the database has several seekers: with one there is no one else's row to reach)."""

    nudger_seeker_id: int | None = None
    nudger_guarded = True

    def cursor(self, factory: Any = _GuardedCursor) -> Any:
        return super().cursor(factory)

    def execute(self, sql: str, parameters: Any = (), /) -> Any:
        return self.cursor().execute(sql, parameters)


def scoped_pg_connection_class() -> type:
    """psycopg's Connection, knowing its seeker and guarding its statements (made on
    demand: psycopg is imported only for PostgreSQL)."""
    global _PG_CLASS
    if _PG_CLASS is None:
        import psycopg

        class GuardedPgCursor(psycopg.Cursor):  # type: ignore[type-arg,unused-ignore]
            def execute(self, query: Any, params: Any = None, **kw: Any) -> Any:
                if getattr(self.connection, "nudger_guarded", True):
                    check_sql(str(query))
                return super().execute(query, params, **kw)

        class ScopedPg(psycopg.Connection):  # type: ignore[type-arg,unused-ignore]
            nudger_seeker_id: int | None = None
            nudger_guarded = True

            def __init__(self, *args: Any, **kw: Any) -> None:
                super().__init__(*args, **kw)
                self.cursor_factory = GuardedPgCursor

        _PG_CLASS = ScopedPg
    return _PG_CLASS


_PG_CLASS: type | None = None


# --- sessions ---------------------------------------------------------------------------

def _scope_statement(state: ORMExecuteState) -> None:
    seeker = state.session.info.get(SEEKER_KEY)
    if seeker is None or not (state.is_select or state.is_update or state.is_delete):
        return
    state.statement = state.statement.options(*_criteria(int(seeker), tuple(seeker_models())))


# The options that scope a statement to a seeker, built once per seeker and set of models:
# building them (a lambda analysed per model) took ~15% of a worker's CPU per digest when
# done for every statement (bench/b_workers.py). Keyed by the models too, so a seeker-owned
# model defined by a module imported later (the mail tables) is never left out.
_CRITERIA: dict[tuple[int, tuple[type, ...]], tuple[Any, ...]] = {}
CRITERIA_KEPT = 16  # seekers whose options are kept (a worker serves a few at a time)


def _criteria(seeker: int, models: tuple[type, ...]) -> tuple[Any, ...]:
    key = (seeker, models)
    found = _CRITERIA.get(key)
    if found is None:
        from sqlalchemy.orm import with_loader_criteria

        found = tuple(with_loader_criteria(model, lambda cls: cls.seeker_id == seeker,
                                           include_aliases=True) for model in models)
        if len(_CRITERIA) >= CRITERIA_KEPT:
            _CRITERIA.clear()
        _CRITERIA[key] = found
    return found


def seeker_models() -> list[type]:
    """The mapped classes whose rows belong to a seeker."""
    return [m for m in SeekerOwned.__subclasses__() if hasattr(m, "__table__")]


def writing_seeker(source: Any) -> int:
    """The seeker rows written through `source` (a scoped write session or its connection)
    belong to: with no seeker in the database yet, the single user's, made now in the
    same transaction (a session that writes no seeker row makes none)."""
    seeker = seeker_of(source)
    if seeker != NO_SEEKER:
        return seeker
    session_info = source.info if hasattr(source, "info") and isinstance(source.info, dict) \
        and not hasattr(source, "get_execution_options") else None
    if session_info is not None:
        make = session_info.get("nudger_make_seeker")
        connection = source.connection()
    else:
        make = source.get_execution_options().get("nudger_make_seeker")
        connection = source
    if make is None:
        raise ScopeError("internal error: a row written in a read-only session of no seeker")
    seeker = int(make(connection))
    connection.execution_options(nudger_seeker=seeker)
    if session_info is not None:
        session_info[SEEKER_KEY] = seeker
    return seeker


def _stamp_rows(session: Session, _context: Any, _instances: Any) -> None:
    seeker = session.info.get(SEEKER_KEY)
    if seeker == NO_SEEKER and any(isinstance(r, SeekerOwned) and r.seeker_id is None
                                   for r in session.new):
        seeker = writing_seeker(session)
    fresh: list[Any] = []
    for row in session.new:
        if not isinstance(row, SeekerOwned):
            continue
        if row.seeker_id is None:
            if seeker is None:
                raise ScopeError(f"internal error: a new {type(row).__name__} row names no "
                                 "seeker, in a session scoped to none")
            row.seeker_id = seeker
        elif seeker is not None and row.seeker_id != seeker:
            raise ScopeError(f"internal error: a {type(row).__name__} row of seeker "
                             f"{row.seeker_id} in a session of seeker {seeker}; not written")
        if getattr(row, "number", 0) is None:
            fresh.append(row)
    if seeker is not None:
        for row in session.dirty:
            if isinstance(row, SeekerOwned) and row.seeker_id != seeker:
                raise ScopeError(f"internal error: a {type(row).__name__} row moved to seeker "
                                 f"{row.seeker_id} in a session of seeker {seeker}")
    if fresh:
        _number(session, fresh)


def _number(session: Session, apps: list[Any]) -> None:
    """Give new applications their seeker's next numbers. The seeker's row is locked first
    (FOR UPDATE on PostgreSQL; SQLite's write transaction already holds the database), so
    two processes adding for one seeker at once take turns instead of picking the same
    number."""
    from sqlalchemy import text

    for seeker in sorted({a.seeker_id for a in apps}):
        conn = session.connection()
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT id FROM seeker WHERE id = :s FOR UPDATE"), {"s": seeker})
        last = conn.execute(text("SELECT coalesce(max(number), 0) FROM application "
                                 "WHERE seeker_id = :s"), {"s": seeker}).scalar_one()
        for app in apps:
            if app.seeker_id == seeker:
                last += 1
                app.number = last


def next_numbers(connection: Any, seeker: int, count: int) -> list[int]:
    """`count` new application numbers for `seeker` (Core inserts: store/bulk.py), under
    the same lock as `_number`."""
    from sqlalchemy import text

    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT id FROM seeker WHERE id = :s FOR UPDATE"),
                           {"s": seeker})
    last = int(connection.execute(text("SELECT coalesce(max(number), 0) FROM application "
                                       "WHERE seeker_id = :s"), {"s": seeker}).scalar_one())
    return list(range(last + 1, last + 1 + count))


class NewIds:
    """Internal ids for application rows written by Core inserts (imports), unique in the
    whole database: on SQLite the next ones after the largest (the write lock is held); on
    PostgreSQL taken from the id sequence in blocks, so that an `add` of another seeker at
    the same moment cannot take the same one."""

    BLOCK = 256

    def __init__(self, connection: Any) -> None:
        from sqlalchemy import text

        self.connection = connection
        self.postgres = connection.dialect.name == "postgresql"
        self.free: list[int] = []
        if not self.postgres:
            last = connection.execute(text(
                f"SELECT coalesce(max(id), 0) FROM application {ALL_SEEKERS}")).scalar_one()
            self.free = [int(last) + 1]

    def peek(self) -> int:
        if not self.free:
            from sqlalchemy import text

            self.free = [int(r[0]) for r in self.connection.execute(text(
                "SELECT nextval(pg_get_serial_sequence('application', 'id')) "
                "FROM generate_series(1, :n)"), {"n": self.BLOCK})]
        return self.free[0]

    def take(self) -> int:
        taken = self.peek()
        self.free.pop(0)
        if not self.postgres:
            self.free.append(taken + 1)
        return taken

    def taken_anywhere(self) -> set[int]:
        """Every application id in the database (all seekers)."""
        from sqlalchemy import text

        return {int(r[0]) for r in self.connection.execute(
            text(f"SELECT id FROM application {ALL_SEEKERS}"))}


def _guard(conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any,
           _many: bool) -> None:
    if conn.get_execution_options().get("nudger_guard"):
        check_sql(statement)


def guarded(source: Any) -> bool:
    """Whether statements on `source` are guarded: a scoped session or a read connection
    of a database with several seekers."""
    if hasattr(source, "get_execution_options"):
        return bool(source.get_execution_options().get("nudger_guard"))
    if hasattr(source, "info") and isinstance(source.info, dict):
        return bool(source.info.get("nudger_guard"))
    return bool(getattr(source, "nudger_guarded", True))


def install(engine: Any) -> None:
    """The session listeners (once per process) and the statement guard on `engine`.
    Asked of SQLAlchemy's own registry, never remembered by `id(engine)`: a new engine
    may get the id of one already collected, and would then go unguarded."""
    from sqlalchemy import event
    from sqlmodel import Session

    if not event.contains(Session, "do_orm_execute", _scope_statement):
        event.listen(Session, "do_orm_execute", _scope_statement)
        event.listen(Session, "before_flush", _stamp_rows)
    if not event.contains(engine, "before_cursor_execute", _guard):
        event.listen(engine, "before_cursor_execute", _guard)


def resolve(rows: Any, email: str | None, *, create: bool, now: Any) -> int:
    """The seeker id of `email` (None: the only seeker; none yet and `create`: the single
    user's, made now). `rows(sql, params)` runs SQL with `:name` marks and returns rows.
    Raises NotFoundError / UsageError saying how to choose."""
    from nudger.errors import NotFoundError, UsageError

    if email is not None:
        found = rows("SELECT id FROM seeker WHERE email = :e", {"e": email.strip().lower()})
        if not found:
            raise NotFoundError(f"no seeker {email!r} in this database; `nudger seeker list` "
                                "lists them")
        return int(found[0][0])
    seekers = rows("SELECT id, email FROM seeker ORDER BY id LIMIT 6", {})
    if len(seekers) == 1:
        return int(seekers[0][0])
    if seekers:
        shown = ", ".join(str(r[1]) or '""' for r in seekers[:5]) + \
            (", ..." if len(seekers) > 5 else "")
        raise UsageError(
            f"this database has several seekers ({shown}) and none was chosen: run "
            "`nudger --seeker EMAIL COMMAND ...` or set NUDGER_SEEKER=EMAIL; "
            "`nudger seeker list` lists them")
    if not create:
        return NO_SEEKER
    rows("INSERT INTO seeker (email, name, phone, pitch, signature, social, timezone, "
         "digest_at, digest_days, enabled, created_at, updated_at) VALUES "
         "('', '', '', '', '', '', '', '', '', :yes, :now, :now)", {"now": now, "yes": True})
    return int(rows("SELECT id FROM seeker WHERE email = ''", {})[0][0])


def several_seekers(rows: Any) -> bool:
    """Whether the database holds more than one seeker (`rows` as for `resolve`)."""
    return len(rows("SELECT id FROM seeker ORDER BY id LIMIT 2", {})) > 1


def sqlalchemy_rows(connection: Any) -> Any:
    """`resolve`'s `rows` over a SQLAlchemy connection."""
    from sqlalchemy import text

    def run(sql: str, params: dict[str, Any]) -> list[Any]:
        result = connection.execute(text(sql), params)
        return list(result.all()) if result.returns_rows else []
    return run


def plain_rows(connection: Any) -> Any:
    """`resolve`'s `rows` over a plain sqlite3 or psycopg connection (reads only)."""
    postgres = not isinstance(connection, sqlite3.Connection)

    def run(sql: str, params: dict[str, Any]) -> list[Any]:
        if postgres:
            sql = re.sub(r":(\w+)", r"%(\1)s", sql)
        else:  # as SQLAlchemy stores a datetime in SQLite
            params = {k: v.strftime("%Y-%m-%d %H:%M:%S.%f") if hasattr(v, "strftime") else v
                      for k, v in params.items()}
        cursor = sqlite3.Connection.cursor(connection) if not postgres else \
            connection.cursor()
        try:
            cursor.execute(sql, params)
            return list(cursor.fetchall()) if cursor.description else []
        finally:
            cursor.close()
    return run
