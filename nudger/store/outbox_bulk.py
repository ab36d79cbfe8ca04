"""The outbox's statements over many seekers at once, for the workers' tick
(nudger/workers/tick.py; docs/outbox.md, "The workers' tick"): the day rows of a batch of
due seekers written in one statement, and the 'pending' rows whose send job was lost.

Core statements on the caller's connection (inside its transaction: the tick writes these
rows, defers their jobs and moves the seekers on in one), built from the model table; no
clock reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.engine import Connection

from nudger.store.models import DigestRecord, table_of
from nudger.store.scope import ALL_SEEKERS
from nudger.when.times import as_utc


@dataclass(frozen=True)
class DayRow:
    """One seeker's outbox row for one local date, as the tick records it."""

    seeker_id: int
    recipient: str
    local_date: date
    state: str  # "pending" (its job is deferred with it) or "skipped" (missed: not sent late)
    reason: str = ""


def record_days(connection: Connection, rows: Sequence[DayRow], now: datetime
                ) -> set[tuple[int, date]]:
    """Insert each row unless its seeker, recipient and date have one already (the unique
    key uq_digest_day, ON CONFLICT DO NOTHING: a row another transaction is inserting this
    moment is waited for, then counts as there). The (seeker, date) pairs inserted."""
    if not rows:
        return set()
    insert: Any
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    digest = table_of(DigestRecord)
    stamp = as_utc(now)
    # One statement compiled once and executed for many rows (SQLAlchemy batches them into
    # multi-row INSERTs, RETURNING included): a batch costs a few round trips, not one each.
    statement = insert(digest).on_conflict_do_nothing(
        index_elements=["seeker_id", "recipient", "local_date"]
    ).returning(digest.c.seeker_id, digest.c.local_date)
    found = connection.execute(statement, [
        {"seeker_id": row.seeker_id, "recipient": row.recipient,
         "local_date": row.local_date, "message_id": "", "state": row.state,
         "attempts": 0, "nudges": 0, "last_error": row.reason, "uncertain": False,
         "claimed_by": "", "created_at": stamp, "updated_at": stamp}
        for row in rows])
    return {(int(seeker), day) for seeker, day in found}


def pending_without_job(connection: Connection, lock_prefix: str, limit: int
                        ) -> list[tuple[int, date]]:
    """'pending' rows (seeker id, local date), oldest first, with no send job waiting or
    running: the job that was deferred with the row failed before it claimed the row
    (the database gone for a moment), or was deleted. A send job's queueing lock is
    `lock_prefix` + "<seeker id>:<YYYY-MM-DD>" (nudger/workers/tasks.py, `send_lock`).
    PostgreSQL only: the queue's tables are procrastinate's (migration 0010_workers)."""
    from sqlalchemy import text

    found = connection.execute(text(
        f"SELECT d.seeker_id, d.local_date FROM digest d {ALL_SEEKERS} "
        "WHERE d.state = 'pending' AND NOT EXISTS (SELECT 1 FROM procrastinate_jobs j "
        "WHERE j.queueing_lock = :prefix || d.seeker_id || ':' || "
        "to_char(d.local_date, 'YYYY-MM-DD') AND j.status IN ('todo', 'doing')) "
        "ORDER BY d.local_date, d.id LIMIT :limit"), {"prefix": lock_prefix, "limit": limit})
    return [(int(seeker), day) for seeker, day in found]
