"""A frozen copy of nudger/mail/headers.py as it was before the first-sync speed-up
(issue 14): the reference tests/mail/imap/test_mail_fastpaths.py compares the faster parsing with.
Not used by nudger."""

# ruff: noqa
# mypy: ignore-errors

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.utils import getaddresses, parsedate_to_datetime
from functools import cached_property

from nudger.text import decode_charset, server_text
from nudger.when.times import as_utc

# The header fields fetched with BODY.PEEK[HEADER.FIELDS (...)]: all that matching needs.
FIELDS = ("MESSAGE-ID", "DATE", "FROM", "SENDER", "TO", "CC", "SUBJECT", "IN-REPLY-TO",
          "REFERENCES", "AUTO-SUBMITTED", "X-AUTOREPLY", "X-AUTORESPOND",
          "PRECEDENCE", "LIST-ID", "LIST-UNSUBSCRIBE", "AUTHENTICATION-RESULTS", "CONTENT-TYPE",
          "RETURN-PATH", "X-FAILED-RECIPIENTS")
MAX_REFERENCES = 50  # the newest ones; a thread is matched by any of them
MAX_ID = 250
MAX_ADDRESSES = 50

_MSGID = re.compile(r"<([^<>\s]{1,250})>")
_ADDR = re.compile(r"^[^@\s<>,;\"()\[\]\\]{1,64}@[A-Za-z0-9.\-_\u0080-\uffff]{1,253}$")
_AUTO_SUBJECT = re.compile(
    r"^\s*(automatic reply|auto(matic)?[- ]?(reply|response|antwort)|out of (the )?office|"
    r"abwesenheitsnotiz|absence|r[ée]ponse automatique|respuesta autom[aá]tica|"
    r"risposta automatica|afwezig|autosvar|i am (currently )?out|vacation)",
    re.IGNORECASE)
_BOUNCE_FROM = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|mailerdaemon)@",
                          re.IGNORECASE)
_BOUNCE_SUBJECT = re.compile(
    r"(undeliver|delivery status notification|delivery (has )?failed|returned mail|"
    r"mail delivery (failed|subsystem)|failure notice|non[- ]?delivery)", re.IGNORECASE)


@dataclass(frozen=True)
class MailHeader:
    folder: str
    uid: int
    message_id: str  # without angle brackets; "" when missing or unusable
    key: str  # message_id, or "h:" + a stable hash of the headers
    date: datetime  # aware UTC (the server's INTERNALDATE when Date is missing or broken)
    from_addr: str
    from_name: str
    raw_to: str  # parsed into `to` only when asked: most messages never need it
    raw_cc: str
    subject: str
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    auto_submitted: bool
    is_list: bool
    is_bulk: bool
    is_bounce: bool
    failed_recipients: tuple[str, ...]
    authentication_results: str
    size: int
    defects: tuple[str, ...] = field(default=())

    @cached_property
    def to(self) -> tuple[str, ...]:
        return tuple(a for _n, a in parse_addresses(self.raw_to)) if self.raw_to else ()

    @cached_property
    def cc(self) -> tuple[str, ...]:
        return tuple(a for _n, a in parse_addresses(self.raw_cc)) if self.raw_cc else ()

    @property
    def thread_ids(self) -> tuple[str, ...]:
        """Every Message-ID this message says it answers, newest first."""
        seen: list[str] = []
        for mid in (*self.in_reply_to, *reversed(self.references)):
            if mid not in seen:
                seen.append(mid)
        return tuple(seen)

    @property
    def recipients(self) -> tuple[str, ...]:
        return self.to + tuple(a for a in self.cc if a not in self.to)

    @property
    def never_a_reply(self) -> bool:
        """Auto-replies, out-of-office, mailing lists and bulk mail never count as replies."""
        return self.auto_submitted or self.is_list or self.is_bulk or self.is_bounce


