"""The capture recogniser: one mail message in, findings out. Pure: no database, no
network, no clock; the user's time zone is a parameter. One concept over 400 lines:
recognising one message, the four steps below (the rules themselves are data).

How a message is read (headers first):
1. `view_headers` parses only the header block: sender, subject, date, Message-ID,
   List-Unsubscribe, and the Return-Path/Received hosts an ATS relaying in the
   employer's name shows in.
2. `is_candidate` decides from those alone whether the message can be job mail (its sender
   or relay is an applicant tracking system or job board from the rules, its subject has
   one of the rules' candidate words, it answers a mail, or a person wrote it; for a
   person's mail `peek` also wants a job word in the raw text). Everything else is never
   read further.
3. `with_body` reads the first text part of a candidate (text/plain preferred, else
   text/html turned into text) and its text/calendar part, skipping any part whose encoded
   size is over the cap before decoding it, so a 40 MB attachment is never decoded.
4. `recognise` scores each kind from independent signals together (`_evidence`: the
   kind's phrases in subject and own text, a calendar invitation, the word model, the
   sender; an ignore phrase or a mailing against) and extracts company, role, source, job
   URL, recruiter contact and, when the mail states it, the interview's moment
   (interview_time.py). Every finding says which signals decided it.

Every captured value passes the one-line rules of `nudger add` (no line breaks, no NUL)
and is capped at `MAX_VALUE` characters. The rules are data: rules.toml beside
this file; the word model is data too: words.json (wordmodel.py).
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from email import policy
from email.errors import MessageError
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from nudger.mail.capture.interview_time import (
    CALENDAR_CAP,
    Invite,
    Moment,
    interview_moment,
    read_invite,
)
from nudger.mail.capture.wordmodel import WordModel, default_model
from nudger.mail.htmltext import html_to_text
from nudger.mail.imap.headers import mail_date
from nudger.text import decode_part as _decode_part
from nudger.text import one_line as clean_line
from nudger.vocab import text_problem

RULES_FILE = Path(__file__).with_name("rules.toml")
KINDS = ("application", "rejection", "interview", "outreach")
MAX_VALUE = 200          # characters kept of a company, role, name, URL…
BODY_CAP = 20_000        # characters of body text the rules look at
PART_CAP = 512 * 1024    # bytes: a text part larger than this (encoded) is not decoded
LANGUAGES = ("en", "de", "fr", "es")
IGNORE_SPAN = 300        # characters of body text the ignore rules look at
MAX_RULE_LINE = 1000     # characters of one body line the rules look at


# --- rules -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Rule:
    kind: str
    language: str
    phrase: str
    pattern: re.Pattern[str]
    prefix: str = ""    # the pattern's literal start, case-folded (`literal_prefix`); "" = none


@dataclass(frozen=True)
class Rules:
    ats: dict[str, str]                 # domain → ATS / board name
    ats_names: frozenset[str]           # lower-case names, never a company
    name_noise: tuple[str, ...]
    freemail: frozenset[str]
    candidate: re.Pattern[str]
    phrases: dict[str, tuple[Rule, ...]]  # kind (incl. "ignore") → rules
    company: tuple[re.Pattern[str], ...]
    role: tuple[re.Pattern[str], ...]
    source: str = ""
    # The literal starts (case-folded) of the candidate words, when every one has one, and
    # of the extraction patterns: a pattern whose start is not in the folded text cannot
    # match it, and is not run (see `literal_prefix`).
    candidate_prefixes: tuple[str, ...] | None = None
    company_prefixes: tuple[str, ...] = ()
    role_prefixes: tuple[str, ...] = ()

    # `candidate` without IGNORECASE, for lower-cased ASCII subjects (None when the
    # pattern is not one where that gives the same answer: see ascii_twin).
    candidate_ascii: re.Pattern[str] | None = None
    # The words a person's mail must mention to be read further when its subject has no
    # candidate word ([candidate] body: ASCII stems, case-insensitive), as text and bytes.
    body_words: tuple[str, ...] = ()     # lower-case
    words: WordModel | None = None       # the word model (wordmodel.py), a signal
    body_words_raw: tuple[bytes, ...] = ()

    def mentions_job(self, text: str) -> bool:
        if not self.body_words:
            return True
        lowered = text.lower()
        return any(word in lowered for word in self.body_words)

    def is_candidate_subject(self, subject: str) -> bool:
        """`candidate.search(subject)`: the candidate words in the subject. An ASCII
        subject is lower-cased and searched without IGNORECASE, the same answer at a
        tenth of the cost (most mail in a mailbox is looked at here and no further);
        another is skipped when no candidate word's literal start is in it."""
        if self.candidate_ascii is not None and subject.isascii():
            return self.candidate_ascii.search(subject.lower()) is not None
        if self.candidate_prefixes is not None and \
                not _any_of(self.candidate_prefixes).search(fold_case(subject)):
            return False
        return self.candidate.search(subject) is not None

    def ats_of(self, domain: str) -> str:
        domain = domain.lower().rstrip(".")
        while domain:
            if domain in self.ats:
                return self.ats[domain]
            _, _, domain = domain.partition(".")
        return ""


@lru_cache(maxsize=8)
def _any_of(words: tuple[str, ...]) -> re.Pattern[str]:
    """Finds any of `words` (exactly as written: a plain, case-sensitive alternation)."""
    return re.compile("|".join(re.escape(w) for w in words))


class RulesError(ValueError):
    """The rules file is not valid; the message names the file, the key and the pattern."""


