"""One pass over the mailbox: Sent, then INBOX; headers in batches; exactly once. One concept
over 400 lines: the exactly-once pass (folder state, batches, the handlers it calls).

Per folder the (UIDVALIDITY, highest UID) state is committed in the same transaction as
what the batch's messages caused, so a pass cut short (SIGTERM between batches, a dropped
connection, a crash) leaves either a whole batch recorded or none of it, and the next pass
goes on from there. Every message nudger acts on is recorded once in `mailmessage` under
its key (Message-ID, or a stable hash without one): a re-read (restart, a second daemon,
a UIDVALIDITY change that makes the server renumber a folder) finds the key and does
nothing. No database transaction is ever held across network I/O: headers and snippets
are fetched first, then the batch is written.

Order for each new INBOX message (docs/mailbox.md): (1) command handlers (act), (2) replies
and bounces (here), (3) capture handlers (capture); each guarded by [mailbox]. Handlers
register themselves with `register_inbox_handler` from their own module (nudger.mail.
commands, nudger.mail.capture.live), which this module imports when it exists.
Sent: follow-ups to a contact become touches of that application.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any, Literal

from sqlmodel import Session, col, select

from nudger.mail.capture.suggestions import propose
from nudger.mail.imap.client import ImapSession, MailboxError, MailboxStopped, open_session
from nudger.mail.imap.headers import MailHeader, domain_of
from nudger.mail.imap.match import Index, company_domain, load_index
from nudger.mail.imap.replies import pause
from nudger.safetext import server_text
from nudger.store.models import Application, Contact, MailFolder, MailMessage, MailSync, Touch
from nudger.track import tracker
from nudger.vocab import OPEN_STAGES
from nudger.when.times import as_utc

if TYPE_CHECKING:
    from nudger.config import Settings
    from nudger.secrets import Secret
    from nudger.store.db import Database
    from nudger.when.business import Calendar

SNIPPET = 200
log = logging.getLogger(__name__)


# --- hook points for act (commands) and capture ----------------------------------------------

@dataclass
class MessageContext:
    """What an INBOX handler gets for one new message. It may fetch from the server
    (`imap`), and writes in its own `db.session()`; `claim` records the message so it is
    never handled again (in a dry run nothing is written and `claim` returns True)."""

    settings: Settings
    db: Database
    imap: ImapSession
    header: MailHeader
    now: datetime
    dry_run: bool
    report: SyncReport

    def already(self) -> bool:
        with self.db.read_session() as session:
            return _recorded(session, [self.header.key]) != set()

    def claim(self, kind: str, *, application_id: int | None = None, snippet: str = "",
              session: Session | None = None) -> bool:
        """Record this message (kind "command", "capture", ...). False when it already was.
        Pass your own write `session` to record it in the same transaction as your work."""
        if self.dry_run:
            return True
        if session is not None:
            return _record(session, self.header, "in", kind, application_id, snippet,
                           now=self.now) \
                is not None
        with self.db.session() as own:
            return _record(own, self.header, "in", kind, application_id, snippet,
                           now=self.now) is not None

    def found(self, kind: str, app_id: int | None, detail: str) -> None:
        self.report.add(kind, self.header, app_id, detail)


InboxHandler = Callable[[MessageContext], bool]  # True: handled, later steps skip it
HANDLERS: dict[str, list[InboxHandler]] = {"commands": [], "capture": []}
# The modules that register handlers when present (act: commands, capture: capture).
HANDLER_MODULES = ("nudger.mail.act.commands", "nudger.mail.capture.live")


def register_inbox_handler(step: Literal["commands", "capture"], func: InboxHandler
                           ) -> InboxHandler:
    if func not in HANDLERS[step]:
        HANDLERS[step].append(func)
    return func


def _load_handlers() -> None:
    for name in HANDLER_MODULES:
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)


# --- the report --------------------------------------------------------------------------------

@dataclass
class Found:
    kind: str  # followup, reply, possible-reply, bounce, ignored, suggestion, command, capture
    folder: str
    uid: int
    key: str
    app_id: int | None
    date: datetime
    who: str
    subject: str
    detail: str

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "folder": self.folder, "uid": self.uid,
                "message": self.key, "application_id": self.app_id,
                "date": self.date.isoformat(), "who": self.who, "subject": self.subject,
                "detail": self.detail}


@dataclass
class SyncReport:
    server: str
    dry_run: bool
    started: datetime
    found: list[Found] = field(default_factory=list)
    folders: dict[str, dict[str, Any]] = field(default_factory=dict)
    error: str = ""
    transient: bool = True
    stopped: bool = False
    warnings: list[str] = field(default_factory=list)

    def add(self, kind: str, header: MailHeader, app_id: int | None, detail: str) -> None:
        outgoing = kind in ("followup", "suggestion", "contact-suggestion")
        who = "to " + ", ".join(header.recipients[:3]) if outgoing else header.from_addr
        self.found.append(Found(kind, header.folder, header.uid, header.key, app_id,
                                header.date, who, header.subject, detail))

    @property
    def ok(self) -> bool:
        return not self.error

    def as_json(self) -> dict[str, Any]:
        return {"server": self.server, "dry_run": self.dry_run,
                "started": self.started.isoformat(), "ok": self.ok, "error": self.error,
                "stopped": self.stopped, "folders": self.folders, "warnings": self.warnings,
                "found": [f.as_json() for f in self.found]}

    def lines(self, zone: tzinfo) -> list[str]:
        head = "dry run, nothing recorded: " if self.dry_run else ""
        out = []
        for name, info in self.folders.items():
            extra = " (UIDVALIDITY changed: rescanned within lookback)" if info.get(
                "rescanned") else ""
            out.append(f"{head}{name}: {info.get('new', 0)} new message(s) read{extra}")
        if not self.found and not self.error:
            out.append("nothing for nudger in the new mail")
        for item in self.found:
            when = item.date.astimezone(zone).strftime("%Y-%m-%d %H:%M")
            app = f"#{item.app_id} " if item.app_id else ""
            out.append(f"  {item.kind:<14} {app}{when} {item.who}: "
                       f"{item.subject or '(no subject)'} — {item.detail}")
        out.extend(f"warning: {w}" for w in self.warnings)
        if self.stopped:
            out.append("stopped early (shutdown); the next pass continues from here")
        return out


# --- the pass ------------------------------------------------------------------------------

def account_key(settings: Settings) -> str:
    imap = settings.imap
    assert imap is not None
    return f"{imap.username}@{imap.host}:{imap.effective_port}"


def run_sync(
    settings: Settings, db: Database, password: Secret, *, now: datetime,
    dry_run: bool = False, record_failure: bool = True,
    stop: Callable[[], bool] | None = None,
) -> SyncReport:
    """One pass. Never raises for a server's fault: the report carries `error` (one line:
    server, reason, what to do), recorded in `mailsync` for `status` and the digest."""
    imap = settings.imap
    assert imap is not None
    _load_handlers()
    report = SyncReport(server=f"{imap.host}:{imap.effective_port}", dry_run=dry_run,
                        started=now)
    try:
        with open_session(settings, password) as session:
            try:
                _pass(settings, db, session, now, report, dry_run, stop or (lambda: False))
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
          report: SyncReport, dry_run: bool, stop: Callable[[], bool]) -> None:
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
                direction, folder)
        if report.stopped:
            return


def _folder(settings: Settings, db: Database, imap: ImapSession, calendar: Calendar,
            index: Index, now: datetime, report: SyncReport, dry_run: bool,
            stop: Callable[[], bool], direction: str, folder: str) -> None:
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
        _batch(settings, db, imap, calendar, index, now, report, dry_run, direction,
               folder, validity, batch)
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


def _recorded(s: Session, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        found.update(s.exec(select(MailMessage.key).where(
            col(MailMessage.key).in_(keys[start:start + 500]))).all())
    return found


@dataclass
class _Decision:
    kind: str  # followup, reply, possible-reply, bounce, contact-suggestion
    header: MailHeader
    app_id: int | None
    text: str = ""
    addresses: tuple[str, ...] = ()
    why: str = ""  # for a reply made a suggestion: the Authentication-Results verdict


def _batch(settings: Settings, db: Database, imap: ImapSession, calendar: Calendar,
           index: Index, now: datetime, report: SyncReport, dry_run: bool, direction: str,
           folder: str, validity: int, batch: list[MailHeader]) -> None:
    with db.read_session() as s:
        done = _recorded(s, [h.key for h in batch])
    decisions: list[_Decision] = []
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
            decision = _decide(settings, db, imap, index, now, report, dry_run, direction,
                               header)
        except MailboxError:
            raise
        except Exception as exc:  # the message's fault: skipped, recorded, reported
            skipped.append((header, _skip_reason(exc)))
            continue
        if decision is not None:
            decisions.append(decision)
    # One transaction for the batch's effects and the folder state that covers them.
    if dry_run:
        _dry(decisions, index, report)
        for header, why in skipped:
            report.add("skipped", header, None, f"would be skipped: {why}")
        return
    with db.session() as s:
        for decision in decisions:
            savepoint = s.begin_nested()
            try:
                _apply(s, settings, calendar, index, now, report, decision)
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
            now: datetime, report: SyncReport, dry_run: bool, direction: str,
            header: MailHeader) -> _Decision | None:
    """What one new message asks for (handlers run here: commands, then capture); its
    text fetched when it matched. None: nothing more to do for it."""
    if direction == "out":
        decision = _decide_sent(header, index, settings)
    else:
        if _run_handlers("commands", settings, db, imap, header, now, report, dry_run):
            return None
        decision = _decide_inbox(header, index, report)
        if decision is None:
            _run_handlers("capture", settings, db, imap, header, now, report, dry_run)
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
    if _record(s, header, direction, "skipped", None, why, now=now) is not None:
        report.add("skipped", header, None, f"could not be handled, skipped: {why}")


def _run_handlers(step: str, settings: Settings, db: Database, imap: ImapSession,
                  header: MailHeader, now: datetime, report: SyncReport, dry_run: bool
                  ) -> bool:
    if step == "commands" and not settings.mailbox.commands:
        return False
    if step == "capture" and settings.mailbox.capture == "off":
        return False
    handlers = HANDLERS.get(step, [])
    if not handlers:
        return False
    ctx = MessageContext(settings, db, imap, header, now, dry_run, report)
    return any(handler(ctx) for handler in handlers)


def _decide_sent(header: MailHeader, index: Index, settings: Settings) -> _Decision | None:
    if not header.recipients:
        return None
    app = index.by_thread(header)
    if app is None:
        app = index.best(a for addr in header.recipients
                         for a in index.by_contact.get(addr, ()))
    if app is not None:
        return _Decision("followup", header, app)
    own = settings.profile.email.lower()
    for addr in header.recipients:
        if addr == own:
            continue
        company = index.by_company(addr)
        if company is not None:
            return _Decision("contact-suggestion", header, company, addresses=(addr,))
    return None


def _decide_inbox(header: MailHeader, index: Index, report: SyncReport) -> _Decision | None:
    if header.is_bounce:
        return _Decision("bounce", header, None)
    app = index.by_thread(header)
    if app is None and header.from_addr:
        app = index.by_address(header.from_addr)
    if app is not None:
        if header.never_a_reply:
            why = ("an auto-reply" if header.auto_submitted else
                   "mailing-list mail" if header.is_list else "bulk mail")
            report.add("ignored", header, app, f"{why}, never counted as a reply")
            return None
        if header.auth_failed:
            # The receiving server says the sender is not who it claims: a suggestion at
            # most, never a pause or a recorded reply.
            return _Decision("possible-reply", header, app, why=header.auth_failed)
        return _Decision("reply", header, app)
    if header.from_addr and not header.never_a_reply:
        company = index.by_company(header.from_addr)
        if company is not None:
            return _Decision("possible-reply", header, company)
    return None


def _snippet(text: str) -> str:
    # Quoted text and signatures are not the reply: drop lines from the first quote marker.
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(">") or stripped == "--" or re.match(
                r"^(On .{3,80} wrote:|-----Original Message-----|Am .{3,80} schrieb)",
                stripped):
            break
        lines.append(stripped)
    return server_text(" ".join(lines), SNIPPET)


_FINAL_RECIPIENT = re.compile(r"(?im)^\s*(?:final|original)-recipient:\s*rfc822;\s*<?([^\s>]+)")
_DIAGNOSTIC = re.compile(r"(?im)^\s*(?:diagnostic-code|status):\s*(.+)$")


def _bounced(decision: _Decision) -> tuple[list[str], str]:
    addrs = list(decision.header.failed_recipients)
    for match in _FINAL_RECIPIENT.finditer(decision.text):
        addr = match.group(1).strip().lower()
        if addr not in addrs:
            addrs.append(addr)
    detail = ""
    diag = _DIAGNOSTIC.findall(decision.text)
    if diag:
        detail = diag[-1]
    elif decision.text:
        detail = decision.text
    return addrs, server_text(detail, 160)


def _dry(decisions: list[_Decision], index: Index, report: SyncReport) -> None:
    for d in decisions:
        if d.kind == "bounce":
            addrs, _detail = _bounced(d)
            hit = [a for a in addrs if a in index.by_contact]
            if hit:
                report.add("bounce", d.header, index.by_address(hit[0]),
                           f"would mark {', '.join(hit)} as bouncing")
            continue
        what = {"followup": "would log an email touch",
                "reply": "would record the reply",
                "possible-reply": "would suggest it as a possible reply",
                "contact-suggestion": "would suggest adding the recipient as a contact"}
        report.add(d.kind, d.header, d.app_id, what[d.kind])


def _record(s: Session, header: MailHeader, direction: str, kind: str,
            app_id: int | None, snippet: str, touch_id: int | None = None, *,
            now: datetime) -> MailMessage | None:
    """Insert the message's row; None when its key is already recorded."""
    if s.exec(select(MailMessage.id).where(MailMessage.key == header.key)).first():
        return None
    row = MailMessage(
        key=header.key, message_id=header.message_id, direction=direction, kind=kind,
        folder=server_text(header.folder, 100), date=header.date.astimezone(UTC),
        from_addr=header.from_addr, from_name=header.from_name,
        to_addrs=", ".join(header.recipients[:20])[:1000], subject=header.subject,
        snippet=server_text(snippet, SNIPPET), application_id=app_id, touch_id=touch_id,
        created_at=now.astimezone(UTC), thread_refs=" ".join(header.references)[:4000])
    s.add(row)
    s.flush()
    return row


