"""What a pass hands each new INBOX message to: the handlers its caller passes
(`InboxHandlers`; the daemon's mail pass and `nudger mail sync` build them in
nudger.mail.handlers), in the order of docs/mailbox.md: (1) command handlers (act),
(2) replies and bounces (the pass itself), (3) capture handlers (capture); each step
guarded by [mailbox]. A handler gets a `MessageContext` and returns True when it handled
the message, so later steps skip it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel import Session

from nudger.mail.imap.client import ImapSession
from nudger.mail.imap.headers import MailHeader
from nudger.mail.imap.ledger import record, recorded
from nudger.mail.imap.report import SyncReport

if TYPE_CHECKING:
    from nudger.config import Settings
    from nudger.store.db import Database


@dataclass
class MessageContext:
    """What an INBOX handler gets for one new message. It may fetch from the server
    (`imap`), and writes in its own `db.session()`; `claim` records the message so it is
    never handled again (in a dry run nothing is written and `claim` returns True)."""

    settings: Settings
    db: Database
    imap: ImapSession
    header: MailHeader
    now: datetime
    dry_run: bool
    report: SyncReport

    def already(self) -> bool:
        with self.db.read_session() as session:
            return recorded(session, [self.header.key]) != set()

    def claim(self, kind: str, *, application_id: int | None = None, snippet: str = "",
              session: Session | None = None) -> bool:
        """Record this message (kind "command", "capture", ...). False when it already was.
        Pass your own write `session` to record it in the same transaction as your work."""
        if self.dry_run:
            return True
        if session is not None:
            return record(session, self.header, "in", kind, application_id, snippet,
                           now=self.now) \
                is not None
        with self.db.session() as own:
            return record(own, self.header, "in", kind, application_id, snippet,
                           now=self.now) is not None

    def found(self, kind: str, app_id: int | None, detail: str) -> None:
        self.report.add(kind, self.header, app_id, detail)


InboxHandler = Callable[[MessageContext], bool]  # True: handled, later steps skip it


@dataclass(frozen=True)
class InboxHandlers:
    """The handlers of steps 1 (`commands`) and 3 (`capture`), each run in order until
    one returns True."""

    commands: tuple[InboxHandler, ...] = ()
    capture: tuple[InboxHandler, ...] = ()
