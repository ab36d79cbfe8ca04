"""`nudger run`: the daemon that sends exactly one digest per local date. One concept over
400 lines: the pure `decide`, the scheduler's wake-ups, signals and the entry point.

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
taking work, let the in-flight send finish, and exit 0. This module and `commands/` are
the only places that read the clock.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nudger.errors import ConfigError, NudgerError
from nudger.when.schedule import (
    digest_moment,
    is_digest_day,
    latest_digest_day,
    local_date,
    next_digest_at,
)

if TYPE_CHECKING:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from nudger.config import ConfigLocation, Settings
    from nudger.daemon.notify import Notifier
    from nudger.send.outbox import OutboxResult
    from nudger.store.db import Database
    from nudger.when.business import Calendar

# How often the interval job wakes ensure_digest: the longest a digest can be late after a
# resume from suspend or a clock jump. Each wake-up is one indexed SQLite read.
WAKE_EVERY = timedelta(minutes=5)
# How long SIGTERM waits for an in-flight send before cancelling it (the outbox keeps its
# record, so a cancelled send is retried by the next start). systemd's stop timeout in
# the shipped units is longer than this.
STOP_GRACE_SECONDS = 8.0
# The soonest a retry wake-up is scheduled after a pass.
RETRY_FLOOR = timedelta(seconds=15)


# --- the decision: a pure function of the settings, the moment and what is recorded -------

class Action(StrEnum):
    SEND = "send"  # the latest digest day is due, unrecorded, within catch_up: send it now
    SKIP = "skip"  # due and unrecorded, but catch_up has passed: record it as skipped
    WAIT = "wait"  # today's digest is still ahead
    NOTHING = "nothing"  # the latest digest day is already recorded; today is not one


@dataclass(frozen=True)
class Decision:
    action: Action
    local_date: date | None  # the digest day the action is about
    moment: datetime | None  # that day's digest moment
    next_at: datetime  # the next digest moment after `now`
    reason: str


def decide(settings: Settings, now: datetime,
           recorded: Callable[[date], str | None]) -> Decision:
    """What `ensure_digest` should do at the aware moment `now`.

    `recorded(day)` returns the outbox state of `day`'s digest (sent, sending, retry,
    failed, skipped...) or None when there is no record. Only the *latest* digest day whose
    moment has come is considered, so a machine that was off for a week sends at most one
    digest on start (today's, if due), never seven.
    """
    # In UTC: aware datetimes sharing a tzinfo subtract and compare by wall clock, which is
    # an hour off inside a fall-back's repeated hour.
    now = now.astimezone(UTC)
    next_at = next_digest_at(settings, now)
    today = local_date(now, settings)
    day = latest_digest_day(settings, now)
    if day is None:  # digest.days is never empty, so only a fortnight without one
        return Decision(Action.NOTHING, None, None, next_at, "no digest day has come yet")
    moment = digest_moment(settings, day)
    state = recorded(day)
    if state is not None:
        if day != today and is_digest_day(settings, today):
            return Decision(Action.WAIT, today, digest_moment(settings, today), next_at,
                            f"today's digest is due at {_clock(next_at)}")
        return Decision(Action.NOTHING, day, moment, next_at,
                        f"the digest for {day} is already recorded ({state})")
    if day != today and recorded(today) is not None:
        # Today's digest went out early (`nudger digest --send`): an older one is history.
        return Decision(Action.NOTHING, today, digest_moment(settings, today), next_at,
                        f"today's digest is already recorded ({recorded(today)})")
    late = now - moment
    window = settings.digest.catch_up.as_timedelta()
    if late <= window:
        why = "due now" if late < WAKE_EVERY else f"catching up, {_span(late)} late"
        return Decision(Action.SEND, day, moment, next_at, why)
    return Decision(
        Action.SKIP, day, moment, next_at,
        f"missed by {_span(late)}, more than digest.catch_up ({settings.digest.catch_up}); "
        "not sent late",
    )


def _clock(moment: datetime) -> str:
    return moment.strftime("%a %Y-%m-%d %H:%M %Z")


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    if hours >= 48:
        return f"{hours // 24} days {hours % 24} h"
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


# --- the outbox, the templates and the records ------------------------------------------

def template_problems(settings: Settings) -> list[str]:
    """`file:line: message` for each template that does not load and test-render.

    A set that passes becomes the one in force (nudger.digest.compose keeps the last good set).
    """
    from nudger.digest.check import install_templates

    return install_templates(settings)


def validate(settings: Settings) -> None:
    """Raise ConfigError when the templates that go with `settings` are broken."""
    problems = template_problems(settings)
    if problems:
        head = "templates are broken" if len(problems) > 1 else "template is broken"
        raise ConfigError(f"{head}:\n  " + "\n  ".join(problems))


# Outbox states after which a day's digest is never sent again (what a replaced database
# must keep knowing), and how many recent days the daemon remembers.
FINAL_STATES = frozenset({"sent", "skipped", "failed"})
KNOWN_DAYS = 14


def file_identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of the file at `path` now; None when there is none."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino


# --- the daemon ---------------------------------------------------------------------------

def utcnow() -> datetime:
    return datetime.now(UTC)


class Daemon:
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
    ) -> None:
        from nudger.when.business import Calendar

        self.location = location
        self.env = env
        self.settings = settings
        self.calendar: Calendar = Calendar.from_settings(settings)
        self.db = db
        self.notifier = notifier
        self.log = log
        self.clock = clock
        # The latest outcomes (run --once reads them); bounded for a daemon that runs for years.
        self.outcomes: deque[OutboxResult] = deque(maxlen=100)
        self._scheduler: AsyncIOScheduler | None = None
        self._stop: asyncio.Event | None = None
        self._stopping = False
        self._work_task: asyncio.Task[None] | None = None
        self._work_again = False
        self._reload_task: asyncio.Task[None] | None = None
        self._reload_again = False
        self._notify_failed = False
        # The database file this daemon opened ((device, inode)), and the digest days it
        # saw recorded there: when the file is deleted or replaced under it (a restored
        # backup), the daemon reopens the path and carries those records over, so the
        # same day's digest never goes out twice.
        self._db_identity = file_identity(db.path)
        self._known: dict[date, tuple[str, str]] = {}
        # The calendar step's inputs when it last ran, and when time alone changes it.
        self._calendar_key: tuple[Any, ...] | None = None
        self._calendar_until = datetime.min.replace(tzinfo=UTC)
        self._mail_task: asyncio.Task[None] | None = None
        self._calendar_task: asyncio.Task[None] | None = None

    # --- what every wake-up does --------------------------------------------------------

    async def ensure_digest(self, now: datetime) -> Decision:
        """Send, skip or leave the digest of the latest digest day, as `decide` says."""
        from nudger.send import outbox
        from nudger.track.progress import close_gone_cold

        settings = self.settings
        self.check_database()
        decision = decide(settings, now, self._recorded)
        day = decision.local_date
        if decision.action is Action.SEND and day is not None:
            self.log.debug("digest for %s: %s", day, decision.reason)
            # Before the send, never inside it: the digest must not propose what
            # auto_ghost closes, and it tells what was closed.
            closed = close_gone_cold(self.db, settings, self.calendar, day, now)
            await self.drafts_before_digest(day, now)
            result = await outbox.send_digest(settings, self.db, self.calendar, day, now,
                                              env=self.env, notices=closed)
            self._report(result)
        elif decision.action is Action.SKIP and day is not None:
            # The outbox logs the skip; False means another process recorded the day first.
            if not outbox.record_skipped(settings, self.db, day, now, decision.reason):
                self.log.debug("digest for %s was recorded meanwhile", day)
        else:
            self.log.debug("nothing to send: %s; next digest %s", decision.reason,
                           _clock(decision.next_at))
        return decision

    def _recorded(self, day: date) -> str | None:
        from nudger.store.outbox import Outbox

        state = Outbox(self.db, self.settings.recipient).state_of(day)
        if state in FINAL_STATES:
            self._remember(day, state, self._known.get(day, ("", ""))[1])
        return state

    def _remember(self, day: date, state: str, message_id: str) -> None:
        self._known[day] = (state, message_id)
        while len(self._known) > KNOWN_DAYS:
            del self._known[min(self._known)]

    def check_database(self) -> None:
        """Reopen the database when the file at its path is no longer the one open (deleted,
        or replaced by a restored backup), before anything is decided or sent. The digest
        days recorded in the old file are recorded in the new one (never sent twice)."""
        if self.db.engine_name != "sqlite":
            return  # a server's database: no file to be deleted or replaced under us
        current = file_identity(self.db.path)
        if current == self._db_identity:
            return
        from nudger.store.db import Database

        what = "deleted" if current is None else "replaced"
        self.log.warning("the database %s was %s while the daemon ran; reopening it%s",
                         self.db.path, what,
                         " (a new, empty one is created)" if current is None else "")
        self.db.dispose()
        db = Database(self.db.path)
        db.ensure(create=True)
        from nudger.files import share_as_umask_allows

        share_as_umask_allows(db.path)
        self.db = db
        self._db_identity = file_identity(db.path)
        from nudger.store.outbox import Outbox

        carried = Outbox(db, self.settings.recipient).carry_over(self._known, self.clock())
        if carried:
            self.log.warning("recorded %s in the reopened database as the old one had "
                             "them: not sent again", ", ".join(f"the digest of {d} ({st})"
                                                               for d, st in carried))

    async def retry_due(self, now: datetime) -> None:
        from nudger.send import outbox

        self.check_database()
        results = await outbox.retry_due(self.settings, self.db, self.calendar, now, env=self.env)
        for result in results:
            self._report(result, retry=True)

    async def sync_calendars(self, now: datetime) -> None:
        """[ics] path and [caldav]: after the digest work of each pass, bring the file and
        the server in step. Every failure is logged and recorded for `status`; none
        stops the daemon or delays a digest (this runs after them)."""
        from nudger.calendar import sync as calsync
        from nudger.store.models import CalendarSync

        settings = self.settings
        if settings.ics.path is None and settings.caldav is None:
            return
        try:
            # A refresh renders every draft of the coming month: skip it while nothing it
            # reads changed (same data, same config, no interview ended, same day) and
            # the last push worked.
            with self.db.read_session() as s:
                key = (settings, calsync.inputs_key(s))
                failing = any(r.error_kind for r in [s.get(CalendarSync, "file"),
                                                     s.get(CalendarSync, "caldav")] if r)
            if key == self._calendar_key and now < self._calendar_until and not failing:
                self.log.debug("calendar: nothing changed since the last pass")
                return
            self._calendar_key = None
            with self.db.session() as s:
                snapshot = calsync.refresh(s, settings, self.calendar, now)
            if settings.ics.path is not None:
                detail = calsync.export_file(settings, self.db, snapshot, now)
                self.log.debug("calendar file: %s", detail)
            if settings.caldav is not None:
                await asyncio.to_thread(self._push_caldav, snapshot, now)
            self._calendar_key = key
            self._calendar_until = calsync.valid_until(snapshot, settings.zone)
        except NudgerError as exc:
            self.log.error("calendar: %s", exc)
        except Exception as exc:
            self.log_unexpected(exc, "calendar update failed")

    def _push_caldav(self, snapshot: Any, now: datetime) -> None:
        from nudger.calendar import caldav as caldav_push
        from nudger.calendar import sync as calsync
        from nudger.store.models import CalendarSync

        with self.db.read_session() as s:
            before = s.get(CalendarSync, "caldav")
            failing = before.error_kind if before is not None else ""
        try:
            result = caldav_push.push(self.settings, self.db, snapshot, self.env, now)
        except (caldav_push.CaldavError, ConfigError) as exc:
            kind = getattr(exc, "kind", "config")
            with self.db.session() as s:
                calsync.record_sync(s, "caldav", now, error_kind=kind, error=str(exc))
            if kind != failing:
                self.log.warning("caldav: %s (%s); retried at the next pass", exc, kind)
            else:
                self.log.debug("caldav still failing: %s", exc)
            return
        with self.db.session() as s:
            if result.errors:
                first = result.errors[0]
                calsync.record_sync(s, "caldav", now, error_kind=first.kind,
                                    error=str(first))
            else:
                calsync.record_sync(s, "caldav", now, detail=result.summary())
        for error in result.errors:
            if error.kind != failing:
                self.log.warning("caldav: %s (%s); retried at the next pass", error,
                                 error.kind)
            else:
                self.log.debug("caldav still failing: %s", error)
        if result.created or result.updated or result.removed:
            self.log.info("caldav: %s", result.summary())
        elif failing and not result.errors:
            self.log.info("caldav: working again (%s)", result.summary())

    def _report(self, result: OutboxResult, retry: bool = False) -> None:
        """Keep the outcome; log what the outbox does not already log itself.

        The outbox logs each delivery, skip, retry and failure with the local date (and
        the Message-ID where there is one); here they are repeated at debug level only, so
        the log stays one line per event.
        """
        self.outcomes.append(result)
        outcome = str(result.outcome)
        final = {"sent": "sent", "failed": "failed", "empty": "skipped"}.get(outcome)
        if final is not None and result.local_date is not None:
            self._remember(result.local_date, final, result.message_id or "")
        what = f"digest for {result.local_date} (Message-ID {result.message_id or 'none'})"
        detail = f": {result.detail}" if result.detail else ""
        if outcome == "empty":
            self.log.info("no digest for %s: nothing is due and digest.send_when_empty is "
                          "false", result.local_date)
        else:
            self.log.debug("%s%s: %s%s", "retry of " if retry else "", what, outcome, detail)

    async def run_once(self) -> int:
        """`nudger run --once`: what is due now (catch-up rules included), retries, then
        the server passes, each with its own overall deadline, exit. The digest goes
        first: no mailbox or calendar server, however slow or hostile, delays it."""
        now = self.clock()
        await self.ensure_digest(now)
        await self.retry_due(now)
        if self.settings.imap is not None:
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
        self.kick_mail()
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
                await self.ensure_digest(now)
                if not self._stopping:
                    await self.retry_due(now)
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

    def log_unexpected(self, exc: Exception, what: str) -> None:
        """A database failure (a full disk, a locked or read-only file) in the user's
        words; anything else is a bug, logged with its type so it can be reported."""
        from sqlalchemy.exc import DBAPIError

        if isinstance(exc, DBAPIError):
            detail = str(exc.orig) if exc.orig is not None else str(exc)
            self.log.error("%s: %s", what, self.db.describe_error(detail))
        else:
            self.log.error("%s (a bug; please report it)", what, exc_info=exc)

    # --- the mailbox poll (docs/mailbox.md) ---------------------------------------------------

    def kick_mail(self) -> None:
        """Start a mailbox pass unless one is running (a slow server never stacks passes).
        It runs in its own task, off the event loop (imapclient is synchronous), so it
        never delays or blocks the digest."""
        if self._stopping or self.settings.imap is None:
            return
        if self._mail_task is not None and not self._mail_task.done():
            self.log.debug("mailbox: the previous pass is still running; skipping this poll")
            return
        self._mail_task = asyncio.get_running_loop().create_task(self._mail_pass())

    def kick_calendars(self) -> None:
        """The [ics] file and the CalDAV push in their own task, apart from the digest's:
        a server that trickles (its push has caldav.deadline) never holds the next
        digest. One at a time: a push still running makes this a no-op."""
        if self._stopping or (self.settings.ics.path is None and self.settings.caldav is None):
            return
        if self._calendar_task is not None and not self._calendar_task.done():
            self.log.debug("calendar: the previous update is still running; skipping")
            return
        self._calendar_task = asyncio.get_running_loop().create_task(
            self.sync_calendars(self.clock()))

    async def _mail_wake(self) -> None:
        self.kick_mail()

    async def _mail_pass(self) -> None:
        from nudger.mail.handlers import inbox_handlers
        from nudger.mail.imap.sync import run_sync
        from nudger.secrets import imap_password

        settings = self.settings
        if settings.imap is None:
            return
        try:
            self.check_database()  # a replaced file: the sync records into the new one
            password = imap_password(settings, self.env)
            report = await asyncio.to_thread(
                run_sync, settings, self.db, password, now=self.clock(),
                handlers=inbox_handlers(), stop=lambda: self._stopping)
        except NudgerError as exc:
            self.log.error("mailbox: %s", exc)
            return
        except Exception as exc:
            self.log_unexpected(exc, "mailbox pass failed")
            return
        if report.error:
            retry = "retrying at the next poll" if report.transient else \
                "fix it, then the next poll retries (or run `nudger check --imap`)"
            self.log.warning("mailbox: %s; %s", report.error, retry)
            return
        counts: dict[str, int] = {}
        for item in report.found:
            counts[item.kind] = counts.get(item.kind, 0) + 1
        words = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
        if words:
            self.log.info("mailbox %s read: %s", report.server, words)
        else:
            self.log.debug("mailbox %s read: nothing new for nudger", report.server)
        if report.stopped:
            self.log.info("mailbox pass stopped between batches for shutdown; the next "
                          "start continues from there")
            return
        # act: confirmations of command mail, then the Drafts folder (never raises).
        from nudger.mail.imap.afterpass import after_pass

        try:
            for line in await after_pass(settings, self.db, self.env, password,
                                         self.clock()):
                self.log.info("mailbox: %s", line)
        except Exception as exc:
            self.log_unexpected(exc, "confirmations or drafts failed")
        try:
            await self.news_digest(self.clock())
        except Exception as exc:
            self.log_unexpected(exc, "the digest of today's news failed")

    async def drafts_before_digest(self, day: date, now: datetime) -> None:
        """The day's drafts into Drafts before its digest says they are there; bounded by
        the IMAP timeout, so a slow server never holds the digest back for long."""
        settings = self.settings
        if settings.imap is None or not settings.mailbox.drafts:
            return
        from nudger.mail.imap.afterpass import drafts_for_digest
        from nudger.secrets import imap_password

        try:
            password = imap_password(settings, self.env)
            lines = await asyncio.wait_for(
                asyncio.to_thread(drafts_for_digest, settings, self.db, password, now, day),
                timeout=settings.imap.timeout * 2)
        except TimeoutError:
            self.log.warning("drafts before the digest of %s: the mailbox took longer than "
                             "%s s; the digest goes out, the drafts follow at the next poll",
                             day, settings.imap.timeout * 2)
            return
        except NudgerError as exc:
            self.log.warning("drafts before the digest of %s: %s", day, exc)
            return
        for line in lines:
            self.log.info("mailbox: %s", line)

    async def news_digest(self, now: datetime) -> bool:
        """News reaches the user the same day: when today's digest was skipped because
        nothing was due (`send_when_empty = false`) and the mailbox has since brought news
        (a reply, a suggestion, a bounce, a command result: nudger.digest.news), today's
        digest goes out after all, naming the news. True when it was sent."""
        from nudger.digest.news import news_since
        from nudger.send import outbox
        from nudger.store.models import DigestRecord
        from nudger.store.outbox import last_sent_before

        settings = self.settings
        day = local_date(now, settings)
        with self.db.read_session() as s:
            from sqlmodel import select

            record = s.exec(select(DigestRecord).where(
                DigestRecord.recipient == settings.recipient,
                DigestRecord.local_date == day)).first()
            if record is None or record.state != "skipped" or \
                    record.last_error != "nothing due":
                return False
            news = news_since(s, last_sent_before(s, settings.recipient, day), now)
        if not news:
            return False
        self.log.info("digest for %s: skipped with nothing due, sent now for the news: %s",
                      day, "; ".join(news))
        result = await outbox.send_digest(settings, self.db, self.calendar, day, now,
                                          force=True, env=self.env)
        self._report(result)
        return str(result.outcome) == "sent"

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

        at = Outbox(self.db, self.settings.recipient).next_retry_at()
        if at is None:
            if scheduler.get_job("retry") is not None:
                scheduler.remove_job("retry")
            return
        from apscheduler.triggers.date import DateTrigger

        # A retry already due right after retry_due ran (another process holds it) is looked
        # at again a little later, never in a tight loop.
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

        while True:
            self._reload_again = False
            self._notify(self.notifier.reloading())
            self.log.info("SIGHUP received: reloading %s", self.location.path)
            try:
                new = load_settings(self.location)
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
                self._calendar_key = None  # templates may have changed: drafts in events
                setup_logging(new.log_level, self.env)
                self._build_jobs()
                self.log.info("reloaded: %s", self._schedule_words())
                self.kick("reload")  # an earlier digest time may make today's due now
            self._notify(self.notifier.ready(self.status_line()))
            if not self._reload_again or self._stopping:
                return

    # --- words for systemd and the log --------------------------------------------------

    def _schedule_words(self) -> str:
        digest = self.settings.digest
        nxt = next_digest_at(self.settings, self.clock())
        imap = self.settings.imap
        mail = f"; mailbox {imap.host} every {imap.poll}" if imap is not None else ""
        return (f"digest at {digest.time:%H:%M} {self.settings.zone.key} on "
                f"{','.join(digest.days)}; next {_clock(nxt)}{mail}")

    def status_line(self) -> str:
        nxt = next_digest_at(self.settings, self.clock())
        return f"next digest {_clock(nxt)}"

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
    from nudger.when import holidays as holidaycache

    holidaycache.configure(holidaycache.cache_path(env))  # as every command does
    settings = load_settings(location)
    validate(settings)
    log = setup_logging(settings.log_level, env)
    path = database_path(settings, env)
    with DaemonLock(path):
        db = open_database(settings, env)
        db.ensure(create=True)  # migrations only under the lock: never beside a daemon
        if db.engine_name == "sqlite":
            share_as_umask_allows(path)  # nudger.files
        daemon = Daemon(location, env, settings, db, Notifier(env), log, clock)
        try:
            return asyncio.run(daemon.run_once() if once else daemon.serve())
        finally:
            db.dispose()
