"""The seeker table's statements that are about many rows at once: which seekers are due
(a range on the indexed `next_digest_at`, never a scan), moving a seeker's next digest on,
and every row that belongs to a seeker (found from the tables themselves, so that a table
that gains a `seeker_id` column is covered without a change here).

Core statements on a session's connection, built from the model tables; no clock reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, and_, bindparam, delete, func, select, true, update
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

from nudger.store.models import Seeker, table_of
from nudger.when.times import as_utc

SEEKER_COLUMN = "seeker_id"


@dataclass(frozen=True)
class DueSeeker:
    id: int
    email: str
    next_digest_at: datetime  # aware UTC


def stored_utc(moment: datetime) -> datetime:
    """A moment as the seeker table's columns take it: aware, in UTC (a naive one is taken
    as UTC already)."""
    return as_utc(moment)


def due_statement(now: datetime, limit: int | None = None) -> object:
    """Enabled seekers whose next digest is at or before `now`, the longest-waiting first:
    an index range on ix_seeker_next_digest_at (a disabled seeker has no next digest)."""
    seeker = table_of(Seeker)
    statement = (
        select(seeker.c.id, seeker.c.email, seeker.c.next_digest_at)
        .where(and_(seeker.c.next_digest_at <= stored_utc(now), seeker.c.enabled == true()))
        # Only by the indexed column: a tie-break on id would make PostgreSQL read every
        # seeker due in the same minute (16,000 at a career centre's 08:00) to sort them
        # before the LIMIT. Ties come in the index's order (SQLite: by id).
        .order_by(seeker.c.next_digest_at)
    )
    return statement.limit(limit) if limit is not None else statement


def due(connection: Connection, now: datetime, limit: int | None = None) -> list[DueSeeker]:
    """The seekers due at `now` (see `due_statement`), at most `limit` of them."""
    rows = connection.execute(due_statement(now, limit))  # type: ignore[call-overload]
    return [DueSeeker(row.id, row.email, as_utc(row.next_digest_at))
            for row in rows]


@dataclass(frozen=True)
class DueClock:
    """A due seeker as the workers' tick plans it: who, and their clock fields ("" =
    config.toml's), the row locked by the tick's transaction."""

    id: int
    email: str
    timezone: str
    digest_at: str
    digest_days: str
    next_digest_at: datetime  # aware UTC


def claim_due(connection: Connection, now: datetime, limit: int) -> list[DueClock]:
    """Lock and return up to `limit` seekers due at `now` (as `due_statement`), skipping
    rows another transaction holds (FOR UPDATE SKIP LOCKED on PostgreSQL): two workers
    ticking the same minute take disjoint batches; the locks last until the caller's
    transaction ends, in which it moves each seeker on (`advance`)."""
    seeker = table_of(Seeker)
    statement = (
        select(seeker.c.id, seeker.c.email, seeker.c.timezone, seeker.c.digest_at,
               seeker.c.digest_days, seeker.c.next_digest_at)
        .where(and_(seeker.c.next_digest_at <= stored_utc(now), seeker.c.enabled == true()))
        .order_by(seeker.c.next_digest_at).limit(limit)
        .with_for_update(skip_locked=True))
    return [DueClock(row.id, row.email, row.timezone or "", row.digest_at or "",
                     row.digest_days or "", as_utc(row.next_digest_at))
            for row in connection.execute(statement)]


def advance(connection: Connection, seeker_id: int, expected: datetime | None,
            new: datetime | None) -> bool:
    """Move a seeker's next digest from `expected` to `new`; False (nothing changed) when
    it is no longer `expected`: another worker has moved it already."""
    seeker = table_of(Seeker)
    current = (seeker.c.next_digest_at.is_(None) if expected is None
               else seeker.c.next_digest_at == stored_utc(expected))
    done = connection.execute(
        update(seeker).where(and_(seeker.c.id == seeker_id, current))
        .values(next_digest_at=None if new is None else stored_utc(new)))
    return bool(done.rowcount == 1)


def address_refused(connection: Connection, seeker_id: int, when: datetime,
                    detail: str) -> None:
    """The relay refused the seeker's address for a digest: keep when and its words."""
    seeker = table_of(Seeker)
    connection.execute(update(seeker).where(seeker.c.id == seeker_id)
                       .values(bounced_at=stored_utc(when), bounce_detail=detail[:300]))


def address_accepted(connection: Connection, seeker_id: int) -> None:
    """A digest to the seeker's address was accepted: it is not bouncing (any more)."""
    seeker = table_of(Seeker)
    connection.execute(update(seeker).where(and_(seeker.c.id == seeker_id,
                                                 seeker.c.bounced_at.is_not(None)))
                       .values(bounced_at=None, bounce_detail=""))


def advance_many(connection: Connection,
                 moves: list[tuple[int, datetime, datetime | None]]) -> None:
    """`advance` for many seekers at once, each (id, expected, new) by the same
    compare-and-set, in one executemany (psycopg pipelines it: a few round trips for a
    batch, not one per seeker)."""
    if not moves:
        return
    seeker = table_of(Seeker)
    connection.execute(
        update(seeker).where(and_(seeker.c.id == bindparam("b_id"),
                                  seeker.c.next_digest_at == bindparam("b_expected")))
        .values(next_digest_at=bindparam("b_new")),
        [{"b_id": seeker_id, "b_expected": stored_utc(expected),
          "b_new": None if new is None else stored_utc(new)}
         for seeker_id, expected, new in moves])


def seeker_tables() -> list[Table]:
    """Every table with a `seeker_id` column (the seeker table itself aside), those that
    others point at last: the order their rows can be deleted in."""
    tables = [table for table in SQLModel.metadata.sorted_tables
              if SEEKER_COLUMN in table.c and table.name != table_of(Seeker).name]
    return list(reversed(tables))


def count_rows(connection: Connection, seeker_id: int) -> dict[str, int]:
    """How many rows of each table belong to the seeker (tables with none left out)."""
    counts: dict[str, int] = {}
    for table in seeker_tables():
        n = int(connection.execute(select(func.count()).select_from(table)
                                   .where(table.c[SEEKER_COLUMN] == seeker_id)).scalar_one())
        if n:
            counts[table.name] = n
    return counts


def delete_rows(connection: Connection, seeker_id: int) -> dict[str, int]:
    """Delete every row of the seeker in every table that has a `seeker_id`, then the
    seeker: what was deleted, per table."""
    deleted: dict[str, int] = {}
    for table in seeker_tables():
        done = connection.execute(delete(table).where(table.c[SEEKER_COLUMN] == seeker_id))
        if done.rowcount:
            deleted[table.name] = int(done.rowcount)
    seeker = table_of(Seeker)
    connection.execute(delete(seeker).where(seeker.c.id == seeker_id))
    deleted[seeker.name] = 1
    return deleted
