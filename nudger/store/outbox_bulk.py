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


def _queued_sql(statuses: str) -> str:
    """The (seeker_id, local_date) of every send job in `statuses`: a batch job's pairs
    (`nudger.send_digests`, its `batch` argument) and an earlier version's one-seeker job
    (`nudger.send_digest`), as a subquery."""
    return (
        "(SELECT CAST(e->>0 AS bigint) AS seeker_id, CAST(e->>1 AS date) AS local_date "
        "FROM procrastinate_jobs j CROSS JOIN LATERAL jsonb_array_elements(j.args->'batch') e "
        f"WHERE j.task_name = :batch_task AND j.status IN ({statuses}) "
        "UNION ALL SELECT CAST(j.args->>'seeker_id' AS bigint), "
        "CAST(j.args->>'local_date' AS date) FROM procrastinate_jobs j "
        f"WHERE j.task_name = :single_task AND j.status IN ({statuses}))")


def waiting(connection: Connection, pairs: Sequence[tuple[int, date]], tasks: Tasks
            ) -> set[tuple[int, date]]:
    """Those of `pairs` (seeker id, local date) whose send job is waiting in the queue
    ('todo'): handing them out again would only make a second job for the same row."""
    from sqlalchemy import text

    if not pairs:
        return set()
    found = connection.execute(text(
        "SELECT q.seeker_id, q.local_date FROM " + _queued_sql("'todo'") + " q "
        "JOIN unnest(CAST(:sids AS bigint[]), CAST(:days AS date[])) AS p(seeker_id, "
        "local_date) ON p.seeker_id = q.seeker_id AND p.local_date = q.local_date"),
        {"sids": [p[0] for p in pairs], "days": [p[1] for p in pairs],
         "batch_task": tasks.batch, "single_task": tasks.single})
    return {(int(seeker), day) for seeker, day in found}


def pending_without_job(connection: Connection, tasks: Tasks, limit: int
                        ) -> list[tuple[int, date]]:
    """'pending' rows (seeker id, local date), oldest first, with no send job waiting or
    running: the job that was deferred with the row failed before it claimed the row
    (the database gone for a moment), or was deleted. `tasks` names the send tasks
    (nudger/workers/tasks.py: a batch job's pairs are its `batch` argument, an earlier
    version's job's its `seeker_id` and `local_date`).
    PostgreSQL only: the queue's tables are procrastinate's (migration 0010_workers)."""
    from sqlalchemy import text

    found = connection.execute(text(
        f"SELECT d.seeker_id, d.local_date FROM digest d {ALL_SEEKERS} "
        "LEFT JOIN " + _queued_sql("'todo', 'doing'") + " q ON q.seeker_id = d.seeker_id "
        "AND q.local_date = d.local_date WHERE d.state = 'pending' AND q.seeker_id IS NULL "
        "ORDER BY d.local_date, d.id LIMIT :limit"),
        {"batch_task": tasks.batch, "single_task": tasks.single, "limit": limit})
    return [(int(seeker), day) for seeker, day in found]


@dataclass(frozen=True)
class Tasks:
    """The names of the send tasks (nudger/workers/tasks.py)."""

    batch: str
    single: str
