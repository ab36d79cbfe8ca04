"""The `mailcommand` table: one row per command message carried out, written in the same
transaction as the changes it made (its UNIQUE message key is the exactly-once guarantee),
and the confirmation to the owner as a small outbox (pending → sent / retry / failed)."""

from __future__ import annotations

import json
from datetime import datetime

from sqlmodel import Field, Session, SQLModel, col, select

REPLY_STATES = ("pending", "sending", "retry", "sent", "failed")


class MailCommand(SQLModel, table=True):
    __tablename__ = "mailcommand"

    id: int | None = Field(default=None, primary_key=True)
    message_key: str = Field(unique=True)  # Message-ID, or listen's stable fallback hash
    message_id: str = ""  # the command message's own Message-ID (for threading the reply)
    subject: str = ""  # one line, control characters removed
    processed_at: datetime = Field(index=True)  # UTC, passed in (no clock here)
    done: str = "[]"  # JSON list: one line per command carried out (for the digest footer)
    outcome: str = "[]"  # JSON list of {line, ok, text, next}: the confirmation's content
    reply_state: str = "pending"  # one of REPLY_STATES
    reply_attempts: int = 0
    reply_next_at: datetime | None = None
    reply_error: str = ""
    seen_marked: bool = False  # the message was flagged \\Seen in INBOX (after the pass)
    refusal: str = ""  # why a message from the owner was refused ("" when carried out)


class MailCommandButton(SQLModel, table=True):
    """A button carried out: the same button again answers "already done"."""

    __tablename__ = "mailcommand_button"

    id: int | None = Field(default=None, primary_key=True)
    use_key: str = Field(unique=True)  # tokens.Token.use_key: a hash, never the token
    mailcommand_id: int = Field(foreign_key="mailcommand.id", index=True)
    line: str = ""  # the command line it carried out
    used_at: datetime  # UTC


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
