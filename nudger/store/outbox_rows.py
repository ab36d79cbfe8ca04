"""A digest row's transitions, shared by the daemon's claims (store/outbox.py) and the
workers' leased ones (store/outbox_lease.py): what a claim returns, the move to 'sending',
an attempt's outcome, and superseding an older day. Each runs inside the caller's
transaction on a row it has read; none opens a session."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from sqlmodel import Session

    from nudger.store.models import DigestRecord

# The outbox's log lines (supersedes, takeovers) keep the name the delivery flow logs under.
log = logging.getLogger("nudger.outbox")

Stale = Callable[["DigestRecord"], bool]


class Claimed(NamedTuple):
    record: DigestRecord  # now 'sending', claimed by us
    previous: str  # its state before ("" for a new row)
    previous_id: str = ""  # its Message-ID before ("" for a new row)


class Refused(NamedTuple):
    record: DigestRecord | None  # the row that was there (None: another process won)
    busy: bool  # True: another process is sending it right now


def mid(record: DigestRecord) -> str:
    """The record's Message-ID for a log line (none yet: it failed before composing)."""
    return record.message_id or "(none yet: not composed)"


def apply_outcome(s: Session, record: DigestRecord, stamp: datetime, *, state: str, error: str,
           code: int | None, message_id: str | None, next_attempt_at: datetime | None,
           uncertain: bool | None, reported: Sequence[int], keep_sent_at: bool = False
           ) -> None:
    """Write an attempt's outcome into `record` (and mark the `reported` failed rows as
    told in this digest), inside the caller's transaction."""
    from nudger.store.models import DigestRecord

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


def mark_sending(record: DigestRecord, stamp: datetime, me: str) -> None:
    record.state = "sending"
    record.attempts += 1
    record.claimed_by = me
    record.updated_at = stamp
    record.next_attempt_at = None


def supersede(record: DigestRecord, by: str, stamp: datetime) -> None:
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
                record.last_error, mid(record))
