"""The workers' delivery flow for a batch of seekers (`nudger.send_digests`, one job for up to
a few hundred seekers' digests: workers/tasks.py), exactly once each by the same rules as
one seeker's (send/leased.py; docs/outbox.md, "Batches"), with the database work done a
batch at a time:

1. In one transaction: the batch's seekers read in one query, every row of theirs that
   may be claimed now claimed in ONE statement (store/outbox_batch.py, `claim_batch`: FOR
   UPDATE SKIP LOCKED, a lease from the database's clock and the worker's id, a
   Message-ID written with the claim), and the claimed seekers' earlier failed digests
   not yet reported (which their digests tell) in one query. A row another worker holds,
   or one recorded already, is not taken: its digest is theirs, or done.
   The claimed seekers' digest inputs (applications, contacts, touches, snoozes,
   suggestions; on a seeker's weekly effort day their whole history) are read there too,
   one statement per table for the whole batch (store/read_batch.py), so that composing a
   digest reads none of them again.
2. Each claimed digest composed (`Attempt.compose`, send/leased.py: on the event loop when
   it reads nothing more from the database, else in a thread), then sent
   over the worker's one relay connection, `concurrency` digests in flight (one composes
   while another is in its SMTP dialogue), then marked 'sent' right after the relay's 250
   by one statement that holds only while the row is the worker's (`mark_sent`), on the
   one connection the worker holds for its marks, in autocommit (one round trip a mark;
   `Marks`, store/outbox_batch.py). Failures
   are marked as one seeker's (send/leased.py: permanent, transient, uncertain).
3. The lease: before each message goes to the relay the batch's lease must have at least
   half of it left, counted from the moment the worker asked for it (a monotonic clock:
   the database set the lease at or after that moment, so no one can take a row over
   before it is up); otherwise the batch's rows still unsent are renewed in one UPDATE,
   and a row not renewed (another worker took it over after the lease ran out: this one
   was frozen, or cut off) is not sent by this one.

A worker killed mid-batch leaves its rows 'sending': after the lease another worker's
claim takes them (the tick hands them out again), resending the ones on the wire with the
same Message-ID. A worker stopped (SIGTERM past the grace period, the job cancelled) gives
every row it has not marked back at once (`release`: 'retry' due now, the same Message-ID,
marked uncertain when the message may have arrived).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from datetime import date, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from nudger.config import Settings
from nudger.errors import NotFoundError, NudgerError
from nudger.send.leased import Attempt, Clock, Prepared, Unsendable, off_loop
from nudger.send.outbox import OutboxResult, Outcome, announced, backoff
from nudger.store.db import Database
from nudger.store.outbox_batch import Marks

if TYPE_CHECKING:
    from nudger.digest.seeker import ServedSeeker
    from nudger.send.pool import Relay
    from nudger.store.outbox_batch import BatchClaim
    from nudger.store.read_batch import Preloaded
    from nudger.when.business import Calendar

log = logging.getLogger("nudger.outbox")


async def send_batch(settings: Settings, db: Database, calendar: Calendar,
                     batch: Sequence[tuple[int, date]], *, me: str, lease: timedelta,
                     relay: Relay, clock: Clock, concurrency: int = 4,
                     marks: Marks | None = None) -> list[OutboxResult]:
    """Send the digest of each (seeker, day) of `batch` unless it is recorded or another
    worker holds it; the outcome of each digest this job dealt with (a row it did not
    claim counts as `Outcome.ALREADY`). `marks`: the worker's marking connection, shared
    by its batches (a connection of the batch's own, closed at its end, when None)."""
    run = _Batch(settings, db, calendar, me, lease, relay, clock,
                 marks if marks is not None else Marks(db.engine))
    try:
        results = await off_loop(partial(run.take, batch))
        gate = asyncio.Semaphore(max(1, concurrency))

        async def one(attempt: Attempt) -> OutboxResult:
            async with gate:
                return await run.deliver(attempt)

        # A TaskGroup: when one digest's task fails (the database gone as it gives its row
        # back) or the job is stopped, the others are cancelled and waited for, so what is
        # given back below is what they left.
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(one(a)) for a in run.attempts]
        return results + [task.result() for task in tasks]
    except BaseException as exc:
        run.give_back(exc)
        raise
    finally:
        if marks is None:
            run.marks.close()  # no mark of this batch's is under way: each waited for it


