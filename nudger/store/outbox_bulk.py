"""The outbox's statements over many seekers at once, for the workers' tick
(nudger/workers/tick.py; docs/outbox.md, "The workers' tick"): the day rows of a batch of
due seekers written in one statement, and the 'pending' rows whose send job was lost.

And which (seeker, date) pairs have a send job in the queue (`waiting`), so that nothing
is handed out twice.

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


def queued(connection: Connection, tasks: Tasks, statuses: Sequence[str]
           ) -> set[tuple[int, date]]:
    """The (seeker id, local date) of every send job whose status is one of `statuses`
    ('todo': waiting; 'doing': running): a batch job's pairs (its `batch` argument) and an
    earlier version's one-seeker job's. Read whole and compared in Python by the callers:
    a join of the jobs' JSON with the outbox has no statistics to go by, and the planner's
    nested loop over it took seconds at a backlog of a few thousand."""
    from sqlalchemy import text

    found = connection.execute(text(
        "SELECT CAST(e->>0 AS bigint), CAST(e->>1 AS date) FROM procrastinate_jobs j "
        "CROSS JOIN LATERAL jsonb_array_elements(j.args->'batch') e "
        "WHERE j.task_name = :batch_task AND CAST(j.status AS text) = ANY(:statuses) "
        "UNION ALL SELECT CAST(j.args->>'seeker_id' AS bigint), "
        "CAST(j.args->>'local_date' AS date) FROM procrastinate_jobs j "
        "WHERE j.task_name = :single_task AND CAST(j.status AS text) = ANY(:statuses)"),
        {"batch_task": tasks.batch, "single_task": tasks.single,
         "statuses": list(statuses)})
    return {(int(seeker), day) for seeker, day in found}


def waiting(connection: Connection, pairs: Sequence[tuple[int, date]], tasks: Tasks
            ) -> set[tuple[int, date]]:
    """Those of `pairs` (seeker id, local date) whose send job is waiting in the queue
    ('todo'): handing them out again would only make a second job for the same row."""
    if not pairs:
        return set()
    return queued(connection, tasks, ("todo",)) & set(pairs)


def pending_without_job(connection: Connection, tasks: Tasks, limit: int
                        ) -> list[tuple[int, date]]:
    """'pending' rows (seeker id, local date), oldest first, with no send job waiting or
    running: the job that was deferred with the row failed before it claimed the row
    (the database gone for a moment), or was deleted. `tasks` names the send tasks
    (nudger/workers/tasks.py). PostgreSQL only: the queue's tables are procrastinate's
    (migration 0010_workers)."""
    from sqlalchemy import text

    pending = connection.execute(text(
        f"SELECT d.seeker_id, d.local_date FROM digest d {ALL_SEEKERS} "
        "WHERE d.state = 'pending' ORDER BY d.local_date, d.id")).all()
    if not pending:
        return []
    jobs = queued(connection, tasks, ("todo", "doing"))
    lost = [(int(seeker), day) for seeker, day in pending if (int(seeker), day) not in jobs]
    return lost[:limit]


@dataclass(frozen=True)
class Tasks:
    """The names of the send tasks (nudger/workers/tasks.py)."""

    batch: str
    single: str
