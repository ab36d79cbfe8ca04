"""`nudger run`: the daemon that sends exactly one digest per local date: the scheduler's
wake-ups, signals, reload and the entry point. The passes it runs are in
nudger.daemon.digestpass (the digest, with its pure decision in nudger.daemon.decide),
nudger.daemon.mailpass (the mailbox) and nudger.calendar.sync (`CalendarPass`); on a
database of several seekers, nudger.daemon.seekerpass (every seeker's digest at their own
time) in place of the single user's digest pass, mailbox and calendars.

APScheduler never sends anything itself; it only *wakes* `Daemon.ensure_digest(now)`,
which asks the pure `decide()` whether the digest of the latest digest day is due and not
yet recorded, and if so hands it to the outbox, whose UNIQUE (recipient, local date) key
makes a second wake-up a no-op. Three things wake it (docs/outbox.md, "The daemon's clock"):

- a cron job at `digest.time` on `digest.days` in the configured zone (run however late,
  coalesced, one at a time);
- an interval job every few minutes: it covers a suspend (asyncio's timers stop with the
  monotonic clock), a wall-clock jump, the fall-back hour's second firing and the day a
  midnight cron job skips after a spring-forward;
- start-up and every reload (catch-up: a digest missed while the machine was off goes
  out if `digest.catch_up` has not passed since its moment, otherwise it is recorded as
  skipped, never sent days late).

Signals arrive through `loop.add_signal_handler`: SIGHUP reloads config and templates
(validated first; a broken one is logged and the old one stays), SIGTERM/SIGINT stop
taking work, let the in-flight send finish, and exit 0. The daemon's modules and
`commands/` are the only places that read the clock.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from nudger.daemon.decide import WAKE_EVERY, clock_words
from nudger.daemon.digestpass import utcnow, validate
from nudger.daemon.mailpass import MailPass
from nudger.daemon.seekerpass import SEEKERS_WAKE, SeekerPass, serves_many
from nudger.errors import ConfigError, NudgerError
from nudger.when.schedule import next_digest_at

if TYPE_CHECKING:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from nudger.calendar.sync import CalendarPass
    from nudger.config import ConfigLocation, Settings
    from nudger.daemon.notify import Notifier
    from nudger.store.db import Database

# How long SIGTERM waits for an in-flight send before cancelling it (the outbox keeps its
# record, so a cancelled send is retried by the next start). systemd's stop timeout in
# the shipped units is longer than this.
STOP_GRACE_SECONDS = 8.0
# The soonest a retry wake-up is scheduled after a pass.
RETRY_FLOOR = timedelta(seconds=15)


# --- the daemon ---------------------------------------------------------------------------

class Daemon(MailPass):
    """One running `nudger run`: settings in force, the database, the scheduler, signals."""

    def __init__(
        self,
        location: ConfigLocation,
        env: Mapping[str, str],
        settings: Settings,
        db: Database,
        notifier: Notifier,
        log: logging.Logger,
        clock: Callable[[], datetime] = utcnow,
        *,
        many: bool = False,
    ) -> None:
        super().__init__(location, env, settings, db, notifier, log, clock)
        # `many`: every enabled seeker at their own time (nudger.daemon.seekerpass).
        self.seekers: SeekerPass | None = SeekerPass(self) if many else None
        self._scheduler: AsyncIOScheduler | None = None
        self._stop: asyncio.Event | None = None
        self._work_task: asyncio.Task[None] | None = None
        self._work_again = False
        self._reload_task: asyncio.Task[None] | None = None
        self._reload_again = False
        self._notify_failed = False
        # Made at the first calendar pass: nudger.calendar.sync costs ~150 modules, which a
        # daemon without [ics] path or [caldav] never imports.
        self._calendars: CalendarPass | None = None
        self._calendar_task: asyncio.Task[None] | None = None

    # --- the calendar pass (nudger.calendar.sync.CalendarPass) ------------------------------

    async def sync_calendars(self, now: datetime) -> None:
        """[ics] path and [caldav]: after the digest work of each pass, bring the file and
        the server in step. Every failure is logged and recorded for `status`; none
        stops the daemon or delays a digest (this runs after them)."""
        if self.seekers is not None or (self.settings.ics.path is None
                                        and self.settings.caldav is None):
            return
        from nudger.calendar.sync import CalendarPass

        if self._calendars is None:
            self._calendars = CalendarPass()
        try:
            await self._calendars.run(self.settings, self.db, self.calendar, self.env, now,
                                      self.log)
        except NudgerError as exc:
            self.log.error("calendar: %s", exc)
        except Exception as exc:
            self.log_unexpected(exc, "calendar update failed")

    def kick_calendars(self) -> None:
        """The [ics] file and the CalDAV push in their own task, apart from the digest's:
        a server that trickles (its push has caldav.deadline) never holds the next
        digest. One at a time: a push still running makes this a no-op."""
        if self._stopping or self.seekers is not None or (
                self.settings.ics.path is None and self.settings.caldav is None):
            return
        if self._calendar_task is not None and not self._calendar_task.done():
            self.log.debug("calendar: the previous update is still running; skipping")
            return
        self._calendar_task = asyncio.get_running_loop().create_task(
            self.sync_calendars(self.clock()))

    # --- the entry points: once, or serving ---------------------------------------------

    async def run_once(self) -> int:
        """`nudger run --once`: what is due now (catch-up rules included), retries, then
        the server passes, each with its own overall deadline, exit. The digest goes
        first: no mailbox or calendar server, however slow or hostile, delays it."""
        now = self.clock()
        await self.digest_work(now)
        if self.seekers is None and self.settings.imap is not None:
            await self._mail_pass()  # never raises: a failing mailbox is logged
        await self.sync_calendars(self.clock())
        failed = [r for r in self.outcomes if str(r.outcome) == "failed"]
        return 1 if failed else 0

    # --- the long-running loop ----------------------------------------------------------

    async def serve(self) -> int:
        loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        from nudger.digest import bounded

        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self.request_stop, signum)
            # A user's template renders in a bounded child that the loop waits for; a
            # stop kills it at once, so SIGTERM is honoured within its promise.
            bounded.abort_on_signal(signum)
        loop.add_signal_handler(signal.SIGHUP, self.request_reload)
        for signum in (signal.SIGUSR1, signal.SIGUSR2):
            # Their default action ends the process without a word: a stray `kill -USR1`
            # must not stop the daily digest.
            loop.add_signal_handler(signum, self.log_status, signum)

        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        self._scheduler = AsyncIOScheduler(event_loop=loop, timezone=self.settings.zone)
        self._build_jobs()
        self._scheduler.start()
        watchdog = None
        interval = self.notifier.watchdog_interval
        if interval:
            watchdog = loop.create_task(self._watchdog(interval))
        self.log.info("nudger daemon started (PID %d): database %s, config %s; %s",
                      os.getpid(), self.db.path, self.location.path, self._schedule_words())
        self.kick("start")  # catch-up
        if self.seekers is None:
            self.kick_mail()
        else:
            self.seekers.warn_one_seekers_parts()
        self._notify(self.notifier.ready(self.status_line()))

        await self._stop.wait()

        self._stopping = True
        self._notify(self.notifier.stopping())
        await self._finish_in_flight()
        self._scheduler.shutdown(wait=False)
        if watchdog is not None:
            watchdog.cancel()
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1,
                       signal.SIGUSR2):
            loop.remove_signal_handler(signum)
        self.log.info("nudger daemon stopped")
        return 0

    def log_status(self, signum: int) -> None:
        busy = self._work_task is not None and not self._work_task.done()
        self.log.info("%s received: ignored (SIGHUP reloads, SIGTERM stops); %s%s",
                      signal.Signals(signum).name, self.status_line(),
                      "; a digest pass is in progress" if busy else "")

    def request_stop(self, signum: int = signal.SIGTERM) -> None:
        if self._stop is None or self._stop.is_set():
            return
        busy = self._work_task is not None and not self._work_task.done()
        self.log.info("%s received: stopping%s", signal.Signals(signum).name,
                      ", after the send in progress" if busy else "")
        self._stop.set()
        self._stopping = True
        if self._mail_task is not None and not self._mail_task.done():
            # A mailbox pass may be waiting on a server that never answers: cut its
            # connection now (what it committed is kept), so the stop keeps its promise.
            from nudger.mail.imap.client import abort_all

            abort_all()

    def kick(self, reason: str) -> None:
        """Run the work (ensure_digest, retries) in our own task, one at a time.

        The scheduler's job only calls this: APScheduler's asyncio executor cancels running
        coroutine jobs at shutdown, so the send must live in a task we await ourselves.
        """
        if self._stopping:
            return
        if self._work_task is not None and not self._work_task.done():
            self._work_again = True  # the running pass may predate what woke us
            return
        self._work_task = asyncio.get_running_loop().create_task(self._work(reason))

    async def _wake(self, reason: str) -> None:
        self.kick(reason)

    async def _work(self, reason: str) -> None:
        while True:
            self._work_again = False
            now = self.clock()
            self.log.debug("woken (%s) at %s", reason, now.astimezone(self.settings.zone))
            try:
                await self.digest_work(now)
                self._schedule_retry()
                if not self._stopping:
                    self.kick_calendars()
            except NudgerError as exc:
                # One bad pass is reported; the next wake-up tries again.
                self.log.error("digest pass failed: %s", exc)
            except Exception as exc:
                self.log_unexpected(exc, "digest pass failed")
            self._notify(self.notifier.status(self.status_line()))
            if not self._work_again or self._stopping:
                return
            reason = "again"

    async def digest_work(self, now: datetime) -> None:
        """The digest (the single user's, or every due seeker's), then the retries due."""
        self.notice_seekers()
        if self.seekers is not None:
            await self.seekers.run(now)
            if not self._stopping:
                await self.seekers.retry_due(now)
            return
        await self.ensure_digest(now)
        if not self._stopping:
            await self.retry_due(now)

    def notice_seekers(self) -> None:
        """Seekers added to the database this daemon serves as the single user's (no
        `--seeker`): from this pass on, each is served at their own time, as a restart
        would."""
        if self.seekers is not None or self.db.seeker_email is not None or \
                not serves_many(self.db):
            return
        self.seekers = SeekerPass(self)
        self.log.info("the database now has several seekers: %s", self.seekers.words())
        if self._scheduler is not None:
            self._build_jobs()
        self.seekers.warn_one_seekers_parts()

    async def _finish_in_flight(self) -> None:
        tasks = [t for t in (self._work_task, self._reload_task, self._mail_task,
                             self._calendar_task)
                 if t is not None and not t.done()]
        if not tasks:
            return
        _done, pending = await asyncio.wait(tasks, timeout=STOP_GRACE_SECONDS)
        for task in pending:
            task.cancel()
        if pending:
            self.log.warning("the send in progress did not finish within %.0f s; stopped it "
                             "(its outbox record stays, the next start retries it)",
                             STOP_GRACE_SECONDS)
            await asyncio.gather(*pending, return_exceptions=True)

    async def _watchdog(self, interval: float) -> None:
        # From the event loop itself: a loop that is stuck stops pinging, and systemd
        # restarts the service.
        while True:
            self.notifier.watchdog()
            await asyncio.sleep(interval)

    # --- jobs -----------------------------------------------------------------------------

    def _build_jobs(self) -> None:
        from apscheduler.triggers.cron import CronTrigger
        from apscheduler.triggers.interval import IntervalTrigger

        scheduler = self._scheduler
        assert scheduler is not None
        scheduler.remove_all_jobs()
        digest = self.settings.digest
        zone = self.settings.zone
        # misfire_grace_time=None: run however late (the default of 1 s silently drops a
        # digest whose time passed while the loop was busy); coalesce: one run for many.
        options: dict[str, Any] = {"misfire_grace_time": None, "coalesce": True,
                                   "max_instances": 1}
        if self.seekers is not None:
            # Each seeker's own time: a one-off wake-up at the soonest next digest
            # (_schedule_retry, after every pass), and this check every minute.
            scheduler.add_job(
                self._wake, IntervalTrigger(seconds=SEEKERS_WAKE.total_seconds(),
                                            timezone=zone),
                args=["interval"], id="interval", name="interval check", **options)
            return
        scheduler.add_job(
            self._wake, CronTrigger(day_of_week=",".join(digest.days), hour=digest.time.hour,
                                    minute=digest.time.minute, timezone=zone),
            args=["digest time"], id="digest", name="digest time", **options)
        scheduler.add_job(
            self._wake, IntervalTrigger(seconds=WAKE_EVERY.total_seconds(), timezone=zone),
            args=["interval"], id="interval", name="interval check", **options)
        imap = self.settings.imap
        if imap is not None:
            scheduler.add_job(
                self._mail_wake, IntervalTrigger(
                    seconds=imap.poll.as_timedelta().total_seconds(), timezone=zone),
                id="mail", name="mailbox poll", **options)

    def _schedule_retry(self) -> None:
        """A one-off wake-up at the next retry time, so a retry is not up to WAKE_EVERY late."""
        scheduler = self._scheduler
        if scheduler is None or self._stopping:
            return
        from nudger.store.outbox import Outbox

        if self.seekers is not None:  # the soonest seeker's digest or retry
            at = self.seekers.next_wake(self.clock(), RETRY_FLOOR)
        else:
            at = Outbox(self.db, self.settings.recipient).next_retry_at()
        if at is None:
            if scheduler.get_job("retry") is not None:
                scheduler.remove_job("retry")
            return
        from apscheduler.triggers.date import DateTrigger

        # A retry already due right after retry_due ran (another process holds it) is looked
        # at again a little later, never in a tight loop.
        if self.seekers is None:
            at = max(at, self.clock() + RETRY_FLOOR)
        scheduler.add_job(self._wake, DateTrigger(run_date=at),
                          args=["retry time"], id="retry", name="retry",
                          replace_existing=True, misfire_grace_time=None, coalesce=True)

    # --- reload ---------------------------------------------------------------------------

    def request_reload(self) -> None:
        if self._stopping:
            return
        if self._reload_task is not None and not self._reload_task.done():
            self._reload_again = True
            return
        self._reload_task = asyncio.get_running_loop().create_task(self._reload())

    async def _reload(self) -> None:
        from nudger.config import load_settings
        from nudger.daemon.logs import setup_logging
        from nudger.store.db import database_path
        from nudger.track.seeker_profile import chosen_settings

        while True:
            self._reload_again = False
            self._notify(self.notifier.reloading())
            self.log.info("SIGHUP received: reloading %s", self.location.path)
            try:
                new = chosen_settings(load_settings(self.location), self.db)
                new_db = database_path(new, self.env)
                if new_db != self.db.path:
                    raise ConfigError(
                        f"{self.location.path}: the database changed from {self.db.path} to "
                        f"{new_db}; a reload cannot switch databases: restart the daemon"
                    )
                validate(new)  # last: templates that pass are swapped in by the check
            except NudgerError as exc:
                self.log.error("reload failed, keeping the config in force: %s", exc)
            except Exception as exc:
                self.log_unexpected(exc, "reload failed, keeping the config in force")
            else:
                from nudger.when.business import Calendar

                self.settings = new
                self.calendar = Calendar.from_settings(new)
                if self._calendars is not None:
                    self._calendars.forget()  # templates may have changed: drafts in events
                setup_logging(new.log_level, self.env)
                self._build_jobs()
                self.log.info("reloaded: %s", self._schedule_words())
                self.kick("reload")  # an earlier digest time may make today's due now
            self._notify(self.notifier.ready(self.status_line()))
            if not self._reload_again or self._stopping:
                return

    # --- words for systemd and the log --------------------------------------------------

    def _schedule_words(self) -> str:
        if self.seekers is not None:
            return self.seekers.words()
        digest = self.settings.digest
        nxt = next_digest_at(self.settings, self.clock())
        imap = self.settings.imap
        mail = f"; mailbox {imap.host} every {imap.poll}" if imap is not None else ""
        return (f"digest at {digest.time:%H:%M} {self.settings.zone.key} on "
                f"{','.join(digest.days)}; next {clock_words(nxt)}{mail}")

    def status_line(self) -> str:
        if self.seekers is not None:
            nxt = self.seekers.next_digest()
            return f"next digest {clock_words(nxt)}" if nxt else "no seeker is enabled"
        nxt = next_digest_at(self.settings, self.clock())
        return f"next digest {clock_words(nxt)}"

    def _notify(self, ok: bool) -> None:
        if not ok and self.notifier.enabled and not self._notify_failed:
            self._notify_failed = True  # once: a broken socket would otherwise fill the log
            self.log.warning("%s", self.notifier.last_error)


# --- the entry point the command calls -------------------------------------------------------

def run(location: ConfigLocation, env: Mapping[str, str], *, once: bool = False,
        clock: Callable[[], datetime] = utcnow) -> int:
    """Load and check everything, take the database's lock, then serve (or run once).

    A broken config or template raises ConfigError (exit 78: systemd does not restart);
    a second daemon on the same database raises NudgerError naming the first one's PID.
    """
    from nudger.config import load_settings
    from nudger.daemon.lock import DaemonLock
    from nudger.daemon.logs import setup_logging
    from nudger.daemon.notify import Notifier
    from nudger.files import share_as_umask_allows
    from nudger.store.db import database_path
    from nudger.store.engine import open_database
    from nudger.track.seeker_profile import chosen_settings
    from nudger.when import holidays as holidaycache

    holidaycache.configure(holidaycache.cache_path(env))  # as every command does
    settings = load_settings(location)
    validate(settings)
    log = setup_logging(settings.log_level, env)
    path = database_path(settings, env)
    with DaemonLock(path):
        db = open_database(settings, env)
        db.ensure(create=True)  # migrations only under the lock: never beside a daemon
        # The seeker it serves (`nudger --seeker EMAIL run`, NUDGER_SEEKER), with their own
        # profile and digest time (nudger/store/scope.py, track/seeker_profile.py).
        # Without one, a database of several seekers (or of one with their own email) is
        # served seeker by seeker, each at their own time (nudger/daemon/seekerpass.py).
        chosen = env.get("NUDGER_SEEKER") or None
        db.choose_seeker(chosen)
        settings = chosen_settings(settings, db)
        many = chosen is None and serves_many(db)
        if db.engine_name == "sqlite":
            share_as_umask_allows(path)  # nudger.files
        daemon = Daemon(location, env, settings, db, Notifier(env), log, clock, many=many)
        try:
            return asyncio.run(daemon.run_once() if once else daemon.serve())
        finally:
            db.dispose()
