"""The workers' claims on the outbox (`digest`) table, part of `store.outbox.Outbox`.

Workers (`nudger worker`, many processes on many machines) claim with a lease
(`claim_leased`), where the daemon's claims (store/outbox.py) leave staleness to the caller:
the row carries the claimer's id (`host:pid:random`) and `lease_until`; another worker may
take the row over once the lease has run out (same Message-ID), and `renew` /
`finish_claimed` write only while the row is still the caller's, so a claimer that was taken
over (stopped past its lease, cut off from the database) can neither send nor mark it. On
PostgreSQL leases and retry times are read against the database's clock, not the worker's,
so a machine whose clock is off cannot steal a live claim or keep a dead one, nor retry early
or late.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from nudger.store.outbox_rows import Claimed, Refused, apply_outcome, log, mark_sending, mid
from nudger.when.times import as_utc

if TYPE_CHECKING:
    from sqlmodel import Session

    from nudger.store.db import Database
    from nudger.store.models import DigestRecord


class LeasedClaims:
    """The leased claims of `Outbox` (store/outbox.py): one recipient's digests in one
    database, taken by workers."""

    db: Database
    recipient: str

    def claim_leased(self, day: date, now: datetime, *, me: str, lease: timedelta,
                     new_message_id: Callable[[], str]) -> Claimed | Refused:
        """Take `day`'s digest for `me` until the lease runs out: a new row, a 'pending'
        row (the workers' tick recorded it with this job), a row in 'retry' whose time has
        come, or a 'sending' row whose claimer's lease ran out (a takeover: logged, same
        Message-ID). The row is read FOR UPDATE SKIP LOCKED: a row
        another claimer is writing this moment is theirs."""
        from sqlalchemy import func, literal
        from sqlalchemy.exc import IntegrityError
        from sqlmodel import select

        from nudger.store.models import DigestRecord

        stamp = as_utc(now)
        try:
            with self.db.session() as s:
                postgres = s.get_bind().dialect.name == "postgresql"
                # The row and, on PostgreSQL, the database's clock in one round trip.
                found = s.exec(select(DigestRecord, func.now() if postgres else literal(None))
                               .where(DigestRecord.recipient == self.recipient)
                               .where(DigestRecord.local_date == day)
                               .with_for_update(skip_locked=True)).first()
                record, database_now = found if found is not None else (None, None)
                clock = as_utc(database_now) if database_now is not None \
                    else _clock(s, stamp)
                if record is None:
                    # No row, or one locked by another claimer: the insert tells which
                    # (the unique key refuses it when the row exists).
                    record = DigestRecord(recipient=self.recipient, local_date=day,
                                          message_id=new_message_id(), state="sending",
                                          attempts=1, claimed_by=me, lease_until=clock + lease,
                                          created_at=stamp, updated_at=stamp)
                    s.add(record)
                    s.flush()
                    return Claimed(record, "")
                previous = record.state
                if previous == "sending":
                    holds = _lease_end(record, lease)
                    if holds > clock:
                        return Refused(record, busy=True)
                    log.warning("digest of %s: the lease of %s ran out at %s; %s takes it "
                                "over and resends it with the same Message-ID %s",
                                record.local_date, record.claimed_by or "an earlier claimer",
                                holds.isoformat(timespec="seconds"), me, mid(record))
                elif previous == "retry":
                    due = record.next_attempt_at is None or \
                        as_utc(record.next_attempt_at) <= clock
                    if not due:
                        return Refused(record, busy=False)
                elif previous != "pending":
                    return Refused(record, busy=False)  # sent, failed, skipped: recorded
                mark_sending(record, stamp, me)
                record.lease_until = clock + lease
                if not record.message_id:
                    record.message_id = new_message_id()
                s.add(record)
                return Claimed(record, previous, record.message_id)
        except IntegrityError:
            return Refused(None, busy=True)  # another claimer inserted it first

    def renew(self, record_id: int, now: datetime, *, me: str, lease: timedelta,
              nudges: int | None = None, message_id: str | None = None) -> bool:
        """Extend `me`'s lease (and save what was composed); False, writing nothing, when
        the row is no longer `me`'s: then `me` must not send it. One conditional UPDATE
        (the row still 'sending' and `me`'s, the lease from the database's clock), the
        row read only to log whose it is when it is not `me`'s any more."""
        from typing import Any

        from sqlalchemy import func, update

        from nudger.store.models import DigestRecord

        stamp = as_utc(now)
        with self.db.session() as s:
            postgres = s.get_bind().dialect.name == "postgresql"
            values: dict[str, Any] = {
                "lease_until": func.now() + lease if postgres else stamp + lease,
                "updated_at": stamp}
            if nudges is not None:
                values["nudges"] = nudges
            if message_id:
                values["message_id"] = message_id
            renewed = s.execute(
                update(DigestRecord)
                .where(DigestRecord.id == record_id)  # type: ignore[arg-type]
                .where(DigestRecord.state == "sending")  # type: ignore[arg-type]
                .where(DigestRecord.claimed_by == me)  # type: ignore[arg-type]
                .values(**values)
                .execution_options(synchronize_session=False))
            if getattr(renewed, "rowcount", 0) == 1:
                return True
            _mine(s, record_id, me, "renew")  # not ours: says whose it is now
        return False

    def finish_claimed(self, record_id: int, now: datetime, *, me: str, state: str,
                       error: str = "", code: int | None = None,
                       message_id: str | None = None, next_attempt_at: datetime | None = None,
                       uncertain: bool | None = None, reported: Sequence[int] = (),
                       address_accepted: int | None = None) -> tuple[date, str] | None:
        """`finish`, by the claimer only: None (logged, nothing written) when the row is no
        longer `me`'s claim, i.e. another claimer took it over after `me`'s lease ran out.
        A claimer whose lease ran out but whom nobody took over still owns the row (no one
        else can have sent it), so its mark stands. `address_accepted`: the seeker whose
        address the relay just accepted (no longer bouncing), written in the same
        transaction."""
        stamp = as_utc(now)
        with self.db.session() as s:
            if address_accepted is not None:
                from nudger.store.seekers import address_accepted as accepted

                accepted(s.connection(), address_accepted)
            record = _mine(s, record_id, me, f"mark it {state}")
            if record is None:
                return None
            if next_attempt_at is not None:
                # Read against the database's clock like the lease (`due_for_workers`,
                # `claim_leased`): the wait the caller asked for, from the database's now,
                # so a claimer whose clock is off neither cuts the backoff short nor
                # stretches it.
                next_attempt_at = _clock(s, stamp) + (as_utc(next_attempt_at) - stamp)
            apply_outcome(s, record, stamp, state=state, error=error, code=code,
                          message_id=message_id, next_attempt_at=next_attempt_at,
                          uncertain=uncertain, reported=reported)
            record.lease_until = None
            s.add(record)
            return record.local_date, record.message_id

    def due_for_workers(self, now: datetime, limit: int = 500) -> list[tuple[int, date]]:
        """Rows a worker should (re)send now, of every seeker: 'retry' rows whose time has
        come and 'sending' rows whose lease ran out (seeker id, local date), oldest first.
        ('pending' rows whose job was lost: `nudger.store.outbox_bulk.pending_without_job`.)"""
        from sqlmodel import col, or_, select

        from nudger.store.models import DigestRecord

        with self.db.read_session(every_seeker=True) as s:
            clock = _clock(s, as_utc(now))
            rows = s.exec(
                select(col(DigestRecord.seeker_id), col(DigestRecord.local_date))
                .where(or_(
                    (col(DigestRecord.state) == "retry")
                    & (col(DigestRecord.next_attempt_at).is_(None)
                       | (col(DigestRecord.next_attempt_at) <= clock)),
                    (col(DigestRecord.state) == "sending")
                    & col(DigestRecord.lease_until).is_not(None)
                    & (col(DigestRecord.lease_until) <= clock),
                ))
                .order_by(col(DigestRecord.local_date), col(DigestRecord.id))
                .limit(limit)).all()
        return [(seeker_id, day) for seeker_id, day in rows if seeker_id is not None]


