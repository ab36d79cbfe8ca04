"""Every failure talking to the IMAP server, as one `MailboxError`: a one-line message
naming the server, what happened and what to do, and whether the next poll may succeed
(`transient`)."""

from __future__ import annotations

import re
import socket
import ssl
from typing import TYPE_CHECKING

from nudger.errors import NudgerError
from nudger.mail.imap.adapter import TooMuch
from nudger.text import server_text

if TYPE_CHECKING:
    from nudger.config import Imap


class MailboxError(NudgerError):
    """The mailbox could not be read; `transient`: the next poll may work."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


class MailboxStopped(MailboxError):
    """The pass was cut short because nudger is stopping (`abort_all`): not a failure."""


def where(imap: Imap) -> str:
    return f"IMAP server {imap.host}:{imap.effective_port}"


def classify(exc: BaseException, imap: Imap) -> MailboxError:
    """One line for any failure talking to the server: what happened, what to do."""
    from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError

    at = where(imap)
    if isinstance(exc, MailboxError):
        return exc
    if isinstance(exc, TooMuch):
        return MailboxError(f"{at}: {exc}; the pass was stopped (the next poll tries "
                            "again; a server that keeps doing this is broken or hostile)",
                            transient=True)
    if isinstance(exc, ssl.SSLCertVerificationError):
        reason = server_text(exc.verify_message or str(exc), 160)
        return MailboxError(
            f"{at}: bad certificate ({reason}); nothing was sent. If the server uses a "
            "private CA, set imap.ca_file to its certificate; otherwise check imap.host",
            transient=False)
    if isinstance(exc, ssl.SSLError):
        return MailboxError(
            f"{at}: TLS failed ({server_text(exc.reason or str(exc), 120)}); check "
            "imap.port and imap.security (993 = \"tls\", 143 = \"starttls\")",
            transient=False)
    if isinstance(exc, LoginError):
        text = server_text(_unbytes(str(exc)), 160)
        return MailboxError(
            f"{at}: login refused for {imap.username!r} ({text}); check the password "
            "(Gmail, iCloud, Yahoo and Fastmail need an app password; Microsoft 365 needs "
            "OAuth, which nudger does not support yet)", transient=False)
    if isinstance(exc, TimeoutError | socket.timeout):
        return MailboxError(
            f"{at}: no answer within {imap.timeout:g} s; nothing was recorded twice, "
            "the next poll tries again (raise imap.timeout for a slow server)",
            transient=True)
    if isinstance(exc, ConnectionRefusedError):
        return MailboxError(
            f"{at}: connection refused; is the server up and imap.port right? The "
            "next poll tries again", transient=True)
    if isinstance(exc, socket.gaierror):
        return MailboxError(
            f"{at}: cannot resolve {imap.host!r} ({server_text(exc.strerror, 80)}); "
            "check imap.host and the network", transient=True)
    bye = isinstance(exc, IMAPClientError) and "BYE" in str(exc).upper().split(" ", 2)[:2]
    if bye or isinstance(exc, IMAPClientAbortError | ConnectionError | EOFError):
        text = server_text(_unbytes(str(exc)), 160) or "connection closed"
        return MailboxError(
            f"{at}: the server closed the connection ({text}); nothing is lost, the "
            "next poll continues where this one stopped", transient=True)
    if isinstance(exc, OSError):
        text = server_text(exc.strerror or str(exc), 120)
        return MailboxError(f"{at}: network error ({text}); the next poll tries again",
                            transient=True)
    if isinstance(exc, IMAPClientError):
        text = server_text(_unbytes(str(exc)), 200)
        return MailboxError(f"{at}: the server refused a command ({text})",
                            transient="UNAVAILABLE" in text.upper()
                            or "TRY AGAIN" in text.upper())
    return MailboxError(f"{at}: {type(exc).__name__}: {server_text(str(exc), 160)}",
                        transient=True)


def _unbytes(text: str) -> str:
    """imapclient puts a server's bytes answer in its message as b'...': show the text."""
    return re.sub(r"b'([^']*)'|b\"([^\"]*)\"", lambda m: m.group(1) or m.group(2) or "", text)