def split_fields(raw: bytes) -> dict[str, list[str]]:
    """Header name (lower-case) → its values in order, unfolded (RFC 5322 2.2.3), each
    decoded as UTF-8 or, failing that, Latin-1: never an error, whatever the bytes. The
    block ends at the first empty line. (The email package's parser does the same at a
    few times the cost, which a first sync of tens of thousands of messages pays.)"""
    out: dict[str, list[str]] = {}
    name = ""
    parts: list[bytes] = []

    def flush() -> None:
        if name:
            value = b"".join(parts).strip()
            try:
                text = value.decode("utf-8")
            except UnicodeDecodeError:
                text = value.decode("latin-1")
            out.setdefault(name, []).append(text)

    for line in raw.split(b"\n"):
        if line.endswith(b"\r"):
            line = line[:-1]
        if not line:
            break
        if line[:1] in (b" ", b"\t"):
            if name:
                parts.append(line)
            continue
        flush()
        head, colon, rest = line.partition(b":")
        if not colon or not head or b" " in head.strip():
            name, parts = "", []  # not a header line: ignored
            continue
        name = head.strip().decode("ascii", "replace").lower()
        parts = [rest]
    flush()
    return out


def decode_words(value: str) -> str:
    """RFC 2047 encoded words decoded, with unknown charsets and broken bytes replaced."""
    if "=?" not in value:
        return value
    try:
        parts = decode_header(value)
    except Exception:  # any malformed encoded word: keep the raw text
        return value
    try:
        return str(make_header(parts))
    except Exception:  # an unknown charset or undecodable bytes
        pass
    out: list[str] = []
    for chunk, charset in parts:
        if isinstance(chunk, str):
            out.append(chunk)
            continue
        # Bytes not in the charset they are labelled with (or unlabelled bytes beside an
        # encoded word): read since the one RFC 2047 decoder by nudger's one policy for
        # them, text.decode_charset (Windows-1252 text labelled UTF-8 or ASCII, the usual
        # lie, read as such; tests/test_text.py), not with U+FFFD as this copy did. What
        # is compared here is the parsing around it.
        out.append(decode_charset(chunk, charset or "ascii"))
    return " ".join(part.strip() for part in out)


def clean_address(addr: str) -> str:
    """A bare address, lower-cased; "" when it is not one (no display-name games)."""
    addr = addr.strip().strip("<>").strip()
    if not addr or len(addr) > 320 or not _ADDR.match(addr):
        return ""
    return addr.lower()


_ONE_ADDRESS = re.compile(r'^\s*(?:"?([^"<>,;@]*)"?\s*)?<([^<>\s,;"]+@[^<>\s,;"]+)>\s*$'
                          r'|^\s*([^<>\s,;"()]+@[^<>\s,;"()]+)\s*$')


def parse_addresses(raw: str) -> list[tuple[str, str]]:
    """(display name, address) pairs. Addresses are taken from the raw header BEFORE
    decoding encoded words, so a display name such as
    `=?utf-8?q?boss@acme.com?= <x@evil.test>` yields the address x@evil.test and the
    name "boss@acme.com", never the other way round."""
    pairs: list[tuple[str, str]] = []
    simple = _ONE_ADDRESS.match(raw) if len(raw) < 400 else None
    if simple:
        # The common shapes, `Name <a@b>` and `a@b` (no quotes inside, no comments, one
        # address): the same answer as the parser below at a fraction of its cost.
        name, addr = (simple.group(1) or "", simple.group(2)) if simple.group(2) \
            else ("", simple.group(3))
        clean = clean_address(addr)
        return [(server_text(decode_words(name.strip()), 120), clean)] if clean else []
    try:
        found = getaddresses([raw])
    except Exception:  # a header the parser chokes on has no usable address
        return pairs
    for name, addr in found[:MAX_ADDRESSES]:
        clean = clean_address(addr)
        if clean:
            pairs.append((server_text(decode_words(name), 120), clean))
    return pairs


def parse_ids(raw: str, limit: int) -> tuple[str, ...]:
    """Message-IDs in `raw` (<...> tokens), the last `limit` of them, deduplicated."""
    if not raw:
        return ()
    # Bound the work for a header with thousands of References: only its tail matters.
    tail = raw[-(limit * (MAX_ID + 4)):]
    ids: list[str] = []
    for match in _MSGID.finditer(tail):
        value = match.group(1)
        if "@" in value and value not in ids:
            ids.append(value)
    return tuple(ids[-limit:])


