"""Getting a message out: the configured method's transport (`open_transport`), and the
method in words. One module per transport: `send/smtp.py` (aiosmtplib), `send/sendmail.py`
(the local MTA), `send/maildir.py`; what they share, and the one classification of their
failures (transient, permanent, uncertain), is `send/transport.py`.

Each method is a `Transport`: an async context manager whose `send(message)` returns a
`Delivered` or raises `DeliveryError`. The names below are re-exported so that callers
import delivery from one place.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path

from nudger.config import Settings
from nudger.send.maildir import MAILDIR_SUBDIRS, MaildirTransport, maildir_problem
from nudger.send.sendmail import SENDMAIL_TIMEOUT, SendmailTransport
from nudger.send.smtp import SmtpTransport, classify_smtp, ehlo_name, verify_smtp
from nudger.send.transport import Delivered, DeliveryError, Kind, Transport

__all__ = [
    "MAILDIR_SUBDIRS", "SENDMAIL_TIMEOUT", "Delivered", "DeliveryError", "Kind",
    "MaildirTransport", "SendmailTransport", "SmtpTransport", "Transport", "classify_smtp",
    "describe_method", "ehlo_name", "maildir_path", "maildir_problem", "open_transport",
    "sendmail_path", "verify_smtp",
]


def open_transport(settings: Settings, env: Mapping[str, str], *, data_dir: Path) -> Transport:
    """The transport for the configured method. `data_dir` holds the database: the
    default Maildir is `Maildir/` inside it. Raises ConfigError for a missing password."""
    method = settings.method
    if method == "smtp":
        return SmtpTransport(settings, env)
    if method == "sendmail":
        return SendmailTransport(sendmail_path(settings, env), SENDMAIL_TIMEOUT)
    return MaildirTransport(maildir_path(settings, data_dir))


def maildir_path(settings: Settings, data_dir: Path) -> Path:
    if settings.delivery.maildir:
        return settings.resolve(settings.delivery.maildir)
    return data_dir / "Maildir"


def sendmail_path(settings: Settings, env: Mapping[str, str]) -> str:
    """delivery.sendmail: a path (relative to the config) or a bare name found on PATH."""
    value = settings.delivery.sendmail
    if "/" in value:
        return str(settings.resolve(value))
    found = shutil.which(value, path=env.get("PATH", os.defpath))
    return found or value


def describe_method(settings: Settings, env: Mapping[str, str], data_dir: Path) -> str:
    """The configured delivery in words: `smtp smtp.example.com:587 (starttls)`."""
    method = settings.method
    if method == "smtp" and settings.smtp is not None:
        smtp = settings.smtp
        login = f", login {smtp.username}" if smtp.username else ""
        return f"smtp {smtp.host}:{smtp.effective_port} ({smtp.security}{login})"
    if method == "sendmail":
        return f"sendmail {sendmail_path(settings, env)} -t -oi"
    return f"maildir {maildir_path(settings, data_dir)}"
