"""`nudger status --workers`: the workers of a PostgreSQL database as an operator sees them.

- the workers procrastinate knows (`procrastinate_workers`: an id and the last heartbeat,
  which a worker writes every `HEARTBEAT_S` seconds; a worker stopped cleanly deletes its
  row; a killed one leaves it behind until the next worker starts and prunes it). A
  heartbeat older than `STALLED_AFTER_S` is a worker that stopped responding: its running
  jobs are retried by the others (workers/tick.py, `retry_stalled`);
- the queue's backlog: jobs waiting ('todo') and running ('doing'), per task;
- today's digests from the outbox (`digest` rows of today's local date): sent, failed and
  pending ('pending': handed to the queue, 'retry' or 'sending') per local hour (of the
  send, of the failure, of the recording);
- the oldest pending digest, with how long it has waited since it was recorded.

Heartbeat ages are read against the database server's clock (procrastinate writes them with
NOW()); the outbox's waits against `now`, the caller's clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from nudger.when.times import as_utc

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from nudger.store.db import Database

# procrastinate's worker defaults (`update_heartbeat_interval`, `stalled_worker_timeout`),
# passed explicitly by workers/run.py so that this view and the workers agree.
HEARTBEAT_S = 10.0
STALLED_AFTER_S = 30.0

PENDING_STATES = ("pending", "retry", "sending")


@dataclass(frozen=True)
class WorkerInfo:
    id: int  # procrastinate's worker id (nudger's own id, host:pid:random, is in the log)
    last_heartbeat: datetime
    age: timedelta  # since the last heartbeat, by the database's clock
    running: int  # jobs it holds in 'doing'

    @property
    def alive(self) -> bool:
        return self.age.total_seconds() <= STALLED_AFTER_S

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "alive": self.alive,
                "last_heartbeat": self.last_heartbeat.isoformat(),
                "seconds_since_heartbeat": round(self.age.total_seconds(), 1),
                "running": self.running}


@dataclass(frozen=True)
class HourCounts:
    hour: datetime  # the local hour's start (aware, the config's zone)
    sent: int = 0
    failed: int = 0
    pending: int = 0

    def as_json(self) -> dict[str, Any]:
        return {"hour": self.hour.isoformat(), "sent": self.sent, "failed": self.failed,
                "pending": self.pending}


@dataclass(frozen=True)
class OldestPending:
    local_date: date
    state: str
    attempts: int
    since: datetime  # recorded: first claimed, or queued by the tick (aware UTC)
    waited: timedelta
    error: str

    def as_json(self) -> dict[str, Any]:
        return {"local_date": self.local_date.isoformat(), "state": self.state,
                "attempts": self.attempts, "since": self.since.isoformat(),
                "waited_seconds": int(self.waited.total_seconds()), "error": self.error}


@dataclass(frozen=True)
class WorkersStatus:
    today: date
    workers: list[WorkerInfo]
    backlog: dict[str, dict[str, int]]  # task name -> {"todo": n, "doing": n}
    hours: list[HourCounts]
    oldest_pending: OldestPending | None

    @property
    def alive(self) -> list[WorkerInfo]:
        return [w for w in self.workers if w.alive]

    @property
    def stalled(self) -> list[WorkerInfo]:
        return [w for w in self.workers if not w.alive]

    def totals(self) -> dict[str, int]:
        return {key: sum(getattr(h, key) for h in self.hours)
                for key in ("sent", "failed", "pending")}

    def as_json(self) -> dict[str, Any]:
        return {"today": self.today.isoformat(),
                "stalled_after_seconds": STALLED_AFTER_S,
                "workers": [w.as_json() for w in self.workers],
                "alive": len(self.alive),
                "backlog": self.backlog,
                "digests": {**self.totals(), "per_hour": [h.as_json() for h in self.hours]},
                "oldest_pending": self.oldest_pending.as_json() if self.oldest_pending
                else None}


def alive_count(db: Database) -> int:
    """How many workers have heart-beaten within STALLED_AFTER_S (by the database's clock):
    those sharing the relay's rate limit (send/pool.py, `Relay.share`)."""
    from sqlalchemy import text

    with db.read_session() as s:
        return int(s.execute(text(
            "SELECT count(*) FROM procrastinate_workers WHERE last_heartbeat > "
            "NOW() - make_interval(secs => :stalled)"), {"stalled": STALLED_AFTER_S}
        ).scalar_one())


def workers_status(db: Database, zone: ZoneInfo, today: date, now: datetime) -> WorkersStatus:
    """Read everything in one read-only transaction (one snapshot)."""
    from sqlalchemy import text

    with db.read_session() as s:
        workers = [
            WorkerInfo(id=int(wid), last_heartbeat=as_utc(beat), age=age,
                       running=int(running))
            for wid, beat, age, running in s.execute(text(
                "SELECT w.id, w.last_heartbeat, NOW() - w.last_heartbeat, "
                "count(j.id) FROM procrastinate_workers w "
                "LEFT JOIN procrastinate_jobs j ON j.worker_id = w.id AND j.status = 'doing' "
                "GROUP BY w.id, w.last_heartbeat ORDER BY w.id")).all()]
        backlog: dict[str, dict[str, int]] = {}
        for task, status, count in s.execute(text(
                "SELECT task_name, status::text, count(*) FROM procrastinate_jobs "
                "WHERE status IN ('todo', 'doing') GROUP BY task_name, status "
                "ORDER BY task_name")).all():
            backlog.setdefault(str(task), {"todo": 0, "doing": 0})[str(status)] = int(count)
        # Stored moments are naive UTC: bucket by the UTC hour in SQL (an index-friendly
        # GROUP BY however many seekers), then by the local hour here (zones whose offset
        # is not whole hours keep their own hour starts, e.g. 05:30).
        buckets = s.execute(text(
            "SELECT date_trunc('hour', CASE state WHEN 'sent' THEN coalesce(sent_at, "
            "updated_at) WHEN 'failed' THEN updated_at ELSE created_at END) AS hour, "
            "state, count(*) FROM digest WHERE local_date = :today "
            "AND state IN ('sent', 'failed', 'pending', 'retry', 'sending') GROUP BY 1, 2"),
            {"today": today}).all()
        oldest = s.execute(text(
            "SELECT local_date, state, attempts, created_at, last_error FROM digest "
            "WHERE state IN ('pending', 'retry', 'sending') ORDER BY local_date, created_at, id "
            "LIMIT 1")).first()
    return WorkersStatus(today=today, workers=workers, backlog=backlog,
                         hours=_per_hour(buckets, zone),
                         oldest_pending=_oldest(oldest, now))


def _per_hour(buckets: Any, zone: ZoneInfo) -> list[HourCounts]:
    counts: dict[datetime, dict[str, int]] = {}
    for hour, state, count in buckets:
        local = as_utc(hour).astimezone(zone)
        key = "pending" if state in PENDING_STATES else str(state)
        slot = counts.setdefault(local, {"sent": 0, "failed": 0, "pending": 0})
        slot[key] += int(count)
    return [HourCounts(hour, **values) for hour, values in sorted(counts.items())]


def _oldest(row: Any, now: datetime) -> OldestPending | None:
    if row is None:
        return None
    local_date, state, attempts, created_at, error = row
    since = as_utc(created_at)
    return OldestPending(local_date=local_date, state=str(state), attempts=int(attempts),
                         since=since, waited=max(as_utc(now) - since, timedelta(0)),
                         error=str(error or ""))


def duration(span: timedelta) -> str:
    """`3 d 4 h`, `2 h 5 min`, `4 min`, `12 s`: how long, to the two largest units."""
    seconds = int(span.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"
