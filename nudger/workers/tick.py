"""The workers' minute (`nudger.tick`, workers/tasks.py): every seeker's digest that is due,
recorded and handed to the queue; what waits to be resent, handed again; the jobs of dead
workers, retried. docs/outbox.md, "The workers' tick", says why nothing is lost or doubled.

1. The seekers due: enabled, `next_digest_at` (UTC) at or before `now`, found by an index
   range and taken `BATCH` at a time, each batch in ONE transaction:
   - the rows are locked FOR UPDATE SKIP LOCKED (`store.seekers.claim_due`), so a second
     worker ticking the same minute takes other seekers, never the same ones;
   - each seeker's digest day is the latest of their digest days whose moment (in their own
     zone, `nudger.when.next_digest.clock_of`: DST gaps and repeated hours as the single
     user's) has come; within `digest.catch_up` of it a 'pending' outbox row is written,
     later a 'skipped' one (never sent late), unless the seeker has a row for that date
     already (the unique key, `store.outbox_bulk.record_days`);
   - the new 'pending' rows are deferred as `send_digests(batch=...)` jobs of up to
     `JOB_BATCH` seekers each, on the same transaction's connection (procrastinate's
     `connection=`), so the rows and their jobs are committed together or not at all;
   - each seeker's `next_digest_at` moves to their first digest moment after `now`, by
     compare-and-set from the value found (`store.seekers.advance_many`).
   A seeker whose stored fields cannot be used (a zone this machine does not know) is
   logged and gets no next digest until `nudger seeker edit` fixes it.
2. The single user (the seeker with email "", whose schedule is config.toml's, with no
   `next_digest_at` of its own; or a database with no seeker yet): the daemon's decision
   (`daemon.decide`), recorded and deferred in one transaction the same way.
3. The outbox rows to hand out again, in batch jobs as in 1 (`resend`; a row whose job is
   waiting in the queue already gets no second one): 'retry' rows whose time has come,
   'sending' rows whose lease ran out, 'pending' rows whose job was lost (it failed before
   claiming the row).
4. Jobs of workers that stopped heart-beating are retried (`retry_stalled`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from nudger.errors import NudgerError
from nudger.workers.status import STALLED_AFTER_S, duration
from nudger.workers.tasks import JOB_BATCH, QUEUE, SEND, SEND_BATCH

if TYPE_CHECKING:
    from procrastinate import App
    from sqlmodel import Session

    from nudger.config import Settings
    from nudger.store.db import Database
    from nudger.store.outbox_bulk import Tasks
    from nudger.store.seekers import DueClock

log = logging.getLogger("nudger.worker")

# Seekers per transaction: their rows written, their jobs deferred (one statement each) and
# their next digests moved on; the locks on them are held that long.
BATCH = 300
# Outbox rows handed out again per tick at most (the rest wait for the next minute).
SWEEP_LIMIT = 500


def _send_tasks() -> Tasks:
    from nudger.store.outbox_bulk import Tasks

    return Tasks(batch=SEND_BATCH, single=SEND)


@dataclass
class TickReport:
    """What one tick did."""

    deferred: list[tuple[int, date]] = field(default_factory=list)  # (seeker, date) jobs
    skipped: list[tuple[int, date]] = field(default_factory=list)  # missed beyond catch_up
    moved: int = 0  # due seekers whose next digest was moved on


@dataclass(frozen=True)
class _Plan:
    seeker_id: int
    recipient: str
    expected: datetime  # the next_digest_at found (the compare-and-set's expected value)
    following: datetime | None  # the next one; None: the seeker's fields are unusable
    day: date | None  # the digest day to record (None: none within a fortnight)
    send: bool  # True: 'pending' + a job; False: 'skipped'
    reason: str = ""


class JobWriter:
    """Defers send jobs inside a transaction the caller holds: procrastinate's job manager
    over a connector that is never opened, used only with the transaction's own psycopg
    connection (the documented `connection=` of a defer)."""

    def __init__(self) -> None:
        from procrastinate import SyncPsycopgConnector
        from procrastinate.manager import JobManager

        self.manager = JobManager(SyncPsycopgConnector())

    def defer(self, session: Session, pairs: Sequence[tuple[int, date]], *,
              new: bool = False) -> list[tuple[int, date]]:
        """Defer the digests of `pairs` (seeker, date) in `session`'s transaction, as
        `send_digests` jobs of up to JOB_BATCH pairs each; a pair whose job is already
        waiting in the queue is left to it (`new`: the pairs' rows were inserted in this
        transaction, so no job can hold them yet: the queue is not read). The pairs
        deferred."""
        from procrastinate.jobs import Job

        from nudger.store.outbox_bulk import waiting

        if not pairs:
            return []
        connection = session.connection()
        queued = set() if new else waiting(connection, pairs, _send_tasks())
        fresh = [pair for pair in dict.fromkeys(pairs) if pair not in queued]
        if fresh:
            raw = connection.connection.driver_connection
            self.manager.batch_defer_jobs(jobs=[
                Job(id=None, queue=QUEUE, lock=None, queueing_lock=None, task_name=SEND_BATCH,
                    task_kwargs={"batch": [[seeker, day.isoformat()] for seeker, day
                                           in fresh[start:start + JOB_BATCH]]})
                for start in range(0, len(fresh), JOB_BATCH)], connection=raw)
        return fresh


# --- the seekers due ---------------------------------------------------------------------

def schedule_batch(settings: Settings, db: Database, now: datetime, writer: JobWriter,
                   report: TickReport) -> int:
    """Take up to BATCH due seekers and do step 1 for them in one transaction; how many
    were taken (fewer than BATCH: none left, or the rest are another worker's now)."""
    from nudger.store import seekers as store
    from nudger.store.outbox_bulk import DayRow, record_days

    with db.session(every_seeker=True) as s:
        connection = s.connection()
        due = store.claim_due(connection, now, BATCH)
        plans = [_plan(settings, row, now) for row in due]
        rows = [DayRow(p.seeker_id, p.recipient, p.day, "pending" if p.send else "skipped",
                       p.reason) for p in plans if p.day is not None]
        recorded = record_days(connection, rows, now)
        deferred = writer.defer(s, [(p.seeker_id, p.day) for p in plans
                                    if p.send and p.day is not None
                                    and (p.seeker_id, p.day) in recorded], new=True)
        skipped = [(p.seeker_id, p.day) for p in plans if not p.send and p.day is not None
                   and (p.seeker_id, p.day) in recorded]
        # The rows are ours (locked above): each compare-and-set holds.
        store.advance_many(connection, [(p.seeker_id, p.expected, p.following)
                                        for p in plans])
    report.deferred += deferred
    report.skipped += skipped
    report.moved += len(plans)
    if due:
        log.info("tick: %d seekers due; %d digests handed to the queue, %d missed beyond "
                 "digest.catch_up recorded as skipped", len(due), len(deferred), len(skipped))
    return len(due)


def _plan(settings: Settings, row: DueClock, now: datetime) -> _Plan:
    from nudger.track.seeker_profile import SeekerProfile, settings_for
    from nudger.when.next_digest import clock_of

    try:
        profile = SeekerProfile(email=row.email, timezone=row.timezone,
                                digest_at=row.digest_at, digest_days=row.digest_days)
        recipient = settings_for(settings, profile).recipient
        clock = clock_of(settings, row)
        following = clock.next_after(now).astimezone(UTC)
    except (NudgerError, ValueError, KeyError) as exc:
        log.error("seeker %s: no digest until `nudger seeker edit %s ...` fixes their "
                  "schedule: %s", row.email or row.id, row.email, exc)
        return _Plan(row.id, "", row.next_digest_at, None, None, send=False)
    day = clock.latest_day(now)
    if day is None:  # no digest day in a fortnight: the workers were off that long
        return _Plan(row.id, recipient, row.next_digest_at, following, None, send=False)
    late = now.astimezone(UTC) - clock.moment(day).astimezone(UTC)
    window = settings.digest.catch_up.as_timedelta()
    if late <= window:
        return _Plan(row.id, recipient, row.next_digest_at, following, day, send=True)
    return _Plan(row.id, recipient, row.next_digest_at, following, day, send=False,
                 reason=f"missed by {duration(late)}, more than digest.catch_up "
                 f"({settings.digest.catch_up}); not sent late")


# --- the single user ---------------------------------------------------------------------

def _single_user(db: Database) -> tuple[bool, int | None]:
    """Whether the single user's schedule applies, and their seeker's id: (True, None) on a
    database with no seeker yet (the seeker is made by the write), (True, id) for an
    enabled seeker with email "" and no next digest of its own, (False, None) otherwise."""
    from sqlalchemy import select

    from nudger.store.models import Seeker, table_of

    seeker = table_of(Seeker)
    with db.read_session(every_seeker=True) as s:
        rows = s.execute(select(seeker.c.id, seeker.c.email, seeker.c.enabled,
                                seeker.c.next_digest_at)
                         .order_by(seeker.c.email).limit(1)).all()
    if not rows:
        return True, None
    seeker_id, email, enabled, next_at = rows[0]
    if email == "" and enabled and next_at is None:
        return True, int(seeker_id)
    return False, None


def serve_single_user(settings: Settings, db: Database, now: datetime, writer: JobWriter,
                      report: TickReport) -> None:
    """Step 2: the single user's digest by the daemon's rules (`daemon.decide`)."""
    from nudger.daemon.decide import Action, decide
    from nudger.send.outbox import record_skipped
    from nudger.store.outbox import Outbox
    from nudger.store.outbox_bulk import DayRow, record_days

    applies, seeker_id = _single_user(db)
    if not applies:
        return
    scoped = db.for_seeker(seeker_id) if seeker_id is not None else _fresh_scope(db)
    decision = decide(settings, now, Outbox(scoped, settings.recipient).state_of)
    if decision.local_date is None or decision.action not in (Action.SEND, Action.SKIP):
        return
    if seeker_id is None:  # the single user's seeker, made on this first write
        try:
            seeker_id = scoped.seeker_id(write=True)
        except NudgerError as exc:  # seekers were added meanwhile: theirs is step 1
            log.info("tick: no single user's digest: %s", exc)
            return
        scoped = db.for_seeker(seeker_id)
    day = decision.local_date
    if decision.action is Action.SKIP:
        if record_skipped(settings, scoped, day, now, decision.reason):
            report.skipped.append((seeker_id, day))
        return
    with db.session(every_seeker=True) as s:
        if record_days(s.connection(), [DayRow(seeker_id, settings.recipient, day,
                                               "pending")], now):
            report.deferred += writer.defer(s, [(seeker_id, day)], new=True)


def _fresh_scope(db: Database) -> Database:
    """`db` scoped as a command would be on a database with no seeker yet (the only
    seeker, made by the first write), without changing the scope of `db` itself."""
    fresh = db.for_seeker(0)
    fresh.choose_seeker(None)
    return fresh


# --- the rows to hand out again, the stalled jobs -----------------------------------------

def resend(settings: Settings, db: Database, now: datetime, writer: JobWriter
           ) -> list[tuple[int, date]]:
    """Step 3: due retries, expired leases and lost jobs handed out again, in batch jobs,
    in one transaction; the (seeker, date) pairs deferred."""
    from nudger.store.outbox import Outbox
    from nudger.store.outbox_bulk import pending_without_job

    wanted = Outbox(db, settings.recipient).due_for_workers(now, SWEEP_LIMIT)
    with db.session(every_seeker=True) as s:
        lost = pending_without_job(s.connection(), _send_tasks(), SWEEP_LIMIT)
        if lost:
            log.warning("tick: %d pending digests had no job in the queue (a job failed "
                        "before it claimed its row); handing them out again", len(lost))
        return writer.defer(s, wanted + [pair for pair in lost if pair not in wanted])


async def retry_stalled(app: App) -> int:
    """Retry the jobs of workers that stopped heart-beating; how many."""
    count = 0
    for job in await app.job_manager.get_stalled_jobs(
            seconds_since_heartbeat=STALLED_AFTER_S):
        log.warning("job %s (%s) was left running by a worker that stopped responding; "
                    "retrying it", job.id, job.call_string)
        await app.job_manager.retry_job(job)
        count += 1
    return count


async def tick(app: App, settings: Settings, db: Database, now: datetime,
               writer: JobWriter) -> TickReport:
    """Steps 1 to 4 at `now` (aware). The database work runs in a thread, so the worker's
    sends and heartbeats go on while a large minute is recorded."""
    report = TickReport()
    while await asyncio.to_thread(schedule_batch, settings, db, now, writer, report) \
            == BATCH:
        pass
    await asyncio.to_thread(serve_single_user, settings, db, now, writer, report)
    report.deferred += await asyncio.to_thread(resend, settings, db, now, writer)
    await retry_stalled(app)
    return report
