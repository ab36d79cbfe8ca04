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
from collections.abc import Mapping
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime
from pathlib import Path

from sqlmodel import col, or_, select, update

from nudger.config import Settings
from nudger.digest.render import clean_header
from nudger.mail.act.commandlog import MailCommand
from nudger.mail.act.commands import USAGE, Outcome, outcomes_of
from nudger.send.message import msgid_domain, recipient_address, sender_address
from nudger.store.db import Database

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15),
           timedelta(hours=1))
BATCH = 20
# `sending` with its claim expired: the process that claimed it died mid-send.
CLAIMABLE = ("pending", "retry", "sending")


def compose_confirmation(settings: Settings, row: MailCommand, now: datetime) -> EmailMessage:
    outcomes = outcomes_of(row)
    done = [o for o in outcomes if o.ok]
    wrong = [o for o in outcomes if not o.ok]
    if done and not wrong:
        subject = f"nudger: {_headline(done[0])} — {_short(done[0].text)}" \
            if len(done) == 1 else f"nudger: {len(done)} commands done"
    elif done:
        subject = f"nudger: {len(done)} done, {len(wrong)} not"
    elif len(wrong) == 1 and wrong[0].verb == "already":
        subject = f"nudger: already done — {_short(wrong[0].line or wrong[0].text)}"
    elif len(wrong) == 1 and wrong[0].verb == "refused":
        subject = "nudger: not done — your message was refused, see why"
    else:
        subject = "nudger: nothing done — see why"
    msg = EmailMessage(policy=default_policy)
    msg["From"] = sender_address(settings)
    msg["To"] = recipient_address(settings)  # the owner, always
    msg["Subject"] = clean_header(subject)
    msg["Date"] = format_datetime(now.astimezone(settings.zone))
    msg["Message-ID"] = confirmation_message_id(settings, row)
    if row.message_id:
        msg["In-Reply-To"] = row.message_id
        msg["References"] = row.message_id
    msg["Auto-Submitted"] = "auto-replied"
    msg["X-Auto-Response-Suppress"] = "All"
    msg["X-Nudger-Kind"] = "confirmation"
    msg.set_content(confirmation_text(outcomes, row), charset="utf-8",
                    cte="quoted-printable")
    return msg


# The subject's first word names what happened (a snooze is not "done").
HEADLINES = {"done": "done", "skip": "skipped", "snooze": "snoozed", "log": "logged",
             "stage": "stage changed", "note": "noted", "add": "added",
             "accept": "accepted", "dismiss": "dismissed", "resume": "resumed"}


def _headline(outcome: Outcome) -> str:
    return HEADLINES.get(outcome.verb, "done")


def _short(text: str) -> str:
    return clean_header(text, limit=80)


def confirmation_text(outcomes: list[Outcome], row: MailCommand) -> str:
    lines: list[str] = []
    done = [o for o in outcomes if o.ok]
    wrong = [o for o in outcomes if not o.ok]
    if done:
        lines.append("Done:")
        for o in done:
            lines.append(f"  {o.text}")
            if o.next:
                lines.append(f"    {o.next}")
        lines.append("")
    if wrong:
        lines.append("Not done:" if done else "Nothing was done:")
        for o in wrong:
            if o.line and o.text:
                lines.append(f"  {o.line}")
                lines.append(f"    {o.text}")
            else:
                lines.append(f"  {o.line or o.text}")
        lines.append("")
        if any(o.verb != "already" for o in wrong):
            lines.append(f"Commands, one per line: {USAGE}.")
            lines.append("")
    subject = clean_header(row.subject, limit=120)
    lines.append(f"(In answer to your message{f' {subject!r}' if subject else ''}.)")
    return "\n".join(lines) + "\n"


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
            message = compose_confirmation(settings, row, now)
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