def load_rules(path: Path | None = None) -> Rules:
    path = path or RULES_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RulesError(f"{path}: cannot read the capture rules: {exc}") from None

    def compile_one(key: str, text: Any, flags: int = 0) -> re.Pattern[str]:
        if not isinstance(text, str):
            raise RulesError(f"{path}: {key}: {text!r} is not a string")
        try:
            return re.compile(text, re.IGNORECASE | flags)
        except re.error as exc:
            raise RulesError(f"{path}: {key}: pattern {text!r} is not valid: {exc}") from None

    try:
        ats = {str(d).lower(): str(entry["name"]) for entry in data["ats"]
               for d in entry["domains"]}
        phrases: dict[str, tuple[Rule, ...]] = {}
        for kind in ("ignore", "rejection", "interview", "application", "outreach"):
            phrases[kind] = tuple(
                Rule(kind, lang, text, compile_one(f"{kind}.{lang}", text),
                     literal_prefix(text, re.IGNORECASE))
                for lang in LANGUAGES for text in data[kind].get(lang, ())
            )
        candidate = compile_one("candidate.subject", "|".join(
            f"(?:{s})" for s in data["candidate"]["subject"]))
        words = tuple(literal_prefix(str(s), re.IGNORECASE)
                      for s in data["candidate"]["subject"])
        candidate_ascii = ascii_twin(candidate.pattern)
        stems = [str(w) for w in data["candidate"].get("body", ())]
        if not all(w.isascii() and w.strip() for w in stems):
            raise RulesError(f"{path}: candidate.body: every word must be ASCII, not empty")
        company = tuple(compile_one("extract.company", t, re.MULTILINE)
                        for t in data["extract"]["company"])
        role = tuple(compile_one("extract.role", t, re.MULTILINE)
                     for t in data["extract"]["role"])
        return Rules(
            ats=ats,
            ats_names=frozenset(n.lower() for n in ats.values()),
            name_noise=tuple(sorted((str(n).lower() for n in data["names"]["noise"]),
                                    key=len, reverse=True)),
            freemail=frozenset(str(d).lower() for d in data["names"]["freemail"]),
            candidate=candidate, phrases=phrases, company=company, role=role,
            source=str(path), candidate_ascii=candidate_ascii,
            body_words=tuple(w.lower() for w in stems),
            body_words_raw=tuple(w.lower().encode() for w in stems),
            candidate_prefixes=words if words and all(words) else None,
            company_prefixes=tuple(literal_prefix(p.pattern, p.flags) for p in company),
            role_prefixes=tuple(literal_prefix(p.pattern, p.flags) for p in role),
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise RulesError(f"{path}: missing or malformed key {exc}") from None


# --- skipping patterns that cannot match ----------------------------------------------------
# Python's `re` scans a case-insensitive pattern position by position even when it starts
# with a word, so ~80 rule patterns over every candidate cost more than reading the mail.
# A pattern that starts with literal text can only match where the text holds that start:
# both are case-folded exactly as `re.IGNORECASE` compares characters (its simple lower
# case, plus the characters it treats as equal: ſ/s, K/k, ı/i, ς/σ…), and a pattern whose
# start is not in the folded text is not run. tests/test_capture_prefilter.py proves the
# folding against the regex engine over every code point and the findings over the corpus.

def _fold_table() -> dict[int, int] | None:
    try:
        from re._casefix import (  # type: ignore[import-not-found]
            _EXTRA_CASES,  # what re.IGNORECASE treats as equal
        )
    except ImportError:  # another Python: no folding known, so no pattern is skipped
        return None
    table: dict[int, int] = {}
    for low, others in _EXTRA_CASES.items():
        canonical = min((low, *others))
        for point in (low, *others):
            if point != canonical:
                table[point] = canonical
    return table


_FOLD = _fold_table()


def fold_case(text: str) -> str:
    """`text` with each character replaced by one representative of the characters
    `re.IGNORECASE` takes as equal to it; same length as `text`."""
    if text.isascii():
        return text.lower()
    # str.lower() is the simple lower case re uses except for İ, whose full lower case is
    # two characters (and a final sigma, which the table folds with σ).
    return text.replace("\u0130", "i").lower().translate(_FOLD or {})


def literal_prefix(pattern: str, flags: int = re.IGNORECASE) -> str:
    """The literal characters a pattern starts with (folded), or "" when it has none of
    at least 3 characters, when the case folding is not known, or when in doubt."""
    if _FOLD is None:
        return ""
    try:
        from re import _parser  # type: ignore[attr-defined]

        parsed = _parser.parse(pattern, flags)
        chars: list[str] = []
        for op, arg in parsed.data:
            if op is _parser.AT and not chars:
                continue  # a leading \b or ^ matches no character: the literal follows
            if op is not _parser.LITERAL:
                break
            chars.append(chr(arg))
    except Exception:  # a private module: any surprise means "no prefix"
        return ""
    prefix = fold_case("".join(chars))
    return prefix if len(prefix) >= 3 else ""


_CASELESS_ESCAPES = frozenset("bBwWsSdD")


def ascii_twin(pattern: str) -> re.Pattern[str] | None:
    """`pattern` compiled without IGNORECASE, such that for every ASCII text t
    `twin.search(t.lower())` matches exactly when `re.compile(pattern, re.I).search(t)`
    does; None when the pattern is not plainly of that kind. It is when its ASCII letters
    are all lower-case literals (no character classes, whose ranges may hold either
    case; only the escapes \\b \\w \\s \\d and their negations, whose meaning
    lower-casing keeps; no inline flags) and none of its other characters matches an
    ASCII character when case is ignored (as U+017F matches "s", U+212A "k")."""
    at = 0
    while at < len(pattern):
        ch = pattern[at]
        if ch == "\\":
            escaped = pattern[at + 1:at + 2]
            if not escaped or (escaped.isalnum() and escaped not in _CASELESS_ESCAPES):
                return None
            at += 2
            continue
        if ch == "[":
            return None
        if ch == "(" and pattern[at + 1:at + 2] == "?" and \
                pattern[at + 2:at + 3] not in (":", "=", "!") and \
                pattern[at + 2:at + 4] not in ("<=", "<!"):
            return None
        if ch.isascii():
            if ch.isupper():
                return None
        elif any(re.fullmatch(re.escape(ch), chr(code), re.IGNORECASE)
                 for code in range(128)):
            return None
        at += 1
    try:
        return re.compile(pattern)
    except re.error:
        return None


@lru_cache(maxsize=4)
def default_rules() -> Rules:
    return replace(load_rules(RULES_FILE), words=default_model())


# --- values ----------------------------------------------------------------------------



def one_line(value: str, cap: int = MAX_VALUE, name: str = "value") -> str:
    """A value as `nudger add` accepts it: control and bidi characters removed, whitespace
    collapsed, at most `cap` characters (cut at a word when possible)."""
    if value.isascii() and value.isprintable():
        text = clean_line(value)  # NFC changes nothing in it
    else:
        text = clean_line(unicodedata.normalize("NFC", value))
    if len(text) > cap:
        cut = text[:cap]
        text = cut.rsplit(" ", 1)[0] if " " in cut[cap // 2:] else cut
    text = text.strip()
    problem = text_problem(name, text, one_line=True)  # the rule `nudger add` applies
    if problem:
        raise ValueError(problem)
    return text


def decode_words(raw: str | None) -> str:
    """An RFC 2047 header value as one line (bad encoded words kept as they are)."""
    if not raw:
        return ""
    if "=?" not in raw:
        return clean_line(raw)
    try:
        text = str(make_header(decode_header(str(raw))))
    except (ValueError, LookupError, UnicodeError, AssertionError, MessageError):
        # e.g. "=?utf-8?b?A?=" (base64 that no padding repairs: HeaderParseError) or a
        # charset name that is not ASCII (CharsetError)
        text = str(raw)
    return clean_line(text)


# --- the message as the rules see it ---------------------------------------------------

@dataclass(frozen=True)
class MailView:
    message_id: str = ""
    sent_at: datetime | None = None     # aware
    from_name: str = ""
    from_addr: str = ""
    reply_to: str = ""
    subject: str = ""
    auto_submitted: bool = False
    bulk: bool = False                  # Precedence bulk/list or a List-Id
    text: str = ""                      # first text part, capped; "" until with_body
    links: tuple[tuple[str, str], ...] = ()
    body_note: str = ""                 # why the body could not be read, if so
    unsubscribe: bool = False           # a List-Unsubscribe header: a mailing
    relays: tuple[str, ...] = ()        # domains in Return-Path and Received lines
    invite: Invite | None = None        # a text/calendar part, when the message has one
    forwarded: bool = False             # the view is of a message forwarded inline

    @property
    def domain(self) -> str:
        return self.from_addr.rpartition("@")[2].lower()


_PARSER = BytesParser(policy=policy.compat32)


def split_headers(raw: bytes) -> bytes:
    """The header block of a message (up to the first empty line)."""
    for sep in (b"\n\n", b"\r\n\r\n"):
        at = raw.find(sep)
        if at >= 0:
            return raw[: at + len(sep)]
    return raw


_WANTED = frozenset({"from", "reply-to", "subject", "date", "message-id", "auto-submitted",
                     "precedence", "list-id", "list-unsubscribe", "return-path", "received"})
# The shortcut pattern below backtracks quadratically on long runs of spaces (`From: a`, a
# quarter of a million spaces, `b` took 426 s): only short values try it, and an address
# field is read no further than its first MAX_ADDRESS_FIELD characters (RFC 5322: a line is
# at most 998).
MAX_PLAIN = 400
MAX_ADDRESS_FIELD = 4000
_PLAIN_ADDRESS = re.compile(r'\s*(?:"([^"\\]*)"|([^"<>,;]*?))\s*<([^<>\s,;"]+@[^<>\s,;"]+)>\s*'
                            r'|\s*([^<>\s,;"()]+@[^<>\s,;"()]+)\s*')


_WANTED_LINE = (  # a wanted field's line, its folded continuation lines
    rb"(?:[\r\x0b\x0c][ \t\r\x0b\x0c]*)?"
    rb"(from|reply-to|subject|date|message-id|auto-submitted|precedence|list-id|"
    rb"list-unsubscribe|return-path|received)"
    rb"[ \t\r\x0b\x0c]*:([^\n]*)((?:\n[ \t][^\n]*)*)")
_FIRST_FIELD = re.compile(_WANTED_LINE, re.IGNORECASE)
_NEXT_FIELD = re.compile(rb"\n" + _WANTED_LINE, re.IGNORECASE)  # jumps from line to line
_BLANK_LINE = re.compile(rb"\n\r*(?:\n|\Z)")
_BLANK_START = re.compile(rb"\r*(?:\n|\Z)")


def _header_fields(raw: bytes) -> dict[str, str]:
    """The few headers the recogniser reads, unfolded (first occurrence of each): the
    header block's lines up to the first empty one, much cheaper than the email package's
    parser for mail that is then never read further. Regular expressions find the wanted
    lines; the rest of the block is never split or decoded."""
    if _BLANK_START.match(raw):
        return {}
    blank = _BLANK_LINE.search(raw)
    end = blank.start() if blank else len(raw)
    fields: dict[str, str] = {}
    first = _FIRST_FIELD.match(raw, 0, end)
    found = _NEXT_FIELD.findall(raw, 0, end)
    if first:
        found.insert(0, first.groups())
    for key, raw_value, folded in found:
        name = key.decode("ascii").lower()
        if name in fields and name != "received":
            continue
        value = raw_value.strip().decode("utf-8", "replace")
        if folded:
            for line in folded.split(b"\n")[1:]:
                value += " " + line.strip().decode("utf-8", "replace")
        if name in fields:  # every Received line: the ATS may show in any of them
            if len(fields[name]) < 2000:
                fields[name] += " | " + value
            continue
        fields[name] = value
    return fields


def peek(raw: bytes, rules: Rules) -> tuple[dict[str, str], bool]:
    """The header fields, and whether the message can be job mail (`is_candidate`), at the
    least cost: most mail is decided here and never looked at again."""
    fields = _header_fields(raw)
    domain = _first_address_only(fields.get("from")).rpartition("@")[2].lower()
    if rules.ats_of(domain):
        return fields, True
    subject = decode_words(fields.get("subject"))
    if rules.is_candidate_subject(subject):
        return fields, True
    if ("return-path" in fields or "received" in fields) and \
            any(rules.ats_of(d) for d in relay_domains(fields)):
        return fields, True
    bulk = fields.get("precedence", "").strip().lower() in ("bulk", "list", "junk") or \
        "list-id" in fields or "list-unsubscribe" in fields
    auto = fields.get("auto-submitted", "no").strip().lower() not in ("", "no")
    if bulk or auto:
        return fields, False
    if subject[:3].lower() == "re:":
        return fields, True
    address = _first_address_only(fields.get("from"))
    return fields, is_personal(address) and _raw_mentions_job(raw, rules)


_UNREADABLE = (b"base64", b"utf-16", b"utf-32", b"text/calendar")


def _raw_mentions_job(raw: bytes, rules: Rules) -> bool:
    """Whether a person's mail mentions a [candidate] body word, read from the raw bytes
    (lower-cased, quoted-printable soft breaks joined): what `recognise` checks in the
    decoded text. Mail whose text cannot be read this way (base64, UTF-16), or with a
    calendar part, is taken as mentioning one."""
    if not rules.body_words:
        return True
    window = raw[:BODY_CAP * 3].lower()
    if any(mark in window for mark in _UNREADABLE):
        return True
    if b"=\n" in window or b"=\r\n" in window:
        window = window.replace(b"=\r\n", b"").replace(b"=\n", b"")
    return any(word in window for word in rules.body_words_raw)


def view_headers(raw_headers: bytes | Message | dict[str, str]) -> MailView:
    if isinstance(raw_headers, dict):
        fields = raw_headers
    elif isinstance(raw_headers, Message):
        fields = {k.lower(): str(v) for k, v in raw_headers.items() if k.lower() in _WANTED}
    else:
        fields = _header_fields(split_headers(raw_headers))
    name, addr = _first_address(fields.get("from"))
    _, reply_addr = _first_address(fields.get("reply-to"))
    # None: no date, or one outside the supported range (mail_date says which).
    sent_at = mail_date(fields.get("date"))
    precedence = fields.get("precedence", "").strip().lower()
    return MailView(
        message_id=one_line(fields.get("message-id", ""), 300),
        sent_at=sent_at,
        from_name=one_line(name, MAX_VALUE),
        from_addr=one_line(addr.lower(), MAX_VALUE),
        reply_to=one_line(reply_addr.lower(), MAX_VALUE),
        subject=one_line(decode_words(fields.get("subject")), 500),
        auto_submitted=fields.get("auto-submitted", "no").strip().lower() not in ("", "no"),
        bulk=precedence in ("bulk", "list", "junk") or "list-id" in fields,
        unsubscribe="list-unsubscribe" in fields,
        relays=relay_domains(fields),
    )


_RELAY_HOST = re.compile(r"@([a-z0-9.-]+\.[a-z]{2,})|\bfrom\s+([a-z0-9.-]+\.[a-z]{2,})\b",
                         re.IGNORECASE)


def relay_domains(fields: dict[str, str]) -> tuple[str, ...]:
    """The domains of the Return-Path address and of the hosts the Received lines say
    the message came from: where ATS mail sent in the employer's name shows its system."""
    text = fields.get("return-path", "") + " " + fields.get("received", "")[:2000]
    if len(text) < 3:
        return ()
    found = []
    for match in _RELAY_HOST.finditer(text):
        host = (match.group(1) or match.group(2)).lower().rstrip(".")
        if host not in found:
            found.append(host)
    return tuple(found[:12])


def _first_address_only(raw: str | None) -> str:
    """`_first_address(raw)[1]`, without decoding the display name of a plain address."""
    if not raw:
        return ""
    raw = raw[:MAX_ADDRESS_FIELD]
    plain = _PLAIN_ADDRESS.fullmatch(raw) if len(raw) <= MAX_PLAIN else None
    if plain:
        return plain.group(4) or plain.group(3)
    return _first_address(raw)[1]


def _first_address(raw: str | None) -> tuple[str, str]:
    """(display name, address) of the first address. The address is taken from the raw
    header before encoded words are decoded, so a name that decodes to `<x@evil>` cannot
    become the address."""
    if not raw:
        return "", ""
    raw = raw[:MAX_ADDRESS_FIELD]
    plain = _PLAIN_ADDRESS.fullmatch(raw) if len(raw) <= MAX_PLAIN else None
    if plain:
        if plain.group(4):
            return "", plain.group(4)
        return decode_words(plain.group(1) or plain.group(2) or ""), plain.group(3)
    try:
        pairs = getaddresses([raw])
    except (ValueError, TypeError, IndexError):
        return "", ""
    for name, addr in pairs:
        if "@" in addr:
            return decode_words(name).strip().strip('"'), addr.strip()
    return "", ""


def is_candidate(view: MailView, rules: Rules | None = None, *,
                 personal: bool = True) -> bool:
    """Could this be job mail? From the headers alone: an ATS or job board sent it (or
    relayed it: Return-Path, Received), its subject has a candidate word, it answers a
    mail ("Re:"), or (`personal`) a person wrote it (not a mailing, not automatic, not a
    service address). The live sync passes personal=False: there a person's mail would
    cost a FETCH of its body each, where `nudger capture` checks the raw bytes first."""
    rules = rules or default_rules()
    if ats_sender(view, rules):
        return True
    if rules.is_candidate_subject(view.subject):
        return True
    if view.bulk or view.auto_submitted or view.unsubscribe:
        return False
    return view.subject[:3].lower() == "re:" or (personal and is_personal(view.from_addr))


_SERVICE = re.compile(
    r"^(?:.*[._-])?(?:no-?reply|do-?not-?reply|donotreply|notifications?|notify|alerts?|"
    r"mailer(?:-daemon)?|bounces?|news(?:letter)?|info|orders?|service|support|billing|"
    r"invoices?|updates?|marketing|hello|hi|contact|booking|reservations?|calendar|"
    r"security|account|admin|postmaster|digest|events?|promo|offers?|shop|store|"
    r"receipts?|statements?|members?|avisos|boletin|renewals?|kurse|leasing|admissions)"
    r"(?:[._+-].*)?$", re.IGNORECASE)


def is_personal(address: str) -> bool:
    """A person's or a hiring desk's address, not a shop's or a service's."""
    local, at, _domain = address.rpartition("@")
    return bool(at and local) and _SERVICE.match(local) is None


def ats_sender(view: MailView, rules: Rules) -> str:
    """The ATS or board that sent the message: its From domain, else a Return-Path or
    Received host (ATS mail sent in the employer's name)."""
    found = rules.ats_of(view.domain)
    if found:
        return found
    for domain in view.relays:
        found = rules.ats_of(domain)
        if found:
            return found
    return ""


def body_can_matter(view: MailView, rules: Rules | None = None) -> bool:
    """False when `recognise` finds nothing in this message whatever its body says: an
    auto-reply or bulk/list mail not from an ATS (its first checks), so the body is not
    parsed. tests/test_capture_prefilter.py holds it to the full recogniser."""
    rules = rules or default_rules()
    return not (view.auto_submitted or view.bulk) or bool(ats_sender(view, rules))


def with_body(view: MailView, raw: bytes | Message, cap: int = BODY_CAP,
              zone: ZoneInfo | None = None) -> MailView:
    """The view with the first text part of the message read (capped), and its
    text/calendar part when it has one (a DTSTART without a zone read in `zone`)."""
    try:
        msg = raw if isinstance(raw, Message) else _PARSER.parsebytes(raw)
        text, links, note, calendar = _first_text(msg, cap)
    except (ValueError, LookupError, TypeError, AssertionError, IndexError) as exc:
        return replace(view, body_note=f"body not readable ({type(exc).__name__})")
    invite = read_invite(calendar, zone or ZoneInfo("UTC")) if calendar else None
    return replace(view, text=text, links=tuple(links), body_note=note, invite=invite)


def _first_text(msg: Message, cap: int) -> tuple[str, list[tuple[str, str]], str, str]:
    plain: Message | None = None
    html: Message | None = None
    calendar = ""
    note = ""
    for count, part in enumerate(msg.walk()):
        if count > 50:
            break
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        if ctype == "text/calendar" and not calendar:
            payload = part.get_payload()
            if isinstance(payload, str) and len(payload) <= PART_CAP:
                calendar = _decode_part(part)[:CALENDAR_CAP] or " "
            continue
        if ctype not in ("text/plain", "text/html"):
            continue
        if str(part.get("Content-Disposition") or "").lower().startswith("attachment"):
            continue
        payload = part.get_payload()
        if isinstance(payload, str) and len(payload) > PART_CAP:
            note = f"a {ctype} part of {len(payload)} bytes was not read"
            continue
        if ctype == "text/plain" and plain is None:
            plain = part
        elif ctype == "text/html" and html is None:
            html = part
    links: list[tuple[str, str]] = []
    text = _decode_part(plain)[:cap] if plain is not None else ""
    if html is not None and not text.strip():
        # The HTML is read only when there is no plain text (the same words, as a rule).
        text, links = html_to_text(_decode_part(html), cap)
    return text, links, note, calendar


# --- findings --------------------------------------------------------------------------

@dataclass(frozen=True)
class Finding:
    kind: str                       # application | rejection | interview | outreach
    company: str
    role: str                       # "" when the mail does not name it
    on: date | None                 # the mail's local date (the applied date for applications)
    source: str                     # the ATS or board, or "email"
    confidence: float
    why: str
    url: str = ""
    contact_name: str = ""
    contact_email: str = ""
    interview_at: datetime | None = None   # aware UTC, only when unambiguous
    message_id: str = ""
    subject: str = ""
    extras: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "company": self.company, "role": self.role,
            "date": self.on.isoformat() if self.on else None, "source": self.source,
            "url": self.url, "contact_name": self.contact_name,
            "contact_email": self.contact_email,
            "interview_at": self.interview_at.isoformat() if self.interview_at else None,
            "confidence": round(self.confidence, 2), "why": self.why,
            "message_id": self.message_id, "subject": self.subject,
        }


def recognise(view: MailView, *, zone: ZoneInfo, rules: Rules | None = None,
              outreach: bool = False) -> list[Finding]:
    """The findings in one message (read with `with_body`). At most one finding.

    Each kind is decided from independent signals scored together (`_evidence`): the
    kind's phrases in the subject and in the mail's own text (quoted history cut off), a
    text/calendar invitation (METHOD:REQUEST with a DTSTART), who sent it (an ATS, also
    when it shows only in Return-Path/Received; a person; a mailing with List-Unsubscribe
    counts against). A rejection's wording outranks the interview words a rejection after
    an interview is full of; an invitation outranks an application's thanks."""
    rules = rules or default_rules()
    if not is_candidate(view, rules):
        return []  # the same answer the headers-only pre-filter gives
    if not ats_sender(view, rules) and not rules.is_candidate_subject(view.subject) and \
            view.subject[:3].lower() != "re:" and view.invite is None and \
            not rules.mentions_job(view.text):
        return []  # a person's mail that mentions no job word ([candidate] body)
    if view.auto_submitted and not ats_sender(view, rules):
        return []  # out-of-office and other auto-replies of people
    view = _unforwarded(view)
    ats = ats_sender(view, rules)
    haystack = _haystack(view)
    # Alerts and newsletters say so at the top; a footer ("jobs you may like") does not
    # make a confirmation an alert.
    head = haystack[: len(view.subject) + 1 + IGNORE_SPAN]
    folded = fold_case(haystack)
    folded_head = folded[: len(head)]
    ignored = ""
    for rule in rules.phrases["ignore"]:
        if rule.prefix and rule.prefix not in folded_head:
            continue  # cannot match
        found = rule.pattern.search(head)
        if found:
            ignored = found.group(0)
            break
    if view.bulk and not ats:
        return []  # mailing lists and bulk senders: never about one application of yours
    if ignored and not ats:
        return []  # an alert, a receipt, an admission: only an ATS's own wording outweighs it
    evidence = _evidence(view, haystack, folded, ats, rules, zone, ignored)
    if evidence is None:
        if ignored or not outreach or view.bulk or ats or view.unsubscribe:
            return []
        matched = _first_match(rules.phrases["outreach"], haystack, folded)
        if matched is None:
            return []
        rule, phrase = matched
        evidence = Evidence("outreach", 1.0, [
            f"{rule.language.upper()} outreach phrase \"{phrase}\""], None)
    return _finding(view, evidence, ats, haystack, zone, rules)


@dataclass
class Evidence:
    kind: str
    score: float
    signals: list[str]
    moment: Moment | None


SUBJECT_WEIGHT = 1.2     # a kind's phrase in the subject
BODY_WEIGHT = 1.0        # … in the mail's own text (the first one; each further one 0.25)
INVITE_WEIGHT = 2.0      # a text/calendar METHOD:REQUEST with a start, in job mail
ATS_PRIOR = 0.3          # sent (or relayed) by an ATS or job board
UNSUBSCRIBE = 0.6        # List-Unsubscribe from a sender that is no ATS: a mailing
WORDS_WEIGHT = 1.1       # the word model's most likely kind, times its probability…
WORDS_MIN = 0.8          # … when that is at least this
IGNORE = 1.6             # an [ignore] phrase at the top (an alert, a receipt, a webinar)
THRESHOLD = 1.0          # a kind's score needed to say so


def _evidence(view: MailView, haystack: str, folded: str, ats: str, rules: Rules,
              zone: ZoneInfo, ignored: str = "") -> Evidence | None:
    subject_end = len(view.subject)
    scores: dict[str, float] = {}
    signals: dict[str, list[str]] = {}
    for kind in ("rejection", "interview", "application"):
        in_subject = in_body = 0
        said: list[str] = []
        for rule in rules.phrases[kind]:
            if rule.prefix and rule.prefix not in folded:
                continue  # cannot match
            found = rule.pattern.search(haystack)
            if found is None:
                continue
            where_subject = found.start() < subject_end
            if not where_subject and found.start() <= subject_end:
                continue
            if where_subject:
                in_subject += 1
            else:
                in_body += 1
            if len(said) < 2:
                said.append(f"{rule.language.upper()} {kind} phrase \"{found.group(0)}\""
                            f"{' in the subject' if where_subject else ''}")
        score = (SUBJECT_WEIGHT if in_subject else 0.0) + \
            (BODY_WEIGHT + 0.25 * min(in_body - 1, 4) if in_body else 0.0)
        scores[kind], signals[kind] = score, said
    phrased = {kind for kind, score in scores.items() if score}
    if rules.words is not None:
        # The word model: how the mail's words read, past the rules' exact phrases.
        posteriors = rules.words.posteriors(haystack)
        best = max(posteriors, key=lambda k: posteriors[k])
        if best != "not-job" and posteriors[best] >= WORDS_MIN:
            scores[best] += WORDS_WEIGHT * posteriors[best]
            signals[best].append(f"its words read as {best} ({posteriors[best]:.2f})")
    job_words = any(scores.values()) or rules.is_candidate_subject(view.subject)
    invite = view.invite
    moment: Moment | None = None
    if invite is not None and invite.method == "REQUEST" and invite.start is not None and \
            (ats or job_words or rules.is_candidate_subject(invite.summary)):
        scores["interview"] += INVITE_WEIGHT
        moment = Moment(invite.start, not invite.floating, "the invitation's DTSTART")
        signals["interview"].insert(0, "a calendar invitation (METHOD:REQUEST, DTSTART "
                                    f"{invite.start.isoformat(timespec='minutes')})")
    prior = ATS_PRIOR if ats else 0.0
    penalty = UNSUBSCRIBE if view.unsubscribe and not ats else 0.0
    penalty += IGNORE if ignored else 0.0
    if moment is None and "application" not in phrased and \
            _first_match(rules.phrases["outreach"], haystack, folded) is not None:
        # A recruiter's first approach ("came across your profile … open to a quick
        # chat?") is outreach, not an interview of an application of yours; nor does
        # the word model's reading alone make it one.
        scores["interview"] = 0.0
        for kind in ("application", "rejection"):
            if kind not in phrased:
                scores[kind] = 0.0
    # Context: a rejection's own words decide it even when it mentions the interviews
    # before it; an invitation decides over an application's thanks ("thanks for
    # applying, can we talk on Tuesday?"); a calendar invitation over both.
    order = ["rejection", "interview", "application"]
    if moment is not None:
        order = ["interview", "rejection", "application"]
    for kind in order:
        total = scores[kind] + (prior if scores[kind] else 0.0) - penalty
        if scores[kind] and total >= THRESHOLD:
            said = signals[kind]
            if prior:
                said.append(f"sent by {ats}")
            if view.unsubscribe and not ats:
                said.append("a List-Unsubscribe mailing")
            if ignored:
                said.append(f"despite \"{ignored}\" (mail that is not job mail says so)")
            if kind == "interview" and moment is None:
                moment = interview_moment(haystack, view.sent_at, zone)
            return Evidence(kind, total, said, moment if kind == "interview" else None)
    return None


_FORWARD_SUBJECT = re.compile(r"^\s*(?:fwd?|wg|tr|rv|enc|i)\s*:\s*", re.IGNORECASE)
_FORWARD_MARK = re.compile(
    r"^[ \t>]*-{2,}\s*(?:forwarded message|weitergeleitete nachricht|message transféré|"
    r"mensaje reenviado|original message|ursprüngliche nachricht|message d.origine|"
    r"mensaje original)\s*-{2,}[ \t]*$|^[ \t]*begin forwarded message:[ \t]*$",
    re.IGNORECASE | re.MULTILINE)
_FORWARD_FIELD = re.compile(r"^[ \t>*]*(from|von|de|subject|betreff|objet|asunto|date|datum|"
                            r"sent|gesendet|envoyé|enviado|fecha|to|an|à|para|cc)\s*:\s*(.*)$",
                            re.IGNORECASE)


def _unforwarded(view: MailView) -> MailView:
    """A message the user forwarded inline ("Fwd: …", "---------- Forwarded message
    ---------"): the view of the forwarded message (its sender, subject and text)."""
    if not _FORWARD_SUBJECT.match(view.subject) or not view.text:
        return view
    mark = _FORWARD_MARK.search(view.text)
    if mark is None:
        return view
    lines = view.text[mark.end():].lstrip("\r\n").split("\n")
    sender = subject = ""
    at = 0
    while at < min(len(lines), 12):
        found = _FORWARD_FIELD.match(lines[at].strip("\r"))
        if found is None:
            break
        name = found.group(1).lower()
        if name in ("from", "von", "de") and not sender:
            sender = found.group(2)
        elif name in ("subject", "betreff", "objet", "asunto"):
            subject = found.group(2)
        at += 1
    if not sender:
        return view
    from_name, from_addr = _first_address(sender.strip())
    if "@" not in from_addr:
        return view
    return replace(view, from_name=one_line(from_name), from_addr=one_line(from_addr.lower()),
                   subject=one_line(subject.strip() or
                                    _FORWARD_SUBJECT.sub("", view.subject), 500),
                   text="\n".join(lines[at:]), relays=(), unsubscribe=False,
                   forwarded=True)


_QUOTE_START = re.compile(
    r"^[ \t]*(?:on\b.{4,200}\bwrote:|am\b.{4,200}\bschrieb\b.{0,80}:|"
    r"le\b.{4,200}\ba écrit\s*:|el\b.{4,200}\bescribió:|"
    r"-{2,}\s*(?:original message|ursprüngliche nachricht|message d.origine|"
    r"mensaje original)\s*-{2,})[ \t]*$", re.IGNORECASE | re.MULTILINE)


def own_text(raw: bytes) -> str:
    """Subject and own text of a message as the recogniser reads it (quoted history cut,
    an inline forward read as the forwarded mail): what the word model learns from."""
    view = _unforwarded(with_body(view_headers(raw), raw))
    return _haystack(view)


def _haystack(view: MailView) -> str:
    text = view.text.replace("\r", "")
    if not view.forwarded and ("wrote" in text or "---" in text or "schrieb" in text or
                               "écrit" in text or "escribió" in text):
        quote = _QUOTE_START.search(text)
        if quote is not None:
            text = text[: quote.start()]  # the quoted history of a reply
    # A line is read to MAX_RULE_LINE characters: the extraction patterns ("for the X
    # position at Y") backtrack over the whole line at each start, quadratic in its length
    # (a 20,000-character line of "for the " took 3.5 s); a sentence naming a company and
    # a role fits many times over.
    lines = [" ".join(line[:MAX_RULE_LINE * 2].split())[:MAX_RULE_LINE]
             for line in text.split("\n")]
    # Quoted history (a reply's "> …" lines) is not this mail's own text.
    own = [line for line in lines if line and not line.startswith(">")]
    if view.invite is not None and view.invite.summary:
        own.append(view.invite.summary)
    return view.subject + "\n" + "\n".join(own)


def _first_match(rules: Iterable[Rule], haystack: str,
                 folded: str | None = None) -> tuple[Rule, str] | None:
    """The first rule (in order) that matches, and what it matched. `folded` is
    `fold_case(haystack)`, to skip the rules that cannot match."""
    if folded is None:
        folded = fold_case(haystack)
    for rule in rules:
        if rule.prefix and rule.prefix not in folded:
            continue
        found = rule.pattern.search(haystack)
        if found:
            return rule, found.group(0)
    return None


def _finding(view: MailView, evidence: Evidence, ats: str, haystack: str,
             zone: ZoneInfo, rules: Rules) -> list[Finding]:
    kind = evidence.kind
    company, role, how = _company_and_role(view, haystack, rules.ats_of(view.domain) or ats,
                                           rules)
    if not company:
        return []
    contact_name, contact_email = _contact(view, haystack, ats, rules, company)
    local = view.sent_at.astimezone(zone).date() if view.sent_at else None
    moment = evidence.moment
    confidence = 0.55 + 0.12 * min(evidence.score, 3.0)
    confidence += 0.05 if how == "text" else -0.1
    confidence += 0.03 if role else -0.05
    sender = f"{view.from_name} <{view.from_addr}>" if view.from_name else view.from_addr
    signals = list(evidence.signals)
    if moment is not None:
        signals.append(f"time from {moment.text}" if moment.zoned else
                       f"time from {moment.text}, no zone stated: read in {zone.key}")
    why = one_line(f"{'forwarded, ' if view.forwarded else ''}from "
                   f"{sender or 'an unknown sender'}{f' ({ats})' if ats else ''}; "
                   + "; ".join(signals) + f"; company from the {how}", 600, "why")
    return [Finding(
        kind=kind, company=company, role=role, on=local, source=ats or "email",
        confidence=round(max(0.05, min(confidence, 0.99)), 2), why=why,
        url=_job_url(view, haystack), contact_name=contact_name, contact_email=contact_email,
        interview_at=moment.at if moment is not None else None, message_id=view.message_id,
        subject=view.subject[:200],
    )]


# --- company and role ------------------------------------------------------------------

_GENDER = re.compile(r"\s*\((?:m|w|f|d|x|h|div|all genders|gn\*?)(?:\s*/\s*(?:m|w|f|d|x|h|"
                     r"div))*\)\s*|\s*\b[mwfdx]/[mwfdx]/[mwfdx]\b", re.IGNORECASE)
_TAIL = re.compile(r"\s+(?:for|as|regarding|about|via|through|on|in the|and we|and our|we|"
                   r"who|which|where|has|have|is|are|was|were|will|und|pour|para|y|et|über|a|est|ont|"
                   r"ha|es|hat|ist|sind|angekommen|eingegangen|eingetroffen|"
                   r"para el|–|-|—|\||·)"
                   r"(?:\s|$).*$", re.IGNORECASE)
_NOT_COMPANY = frozenset({"us", "our team", "uns", "nous", "nosotros", "our company",
                          "this time", "this point", "the moment", "present", "you", "dir",
                          "ihnen", "vous", "ti", "the team", "the company"})
_ROLE_LEAD = re.compile(r"^(?:(?:the|a|an|our|unsere?|le|la|el)\s+)?(?:(?:position|role|job|"
                        r"stelle|poste|puesto)\s+(?:of\s+|als\s+|de\s+)?)?", re.IGNORECASE)
_ROLE_IDS = re.compile(r"\s*\((?:job|req|requisition|ref|id)\b[^)]*\)|\s*\(?\b[A-Z]{0,4}-?\d{4,}"
                       r"\)?\s*$", re.IGNORECASE)


def _clean_company(raw: str, rules: Rules) -> str:
    text = " ".join(raw.split(";")[0].split()).strip(" \"'“”‘’«»:;,.!?()[]")
    text = re.sub(r"^(?:the|der|die|das|la|le|el|los|las)\s+", "", text, flags=re.I)
    text = _TAIL.sub("", text)
    text = re.sub(r"'s$|’s$", "", text).strip(" \"'“”‘’«»:;,.!?")
    if not text or text.lower() in rules.ats_names or len(text) < 2:
        return ""
    words = text.lower().split()
    if text.lower() in _NOT_COMPANY or words[0] in _NOT_COMPANY or \
            words[0] in _NOT_COMPANY_START or words[-1] in _ROLE_WORDS or \
            text[:1].isdigit():
        return ""  # "our Founding Engineer role", "2:00 PM Eastern", "puesto de …"
    return one_line(text, MAX_VALUE, "company")


_NOT_COMPANY_START = frozenset({
    "our", "your", "my", "we", "i", "a", "an", "this", "that", "these", "it", "they",
    "he", "she", "everyone", "good", "great", "hi", "hello", "dear", "thanks", "thank",
    "unfortunately", "sadly", "please", "ihre", "ihr", "deine", "dein", "unsere", "wir",
    "sie", "votre", "notre", "nous", "tu", "su", "nuestro", "nuestra", "puesto", "poste",
    "position", "role", "stelle", "hiring", "recruiter", "recruiting", "interview",
    "application", "candidature", "candidatura", "bewerbung", "client", "customer",
    "kunde", "kunden", "cliente", "le", "la", "el", "der", "die", "das", "leider",
    "gerne", "gern", "bitte", "ich", "es", "je", "nos", "por", "lamentablemente",
    "malheureusement", "today", "tomorrow", "next", "heute", "morgen", "yes", "no", "so",
    "also", "however", "after", "nach", "après", "después", "sorry", "update", "news",
    "feedback", "there", "here", "which", "what", "who", "when", "someone", "somebody",
    "everybody", "team", "company", "firm", "agency", "ce", "cette", "il", "elle", "on",
    "er", "wer", "eso", "esta", "este", "ella", "él", "ellos", "hier", "voici", "voilà",
    "aquí", "anbei", "attached", "below", "above", "everything", "nothing", "all", "alles",
    "tout", "todo", "mein", "meine", "mon", "ma", "mi", "dies", "diese",
    "vacante", "vacancy", "oferta", "offre", "plaza", "empleo", "trabajo", "job", "equipo",
    "équipe", "los", "las", "un", "una", "une", "ein", "eine"})
_ROLE_WORDS = frozenset({"role", "position", "job", "opening", "vacancy", "post",
                         "stelle", "poste", "puesto", "team", "interview"})


_GENERIC_ROLE = re.compile(
    r"^(?:(?:an? )?(?:update|news|decision) (?:on|about|regarding) )?(?:your|ihre|deine|dein|"
    r"votre|ta|tu|su) (?:application|candidacy|bewerbung|candidature|candidatura|solicitud|"
    r"interview|profile|cv)$", re.IGNORECASE)


def _clean_role(raw: str) -> str:
    text = _GENDER.sub(" ", " ".join(raw.split())).strip()
    if _GENERIC_ROLE.match(text):
        return ""
    text = _ROLE_LEAD.sub("", text)
    text = re.sub(r"\s+(?:position|role|job|opening|stelle|poste|puesto)$", "", text,
                  flags=re.I)
    text = _ROLE_IDS.sub("", text)
    text = re.sub(r"\s+(?:at|for) (?:this|the) (?:time|point|stage|moment)$", "", text,
                  flags=re.I)
    text = re.sub(r"\s+(?:has|have|was|were|is|will|a été|wurde|ha sido)\s.*$", "", text,
                  flags=re.I)
    text = re.sub(r"^(?:interview|application|bewerbung|candidature|vacancy|vacante) "
                  r"(?:for|als|pour|of|de) ", "", text, flags=re.I)
    text = re.sub(r"\s+(?:(?:and|und|et|y|ist|wurde|landed|entschieden|erteilen)\b|"
                  r"[-–]\s+(?:your|outcome|update|status)\b).*$|\s+(?:vacancy|position)$", "",
                  text, flags=re.I)
    text = _ROLE_TAIL.sub("", text).strip(" \"'“”‘’«»:;,.!?-–")
    if len(text) < 2 or text.lower() in ("position", "role", "job", "opening", "stelle",
                                         "the", "a", "an", "this", "it", "us"):
        return ""
    words = text.split()
    if len(words) > 8 or re.search(r"[.!?;:]\s|[!?]", text) or \
            words[0].lower() in _NOT_ROLE_START:
        return ""  # a sentence, a greeting or a sign-off, not a job title
    return one_line(text, MAX_VALUE, "role")


# What follows a title in subjects and board listings: the place, the contract, remote.
_ROLE_TAIL = re.compile(
    r"(?:\s+[-–|·]\s+(?:remote|hybrid|on-?site|full[- ]time|part[- ]time|contract|"
    r"internship|cdi|cdd|stage|alternance|freelance|vollzeit|teilzeit|befristet|"
    r"unbefristet|[A-ZÀ-Ý][\w .'-]*,\s*[A-Z]{2}|(?:[A-ZÀ-Ý][\w'-]+)(?:,\s*[A-ZÀ-Ý][\w'-]+)?)"
    r"(?:\s*\((?:remote|hybrid|on-?site)\))?)+$|\s+\((?:remote|hybrid|on-?site)\)$")
_NOT_ROLE_START = frozenset({
    "we", "i", "you", "your", "our", "thank", "thanks", "all", "best", "kind", "hi",
    "hello", "dear", "nous", "je", "ta", "tu", "votre", "après", "wir", "ich", "ihre",
    "deine", "hemos", "te", "su", "nos", "unfortunately", "leider", "we've", "we're",
    "this", "it", "please", "weitergeleitet", "submitted", "received", "eingang", "about",
    "after", "could", "update", "merci", "un", "cheers", "sincerely", "regards", "mit",
    "viele", "beste", "freundliche", "cordialement", "saludos", "bien", "atentamente",
    "warm", "yours", "lg", "gruß", "grüße"})


def _company_and_role(view: MailView, haystack: str, ats: str,
                      rules: Rules) -> tuple[str, str, str]:
    company = role = ""
    how = ""
    folded = fold_case(haystack)
    for pattern, prefix in zip(rules.company, rules.company_prefixes or [""] * len(rules.company),
                               strict=True):
        if prefix and prefix not in folded:
            continue  # cannot match
        found = pattern.search(haystack)
        if not found:
            continue
        groups = found.groupdict()
        candidate = _clean_company(groups.get("company") or "", rules)
        if candidate:
            company, how = candidate, "text"
            if groups.get("role"):
                role = _clean_role(groups["role"])
            break
    if not company:
        company = _company_from_sender(view, ats, rules)
        how = "sender's name" if company else ""
    if not company and not ats:
        company = _company_from_signature(view, haystack, rules)
        how = "signature" if company else ""
    if not company and not ats and view.domain and view.domain not in rules.freemail:
        company = _company_from_domain(view.domain, rules)
        how = "sender's domain" if company else ""
        if company:
            # The name as the mail spells it ("Arena Digital S.A." for arenadigital.es).
            spelt = _spelt_in_text(company, haystack, rules)
            company, how = (spelt, "sender's domain, as the mail spells it") if spelt \
                else (company, how)
    if not role and company and ats:
        # Job boards list the job as a title line above a "Company · Place" line.
        above = re.search(rf"^([^\n]{{2,120}})\n{re.escape(company)}\s*(?:·|-|–|,)",
                          haystack, re.MULTILINE)
        if above:
            role = _clean_role(above.group(1))
    if not role:
        for pattern, prefix in zip(rules.role, rules.role_prefixes or [""] * len(rules.role),
                                   strict=True):
            if prefix and prefix not in folded:
                continue  # cannot match
            for found in pattern.finditer(haystack):
                role = _clean_role(found.group("role") or "")
                if role:
                    break
            if role:
                break
    if role and company and role.lower().endswith(" at " + company.lower()):
        role = role[: -len(company) - 4].strip()
    if role.lower() == company.lower():
        role = ""
    return company, role, how


def _company_from_sender(view: MailView, ats: str, rules: Rules) -> str:
    name = view.from_name
    if not name or "@" in name:
        return ""
    lowered = name.lower()
    for ats_name in rules.ats_names:
        lowered = re.sub(rf"\b(?:via|@|at|by|on)?\s*{re.escape(ats_name)}\b", " ", lowered)
    for noise in rules.name_noise:
        lowered = re.sub(rf"(?<!\w){re.escape(noise)}(?!\w)", " ", lowered)
    lowered = re.sub(r"\b(?:at|bei|chez|en|de|@|from)\s*$|^\s*(?:at|bei|chez|en|de|@|from)\b",
                     " ", lowered.strip(" -|,:"))
    words = lowered.split()
    if not words:
        return ""
    # Keep the sender's own spelling of the words that remain.
    kept = [w for w in name.split() if w.lower().strip("-|,:@") in words]
    company = " ".join(kept) if kept else " ".join(words)
    if not ats and _looks_like_person(name, view.from_addr):
        return ""
    return _clean_company(company, rules)


def _company_from_signature(view: MailView, haystack: str, rules: Rules) -> str:
    """A person's mail: the line under their name in the signature ("Recruiter, Acme")
    when it agrees with their mail domain."""
    if not view.from_name or not _looks_like_person(view.from_name, view.from_addr):
        return ""
    label = _company_from_domain(view.domain, rules).lower().replace(" ", "")
    if not label:
        return ""
    lines = haystack.split("\n")
    for at, line in enumerate(lines[:-1]):
        if line.strip().lower() != view.from_name.lower():
            continue
        below = lines[at + 1]
        parts = [p for p in view.domain.split(".")[-2].split("-") if len(p) > 1]
        for piece in reversed(re.split(r",| at | bei | chez | en | \| ", below)):
            candidate = _clean_company(piece, rules)
            squashed = re.sub(r"[^a-z0-9]", "", candidate.lower())
            if candidate and (squashed.startswith(label) or label.startswith(squashed) or
                              (len(parts) > 1 and all(p in squashed for p in parts))):
                return candidate
    return ""


def _looks_like_person(name: str, addr: str) -> bool:
    words = [w for w in re.split(r"[\s,]+", name.lower()) if w]
    local = addr.partition("@")[0].lower()
    if not 2 <= len(words) <= 4:
        return False
    return any(len(w) > 1 and w.strip(".") in local for w in words) or (all(
        w[:1].isalpha() for w in words) and local.startswith(words[0][:1]))


_NAME_RUN = re.compile(r"(?<![\w&])[A-ZÀ-Ý][\w&'’.-]*(?:[ \t]+(?:&[ \t]+)?[A-ZÀ-Ý][\w&'’.-]*){0,4}")


def _spelt_in_text(company: str, haystack: str, rules: Rules) -> str:
    """A run of capitalised words in the text that is `company` squashed (spacing, case,
    punctuation), optionally followed by a legal form: the mail's own spelling."""
    label = _squash(company)
    for found in _NAME_RUN.finditer(haystack):
        words = found.group(0).split()
        for end in range(len(words), 0, -1):
            squashed = _squash(" ".join(words[:end]))
            if squashed == label:
                tail = words[end:end + 1]
                name = " ".join(words[:end] + [t for t in tail if _LEGAL_FORM.fullmatch(t)])
                return _clean_company(name, rules)
    return ""


def _squash(text: str) -> str:
    """Lower-case letters and digits only, accents dropped ("Ingeniería" = "ingenieria")."""
    plain = unicodedata.normalize("NFKD", text.lower())
    return re.sub(r"[^a-z0-9]", "", plain)


_LEGAL_FORM = re.compile(r"(?:GmbH|AG|SE|KG|Inc\.?|Ltd\.?|LLC|LLP|PLC|SAS|SARL|S\.A\.?|"
                         r"S\.L\.?|SL|SA|BV|B\.V\.|NV|Oy|AB|AS)")


def _company_from_domain(domain: str, rules: Rules) -> str:
    labels = domain.split(".")
    if len(labels) < 2:
        return ""
    label = labels[-2]
    if label in ("co", "com", "ac", "gov", "org") and len(labels) >= 3:
        label = labels[-3]
    if label in ("mail", "email", "jobs", "careers", "example") or len(label) < 2:
        return ""
    return _clean_company(" ".join(p.capitalize() for p in label.split("-")), rules)


# --- contact and URL -------------------------------------------------------------------

_NOREPLY = re.compile(r"no-?reply|do-?not-?reply|notifications?|mailer|bounce|jobs-listings|"
                      r"careers?@|talent@|recruiting@|hr@|jobs@|info@", re.IGNORECASE)
_SIGNOFF = re.compile(
    r"^(?:best|kind|warm)?\s*(?:regards|wishes|cheers|thanks|thank you|sincerely|best)[,!.]?\s*\n"
    r"(?P<name>[A-ZÀ-Ý][\w'’-]+(?: [A-ZÀ-Ý][\w'’-]+){1,2})\s*$|"
    r"^(?:mit freundlichen grüßen|viele grüße|beste grüße|cordialement|bien à vous|"
    r"saludos(?: cordiales)?|un saludo)[,!.]?\s*\n"
    r"(?P<name2>[A-ZÀ-Ý][\w'’-]+(?: [A-ZÀ-Ý][\w'’-]+){1,2})\s*$",
    re.IGNORECASE | re.MULTILINE,
)


def _contact(view: MailView, haystack: str, ats: str, rules: Rules,
             company: str) -> tuple[str, str]:
    if not ats and view.from_addr and not _NOREPLY.search(view.from_addr) and \
            view.domain not in rules.freemail and \
            _looks_like_person(view.from_name, view.from_addr) and \
            _person_name(view.from_name, rules, company):
        return one_line(view.from_name, MAX_VALUE, "contact"), view.from_addr
    found = _SIGNOFF.search(haystack)
    if found:
        name = found.group("name") or found.group("name2") or ""
        if _person_name(name, rules, company):
            email = view.reply_to if view.reply_to and not _NOREPLY.search(view.reply_to) \
                and not rules.ats_of(view.reply_to.rpartition("@")[2]) else ""
            return one_line(name, MAX_VALUE, "contact"), email
    return "", ""


def _person_name(name: str, rules: Rules, company: str) -> bool:
    """Not a team ("The Acme Recruiting Team", "Ihre Personalabteilung") nor the company."""
    lowered = name.lower()
    words = set(re.split(r"[\s'’]+", lowered))
    if not name or words & _NOT_PERSON or lowered in company.lower():
        return False
    return not any(n in lowered for n in rules.name_noise if len(n) > 3)


_NOT_PERSON = frozenset({"the", "your", "ihre", "ihr", "dein", "deine", "l", "la", "le",
                         "el", "equipo", "équipe", "team", "hr", "people", "our", "unser",
                         "unsere", "votre", "tu", "su"})
_URL = re.compile(r"https?://[^\s<>\"')\]]+", re.IGNORECASE)
_JOB_URL = re.compile(
    r"boards\.greenhouse\.io/[^/\s]+/jobs/\d+|job-boards\.greenhouse\.io/[^/\s]+/jobs/\d+|"
    r"jobs\.lever\.co/[^/\s]+/[0-9a-f-]{8,}|myworkdayjobs\.com/.+/job/|"
    r"jobs\.ashbyhq\.com/[^/\s]+/[0-9a-f-]{8,}|jobs\.smartrecruiters\.com/[^/\s]+/\d+|"
    r"apply\.workable\.com/[^/\s]+/j/[0-9A-F]+|linkedin\.com/(?:comm/)?jobs/view/\d+|"
    r"indeed\.com/(?:viewjob|rc/clk)\?jk=|jobs\.personio\.(?:de|com)/job/\d+|"
    r"\.teamtailor\.com/jobs/\d+|\.recruitee\.com/o/[\w-]+|\.bamboohr\.com/careers/\d+|"
    r"/careers?/(?:jobs?/)?[\w-]*\d+|/jobs?/[\w-]*\d{3,}",
    re.IGNORECASE,
)


def _job_url(view: MailView, haystack: str) -> str:
    from urllib.parse import parse_qsl, unquote, urlsplit

    candidates = [href for _, href in view.links] + _URL.findall(haystack)
    for url in candidates:
        url = url.strip().rstrip(".,;")
        if not url.lower().startswith(("http://", "https://")):
            continue
        # A tracking redirect carries the real address in a parameter: read it, never
        # follow the link.
        for _, value in parse_qsl(urlsplit(url).query):
            inner = unquote(value)
            if inner.lower().startswith(("http://", "https://")) and _JOB_URL.search(inner):
                url = inner
                break
        if _JOB_URL.search(url):
            return one_line(url, 500, "url")
    return ""


def recognise_bytes(raw: bytes, *, zone: ZoneInfo, rules: Rules | None = None,
                    outreach: bool = False) -> list[Finding]:
    """Headers first, the body only for a candidate: the whole pipeline for one message."""
    rules = rules or default_rules()
    view = view_headers(raw)
    if not is_candidate(view, rules) or not body_can_matter(view, rules):
        return []
    return recognise(with_body(view, raw, zone=zone), zone=zone, rules=rules,
                     outreach=outreach)
