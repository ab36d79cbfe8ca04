"""`nudger worker`: one procrastinate worker process serving nudger's tasks.

A worker connects to the configured PostgreSQL database, keeps one relay connection for all
its sends (send/pool.py) and runs the tasks of workers/tasks.py with `concurrency` of them
at once. Every worker runs the same code; they share the work through the queue and the
outbox, and any of them may die at any moment (send/leased.py says why nothing is sent
twice or lost).

The tick (every minute, deferred once per minute whichever worker's clock gets there first;
workers/tick.py): every seeker whose digest is due gets its outbox row, and a batch of them
their `send_digests(batch)` job, in one transaction (the single user's by the daemon's
rules); rows waiting to be resent (due retries, expired leases, jobs lost) are handed out
again; jobs of workers that stopped heart-beating are retried. A missed minute or a dead
worker heals by itself on the next tick.
Each worker also ticks once as it starts, so a worker replacing a dead one does not wait
for the next minute.

The database going away (a restart, a failover) stops procrastinate's worker; `nudger worker`
logs it and serves again once the database is back, so a restart leaves every worker running.

SIGTERM or SIGINT: the worker stops fetching jobs, lets running ones finish for up to
`GRACE_S` seconds, then cancels them (each gives its claim back, send/leased.py), and exits
0 within 10 seconds.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from nudger.workers.app import make_app, require_postgres, worker_id
from nudger.workers.status import HEARTBEAT_S, STALLED_AFTER_S
from nudger.workers.tasks import QUEUE
from nudger.workers.tick import JobWriter, tick

if TYPE_CHECKING:
    from procrastinate import App

    from nudger.config import ConfigLocation, Settings
    from nudger.send.outbox import OutboxResult
    from nudger.send.pool import Relay
    from nudger.store.db import Database
    from nudger.when.business import Calendar

log = logging.getLogger("nudger.worker")

# Seconds running jobs get to finish after SIGTERM before they are cancelled; the claims
# are given back within the rest of the 10 s a stop may take (systemd's TimeoutStopSec in
# the unit is longer).
GRACE_S = 5.0
# The collector's thresholds in a worker (gc.set_threshold), see `serve`.
GC_THRESHOLDS = (50_000, 20, 100)
# Seconds before a worker that lost the database serves again (its connection pool keeps
# reconnecting meanwhile).
RESERVE_S = 2.0


def utcnow() -> datetime:
    return datetime.now(UTC)


class Runtime:
    """What the tasks of one worker process share: settings, database, relay, its id."""

    def __init__(self, settings: Settings, db: Database, calendar: Calendar, relay: Relay,
                 me: str, *, lease: timedelta, clock: Callable[[], datetime] = utcnow,
                 concurrency: int = 1) -> None:
        self.settings, self.db, self.calendar, self.relay = settings, db, calendar, relay
        self.me, self.lease, self.clock = me, lease, clock
        self.concurrency = concurrency  # digests of a batch in flight at once
        self.jobs = JobWriter()
        from nudger.store.outbox_batch import Marks

        # The worker's one connection for its digests' marks (store/outbox_batch.py)
        self.marks = Marks(db.engine)

    async def send(self, seeker_id: int, local_date: date) -> OutboxResult:
        from nudger.send.leased import send_leased

        return await send_leased(self.settings, self.db, self.calendar, seeker_id,
                                 local_date, me=self.me, lease=self.lease, relay=self.relay,
                                 clock=self.clock)

    async def send_batch(self, batch: list[tuple[int, date]]) -> list[OutboxResult]:
        from nudger.send.leased_batch import send_batch

        return await send_batch(self.settings, self.db, self.calendar, batch, me=self.me,
                                lease=self.lease, relay=self.relay, clock=self.clock,
                                concurrency=self.concurrency, marks=self.marks)

    async def tick(self, app: App, now: datetime) -> list[tuple[int, date]]:
        """Defer what is due at `now` (workers/tick.py); the (seeker, date) pairs deferred."""
        report = await tick(app, self.settings, self.db, now, self.jobs)
        return report.deferred


# --- the entry point the command calls -------------------------------------------------------

def serve(location: ConfigLocation, env: Mapping[str, str], *, concurrency: int = 1) -> int:
    """Load and check everything, then run one worker until SIGTERM/SIGINT. A broken
    config, template or an SQLite database raises ConfigError (exit 78)."""
    from nudger.config import load_settings
    from nudger.daemon.logs import setup_logging
    from nudger.daemon.run import validate
    from nudger.store.engine import open_database
    from nudger.when import holidays as holidaycache
    from nudger.when.business import Calendar

    holidaycache.configure(holidaycache.cache_path(env))
    settings = load_settings(location)
    require_postgres(settings)
    validate(settings)
    logger = setup_logging(settings.log_level, env)
    _adopt_procrastinate_logs(logger)
    db = open_database(settings, env)
    db.ensure(create=True)  # one transaction under an advisory lock (store/pg.py)
    calendar = Calendar.from_settings(settings)
    # What start-up loaded (modules, templates, config, the database's metadata) lives as
    # long as the process: out of the collector's way, so that its full collections walk
    # only what the digests make (they walked the whole heap, every few hundred digests).
    gc.collect()
    gc.freeze()
    # A digest makes tens of thousands of short-lived objects (templates' output, the
    # message's parts, rows), nearly all freed by reference counting; at the default
    # threshold (700) the collector ran several young collections per digest, and a full
    # one every few hundred. Collecting young objects every 50,000 allocations instead cut
    # about 6% of a worker's CPU per digest for about 10 MB more memory (bench/b_workers.py,
    # four interleaved pairs of 1,500 digests).
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        return asyncio.run(_serve(settings, env, db, calendar, concurrency))
    finally:
        db.dispose()


async def _serve(settings: Settings, env: Mapping[str, str], db: Database,
                 calendar: Calendar, concurrency: int) -> int:
    from nudger.daemon.notify import Notifier
    from nudger.send.outbox import stale_after
    from nudger.send.pool import Relay
    from nudger.store.pg import PgDatabase

    assert isinstance(db, PgDatabase)
    me = worker_id()
    notifier = Notifier(env)
    app = make_app(db, pool_size=concurrency + 3)
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(stray_error_logger(me))
    async with app.open_async(), Relay(settings, env, data_dir=db.path.parent) as relay:
        runtime = Runtime(settings, db, calendar, relay, me, lease=stale_after(settings),
                          concurrency=concurrency)
        stopping = asyncio.Event()

        def start() -> asyncio.Task[None]:
            return asyncio.create_task(app.run_worker_async(
                queues=[QUEUE], name=me, concurrency=concurrency, wait=True,
                shutdown_graceful_timeout=GRACE_S, install_signal_handlers=False,
                update_heartbeat_interval=HEARTBEAT_S, stalled_worker_timeout=STALLED_AFTER_S,
                delete_jobs="successful", additional_context={"nudger": runtime}))

        worker = start()
        # A tick of our own at start: procrastinate defers a periodic task on start only if
        # no worker deferred that minute's run yet, so a worker that replaces a dead one
        # would otherwise wait up to a minute to find what the dead one left. A task, so that
        # a stop does not wait for a large start-up minute (each of its steps is its own
        # transaction: one cut short is done again by the next minute's tick).
        first_tick = asyncio.create_task(runtime.tick(app, utcnow()))

        def stop(signum: int) -> None:
            log.info("worker %s: %s received; finishing the jobs in progress (at most %g s)",
                     me, signal.Signals(signum).name, GRACE_S)
            notifier.stopping()
            stopping.set()
            worker.cancel()
            first_tick.cancel()

        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop, signum)
        pinger = _watchdog(notifier)
        sharing = asyncio.create_task(_share_the_relay(relay, db)) if relay.per_minute \
            else None
        try:
            await first_tick
        except asyncio.CancelledError:
            if not stopping.is_set():
                raise
        except Exception as exc:
            log.warning("worker %s: the start-up tick failed (%s); the next minute's tick "
                        "tries again", me, exc)
        if not stopping.is_set():
            log.info("worker %s started on %s (%d at a time), sending through %s", me,
                     db.where, concurrency, relay.where)
            notifier.ready(f"worker {me}")
        try:
            while True:
                why = await _until_it_ends(worker)
                if stopping.is_set():
                    break
                # procrastinate's worker stops itself when it loses the database (a restart,
                # a failover, a cut connection: its listener fails); ending here would leave
                # the machine without a worker (exit 0: systemd restarts only failures).
                log.warning("worker %s: lost the database (%s); serving again in %g s",
                            me, why, RESERVE_S)
                try:
                    await asyncio.wait_for(stopping.wait(), RESERVE_S)
                    break
                except TimeoutError:
                    worker = start()
        finally:
            for helper in (pinger, sharing):
                if helper is not None:
                    helper.cancel()
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(signum)
            runtime.marks.close()
    log.info("worker %s stopped (%d sent over %d reconnects)", me, relay.sent,
             relay.reconnects)
    return 0


async def _until_it_ends(worker: asyncio.Task[None]) -> str:
    """Wait for procrastinate's worker to end: why it did. It ends by itself when one of
    its side tasks (listener, heartbeat, periodic deferrer) lost the database, and raises
    ConnectorException when it cannot register on it (the database still down); anything
    else is a bug and propagates (the worker exits 1 and systemd restarts it)."""
    from procrastinate.exceptions import ConnectorException

    try:
        await worker
    except asyncio.CancelledError:
        return "stopped"
    except ConnectorException as exc:
        cause = exc.__cause__
        return " ".join(str(cause or exc).split()) or type(exc).__name__
    return "its connection to the database failed"


def stray_error_logger(me: str) -> Callable[[asyncio.AbstractEventLoop, dict[str, Any]],
                                               None]:
    """The event loop's handler for an exception nobody awaited, as one log line instead of
    asyncio's traceback. procrastinate leaves one when a worker that stopped responding
    for over `STALLED_AFTER_S` (frozen, cut off) comes back: the others retried its job
    meanwhile, so its own record of the job's end finds the job gone."""
    def handle(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        error = context.get("exception")
        task = context.get("future") or context.get("task")
        what = task.get_name() if isinstance(task, asyncio.Task) else "a task"
        cause = error.__cause__ if error is not None and error.__cause__ is not None \
            else error
        why = " ".join(str(cause).split()) if cause is not None else ""
        log.warning("worker %s: %s failed: %s", me, what,
                    why or str(context.get("message", "")))
    return handle


async def _share_the_relay(relay: Relay, db: Database) -> None:
    """Every heartbeat: pace this worker at its share of `[smtp] max_per_minute`, the
    relay's limit, by how many workers are alive (a worker that joins or dies changes
    everyone's share within HEARTBEAT_S)."""
    from nudger.workers.status import alive_count

    while True:
        try:
            workers = await asyncio.to_thread(alive_count, db)
        except Exception as exc:  # the database gone for a moment: keep the last share
            log.warning("cannot count the workers sharing the relay (%s); keeping one "
                        "message every %.2f s", exc, relay.interval)
        else:
            if relay.share(workers):
                log.info("%d workers share %s's limit of %d a minute: this one sends one "
                         "message every %.2f s", relay.sharers, relay.where,
                         relay.per_minute, relay.interval)
        await asyncio.sleep(HEARTBEAT_S)


def _watchdog(notifier: Any) -> asyncio.Task[None] | None:
    interval = notifier.watchdog_interval
    if interval is None:
        return None

    async def ping() -> None:
        while True:
            notifier.watchdog()
            await asyncio.sleep(interval)

    return asyncio.create_task(ping())


def _adopt_procrastinate_logs(logger: logging.Logger) -> None:
    """procrastinate's and its connection pool's warnings and errors (a job that raised, a
    lost connection, a failed reconnect) in nudger's log format; their chatter stays out."""
    for name in ("procrastinate", "psycopg.pool"):
        queue = logging.getLogger(name)
        queue.setLevel(logging.WARNING)
        queue.propagate = False
        queue.handlers = list(logger.handlers)
