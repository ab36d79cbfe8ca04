"""Confirmations of command mail: to the owner (`profile.email`) and nobody else, ever.

Each `mailcommand` row is a small outbox entry: its confirmation is composed from the
outcome stored with it and sent through the configured delivery method after the sync's
mailbox work is done (never inside a database transaction, never blocking the pass). A
transient failure (the SMTP server down, a 4xx) is retried at the next pass after a
backoff; a permanent one is recorded and logged. The reply goes To the owner whatever the
command's From or Reply-To say: a forged command never produces mail to its forger.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from sqlmodel import col, or_, select, update

from nudger.config import Settings
from nudger.mail.act.commandlog import MailCommand
from nudger.mail.act.commands.execute import Outcome, outcomes_of
from nudger.mail.act.commands.parse import USAGE
from nudger.send.message import (
    CONFIRMATION,
    REFUSAL,
    MailKind,
    make_message,
    msgid_domain,
    sender_address,
)
from nudger.store.db import Database
from nudger.text import clean_header

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15),
           timedelta(hours=1))
BATCH = 20
# `sending` with its claim expired: the process that claimed it died mid-send.
CLAIMABLE = ("pending", "retry", "sending")


def compose_confirmation(settings: Settings, row: MailCommand, now: datetime) -> EmailMessage:
    """The answer to one command message, rendered from the `confirmation` templates (the
    `refusal` ones when the message was refused), To the owner and threaded under it."""
    kind, context = confirmation_context(outcomes_of(row), row.subject)
    return make_message(settings, kind, context, now=now,
                        message_id=confirmation_message_id(settings, row),
                        in_reply_to=row.message_id)


# The subject's first word names what happened (a snooze is not "done").
HEADLINES = {"done": "done", "skip": "skipped", "snooze": "snoozed", "log": "logged",
             "stage": "stage changed", "note": "noted", "add": "added",
             "accept": "accepted", "dismiss": "dismissed", "resume": "resumed"}


def _headline(outcome: Outcome) -> str:
    return HEADLINES.get(outcome.verb, "done")


def _short(text: str) -> str:
    return clean_header(text, limit=80)


def confirmation_context(outcomes: Sequence[Outcome], subject: str
                         ) -> tuple[MailKind, dict[str, Any]]:
    """The kind (a refusal when the one outcome is a refused message) and the template
    values (templates/README.md): `done` and `wrong` (each with text, line, next, verb, and
    for the subject `headline` and `short`), `usage` (the commands, one line) and
    `subject` (the command mail's own, one header-safe line or "")."""
    def item(o: Outcome) -> dict[str, Any]:
        return {"line": o.line, "text": o.text, "next": o.next, "verb": o.verb,
                "headline": _headline(o), "short": _short(o.text if o.ok else
                                                          o.line or o.text)}

    done = [item(o) for o in outcomes if o.ok]
    wrong = [item(o) for o in outcomes if not o.ok]
    refused = not done and len(wrong) == 1 and wrong[0]["verb"] == "refused"
    context = {"done": done, "wrong": wrong, "usage": USAGE,
               "subject": clean_header(subject, limit=120)}
    if refused:
        return REFUSAL, {**context, "why": wrong[0]["line"] or wrong[0]["text"]}
    return CONFIRMATION, context


# What `nudger check` renders the confirmation and refusal templates with: every branch.
SAMPLE_OUTCOMES: tuple[tuple[tuple[Outcome, ...], str], ...] = (
    ((Outcome("done 12", True, "#12: done follow-up email (Acme)",
              "next for #12 Acme: call on 2026-12-01", "done"),), "Re: Your follow-ups"),
    ((Outcome("done 12", True, "#12: done follow-up email (Acme)", "", "done"),
      Outcome("snooze 7 3 days", True, "#7: snoozed until 2026-11-27", "", "snooze")), ""),
    ((Outcome("done 12", True, "#12: done follow-up email (Acme)", "", "done"),
      Outcome("done 42", False, "no application #42"), Outcome("frobnicate", False, "")),
     "commands"),
    ((Outcome("done 12", False, "already done on Tue 24 Nov 07:31", "", "already"),), "x"),
    ((Outcome("", False, "your message is not a reply to a digest nudger sent you",
              "", "refused"),), "hello"),
    ((Outcome("", False, "no command found; write one per line"),), ""),
)


def confirmation_message_id(settings: Settings, row: MailCommand) -> str:
    digest = hashlib.sha256(row.message_key.encode("utf-8", "replace")).hexdigest()[:16]
    return f"<nudger-confirm.{row.id}.{digest}@{msgid_domain(sender_address(settings).addr_spec)}>"


def _due(now: datetime):  # type: ignore[no-untyped-def]
    return or_(col(MailCommand.reply_next_at).is_(None), col(MailCommand.reply_next_at) <= now)


def pending(db: Database, now: datetime) -> list[MailCommand]:
    with db.read_session() as s:
        return list(s.exec(
            select(MailCommand)
            .where(col(MailCommand.reply_state).in_(CLAIMABLE))
            .where(_due(now)).order_by(col(MailCommand.id)).limit(BATCH)).all())


def _claim(db: Database, row_id: int, now: datetime) -> bool:
    """Only the process that moves the row to `sending` sends it (a second daemon skips)."""
    with db.session() as s:
        result = s.exec(
            update(MailCommand)
            .where(col(MailCommand.id) == row_id)
            .where(col(MailCommand.reply_state).in_(CLAIMABLE))
            .where(_due(now))
            .values(reply_state="sending", reply_attempts=MailCommand.reply_attempts + 1,
                    reply_next_at=now + timedelta(minutes=10)))
        return bool(result.rowcount)


def _mark(db: Database, row_id: int, state: str, error: str = "",
          next_at: datetime | None = None) -> None:
    with db.session() as s:
        row = s.get(MailCommand, row_id)
        if row is None:
            return
        row.reply_state = state
        row.reply_error = error[:500]
        row.reply_next_at = next_at
        s.add(row)


async def send_confirmations(settings: Settings, db: Database, env: Mapping[str, str],
                             now: datetime, *, data_dir: Path) -> list[str]:
    """Send every confirmation due; one line per message for the pass's report. Never
    raises for a delivery failure: it is recorded and retried."""
    from nudger.errors import NudgerError
    from nudger.send.delivery import DeliveryError, open_transport

    rows = pending(db, now)
    if not rows:
        return []
    report: list[str] = []
    try:
        transport = open_transport(settings, env, data_dir=data_dir)
    except NudgerError as exc:
        log.warning("confirmations not sent: %s", exc)
        return [f"confirmations not sent: {exc}"]
    async with transport:
        for row in rows:
            assert row.id is not None
            if not _claim(db, row.id, now):
                continue
            try:
                message = compose_confirmation(settings, row, now)
            except NudgerError as exc:
                # The user's template failed on this row's values (check renders samples
                # only): a fixed template and a reload send it at a later pass.
                attempts = row.reply_attempts + 1
                state = "retry" if attempts < MAX_ATTEMPTS else "failed"
                wait = BACKOFF[min(attempts - 1, len(BACKOFF) - 1)]
                _mark(db, row.id, state, str(exc), now + wait if state == "retry" else None)
                log.error("confirmation of %s not written: %s", row.message_id or
                          row.message_key, exc)
                report.append(f"confirmation {row.id}: not written ({exc})")
                continue
            try:
                await transport.send(message)
            except DeliveryError as exc:
                attempts = row.reply_attempts + 1
                if exc.kind == "uncertain":
                    # The server may have it: a second copy is worse than none.
                    _mark(db, row.id, "sent", exc.reason)
                    report.append(f"confirmation {row.id}: maybe sent ({exc.reason})")
                elif exc.retryable and attempts < MAX_ATTEMPTS:
                    wait = BACKOFF[min(attempts - 1, len(BACKOFF) - 1)]
                    _mark(db, row.id, "retry", str(exc), now + wait)
                    log.warning("confirmation of %s not sent, retrying in %s: %s",
                                row.message_id or row.message_key, wait, exc)
                    report.append(f"confirmation {row.id}: will retry ({exc.reason})")
                else:
                    _mark(db, row.id, "failed", str(exc))
                    log.error("confirmation of %s failed: %s", row.message_id or
                              row.message_key, exc)
                    report.append(f"confirmation {row.id}: failed ({exc.reason})")
                continue
            _mark(db, row.id, "sent")
            log.info("confirmation of %s sent to %s", row.message_id or row.message_key,
                     settings.recipient)
            report.append(f"confirmation {row.id}: sent")
    return report
