"""The SQLite engine, sessions and schema upgrades.

Per connection: WAL, a busy timeout, foreign keys on, synchronous=NORMAL. Every write
transaction starts with BEGIN IMMEDIATE: a deferred transaction that reads, sees another
process commit, then writes fails at once with "database is locked" whatever the busy
timeout (NOTES.md). Reads may opt into a deferred BEGIN with `read_session`.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nudger.errors import NudgerError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

    from nudger.config import Settings

DB_NAME = "nudger.db"
# The newest migration in nudger/store/migrations/versions; a test keeps it equal to Alembic's
# head. Comparing against it lets every command skip importing Alembic (~0.3 s) when the
# schema is current.
SCHEMA_HEAD = "0004_mailbox"
BUSY_TIMEOUT_MS = 10_000


def database_path(settings: Settings, env: Mapping[str, str]) -> Path:
    """config `database`, else systemd's $STATE_DIRECTORY, else the XDG data directory."""
    if settings.database:
        return settings.resolve(settings.database)
    if env.get("STATE_DIRECTORY"):
        return Path(env["STATE_DIRECTORY"].split(":")[0]) / DB_NAME
    home = Path(env.get("HOME") or Path.home())
    data = Path(env["XDG_DATA_HOME"]) if env.get("XDG_DATA_HOME") else home / ".local/share"
    return data / "nudger" / DB_NAME


def make_engine(path: Path) -> Engine:
    from sqlalchemy import create_engine, event

    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # Let SQLAlchemy's begin event own transaction control (pysqlite's own BEGIN is
        # deferred and cannot be told otherwise on Python 3.11).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get("nudger_read_only"):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class Database:
    """One SQLite file: its engine, sessions, and schema upgrades."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.path)
        return self._engine

    def exists(self) -> bool:
        return self.path.exists()

    def ensure(self, create: bool = True) -> None:
        """Create the file (and its directory) if asked, and upgrade the schema to head."""
        if not self.path.exists():
            if not create:
                raise NudgerError(
                    f"{self.path}: no database yet; create it with `nudger init`"
                )
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise NudgerError(
                    f"cannot create {self.path.parent}: {exc.strerror}; set `database` in "
                    "config.toml to a writable place"
                ) from None
        if self.current_revision() != SCHEMA_HEAD:
            upgrade(self.path)

    def current_revision(self) -> str | None:
        """The schema revision of an existing file; None for a file with no schema yet."""
        try:
            con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000)
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
    def session(self) -> Iterator[Session]:
        """A write session: BEGIN IMMEDIATE; commits on success, rolls back on error."""
        from sqlmodel import Session

        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A read-only session with a deferred BEGIN, so reads never wait for a writer."""
        from sqlmodel import Session

        engine = self.engine.execution_options(nudger_read_only=True)
        with Session(engine, expire_on_commit=False) as session, session.begin():
            yield session

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


class Inspection:
    """What `inspect` found: `problems` (empty when all is well) and a line saying what
    was checked."""

    def __init__(self, note: str = "", problems: list[str] | None = None) -> None:
        self.note = note
        self.problems = problems or []


def inspect(path: Path) -> Inspection:
    """Read-only: SQLite's integrity_check and the schema revision. Never creates or
    upgrades the file (`nudger check`)."""
    if not path.exists():
        return Inspection(f"none yet at {path} (the first command that needs it creates it)")
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        try:
            rows = con.execute("PRAGMA integrity_check").fetchall()
        finally:
            con.close()
    except sqlite3.Error as exc:
        return Inspection(problems=[f"{path}: not a readable SQLite database: {exc}"])
    verdict = [str(r[0]) for r in rows]
    if verdict != ["ok"]:
        return Inspection(problems=[f"{path}: integrity check failed: "
                                    f"{'; '.join(verdict[:5])}; restore it from a backup"])
    revision = Database(path).current_revision()
    if revision is None:
        return Inspection(problems=[f"{path}: has no nudger schema (no alembic_version); is "
                                    "it nudger's database?"])
    if revision == SCHEMA_HEAD:
        return Inspection(f"{path} passes the integrity check; schema {revision} is current")
    versions = Path(__file__).parent / "migrations" / "versions"
    if revision in {f.stem for f in versions.glob("*.py")}:
        return Inspection(f"{path} passes the integrity check; schema {revision} will be "
                          f"upgraded to {SCHEMA_HEAD} by the next command")
    return Inspection(problems=[f"{path}: schema {revision} is newer than this nudger knows "
                                f"({SCHEMA_HEAD}); upgrade nudger"])


SQLITE_HINTS = {
    "database or disk is full": "free some disk space and run the command again",
    "disk I/O error": "check the disk holding the database",
    "readonly database": "the database file or its directory is not writable by you",
    "database is locked": "another nudger holds the database; try again in a moment",
    "unable to open database file": "check that the database directory exists and is "
    "writable",
    "file is not a database": "this file is not a nudger database; check `database` in "
    "config.toml",
}


def describe_sqlite_error(detail: str, path: Path | None) -> str:
    """An SQLite failure in the user's words, with what to do next."""
    full = False
    if path is not None:
        try:
            full = shutil.disk_usage(path.parent).free < 1024 * 1024
        except OSError:
            full = False
    if full:
        where = f" ({path.parent})" if path else ""
        return (f"database error: the disk holding the database{where} is full ({detail}); "
                "free some space and run the command again. Nothing was changed.")
    hint = next((h for key, h in SQLITE_HINTS.items() if key in detail), "")
    where = f"{path}: " if path else ""
    return f"{where}database error: {detail}" + (f"; {hint}" if hint else "") + \
        ". Nothing was changed."


def alembic_config(path: Path, connection: Any = None) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    config.set_main_option("sqlalchemy.url", f"sqlite:///{path}")
    config.attributes["connection"] = connection
    return config


def upgrade(path: Path, revision: str = "head") -> None:
    """Apply migrations up to `revision`. Never run concurrently with a running daemon."""
    from alembic import command
    from sqlalchemy import create_engine

    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
    try:
        with engine.connect() as connection:
            # Table rebuilds (render_as_batch) must not cascade deletes through foreign
            # keys; the pragma only takes effect outside a transaction.
            connection.exec_driver_sql("PRAGMA foreign_keys = OFF")
            connection.exec_driver_sql("PRAGMA journal_mode = WAL")
            connection.commit()
            command.upgrade(alembic_config(path, connection), revision)
            connection.commit()
    except sqlite3.Error as exc:
        raise NudgerError(describe_sqlite_error(str(exc), path)) from None
    except Exception as exc:
        from sqlalchemy.exc import DBAPIError

        if isinstance(exc, DBAPIError):
            raise NudgerError(describe_sqlite_error(str(exc.orig), path)) from None
        raise
    finally:
        engine.dispose()
