"""The handlers a mailbox pass hands each new INBOX message to, in order: command mail
(act) first, capture last (docs/mailbox.md). Built here, by the layer that runs the pass
(the daemon's mail pass, `nudger mail sync`), and passed to
nudger.mail.imap.sync.run_sync: the sync knows no handler of its own."""

from __future__ import annotations

from nudger.mail.imap.inbox import InboxHandlers


def inbox_handlers() -> InboxHandlers:
    """Imported when a pass is about to run: `nudger capture` and the CLI's other commands
    never load them."""
    from nudger.mail.act.commands.handle import on_inbox_message
    from nudger.mail.capture.live import handle_inbox

    return InboxHandlers(commands=(on_inbox_message,), capture=(handle_inbox,))
