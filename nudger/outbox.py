"""The outbox: record → claim → compose → deliver → mark, one digest per recipient and day.

The `digest` table's UNIQUE (recipient, local_date) key decides who sends: a second caller
(a second `digest --send`, a restart, another daemon on the same database) finds the row
and gets ALREADY. A row is marked 'sending' in its own short transaction before any network
I/O and 'sent' in another after the server accepted the message; no transaction is held
across I/O. A process killed in between leaves 'sending' behind, which `retry_due` picks up
(at once when the claiming pid is gone from this host, otherwise after `stale_after`) and
resends with the same Message-ID: the only possible duplicate is a crash in the instant
between the server's acceptance and the mark, and it carries the same Message-ID.

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
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from nudger.config import Settings
from nudger.errors import NudgerError
from nudger.store.db import Database

if TYPE_CHECKING:
    from sqlmodel import Session

    from nudger.calendar import Calendar
    from nudger.store.models import DigestRecord

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


ComposeFn = Callable[..., Composed]
"""compose(settings, session, calendar, local_date, now, *, notices=()) -> ComposedDigest"""


def default_compose() -> ComposeFn:
    """nudger.digest.compose_digest, imported only when a digest is really composed."""
    from nudger.digest import compose_digest

    return compose_digest


# --- sending ---------------------------------------------------------------------------

async def send_digest(settings: Settings, db: Database, calendar: Calendar, local_date: date,
                      now: datetime, *, force: bool = False, compose: ComposeFn | None = None,
                      env: Mapping[str, str] | None = None) -> OutboxResult:
    """Send the digest of `local_date` once. `force` resends a day already recorded (with
    its Message-ID), unless another process is sending it at this moment. `env` is where
    the SMTP password may come from (default: this process's environment)."""
    recipient = settings.recipient
    claim = _claim_day(db, recipient, local_date, now, force, settings)
    if isinstance(claim, OutboxResult):
        return claim
    record, previous = claim
    return await _attempt(settings, db, calendar, record, now, compose, env,
                          previous_state=previous)


async def retry_due(settings: Settings, db: Database, calendar: Calendar, now: datetime, *,
                    compose: ComposeFn | None = None,
                    env: Mapping[str, str] | None = None) -> list[OutboxResult]:
    """Resend what waits in 'retry' and is due, and what a dead process left in 'sending';
    an older day that a newer digest exists for is superseded (failed) instead."""
    from sqlmodel import col, select

    from nudger.store.models import DigestRecord

    recipient = settings.recipient
    with db.read_session() as s:
        ids = [r.id for r in s.exec(
            select(DigestRecord)
            .where(DigestRecord.recipient == recipient)
            .where(col(DigestRecord.state).in_(("retry", "sending")))
            .order_by(col(DigestRecord.local_date))
        ).all()]
    results: list[OutboxResult] = []
    for record_id in ids:
        assert record_id is not None
        claimed = _claim_retry(db, record_id, now, settings)
        if claimed is None:
            continue
        results.append(await _attempt(settings, db, calendar, claimed, now, compose, env))
    return results


def record_skipped(settings: Settings, db: Database, local_date: date, now: datetime,
                   reason: str) -> bool:
    """Record a day as skipped (a catch-up missed) so it is never sent days late.
    False when the day was already recorded."""
    from sqlalchemy.exc import IntegrityError

    from nudger.store.models import DigestRecord

    stamp = _utc(now)
    try:
        with db.session() as s:
            if _find(s, settings.recipient, local_date) is not None:
                return False
            s.add(DigestRecord(recipient=settings.recipient, local_date=local_date,
                               message_id="", state="skipped", last_error=reason,
                               created_at=stamp, updated_at=stamp))
    except IntegrityError:
        return False
    log.info("digest of %s recorded as skipped: %s", local_date, reason)
    return True


# --- the steps -------------------------------------------------------------------------

def _claim_day(db: Database, recipient: str, local_date: date, now: datetime, force: bool,
               settings: Settings) -> tuple[DigestRecord, str] | OutboxResult:
    from sqlalchemy.exc import IntegrityError

    from nudger.store.models import DigestRecord

    stamp = _utc(now)
    try:
        with db.session() as s:
            record = _find(s, recipient, local_date)
            if record is None:
                record = DigestRecord(recipient=recipient, local_date=local_date,
                                      message_id="", state="sending", attempts=1,
                                      claimed_by=_me(), created_at=stamp, updated_at=stamp)
                s.add(record)
                _supersede_older(s, recipient, local_date, now, settings)
                s.flush()
                _IN_FLIGHT.add(record.id or 0)
                return record, ""
            if record.state == "sending" and not _stale(record, now, settings):
                return _result(Outcome.ALREADY, record,
                               "another nudger is sending it right now")
            if not force:
                return _result(Outcome.ALREADY, record, describe(record, settings.zone))
            previous = record.state
            _mark_sending(record, stamp)
            s.add(record)
            _IN_FLIGHT.add(record.id or 0)
            return record, previous
    except IntegrityError:
        # Another process inserted the row between our read and our write.
        return OutboxResult(Outcome.ALREADY, local_date, "", "recorded by another nudger")


def _claim_retry(db: Database, record_id: int, now: datetime,
                 settings: Settings) -> DigestRecord | None:
    """Take one retry or abandoned row for a new attempt (a conditional write: of two
    daemons, one wins), or supersede it when a newer day exists."""
    from sqlmodel import col, select

    from nudger.store.models import DigestRecord

    stamp = _utc(now)
    with db.session() as s:
        record = s.get(DigestRecord, record_id)
        if record is None:
            return None
        if record.state == "retry":
            due = record.next_attempt_at is None or _aware(record.next_attempt_at) <= stamp
            if not due:
                return None
        elif record.state == "sending":
            if not _stale(record, now, settings):
                return None
            log.warning("digest of %s was left %s by %s; resending it with the same "
                        "Message-ID %s", record.local_date, record.state,
                        record.claimed_by or "an earlier process", _mid(record))
        else:
            return None
        newer = s.exec(select(DigestRecord.id)
                       .where(DigestRecord.recipient == record.recipient)
                       .where(col(DigestRecord.local_date) > record.local_date)).first()
        if newer is not None:
            _supersede(record, "a newer digest", stamp)
            s.add(record)
            return None
        _mark_sending(record, stamp)
        s.add(record)
        _IN_FLIGHT.add(record_id)
        return record


async def _attempt(settings: Settings, db: Database, calendar: Calendar, record: DigestRecord,
                   now: datetime, compose: ComposeFn | None, env: Mapping[str, str] | None,
                   previous_state: str = "") -> OutboxResult:
    """Compose and deliver a claimed record, then mark it. Never leaves it 'sending'."""
    assert record.id is not None
    _IN_FLIGHT.add(record.id)
    try:
        return await _compose_and_deliver(settings, db, calendar, record, now, compose, env,
                                          previous_state)
    except BaseException as exc:
        # Not a delivery failure: a bug, a database error, a cancellation (shutdown in the
        # middle of a send). Put the record back in 'retry' so it is not stuck, and let the
        # caller see the error. A cancelled send may have reached the server: uncertain.
        import asyncio

        cancelled = isinstance(exc, asyncio.CancelledError | KeyboardInterrupt)
        why = "nudger was stopped in the middle of sending it; it may have arrived" \
            if cancelled else f"interrupted by an internal error: {exc!r}"[:500]
        _finish(db, record.id, now, state="retry", error=why, uncertain=cancelled or None,
                next_attempt_at=_utc(now) + _backoff(settings, record.attempts))
        log.warning("digest of %s: %s; it will be retried with the same Message-ID %s",
                    record.local_date, why, _mid(record))
        raise
    finally:
        _IN_FLIGHT.discard(record.id)


async def _compose_and_deliver(settings: Settings, db: Database, calendar: Calendar,
                               record: DigestRecord, now: datetime,
                               compose: ComposeFn | None, env: Mapping[str, str] | None,
                               previous_state: str) -> OutboxResult:
    from nudger.delivery import DeliveryError, open_transport

    assert record.id is not None
    compose_fn = compose or default_compose()
    from nudger.progress import auto_ghost_due

    with db.session() as s:
        # Before composing: a digest never proposes an application auto_ghost closes.
        ghosted = auto_ghost_due(s, settings, calendar, record.local_date)
    with db.read_session() as s:
        notices, noticed_ids = _notices(s, record, settings)
        notices = [*notices, *ghosted]
        try:
            composed = compose_fn(settings, s, calendar, record.local_date, now,
                                  notices=notices)
        except NudgerError as exc:
            # A template the user broke, say: retried with backoff, so that fixing it gets
            # the day's digest out; `nudger status` shows the reason meanwhile.
            return _failed(settings, db, record, now, "transient", None,
                           f"cannot compose the digest: {exc}")
    message = composed.message
    message_id = record.message_id or composed.message_id or str(message["Message-ID"])
    if message["Message-ID"] != message_id:
        # A resend carries the Message-ID recorded the first time, whatever compose made.
        del message["Message-ID"]
        message["Message-ID"] = message_id
    if composed.nudges == 0 and not settings.digest.send_when_empty and not notices:
        if previous_state == "sent":
            # --force on a day already sent, with nothing due any more: the sent one stands.
            return _finish(db, record.id, now, state="sent", message_id=message_id,
                           outcome=Outcome.EMPTY, detail="nothing due now; the digest "
                           "sent earlier stands", keep_sent_at=True)
        return _finish(db, record.id, now, state="skipped", error="nothing due",
                       message_id=message_id, outcome=Outcome.EMPTY, detail="nothing due")
    _save_composed(db, record.id, message_id, composed.nudges, now)
    record.message_id = message_id  # for the log lines of whatever happens next

    try:
        transport = open_transport(settings, os.environ if env is None else env,
                                   data_dir=db.path.parent)
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
    return _finish(db, record.id, now, state="sent", message_id=message_id,
                   outcome=Outcome.SENT, detail=detail, reported=noticed_ids)


def _failed(settings: Settings, db: Database, record: DigestRecord, now: datetime, kind: str,
            code: int | None, text: str) -> OutboxResult:
    assert record.id is not None
    if kind == "permanent":
        log.error("digest of %s not delivered (permanent): %s; Message-ID %s",
                  record.local_date, text, _mid(record))
        return _finish(db, record.id, now, state="failed", code=code, error=text,
                       outcome=Outcome.FAILED)
    give_up = settings.delivery.retry.give_up
    if give_up is not None and _utc(now) - _aware(record.created_at) >= _span(give_up):
        text = f"{text}; gave up after {record.attempts} attempts " \
            f"(delivery.retry.give_up = \"{give_up}\")"
        log.error("digest of %s not delivered: %s; Message-ID %s", record.local_date, text,
                  _mid(record))
        return _finish(db, record.id, now, state="failed", code=code, error=text,
                       outcome=Outcome.FAILED)
    when = _utc(now) + _backoff(settings, record.attempts)
    if kind == "uncertain":
        log.warning("digest of %s: delivery uncertain (%s); resending at %s with the same "
                    "Message-ID %s", record.local_date, text, when.isoformat(), _mid(record))
    else:
        log.warning("digest of %s not delivered (transient): %s; Message-ID %s; "
                    "retrying at %s", record.local_date, text, _mid(record), when.isoformat())
    return _finish(db, record.id, now, state="retry", code=code, error=text,
                   next_attempt_at=when, uncertain=kind == "uncertain",
                   outcome=Outcome.RETRY)


def _finish(db: Database, record_id: int, now: datetime, *, state: str, error: str = "",
            code: int | None = None, message_id: str | None = None,
            next_attempt_at: datetime | None = None, uncertain: bool | None = None,
            outcome: Outcome = Outcome.RETRY, detail: str | None = None,
            reported: Sequence[int] = (), keep_sent_at: bool = False) -> OutboxResult:
    from nudger.store.models import DigestRecord

    stamp = _utc(now)
    with db.session() as s:
        record = s.get(DigestRecord, record_id)
        assert record is not None
        record.state = state
        record.last_error = error
        record.last_code = code
        record.next_attempt_at = next_attempt_at
        record.updated_at = stamp
        if message_id:
            record.message_id = message_id
        if uncertain is not None:
            record.uncertain = uncertain
        if state == "sent" and not keep_sent_at:
            record.sent_at = stamp
            record.uncertain = False
        s.add(record)
        for earlier_id in reported:
            earlier = s.get(DigestRecord, earlier_id)
            if earlier is not None and earlier.reported_in is None:
                earlier.reported_in = record.local_date
                s.add(earlier)
        local_date, mid = record.local_date, record.message_id
    return OutboxResult(outcome, local_date, mid, detail if detail is not None else error,
                        next_attempt_at)


def _save_composed(db: Database, record_id: int, message_id: str, nudges: int,
                   now: datetime) -> None:
    from nudger.store.models import DigestRecord

    with db.session() as s:
        record = s.get(DigestRecord, record_id)
        assert record is not None
        record.message_id = message_id
        record.nudges = nudges
        record.updated_at = _utc(now)
        s.add(record)


def _notices(s: Session, record: DigestRecord,
             settings: Settings) -> tuple[list[str], list[int]]:
    """Earlier failed digests not yet reported to the user, as sentences."""
    from sqlmodel import col, select

    from nudger.store.models import DigestRecord

    rows = s.exec(
        select(DigestRecord)
        .where(DigestRecord.recipient == record.recipient)
        .where(DigestRecord.state == "failed")
        .where(col(DigestRecord.reported_in).is_(None))
        .where(col(DigestRecord.local_date) < record.local_date)
        .order_by(col(DigestRecord.local_date))
    ).all()
    notices = [f"The digest for {r.local_date:%A %-d %B} was not delivered: "
               f"{r.last_error or 'unknown reason'}" for r in rows]
    return notices, [r.id for r in rows if r.id is not None]


def _supersede_older(s: Session, recipient: str, local_date: date, now: datetime,
                     settings: Settings) -> None:
    from sqlmodel import col, select

    from nudger.store.models import DigestRecord

    older = s.exec(
        select(DigestRecord)
        .where(DigestRecord.recipient == recipient)
        .where(col(DigestRecord.local_date) < local_date)
        .where(col(DigestRecord.state).in_(("retry", "sending")))
    ).all()
    for record in older:
        if record.state != "retry" and not _stale(record, now, settings):
            continue  # another process is sending it this moment
        _supersede(record, f"the digest of {local_date}", _utc(now))
        s.add(record)


def _supersede(record: DigestRecord, by: str, stamp: datetime) -> None:
    if record.state == "retry":
        why = record.last_error or "a transient failure"
        record.last_error = f"still failing when {by} replaced it ({record.attempts} " \
            f"attempts): {why}"
    else:
        record.last_error = f"nudger stopped while sending it, and {by} replaced it; it " \
            "may or may not have arrived"
    record.state = "failed"
    record.next_attempt_at = None
    record.updated_at = stamp
    log.warning("digest of %s superseded: %s; Message-ID %s", record.local_date,
                record.last_error, _mid(record))


def _mid(record: DigestRecord) -> str:
    """The record's Message-ID for a log line (none yet: it failed before composing)."""
    return record.message_id or "(none yet: not composed)"


def _mark_sending(record: DigestRecord, stamp: datetime) -> None:
    record.state = "sending"
    record.attempts += 1
    record.claimed_by = _me()
    record.updated_at = stamp
    record.next_attempt_at = None


def _find(s: Session, recipient: str, local_date: date) -> DigestRecord | None:
    from sqlmodel import select

    from nudger.store.models import DigestRecord

    return s.exec(select(DigestRecord).where(DigestRecord.recipient == recipient)
                  .where(DigestRecord.local_date == local_date)).first()


def _result(outcome: Outcome, record: DigestRecord, detail: str) -> OutboxResult:
    next_at = _aware(record.next_attempt_at) if record.next_attempt_at else None
    return OutboxResult(outcome, record.local_date, record.message_id, detail, next_at)


# --- time, claims, backoff -------------------------------------------------------------

def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("the outbox needs aware datetimes")
    return moment.astimezone(UTC)


def _aware(moment: datetime) -> datetime:
    """SQLite hands datetimes back without a zone; they were stored as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _me() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def stale_after(settings: Settings) -> timedelta:
    timeout = settings.smtp.timeout if settings.smtp is not None else 30
    return max(STALE_AFTER, timedelta(seconds=15 * float(timeout)))


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
    return _utc(now) - _aware(record.updated_at) > stale_after(settings)


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


# --- status ----------------------------------------------------------------------------

@dataclass(frozen=True)
class DigestInfo:
    local_date: date
    state: str
    message_id: str
    attempts: int
    nudges: int
    code: int | None
    error: str
    uncertain: bool
    next_attempt_at: datetime | None
    sent_at: datetime | None
    updated_at: datetime

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("local_date", "next_attempt_at", "sent_at", "updated_at"):
            value = data[key]
            data[key] = value.isoformat() if value is not None else None
        return data


@dataclass(frozen=True)
class OutboxStatus:
    today: DigestInfo | None  # the record for `now`'s local date, if any
    last_sent: DigestInfo | None
    retrying: list[DigestInfo]  # waiting in 'retry'
    sending: list[DigestInfo]  # in flight (or left by a crash; retry_due takes those)
    failed: list[DigestInfo]  # permanent failures of the last fortnight, or not reported

    def as_json(self) -> dict[str, Any]:
        return {
            "today": self.today.as_json() if self.today else None,
            "last_sent": self.last_sent.as_json() if self.last_sent else None,
            "retrying": [i.as_json() for i in self.retrying],
            "sending": [i.as_json() for i in self.sending],
            "failed": [i.as_json() for i in self.failed],
        }


def outbox_status(settings: Settings, db: Database, now: datetime) -> OutboxStatus:
    from sqlmodel import col, or_, select

    from nudger.schedule import local_date
    from nudger.store.models import DigestRecord

    recipient = settings.recipient
    today = local_date(now, settings)
    with db.read_session() as s:
        base = select(DigestRecord).where(DigestRecord.recipient == recipient)
        todays = s.exec(base.where(DigestRecord.local_date == today)).first()
        last_sent = s.exec(base.where(DigestRecord.state == "sent")
                           .order_by(col(DigestRecord.local_date).desc())).first()
        retrying = s.exec(base.where(DigestRecord.state == "retry")
                          .order_by(col(DigestRecord.local_date))).all()
        sending = s.exec(base.where(col(DigestRecord.state) == "sending")
                         .order_by(col(DigestRecord.local_date))).all()
        failed = s.exec(base.where(DigestRecord.state == "failed")
                        .where(or_(col(DigestRecord.reported_in).is_(None),
                                   col(DigestRecord.local_date) >= today - timedelta(days=14)))
                        .order_by(col(DigestRecord.local_date).desc()).limit(20)).all()
        return OutboxStatus(
            today=_info(todays) if todays else None,
            last_sent=_info(last_sent) if last_sent else None,
            retrying=[_info(r) for r in retrying],
            sending=[_info(r) for r in sending],
            failed=[_info(r) for r in failed],
        )


def _info(r: DigestRecord) -> DigestInfo:
    return DigestInfo(
        local_date=r.local_date, state=r.state, message_id=r.message_id,
        attempts=r.attempts, nudges=r.nudges, code=r.last_code, error=r.last_error,
        uncertain=r.uncertain,
        next_attempt_at=_aware(r.next_attempt_at) if r.next_attempt_at else None,
        sent_at=_aware(r.sent_at) if r.sent_at else None, updated_at=_aware(r.updated_at),
    )


def describe(record: DigestRecord, zone: Any) -> str:
    """One line on a recorded day, for ALREADY and for `status`."""
    def local(moment: datetime | None) -> str:
        return _aware(moment).astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else "?"

    day = record.local_date.isoformat()
    if record.state == "sent":
        return f"the digest of {day} was sent at {local(record.sent_at)} " \
            f"(Message-ID {record.message_id}); --force sends it again"
    if record.state == "retry":
        return f"the digest of {day} is waiting to retry at " \
            f"{local(record.next_attempt_at)} after: {record.last_error}; --force tries now"
    if record.state == "failed":
        return f"the digest of {day} failed: {record.last_error}; --force tries again"
    if record.state == "skipped":
        return f"the digest of {day} was skipped ({record.last_error}); --force sends it"
    if record.state == "sending":
        return f"the digest of {day} was left half-sent at {local(record.updated_at)} by a " \
            "nudger that stopped; the daemon resends it with the same Message-ID, or " \
            "--force does it now"
    return f"the digest of {day} is {record.state}"
