"""One command message, start to finish: a candidate checked (`authorise`), its lines read
(`parse`) and carried out (`execute`) exactly once, in one transaction with its
`mailcommand` row; a button once and for its own step only; a refusal recorded and
answered. `on_inbox_message` is the sync's command step (docs/mailbox.md: step 1 of each
new INBOX message), passed to the sync by its caller (nudger.mail.handlers)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.message import EmailMessage, Message
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from nudger.config import Settings
from nudger.errors import NudgerError
from nudger.mail.act.buttons import commands_enabled
from nudger.mail.act.commandlog import MailCommand, MailCommandButton, button_used
from nudger.mail.act.commands.authorise import (
    NOT_A_REPLY,
    OLD_DIGEST,
    answers_digest,
    header_candidate,
    is_candidate,
    pin_problem,
    sender_refusal,
)
from nudger.mail.act.commands.execute import (
    Outcome,
    Run,
    execute,
    next_for_number,
    outcome_json,
)
from nudger.mail.act.commands.parse import (
    PINNED_VERBS,
    USAGE,
    Command,
    Parsed,
    message_id_of,
    parse_message,
)
from nudger.mail.act.replytext import all_text
from nudger.mail.act.sender import header_text
from nudger.mail.act.tokens import MAX_AGE_DAYS, Grant, Token, check, find_tokens
from nudger.store.db import Database
from nudger.text import one_line
from nudger.when.business import Calendar

if TYPE_CHECKING:
    from nudger.mail.imap.inbox import MessageContext

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 2_000_000


@dataclass
class Handled:
    """What became of one candidate message."""

    status: str  # "done" | "refused" | "duplicate"
    reason: str = ""
    outcomes: list[Outcome] = field(default_factory=list)
    row_id: int | None = None



def refuse(reason: str, msg: Message) -> Handled:
    log.warning("command mail refused (%s): Message-ID %s", reason,
                message_id_of(msg) or "(none)")
    return Handled("refused", reason)



def handle_message(settings: Settings, db: Database, calendar: Calendar, key: bytes,
                   message_key: str, msg: EmailMessage | Message, *, today: date,
                   now: datetime, record: Callable[[Session], object] | None = None
                   ) -> Handled | None:
    """Carry out a command message exactly once; None when it is not a command message.
    `record` runs inside the transaction that carries the commands out (the sync records
    the message as handled there, so both happen or neither). A message from the owner
    that neither answers a recent digest nor carries a button's token is recorded as
    refused and answered (status "refused", with a row); anyone else's is only logged."""
    if not is_candidate(settings, msg):
        return None
    why = sender_refusal(settings, msg)
    if why:
        return refuse(why, msg)
    tokens = find_tokens(one_line(header_text(msg, "Subject")) + "\n" + all_text(msg))
    # Only a message whose From is exactly the owner's gets this far (a stranger's is
    # refused above, its body never parsed); the parse itself is capped and linear
    # (replytext: MAX_HTML_CHARS, linear_html, MAX_LINE_CHARS).
    parsed = parse_message(msg)
    not_reply = answers_digest(db, msg, today)
    # A typed line in a reply to a digest has the command line's meaning; a line only a
    # button's token allows is that button, with its pin and its one use.
    allowed: list[tuple[Command, Token | None]] = []
    denied: list[Command] = []
    for command in parsed.commands:
        if not not_reply:
            allowed.append((command, None))
            continue
        verdict = check(key, tokens, [command.grant()], today)
        if verdict.ok:
            allowed.append((command, verdict.token))
        else:
            denied.append(command)
    refusal = ""
    if not_reply and not allowed:
        # An old digest's reply key (Grant.digest) authorises nothing any more, and a
        # message with many tokens is a quoted or forwarded digest, not a tapped button
        # (which carries one): both are answered as "not a reply", never as a changed
        # button.
        old_key = check(key, tokens, [Grant.digest()], today)
        button = check(key, tokens, [c.grant() for c in parsed.commands], today)
        refusal = not_reply if old_key.ok or "expired" in old_key.reason \
            or not parsed.commands or len(tokens) > 1 or button.reason == "no token" \
            else button.reason
        refuse(refusal, msg)
    run = Run(settings, calendar, today, now)
    outcomes: list[Outcome] = []
    with db.session() as session:
        if session.exec(select(MailCommand.id)
                        .where(MailCommand.message_key == message_key)).first() is not None:
            log.info("command mail %s was carried out before; not again",
                     message_id_of(msg) or message_key)
            return Handled("duplicate")
        row = MailCommand(message_key=message_key, message_id=message_id_of(msg),
                          processed_at=now, refusal=refusal[:200],
                          subject=one_line(header_text(msg, "Subject"))[:200])
        session.add(row)
        session.flush()
        assert row.id is not None
        if refusal:
            outcomes.append(Outcome("", False, refusal_answer(refusal, parsed, tokens),
                                    verb="refused"))
        elif parsed.too_long:
            outcomes.append(Outcome("", False, parsed.too_long))
        else:
            for command, token in allowed:
                outcomes.append(_run_one(session, run, command) if token is None
                                else _run_button(session, run, command, token, row.id))
            for command in denied:
                outcomes.append(Outcome(command.line, False,
                                        "not carried out: the button you tapped was made for "
                                        "another command; reply to the digest to do this"))
            outcomes.extend(Outcome(e, False, "") for e in parsed.errors)
            if not parsed.commands and not parsed.errors:
                outcomes.append(Outcome("", False, f"no command found; write one per line: "
                                        f"{USAGE}"))
        row.done = json.dumps([o.text for o in outcomes if o.ok])
        row.outcome = json.dumps([outcome_json(o) for o in outcomes])
        session.add(row)
        row_id = row.id
        if record is not None:
            record(session)
    if refusal:
        return Handled("refused", refusal, outcomes, row_id)
    done = sum(o.ok for o in outcomes)
    log.info("command mail %s: %d of %d carried out", message_id_of(msg) or message_key,
             done, len(outcomes))
    return Handled("done", "", outcomes, row_id)



