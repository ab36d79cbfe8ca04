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
wire is longer than 76 characters whatever the user wrote. The message is assembled
directly, to the byte what the email package's own calls make, at a fraction of their CPU
(a worker builds one per digest; "The message, built directly" below).
"""

from __future__ import annotations

import email.utils
import functools
import random
import re
import secrets
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from email.headerregistry import Address, BaseHeader, HeaderRegistry
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


@functools.lru_cache(maxsize=256)
def msgid_domain(addr_spec: str) -> str:
    """The domain part of an address, as ASCII fit for a Message-ID (remembered: every
    digest's Message-ID asks for the same sender's)."""
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
    return _sender(settings.sender)


@functools.lru_cache(maxsize=64)
def _sender(sender: str) -> Address:
    """The Address of a `delivery.from` (an Address never changes: parsed once per
    process, not per message and again per Message-ID)."""
    name, addr = parseaddr(sender)
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
    so the richer one goes last).

    Built directly (see "The message, built directly" below): the same headers, parts and
    bytes as `set_content` and `add_alternative` make, without their cost."""
    msg = EmailMessage(policy=POLICY)
    _set(msg, "From", sender if sender is not None else sender_address(settings))
    _set(msg, "To", to if to is not None else recipient_address(settings))
    _set(msg, "Subject", clean_header(parts.subject) or kind.fallback_subject)
    _set(msg, "Date", format_datetime(now.astimezone(settings.zone)))
    _set(msg, "Message-ID", message_id)
    if in_reply_to:
        _set(msg, "In-Reply-To", in_reply_to)
        _set(msg, "References", " ".join(references) or in_reply_to)
    for name, value in kind.headers:
        _set(msg, name, value)
    if parts.html is None:
        _text_part(msg, _PLAIN, parts.text)
        msg.set_raw("MIME-Version", _MIME_VERSION)
        return msg
    plain = EmailMessage(policy=POLICY)
    _text_part(plain, _PLAIN, parts.text)
    html = EmailMessage(policy=POLICY)
    _text_part(html, _HTML, parts.html)
    html.set_raw("MIME-Version", _MIME_VERSION)
    msg.set_raw("MIME-Version", _MIME_VERSION)
    boundary = _boundary()
    _folded(msg, "Content-Type", f'multipart/alternative; boundary="{boundary}"',
            ["Content-Type: multipart/alternative;", f' boundary="{boundary}"'])
    msg.set_payload([plain, html])
    return msg


# --- The message, built directly ---------------------------------------------------------
# `msg[name] = value` parses the value into a header object (building a new class per call,
# email.headerregistry) and the generator folds it again on every flatten; set_content and
# add_alternative parse and rewrite Content-Type several times; the generator picks a MIME
# boundary by compiling a new regular expression per message. That was most of a digest's
# MIME cost (bench/b_compose.py). Here a header whose value the email package would write
# on one line exactly as given (`_one_line`) is stored as that line (`set_raw`, as the
# parser stores a received message's headers: reading it still gives the header object),
# and anything else (non-ASCII to RFC 2047-encode, a line to fold) goes through
# `msg[name] = value` as before, which also refuses CR and LF. The bodies are encoded by
# the very calls set_content makes; the parts carry the headers it writes, in its order.
# tests/send/test_message_direct.py compares the bytes with the email package's own build.

