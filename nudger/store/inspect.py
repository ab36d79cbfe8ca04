"""`nudger check`'s look at an SQLite database (`inspect`), read-only: SQLite's integrity
check and the schema revision, never a file created or upgraded; `Inspection`, what it
found (also what store/pg.py's `inspect_pg` returns)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from nudger.store.db import SCHEMA_HEAD, Database, ForeignDatabaseError, read_only_uri


class Inspection:
    """What `inspect` found: `problems` (empty when all is well) and a line saying what
    was checked."""

    def __init__(self, note: str = "", problems: list[str] | None = None,
                 foreign: bool = False) -> None:
        self.note = note
        self.problems = problems or []
        self.foreign = foreign  # not nudger's file: a wrong `database` setting (exit 78)


def inspect(path: Path) -> Inspection:
    """Read-only: SQLite's integrity_check and the schema revision. Never creates or
    upgrades the file (`nudger check`)."""
    if not path.exists():
        return Inspection(f"none yet at {path} (the first command that needs it creates it)")
    try:
        con = sqlite3.connect(read_only_uri(path), uri=True, timeout=10)
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
    db = Database(path)
    try:
        revision = db.identify()
    except ForeignDatabaseError as exc:
        return Inspection(problems=[str(exc)], foreign=True)
    read_only = db.write_problem()
    if read_only is not None:
        # Reading works; what cannot is said once, here, with what to do about it.
        return Inspection(problems=[read_only]) if revision != SCHEMA_HEAD else \
            Inspection(f"{path} passes the integrity check; schema {revision} is current; "
                       f"read-only: {read_only}")
    if revision is None:
        return Inspection(f"{path} is empty; the first command that needs it creates "
                          "nudger's tables in it")
    if revision == SCHEMA_HEAD:
        return Inspection(f"{path} passes the integrity check; schema {revision} is current")
    return Inspection(f"{path} passes the integrity check; schema {revision} will be "
                      f"upgraded to {SCHEMA_HEAD} by the next command")
