"""The workers' claims on the outbox (`digest`) table a batch at a time (send/leased_batch.py;
docs/outbox.md, "Batches"): the same rules as one seeker's `claim_leased`, `renew` and
`finish_claimed` (store/outbox_lease.py), each written as ONE statement over the batch.

- `claim_batch`: every row of the batch that may be claimed now ('pending'; 'retry' whose
  time has come; 'sending' whose lease ran out: a takeover, logged, same Message-ID), read
  FOR UPDATE SKIP LOCKED (a row another claimer holds this moment is theirs) and claimed
  for `me` with a lease from the database's clock, in one UPDATE; the rows it took.
- `renew_batch`: the lease of the batch's unsent rows extended, only on those still `me`'s;
  the ids renewed (any other row is not `me`'s any more: `me` must not send it).
- `mark_sent`: one row 'sent' right after the relay's 250, only while it is `me`'s claim,
  without loading it (the ORM's `finish_claimed` reads the row first), in one statement;
  `Marks` writes it on a connection the batch holds in autocommit: one round trip a mark.
- `release`: the rows `me` still holds back to 'retry', due at once (a stopped worker).

PostgreSQL only (the workers' database): leases and retry times against `now()`, the
database's clock. Core statements on the caller's connection, in its transaction.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from nudger.store.outbox_rows import log
from nudger.store.scope import ALL_SEEKERS
from nudger.when.times import as_utc


@dataclass(frozen=True)
class Wanted:
    """One (seeker, recipient, day) of a batch, and the Message-ID its row gets if it has
    none yet (a row claimed for the first time)."""

    seeker_id: int
    recipient: str
    local_date: date
    new_message_id: str


@dataclass(frozen=True)
class BatchClaim:
    """A row `claim_batch` took: now 'sending', `me`'s."""

    id: int
    seeker_id: int
    recipient: str
    local_date: date
    message_id: str
    attempts: int
    created_at: datetime
    previous: str  # its state before the claim


_CLAIM = f"""
WITH wanted AS (
  SELECT * FROM unnest(CAST(:sids AS bigint[]), CAST(:recipients AS text[]),
                       CAST(:days AS date[]), CAST(:mids AS text[]))
    AS w(seeker_id, recipient, local_date, new_id)),
found AS (
  SELECT x.id, x.previous, x.was, x.held, w.new_id FROM wanted w CROSS JOIN LATERAL (
    SELECT d.id, d.state AS previous, d.claimed_by AS was,
           COALESCE(d.lease_until, d.updated_at + CAST(:lease AS interval)) AS held
    FROM digest d {ALL_SEEKERS}
    WHERE d.seeker_id = w.seeker_id AND d.recipient = w.recipient
      AND d.local_date = w.local_date
      AND (d.state = 'pending'
           OR (d.state = 'retry' AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= now()))
           OR (d.state = 'sending'
               AND COALESCE(d.lease_until, d.updated_at + CAST(:lease AS interval)) <= now()))
    FOR UPDATE SKIP LOCKED) x)
UPDATE digest d SET state = 'sending', attempts = d.attempts + 1, claimed_by = :me,
  lease_until = now() + CAST(:lease AS interval), updated_at = :stamp,
  next_attempt_at = NULL,
  message_id = CASE WHEN d.message_id = '' THEN f.new_id ELSE d.message_id END
FROM found f WHERE d.id = f.id
RETURNING d.id, d.seeker_id, d.recipient, d.local_date, d.message_id, d.attempts,
  d.created_at, f.previous, f.was, f.held
"""


def claim_batch(connection: Connection, wanted: Sequence[Wanted], now: datetime, *,
                me: str, lease: timedelta) -> list[BatchClaim]:
    """Claim for `me`, until `lease` from the database's clock, every row of `wanted` that
    may be claimed now, in one statement; the rows taken, by id. A row another claimer
    holds (locked this moment, or 'sending' under a lease still running), a row recorded
    (sent, failed, skipped) or a retry not yet due is left as it is; a 'sending' row whose
    lease ran out is taken over (logged: it is resent with the same Message-ID)."""
    if not wanted:
        return []
    found = connection.execute(text(_CLAIM), {
        "sids": [w.seeker_id for w in wanted], "recipients": [w.recipient for w in wanted],
        "days": [w.local_date for w in wanted], "mids": [w.new_message_id for w in wanted],
        "lease": lease, "me": me, "stamp": as_utc(now)}).all()
    claims = []
    for row_id, seeker_id, recipient, day, message_id, attempts, created, previous, was, \
            held in sorted(found):
        if previous == "sending":
            log.warning("digest of %s: the lease of %s ran out at %s; %s takes it over and "
                        "resends it with the same Message-ID %s", day,
                        was or "an earlier claimer",
                        as_utc(held).isoformat(timespec="seconds"), me, message_id)
        claims.append(BatchClaim(int(row_id), int(seeker_id), str(recipient), day,
                                 str(message_id), int(attempts), created, str(previous)))
    return claims


def renew_batch(connection: Connection, ids: Sequence[int], now: datetime, *, me: str,
                lease: timedelta) -> set[int]:
    """Extend `me`'s lease on the rows `ids` that are still 'sending' and `me`'s, from the
    database's clock, in one UPDATE; the ids renewed (the others are no longer `me`'s:
    taken over after the lease ran out, `me` must not send them)."""
    if not ids:
        return set()
    found = connection.execute(text(
        f"UPDATE digest {ALL_SEEKERS} SET lease_until = now() + CAST(:lease AS interval), "
        "updated_at = :stamp WHERE id = ANY(CAST(:ids AS bigint[])) AND state = 'sending' "
        "AND claimed_by = :me RETURNING id"),
        {"ids": list(ids), "lease": lease, "stamp": as_utc(now), "me": me}).scalars()
    return {int(i) for i in found}