def _apply(s: Session, settings: Settings, calendar: Calendar, index: Index,
           now: datetime, report: SyncReport, d: _Decision) -> None:
    header = d.header
    if d.kind == "followup":
        _apply_followup(s, settings, calendar, index, report, d)
    elif d.kind == "reply":
        _apply_reply(s, settings, index, report, d)
    elif d.kind == "possible-reply":
        row = _record(s, header, "in", "possible-reply", None, _snippet(d.text),
                      now=now)
        if row is None or d.app_id is None:
            return
        ref = index.apps[d.app_id]
        who = f"{header.from_name} <{header.from_addr}>" if header.from_name else \
            header.from_addr
        made = propose(
            s, kind="reply", fingerprint=f"reply:{header.key}",
            summary=f"possible reply from {who} to #{d.app_id} {ref.company}: "
                    f"{header.subject or '(no subject)'}",
            reason=(f"Authentication-Results says {d.why}: the sender may not be who it "
                    "claims" if d.why else
                    f"the sender's domain {domain_of(header.from_addr)} is "
                    f"{ref.company}'s, but the sender is not a contact"),
            confidence=0.5, payload={"key": header.key}, application_id=d.app_id,
            source=header.key, now=now.astimezone(UTC))
        if made is not None:
            report.add("possible-reply", header, d.app_id,
                       f"suggested as S{made.id} (accept: nudger accept S{made.id})")
    elif d.kind == "contact-suggestion":
        if d.app_id is None:
            return
        addr = d.addresses[0]
        ref = index.apps[d.app_id]
        made = propose(
            s, kind="contact", fingerprint=f"contact:{d.app_id}:{addr}",
            summary=f"add {addr} as a contact of #{d.app_id} {ref.company}",
            reason=f"you wrote to {addr} ({company_domain(domain_of(addr))} is "
                   f"{ref.company}'s domain)",
            confidence=0.6, payload={"name": addr.split("@")[0], "email": addr},
            application_id=d.app_id, source=header.key, now=now.astimezone(UTC))
        if made is not None:
            report.add("suggestion", header, d.app_id, f"S{made.id}: add {addr} as a contact")
    elif d.kind == "bounce":
        _apply_bounce(s, index, report, d)


