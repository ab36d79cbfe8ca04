"""`nudger check --imap`: connect, log in, find the folders and say, line by line, what
was verified; and, with command mail on, which rule command mail meets and which server
stamps the user's recent mail."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nudger.mail.imap.client import open_session
from nudger.text import server_text

if TYPE_CHECKING:
    from nudger.config import Settings
    from nudger.secrets import Secret


def verify(settings: Settings, password: Secret) -> list[str]:
    """`nudger check --imap`: what was verified, line by line; MailboxError otherwise."""
    imap = settings.imap
    assert imap is not None
    lines = [f"connected to {imap.host}:{imap.effective_port}"]
    with open_session(settings, password) as session:
        lines.append(session.tls)
        lines.append(f"logged in as {imap.username}")
        folders = session.folders
        lines.append(f"inbox: {folders.inbox}")
        for name in session.skipped_folders:
            lines.append(f"warning: folder {name!r} is not valid modified UTF-7 (RFC 3501); "
                         "nudger leaves it alone")
        for role in ("sent", "drafts"):
            name = getattr(folders, role)
            if name is None:
                session.require(role)  # raises, listing the folders there are
            lines.append(f"{role}: {name} ({folders.how.get(role, '')})")
        session.select_readonly(folders.inbox)
        if settings.mailbox.commands:
            lines.extend(_stamp_lines(settings, session.first_auth_results()))
    lines.append("logged out")
    return lines


def _stamp_lines(settings: Settings, firsts: list[str]) -> list[str]:
    """Which rule command mail meets, and which server stamps the user's recent mail."""
    from nudger.mail.act.sender import rule_words, stamping_servers

    lines = [rule_words(settings)]
    counts = stamping_servers(firsts)
    configured = (settings.mailbox.authserv_id or "").strip().lower()
    if counts:
        seen = ", ".join(f"{server_text(name, 80)} on {n} of {len(firsts)}"
                         for name, n in sorted(counts.items(), key=lambda kv: -kv[1])[:3])
        lines.append(f"Authentication-Results on your newest mail: {seen}")
    else:
        lines.append(f"Authentication-Results on your newest mail: none of {len(firsts)} "
                     "messages carries one")
    top = max(counts.items(), key=lambda kv: kv[1])[0] if counts else ""
    if configured and configured not in counts:
        lines.append(f"warning: mailbox.authserv_id {configured!r} is on none of them: "
                     "command mail will be refused until it names your server")
    elif not configured and top and counts[top] * 2 > len(firsts):
        lines.append(f"to require your server's verdict, set [mailbox] authserv_id = "
                     f"\"{server_text(top, 80)}\"")
    return lines