def _clock(s: Session, stamp: datetime) -> datetime:
    """The moment leases are read against: the database server's clock on PostgreSQL (one
    clock for every worker, whatever each machine's says), the caller's `now` on SQLite
    (one machine)."""
    from sqlalchemy import func, select

    if s.get_bind().dialect.name == "postgresql":
        return as_utc(s.execute(select(func.now())).scalar_one())
    return stamp


def _lease_end(record: DigestRecord, lease: timedelta) -> datetime:
    """When a 'sending' row's claim runs out: its lease, or for a claim taken without one
    (the daemon's), `lease` after its last write."""
    if record.lease_until is not None:
        return as_utc(record.lease_until)
    return as_utc(record.updated_at) + lease


def _mine(s: Session, record_id: int, me: str, what: str) -> DigestRecord | None:
    """The row, locked, when it is still `me`'s claim; else None, logged."""
    from sqlmodel import select

    from nudger.store.models import DigestRecord

    record = s.exec(select(DigestRecord).where(DigestRecord.id == record_id)
                    .with_for_update()).first()
    if record is not None and record.state == "sending" and record.claimed_by == me:
        return record
    if record is None:
        log.warning("digest row %s is gone; %s may not %s", record_id, me, what)
    else:
        log.warning("digest of %s: %s may no longer %s: its lease ran out and the row is "
                    "now %s by %s; Message-ID %s", record.local_date, me, what, record.state,
                    record.claimed_by or "nobody", mid(record))
    return None
