"""The `mailmessage` table as the pass's ledger: every message nudger acts on is recorded
once under its key (Message-ID, or a stable hash without one), so a re-read (restart, a
second daemon, a renumbered folder) finds the key and does nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, col, select

from nudger.mail.imap.headers import MailHeader
from nudger.store.models import MailMessage
from nudger.text import server_text

SNIPPET = 200


def recorded(s: Session, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        found.update(s.exec(select(MailMessage.key).where(
            col(MailMessage.key).in_(keys[start:start + 500]))).all())
    return found


def record(s: Session, header: MailHeader, direction: str, kind: str,
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
