"""Who may command, and with what (the rules, in order, in the package's docstring): a
candidate message, its sender, its Authentication-Results, the digest it answers, and
whether a button's step is still the one next. Reads only."""

from __future__ import annotations

import re
from datetime import date, timedelta
from email.message import Message

from sqlmodel import Session, col, or_, select

from nudger.config import Settings
from nudger.mail.act.buttons import command_address, owner_address
from nudger.mail.act.commands.execute import Run, internal_id, valid_ids
from nudger.mail.act.commands.parse import SUBJECT_PREFIX, Command
from nudger.mail.act.replytext import all_text
from nudger.mail.act.sender import header_text, header_values, strict_from, verdict
from nudger.mail.act.tokens import MARKERS, MAX_AGE_DAYS, Pin
from nudger.mail.imap.headers import MailHeader, parse_address_list
from nudger.store.db import Database
from nudger.store.models import Application, DigestRecord
from nudger.text import one_line
from nudger.vocab import OutboxState

MAX_RECIPIENT_HEADER = 16_384  # characters of one To/Cc read: a command needs no more


def _addresses(msg: Message, *names: str) -> list[str]:
    """The addresses in these fields, read from the raw values (the email package's own
    header parser recurses per nested comment: 2,000 `(` exhaust the stack), capped."""
    wanted = {name.lower() for name in names}
    found: list[str] = []
    for name, value in msg.raw_items():
        if name.lower() in wanted:
            found.extend(parse_address_list(str(value)[:MAX_RECIPIENT_HEADER]))
    return found


def is_candidate(settings: Settings, msg: Message) -> bool:
    """Is this message meant as a command (whether or not it may run)?"""
    cmd = command_address(settings).lower()
    if cmd and cmd != owner_address(settings) and cmd in _addresses(
            msg, "To", "Cc", "Delivered-To", "X-Original-To"):
        return True
    refs = " ".join(header_text(msg, h) for h in ("In-Reply-To", "References"))
    if "<nudger-digest." in refs:
        return True
    subject = header_text(msg, "Subject")
    text = subject + "\n" + all_text(msg)
    return any(marker in text for marker in MARKERS)


def auto_submitted(msg: Message) -> str:
    value = header_text(msg, "Auto-Submitted").strip().lower()
    if value and value != "no":
        return f"Auto-Submitted: {one_line(value)[:40]}"
    if header_text(msg, "X-Autoreply") or header_text(msg, "X-Autorespond"):
        return "an auto-reply (X-Autoreply)"
    precedence = header_text(msg, "Precedence").strip().lower()
    if precedence in ("bulk", "list", "junk", "auto_reply"):
        return f"Precedence: {precedence}"
    return ""


_AUTH_FAIL = re.compile(r"\b(dkim|dmarc|spf)\s*=\s*(fail|permerror)\b", re.IGNORECASE)


def authentication_failed(msg: Message) -> str:
    for value in header_values(msg, "Authentication-Results"):
        found = _AUTH_FAIL.search(str(value))
        if found:
            return f"Authentication-Results says {found.group(1).lower()}={found.group(2).lower()}"
    return ""


def sender_refusal(settings: Settings, msg: Message) -> str:
    """Why this message may not command, or "" (the token is checked separately)."""
    why = auto_submitted(msg)
    if why:
        return why
    sender, why = strict_from(msg)
    if why:
        return why
    if sender != owner_address(settings):
        return "From is not the owner's address (profile.email)"
    failed = authentication_failed(msg)
    if failed:
        return failed
    vouched = verdict(settings, msg, sender)
    return "" if vouched.ok else vouched.why



NOT_A_REPLY = "not a reply to a digest"
OLD_DIGEST = "a reply to an unknown or old digest"
_DIGEST_ID = re.compile(r"<nudger-digest\.[^<>\s]{1,200}>")
MAX_REFERENCED_DIGESTS = 50


def referenced_digests(msg: Message) -> list[str]:
    """The digest Message-IDs this message's In-Reply-To and References name (capped)."""
    refs = " ".join(one_line(header_text(msg, h))[:20_000]
                    for h in ("In-Reply-To", "References"))
    return _DIGEST_ID.findall(refs)[-MAX_REFERENCED_DIGESTS:]


