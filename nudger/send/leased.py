"""The workers' delivery flow: claim with a lease → compose → renew → deliver over the
worker's relay connection → mark, one seeker's digest of one day, exactly once.

Jobs of the task queue run at least once (a worker killed mid-job has its job retried by
another), so exactly once comes from the outbox: the row's UNIQUE key decides who sends;
the claim carries the worker's id and a lease (store/outbox_lease.py, `claim_leased`); the
lease is renewed right before the SMTP dialogue and a claimer that was taken over meanwhile
sends nothing; the mark is written only by the row's claimer. A worker killed after the relay's
250 and before the mark leaves the row 'sending' until its lease runs out; the next claimer
resends it with the same Message-ID (the only duplicate possible, and the receiving side
sees one Message-ID). A worker stopped in the middle (SIGTERM past the grace period)
releases its claim: the row goes back to 'retry', due at once, with the same Message-ID,
marked uncertain when the message was already on its way.

Each step's database work and the composing run in a thread (`off_loop`), so the worker's
concurrent jobs overlap their waits for PostgreSQL and not only their SMTP dialogues; a job
stopped meanwhile waits for that step to end before it gives its claim back.

Failures are classified as in the single-process flow (send/outbox.py): permanent →
'failed' (this seeker only: every other seeker's job goes on), transient or uncertain →
'retry' with the same backoff and give-up rules; the workers' tick re-defers due retries.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from functools import partial
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from nudger.config import Settings
from nudger.errors import NudgerError
from nudger.send.outbox import OutboxResult, Outcome, announced, backoff, invitations_in, span
from nudger.store.db import Database
from nudger.store.outbox import Outbox, Refused, mid, unreported_failures_in
from nudger.when.times import as_utc

if TYPE_CHECKING:
    from nudger.digest.compose import ComposedDigest
    from nudger.digest.seeker import ServedSeeker
    from nudger.send.delivery import DeliveryError
    from nudger.send.pool import Relay
    from nudger.store.models import DigestRecord
    from nudger.store.read_batch import Preloaded
    from nudger.when.business import Calendar

log = logging.getLogger("nudger.outbox")

Clock = Callable[[], datetime]
T = TypeVar("T")

# The database work and the composing of a digest run in these threads, so that a worker's
# concurrent jobs (`nudger worker --concurrency`) overlap their waits for PostgreSQL, not
# only their SMTP dialogues (the event loop was idle during every query).
THREADS = 8
_WORK: queue.SimpleQueue[tuple[Future[Any], Callable[[], Any]]] = queue.SimpleQueue()
_THREADS: list[threading.Thread] = []
_STARTING = threading.Lock()


def _serve_work() -> None:
    while True:
        future, fn = _WORK.get()
        if future.set_running_or_notify_cancel():
            try:
                future.set_result(fn())
            except BaseException as exc:
                future.set_exception(exc)


def _submit(fn: Callable[[], T]) -> Future[T]:
    """`fn` for the pool's next free thread. Daemon threads: the worker's exit never waits
    for one (a job's work has ended or been given back by then; one stuck on a dead
    connection is no worse than a SIGKILL, which docs/outbox.md's rules allow for)."""
    with _STARTING:
        while len(_THREADS) < THREADS:
            thread = threading.Thread(target=_serve_work, name=f"nudger-send-{len(_THREADS)}",
                                      daemon=True)
            thread.start()
            _THREADS.append(thread)
    future: Future[T] = Future()
    _WORK.put((future, fn))
    return future


async def off_loop(fn: Callable[[], T]) -> T:
    """`fn()` in a thread of the pool. Cancelled meanwhile (SIGTERM past the grace
    period), it still waits for `fn` to finish (a thread cannot be stopped; a claim, a
    compose or a mark takes milliseconds), so the caller's release of the claim sees the
    row as `fn` left it."""
    running = asyncio.wrap_future(_submit(fn))
    try:
        return await asyncio.shield(running)
    except asyncio.CancelledError:
        with contextlib.suppress(BaseException):
            await running  # the loop and the other jobs go on meanwhile
        raise


async def send_leased(settings: Settings, db: Database, calendar: Calendar, seeker_id: int,
                      local_date: date, *, me: str, lease: timedelta, relay: Relay,
                      clock: Clock) -> OutboxResult:
    """Send `seeker_id`'s digest of `local_date` unless it is recorded or another worker
    holds it. `me` is the worker's id, `clock` its clock (aware UTC)."""
    taken: list[Attempt] = []  # the claim, once taken (in a thread: `_take`)
    try:
        first = await off_loop(partial(_take, settings, db, calendar, seeker_id, local_date,
                                       me=me, lease=lease, relay=relay, clock=clock,
                                       taken=taken))
        if isinstance(first, OutboxResult):
            return first
        return await first.run()
    except BaseException as exc:
        if not taken or taken[0].marked:  # nothing claimed, or the mark is written
            raise
        # Stopped (SIGTERM past the grace period, a cancelled job) or a bug: give the claim
        # back so that it does not wait for the lease to run out, and let the caller see it.
        attempt = taken[0]
        record = attempt.record
        assert record.id is not None
        cancelled = isinstance(exc, asyncio.CancelledError | KeyboardInterrupt)
        why = ("the worker was stopped in the middle of sending it; it may have arrived"
               if attempt.on_the_wire else "the worker was stopped before sending it") \
            if cancelled else f"interrupted by an internal error: {exc!r}"[:500]
        when = clock() if cancelled else clock() + backoff(attempt.settings, record.attempts)
        if attempt.outbox.finish_claimed(record.id, clock(), me=me, state="retry", error=why,
                                         uncertain=attempt.on_the_wire or None,
                                         next_attempt_at=when) is not None:
            log.warning("digest of %s (seeker %s): %s; released for a resend with the same "
                        "Message-ID %s", record.local_date, attempt.who, why, mid(record))
        raise


def _take(settings: Settings, db: Database, calendar: Calendar, seeker_id: int,
          local_date: date, *, me: str, lease: timedelta, relay: Relay, clock: Clock,
          taken: list[Attempt]) -> OutboxResult | Attempt:
    """In a thread (`off_loop`): the seeker and the claim of their row; the attempt that
    holds the claim (also put in `taken`, for the caller to give back if it is stopped),
    or the outcome when there is nothing to send."""
    from nudger.digest.seeker import serving
    from nudger.send.message import digest_message_id
    from nudger.send.status import describe

    try:
        seeker = serving(settings, db, seeker_id)
    except NudgerError as exc:  # removed since the job was queued; a stored field unusable
        log.error("digest of %s (seeker %s) not sent: %s", local_date, seeker_id, exc)
        return OutboxResult(Outcome.FAILED, local_date, "", str(exc))
    settings, db = seeker.settings, seeker.db
    outbox = Outbox(db, settings.recipient)
    if not seeker.enabled:
        # The tick's 'pending' row, if it wrote one, says so (else it would be re-deferred).
        outbox.skip_pending(local_date, "the seeker is disabled", clock())
        log.info("digest of %s (seeker %s) not sent: the seeker is disabled", local_date,
                 seeker.who)
        return OutboxResult(Outcome.SKIPPED, local_date, "", "the seeker is disabled")
    claim = outbox.claim_leased(local_date, clock(), me=me, lease=lease,
                                new_message_id=lambda: digest_message_id(settings, local_date))
    if isinstance(claim, Refused):
        if claim.record is None:
            return OutboxResult(Outcome.ALREADY, local_date, "", "another worker holds it")
        detail = "another worker is sending it right now" if claim.busy \
            else describe(claim.record, settings.zone)
        return OutboxResult(Outcome.ALREADY, local_date, claim.record.message_id, detail)
    assert claim.record.id is not None
    taken.append(Attempt(seeker, calendar, claim.record, me, lease, relay, clock))
    return taken[0]


class Prepared(NamedTuple):
    """A digest ready to go: the message, its Message-ID, how many nudges it carries, the
    earlier failures it tells of, the calendar invitations to attach (None: none)."""

    message: EmailMessage
    message_id: str
    nudges: int
    failures: list[DigestRecord]
    invitations: Any


@dataclass(frozen=True)
class Unsendable:
    """Why a claimed digest is not sent (written by `Attempt.settle`)."""

    state: str  # the row's state: 'failed' or 'skipped'
    why: str
    outcome: Outcome
    log_level: int


class Attempt:
    def __init__(self, seeker: ServedSeeker, calendar: Calendar, record: DigestRecord,
                 me: str, lease: timedelta, relay: Relay, clock: Clock) -> None:
        self.seeker = seeker
        self.settings, self.db, self.calendar = seeker.settings, seeker.db, calendar
        self.who, self.record, self.me, self.lease = seeker.who, record, me, lease
        self.relay, self.clock = relay, clock
        self.outbox = Outbox(self.db, self.settings.recipient)
        # The seeker's failed digests not yet reported, when the caller read them already
        # (a batch reads them for all its seekers in one query); None: read them here.
        self.failures: list[DigestRecord] | None = None
        # The seeker's digest inputs, when the caller read them already with the rest of
        # its batch (store/read_batch.py); None: read them here.
        self.preloaded: Preloaded | None = None
        self.on_the_wire = False  # the message went to the relay: it may have arrived
        self.marked = False  # the outcome is written (or the row found another's)

    async def run(self) -> OutboxResult:
        record = self.record
        assert record.id is not None
        prepared = await off_loop(self.compose)
        if isinstance(prepared, OutboxResult):
            return prepared
        message, message_id, nudges, failures, invitations = prepared
        # The last moment to find out that another worker took the row over: after this,
        # the message is on its way.
        if not await off_loop(lambda: self.outbox.renew(
                record.id or 0, self.clock(), me=self.me, lease=self.lease, nudges=nudges,
                message_id=message_id)):
            return OutboxResult(Outcome.ALREADY, record.local_date, message_id,
                                "another worker took it over; not sent by this one")
        done = await self.deliver(message, message_id, failures, invitations)
        if isinstance(done, OutboxResult):
            return done
        detail, reported = done
        return await off_loop(lambda: self._sent(detail, reported, invitations))

    async def deliver(self, message: EmailMessage, message_id: str,
                      failures: Sequence[DigestRecord], invitations: Any
                      ) -> tuple[str, list[int]] | OutboxResult:
        """`message` over the worker's relay (its invitations attached), once the claim is
        known to be ours: what to record of the delivery and the failures it reported, or
        the outcome of a delivery that failed (written by `undelivered` / `failed`)."""
        from nudger.send.delivery import DeliveryError

        if invitations is not None:
            from nudger.calendar.sync import attach_invitation

            attach_invitation(message, invitations)
        self.on_the_wire = True
        try:
            delivered = await self.relay.send(message)
        except DeliveryError as exc:
            return await off_loop(partial(self.undelivered, exc))
        except NudgerError as exc:  # a missing password, a bad ca_file
            return await off_loop(partial(self.failed, "permanent", None, str(exc)))
        detail = f"written to {delivered.path}" if delivered.path else \
            f"accepted by {delivered.where}: {delivered.detail}"
        if delivered.refused:
            detail += f" (refused for {', '.join(delivered.refused)})"
        log.info("digest of %s (seeker %s) delivered (%s), Message-ID %s",
                 self.record.local_date, self.who, detail, message_id)
        return detail, [r.id for r in failures if r.id is not None]

    def _sent(self, detail: str, reported: Sequence[int], invitations: Any) -> OutboxResult:
        # The mark also says the seeker's address is not bouncing (`_address`), at once.
        result = self._mark("sent", "", Outcome.SENT, detail=detail, reported=reported,
                            address_accepted=True)
        if invitations is not None and result.outcome is Outcome.SENT:
            announced(self.db, invitations)
        return result

    def undelivered(self, exc: DeliveryError) -> OutboxResult:
        if exc.kind == "permanent" and exc.recipient_refused:
            self._address(refused=exc.reason)
        return self.failed(exc.kind, exc.code, str(exc))

    def reads_nothing(self) -> bool:
        """Whether `compose` reads nothing from the database: everything it tells was read
        with the rest of the batch (store/read_batch.py) and nothing else is asked of the
        store (no calendar to refresh, no `auto_ghost`, no mailbox, not the effort day:
        digest/compose.py, `reads_only_preloaded`). Such a digest is composed on the event
        loop: a thread would cost a hand-over each way and the loop's turn at the GIL."""
        from nudger.digest.compose import reads_only_preloaded

        settings = self.settings
        return self.failures is not None and not self.refreshes_calendar() \
            and not any(rule.auto_ghost for rule in settings.cadence) \
            and reads_only_preloaded(settings, self.record.local_date, self.preloaded)

    def refreshes_calendar(self) -> bool:
        """Whether composing refreshes the calendar's invitations (a write transaction):
        when they are on, unless the batch that read the seeker's rows knows the calendar
        cannot have one (store/read_batch.py, `Preloaded.calendar`)."""
        return self.settings.ics.invitations and (self.preloaded is None
                                                  or self.preloaded.calendar)

    def compose(self) -> OutboxResult | Prepared:
        """In a thread (`off_loop`): the digest ready to go (`prepare`), or the outcome,
        written, when there is nothing to send (`settle`)."""
        prepared = self.prepare()
        return self.settle(prepared) if isinstance(prepared, Unsendable) else prepared

    def prepare(self) -> Unsendable | Prepared:
        """What the digest tells and the digest itself, read in one transaction (a write
        one only when calendar invitations are on: their events are reconciled first),
        under the Message-ID the row holds; or why there is nothing to send (written by
        `settle`). Writes nothing else: on the event loop when the attempt
        `reads_nothing`, else in a thread."""
        from nudger.digest.seeker import compose_for
        from nudger.track.progress import close_gone_cold

        settings, record = self.settings, self.record
        now = self.clock()
        closed = close_gone_cold(self.db, settings, self.calendar, record.local_date, now)
        composed: ComposedDigest | None = None
        broken: NudgerError | None = None
        calendar = self.refreshes_calendar()
        with (self.db.session() if calendar else self.db.read_session()) as s:
            failures = self.failures if self.failures is not None else \
                unreported_failures_in(s, settings.recipient, record.local_date)
            invitations = invitations_in(s, settings, self.calendar, now) if calendar \
                else None
            notices = [*_notices(failures), *closed,
                       *(invitations.notices if invitations else ())]
            try:
                composed = compose_for(self.seeker, record.local_date, session=s,
                                       calendar=self.calendar, now=now, notices=notices,
                                       preloaded=self.preloaded,
                                       message_id=record.message_id)
            except NudgerError as exc:
                broken = exc
        if composed is None:
            return Unsendable("failed", f"cannot compose the digest: {broken}; fix it "
                              "(`nudger check` names the file and line)", Outcome.FAILED,
                              logging.ERROR)
        record.message_id = composed.message_id
        if composed.nudges == 0 and not composed.news and not notices \
                and not settings.digest.send_when_empty:
            return Unsendable("skipped", "nothing due", Outcome.EMPTY, logging.DEBUG)
        return Prepared(composed.message, composed.message_id, composed.nudges, failures,
                        invitations)

    def settle(self, unsendable: Unsendable) -> OutboxResult:
        """In a thread: the row marked as `unsendable` says (failed, skipped)."""
        return self._mark(unsendable.state, unsendable.why, unsendable.outcome,
                          log_level=unsendable.log_level)

    def _address(self, refused: str | None) -> None:
        """Keep on the seeker's row whether the relay refused their address (shown by
        `nudger seeker list/show`), as a contact's bounce is kept; accepted clears it."""
        from nudger.store import seekers as store

        seeker_id = self.seeker.seeker_id
        with self.db.session(every_seeker=True) as session:
            if refused is None:
                store.address_accepted(session.connection(), seeker_id)
            else:
                store.address_refused(session.connection(), seeker_id, self.clock(), refused)
                log.error("digest of %s: the relay refused the address of seeker %s; marked "
                          "as bouncing (nudger seeker show)", self.record.local_date, self.who)

    def failed(self, kind: str, code: int | None, text: str) -> OutboxResult:
        record, settings = self.record, self.settings
        now = self.clock()
        if kind == "permanent":
            return self._mark("failed", text, Outcome.FAILED, code=code,
                              log_level=logging.ERROR)
        give_up = settings.delivery.retry.give_up
        if give_up is not None and now - as_utc(record.created_at) >= span(give_up):
            return self._mark("failed", f"{text}; gave up after {record.attempts} attempts "
                              f"(delivery.retry.give_up = \"{give_up}\")", Outcome.FAILED,
                              code=code, log_level=logging.ERROR)
        when = now + backoff(settings, record.attempts)
        return self._mark("retry", text, Outcome.RETRY, code=code, next_attempt_at=when,
                          uncertain=kind == "uncertain", log_level=logging.WARNING)

    def _mark(self, state: str, error: str, outcome: Outcome, *, detail: str | None = None,
              code: int | None = None, next_attempt_at: datetime | None = None,
              uncertain: bool | None = None, reported: Sequence[int] = (),
              log_level: int = logging.DEBUG, address_accepted: bool = False
              ) -> OutboxResult:
        record = self.record
        assert record.id is not None
        marked = self.outbox.finish_claimed(
            record.id, self.clock(), me=self.me, state=state, error=error, code=code,
            message_id=record.message_id or None, next_attempt_at=next_attempt_at,
            uncertain=uncertain, reported=reported,
            address_accepted=self.seeker.seeker_id if address_accepted else None)
        self.marked = True
        if marked is None:  # taken over meanwhile: the store logged it; the row is theirs
            return OutboxResult(Outcome.ALREADY, record.local_date, record.message_id,
                                f"{state} here, but another worker holds the row now")
        when = f"; retrying at {next_attempt_at.isoformat()}" if next_attempt_at else ""
        log.log(log_level, "digest of %s (seeker %s) %s: %s; Message-ID %s%s",
                record.local_date, self.who, state, error or detail, mid(record), when)
        return OutboxResult(outcome, marked[0], marked[1],
                            detail if detail is not None else error, next_attempt_at)


def _notices(failures: Sequence[DigestRecord]) -> list[str]:
    """Earlier failed digests not yet reported to the seeker, as sentences."""
    return [f"The digest for {r.local_date:%A %-d %B} was not delivered: "
            f"{r.last_error or 'unknown reason'}" for r in failures]
