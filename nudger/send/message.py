"""The digest as an `EmailMessage`: headers, a Message-ID, multipart/alternative.

Every header value that comes from the user (names, the subject built from company names)
goes through `email.headerregistry.Address` or `render.clean_header` first: no CR, LF or
other control character reaches a header, and non-ASCII text is RFC 2047-encoded by the
`email` package rather than by hand. Both bodies are quoted-printable, so no line on the
wire is longer than 76 characters whatever the user wrote.
"""

from __future__ import annotations

import re
import secrets
from datetime import date, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime, parseaddr

from nudger.config import Settings
from nudger.digest.render import clean_header
from nudger.errors import ConfigError


def msgid_domain(addr_spec: str) -> str:
    """The domain part of an address, as ASCII fit for a Message-ID."""
    domain = addr_spec.rpartition("@")[2].strip().rstrip(".").lower()
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        domain = ""
    if not re.fullmatch(r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?", domain):
        return "localhost"
    return domain


def sender_address(settings: Settings) -> Address:
    """`delivery.from` (or `nudger <profile.email>`) as an Address with a display name."""
    name, addr = parseaddr(settings.sender)
    return _address(clean_header(name) or "nudger", addr, "delivery.from")


def recipient_address(settings: Settings) -> Address:
    return _address(clean_header(settings.profile.name), settings.recipient, "profile.email")


def _address(name: str, addr: str, key: str) -> Address:
    local, at, domain = addr.partition("@")
    if not at or not local or not domain:
        raise ConfigError(f"{key}: {addr!r} is not an email address like alex@example.com")
    try:
        return Address(display_name=name, username=local, domain=domain)
    except (ValueError, IndexError) as exc:
        raise ConfigError(f"{key}: {addr!r} cannot be used in a header: {exc}") from None


def digest_message_id(settings: Settings, local_date: date) -> str:
    """A new `<nudger-digest.2026-11-24.9c1f...e2@example.com>`: the date, then 96 random
    bits, at the sender's domain. Not derived from the recipient and date, so nobody can
    guess it and two databases never share one. The outbox calls this once, when it first
    records a day's digest, and stores it: a resend after a crash carries the stored one
    (the receiving side can drop the duplicate), while `digest --send --force` makes a new
    message with a new one (a store that drops duplicates by Message-ID would otherwise
    discard it)."""
    domain = msgid_domain(sender_address(settings).addr_spec)
    return f"<nudger-digest.{local_date.isoformat()}.{secrets.token_hex(12)}@{domain}>"


def build_message(
    settings: Settings, *, subject: str, text: str, html: str, message_id: str,
    now: datetime,
) -> EmailMessage:
    """multipart/alternative: the plain text first, the HTML second (clients show the last
    part they can display, so the richer one goes last)."""
    msg = EmailMessage(policy=default_policy)
    msg["From"] = sender_address(settings)
    msg["To"] = recipient_address(settings)
    msg["Subject"] = clean_header(subject) or "Your follow-ups"
    msg["Date"] = format_datetime(now.astimezone(settings.zone))
    msg["Message-ID"] = message_id
    msg["Auto-Submitted"] = "auto-generated"
    # Out-of-office robots must not answer a daily robot.
    msg["X-Auto-Response-Suppress"] = "All"
    msg.set_content(normalize_body(text), subtype="plain", charset="utf-8",
                    cte="quoted-printable")
    msg.add_alternative(normalize_body(html), subtype="html", charset="utf-8",
                        cte="quoted-printable")
    return msg


def normalize_body(body: str) -> str:
    """Line ends normalised, a final newline, no NUL (which no transport carries)."""
    body = body.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return body if body.endswith("\n") else body + "\n"