def _apply_followup(s: Session, settings: Settings, calendar: Calendar, index: Index,
                    report: SyncReport, d: _Decision) -> None:
    from nudger.track.progress import current_step

    header = d.header
    assert d.app_id is not None
    app = s.get(Application, d.app_id)
    if app is None:
        return
    day = header.date.astimezone(settings.zone).date()
    snippet = _snippet(d.text)
    if day < app.stage_since:
        # Before the current stage: kept for threading, not a touch of this stage.
        if _record(s, header, "out", "followup", app.id, snippet,
                   now=report.started) is not None:
            index.remember(header.message_id, app.id)
        return
    same_day = s.exec(select(Touch).where(
        Touch.application_id == app.id, Touch.action == "email", Touch.touched_on == day,
        Touch.skipped == False)).first()  # noqa: E712 - SQL comparison
    if same_day is not None:
        row = _record(s, header, "out", "followup", app.id, snippet, same_day.id,
                      now=report.started)
        if row is not None:
            index.remember(header.message_id, app.id)
            report.add("followup", header, app.id,
                       f"the email touch of {day} was already logged; linked to it")
        return
    nudge = current_step(s, settings, calendar, app, day)
    step = nudge.step if nudge is not None and nudge.action == "email" else None
    ends_pause = app.paused_since is None or header.date > as_utc(app.paused_since)
    touch = tracker.log_touch(s, app.id or 0, "email", day, now=report.started,
                              note=server_text(f"sent: {header.subject}", 200),
                              step=step, ends_pause=ends_pause)
    s.flush()
    row = _record(s, header, "out", "followup", app.id, snippet, touch.id,
                  now=report.started)
    if row is not None:
        index.remember(header.message_id, app.id)
    done = f", completes {nudge.label}" if step is not None and nudge is not None else ""
    report.add("followup", header, app.id, f"logged an email touch on {day}{done}")




