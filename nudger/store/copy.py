"""`nudger db copy --to URL`: every row of one nudger database into another, empty one (an
SQLite file into PostgreSQL, typically), in one transaction on the destination, the counts
checked before it commits. With `--as EMAIL`, a single user's database goes into one that
already serves others, as a new seeker: every row gets a new id there. The source is only
read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nudger.errors import NudgerError

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from nudger.store.db import Database

BATCH = 2_000


def _require_head(source: Database) -> None:
    from nudger.store.db import SCHEMA_HEAD

    revision = source.identify()
    if revision != SCHEMA_HEAD:
        raise NudgerError(
            f"{source.where} is at schema {revision or '(none)'}, not {SCHEMA_HEAD}: run any "
            "nudger command on it first (it upgrades the schema), then copy; nothing was "
            "copied")


def copy_database(source: Database, dest: Database) -> dict[str, int]:
    """Copy every table of `source` (at the newest schema) into `dest` (created or upgraded
    to the newest schema, and empty); the rows copied per table. NudgerError, with the
    destination unchanged, when either side does not qualify or the counts differ."""
    from sqlalchemy import func, select
    from sqlmodel import SQLModel

    import nudger.store.models  # noqa: F401

    _require_head(source)
    dest.ensure(create=True)
    tables = list(SQLModel.metadata.sorted_tables)  # parents before children
    copied: dict[str, int] = {}
    with dest.session(every_seeker=True) as out:  # every row, every seeker
        target = out.connection()
        full = [t.name for t in tables
                if target.execute(select(func.count()).select_from(t)).scalar_one()]
        if full:
            raise NudgerError(
                f"{dest.where} already holds nudger data (in {', '.join(full[:4])}); copy "
                "into an empty database. Nothing was copied")
        with source.read_session(every_seeker=True) as inp:
            reading = inp.connection()
            for table in tables:
                count = 0
                result = reading.execute(select(table).order_by(*table.primary_key.columns))
                while True:
                    rows = result.fetchmany(BATCH)
                    if not rows:
                        break
                    target.execute(table.insert(), [dict(row._mapping) for row in rows])
                    count += len(rows)
                copied[table.name] = count
        for table in tables:
            found = target.execute(select(func.count()).select_from(table)).scalar_one()
            if found != copied[table.name]:
                raise NudgerError(
                    f"{dest.where}: {table.name} holds {found} rows after the copy, not "
                    f"{copied[table.name]}; nothing was copied")
        if dest.engine_name == "postgresql":
            # Rows came with their ids: move each id sequence past them, so the next
            # insert does not collide.
            for table in tables:
                key = list(table.primary_key.columns)
                if len(key) == 1 and key[0].autoincrement is not False and \
                        key[0].type.python_type is int:
                    target.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', "
                        f"'{key[0].name}'), COALESCE((SELECT max({key[0].name}) FROM "
                        f"{table.name}), 0) + 1, false)")
    return copied


# --- one seeker's rows into a database that serves others (`db copy --as EMAIL`) -----------

# Columns that hold another table's id without a foreign key (a calendar event and a draft
# outlive their application): remapped like the foreign keys.
_ID_COLUMNS = {"application_id": "application", "touch_id": "touch",
               "mailcommand_id": "mailcommand"}


def copy_as_seeker(source: Database, dest: Database, email: str, defaults: dict[str, str],
                   schedule: Callable[[dict[str, Any]], datetime | None]) -> dict[str, int]:
    """Copy the only seeker of `source` (at the newest schema) into `dest` as a new seeker
    with `email`, its empty fields filled from `defaults` (the source's config.toml profile:
    name, zone, digest time, ...; `schedule` gives its next digest moment), beside the
    seekers `dest` already serves. Every row gets a new id in `dest` and every
    reference to one is moved with it; numbers (#12) stay the seeker's own. The rows copied
    per table; NudgerError, with `dest` unchanged, when the source holds more than one
    seeker, the email is taken in `dest`, a row clashes, or the counts differ."""
    from sqlalchemy import func, select
    from sqlalchemy.exc import IntegrityError
    from sqlmodel import SQLModel

    import nudger.store.models  # noqa: F401
    from nudger.store.seekers import SEEKER_COLUMN, seeker_tables

    _require_head(source)
    dest.ensure(create=True)
    tables = [t for t in SQLModel.metadata.sorted_tables if t.name != "seeker"]
    owned = {t.name for t in seeker_tables()}
    seeker_table = SQLModel.metadata.tables["seeker"]
    copied: dict[str, int] = {}
    with source.read_session(every_seeker=True) as inp:
        reading = inp.connection()
        found = list(reading.execute(select(seeker_table)))
        if len(found) != 1:
            raise NudgerError(
                f"{source.where} holds {len(found)} seekers; `db copy --as` copies a database "
                "of one seeker (a single user's). Nothing was copied")
        row = dict(found[0]._mapping)
        row.pop("id")
        row["email"] = email
        row.update({name: value for name, value in defaults.items() if not row.get(name)})
        row["next_digest_at"] = schedule(row) if row.get("enabled", True) else None
        try:
            with dest.session(every_seeker=True) as out:
                target = out.connection()
                taken = target.execute(select(func.count()).select_from(seeker_table).where(
                    seeker_table.c.email == row["email"])).scalar_one()
                if taken:
                    raise NudgerError(
                        f"{dest.where} already has a seeker {row['email']!r}; choose another "
                        "email with --as, or `nudger seeker remove` it first. Nothing was "
                        "copied")
                new_seeker = target.execute(
                    seeker_table.insert().values(**row).returning(seeker_table.c.id)
                ).scalar_one()
                moved: dict[str, dict[int, int]] = {}
                for table in tables:
                    copied[table.name] = _copy_rows(reading, target, table, new_seeker, moved)
                for table in tables:
                    if table.name not in owned:
                        continue
                    count = target.execute(select(func.count()).select_from(table).where(
                        table.c[SEEKER_COLUMN] == new_seeker)).scalar_one()
                    if count != copied[table.name]:
                        raise NudgerError(
                            f"{dest.where}: {table.name} holds {count} rows of the new "
                            f"seeker after the copy, not {copied[table.name]}; nothing was "
                            "copied")
        except IntegrityError as exc:
            raise NudgerError(
                f"{dest.where}: a row of {source.where} clashes with one already there "
                f"({type(exc.orig).__name__}: {str(exc.orig).splitlines()[0][:200]}); was this "
                "database copied in before under another email? Nothing was copied") from None
    return {"seeker": 1, **copied}


def _copy_rows(reading: Any, target: Any, table: Any, new_seeker: int,
               moved: dict[str, dict[int, int]]) -> int:
    """Insert every row of `table` under `new_seeker`, each with a new id where the table
    numbers its rows (the old-to-new ids kept in `moved` for the tables after it)."""
    from sqlalchemy import select

    key = list(table.primary_key.columns)
    numbered = len(key) == 1 and key[0].name == "id"
    references: dict[str, str] = {}
    for column in table.c:
        targets = [fk.column.table.name for fk in column.foreign_keys]
        if targets and targets[0] != "seeker":
            references[column.name] = targets[0]
        elif not targets and column.name in _ID_COLUMNS:
            references[column.name] = _ID_COLUMNS[column.name]
    ids: dict[int, int] = moved.setdefault(table.name, {})
    count = 0
    for row in reading.execute(select(table).order_by(*key)):
        values = dict(row._mapping)
        if "seeker_id" in values:
            values["seeker_id"] = new_seeker
        for name, parent in references.items():
            old = values[name]
            if old is not None:
                # A row that outlived its parent (a calendar event of a deleted
                # application) points at no row: 0 is no table's id.
                values[name] = moved.get(parent, {}).get(old, 0 if not table.c[name].nullable
                                                         else None)
        if numbered:
            old_id = values.pop("id")
            ids[old_id] = target.execute(
                table.insert().values(**values).returning(table.c.id)).scalar_one()
        else:
            target.execute(table.insert().values(**values))
        count += 1
    return count
