"""The outbox table's statements: every read and write of `store.models.DigestRecord` (the
`digest` table, one row per seeker, recipient and local date; the seeker is the session's
scope, store/scope.py) goes through `Outbox`.

The delivery flow (`nudger.send.outbox`) decides what to do and when; this class does it, each
method in its own short transaction (never held across network I/O). Whether a 'sending'
row is abandoned is the caller's judgement (`is_stale`): it knows the processes.

Claims lock the rows they read. On SQLite the whole write transaction holds the file's
write lock (BEGIN IMMEDIATE) and `FOR UPDATE` is not rendered; on PostgreSQL, where writers
run side by side, a claim reads its row `FOR UPDATE` (the day's row: wait for the other
claimer, then see its verdict) or `FOR UPDATE SKIP LOCKED` (a retry, or an older day to
supersede: a row another process holds is that process's to finish).

Workers' leased claims are store/outbox_lease.py's (`LeasedClaims`, which `Outbox` takes
in); the row transitions both share are store/outbox_rows.py's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, NamedTuple

from nudger.store.outbox_lease import LeasedClaims
from nudger.store.outbox_rows import (
    Claimed,
    Refused,
    Stale,
    apply_outcome,
    log,
    mark_sending,
    mid,
    supersede,
)
from nudger.when.times import as_utc

if TYPE_CHECKING:
    from sqlmodel import Session

    from nudger.store.db import Database
    from nudger.store.models import DigestRecord

__all__ = ["Claimed", "Outbox", "Refused", "StatusRows", "last_sent_before", "mid"]


class StatusRows(NamedTuple):
    today: DigestRecord | None
    last_sent: DigestRecord | None
    retrying: Sequence[DigestRecord]
    sending: Sequence[DigestRecord]
    failed: Sequence[DigestRecord]


class Outbox(LeasedClaims):
    """The digests of one recipient in one database."""

    def __init__(self, db: Database, recipient: str) -> None:
        self.db = db
        self.recipient = recipient

    # --- reads ---------------------------------------------------------------------------

    def state_of(self, day: date) -> str | None:
        """The state of `day`'s digest, None when there is no record."""
        from sqlmodel import select

        from nudger.store.models import DigestRecord

        with self.db.read_session() as s:
            state: str | None = s.exec(
                select(DigestRecord.state).where(
                    DigestRecord.recipient == self.recipient, DigestRecord.local_date == day)
            ).first()
        return state

    def next_retry_at(self) -> datetime | None:
        """The earliest `next_attempt_at` of a digest waiting in 'retry' (aware UTC), of
        any recipient of the seeker this database is scoped to."""
        from sqlalchemy import func
        from sqlmodel import select

        from nudger.store.models import DigestRecord

        with self.db.read_session() as s:
            value = s.exec(select(func.min(DigestRecord.next_attempt_at))
                           .where(DigestRecord.state == "retry")).first()
        return None if value is None else as_utc(value)

    def waiting(self) -> list[int]:
        """The rows in 'retry' or 'sending', oldest day first."""
        from sqlmodel import col, select

        from nudger.store.models import DigestRecord

        with self.db.read_session() as s:
            return [r for r in s.exec(
                select(DigestRecord.id)
                .where(DigestRecord.recipient == self.recipient)
                .where(col(DigestRecord.state).in_(("retry", "sending")))
                .order_by(col(DigestRecord.local_date))
            ).all() if r is not None]

    def unreported_failures(self, before: date) -> list[DigestRecord]:
        """Failed digests of days before `before` that no digest has told the user of."""
        with self.db.read_session() as s:
            return unreported_failures_in(s, self.recipient, before)

    def status(self, today: date, failed_since: date) -> StatusRows:
        """Today's row, the last sent, what waits to retry or is in flight, and failures
        not yet reported or since `failed_since` (at most 20)."""
        from sqlmodel import col, or_, select

        from nudger.store.models import DigestRecord

        with self.db.read_session() as s:
            base = select(DigestRecord).where(DigestRecord.recipient == self.recipient)
            return StatusRows(
                today=s.exec(base.where(DigestRecord.local_date == today)).first(),
                last_sent=s.exec(base.where(DigestRecord.state == "sent")
                                 .order_by(col(DigestRecord.local_date).desc())).first(),
                retrying=s.exec(base.where(DigestRecord.state == "retry")
                                .order_by(col(DigestRecord.local_date))).all(),
                sending=s.exec(base.where(col(DigestRecord.state) == "sending")
                               .order_by(col(DigestRecord.local_date))).all(),
                failed=s.exec(base.where(DigestRecord.state == "failed")
                              .where(or_(col(DigestRecord.reported_in).is_(None),
                                         col(DigestRecord.local_date) >= failed_since))
                              .order_by(col(DigestRecord.local_date).desc())
                              .limit(20)).all(),
            )

    # --- writes --------------------------------------------------------------------------

    def record_skipped(self, day: date, reason: str, now: datetime) -> bool:
        """Record `day` as skipped; False when it was recorded already."""
        from sqlalchemy.exc import IntegrityError

        from nudger.store.models import DigestRecord

        stamp = as_utc(now)
        try:
            with self.db.session() as s:
                if self._find(s, day) is not None:
                    return False
                s.add(DigestRecord(recipient=self.recipient, local_date=day, message_id="",
                                   state="skipped", last_error=reason, created_at=stamp,
                                   updated_at=stamp))
        except IntegrityError:
            return False
        return True

    def carry_over(self, known: Mapping[date, tuple[str, str]], now: datetime
                   ) -> list[tuple[date, str]]:
        """Record the days in `known` (day → (state, Message-ID)) this database has no
        record of (it replaced the one the daemon knew); the days recorded, oldest first."""
        from sqlalchemy.exc import IntegrityError

        from nudger.store.models import DigestRecord

        carried: list[tuple[date, str]] = []
        stamp = as_utc(now)
        for day in sorted(known):
            state, message_id = known[day]
            try:
                with self.db.session() as s:
                    if self._find(s, day) is not None:
                        continue
                    s.add(DigestRecord(
                        recipient=self.recipient, local_date=day, message_id=message_id,
                        state=state,
                        last_error="recorded again after the database file was replaced",
                        created_at=stamp, updated_at=stamp,
                        sent_at=stamp if state == "sent" else None))
            except IntegrityError:
                continue
            carried.append((day, state))
        return carried

    def claim_day(self, day: date, now: datetime, *, force: bool, me: str,
                  is_stale: Stale, new_message_id: Callable[[], str]) -> Claimed | Refused:
        """Mark `day`'s digest 'sending' for `me`: a new row (superseding older days still
        waiting), or with `force` a recorded one that nobody is sending right now. The
        UNIQUE (seeker_id, recipient, local_date) key decides between two processes.

        A new row stores its Message-ID (`new_message_id()`) before any I/O, so every resend
        of it carries the same one; a forced resend of a day already sent is a new message
        and gets a new one (a day that never went out keeps its own)."""
        from sqlalchemy.exc import IntegrityError

        from nudger.store.models import DigestRecord

        stamp = as_utc(now)
        try:
            with self.db.session() as s:
                record = self._find(s, day)
                if record is None:
                    record = DigestRecord(recipient=self.recipient, local_date=day,
                                          message_id=new_message_id(), state="sending",
                                          attempts=1,
                                          claimed_by=me, created_at=stamp, updated_at=stamp)
                    s.add(record)
                    self._supersede_older(s, day, stamp, is_stale)
                    s.flush()
                    return Claimed(record, "")
                if record.state == "sending" and not is_stale(record):
                    return Refused(record, busy=True)
                if not force:
                    return Refused(record, busy=False)
                previous, previous_id = record.state, record.message_id
                mark_sending(record, stamp, me)
                if previous == "sent" or not record.message_id:
                    record.message_id = new_message_id()
                s.add(record)
                return Claimed(record, previous, previous_id)
        except IntegrityError:
            # Another process inserted the row between our read and our write.
            return Refused(None, busy=False)

    def claim_retry(self, record_id: int, now: datetime, *, me: str,
                    is_stale: Stale) -> DigestRecord | None:
        """Take one due 'retry' row, or a 'sending' row `is_stale` calls abandoned, for a
        new attempt (a conditional write: of two daemons, one wins); an older day that a
        newer digest exists for is superseded (failed) instead. None: nothing to send."""
        from sqlmodel import col, select

        from nudger.store.models import DigestRecord

        stamp = as_utc(now)
        with self.db.session() as s:
            record = s.exec(select(DigestRecord).where(DigestRecord.id == record_id)
                            .with_for_update(skip_locked=True)).first()
            if record is None:
                return None  # gone, or another process is claiming it this moment
            if record.state == "retry":
                due = record.next_attempt_at is None or as_utc(record.next_attempt_at) <= stamp
                if not due:
                    return None
            elif record.state == "sending":
                if not is_stale(record):
                    return None
                log.warning("digest of %s was left %s by %s; resending it with the same "
                            "Message-ID %s", record.local_date, record.state,
                            record.claimed_by or "an earlier process", mid(record))
            else:
                return None
            newer = s.exec(select(DigestRecord.id)
                           .where(DigestRecord.recipient == record.recipient)
                           .where(col(DigestRecord.local_date) > record.local_date)).first()
            if newer is not None:
                supersede(record, "a newer digest", stamp)
                s.add(record)
                return None
            mark_sending(record, stamp, me)
            s.add(record)
            return record

    def save_composed(self, record_id: int, message_id: str, nudges: int,
                      now: datetime) -> None:
        from nudger.store.models import DigestRecord

        with self.db.session() as s:
            record = s.get(DigestRecord, record_id)
            assert record is not None
            record.message_id = message_id
            record.nudges = nudges
            record.updated_at = as_utc(now)
            s.add(record)

    def finish(self, record_id: int, now: datetime, *, state: str, error: str = "",
               code: int | None = None, message_id: str | None = None,
               next_attempt_at: datetime | None = None, uncertain: bool | None = None,
               reported: Sequence[int] = (), keep_sent_at: bool = False
               ) -> tuple[date, str]:
        """Mark the outcome of an attempt; the `reported` failed rows are marked as told in
        this digest. Returns the row's (local date, Message-ID)."""
        from nudger.store.models import DigestRecord

        with self.db.session() as s:
            record = s.get(DigestRecord, record_id)
            assert record is not None
            apply_outcome(s, record, as_utc(now), state=state, error=error, code=code,
                   message_id=message_id, next_attempt_at=next_attempt_at,
                   uncertain=uncertain, reported=reported, keep_sent_at=keep_sent_at)
            return record.local_date, record.message_id

    def skip_pending(self, day: date, reason: str, now: datetime) -> bool:
        """Record `day`'s 'pending' row as skipped (its seeker was disabled before the job
        ran); False when the row is not 'pending'."""
        stamp = as_utc(now)
        with self.db.session() as s:
            record = self._find(s, day)
            if record is None or record.state != "pending":
                return False
            record.state, record.last_error, record.updated_at = "skipped", reason, stamp
            s.add(record)
            return True

    # --- inside a transaction ------------------------------------------------------------

    def _find(self, s: Session, day: date) -> DigestRecord | None:
        from sqlmodel import select

        from nudger.store.models import DigestRecord

        return s.exec(select(DigestRecord).where(DigestRecord.recipient == self.recipient)
                      .where(DigestRecord.local_date == day).with_for_update()).first()

    def _supersede_older(self, s: Session, day: date, stamp: datetime,
                         is_stale: Stale) -> None:
        from sqlmodel import col, select

        from nudger.store.models import DigestRecord

        older = s.exec(
            select(DigestRecord)
            .where(DigestRecord.recipient == self.recipient)
            .where(col(DigestRecord.local_date) < day)
            .where(col(DigestRecord.state).in_(("retry", "sending")))
            .with_for_update(skip_locked=True)
        ).all()
        for record in older:
            if record.state != "retry" and not is_stale(record):
                continue  # another process is sending it this moment
            supersede(record, f"the digest of {day}", stamp)
            s.add(record)


