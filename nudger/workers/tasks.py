"""nudger's tasks on procrastinate, thin: each hands over to the worker's `Runtime`
(workers/run.py), which procrastinate passes in the job's context.

- `nudger.tick`, periodic, every minute: what is due now (workers/tick.py, through
  workers/run.py's `Runtime.tick`).
  procrastinate's UNIQUE (task, periodic id, timestamp) key defers each minute's run once,
  however many workers run.
- `nudger.send_digests(batch=[[seeker_id, "YYYY-MM-DD"], ...])`: the digests of a batch of
  up to `JOB_BATCH` seekers, each exactly once whatever the queue does (send/leased_batch.py:
  the batch claimed, read and marked in a few set-based statements). The tick and the
  resends defer these.
- `nudger.send_digest(seeker_id, local_date)`: one seeker's digest of one day
  (send/leased.py). Nothing defers it any more; it stays registered so that the jobs a
  queue still holds from before the upgrade to batches are served.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from procrastinate import App, JobContext

    from nudger.send.outbox import OutboxResult

QUEUE = "nudger"
TICK = "nudger.tick"
SEND = "nudger.send_digest"  # one seeker (the jobs of earlier versions)
SEND_BATCH = "nudger.send_digests"
# Seekers per send job: enough that the queue's own work (fetching, finishing a job: a few
# round trips and PL/pgSQL each) is spread over many digests, few enough that the batches
# of a large minute spread over every worker and a stopped worker gives little back.
JOB_BATCH = 100
EVERY_MINUTE = "* * * * *"
class Runtime(Protocol):
    """What a worker process gives its tasks (workers/run.py, `Runtime`)."""

    async def tick(self, app: App, now: datetime) -> Any: ...
    async def send(self, seeker_id: int, local_date: date) -> OutboxResult: ...
    async def send_batch(self, batch: list[tuple[int, date]]) -> list[OutboxResult]: ...


def runtime_of(context: JobContext) -> Runtime:
    runtime: Runtime = context.additional_context["nudger"]
    return runtime


def register(app: App) -> None:
    """Register the tasks on `app`."""

    @app.periodic(cron=EVERY_MINUTE, periodic_id="tick")
    @app.task(name=TICK, queue=QUEUE, pass_context=True)
    async def tick(context: JobContext, timestamp: int) -> None:
        await runtime_of(context).tick(context.app, datetime.fromtimestamp(timestamp, UTC))

    @app.task(name=SEND, queue=QUEUE, pass_context=True)
    async def send_digest(context: JobContext, seeker_id: int, local_date: str) -> Any:
        result = await runtime_of(context).send(seeker_id, date.fromisoformat(local_date))
        return {"outcome": str(result.outcome), "message_id": result.message_id}

    @app.task(name=SEND_BATCH, queue=QUEUE, pass_context=True)
    async def send_digests(context: JobContext, batch: list[list[Any]]) -> Any:
        results = await runtime_of(context).send_batch(
            [(int(seeker_id), date.fromisoformat(day)) for seeker_id, day in batch])
        counts: dict[str, int] = {}
        for result in results:
            counts[str(result.outcome)] = counts.get(str(result.outcome), 0) + 1
        return counts
