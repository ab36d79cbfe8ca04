"""nudger's tasks on procrastinate, thin: each hands over to the worker's `Runtime`
(workers/run.py), which procrastinate passes in the job's context.

- `nudger.tick`, periodic, every minute: what is due now (workers/tick.py, through
  workers/run.py's `Runtime.tick`).
  procrastinate's UNIQUE (task, periodic id, timestamp) key defers each minute's run once,
  however many workers run.
- `nudger.send_digest(seeker_id, local_date)`: one seeker's digest of one day, exactly once
  whatever the queue does (send/leased.py).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from procrastinate import App, JobContext

    from nudger.send.outbox import OutboxResult

QUEUE = "nudger"
TICK = "nudger.tick"
SEND = "nudger.send_digest"
EVERY_MINUTE = "* * * * *"
# A send job's queueing lock: one job per seeker and day waits in the queue at most.
LOCK_PREFIX = "digest:"


def send_lock(seeker_id: int, local_date: date) -> str:
    return f"{LOCK_PREFIX}{seeker_id}:{local_date.isoformat()}"


class Runtime(Protocol):
    """What a worker process gives its tasks (workers/run.py, `Runtime`)."""

    async def tick(self, app: App, now: datetime) -> Any: ...
    async def send(self, seeker_id: int, local_date: date) -> OutboxResult: ...


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
