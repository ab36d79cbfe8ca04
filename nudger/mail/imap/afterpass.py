"""What act does after each mailbox pass (the `mail sync` command and the daemon's poll):
send the confirmations the pass's command mail left, then bring the Drafts folder in line
with what is due. Never inside the pass and never raising: a failure is one report line
(and a log line), retried at the next pass."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nudger.config import Settings
    from nudger.mail.imap.client import ImapSession
    from nudger.secrets import Secret
    from nudger.store.db import Database

log = logging.getLogger(__name__)


async def after_pass(settings: Settings, db: Database, env: Mapping[str, str],
                     password: Secret, now: datetime, *, mailbox_ok: bool = True
                     ) -> list[str]:
    """`mailbox_ok` False (the pass failed): confirmations still go out, Drafts waits."""
    from nudger.mail.act.confirm import send_confirmations

    lines = await send_confirmations(settings, db, env, now, data_dir=db.path.parent)
    if mailbox_ok and settings.imap is not None:
        lines += await asyncio.to_thread(mailbox_writes, settings, db, password, now)
    return lines


def mailbox_writes(settings: Settings, db: Database, password: Secret,
                   now: datetime) -> list[str]:
    """The server writes the user asked for (docs/mailbox.md): processed command messages
    marked \\Seen, due drafts into Drafts, drafts no longer due out. One session."""
    from nudger.errors import NudgerError
    from nudger.mail.act.drafts import sync_drafts
    from nudger.mail.imap.client import open_session
    from nudger.when.business import Calendar

    lines: list[str] = []
    try:
        with open_session(settings, password) as imap:
            lines += mark_commands_seen(db, imap)
            if settings.mailbox.drafts:
                done = sync_drafts(settings, db, Calendar.from_settings(settings), imap,
                                   now.astimezone(settings.zone).date(), now)
                lines += done.lines()
    except NudgerError as exc:
        line = f"drafts and read marks not updated: {password.redact(str(exc))}"
        log.warning("%s", line)
        lines.append(line)
    return lines


def drafts_for_digest(settings: Settings, db: Database, password: Secret, now: datetime,
                      day: date) -> list[str]:
    """Right before the digest of `day` goes out: the Drafts folder holds that day's
    drafts, in the words the digest renders (so its "Draft ready in your Drafts folder"
    is true when read). Never raises: a mailbox that fails is one line, and the digest
    goes out all the same (its "Draft ready" lines name only drafts that are there)."""
    from nudger.errors import NudgerError
    from nudger.mail.act.drafts import sync_drafts
    from nudger.mail.imap.client import open_session
    from nudger.when.business import Calendar

    if settings.imap is None or not settings.mailbox.drafts:
        return []
    try:
        with open_session(settings, password) as imap:
            return sync_drafts(settings, db, Calendar.from_settings(settings), imap, day,
                               now).lines()
    except NudgerError as exc:
        line = f"drafts not updated before the digest: {password.redact(str(exc))}"
        log.warning("%s", line)
        return [line]


def mark_commands_seen(db: Database, imap: ImapSession) -> list[str]:
    """Flag the command messages nudger carried out as read in INBOX (found by their
    Message-ID; one it cannot find is left alone and not looked for again)."""
    from sqlmodel import col, select

    from nudger.mail.act.commandlog import MailCommand

    with db.read_session() as s:
        pending = list(s.exec(select(MailCommand.id, MailCommand.message_id)
                              .where(col(MailCommand.seen_marked).is_(False))
                              .limit(50)).all())
    if not pending:
        return []
    inbox = imap.folders.inbox
    marked = 0
    for row_id, message_id in pending:
        uids = imap.search_message_id(inbox, message_id) if message_id else []
        imap.mark_seen(inbox, uids)
        marked += bool(uids)
        with db.session() as s:
            row = s.get(MailCommand, row_id)
            if row is not None:
                row.seen_marked = True
                s.add(row)
    return [f"marked {marked} command message(s) read"] if marked else []
