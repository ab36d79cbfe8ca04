"""The daemon's mailbox pass (docs/mailbox.md): every `imap.poll`, one sync of Sent and
INBOX (nudger.mail.imap.sync) in its own task and thread, never two at once and never in
the digest's way; then what act does after a pass (confirmations of command mail, the
Drafts folder) and, when the pass brought news on a day whose digest was skipped for
having nothing due, that digest after all (`DigestPass.news_digest`).
"""

from __future__ import annotations

import asyncio

from nudger.daemon.digestpass import DigestPass
from nudger.errors import NudgerError


class MailPass(DigestPass):
    """The mailbox poll of one running `nudger run`."""

    _mail_task: asyncio.Task[None] | None = None  # the pass running, if any

    def kick_mail(self) -> None:
        """Start a mailbox pass unless one is running (a slow server never stacks passes).
        It runs in its own task, off the event loop (imapclient is synchronous), so it
        never delays or blocks the digest."""
        if self._stopping or self.settings.imap is None:
            return
        if self._mail_task is not None and not self._mail_task.done():
            self.log.debug("mailbox: the previous pass is still running; skipping this poll")
            return
        self._mail_task = asyncio.get_running_loop().create_task(self._mail_pass())

    async def _mail_wake(self) -> None:
        self.kick_mail()

    async def _mail_pass(self) -> None:
        from nudger.mail.handlers import inbox_handlers
        from nudger.mail.imap.sync import run_sync
        from nudger.secrets import imap_password

        settings = self.settings
        if settings.imap is None:
            return
        try:
            self.check_database()  # a replaced file: the sync records into the new one
            password = imap_password(settings, self.env)
            report = await asyncio.to_thread(
                run_sync, settings, self.db, password, now=self.clock(),
                handlers=inbox_handlers(), stop=lambda: self._stopping)
        except NudgerError as exc:
            self.log.error("mailbox: %s", exc)
            return
        except Exception as exc:
            self.log_unexpected(exc, "mailbox pass failed")
            return
        if report.error:
            retry = "retrying at the next poll" if report.transient else \
                "fix it, then the next poll retries (or run `nudger check --imap`)"
            self.log.warning("mailbox: %s; %s", report.error, retry)
            return
        counts: dict[str, int] = {}
        for item in report.found:
            counts[item.kind] = counts.get(item.kind, 0) + 1
        words = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
        if words:
            self.log.info("mailbox %s read: %s", report.server, words)
        else:
            self.log.debug("mailbox %s read: nothing new for nudger", report.server)
        if report.stopped:
            self.log.info("mailbox pass stopped between batches for shutdown; the next "
                          "start continues from there")
            return
        # act: confirmations of command mail, then the Drafts folder (never raises).
        from nudger.mail.imap.afterpass import after_pass

        try:
            for line in await after_pass(settings, self.db, self.env, password,
                                         self.clock()):
                self.log.info("mailbox: %s", line)
        except Exception as exc:
            self.log_unexpected(exc, "confirmations or drafts failed")
        try:
            await self.news_digest(self.clock())
        except Exception as exc:
            self.log_unexpected(exc, "the digest of today's news failed")
