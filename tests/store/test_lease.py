"""Leased claims (the workers' outbox), on both engines: a claim carries the claimer's id
and a lease; while the lease holds nobody else takes the row; once it has run out another
claimer takes it over with the same Message-ID, and from then on the first claimer can
neither renew nor mark it (refused and logged). On PostgreSQL the lease is read against the
database's clock, so a claimer whose clock is ahead cannot steal a live claim, and a retry
waits its backoff by that clock whatever the claimer's says."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from nudger.store.db import Database
from nudger.store.models import DigestRecord
from nudger.store.outbox import Claimed, Outbox, Refused
from tests.store.test_claims import _race

DAY = date(2026, 11, 30)
RECIPIENT = "alex@example.com"
LEASE = timedelta(minutes=5)
A, B = "host-a:101:1f2e3d4c", "host-b:202:9a8b7c6d"


def now() -> datetime:
    """The real moment: on PostgreSQL leases are read against the server's clock."""
    return datetime.now(UTC)


def _ids() -> Any:
    counter = iter(range(10_000))
    return lambda: f"<{next(counter)}.digest@nudger.test>"


def _row(db: Database, record_id: int) -> DigestRecord:
    with db.read_session() as s:
        row = s.get(DigestRecord, record_id)
        assert row is not None
        return row


def _expire(db: Database, record_id: int) -> None:
    """The claimer's lease ran out (a worker stopped past it, or died)."""
    with db.session() as s:
        row = s.get(DigestRecord, record_id)
        assert row is not None
        row.lease_until = now() - timedelta(seconds=1)
        s.add(row)


def _claim(db: Database, me: str, ids: Any = None) -> Claimed | Refused:
    return Outbox(db, RECIPIENT).claim_leased(DAY, now(), me=me, lease=LEASE,
                                              new_message_id=ids or _ids())


def test_a_claim_carries_the_claimer_and_a_lease(engine_db: Database) -> None:
    claim = _claim(engine_db, A)
    assert isinstance(claim, Claimed)
    assert claim.record.id is not None
    row = _row(engine_db, claim.record.id)
    assert (row.state, row.claimed_by, row.attempts) == ("sending", A, 1)
    assert row.lease_until is not None
    left = row.lease_until.replace(tzinfo=UTC) - now()
    assert timedelta(minutes=4) < left <= LEASE


def test_a_pending_row_the_tick_wrote_is_claimed_once(engine_db: Database) -> None:
    from nudger.store.outbox_bulk import DayRow, record_days

    seeker = engine_db.seeker_id(write=True)
    with engine_db.session(every_seeker=True) as s:
        rows = [DayRow(seeker, RECIPIENT, DAY, "pending")]
        assert record_days(s.connection(), rows, now()) == {(seeker, DAY)}
        assert record_days(s.connection(), rows, now()) == set()  # once per seeker and day
    claim = _claim(engine_db, A)
    assert isinstance(claim, Claimed) and claim.previous == "pending"
    assert claim.record.id is not None
    row = _row(engine_db, claim.record.id)
    assert (row.state, row.claimed_by, row.attempts) == ("sending", A, 1)
    assert row.message_id == "<0.digest@nudger.test>"  # made by the claim
    assert isinstance(_claim(engine_db, B), Refused)


def test_a_live_lease_is_not_taken(engine_db: Database) -> None:
    first = _claim(engine_db, A)
    assert isinstance(first, Claimed)
    second = _claim(engine_db, B)
    assert isinstance(second, Refused) and second.busy


def test_an_expired_lease_is_taken_over_with_the_same_message_id(
        engine_db: Database, caplog: pytest.LogCaptureFixture) -> None:
    first = _claim(engine_db, A)
    assert isinstance(first, Claimed) and first.record.id is not None
    record_id, message_id = first.record.id, first.record.message_id
    _expire(engine_db, record_id)
    with caplog.at_level(logging.WARNING, logger="nudger.outbox"):
        second = _claim(engine_db, B, ids=lambda: "<new-one@x>")
    assert isinstance(second, Claimed)
    row = _row(engine_db, record_id)
    assert (row.claimed_by, row.attempts, row.message_id) == (B, 2, message_id)
    assert f"the lease of {A} ran out" in caplog.text and message_id in caplog.text