class _Batch:
    """One batch job's claims and its lease."""

    def __init__(self, settings: Settings, db: Database, calendar: Calendar, me: str,
                 lease: timedelta, relay: Relay, clock: Clock, marks: Marks) -> None:
        self.settings, self.db, self.calendar, self.me = settings, db, calendar, me
        self.lease, self.relay, self.clock = lease, relay, clock
        self.attempts: list[Attempt] = []
        self.held_until = 0.0  # monotonic: the lease holds at least until then
        self.lost: set[int] = set()  # rows taken over by another worker: not to be sent
        self.bounced: set[int] = set()  # seekers whose address was marked as bouncing
        self.renewing = asyncio.Lock()
        self.marks = marks  # the connection its marks are written on

    # --- 1. the seekers and the claim, in a thread --------------------------------------

    def take(self, batch: Sequence[tuple[int, date]]) -> list[OutboxResult]:
        """The batch's seekers, and their rows claimed; the outcome of each digest there is
        nothing to send for (the claimed ones are `self.attempts`, set before this
        returns, so that a job stopped meanwhile gives them back)."""
        from nudger.send.message import digest_message_id
        from nudger.store.outbox import unreported_failures_of
        from nudger.store.outbox_batch import Wanted, claim_batch

        results: list[OutboxResult] = []
        with self.db.session(every_seeker=True) as s:
            seekers = _seekers(self.settings, self.db, s, {seeker for seeker, _ in batch},
                               self.bounced)
            wanted: list[Wanted] = []
            days: dict[int, date] = {}
            for seeker_id, day in dict.fromkeys(batch):
                seeker = seekers.get(seeker_id)
                if isinstance(seeker, NudgerError):
                    log.error("digest of %s (seeker %s) not sent: %s", day, seeker_id, seeker)
                    results.append(OutboxResult(Outcome.FAILED, day, "", str(seeker)))
                elif seeker is not None and seeker.enabled:
                    wanted.append(Wanted(seeker_id, seeker.settings.recipient, day,
                                         digest_message_id(seeker.settings, day)))
                    days[seeker_id] = day
            asked = time.monotonic()
            claims = claim_batch(s.connection(), wanted, self.clock(), me=self.me,
                                 lease=self.lease)
            failures = unreported_failures_of(
                s, [(c.seeker_id, c.recipient, c.local_date) for c in claims])
            preloaded = _preload(s, seekers, claims)
        self.held_until = asked + self.lease.total_seconds()
        for claim in claims:
            served = seekers[claim.seeker_id]
            assert not isinstance(served, NudgerError)
            attempt = Attempt(served, self.calendar, _record(claim, self.me), self.me,
                              self.lease, self.relay, self.clock)
            attempt.failures = failures[(claim.seeker_id, claim.recipient, claim.local_date)]
            attempt.preloaded = preloaded.get(claim.seeker_id)
            self.attempts.append(attempt)
        claimed = {(c.seeker_id, c.local_date) for c in claims}
        for seeker_id, day in dict.fromkeys(batch):
            seeker = seekers.get(seeker_id)
            if seeker is None or isinstance(seeker, NudgerError) or (seeker_id, day) in claimed:
                continue
            if not seeker.enabled:
                results.append(_disabled(seeker, day, self.clock))
            else:
                results.append(OutboxResult(Outcome.ALREADY, day, "", "recorded already, "
                                            "or another worker holds it"))
        if len(claims) < len(wanted):
            log.debug("batch of %d: %d claimed, the rest recorded or another worker's",
                      len(batch), len(claims))
        return results

    # --- 2. one digest: compose, hold the lease, send, mark -------------------------------

    async def deliver(self, attempt: Attempt) -> OutboxResult:
        record = attempt.record
        try:
            if attempt.reads_nothing():
                ready = attempt.prepare()
                if isinstance(ready, Unsendable):
                    return await off_loop(partial(attempt.settle, ready))
                prepared: OutboxResult | Prepared = ready
            else:
                prepared = await off_loop(attempt.compose)
            if isinstance(prepared, OutboxResult):
                return prepared
            message, message_id, nudges, failures, invitations = prepared
            # The last moment to find out that another worker took the row over: after
            # this, the message is on its way.
            if not await self.hold(attempt):
                attempt.marked = True  # not ours: nothing to give back
                return OutboxResult(Outcome.ALREADY, record.local_date, message_id,
                                    "another worker took it over; not sent by this one")
            done = await attempt.deliver(message, message_id, failures, invitations)
            if isinstance(done, OutboxResult):
                return done
            detail, reported = done
            return await off_loop(partial(self.sent, attempt, message_id, nudges, detail,
                                          reported, invitations))
        except Exception as exc:  # a bug with this seeker's digest: the others go on
            if attempt.marked:
                raise
            why = f"interrupted by an internal error: {exc!r}"[:500]
            log.error("digest of %s (seeker %s): %s", record.local_date, attempt.who, why)
            self._release([attempt], why, after=backoff(self.settings, record.attempts))
            return OutboxResult(Outcome.RETRY, record.local_date, record.message_id, why)

    async def hold(self, attempt: Attempt) -> bool:
        """Whether `attempt`'s row is still this worker's, with at least half a lease left
        (renewing the batch's unsent rows in one statement when less is left)."""
        async with self.renewing:
            if time.monotonic() > self.held_until - self.lease.total_seconds() / 2:
                await off_loop(self._renew)
        return attempt.record.id not in self.lost

    def _renew(self) -> None:
        from nudger.store.outbox_batch import renew_batch

        unsent = [a.record.id for a in self.attempts
                  if not a.marked and a.record.id is not None]
        asked = time.monotonic()
        with self.db.session(every_seeker=True) as s:
            renewed = renew_batch(s.connection(), unsent, self.clock(), me=self.me,
                                  lease=self.lease)
        self.held_until = asked + self.lease.total_seconds()
        for attempt in self.attempts:
            if attempt.record.id in unsent and attempt.record.id not in renewed:
                log.warning("digest of %s (seeker %s): %s's lease ran out and another "
                            "worker holds it now; not sent by this one",
                            attempt.record.local_date, attempt.who, self.me)
                attempt.marked = True
        self.lost |= set(unsent) - renewed

    def sent(self, attempt: Attempt, message_id: str, nudges: int, detail: str,
             reported: Sequence[int], invitations: Any) -> OutboxResult:
        """In a thread: the row 'sent' (one statement, while it is this worker's, on the
        batch's marking connection); for a seeker whose address was bouncing, with the
        address no longer bouncing, in one transaction."""
        from nudger.store import seekers as store
        from nudger.store.outbox_batch import mark_sent

        record = attempt.record
        assert record.id is not None
        if attempt.seeker.seeker_id in self.bounced:  # the rare path: two rows to write
            with self.db.session(every_seeker=True) as s:
                mine = mark_sent(s.connection(), record.id, self.clock(), me=self.me,
                                 message_id=message_id, nudges=nudges, reported=reported)
                if mine:
                    store.address_accepted(s.connection(), attempt.seeker.seeker_id)
        else:
            mine = self.marks.mark_sent(record.id, self.clock(), me=self.me,
                                        message_id=message_id, nudges=nudges,
                                        reported=reported)
        attempt.marked = True
        if not mine:
            return OutboxResult(Outcome.ALREADY, record.local_date, message_id,
                                "sent here, but another worker holds the row now")
        if invitations is not None:
            announced(attempt.db, invitations)
        return OutboxResult(Outcome.SENT, record.local_date, message_id, detail)

    # --- a stop: what is not marked goes back ---------------------------------------------

    def give_back(self, exc: BaseException) -> None:
        """The job was stopped (SIGTERM past the grace period, cancelled) or failed: every
        row this worker still holds back to 'retry', due at once (stopped) or after the
        backoff (a bug), in one statement; logged."""
        cancelled = isinstance(exc, asyncio.CancelledError | KeyboardInterrupt)
        left = [a for a in self.attempts if not a.marked]
        if not left:
            return
        if cancelled:
            self._release(left, "", after=timedelta(0))
        else:
            self._release(left, f"interrupted by an internal error: {exc!r}"[:500],
                          after=backoff(self.settings, 1))

    def _release(self, attempts: Sequence[Attempt], why: str, *, after: timedelta) -> None:
        from nudger.store.outbox_batch import release

        rows = [(a.record.id or 0, why or (
            "the worker was stopped in the middle of sending it; it may have arrived"
            if a.on_the_wire else "the worker was stopped before sending it"), a.on_the_wire)
            for a in attempts]
        with self.db.session(every_seeker=True) as s:
            given = release(s.connection(), rows, self.clock(), me=self.me, after=after)
        for attempt in attempts:
            attempt.marked = True
        for _, day, message_id in given:
            log.warning("digest of %s: %s; released for a resend with the same Message-ID "
                        "%s", day, why or "the worker was stopped", message_id)


