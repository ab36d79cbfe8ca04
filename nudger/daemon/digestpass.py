"""The daemon's digest pass: what every wake-up does (`ensure_digest`: send, skip or leave
the latest digest day as the pure nudger.daemon.decide says; then the retries due), and
what goes with it: the drafts written before the digest that names them, the digest sent
later the same day for the mailbox's news, the database file replaced under the daemon
(reopened, its recorded days carried over), and the templates checked before use.

`DigestPass` holds the state every pass shares (the settings in force, the database, the
business-day calendar, the clock, the log); nudger.daemon.mailpass and nudger.daemon.run
build on it.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections import deque
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from nudger.daemon.decide import Action, Decision, clock_words, decide
from nudger.errors import ConfigError, NudgerError
from nudger.when.schedule import local_date

if TYPE_CHECKING:
    from nudger.config import ConfigLocation, Settings
    from nudger.daemon.notify import Notifier
    from nudger.send.outbox import OutboxResult
    from nudger.store.db import Database
    from nudger.when.business import Calendar


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


def utcnow() -> datetime:
    return datetime.now(UTC)


class DigestPass:
    """The digest's work for one running `nudger run`, and the state every pass shares."""

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
        self._stopping = False  # a stop was asked for: no new work starts
        # The database file this daemon opened ((device, inode)), and the digest days it
        # saw recorded there: when the file is deleted or replaced under it (a restored
        # backup), the daemon reopens the path and carries those records over, so the
        # same day's digest never goes out twice.
        self._db_identity = file_identity(db.path)
        self._known: dict[date, tuple[str, str]] = {}

    @property
    def stopping(self) -> bool:
        """A stop was asked for: no new work starts."""
        return self._stopping

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
                           clock_words(decision.next_at))
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
        db.choose_seeker(self.db.seeker_email)  # the same seeker, if one was chosen
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

    def log_unexpected(self, exc: Exception, what: str) -> None:
        """A database failure (a full disk, a locked or read-only file) in the user's
        words; anything else is a bug, logged with its type so it can be reported."""
        from sqlalchemy.exc import DBAPIError

        if isinstance(exc, DBAPIError):
            detail = str(exc.orig) if exc.orig is not None else str(exc)
            self.log.error("%s: %s", what, self.db.describe_error(detail))
        else:
            self.log.error("%s (a bug; please report it)", what, exc_info=exc)
