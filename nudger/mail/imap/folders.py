"""The folders a pass reads: INBOX, Sent and Drafts found in the server's LIST (configured,
special-use flag, or a common name), each name decoded from modified UTF-7 one at a time."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nudger.mail.imap.errors import MailboxError, where
from nudger.text import server_text

if TYPE_CHECKING:
    from nudger.config import Imap

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Folders:
    inbox: str
    sent: str | None
    drafts: str | None
    how: dict[str, str]  # role → how it was found ("special-use \\Sent", "configured")


def pick_folders(listing: Sequence[tuple[Any, Any, str]], imap: Imap) -> Folders:
    """Which folder is the inbox, Sent and Drafts: configured, else by special-use flag,
    else by a common name (Sent and Drafts may be none); MailboxError for a configured
    folder that is not there, listing the folders there are."""
    names = [name for _flags, _sep, name in listing]
    by_flag: dict[bytes, str] = {}
    for flags, _sep, name in listing:
        for flag in flags:
            by_flag.setdefault(flag.lower() if isinstance(flag, bytes)
                               else str(flag).lower().encode(), name)
    how: dict[str, str] = {}

    def pick(role: str, configured: str, flag: bytes, common: Sequence[str]
             ) -> str | None:
        if configured and configured.lower() != "auto":
            if configured not in names:
                raise no_folder(imap, role, configured, names)
            how[role] = "configured"
            return configured
        if flag.lower() in by_flag:
            how[role] = "special-use " + flag.decode()
            return by_flag[flag.lower()]
        for candidate in common:
            for name in names:
                if name.lower() == candidate.lower():
                    how[role] = "by its name"
                    return name
        return None

    inbox = imap.inbox
    if inbox.upper() == "INBOX":
        inbox = next((n for n in names if n.upper() == "INBOX"), "INBOX")
    elif inbox not in names:
        raise no_folder(imap, "inbox", inbox, names)
    how["inbox"] = "configured" if imap.inbox.upper() != "INBOX" else "INBOX"
    sent = pick("sent", imap.sent, b"\\Sent",
                ("Sent", "Sent Items", "Sent Messages", "[Gmail]/Sent Mail", "INBOX.Sent",
                 "Gesendet", "Envoyés"))
    drafts = pick("drafts", imap.drafts, b"\\Drafts",
                  ("Drafts", "Draft", "[Gmail]/Drafts", "INBOX.Drafts", "Entwürfe",
                   "Brouillons"))
    return Folders(inbox=inbox, sent=sent, drafts=drafts, how=how)


def decode_listing(raw: Sequence[tuple[Any, Any, Any]], imap: Imap, skipped: list[str]
                   ) -> list[tuple[Any, Any, str]]:
    """LIST's answer (read with folder_encode off), each name decoded from modified UTF-7
    (RFC 3501 5.1.3) here rather than by imapclient, which fails the whole listing on one
    name that is not valid: such a folder is left out with a warning (added to
    `skipped`), the others are used."""
    from imapclient.imap_utf7 import decode

    out: list[tuple[Any, Any, str]] = []
    for flags, sep, name in raw:
        data = name if isinstance(name, bytes) else str(name).encode("utf-8",
                                                                     "surrogateescape")
        try:
            text = decode(data)
            text.encode("utf-8")  # a lone surrogate is no name either
        except (UnicodeError, ValueError):
            shown = server_text(data.decode("ascii", "replace"), 80)
            if shown not in skipped:
                skipped.append(shown)
                log.warning("%s: folder %r is not valid modified UTF-7 (RFC 3501); "
                            "skipped", where(imap), shown)
            continue
        out.append((flags, sep, text))
    return out


def no_folder(imap: Imap, role: str, name: str, names: Sequence[str]) -> MailboxError:
    shown = ", ".join(server_text(n, 60) for n in names[:40]) or "none"
    return MailboxError(
        f"{where(imap)}: folder {name!r} (imap.{role}) not found; the folders "
        f"there are: {shown}. Set imap.{role} to one of them (or \"auto\")",
        transient=False)
