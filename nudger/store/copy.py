"""`nudger db copy --to URL`: every row of one nudger database into another, empty one (an
SQLite file into PostgreSQL, typically), in one transaction on the destination, the counts
checked before it commits. The source is only read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nudger.errors import NudgerError

if TYPE_CHECKING:
    from nudger.store.db import Database

BATCH = 2_000


def copy_database(source: Database, dest: Database) -> dict[str, int]:
    """Copy every table of `source` (at the newest schema) into `dest` (created or upgraded
    to the newest schema, and empty); the rows copied per table. NudgerError, with the
    destination unchanged, when either side does not qualify or the counts differ."""
    from sqlalchemy import func, select
    from sqlmodel import SQLModel

    import nudger.mail.act.commandlog
    import nudger.mail.act.drafts
    import nudger.store.models  # noqa: F401
    from nudger.store.db import SCHEMA_HEAD

    revision = source.identify()
    if revision != SCHEMA_HEAD:
        raise NudgerError(
            f"{source.where} is at schema {revision or '(none)'}, not {SCHEMA_HEAD}: run any "
            "nudger command on it first (it upgrades the schema), then copy; nothing was "
            "copied")
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
