"""The outbox: record → claim → compose → deliver → mark, one digest per recipient and day.

The `digest` table's UNIQUE (recipient, local_date) key decides who sends: a second caller
(a second `digest --send`, a restart, another daemon on the same database) finds the row
and gets ALREADY. A row is marked 'sending' in its own short transaction before any network
I/O and 'sent' in another after the server accepted the message; no transaction is held
across I/O. A process killed in between leaves 'sending' behind, which `retry_due` picks up
(at once when the claiming pid is gone from this host, otherwise after `stale_after`) and
resends with the same Message-ID: the only possible duplicate is a crash in the instant
between the server's acceptance and the mark, and it carries the same Message-ID. The
Message-ID is made (with random bytes) when the row is first recorded and stored in it;
a forced resend of a day already sent (`digest --send --force`) is a new message and gets
a new one.

Failures are classified once, in nudger.delivery: transient and uncertain ones wait in
'retry' with a capped exponential backoff ([delivery] retry first/max) until they get
through or the next day's digest supersedes them; permanent ones are 'failed' with code and
text. The next digest that gets through carries a notice naming each failed one.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from nudger.config import Settings
from nudger.errors import NudgerError
from nudger.store.db import Database
from nudger.store.outbox import Outbox, Refused, mid
from nudger.when.times import as_utc

if TYPE_CHECKING:
    from sqlmodel import Session

    from nudger.store.models import DigestRecord
    from nudger.when.business import Calendar

log = logging.getLogger("nudger.outbox")

# A 'sending' row whose claimer cannot be checked (another host) is taken over after this
# long, or after 15 socket timeouts when that is longer: a send touches the socket about
# ten times (connect, EHLO, STARTTLS, EHLO, AUTH, MAIL, RCPT, DATA twice, QUIT).
STALE_AFTER = timedelta(minutes=5)
# Records this process is sending right now: its own 'sending' rows that are not in here
# were left by an earlier process that had the same pid (a restarted container).
_IN_FLIGHT: set[int] = set()


class Outcome(StrEnum):
    SENT = "sent"  # the server accepted it
    ALREADY = "already"  # this day's digest was recorded before: nothing done
    EMPTY = "empty"  # nothing due and send_when_empty is off: recorded as skipped
    RETRY = "retry"  # a transient (or uncertain) failure: next_attempt_at says when
    FAILED = "failed"  # a permanent failure: not retried
    SKIPPED = "skipped"  # recorded as skipped (a missed catch-up)


@dataclass(frozen=True)
class OutboxResult:
    outcome: Outcome
    local_date: date
    message_id: str
    detail: str
    next_attempt_at: datetime | None = None


class Composed(Protocol):
    """What the outbox needs from nudger.digest.ComposedDigest."""

    @property
    def message(self) -> EmailMessage: ...
    @property
    def message_id(self) -> str: ...
    @property
    def nudges(self) -> int: ...
    @property
    def news(self) -> int: ...


ComposeFn = Callable[..., Composed]
"""compose(settings, session, calendar, local_date, now, *, notices=()) -> ComposedDigest"""


def default_compose() -> ComposeFn:
    """nudger.digest.compose_digest, imported only when a digest is really composed."""
    from nudger.digest.compose import compose_digest

    return compose_digest


# --- sending ---------------------------------------------------------------------------

async def send_digest(settings: Settings, db: Database, calendar: Calendar, local_date: date,
                      now: datetime, *, force: bool = False, compose: ComposeFn | None = None,
                      env: Mapping[str, str], notices: Sequence[str] = ()) -> OutboxResult:
    """Send the digest of `local_date` once. `force` sends a day already recorded again (a
    day already sent goes as a new message with a new Message-ID), unless another process
    is sending it at this moment. `env` is where
    the SMTP password may come from; `notices` are lines the caller wants the digest to
    carry (what it did before the send, such as auto_ghost's closings)."""
    from nudger.send.message import digest_message_id
    from nudger.send.status import describe

    claim = Outbox(db, settings.recipient).claim_day(
        local_date, now, force=force, me=_me(), is_stale=_staleness(now, settings),
        new_message_id=lambda: digest_message_id(settings, local_date))
    if isinstance(claim, Refused):
        if claim.record is None:
            return OutboxResult(Outcome.ALREADY, local_date, "", "recorded by another nudger")
        detail = "another nudger is sending it right now" if claim.busy \
            else describe(claim.record, settings.zone)
        return _result(Outcome.ALREADY, claim.record, detail)
    return await _attempt(settings, db, calendar, claim.record, now, compose, env,
                          previous_state=claim.previous, notices=notices,
                          previous_id=claim.previous_id, force=force)


async def retry_due(settings: Settings, db: Database, calendar: Calendar, now: datetime, *,
                    compose: ComposeFn | None = None,
                    env: Mapping[str, str]) -> list[OutboxResult]:
    """Resend what waits in 'retry' and is due, and what a dead process left in 'sending';
    an older day that a newer digest exists for is superseded (failed) instead."""
    outbox = Outbox(db, settings.recipient)
    results: list[OutboxResult] = []
    for record_id in outbox.waiting():
        claimed = outbox.claim_retry(record_id, now, me=_me(),
                                     is_stale=_staleness(now, settings))
        if claimed is None:
            continue
        results.append(await _attempt(settings, db, calendar, claimed, now, compose, env))
    return results


def record_skipped(settings: Settings, db: Database, local_date: date, now: datetime,
                   reason: str) -> bool:
    """Record a day as skipped (a catch-up missed) so it is never sent days late.
    False when the day was already recorded."""
    if not Outbox(db, settings.recipient).record_skipped(local_date, reason, now):
        return False
    log.info("digest of %s recorded as skipped: %s", local_date, reason)
    return True


# --- the steps -------------------------------------------------------------------------

async def _attempt(settings: Settings, db: Database, calendar: Calendar, record: DigestRecord,
                   now: datetime, compose: ComposeFn | None, env: Mapping[str, str],
                   previous_state: str = "", notices: Sequence[str] = (),
                   previous_id: str = "", force: bool = False) -> OutboxResult:
    """Compose and deliver a claimed record, then mark it. Never leaves it 'sending'."""
    assert record.id is not None
    _IN_FLIGHT.add(record.id)
    try:
        return await _compose_and_deliver(settings, db, calendar, record, now, compose, env,
                                          previous_state, notices, previous_id, force)
    except BaseException as exc:
        # Not a delivery failure: a bug, a database error, a cancellation (shutdown in the
        # middle of a send). Put the record back in 'retry' so it is not stuck, and let the
        # caller see the error. A cancelled send may have reached the server: uncertain.
        import asyncio

        cancelled = isinstance(exc, asyncio.CancelledError | KeyboardInterrupt)
        why = "nudger was stopped in the middle of sending it; it may have arrived" \
            if cancelled else f"interrupted by an internal error: {exc!r}"[:500]
        _finish(db, record, now, state="retry", error=why, uncertain=cancelled or None,
                next_attempt_at=as_utc(now) + _backoff(settings, record.attempts))
        log.warning("digest of %s: %s; it will be retried with the same Message-ID %s",
                    record.local_date, why, mid(record))
        raise
    finally:
        _IN_FLIGHT.discard(record.id)


async def _compose_and_deliver(settings: Settings, db: Database, calendar: Calendar,
                               record: DigestRecord, now: datetime,
                               compose: ComposeFn | None, env: Mapping[str, str],
                               previous_state: str, before: Sequence[str],
                               previous_id: str = "", force: bool = False) -> OutboxResult:
    from nudger.send.delivery import DeliveryError, open_transport

    assert record.id is not None
    compose_fn = compose or default_compose()
    failures = Outbox(db, settings.recipient).unreported_failures(record.local_date)
    noticed_ids = [r.id for r in failures if r.id is not None]
    invitations = invitations_for(settings, db, calendar, now)
    notices = [*_notices(failures), *before, *(invitations.notices if invitations else ())]
    with db.read_session() as s:
        try:
            composed = compose_fn(settings, s, calendar, record.local_date, now,
                                  notices=notices)
        except NudgerError as exc:
            # Deterministic: the same templates and data fail the same way every time
            # (the digest's size is bounded by design, nudger.digest), so retrying would
            # only repeat it. Permanent; `nudger status` and the log say what to do.
            return _failed(settings, db, record, now, "permanent", None,
                           f"cannot compose the digest: {exc}; fix it (`nudger check` "
                           "names the file and line), then `nudger digest --send --force` "
                           "sends this day's digest")
    message = composed.message
    message_id = record.message_id or composed.message_id or str(message["Message-ID"])
    if message["Message-ID"] != message_id:
        # A resend carries the Message-ID recorded the first time, whatever compose made.
        del message["Message-ID"]
        message["Message-ID"] = message_id
    # Nothing due, no news, no notice: no mail unless send_when_empty, or the user asked
    # for it (`digest --send --force` sends, as the README says).
    if composed.nudges == 0 and not composed.news and not settings.digest.send_when_empty \
            and not notices and not force:
        if previous_state == "sent":
            # --force on a day already sent, with nothing due any more: the sent one stands.
            return _finish(db, record, now, state="sent",
                           message_id=previous_id or message_id,
                           outcome=Outcome.EMPTY, detail="nothing due now; the digest "
                           "sent earlier stands", keep_sent_at=True)
        return _finish(db, record, now, state="skipped", error="nothing due",
                       message_id=message_id, outcome=Outcome.EMPTY, detail="nothing due")
    Outbox(db, settings.recipient).save_composed(record.id, message_id, composed.nudges, now)
    record.message_id = message_id  # for the log lines of whatever happens next
    if invitations is not None:
        from nudger.calendar.sync import attach_invitation

        attach_invitation(message, invitations)

    try:
        transport = open_transport(settings, env, data_dir=db.path.parent)
        async with transport:
            delivered = await transport.send(message)
    except DeliveryError as exc:
        return _failed(settings, db, record, now, exc.kind, exc.code, str(exc))
    except NudgerError as exc:  # ConfigError: a missing password, a bad ca_file
        return _failed(settings, db, record, now, "permanent", None, str(exc))
    where = delivered.path or delivered.where
    detail = f"written to {where}" if delivered.path else f"accepted by {where}: " \
        f"{delivered.detail}"
    if delivered.refused:
        detail += f" (refused for {', '.join(delivered.refused)})"
    log.info("digest of %s delivered (%s), Message-ID %s", record.local_date, detail,
             message_id)
    result = _finish(db, record, now, state="sent", message_id=message_id,
                     outcome=Outcome.SENT, detail=detail, reported=noticed_ids)
    if invitations is not None:
        announced(db, invitations)
    return result


# --- calendar invitations (nudger/calsync.py) -------------------------------------------

def invitations_for(settings: Settings, db: Database, calendar: Calendar,
                 now: datetime) -> Any:
    """The interviews to announce in this digest (calsync.Invitations), or None. A failure
    here is logged and the digest goes out without them: it never blocks the digest."""
    if not settings.ics.invitations:
        return None
    try:
        from nudger.calendar.sync import pending_invitations

        with db.session() as s:
            return pending_invitations(s, settings, calendar, now)
    except Exception as exc:
        _no_invitations(exc)
        return None


def invitations_in(session: Session, settings: Settings, calendar: Calendar,
                   now: datetime) -> Any:
    """`invitations_for` inside the caller's write session (the workers', which composes
    the digest in the same transaction: send/leased.py), in a savepoint, so that a
    failure here still never blocks the digest."""
    if not settings.ics.invitations:
        return None
    from nudger.calendar.sync import pending_invitations

    try:
        with session.begin_nested():
            return pending_invitations(session, settings, calendar, now)
    except Exception as exc:
        _no_invitations(exc)
        return None


def _no_invitations(exc: Exception) -> None:
    log.warning("digest: no calendar invitation this time (%s); the next digest tries "
                "again", exc)


def announced(db: Database, invitations: Any) -> None:
    """Each interview version a delivered digest carried is announced once."""
    from nudger.calendar.sync import mark_announced

    try:
        with db.session() as s:
            mark_announced(s, invitations)
    except Exception as exc:
        log.warning("digest: could not record the invitations as sent (%s); the next "
                    "digest may carry them again", exc)


def _failed(settings: Settings, db: Database, record: DigestRecord, now: datetime, kind: str,
            code: int | None, text: str) -> OutboxResult:
    assert record.id is not None
    if kind == "permanent":
        log.error("digest of %s not delivered (permanent): %s; Message-ID %s",
                  record.local_date, text, mid(record))
        return _finish(db, record, now, state="failed", code=code, error=text,
                       outcome=Outcome.FAILED)
    give_up = settings.delivery.retry.give_up
    if give_up is not None and as_utc(now) - as_utc(record.created_at) >= _span(give_up):
        text = f"{text}; gave up after {record.attempts} attempts " \
            f"(delivery.retry.give_up = \"{give_up}\")"
        log.error("digest of %s not delivered: %s; Message-ID %s", record.local_date, text,
                  mid(record))
        return _finish(db, record, now, state="failed", code=code, error=text,
                       outcome=Outcome.FAILED)
    when = as_utc(now) + _backoff(settings, record.attempts)
    if kind == "uncertain":
        log.warning("digest of %s: delivery uncertain (%s); resending at %s with the same "
                    "Message-ID %s", record.local_date, text, when.isoformat(), mid(record))
    else:
        log.warning("digest of %s not delivered (transient): %s; Message-ID %s; "
                    "retrying at %s", record.local_date, text, mid(record), when.isoformat())
    return _finish(db, record, now, state="retry", code=code, error=text,
                   next_attempt_at=when, uncertain=kind == "uncertain",
                   outcome=Outcome.RETRY)


def _finish(db: Database, record: DigestRecord, now: datetime, *, state: str,
            error: str = "", code: int | None = None, message_id: str | None = None,
            next_attempt_at: datetime | None = None, uncertain: bool | None = None,
            outcome: Outcome = Outcome.RETRY, detail: str | None = None,
            reported: Sequence[int] = (), keep_sent_at: bool = False) -> OutboxResult:
    assert record.id is not None
    local_date, message = Outbox(db, record.recipient).finish(
        record.id, now, state=state, error=error, code=code, message_id=message_id,
        next_attempt_at=next_attempt_at, uncertain=uncertain, reported=reported,
        keep_sent_at=keep_sent_at)
    return OutboxResult(outcome, local_date, message, detail if detail is not None else error,
                        next_attempt_at)


def _notices(failures: Sequence[DigestRecord]) -> list[str]:
    """Earlier failed digests not yet reported to the user, as sentences."""
    return [f"The digest for {r.local_date:%A %-d %B} was not delivered: "
            f"{r.last_error or 'unknown reason'}" for r in failures]


def _result(outcome: Outcome, record: DigestRecord, detail: str) -> OutboxResult:
    next_at = as_utc(record.next_attempt_at) if record.next_attempt_at else None
    return OutboxResult(outcome, record.local_date, record.message_id, detail, next_at)


# --- time, claims, backoff -------------------------------------------------------------

def _me() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def stale_after(settings: Settings) -> timedelta:
    timeout = settings.smtp.timeout if settings.smtp is not None else 30
    return max(STALE_AFTER, timedelta(seconds=15 * float(timeout)))


def _staleness(now: datetime, settings: Settings) -> Callable[[DigestRecord], bool]:
    return lambda record: _stale(record, now, settings)


def _stale(record: DigestRecord, now: datetime, settings: Settings) -> bool:
    """Is a 'sending' row abandoned? At once when its claimer was a process on this host
    that is gone; otherwise once it is older than `stale_after`."""
    host, _, pid_text = record.claimed_by.rpartition(":")
    if host == socket.gethostname() and pid_text.isdigit():
        pid = int(pid_text)
        if pid == os.getpid():
            return record.id not in _IN_FLIGHT
        if not _alive(pid):
            return True
    return as_utc(now) - as_utc(record.updated_at) > stale_after(settings)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _backoff(settings: Settings, attempts: int) -> timedelta:
    """first, 2×first, 4×first ... capped at max; `attempts` counts the one that failed."""
    retry = settings.delivery.retry
    first, cap = _span(retry.first), _span(retry.max)
    return min(first * (2 ** max(attempts - 1, 0)), max(cap, first))


def _span(duration: Any) -> timedelta:
    try:
        span: timedelta = duration.as_timedelta()
        return span
    except ValueError:  # business days make no sense here: read them as days
        return timedelta(days=duration.amount)




# The workers' leased flow (send/leased.py) backs off and gives up by the same rules.
backoff = _backoff
span = _span
