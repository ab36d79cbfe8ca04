"""The SQLite engine and sessions: opening the database file safely (connection settings,
transactions, integrity checks, the seeker scope); its schema revisions and upgrades are
store/migrate.py's.

Per connection: WAL, a busy timeout, foreign keys on, synchronous=NORMAL. Every write
transaction starts with BEGIN IMMEDIATE: a deferred transaction that reads, sees another
process commit, then writes fails at once with "database is locked" whatever the busy
timeout (docs/pitfalls.md). Reads may opt into a deferred BEGIN with `read_session` (or, for a
few rows by SQL without SQLAlchemy, `read_connection`).
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nudger.errors import NudgerError
from nudger.store.migrate import NUDGER_TABLES as NUDGER_TABLES
from nudger.store.migrate import SCHEMA_HEAD as SCHEMA_HEAD
from nudger.store.migrate import ForeignDatabaseError as ForeignDatabaseError
from nudger.store.migrate import alembic_config as alembic_config
from nudger.store.migrate import classify as classify
from nudger.store.migrate import describe_sqlite_error as describe_sqlite_error
from nudger.store.migrate import known_revisions as known_revisions
from nudger.store.migrate import upgrade as upgrade

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

    from nudger.config import Settings

DB_NAME = "nudger.db"
BUSY_TIMEOUT_MS = 10_000
NO_SEEKER = 0  # scope.NO_SEEKER: the scope of a database with no seeker yet
WRITE_WAIT_S = 60.0  # the longest a write waits for the lock (begin_immediate)

def database_path(settings: Settings, env: Mapping[str, str]) -> Path:
    """config `database`, else systemd's $STATE_DIRECTORY, else the XDG data directory.

    With a PostgreSQL `database` there is no file: the path is where one would be without
    `database`, and only its folder is used (for the files kept beside the database: the
    buttons' key, the Maildir)."""
    if settings.database and not settings.is_postgres:
        return settings.resolve(settings.database)
    if env.get("STATE_DIRECTORY"):
        return Path(env["STATE_DIRECTORY"].split(":")[0]) / DB_NAME
    home = Path(env.get("HOME") or Path.home())
    data = Path(env["XDG_DATA_HOME"]) if env.get("XDG_DATA_HOME") else home / ".local/share"
    return data / "nudger" / DB_NAME


def read_only_uri(path: Path) -> str:
    """An SQLite URI that opens `path` for reading only. Without write access to the
    folder SQLite cannot create the WAL index (-shm); when there is no -wal either (no
    write since the last checkpoint) the file is opened immutable, which needs none."""
    from urllib.parse import quote

    uri = f"file:{quote(str(path))}?mode=ro"
    wal = path.with_name(path.name + "-wal")
    if not wal.exists() and not os.access(path.parent, os.W_OK | os.X_OK):
        uri += "&immutable=1"
    return uri


def make_engine(path: Path, *, read_only: bool = False) -> Engine:
    from sqlalchemy import create_engine, event

    if read_only:
        engine = create_engine("sqlite://", creator=lambda: sqlite3.connect(
            read_only_uri(path), uri=True, timeout=BUSY_TIMEOUT_MS / 1000,
            check_same_thread=False))
    else:
        engine = create_engine(f"sqlite:///{path}",
                               connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # Let SQLAlchemy's begin event own transaction control (pysqlite's own BEGIN is
        # deferred and cannot be told otherwise on Python 3.11).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if not read_only:  # a read-only connection cannot set it (and it is set already)
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get("nudger_read_only"):
            connection.exec_driver_sql("BEGIN")
        elif not begin_immediate(connection.connection.driver_connection):
            # Once more through SQLAlchemy, whose error callers know how to report.
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    from nudger.store import scope

    scope.install(engine)
    return engine


def begin_immediate(dbapi_connection: sqlite3.Connection) -> bool:
    """BEGIN IMMEDIATE, waiting up to WRITE_WAIT_S for the write lock; False when it is
    still held by someone else then.

    busy_timeout (10 s) bounds each wait; a burst of writers (50 `nudger add` at once on a
    busy two-core machine, each holding the lock for a while as its first statements
    compile) can take longer than that to drain, so BEGIN is tried again until the
    longer deadline passes. Nothing has been written when it waits, so trying again is
    always safe."""
    deadline = time.monotonic() + WRITE_WAIT_S
    while True:
        try:
            dbapi_connection.execute("BEGIN IMMEDIATE")
            return True
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                return False


class Database:
    """One SQLite file: its engine, sessions, and schema upgrades. (PostgreSQL:
    `nudger.store.pg.PgDatabase`, the same interface.)"""

    engine_name = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._engine: Engine | None = None
        # Why this user cannot write the file (set by `ensure`): reading commands then work
        # on a read-only connection, and a write says this instead of failing deep inside.
        self.read_only: str | None = None
        # Whose rows the sessions see (nudger/store/scope.py): the seeker chosen by email
        # (`--seeker`, NUDGER_SEEKER), else the only one; resolved on first use.
        self.seeker_email: str | None = None
        self._seeker_id: int | None = None
        # Whether the database holds several seekers: the guard on hand-written SQL
        # (nudger/store/scope.py) is on then; with one there is no one else's row to reach.
        self._several: bool | None = None
        self._reader: tuple[Engine, Engine] | None = None  # `_reading_engine`'s

    def choose_seeker(self, email: str | None) -> None:
        """Scope every later session to the seeker with this email (None: the only one)."""
        self.seeker_email = email
        self._seeker_id = None
        self._several = None

    def for_seeker(self, seeker_id: int, *, several: bool | None = None) -> Database:
        """This database (the same engine), scoped to another seeker, for whoever serves
        several (the daemon, the workers); `several`, read by the caller, spares a query."""
        import copy

        self._reading_engine()  # the engine and its read options: made once, shared
        other = copy.copy(self)
        other._seeker_id = seeker_id
        other._several = several
        return other

    def seeker_id(self, *, write: bool = False) -> int:
        """The id of the seeker this database's sessions are scoped to. With no seeker yet a
        write makes the single user's (email "", the profile of config.toml); a read sees
        no rows (scope.NO_SEEKER)."""
        if self._seeker_id is None or self._several is None:
            self._resolve(write)
        return self._seeker_id if self._seeker_id is not None else NO_SEEKER

    def _resolve(self, write: bool) -> None:
        """Find (or, for a write, make) the seeker, and whether there are several, on a
        plain connection of the pool: a few rows, read once per Database, which no
        statement listener counts as the command's own."""
        from datetime import UTC, datetime

        from nudger.store import scope

        # The single user's seeker is stamped with the moment it was made, as every row is;
        # that one stamp is read here, where the row is made on a first write.
        now = datetime.now(UTC).replace(tzinfo=None)
        raw = self.engine.raw_connection()
        driver = raw.driver_connection
        try:
            rows = scope.plain_rows(driver)
            if self._seeker_id is None:
                if write:
                    self._begin_plain_write(driver)
                try:
                    found = scope.resolve(rows, self.seeker_email, create=write, now=now)
                except Exception as exc:
                    if not any(c.__name__ == "IntegrityError" for c in type(exc).__mro__):
                        raise
                    # Another process made the single user's seeker at the same moment
                    # (PostgreSQL; SQLite's write lock lets one at a time): it is there now.
                    self._end_plain(driver, commit=False)
                    found = scope.resolve(rows, self.seeker_email, create=False, now=now)
                if found != NO_SEEKER:
                    self._seeker_id = found
            several = scope.several_seekers(rows)
            self._end_plain(driver, commit=True)
            if self._seeker_id is not None:
                self._several = several
        except BaseException:
            self._end_plain(driver, commit=False)
            raise
        finally:
            raw.close()

    def _begin_plain_write(self, driver: Any) -> None:
        if not begin_immediate(driver):
            raise NudgerError(describe_sqlite_error("database is locked", self.path))

    def _end_plain(self, driver: Any, *, commit: bool) -> None:
        if driver.in_transaction:
            driver.execute("COMMIT" if commit else "ROLLBACK")

    def _reading_engine(self) -> Engine:
        """The engine with the options of a read session, made once per engine (and shared
        by `for_seeker`'s copies): a worker opens a read session per digest, and making
        the option engine each time was a measurable part of its CPU."""
        engine = self.engine
        cached = self._reader
        if cached is None or cached[0] is not engine:
            cached = self._reader = (engine, self._read_options(engine))
        return cached[1]

    def _read_options(self, engine: Engine) -> Engine:
        return engine.execution_options(nudger_read_only=True)

    @contextmanager
    def _scoped(self, engine: Engine, *, write: bool, every_seeker: bool
                ) -> Iterator[Session]:
        from sqlmodel import Session

        if every_seeker:
            with Session(engine, expire_on_commit=False) as session, session.begin():
                yield session
            return
        # No seeker yet: the single user's is made when a write session first writes a row
        # of theirs (scope.writing_seeker), not by a session that writes none.
        seeker = self.seeker_id(write=False)
        guard = bool(self._several)
        make = self._make_single_user if write else None
        with Session(engine.execution_options(nudger_seeker=seeker, nudger_guard=guard,
                                              nudger_make_seeker=make),
                     expire_on_commit=False,
                     info={"seeker_id": seeker, "nudger_guard": guard,
                           "nudger_make_seeker": make}) as session, \
                session.begin():
            yield session

    def _make_single_user(self, connection: Any) -> int:
        """The seeker this database serves, made (the single user's, email "") in the
        transaction of `connection` when there is none yet."""
        from datetime import UTC, datetime

        from sqlalchemy.exc import IntegrityError

        from nudger.store import scope

        now = datetime.now(UTC).replace(tzinfo=None)
        rows = scope.sqlalchemy_rows(connection)
        try:
            with connection.begin_nested():
                found = scope.resolve(rows, self.seeker_email, create=True, now=now)
        except IntegrityError:
            # Another process made it at the same moment (PostgreSQL; SQLite's write lock
            # lets one at a time): theirs, now committed, is the one.
            found = scope.resolve(rows, self.seeker_email, create=False, now=now)
        self._seeker_id = found
        self._several = None
        return found

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.path, read_only=self.read_only is not None)
        return self._engine

    @property
    def where(self) -> str:
        """The database as messages name it: the file's path (a PostgreSQL URL for
        PgDatabase)."""
        return str(self.path)

    def describe_error(self, detail: str) -> str:
        """A database failure in the user's words, with what to do next."""
        return describe_sqlite_error(detail, self.path)

    def write_problem(self) -> str | None:
        """Why this user cannot write the existing database (file or folder), or None."""
        import stat

        path = self.path
        try:
            info = path.stat()
            read_only_fs = bool(os.statvfs(path.parent).f_flag & os.ST_RDONLY)
        except OSError:
            return None
        if read_only_fs:
            return (f"{path} is on a read-only filesystem: reading commands work, changes "
                    "cannot be saved; remount it read-write or move the database")
        if os.access(path, os.W_OK) and os.access(path.parent, os.W_OK | os.X_OK):
            return None
        owner, group = _names(info.st_uid, info.st_gid)
        folder = "" if os.access(path.parent, os.W_OK | os.X_OK) else \
            f" (and its folder {path.parent})"
        return (f"{path}{folder} is not writable by you (owner {owner}, group {group}, mode "
                f"{stat.filemode(info.st_mode)}): reading commands work, changes need "
                f"membership of the group '{group}': `sudo usermod -aG {group} $USER`, then "
                "log in again (or run nudger as the service's user)")

    def exists(self) -> bool:
        return self.path.exists()

    def ensure(self, create: bool = True) -> None:
        """Create the file (and its directory) if asked, and upgrade the schema to head.

        A file that is not nudger's database (`identify`) is refused before anything
        touches it: no table created, no journal mode switched."""
        if not self.path.exists():
            if not create:
                raise NudgerError(
                    f"{self.path}: no database yet; create it with `nudger init`"
                )
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                from nudger.files import create_private

                create_private(self.path)  # 0600 before SQLite makes it 0644
            except OSError as exc:
                raise NudgerError(
                    f"cannot create {self.path.parent}: {exc.strerror}; set `database` in "
                    "config.toml to a writable place"
                ) from None
        self.read_only = self.write_problem() if self.path.exists() else None
        if self.identify() != SCHEMA_HEAD:
            if self.read_only is not None:
                raise NudgerError(f"the database's schema needs an upgrade, which needs "
                                  f"write access: {self.read_only}")
            upgrade(self.path)

    def identify(self) -> str | None:
        """The schema revision of nudger's database at this path; None for a file that is
        new (absent, empty, or an SQLite file without a single table). Raises
        ForeignDatabaseError for a file that is someone else's, reading it only."""
        try:
            if not self.path.exists() or self.path.stat().st_size == 0:
                return None
        except OSError as exc:
            raise NudgerError(f"{self.path}: {exc.strerror}") from None
        try:
            # Read-only, and immutable where a read-only folder allows no WAL index.
            con = sqlite3.connect(read_only_uri(self.path.resolve()), uri=True,
                                  timeout=BUSY_TIMEOUT_MS / 1000)
            try:
                tables = {r[0] for r in con.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'")}
                rows = con.execute("SELECT version_num FROM alembic_version").fetchall() \
                    if "alembic_version" in tables else []
            finally:
                con.close()
        except sqlite3.DatabaseError as exc:
            if "file is not a database" in str(exc):
                raise ForeignDatabaseError(
                    f"{self.path} is not an SQLite database, so not nudger's; nothing was "
                    "changed. Set `database` in config.toml to nudger's file (or to a new "
                    "path, where nudger creates one)") from None
            raise NudgerError(describe_sqlite_error(str(exc), self.path)) from None
        return classify(self.path, tables, [str(r[0]) for r in rows])

    def current_revision(self) -> str | None:
        """The schema revision of an existing file; None for a file with no schema yet."""
        try:
            con = sqlite3.connect(read_only_uri(self.path), uri=True,
                                  timeout=BUSY_TIMEOUT_MS / 1000) if self.read_only else \
                sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000)
            try:
                row = con.execute("SELECT version_num FROM alembic_version").fetchone()
            finally:
                con.close()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return None
            raise NudgerError(describe_sqlite_error(str(exc), self.path)) from None
        except sqlite3.DatabaseError as exc:
            raise NudgerError(describe_sqlite_error(str(exc), self.path)) from None
        return row[0] if row else None

    @contextmanager
    def session(self, *, every_seeker: bool = False) -> Iterator[Session]:
        """A write session: BEGIN IMMEDIATE; commits on success, rolls back on error. Scoped
        to this database's seeker (nudger/store/scope.py) unless `every_seeker`."""
        if self.read_only is not None:
            raise NudgerError(f"cannot change the database: {self.read_only}")
        with self._scoped(self.engine, write=True, every_seeker=every_seeker) as session:
            yield session

    @contextmanager
    def read_connection(self) -> Iterator[sqlite3.Connection]:
        """A plain read-only SQLite connection in one deferred transaction, without
        SQLAlchemy: for a command that reads a few rows with SQL and must start fast
        (importing SQLModel costs ~0.7 s). Only reads; the file is opened read-only. It
        knows its seeker (`scope.seeker_of`) and guards its statements (scope.check_sql)."""
        from nudger.store import scope

        con = sqlite3.connect(read_only_uri(self.path.resolve()), uri=True,
                              timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                              factory=scope.ScopedSqlite)
        try:
            con.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            con.execute("BEGIN")
            con.nudger_seeker_id = self._seeker_id if self._seeker_id is not None else \
                self._plain_seeker(con)
            con.nudger_guarded = self._several if self._several is not None else \
                scope.several_seekers(scope.plain_rows(con))
            yield con
        except sqlite3.DatabaseError as exc:
            raise NudgerError(describe_sqlite_error(str(exc), self.path)) from None
        finally:
            con.close()

    def _plain_seeker(self, connection: Any) -> int:
        from nudger.store import scope

        found = scope.resolve(scope.plain_rows(connection), self.seeker_email, create=False,
                              now=None)
        if found != scope.NO_SEEKER:
            self._seeker_id = found
        return found

    @contextmanager
    def read_session(self, *, every_seeker: bool = False) -> Iterator[Session]:
        """A read-only session with a deferred BEGIN, so reads never wait for a writer."""
        with self._scoped(self._reading_engine(), write=False,
                          every_seeker=every_seeker) as session:
            yield session

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def _names(uid: int, gid: int) -> tuple[str, str]:
    import grp
    import pwd

    try:
        owner = pwd.getpwuid(uid).pw_name
    except KeyError:
        owner = str(uid)
    try:
        group = grp.getgrgid(gid).gr_name
    except KeyError:
        group = str(gid)
    return owner, group