def unreported_failures_in(s: Session, recipient: str, before: date) -> list[DigestRecord]:
    """`Outbox.unreported_failures` in the caller's session (the workers read it in the
    transaction that composes the digest, send/leased.py)."""
    from sqlmodel import col, select

    from nudger.store.models import DigestRecord

    return list(s.exec(
        select(DigestRecord)
        .where(DigestRecord.recipient == recipient)
        .where(DigestRecord.state == "failed")
        .where(col(DigestRecord.reported_in).is_(None))
        .where(col(DigestRecord.local_date) < before)
        .order_by(col(DigestRecord.local_date))
    ).all())


def unreported_failures_of(s: Session, wanted: Sequence[tuple[int, str, date]]
                           ) -> dict[tuple[int, str, date], list[DigestRecord]]:
    """`unreported_failures_in` for many seekers at once (a workers' batch,
    send/leased_batch.py), in one query on the caller's session (one not scoped to a
    seeker): for each (seeker id, recipient, day) of `wanted`, the seeker's failed digests
    to that recipient before that day not yet reported, oldest first."""
    from sqlmodel import col, select

    from nudger.store.models import DigestRecord

    if not wanted:
        return {}
    found: dict[tuple[int, str, date], list[DigestRecord]] = {key: [] for key in wanted}
    days: dict[tuple[int, str], list[date]] = {}
    for seeker, recipient, day in wanted:
        days.setdefault((seeker, recipient), []).append(day)
    for record in s.exec(
            select(DigestRecord)
            .where(col(DigestRecord.seeker_id).in_(sorted({w[0] for w in wanted})))
            .where(DigestRecord.state == "failed")
            .where(col(DigestRecord.reported_in).is_(None))
            .where(col(DigestRecord.local_date) < max(w[2] for w in wanted))
            .order_by(col(DigestRecord.local_date))).all():
        for day in days.get((record.seeker_id or 0, record.recipient), ()):
            if record.local_date < day:
                found[(record.seeker_id or 0, record.recipient, day)].append(record)
    return found


def last_sent_before(s: Session, recipient: str, day: date) -> datetime | None:
    """When the last digest before `day` was sent (aware UTC), inside the caller's session
    (the digest being composed reads it with everything else)."""
    from sqlalchemy import func
    from sqlmodel import col, select

    from nudger.store.models import DigestRecord

    last = s.exec(select(func.max(DigestRecord.sent_at))
                  .where(DigestRecord.recipient == recipient)
                  .where(DigestRecord.state == "sent")
                  .where(col(DigestRecord.local_date) < day)).one()
    return None if last is None else as_utc(last)