def normalise_id(value: str) -> str:
    """A Message-ID as stored: without brackets; "" when missing or malformed."""
    ids = parse_ids(value, 1)
    if ids:
        return ids[0]
    bare = value.strip()
    if bare and "@" in bare and len(bare) <= MAX_ID and not re.search(r"[\s<>]", bare):
        return bare
    return ""


def fallback_key(raw: dict[str, str]) -> str:
    """A key for a message without a usable Message-ID: the same message gives the same
    key in any folder and on any re-read (only header values, never UIDs or flags)."""
    digest = hashlib.sha256()
    for name in ("date", "from", "to", "cc", "subject", "in-reply-to"):
        digest.update(name.encode() + b"\0" + raw.get(name, "").strip().encode(
            "utf-8", "surrogateescape") + b"\0")
    return "h:" + digest.hexdigest()[:32]


def _date(value: str, fallback: datetime) -> tuple[datetime, bool]:
    if value:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            parsed = None
        if parsed is not None:
            try:
                return as_utc(parsed), True
            except (OverflowError, ValueError):
                pass
    return as_utc(fallback), False


def parse_header(raw_header: bytes, *, folder: str, uid: int, size: int = 0,
                 internal_date: datetime | None = None) -> MailHeader:
    """Parse the fetched header block of one message. Never raises on its content."""
    fields = split_fields(raw_header[:512 * 1024])
    defects: list[str] = []
    raw: dict[str, str] = {name.lower(): (fields.get(name.lower()) or [""])[0]
                           for name in FIELDS}
    raw_mid = raw["message-id"]
    ids_with_that_name = fields.get("message-id", [])
    message_id = normalise_id(raw_mid)
    if len(ids_with_that_name) > 1:
        defects.append("more than one Message-ID")
    if not message_id:
        defects.append("no usable Message-ID" if raw_mid else "no Message-ID")
    key = message_id or fallback_key(raw)
    fallback = internal_date or datetime(1970, 1, 1, tzinfo=UTC)
    date, date_ok = _date(raw["date"], fallback)
    if not date_ok:
        defects.append("no valid Date")
    froms = parse_addresses(raw["from"]) or parse_addresses(raw["sender"])
    from_name, from_addr = froms[0] if froms else ("", "")
    raw_to = " ,".join(fields.get("to", []))
    raw_cc = " ,".join(fields.get("cc", []))
    subject = server_text(decode_words(raw["subject"]), 200)
    auto = raw["auto-submitted"].strip().lower()
    auto_submitted = bool(
        (auto and not auto.startswith("no"))
        or raw["x-autoreply"] or raw["x-autorespond"]
        or _AUTO_SUBJECT.search(subject)
    )
    precedence = raw["precedence"].strip().lower()
    is_list = bool(raw["list-id"] or raw["list-unsubscribe"] or precedence == "list")
    is_bulk = precedence in ("bulk", "junk")
    content_type = raw["content-type"].lower()
    report = "multipart/report" in content_type and "delivery-status" in content_type
    return_path = raw["return-path"].strip()
    is_bounce = bool(
        report
        or (_BOUNCE_FROM.match(from_addr) and _BOUNCE_SUBJECT.search(subject))
        or (return_path == "<>" and _BOUNCE_SUBJECT.search(subject))
    )
    failed = tuple(a for _n, a in parse_addresses(raw["x-failed-recipients"]))
    return MailHeader(
        folder=folder, uid=uid, message_id=message_id, key=key, date=date,
        from_addr=from_addr, from_name=from_name, raw_to=raw_to, raw_cc=raw_cc,
        subject=subject,
        in_reply_to=parse_ids(raw["in-reply-to"], 5),
        references=parse_ids(raw["references"], MAX_REFERENCES),
        auto_submitted=auto_submitted, is_list=is_list, is_bulk=is_bulk, is_bounce=is_bounce,
        failed_recipients=failed,
        authentication_results=server_text(raw["authentication-results"], 1000),
        size=size, defects=tuple(defects),
    )


def domain_of(addr: str) -> str:
    return addr.rsplit("@", 1)[1].lower() if "@" in addr else ""
