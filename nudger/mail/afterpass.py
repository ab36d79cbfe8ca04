"""What act does after each mailbox pass (the `mail sync` command and the daemon's poll):
send the confirmations the pass's command mail left, then bring the Drafts folder in line
with what is due. Never inside the pass and never raising: a failure is one report line
(and a log line), retried at the next pass."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nudger.config import Settings
    from nudger.secrets import Secret
    from nudger.store.db import Database

log = logging.getLogger(__name__)


async def after_pass(settings: Settings, db: Database, env: Mapping[str, str],
                     password: Secret, now: datetime, *, mailbox_ok: bool = True
                     ) -> list[str]:
    """`mailbox_ok` False (the pass failed): confirmations still go out, Drafts waits."""
    from nudger.mail.confirm import send_confirmations

    lines = await send_confirmations(settings, db, env, now, data_dir=db.path.parent)
    if mailbox_ok and settings.imap is not None and settings.mailbox.drafts:
        lines += await asyncio.to_thread(drafts_pass, settings, db, password, now)
    return lines


def drafts_pass(settings: Settings, db: Database, password: Secret,
                now: datetime) -> list[str]:
    from nudger.calendar import Calendar
    from nudger.errors import NudgerError
    from nudger.mail.client import open_session
    from nudger.mail.drafts import sync_drafts

    try:
        with open_session(settings, password) as imap:
            done = sync_drafts(settings, db, Calendar.from_settings(settings), imap,
                               now.astimezone(settings.zone).date(), now)
    except NudgerError as exc:
        line = f"drafts not updated: {password.redact(str(exc))}"
        log.warning("%s", line)
        return [line]
    return done.lines()
