"""The `mailcommand` table: one row per command message carried out, written in the same
transaction as the changes it made (its UNIQUE message key is the exactly-once guarantee),
and the confirmation to the owner as a small outbox (pending → sent / retry / failed)."""

from __future__ import annotations

import json
from datetime import datetime

from sqlmodel import Session, col, select

from nudger.store.models import MailCommand, MailCommandButton

REPLY_STATES = ("pending", "sending", "retry", "sent", "failed")


def button_used(session: Session, use_key: str) -> tuple[str, datetime] | None:
    """(the line, when) of the earlier use of this button, or None."""
    row = session.exec(select(MailCommandButton)
                       .where(MailCommandButton.use_key == use_key)).first()
    return (row.line, row.used_at) if row is not None else None


def done_since(session: Session, since: datetime | None, limit: int = 20) -> list[str]:
    """What was done by mail since `since` (None: ever), oldest first, for the digest."""
    query = select(MailCommand).where(MailCommand.refusal == "") \
        .order_by(col(MailCommand.processed_at), col(MailCommand.id))
    if since is not None:
        query = query.where(col(MailCommand.processed_at) > since)
    lines: list[str] = []
    for row in session.exec(query).all():
        lines.extend(json.loads(row.done or "[]"))
    return lines[-limit:]