def answers_digest(db: Database, msg: Message, today: date) -> str:
    """"" when the message replies to a digest nudger sent (or may have sent: a lost
    reply after DATA) within the last MAX_AGE_DAYS days; else why not."""
    ids = referenced_digests(msg)
    if not ids:
        return NOT_A_REPLY
    oldest = today - timedelta(days=MAX_AGE_DAYS)
    with db.session() as session:
        found = session.exec(select(DigestRecord.id).where(
            col(DigestRecord.message_id).in_(ids),
            DigestRecord.local_date >= oldest, DigestRecord.local_date <= today,
            or_(col(DigestRecord.state) == OutboxState.SENT.value,
                col(DigestRecord.uncertain).is_(True)))).first()
    return "" if found is not None else OLD_DIGEST



_REPLY_PREFIXES = re.compile(r"^((re|aw|fwd?|sv|antw)\s*:\s*)+", re.IGNORECASE)


_REPLY_PREFIXES = re.compile(r"^((re|aw|fwd?|sv|antw)\s*:\s*)+", re.IGNORECASE)


def header_candidate(settings: Settings, header: MailHeader) -> bool:
    """Headers only (a body is read only for a message that matched): addressed to a
    command address of its own, answering a digest, or a button's subject."""
    cmd = command_address(settings).lower()
    if cmd and cmd != owner_address(settings) and cmd in header.recipients:
        return True
    if any(t.startswith("nudger-digest.") for t in header.thread_ids):
        return True
    subject = _REPLY_PREFIXES.sub("", header.subject.strip())
    return subject.lower().startswith(SUBJECT_PREFIX)



def pin_problem(session: Session, run: Run, cmd: Command, pin: Pin | None) -> str:
    """Why a Done / Skip / Snooze button may not act now ("" when it may): the step it was
    shown for must still be the one next, at the same due day. Reads only."""
    from sqlmodel import col

    from nudger.store.models import MailMessage, Touch
    from nudger.track.progress import current_step

    app_id = internal_id(session, cmd.app_id)
    app = session.get(Application, app_id) if app_id is not None else None
    if app is None:
        return f"there is no application #{cmd.app_id}; {valid_ids(session)}"
    name = f"#{app_id} {app.company}"
    if pin is None:
        return (f"this button comes from a digest made before buttons named their step, so "
                f"nudger cannot tell which follow-up of {name} it meant; nothing recorded. "
                f"Tap the button in a recent digest, or reply to one with `{cmd.line}`")
    nudge = current_step(session, run.settings, run.calendar, app, run.today)
    if nudge is not None and (nudge.stage, nudge.step, nudge.due) == (pin.stage, pin.step,
                                                                       pin.due):
        return ""
    if app.stage == pin.stage:
        touch = session.exec(
            select(Touch).where(Touch.application_id == app_id, Touch.stage == pin.stage,
                                Touch.step == pin.step, Touch.touched_on >= app.stage_since)
            .order_by(col(Touch.id).desc())).first()
        if touch is not None:
            from_sent = touch.id is not None and session.exec(
                select(MailMessage.id).where(MailMessage.touch_id == touch.id)).first()
            how = ("skipped" if touch.skipped
                   else "logged from your Sent folder" if from_sent
                   else f"done ({touch.action})")
            return (f"already done: {name}, {pin.describe()}, was {how} on "
                    f"{touch.touched_on:%a} {touch.touched_on.isoformat()}; nothing recorded")
    if app.stage != pin.stage:
        return (f"{name} is now {app.stage} (since {app.stage_since.isoformat()}); this "
                f"button was for {pin.describe()}; nothing recorded")
    now_next = (f"its next step is now {nudge.label}, due {nudge.due:%a} "
                f"{nudge.due.isoformat()}" if nudge is not None
                else "nothing more is planned for it")
    return (f"this button was for {name}, {pin.describe()}, and {now_next} (something was "
            f"logged since that digest); nothing recorded. To act on the step now next, "
            f"reply to a recent digest with `{cmd.verb} {app_id}`")