def _seekers(settings: Settings, db: Database, session: Any, ids: set[int],
             bounced: set[int]) -> dict[int, ServedSeeker | NudgerError]:
    """The seekers `ids` as the workers serve them (digest/seeker.py, `serving`), read in
    one query; a seeker whose stored fields cannot be used, or who is gone, maps to the
    error that says so. The ids of those whose address is bouncing are added to
    `bounced`."""
    from sqlmodel import col, select

    from nudger.digest.seeker import served
    from nudger.store import scope
    from nudger.store.models import Seeker

    rows = session.exec(select(Seeker).where(col(Seeker.id).in_(sorted(ids)))).all()
    several = scope.several_seekers(scope.sqlalchemy_rows(session.connection()))
    found: dict[int, ServedSeeker | NudgerError] = {}
    for row in rows:
        if row.bounced_at is not None:
            bounced.add(int(row.id))
        try:
            found[int(row.id)] = served(settings, db, row, several=several)
        except NudgerError as exc:
            found[int(row.id)] = exc
    for seeker_id in ids - found.keys():
        found[seeker_id] = NotFoundError(
            f"seeker {seeker_id} is not in {db.where} (removed with `nudger seeker "
            "remove`?); nothing to send for them")
    return found


def _preload(session: Any, seekers: dict[int, ServedSeeker | NudgerError],
             claims: Sequence[BatchClaim]) -> dict[int, Preloaded]:
    """The claimed seekers' digest inputs, read set-based in the claim's transaction
    (store/read_batch.py). Left out, and read by their own compose: a seeker whose
    cadence closes applications as ghosted on the digest day (`auto_ghost`, done just
    before composing), and a seeker claimed for two days in one batch."""
    from nudger.store.read_batch import load_digests
    from nudger.track.stats import is_effort_day

    days: dict[int, date] = {}
    zones: dict[int, Any] = {}
    twice: set[int] = set()
    effort: set[int] = set()  # whose digest carries the weekly effort section: the history
    for claim in claims:
        served = seekers[claim.seeker_id]
        assert not isinstance(served, NudgerError)
        if any(rule.auto_ghost for rule in served.settings.cadence):
            continue
        if claim.seeker_id in days:
            twice.add(claim.seeker_id)
        days[claim.seeker_id] = claim.local_date
        zones[claim.seeker_id] = served.settings.zone
        if is_effort_day(served.settings, claim.local_date):
            effort.add(claim.seeker_id)
    for seeker_id in twice:
        del days[seeker_id]
    return load_digests(session, days, zones, effort=effort)


def _disabled(seeker: ServedSeeker, day: date, clock: Clock) -> OutboxResult:
    from nudger.store.outbox import Outbox

    Outbox(seeker.db, seeker.settings.recipient).skip_pending(day, "the seeker is disabled",
                                                              clock())
    log.info("digest of %s (seeker %s) not sent: the seeker is disabled", day, seeker.who)
    return OutboxResult(Outcome.SKIPPED, day, "", "the seeker is disabled")


def _record(claim: BatchClaim, me: str) -> Any:
    """The claimed row as the single-seeker flow holds it (a DigestRecord, not attached to
    any session)."""
    from nudger.store.models import DigestRecord

    return DigestRecord(id=claim.id, seeker_id=claim.seeker_id, recipient=claim.recipient,
                        local_date=claim.local_date, message_id=claim.message_id,
                        state="sending", attempts=claim.attempts, claimed_by=me,
                        created_at=claim.created_at, updated_at=claim.created_at)