# The mark, with the earlier failed rows the digest told of marked as told, in ONE statement:
# a worker marks a digest right after the relay's 250, and one round trip (no BEGIN, no
# COMMIT: the statement is its own transaction) is what that costs. Written again after a
# lost connection, it finds its own mark ('sent', the same Message-ID, still `me`'s) and says
# so: the row stays as it was.
_MARK = f"""
WITH m AS (
  UPDATE digest {ALL_SEEKERS} SET state = 'sent', sent_at = :stamp, updated_at = :stamp,
    last_error = '', last_code = NULL, next_attempt_at = NULL, uncertain = false,
    lease_until = NULL, message_id = :mid, nudges = :nudges
  WHERE id = :id AND claimed_by = :me
    AND (state = 'sending' OR (state = 'sent' AND message_id = :mid))
  RETURNING local_date),
told AS (
  UPDATE digest {ALL_SEEKERS} SET reported_in = (SELECT local_date FROM m)
  WHERE id = ANY(CAST(:ids AS bigint[])) AND reported_in IS NULL
    AND EXISTS (SELECT 1 FROM m))
SELECT local_date FROM m
"""


def mark_sent(connection: Connection, row_id: int, now: datetime, *, me: str,
              message_id: str, nudges: int, reported: Sequence[int] = ()) -> bool:
    """Row `row_id` 'sent' (the relay said 250) when it is still `me`'s claim, and the
    earlier failed rows it told of (`reported`) marked as told, in one statement; whether
    the row was `me`'s (False: taken over after the lease ran out; nothing written,
    logged)."""
    found = connection.execute(text(_MARK), {
        "stamp": as_utc(now), "mid": message_id, "nudges": nudges, "id": row_id, "me": me,
        "ids": list(reported)}).first()
    if found is None:  # the row as it is now, to say whose it is (the rare path)
        now_row = connection.execute(text(
            f"SELECT local_date, state, claimed_by FROM digest {ALL_SEEKERS} WHERE id = :id"),
            {"id": row_id}).first()
        if now_row is None:
            log.warning("digest row %s is gone; %s may not mark it sent", row_id, me)
        else:
            log.warning("digest of %s: %s may no longer mark it sent: its lease ran out and "
                        "the row is now %s by %s; Message-ID %s", now_row[0], me, now_row[1],
                        now_row[2] or "nobody", message_id)
        return False
    return True


class Marks:
    """The connection a worker marks its digests on: held (taken on the first mark, given
    back by `close`), in autocommit, so that a mark is one round trip; one for all the
    worker's batches, whatever its `--concurrency` (a mark takes a fraction of a
    millisecond: the threads that write them take turns). A connection lost meanwhile (the
    database restarted) is noticed by the mark that used it, which is written once more on
    a new one (the statement finds its own earlier mark, if that one was written)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._connection: Connection | None = None
        self._turn = threading.Lock()

    def mark_sent(self, row_id: int, now: datetime, *, me: str, message_id: str,
                  nudges: int, reported: Sequence[int] = ()) -> bool:
        from sqlalchemy.exc import DBAPIError

        with self._turn:
            for last in (False, True):
                connection = self._connect()
                try:
                    return mark_sent(connection, row_id, now, me=me, message_id=message_id,
                                     nudges=nudges, reported=reported)
                except DBAPIError as exc:
                    self._drop()
                    if last or not exc.connection_invalidated:
                        raise
            raise AssertionError("unreachable")  # pragma: no cover

    def _connect(self) -> Connection:
        if self._connection is None:
            self._connection = self.engine.connect().execution_options(
                isolation_level="AUTOCOMMIT")
        return self._connection

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.close()

    def close(self) -> None:
        """Give the connection back to the pool."""
        with self._turn:
            self._drop()


def release(connection: Connection, rows: Sequence[tuple[int, str, bool]], now: datetime,
            *, me: str, after: timedelta = timedelta(0)) -> list[tuple[int, date, str]]:
    """Give back the rows `me` still holds, each (id, why, uncertain): 'retry', due `after`
    from the database's clock (at once: a stopped worker), the Message-ID kept,
    `uncertain` when the message may have arrived. The rows given back (id, local date,
    Message-ID)."""
    if not rows:
        return []
    found = connection.execute(text(
        f"UPDATE digest d {ALL_SEEKERS} SET state = 'retry', "
        "next_attempt_at = now() + CAST(:after AS interval), "
        "lease_until = NULL, updated_at = :stamp, last_error = r.why, "
        "uncertain = d.uncertain OR r.uncertain "
        "FROM unnest(CAST(:ids AS bigint[]), CAST(:whys AS text[]), "
        "CAST(:uncertain AS boolean[])) AS r(id, why, uncertain) "
        "WHERE d.id = r.id AND d.state = 'sending' AND d.claimed_by = :me "
        "RETURNING d.id, d.local_date, d.message_id"),
        {"ids": [r[0] for r in rows], "whys": [r[1] for r in rows],
         "uncertain": [r[2] for r in rows], "stamp": as_utc(now), "me": me,
         "after": after}).all()
    return [(int(i), day, str(message_id)) for i, day, message_id in found]