def _run_one(session: Session, run: Run, command: Command, *, pinned: bool = False
             ) -> Outcome:
    savepoint = session.begin_nested()
    try:
        outcome = execute(session, run, command, pinned=pinned)
    except NudgerError as exc:
        savepoint.rollback()
        return Outcome(command.line, False, str(exc), verb=command.verb)
    savepoint.commit()
    return outcome



def _when(at: datetime, zone: ZoneInfo) -> str:
    local = at.astimezone(zone) if at.tzinfo else at.replace(tzinfo=UTC).astimezone(zone)
    return f"{local:%a} {local:%Y-%m-%d %H:%M}"



def _run_button(session: Session, run: Run, command: Command, token: Token,
                row_id: int) -> Outcome:
    """A command a button authorised: once per button, and for its own step only."""
    earlier = button_used(session, token.use_key)
    if earlier is not None:
        line, at = earlier
        return Outcome(command.line, False,
                       f"already done: this button was carried out on "
                       f"{_when(at, run.zone)} ({line}); nothing recorded",
                       next_for_number(session, run, command.app_id),
                       verb="already")
    if command.verb in PINNED_VERBS:
        problem = pin_problem(session, run, command, token.pin)
        if problem:
            return Outcome(command.line, False, problem,
                           next_for_number(session, run, command.app_id),
                           verb="already" if problem.startswith("already") else "")
    outcome = _run_one(session, run, command, pinned=True)
    if outcome.ok:
        session.add(MailCommandButton(use_key=token.use_key, mailcommand_id=row_id,
                                      line=command.line, used_at=run.now))
    return outcome



def refusal_answer(reason: str, parsed: Parsed, tokens: Sequence[Token]) -> str:
    """What the owner is told about a refused message: what was wrong, what would work."""
    lines = [c.line for c in parsed.commands]
    example = f"`{lines[0]}`" if lines else "the command (one per line)"
    if "expired" in reason:
        issued = min((t.issued for t in tokens), default=None)
        when = f" of {issued.isoformat()}" if issued else ""
        return (f"the button{when} you tapped is too old: buttons work "
                f"for {MAX_AGE_DAYS} days. Tap the button in a recent digest, or "
                f"reply to today's digest with {example}")
    if reason == NOT_A_REPLY:
        return ("your message is not a reply to a digest nudger sent you (a forwarded or "
                "new message does not count, and digests no longer print a reply key). "
                f"Reply to a recent digest with {example}")
    if reason == OLD_DIGEST:
        return (f"the digest you answered is unknown or older than {MAX_AGE_DAYS} days: "
                f"replies work for {MAX_AGE_DAYS} days. Reply to today's digest with "
                f"{example}")
    return ("the button was changed before it was sent: a button carries out only the "
            "command it was made for. Send the button's message as it is, or reply to a "
            f"recent digest with {example}")



def on_inbox_message(ctx: MessageContext) -> bool:
    """The sync's command step: True when the message was a command (carried out, refused
    or a duplicate), so replies and capture leave it alone."""
    settings, header = ctx.settings, ctx.header
    if not commands_enabled(settings) or not header_candidate(settings, header):
        return False  # most mail: decided before anything is imported or fetched
    from email import message_from_bytes
    from email.policy import default as default_policy

    from nudger.mail.act.tokens import load_or_create_key

    raw, size = ctx.imap.fetch_message(header.uid, MAX_MESSAGE_BYTES)
    parsed = message_from_bytes(raw, policy=default_policy)
    if size > MAX_MESSAGE_BYTES:
        log.warning("command mail refused (larger than %d bytes): Message-ID %s",
                    MAX_MESSAGE_BYTES, message_id_of(parsed) or header.key)
        ctx.found("command", None, "refused: too large")
        return True
    if ctx.dry_run:
        ctx.found("command", None, "a command message (dry run: not carried out)")
        return True
    key = load_or_create_key(ctx.db.path.parent)
    today = ctx.now.astimezone(settings.zone).date()
    handled = handle_message(
        settings, ctx.db, Calendar.from_settings(settings), key, header.key, parsed,
        today=today, now=ctx.now,
        record=lambda session: ctx.claim("command", session=session))
    if handled is None:
        return False
    if handled.status == "done":
        done = sum(o.ok for o in handled.outcomes)
        ctx.found("command", None, f"{done} of {len(handled.outcomes)} carried out")
    else:
        ctx.found("command", None, handled.status)
    return True

