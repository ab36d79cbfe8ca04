"""What the outbox holds, in the user's words: `nudger status` (`outbox_status`) and the
one-line `describe` of a recorded day (for `status` and for a send that finds the day
recorded already)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from nudger.store.outbox import Outbox
from nudger.when.times import as_utc
from nudger.when.times import local as to_local

if TYPE_CHECKING:
    from nudger.config import Settings
    from nudger.store.db import Database
    from nudger.store.models import DigestRecord


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
    from nudger.when.schedule import local_date

    today = local_date(now, settings)
    rows = Outbox(db, settings.recipient).status(today, today - timedelta(days=14))
    return OutboxStatus(
        today=_info(rows.today) if rows.today else None,
        last_sent=_info(rows.last_sent) if rows.last_sent else None,
        retrying=[_info(r) for r in rows.retrying],
        sending=[_info(r) for r in rows.sending],
        failed=[_info(r) for r in rows.failed],
    )


def _info(r: DigestRecord) -> DigestInfo:
    return DigestInfo(
        local_date=r.local_date, state=r.state, message_id=r.message_id,
        attempts=r.attempts, nudges=r.nudges, code=r.last_code, error=r.last_error,
        uncertain=r.uncertain,
        next_attempt_at=as_utc(r.next_attempt_at) if r.next_attempt_at else None,
        sent_at=as_utc(r.sent_at) if r.sent_at else None, updated_at=as_utc(r.updated_at),
    )


def status_line(info: DigestInfo, at: Callable[[datetime | None], str]) -> str:
    """Where a day's digest stands, for `nudger status` (`at` formats a moment)."""
    if info.state == "sent":
        return f"sent at {at(info.sent_at)} ({info.nudges} nudges)"
    if info.state == "retry":
        return f"waiting to retry at {at(info.next_attempt_at)}: {info.error}"
    if info.state == "failed":
        return f"failed: {info.error}"
    if info.state == "skipped":
        return f"skipped: {info.error}"
    return f"{info.state} since {at(info.updated_at)}"


def describe(record: DigestRecord, zone: Any) -> str:
    """One line on a recorded day, for ALREADY and for `status`."""
    def local(moment: datetime | None) -> str:
        found = to_local(moment, zone)
        return found.strftime("%Y-%m-%d %H:%M") if found else "?"

    day = record.local_date.isoformat()
    if record.state == "sent":
        return f"the digest of {day} was sent at {local(record.sent_at)} " \
            f"(Message-ID {record.message_id}); --force sends it again as a new message"
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