_ATOMS = r"[A-Za-z0-9'_-]+(?: [A-Za-z0-9'_-]+)*"  # a display name that needs no quoting
_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_DOMAIN = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
_ADDR_SPEC = re.compile(f"{_LOCAL}@{_DOMAIN}")
_NAME = re.compile(_ATOMS)
_MSG_ID = re.compile(f"<{_LOCAL}@{_DOMAIN}>")
_DATE = re.compile(r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (?:Jan|Feb|Mar|Apr|May|Jun|Jul"
                   r"|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d [+-]\d{4}")
# Printable ASCII words, single spaces, nothing that reads as an RFC 2047 encoded word.
_UNSTRUCTURED = re.compile(r"(?!.*=\?)[\x21-\x7e]+(?: [\x21-\x7e]+)*")
_MAX_LINE = 78  # the default policy's max_line_length: longer lines are folded


def _one_line(name: str, value: Address | str) -> str | None:
    """`value` as the email package writes it when that is one line exactly as given
    (printable ASCII, nothing to quote, fold or encode), else None."""
    if isinstance(value, Address):
        if not _ADDR_SPEC.fullmatch(value.addr_spec) or (
                value.display_name and not _NAME.fullmatch(value.display_name)):
            return None
        text = f"{value.display_name} <{value.addr_spec}>" if value.display_name \
            else value.addr_spec
    elif name in ("From", "To"):
        return None  # a string is parsed into addresses, and written as they print
    else:
        text = value
        pattern = {"Date": _DATE, "Message-ID": _MSG_ID}.get(name, _UNSTRUCTURED)
        if not pattern.fullmatch(text):
            return None
    return text if len(name) + 2 + len(text) <= _MAX_LINE else None


def _set(msg: EmailMessage, name: str, value: Address | str) -> None:
    line = _one_line(name, value)
    if line is not None:
        msg.set_raw(name, line)
    elif name == "Message-ID" and _MSG_ID.fullmatch(str(value)) and \
            len(str(value)) + 1 <= _MAX_LINE:
        # Too long for the line of its name: email writes the name alone, then the id on
        # a continuation line of its own.
        _folded(msg, name, str(value), [f"{name}:", f" {value}"])
    else:
        msg[name] = value


def _folded(msg: EmailMessage, name: str, value: str, lines: list[str]) -> None:
    """`msg[name] = value`, whose folded lines are known to be `lines` (tests compare
    them with email's own folding)."""
    msg[name] = value
    msg[name].__dict__["_lines"] = lines


def _text_part(part: EmailMessage, content_type: Any, body: str) -> None:
    """What `set_content(body, subtype=..., charset="utf-8", cte="quoted-printable")`
    does to a part (email.contentmanager.set_text_content), but MIME-Version."""
    lines = normalize_body(body).encode("utf-8").splitlines()
    payload = quoted_printable((b"\n".join(lines) + b"\n").decode("latin-1"),
                               _MAX_LINE)
    part.set_raw("Content-Type", content_type)
    part.set_raw("Content-Transfer-Encoding", _QUOTED_PRINTABLE)
    part.set_payload(payload)


# Quoted-printable as email.quoprimime.body_encode writes it (the call set_content makes),
# character for character; its first step, a str.translate through a 256-entry list, cost
# more than all the rest of a digest's MIME work: here only the runs of characters to
# quote are looked up. tests/send/test_message_direct.py compares the two.
_QP_QUOTE = [f"={c:02X}" for c in range(256)]
# All but printable ASCII (the '=' are quoted first, by str.replace: an HTML part has
# hundreds of them, each a call of _qp_run otherwise).
_QP_UNSAFE = re.compile(r"[^\t\n\r -~]+")


def _qp_run(match: re.Match[str]) -> str:
    return "".join([_QP_QUOTE[ord(c)] for c in match.group()])


def quoted_printable(body: str, maxlinelen: int = 76) -> str:
    """email.quoprimime.body_encode(body, maxlinelen) for `body` of code points < 256
    (bytes decoded as latin-1), lines ending in LF."""
    if maxlinelen < 4:
        raise ValueError("maxlinelen must be at least 4")
    if not body:
        return body
    body = _QP_UNSAFE.sub(_qp_run, body.replace("=", "=3D"))
    soft_break = "=\n"
    maxlinelen1 = maxlinelen - 1  # room for the '=' of a soft break
    encoded: list[str] = []
    append = encoded.append
    for line in body.splitlines():
        # pieces of at most maxlinelen - 1, never splitting an =XX
        start = 0
        laststart = len(line) - 1 - maxlinelen
        while start <= laststart:
            stop = start + maxlinelen1
            if line[stop - 2] == "=":
                append(line[start:stop - 1])
                start = stop - 2
            elif line[stop - 1] == "=":
                append(line[start:stop])
                start = stop - 1
            else:
                append(line[start:stop] + "=")
                start = stop
        # the rest of the line; whitespace at its end is quoted, or kept before a soft break
        if line and line[-1] in " \t":
            room = start - laststart
            if room >= 3:
                q = _QP_QUOTE[ord(line[-1])]
            elif room == 2:
                q = line[-1] + soft_break
            else:
                q = soft_break + _QP_QUOTE[ord(line[-1])]
            append(line[start:-1] + q)
        else:
            append(line[start:])
    if body[-1] in "\r\n":
        append("")
    return "\n".join(encoded)


class _FoldOnce:
    """For header objects (before email's own classes): folds once per way of folding
    (line end, line length, UTF-8) and keeps the result, since the generator folds every
    header on every flatten and the parts' headers below are the same objects in every
    message; or writes the lines it was given (`_folded`)."""

    def fold(self, *, policy: Any) -> str:
        known: list[str] | None = self.__dict__.get("_lines")
        if known is not None and policy.max_line_length == _MAX_LINE:
            return policy.linesep.join(known) + policy.linesep
        key = (policy.linesep, policy.max_line_length, policy.utf8)
        folds: dict[tuple[str, int | None, bool], str] = self.__dict__.setdefault("_folds", {})
        text = folds.get(key)
        if text is None:
            text = folds[key] = super().fold(policy=policy)  # type: ignore[misc]
        return text


class _Headers(HeaderRegistry):
    """email's header registry with one class per header name (the standard one builds a
    new class on every header parsed, and on every `msg[name] = value`'s count check),
    each folding once (`_FoldOnce`)."""

    def __init__(self) -> None:
        super().__init__()
        self._classes: dict[str, type] = {}

    def __getitem__(self, name: str) -> type:
        key = name.lower()
        cls = self._classes.get(key)
        if cls is None:
            found = self.registry.get(key, self.default_class)
            cls = self._classes[key] = type("_" + found.__name__,
                                            (_FoldOnce, found, BaseHeader), {})
        return cls


# The policy of every message built here: email's default, but for its header classes.
POLICY = default_policy.clone(header_factory=_Headers())
_PLAIN = POLICY.header_factory("Content-Type", 'text/plain; charset="utf-8"')
_HTML = POLICY.header_factory("Content-Type", 'text/html; charset="utf-8"')
_QUOTED_PRINTABLE = POLICY.header_factory("Content-Transfer-Encoding", "quoted-printable")
_MIME_VERSION = POLICY.header_factory("MIME-Version", "1.0")

# email.generator's own boundary: 15 '=', 19 random digits, '=='. Its check that the
# boundary appears in no part is not needed: quoted-printable writes every '=' of the text
# as =3D, so no line of a part can start with "--=="
_BOUNDARY_DIGITS = len(repr(sys.maxsize - 1))


def _boundary() -> str:
    return "=" * 15 + f"{random.randrange(sys.maxsize):0{_BOUNDARY_DIGITS}d}" + "=="


def probe_message(settings: Settings, now: datetime) -> EmailMessage:
    """`nudger test-email`: a short message through the configured method, built as the
    digest is."""
    return make_message(settings, TEST_EMAIL, {"method": settings.method}, now=now,
                        message_id=probe_message_id(settings))


def normalize_body(body: str) -> str:
    """Line ends normalised, a final newline, no NUL (which no transport carries)."""
    body = body.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return body if body.endswith("\n") else body + "\n"