def _apply_reply(s: Session, settings: Settings, index: Index, report: SyncReport,
                 d: _Decision) -> None:
    header = d.header
    assert d.app_id is not None
    app = s.get(Application, d.app_id)
    if app is None:
        return
    row = _record(s, header, "in", "reply", app.id, _snippet(d.text), now=report.started)
    if row is None:
        return
    index.remember(header.message_id, app.id)
    detail = "recorded"
    if settings.mailbox.replies == "pause" and app.stage in OPEN_STAGES:
        answered = s.exec(select(MailMessage.id).where(
            MailMessage.application_id == app.id, MailMessage.kind == "followup",
            col(MailMessage.date) > row.date)).first()
        if answered is not None:
            detail = "recorded; you already answered it, so nothing is paused"
        elif pause(s, app, row, report.started):
            detail = f"recorded; nudges paused (nudger resume {app.id} to undo)"
    report.add("reply", header, app.id, detail)


def _apply_bounce(s: Session, index: Index, report: SyncReport, d: _Decision) -> None:
    addrs, detail = _bounced(d)
    if d.header.auth_failed:
        # A bounce whose sender fails authentication may be forged to silence a contact:
        # reported, never applied.
        report.add("ignored", d.header, None,
                   f"a bounce, but Authentication-Results says {d.header.auth_failed}; "
                   f"not applied (it names {', '.join(addrs[:3]) or 'no address'})")
        return
    marked: list[str] = []
    first_app: int | None = None
    for addr in addrs:
        for app_id in index.by_contact.get(addr, []):
            contact_id = index.contact_ids.get((app_id, addr))
            contact = s.get(Contact, contact_id) if contact_id else None
            if contact is None:
                continue
            contact.bounced_at = d.header.date.astimezone(UTC)
            contact.bounce_detail = detail
            s.add(contact)
            first_app = first_app or app_id
            if addr not in marked:
                marked.append(addr)
    if not marked:
        return
    if _record(s, d.header, "in", "bounce", first_app, detail,
               now=report.started) is not None:
        report.add("bounce", d.header, first_app,
                   f"{', '.join(marked)} bounced ({detail or 'no reason given'}); marked "
                   "as bouncing")
