"""The mailbox's state for `nudger status`: when it was last read, or why not."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlmodel import col, select

from nudger.store.models import MailSync, Suggestion
from nudger.when.times import as_utc

if TYPE_CHECKING:
    from nudger.config import Settings
    from nudger.store.db import Database


RECENT_REFUSALS = 5


def mailbox_status(settings: Settings, db: Database) -> dict[str, Any] | None:
    """None without an [imap] table; else the last pass's outcome."""
    imap = settings.imap
    if imap is None:
        return None
    from nudger.mail.act.commandlog import MailCommand
    from nudger.mail.imap.sync import account_key

    with db.read_session() as s:
        row = s.exec(select(MailSync).where(MailSync.account == account_key(settings))).first()
        suggestions = len(s.exec(select(Suggestion.id).where(Suggestion.status == "open"))
                          .all())
        refused = s.exec(select(MailCommand).where(MailCommand.refusal != "")
                         .order_by(col(MailCommand.processed_at).desc(),
                                   col(MailCommand.id).desc())
                         .limit(RECENT_REFUSALS)).all()
    return {
        "server": f"{imap.host}:{imap.effective_port}",
        "poll": str(imap.poll),
        "last_ok_at": as_utc(row.last_ok_at) if row and row.last_ok_at else None,
        "last_attempt_at": as_utc(row.last_attempt_at)
        if row and row.last_attempt_at else None,
        "error": row.last_error if row else "",
        "failures": row.failures if row else 0,
        "open_suggestions": suggestions,
        # Command mail from the owner's address that was refused (and answered), newest
        # first: a tap that did nothing is never silent.
        "refused": [{"at": as_utc(r.processed_at), "subject": r.subject, "why": r.refusal,
                     "answer": r.reply_state} for r in refused],
    }
