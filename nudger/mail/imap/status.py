"""The mailbox's state for `nudger status`: when it was last read, or why not."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, col, select

from nudger.store.models import MailMessage, MailSync, Suggestion
from nudger.when.times import as_utc, supported

if TYPE_CHECKING:
    from nudger.config import Settings
    from nudger.store.db import Database

# Messages the pass skipped (could not handle) are shown for this long after they were read.
SKIPPED_DAYS = 14

RECENT_REFUSALS = 5

@dataclass(frozen=True)
class Skipped:
    """A message the mailbox pass could not handle and skipped (kind "skipped")."""

    folder: str
    who: str
    subject: str
    why: str

    def line(self) -> str:
        return (f"{self.folder}: {self.subject or '(no subject)'} from "
                f"{self.who or 'an unknown sender'}: {self.why}")


def skipped_messages(session: Session, now: datetime, limit: int = 5
                     ) -> tuple[int, list[Skipped]]:
    """(how many, the newest `limit`) messages skipped in the last SKIPPED_DAYS days."""
    since = now - timedelta(days=SKIPPED_DAYS)
    where = (MailMessage.kind == "skipped", col(MailMessage.created_at) >= since)
    count = len(session.exec(select(MailMessage.id).where(*where)).all())
    found = session.exec(select(MailMessage).where(*where)
                         .order_by(col(MailMessage.created_at).desc(),
                                   col(MailMessage.id).desc()).limit(limit)).all()
    return count, [Skipped(m.folder, m.from_addr, m.subject, m.snippet) for m in found]


def mailbox_status(settings: Settings, db: Database, now: datetime | None = None
                   ) -> dict[str, Any] | None:
    """None without an [imap] table; else the last pass's outcome (and, given `now`, the
    messages it skipped lately)."""
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
        skipped, latest = skipped_messages(s, now) if now is not None else (0, [])
    return {
        "server": f"{imap.host}:{imap.effective_port}",
        "poll": str(imap.poll),
        "last_ok_at": supported(row.last_ok_at) if row else None,
        "last_attempt_at": supported(row.last_attempt_at) if row else None,
        "error": row.last_error if row else "",
        "failures": row.failures if row else 0,
        "open_suggestions": suggestions,
        # Command mail from the owner's address that was refused (and answered), newest
        # first: a tap that did nothing is never silent.
        "refused": [{"at": as_utc(r.processed_at), "subject": r.subject, "why": r.refusal,
                     "answer": r.reply_state} for r in refused],
        "skipped": skipped,
        "skipped_latest": [item.line() for item in latest],
    }
