"""One pass over the mailbox: Sent, then INBOX; headers in batches; exactly once.

Per folder the (UIDVALIDITY, highest UID) state is committed in the same transaction as
what the batch's messages caused, so a pass cut short (SIGTERM between batches, a dropped
connection, a crash) leaves either a whole batch recorded or none of it, and the next pass
goes on from there. Every message nudger acts on is recorded once in `mailmessage` under
its key (nudger.mail.imap.ledger): a re-read finds the key and does nothing. No database
transaction is ever held across network I/O: headers and snippets are fetched first, then
the batch is written.

This module runs the pass and hands the work out: each new INBOX message to the caller's
handlers (nudger.mail.imap.inbox: commands, then capture) and to `decide` (replies and
bounces, between the two; follow-ups in Sent); what was decided is written by `effects`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlmodel import Session, select

from nudger.mail.imap.client import ImapSession, open_session
from nudger.mail.imap.decide import Decision, decide_inbox, decide_sent, dry
from nudger.mail.imap.effects import apply
from nudger.mail.imap.errors import MailboxError, MailboxStopped
from nudger.mail.imap.headers import MailHeader
from nudger.mail.imap.inbox import InboxHandler, InboxHandlers, MessageContext
from nudger.mail.imap.ledger import record, recorded
from nudger.mail.imap.match import Index, load_index
from nudger.mail.imap.report import SyncReport
from nudger.store.models import MailFolder, MailSync
from nudger.text import server_text

if TYPE_CHECKING:
    from nudger.config import Settings
    from nudger.secrets import Secret
    from nudger.store.db import Database
    from nudger.when.business import Calendar

log = logging.getLogger(__name__)


def account_key(settings: Settings) -> str:
    imap = settings.imap
    assert imap is not None
    return f"{imap.username}@{imap.host}:{imap.effective_port}"


def run_sync(
    settings: Settings, db: Database, password: Secret, *, now: datetime,
    handlers: InboxHandlers, dry_run: bool = False, record_failure: bool = True,
    stop: Callable[[], bool] | None = None,
) -> SyncReport:
    """One pass, handing each new INBOX message to `handlers` (built by the caller:
    nudger.mail.handlers). Never raises for a server's fault: the report carries `error`
    (one line: server, reason, what to do), recorded in `mailsync` for `status` and the
    digest."""
    imap = settings.imap
    assert imap is not None
    report = SyncReport(server=f"{imap.host}:{imap.effective_port}", dry_run=dry_run,
                        started=now)
    try:
        with open_session(settings, password) as session:
            try:
                _pass(settings, db, session, now, report, dry_run, stop or (lambda: False),
                      handlers)
            finally:
                report.warnings.extend(
                    f"folder {name!r} is not valid modified UTF-7 (RFC 3501); skipped"
                    for name in session.skipped_folders)
    except MailboxStopped:
        report.stopped = True  # a stop, not a failure: the next start goes on from here
    except MailboxError as exc:
        report.error = password.redact(str(exc))
        report.transient = exc.transient
    if not dry_run and (record_failure or report.ok):
        _record_outcome(db, account_key(settings), now, report)
    return report


def _record_outcome(db: Database, account: str, now: datetime, report: SyncReport) -> None:
    moment = now.astimezone(UTC)
    with db.session() as s:
        row = s.exec(select(MailSync).where(MailSync.account == account)).first()
        if row is None:
            row = MailSync(account=account)
        row.last_attempt_at = moment
        if report.ok:
            row.last_ok_at = moment
            row.last_error = ""
            row.failures = 0
        else:
            row.last_error = server_text(report.error, 500)
            row.failures += 1
        s.add(row)


def _pass(settings: Settings, db: Database, imap: ImapSession, now: datetime,
          report: SyncReport, dry_run: bool, stop: Callable[[], bool],
          handlers: InboxHandlers) -> None:
    from nudger.when.business import Calendar

    calendar = Calendar.from_settings(settings)
    folders = imap.folders
    with db.read_session() as s:
        index = load_index(s)
    plan: list[tuple[str, str]] = []
    if settings.mailbox.sent == "log" and folders.sent:
        plan.append(("out", folders.sent))
    plan.append(("in", folders.inbox))
    for direction, folder in plan:
        if stop():
            report.stopped = True
            return
        _folder(settings, db, imap, calendar, index, now, report, dry_run, stop,
                handlers, direction, folder)
        if report.stopped:
            return


def _folder(settings: Settings, db: Database, imap: ImapSession, calendar: Calendar,
            index: Index, now: datetime, report: SyncReport, dry_run: bool,
            stop: Callable[[], bool], handlers: InboxHandlers, direction: str,
            folder: str) -> None:
    assert settings.imap is not None
    account = account_key(settings)
    validity, _uidnext = imap.select_readonly(folder)
    with db.read_session() as s:
        state = s.exec(select(MailFolder).where(MailFolder.account == account,
                                                MailFolder.folder == folder)).first()
        known_validity = state.uidvalidity if state else None
        highest = state.highest_uid if state else 0
    rescan = known_validity is not None and known_validity != validity
    if known_validity != validity or highest == 0:
        # A first pass (or a renumbered folder, or one where nothing was ever fetched):
        # the lookback window only. The position is only ever a UID actually fetched
        # (never UIDNEXT: one pass where a server says 4,000,000,000 would skip every
        # later message).
        since = (now - timedelta(days=settings.imap.lookback.as_timedelta().days)).date()
        uids = imap.uids_since(since)
        highest = 0
    else:
        uids = imap.uids_after(highest)
    info = report.folders.setdefault(folder, {"new": 0, "rescanned": rescan,
                                              "uidvalidity": validity})
    for batch in imap.fetch_headers(uids, folder):
        info["new"] += len(batch)
        _batch(settings, db, imap, calendar, index, now, report, dry_run, handlers,
               direction, folder, validity, batch)
        if batch:
            highest = max(highest, max(h.uid for h in batch))
        if stop():
            report.stopped = True
            return
    if not dry_run and (known_validity != validity or not uids):
        with db.session() as s:
            _save_state(s, account, folder, validity, highest, now)


def _save_state(s: Session, account: str, folder: str, validity: int, highest: int,
                now: datetime) -> None:
    row = s.exec(select(MailFolder).where(MailFolder.account == account,
                                          MailFolder.folder == folder)).first()
    if row is None:
        row = MailFolder(account=account, folder=folder, uidvalidity=validity,
                         synced_at=now.astimezone(UTC))
    if row.uidvalidity != validity:
        row.uidvalidity = validity
        row.highest_uid = 0
    row.highest_uid = max(row.highest_uid, highest)
    row.synced_at = now.astimezone(UTC)
    s.add(row)


def _batch(settings: Settings, db: Database, imap: ImapSession, calendar: Calendar,
           index: Index, now: datetime, report: SyncReport, dry_run: bool,
           handlers: InboxHandlers, direction: str, folder: str, validity: int,
           batch: list[MailHeader]) -> None:
    with db.read_session() as s:
        done = recorded(s, [h.key for h in batch])
    decisions: list[Decision] = []
    skipped: list[tuple[MailHeader, str]] = []
    seen: set[str] = set()
    for header in batch:
        if header.key in done or header.key in seen:
            continue
        seen.add(header.key)
        if header.unreadable:
            skipped.append((header, header.unreadable))
            continue
        # Each message in its own error boundary: one that cannot be handled (a charset
        # no codec reads, nesting that exhausts the stack, a value out of every range) is
        # skipped with its reason, and the pass goes on. A MailboxError is the server's or
        # the connection's, never the message's: it ends the pass as before.
        try:
            decision = _decide(settings, db, imap, index, now, report, dry_run, handlers,
                               direction, header)
        except MailboxError:
            raise
        except Exception as exc:  # the message's fault: skipped, recorded, reported
            skipped.append((header, _skip_reason(exc)))
            continue
        if decision is not None:
            decisions.append(decision)
    # One transaction for the batch's effects and the folder state that covers them.
    if dry_run:
        dry(decisions, index, report)
        for header, why in skipped:
            report.add("skipped", header, None, f"would be skipped: {why}")
        return
    with db.session() as s:
        for decision in decisions:
            savepoint = s.begin_nested()
            try:
                apply(s, settings, calendar, index, now, report, decision)
            except Exception as exc:  # this message's effects only are undone
                savepoint.rollback()
                skipped.append((decision.header, _skip_reason(exc)))
            else:
                savepoint.commit()
        for header, why in skipped:
            _skip(s, header, direction, why, now, report)
        if batch:
            _save_state(s, account_key(settings), folder, validity,
                        max(h.uid for h in batch), now)


def _decide(settings: Settings, db: Database, imap: ImapSession, index: Index,
            now: datetime, report: SyncReport, dry_run: bool, handlers: InboxHandlers,
            direction: str, header: MailHeader) -> Decision | None:
    """What one new message asks for (handlers run here: commands, then capture); its
    text fetched when it matched. None: nothing more to do for it."""
    if direction == "out":
        decision = decide_sent(header, index, settings)
    else:
        if settings.mailbox.commands and _run_handlers(
                handlers.commands, settings, db, imap, header, now, report, dry_run):
            return None
        decision = decide_inbox(header, index, report)
        if decision is None:
            if settings.mailbox.capture != "off":
                _run_handlers(handlers.capture, settings, db, imap, header, now, report,
                              dry_run)
            return None
    if decision is not None and decision.kind in ("followup", "reply", "possible-reply",
                                                  "bounce"):
        # The message matched: its first text part, capped, for the snippet (and the
        # report of a bounce). Fetched before the write transaction opens.
        decision.text = imap.fetch_text(header.uid, report=decision.kind == "bounce")
    return decision


def _skip_reason(exc: BaseException) -> str:
    """One line on why a message could not be handled (no traceback, no message text
    beyond what server_text keeps)."""
    text = server_text(str(exc), 120)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _skip(s: Session, header: MailHeader, direction: str, why: str, now: datetime,
          report: SyncReport) -> None:
    """Record a message that could not be handled as "skipped" (its reason the snippet):
    no later pass tries it again, and `status` and the digest's footer show it."""
    log.warning("mail: skipped %s UID %d (%s): %s", server_text(header.folder, 60),
                header.uid, header.message_id or header.key, why)
    if record(s, header, direction, "skipped", None, why, now=now) is not None:
        report.add("skipped", header, None, f"could not be handled, skipped: {why}")


def _run_handlers(handlers: tuple[InboxHandler, ...], settings: Settings, db: Database,
                  imap: ImapSession, header: MailHeader, now: datetime, report: SyncReport,
                  dry_run: bool) -> bool:
    if not handlers:
        return False
    ctx = MessageContext(settings, db, imap, header, now, dry_run, report)
    return any(handler(ctx) for handler in handlers)