def test_a_taken_over_claimer_can_neither_renew_nor_mark(
        engine_db: Database, caplog: pytest.LogCaptureFixture) -> None:
    first = _claim(engine_db, A)
    assert isinstance(first, Claimed) and first.record.id is not None
    record_id = first.record.id
    _expire(engine_db, record_id)
    assert isinstance(_claim(engine_db, B), Claimed)
    outbox = Outbox(engine_db, RECIPIENT)
    with caplog.at_level(logging.WARNING, logger="nudger.outbox"):
        assert not outbox.renew(record_id, now(), me=A, lease=LEASE)
        assert outbox.finish_claimed(record_id, now(), me=A, state="sent") is None
    assert f"{A} may no longer mark it sent" in caplog.text
    assert f"now sending by {B}" in caplog.text
    row = _row(engine_db, record_id)
    assert (row.state, row.claimed_by, row.sent_at) == ("sending", B, None)
    # The one who holds it marks it.
    assert outbox.finish_claimed(record_id, now(), me=B, state="sent") is not None
    row = _row(engine_db, record_id)
    assert (row.state, row.lease_until) == ("sent", None) and row.sent_at is not None
    # ... and then nobody claims it again.
    again = _claim(engine_db, A)
    assert isinstance(again, Refused) and not again.busy


def test_a_late_claimer_nobody_took_over_still_marks(engine_db: Database) -> None:
    """Its lease ran out, but the row is still its claim: nobody else can have sent it."""
    first = _claim(engine_db, A)
    assert isinstance(first, Claimed) and first.record.id is not None
    _expire(engine_db, first.record.id)
    outbox = Outbox(engine_db, RECIPIENT)
    assert outbox.finish_claimed(first.record.id, now(), me=A, state="sent") is not None
    assert _row(engine_db, first.record.id).state == "sent"


def test_renew_extends_the_lease_and_saves_what_was_composed(engine_db: Database) -> None:
    first = _claim(engine_db, A)
    assert isinstance(first, Claimed) and first.record.id is not None
    record_id = first.record.id
    _expire(engine_db, record_id)
    assert Outbox(engine_db, RECIPIENT).renew(record_id, now(), me=A, lease=LEASE, nudges=3)
    row = _row(engine_db, record_id)
    assert row.nudges == 3 and row.lease_until is not None
    assert row.lease_until.replace(tzinfo=UTC) > now() + timedelta(minutes=4)
    assert isinstance(_claim(engine_db, B), Refused)  # renewed: live again


def test_a_retry_row_is_claimed_when_due_and_not_before(engine_db: Database) -> None:
    first = _claim(engine_db, A)
    assert isinstance(first, Claimed) and first.record.id is not None
    record_id = first.record.id
    outbox = Outbox(engine_db, RECIPIENT)
    later = now() + timedelta(hours=1)
    outbox.finish_claimed(record_id, now(), me=A, state="retry", error="451 try later",
                          next_attempt_at=later)
    assert outbox.due_for_workers(now()) == []
    refused = _claim(engine_db, B)
    assert isinstance(refused, Refused) and not refused.busy
    with engine_db.session() as s:
        row = s.get(DigestRecord, record_id)
        assert row is not None
        row.next_attempt_at = now() - timedelta(seconds=1)
        s.add(row)
    assert outbox.due_for_workers(now()) == [(first.record.seeker_id, DAY)]
    claim = _claim(engine_db, B)
    assert isinstance(claim, Claimed) and claim.previous == "retry"
    assert claim.record.message_id == first.record.message_id


def test_due_for_workers_lists_expired_leases_only(engine_db: Database) -> None:
    first = _claim(engine_db, A)
    assert isinstance(first, Claimed) and first.record.id is not None
    outbox = Outbox(engine_db, RECIPIENT)
    assert outbox.due_for_workers(now()) == []  # a live claim is its claimer's
    _expire(engine_db, first.record.id)
    assert outbox.due_for_workers(now()) == [(first.record.seeker_id, DAY)]


