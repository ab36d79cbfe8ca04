"""Every message nudger writes, built one way: `make_message(settings, kind, context, ...)`
renders the kind's template trio (`<kind>.subject.j2`, `<kind>.txt.j2` and, for a kind
with an HTML part, `<kind>.html.j2`; templates/README.md) and `build_message` turns the
parts into an `EmailMessage`: From, To, Subject, Date, Message-ID, the threading headers,
then the kind's own headers (`MailKind.headers`), set here and nowhere else. The kinds:
the digest, the confirmation of command mail, the refusal answer, the test mail and the
draft put in Drafts (whose parts `digest.values.render_draft` renders from
`drafts/<step>.subject.j2` and `.txt.j2`, because the digest shows the same words).

Every header value that comes from the user (names, the subject built from company names)
goes through `email.headerregistry.Address` or `nudger.text.clean_header` first: no CR, LF or
other control character reaches a header, and non-ASCII text is RFC 2047-encoded by the
`email` package rather than by hand. Both bodies are quoted-printable, so no line on the
wire is longer than 76 characters whatever the user wrote.
"""

from __future__ import annotations

import email.utils
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime, parseaddr
from typing import Any

from nudger.config import Settings
from nudger.digest.render import Renderer
from nudger.errors import ConfigError
from nudger.text import clean_header


@dataclass(frozen=True)
class MailKind:
    """One kind of message: its templates (`<name>.subject.j2`, `<name>.txt.j2`, and
    `<name>.html.j2` when `html`), the subject used when the rendered one is empty, and
    the headers it carries after the threading ones, in order."""

    name: str
    html: bool = False
    fallback_subject: str = ""
    headers: tuple[tuple[str, str], ...] = ()


# Robots answer robots: the digest and the test mail are auto-generated, confirmations and
# refusals auto-replied (RFC 3834), and out-of-office robots are told not to answer.
DIGEST = MailKind("digest", html=True, fallback_subject="Your follow-ups", headers=(
    ("Auto-Submitted", "auto-generated"), ("X-Auto-Response-Suppress", "All")))
CONFIRMATION = MailKind("confirmation", fallback_subject="nudger: see what was done",
                        headers=(("Auto-Submitted", "auto-replied"),
                                 ("X-Auto-Response-Suppress", "All"),
                                 ("X-Nudger-Kind", "confirmation")))
# The answer to refused command mail; mail filters know it as a confirmation too.
REFUSAL = MailKind("refusal", fallback_subject="nudger: not done", headers=CONFIRMATION.headers)
TEST_EMAIL = MailKind("test-email", fallback_subject="nudger test message",
                      headers=(("Auto-Submitted", "auto-generated"),))
# A draft is the user's own message to a contact: nothing in it says a tool wrote it. Its
# templates are per cadence step (`drafts/<step>`), rendered by digest.values.render_draft.
DRAFT = MailKind("drafts")
TEMPLATED = (DIGEST, CONFIRMATION, REFUSAL, TEST_EMAIL)  # rendered by make_message


@dataclass(frozen=True)
class Parts:
    """A message's rendered parts: a one-line subject, the text, the HTML (or None)."""

    subject: str
    text: str
    html: str | None = None


def template_names(kind: MailKind) -> tuple[str, ...]:
    names = (f"{kind.name}.subject.j2", f"{kind.name}.txt.j2")
    return (*names, f"{kind.name}.html.j2") if kind.html else names


def render_parts(renderer: Renderer, kind: MailKind, context: Mapping[str, Any]) -> Parts:
    """The kind's trio rendered with `context`: the subject as one header-safe line, each
    body with normalised line ends and a final newline. Every part is rendered before any
    message exists, so a broken template never leaves a half-built message."""
    subject, text, *html = template_names(kind)
    return Parts(clean_header(renderer.render(subject, context)),
                 normalize_body(renderer.render(text, context)),
                 normalize_body(renderer.render(html[0], context)) if html else None)


def make_message(
    settings: Settings, kind: MailKind, context: Mapping[str, Any], *, now: datetime,
    message_id: str, renderer: Renderer | None = None, in_reply_to: str = "",
    references: Sequence[str] = (),
) -> EmailMessage:
    """Render `kind`'s templates with `context` (the installed snapshot of the user's
    templates unless `renderer` is given; in one bounded child when the user overrides
    any) and build the message from nudger to the owner."""
    renderer = renderer or Renderer.for_dir(settings.templates_dir)
    parts: Parts = renderer.bounded(lambda: render_parts(renderer, kind, context))
    return build_message(settings, kind, parts, now=now, message_id=message_id,
                         in_reply_to=in_reply_to, references=references)


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


def probe_message_id(settings: Settings) -> str:
    """The test mail's `<time.pid.random.nudger-test@recipient's domain>`."""
    return email.utils.make_msgid("nudger-test", domain=msgid_domain(settings.recipient))


def build_message(
    settings: Settings, kind: MailKind, parts: Parts, *, now: datetime, message_id: str,
    sender: Address | str | None = None, to: Address | str | None = None,
    in_reply_to: str = "", references: Sequence[str] = (),
) -> EmailMessage:
    """The one place headers are set: From (nudger's `delivery.from` unless `sender`), To
    (the owner unless `to`), Subject (one line; the kind's fallback when empty), Date in
    the user's zone, Message-ID, In-Reply-To and References when answering, the kind's
    headers. Both bodies are quoted-printable UTF-8; with an HTML part the message is
    multipart/alternative, plain text first (clients show the last part they can display,
    so the richer one goes last)."""
    msg = EmailMessage(policy=default_policy)
    msg["From"] = sender if sender is not None else sender_address(settings)
    msg["To"] = to if to is not None else recipient_address(settings)
    msg["Subject"] = clean_header(parts.subject) or kind.fallback_subject
    msg["Date"] = format_datetime(now.astimezone(settings.zone))
    msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = " ".join(references) or in_reply_to
    for name, value in kind.headers:
        msg[name] = value
    msg.set_content(normalize_body(parts.text), subtype="plain", charset="utf-8",
                    cte="quoted-printable")
    if parts.html is not None:
        msg.add_alternative(normalize_body(parts.html), subtype="html", charset="utf-8",
                            cte="quoted-printable")
    return msg


def probe_message(settings: Settings, now: datetime) -> EmailMessage:
    """`nudger test-email`: a short message through the configured method, built as the
    digest is."""
    return make_message(settings, TEST_EMAIL, {"method": settings.method}, now=now,
                        message_id=probe_message_id(settings))


def normalize_body(body: str) -> str:
    """Line ends normalised, a final newline, no NUL (which no transport carries)."""
    body = body.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return body if body.endswith("\n") else body + "\n"
