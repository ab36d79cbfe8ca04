"""The daemon's digest pass for a database of several seekers (README, "Many seekers on
PostgreSQL"; docs/outbox.md, "Many seekers, one daemon"): every enabled seeker's digest at
that seeker's own local time, exactly once per seeker and local date.

`nudger run` serves this way when it was not told which seeker to serve (`--seeker`,
NUDGER_SEEKER) and the database holds more than one seeker or a seeker with their own
email (`serves_many`); the single user's database (one seeker, email "") keeps the
single-seeker pass of nudger.daemon.digestpass unchanged.

Each wake-up takes the seekers whose `next_digest_at` has come (an index range,
`track.seekers.due_seekers`) in batches. For each: the seeker's own settings and a
database scoped to them (`digest.seeker.serving`), the same pure `decide` as the single
user's (send, skip past `digest.catch_up`, or nothing when the day is already recorded),
the same outbox send, then `digest_recorded` moves the seeker's next digest on. The
outbox's UNIQUE (seeker, recipient, local date) key makes a second wake-up or a restart a
no-op; a seeker whose pass fails is logged and left due (the next wake-up tries again),
and never stops the next seeker's. Retries are per seeker too (`retry_due`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from nudger.daemon.decide import Action, clock_words, decide
from nudger.errors import NudgerError

if TYPE_CHECKING:
    from nudger.daemon.digestpass import DigestPass
    from nudger.digest.seeker import ServedSeeker
    from nudger.send.outbox import OutboxResult
    from nudger.store.db import Database
    from nudger.store.seekers import DueSeeker

# How often the interval job wakes the pass in this mode: a seeker added or edited by
# another process (`nudger seeker add`) is served at most this late.
SEEKERS_WAKE = timedelta(minutes=1)


def serves_many(db: Database) -> bool:
    """Whether `db` holds several seekers, or one with their own email."""
    from nudger.store import seekers as store

    with db.read_session(every_seeker=True) as session:
        return store.serves_many(session.connection())


class SeekerPass:
    """Every due seeker's digest, for the daemon `daemon` (its settings, database,
    business-day calendar, environment and log, read afresh at each pass: a reload or a
    reopened database is seen at once)."""

    def __init__(self, daemon: DigestPass) -> None:
        self.daemon = daemon

    def warn_one_seekers_parts(self) -> None:
        """The mailbox and the calendars of config.toml are one seeker's: serving several
        seekers, the daemon leaves them alone and says so once."""
        d = self.daemon
        parts = [name for name, there in (
            ("[imap]", d.settings.imap is not None), ("[ics] path", d.settings.ics.path
                                                         is not None),
            ("[caldav]", d.settings.caldav is not None)) if there]
        if parts:
            d.log.warning("%s: serving several seekers, the daemon sends digests only; "
                             "the mailbox and calendars are one seeker's (run `nudger "
                             "--seeker EMAIL mail sync` / `calendar` for them)",
                             ", ".join(parts))

    # --- the digests due --------------------------------------------------------------------

    async def run(self, now: datetime) -> int:
        """Send, skip or leave the digest of every seeker due at `now`, in batches; the
        number of seekers whose pass went through."""
        from nudger.track.seekers import DUE_BATCH, due_seekers

        d = self.daemon
        d.check_database()
        self.schedule_new(now)
        done = 0
        seen: set[int] = set()
        stuck = 0  # seekers whose pass failed: still due, left for the next wake-up
        while not d.stopping:
            batch = [s for s in due_seekers(d.db, now, DUE_BATCH + stuck) if s.id not in seen]
            if not batch:
                break
            for due in batch:
                if d.stopping:
                    break
                seen.add(due.id)
                if await self.serve(due, now):
                    done += 1
                else:
                    stuck += 1
        if done or stuck:
            d.log.info("seekers' digests: %d done%s", done,
                       f", {stuck} failed (tried again at the next wake-up)" if stuck else "")
        return done

    def schedule_new(self, now: datetime) -> None:
        """Give an enabled seeker without a next digest (the single user's, made on a
        first write) one: their first digest moment after `now - digest.catch_up`, so a
        digest of today still within catch_up is looked at (sent, or found recorded)."""
        from nudger.store import seekers as store
        from nudger.when.next_digest import next_digest_at

        d = self.daemon
        with d.db.read_session(every_seeker=True) as session:
            if not store.unscheduled(session.connection(), limit=1):
                return  # the usual case: a read, no write transaction
        since = now - d.settings.digest.catch_up.as_timedelta()
        with d.db.session(every_seeker=True) as session:
            connection = session.connection()
            for row in store.unscheduled(connection):
                try:
                    moment = next_digest_at(d.settings, row, since)
                except (ValueError, KeyError) as exc:  # a stored zone no longer valid
                    d.log.error("seeker %s: no next digest: %s", row.id, exc)
                    continue
                store.advance(connection, row.id, None, moment)

    async def serve(self, due: DueSeeker, now: datetime) -> bool:
        """One seeker's digest due at `due.next_digest_at`; False when it failed before
        its outcome was recorded (logged; the seeker stays due)."""
        from nudger.digest.seeker import serving
        from nudger.track.seekers import digest_recorded

        d = self.daemon
        who = due.email or "the single user"
        try:
            seeker = serving(d.settings, d.db, due.id)
            if seeker.enabled:
                await self._digest(seeker, now)
            digest_recorded(d.db, d.settings, due.id, due.next_digest_at, now)
        except NudgerError as exc:
            d.log.error("digest of seeker %s: %s", who, exc)
            return False
        except Exception as exc:
            d.log_unexpected(exc, f"digest of seeker {who} failed")
            return False
        return True

    async def _digest(self, seeker: ServedSeeker, now: datetime) -> None:
        """As `DigestPass.ensure_digest` does for the single user, for `seeker`."""
        from nudger.send import outbox
        from nudger.store.outbox import Outbox
        from nudger.track.progress import close_gone_cold

        d = self.daemon
        settings, db = seeker.settings, seeker.db
        decision = decide(settings, now, Outbox(db, settings.recipient).state_of)
        day = decision.local_date
        if decision.action is Action.SEND and day is not None:
            d.log.debug("digest of %s for %s: %s", day, seeker.who, decision.reason)
            closed = close_gone_cold(db, settings, d.calendar, day, now)
            result = await outbox.send_digest(settings, db, d.calendar, day, now, env=d.env,
                                              notices=closed)
            self._report(seeker, result)
        elif decision.action is Action.SKIP and day is not None:
            if outbox.record_skipped(settings, db, day, now, decision.reason):
                d.log.info("digest of %s for %s recorded as skipped: %s", day, seeker.who,
                           decision.reason)
        else:
            d.log.debug("digest for %s: %s", seeker.who, decision.reason)

    def _report(self, seeker: ServedSeeker, result: OutboxResult) -> None:
        self.daemon.outcomes.append(result)
        detail = f": {result.detail}" if result.detail else ""
        self.daemon.log.info("digest of %s for %s: %s (Message-ID %s)%s", result.local_date,
                             seeker.who, result.outcome, result.message_id or "none", detail)

    # --- retries ----------------------------------------------------------------------------

    async def retry_due(self, now: datetime) -> None:
        """Each seeker's digests waiting to be resent whose time has come (the outbox's
        `retry_due`, per seeker); a disabled seeker's wait until they are enabled."""
        from nudger.digest.seeker import serving
        from nudger.send import outbox
        from nudger.store import seekers as store

        d = self.daemon
        with d.db.read_session(every_seeker=True) as session:
            waiting = store.waiting(session.connection(), now)
        for seeker_id in waiting:
            if d.stopping:
                return
            try:
                seeker = serving(d.settings, d.db, seeker_id)
                if not seeker.enabled:
                    continue
                for result in await outbox.retry_due(seeker.settings, seeker.db, d.calendar,
                                                      now, env=d.env):
                    self._report(seeker, result)
            except NudgerError as exc:
                d.log.error("retry for seeker %s: %s", seeker_id, exc)
            except Exception as exc:
                d.log_unexpected(exc, f"retry for seeker {seeker_id} failed")

    # --- when to wake -----------------------------------------------------------------------

    def next_wake(self, now: datetime, retry_floor: timedelta) -> datetime | None:
        """The next moment the pass has work: the soonest seeker's next digest, or the
        soonest retry (not before `now + retry_floor`); a seeker still due (their pass
        failed) is tried again a minute on."""
        from nudger.store import seekers as store

        with self.daemon.db.read_session(every_seeker=True) as session:
            digest = store.earliest(session.connection())
            retry = store.next_retry(session.connection())
        moments = []
        if digest is not None:
            moments.append(digest if digest > now else now + SEEKERS_WAKE)
        if retry is not None:
            moments.append(max(retry, now + retry_floor))
        return min(moments) if moments else None

    def next_digest(self) -> datetime | None:
        from nudger.store import seekers as store

        with self.daemon.db.read_session(every_seeker=True) as session:
            return store.earliest(session.connection())

    def words(self) -> str:
        """The schedule as the log and systemd's status show it."""
        nxt = self.next_digest()
        return ("each seeker's digest at their own time; next digest " +
                (clock_words(nxt) if nxt is not None else "none (no seeker is enabled)"))