def test_one_of_many_claimers_wins_a_day(engine_db: Database) -> None:
    ids = _ids()
    results = _race(8, lambda i: _claim(engine_db, f"host:{i}:{i:08x}", ids))
    assert sum(1 for r in results if isinstance(r, Claimed)) == 1
    with engine_db.read_session() as s:
        rows = s.exec(DigestRecord.__table__.select()).all()  # type: ignore[attr-defined]
    assert len(rows) == 1


def test_one_of_many_takes_over_an_expired_lease(engine_db: Database) -> None:
    first = _claim(engine_db, A)
    assert isinstance(first, Claimed) and first.record.id is not None
    _expire(engine_db, first.record.id)
    results = _race(8, lambda i: _claim(engine_db, f"host:{i}:{i:08x}"))
    assert sum(1 for r in results if isinstance(r, Claimed)) == 1
    assert _row(engine_db, first.record.id).attempts == 2


def test_a_claimer_whose_clock_is_ahead_cannot_steal_a_live_lease_on_postgresql(
        pg_cluster: Any, tmp_path: Any) -> None:
    from tests.conftest import pg_database

    db = pg_database(pg_cluster, pg_cluster.url(pg_cluster.new_database()), tmp_path / "n.db")
    db.ensure()
    outbox = Outbox(db, RECIPIENT)
    first = outbox.claim_leased(DAY, now(), me=A, lease=LEASE, new_message_id=_ids())
    assert isinstance(first, Claimed)
    # B's machine runs 10 minutes ahead: by its clock A's lease ran out long ago.
    ahead = now() + timedelta(minutes=10)
    second = outbox.claim_leased(DAY, ahead, me=B, lease=LEASE, new_message_id=_ids())
    assert isinstance(second, Refused) and second.busy
    assert outbox.due_for_workers(ahead) == []
    db.dispose()


@pytest.mark.parametrize("skew", [timedelta(minutes=-2), timedelta(minutes=2)])
def test_a_retry_waits_its_backoff_by_the_database_clock_on_postgresql(
        pg_cluster: Any, tmp_path: Any, skew: timedelta) -> None:
    from tests.conftest import pg_database

    db = pg_database(pg_cluster, pg_cluster.url(pg_cluster.new_database()), tmp_path / "n.db")
    db.ensure()
    outbox = Outbox(db, RECIPIENT)
    first = outbox.claim_leased(DAY, now(), me=A, lease=LEASE, new_message_id=_ids())
    assert isinstance(first, Claimed) and first.record.id is not None
    # A's clock is two minutes off; its relay said 451: retry in one minute, by A's clock.
    mine = now() + skew
    outbox.finish_claimed(first.record.id, mine, me=A, state="retry", error="451 later",
                          next_attempt_at=mine + timedelta(minutes=1))
    # One minute from the database's now: not due at once (A behind), nor in three (ahead).
    assert outbox.due_for_workers(now()) == []
    retry_at = _row(db, first.record.id).next_attempt_at
    assert retry_at is not None
    assert abs(retry_at.replace(tzinfo=UTC) - (now() + timedelta(minutes=1))) < \
        timedelta(seconds=20)
    db.dispose()


def test_a_row_another_claimer_is_writing_is_skipped_not_waited_for_on_postgresql(
        pg_cluster: Any, tmp_path: Any) -> None:
    from tests.conftest import pg_database

    db = pg_database(pg_cluster, pg_cluster.url(pg_cluster.new_database()), tmp_path / "n.db")
    db.ensure()
    first = _claim(db, A)
    assert isinstance(first, Claimed)
    _expire(db, first.record.id or 0)
    holder = db.connect()
    try:
        holder.execute("SELECT id FROM digest WHERE id = %s FOR UPDATE", (first.record.id,))
        started = datetime.now(UTC)
        refused = _claim(db, B)  # a lock wait would hang here until the holder ends
        assert isinstance(refused, Refused) and refused.busy
        assert datetime.now(UTC) - started < timedelta(seconds=5)
    finally:
        holder.rollback()
        holder.close()
    assert isinstance(_claim(db, B), Claimed)
    db.dispose()
