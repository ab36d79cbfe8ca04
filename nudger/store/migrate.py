"""Schema revisions: which nudger schema a SQLite file holds, whose file it is, and the
upgrade that brings it to the head, all or nothing (store/db.py opens the file; this module
knows the chain of migrations in nudger/store/migrations/versions/). SQLite failures are
put in the user's words here too, since an upgrade is where most of them surface.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

from nudger.errors import ConfigError, NudgerError

# The newest migration in nudger/store/migrations/versions; a test keeps it equal to Alembic's
# head. Comparing against it lets every command skip importing Alembic (~0.3 s) when the
# schema is current.
SCHEMA_HEAD = "0011_seeker_bounce"
UPGRADE_WAIT_MS = 120_000  # how long an upgrade waits for another process's to finish
# Tables only nudger's schema has: a file whose revision this nudger does not know is a
# newer nudger's database when it holds them, another application's otherwise.
NUDGER_TABLES = frozenset({"application", "touch", "stagechange"})


class ForeignDatabaseError(ConfigError):
    """The configured database file is not one this nudger may use (exit 78): another
    application's, or a newer nudger's. Nothing in it was changed."""


def known_revisions() -> frozenset[str]:
    """Every schema revision this nudger can upgrade from (the migration files' names)."""
    versions = Path(__file__).parent / "migrations" / "versions"
    return frozenset(f.stem for f in versions.glob("*.py") if not f.stem.startswith("_"))


def classify(path: Path | str, tables: set[str], versions: list[str],
             fix: str = "") -> str | None:
    """Whose database a file holding `tables` (and Alembic `versions`) is; see identify."""
    others = sorted(t for t in tables if t != "alembic_version" and not t.startswith("sqlite_"))
    fix = fix or ("nothing was changed. Set `database` in config.toml to nudger's file (or "
                  "to a new path, where nudger creates one)")
    if not versions:
        if not others:
            return None  # new: nudger's to create
        shown = ", ".join(others[:5]) + (f" and {len(others) - 5} more" if len(others) > 5
                                         else "")
        raise ForeignDatabaseError(
            f"{path} is not a nudger database: it holds the tables {shown} and no nudger "
            f"schema revision; {fix}")
    if len(versions) == 1 and versions[0] in known_revisions():
        return versions[0]
    shown = ", ".join(versions)
    if tables >= NUDGER_TABLES:
        raise ForeignDatabaseError(
            f"{path} has schema revision {shown}, newer than this nudger knows "
            f"({SCHEMA_HEAD}): it was written by a newer nudger. Upgrade nudger (or restore "
            "a backup made by this version); nothing was changed")
    raise ForeignDatabaseError(
        f"{path} is another application's database (Alembic revision {shown}, not one of "
        f"nudger's); {fix}")


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
    """Apply migrations up to `revision`, all or nothing, one process at a time.

    Everything happens in one SQLite transaction taken with BEGIN IMMEDIATE before the
    revision is read: every migration's DDL and the alembic_version update commit
    together, so a process killed in the middle leaves the schema exactly as it was; and
    a second process that also found the schema behind waits for the lock, then reads
    the new revision and has nothing left to do. Callers identify the file first
    (`Database.identify`): WAL is switched on here, and only on nudger's own file."""
    from alembic import command
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine, event

    import nudger.store.models  # noqa: F401  (env.py's import, done before the lock)

    config = alembic_config(path)
    script = ScriptDirectory.from_config(config)  # loaded before the lock is taken
    target = script.get_current_head() if revision == "head" else revision
    # Another process's upgrade may hold the lock for a while on a busy machine: wait for
    # it longer than for an ordinary write.
    engine = create_engine(f"sqlite:///{path}",
                           connect_args={"timeout": UPGRADE_WAIT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # transactions are ours (see make_engine)
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {UPGRADE_WAIT_MS}")
        # Before the transaction (the mode cannot change inside one). On an empty file
        # SQLite writes the WAL header at once, so a second process sees WAL too.
        cursor.execute("PRAGMA journal_mode = WAL")
        # Table rebuilds (render_as_batch) must not cascade deletes through foreign keys;
        # the pragma only takes effect outside a transaction.
        cursor.execute("PRAGMA foreign_keys = OFF")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    try:
        with engine.connect() as connection, connection.begin():
            # Under the write lock: another process may have migrated while we waited.
            tables = {r[0] for r in connection.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            versions = [str(r[0]) for r in connection.exec_driver_sql(
                "SELECT version_num FROM alembic_version")] if "alembic_version" in tables \
                else []
            if classify(path, tables, versions) == target:
                return
            # The connection is already in a transaction, so Alembic runs every migration
            # in it and leaves commit (or rollback, on any error) to the `begin()` above.
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    except sqlite3.Error as exc:
        raise NudgerError(describe_sqlite_error(str(exc), path)) from None
    except Exception as exc:
        from sqlalchemy.exc import DBAPIError

        if isinstance(exc, DBAPIError):
            raise NudgerError(describe_sqlite_error(str(exc.orig), path)) from None
        raise
    finally:
        engine.dispose()
