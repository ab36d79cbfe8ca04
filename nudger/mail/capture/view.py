"""The message as the recogniser sees it (`MailView`): the few header fields it reads, parsed
without the email package (`header_fields`, `view_headers`); the first text part and the
text/calendar part of a candidate, each capped before it is decoded (`with_body`); an inline
forward read as the forwarded mail (`unforwarded`) and the text the rules read, quoted
history cut off (`view_text`). Every value is one line as `nudger add` takes it
(`one_line`), header words decoded (`header_line`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import datetime
from email import policy
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses
from zoneinfo import ZoneInfo

from nudger.mail.capture.interview_time import CALENDAR_CAP, Invite, read_invite
from nudger.mail.htmltext import html_to_text
from nudger.mail.imap.headers import mail_date
from nudger.text import decode_part as _decode_part
from nudger.text import decode_words
from nudger.text import one_line as clean_line
from nudger.vocab import text_problem

MAX_VALUE = 200          # characters kept of a company, role, name, URL…
BODY_CAP = 20_000        # characters of body text the rules look at
PART_CAP = 512 * 1024    # bytes: a text part larger than this (encoded) is not decoded
MAX_RULE_LINE = 1000     # characters of one body line the rules look at


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


def header_line(raw: str | None) -> str:
    """A header value as one line: its RFC 2047 encoded words decoded (`decode_words`; a
    malformed one kept as written), then `nudger.text.one_line`."""
    return clean_line(decode_words(raw)) if raw else ""


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


def header_fields(raw: bytes) -> dict[str, str]:
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



def view_headers(raw_headers: bytes | Message | dict[str, str]) -> MailView:
    if isinstance(raw_headers, dict):
        fields = raw_headers
    elif isinstance(raw_headers, Message):
        fields = {k.lower(): str(v) for k, v in raw_headers.items() if k.lower() in _WANTED}
    else:
        fields = header_fields(split_headers(raw_headers))
    name, addr = first_address(fields.get("from"))
    _, reply_addr = first_address(fields.get("reply-to"))
    # None: no date, or one outside the supported range (mail_date says which).
    sent_at = mail_date(fields.get("date"))
    precedence = fields.get("precedence", "").strip().lower()
    return MailView(
        message_id=one_line(fields.get("message-id", ""), 300),
        sent_at=sent_at,
        from_name=one_line(name, MAX_VALUE),
        from_addr=one_line(addr.lower(), MAX_VALUE),
        reply_to=one_line(reply_addr.lower(), MAX_VALUE),
        subject=one_line(header_line(fields.get("subject")), 500),
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


def first_address_only(raw: str | None) -> str:
    """`first_address(raw)[1]`, without decoding the display name of a plain address."""
    if not raw:
        return ""
    raw = raw[:MAX_ADDRESS_FIELD]
    plain = _PLAIN_ADDRESS.fullmatch(raw) if len(raw) <= MAX_PLAIN else None
    if plain:
        return plain.group(4) or plain.group(3)
    return first_address(raw)[1]


def first_address(raw: str | None) -> tuple[str, str]:
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
        return header_line(plain.group(1) or plain.group(2) or ""), plain.group(3)
    try:
        pairs = getaddresses([raw])
    except (ValueError, TypeError, IndexError):
        return "", ""
    for name, addr in pairs:
        if "@" in addr:
            return header_line(name).strip().strip('"'), addr.strip()
    return "", ""



def with_body(view: MailView, raw: bytes | Message, cap: int = BODY_CAP,
              zone: ZoneInfo | None = None) -> MailView:
    """The view with the first text part of the message read (capped), and its
    text/calendar part when it has one (a DTSTART without a zone read in `zone`)."""
    try:
        msg = raw if isinstance(raw, Message) else (single_part(raw) or _PARSER.parsebytes(raw))
        text, links, note, calendar = _first_text(msg, cap)
    except (ValueError, LookupError, TypeError, AssertionError, IndexError) as exc:
        return replace(view, body_note=f"body not readable ({type(exc).__name__})")
    invite = read_invite(calendar, zone or ZoneInfo("UTC")) if calendar else None
    return replace(view, text=text, links=tuple(links), body_note=note, invite=invite)


# A header line as the email package's parser takes one (a name and a colon, or a folded
# continuation); the three fields `_first_text` reads of a one-part message.
_HEADER_LINE = re.compile(rb"[\x21-\x39\x3b-\x7e]+:|[ \t]")
_PART_FIELDS = re.compile(rb"^(content-type|content-transfer-encoding|content-disposition)"
                          rb"[ \t]*:[ \t]*([^\n]*)\n(?![ \t])", re.IGNORECASE | re.MULTILINE)
_SPLITS_LINES = re.compile(rb"[\r\x0b\x0c\x1c-\x1e]")


def single_part(raw: bytes) -> Message | None:
    """The message as the email package's parser (compat32) reads it, for what
    `_first_text` asks of it, when it is one text part with a plain header block: its
    Content-Type, Content-Transfer-Encoding and Content-Disposition and its payload, without
    running the parser over every line (most job mail is one part). None whenever the
    parser could read it differently: multipart or message/* types, a folded or repeated
    field of those three, a header block with CR, non-ASCII or a line that is no header, an
    mbox "From " line. tests/mail/capture/test_capture_prefilter.py holds it to the parser."""
    end = raw.find(b"\n\n")
    if end <= 0 or raw.startswith(b"From ") or raw[:1] in (b" ", b"\t"):
        return None
    block = raw[:end + 1]
    if not block.isascii() or _SPLITS_LINES.search(block):
        return None
    for line in block[:-1].split(b"\n"):
        if not _HEADER_LINE.match(line):
            return None
    fields: dict[str, str] = {}
    for name, value in _PART_FIELDS.findall(block):
        key = name.decode().lower()
        if key in fields:
            return None  # repeated: leave it to the parser
        fields[key] = value.decode()
    if len(fields) != len({m.group(1).lower() for m in _FIELD_NAMES.finditer(block)}):
        return None  # one of the three is folded: leave it to the parser
    msg = Message()
    for key, value in fields.items():
        msg[key] = value
    if msg.get_content_maintype() in ("multipart", "message"):
        return None
    msg.set_payload(raw[end + 2:].decode("ascii", "surrogateescape"))
    return msg


_FIELD_NAMES = re.compile(rb"^(content-type|content-transfer-encoding|content-disposition)"
                          rb"[ \t]*:", re.IGNORECASE | re.MULTILINE)


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




_FORWARD_SUBJECT = re.compile(r"^\s*(?:fwd?|wg|tr|rv|enc|i)\s*:\s*", re.IGNORECASE)
_FORWARD_MARK = re.compile(
    r"^[ \t>]*-{2,}\s*(?:forwarded message|weitergeleitete nachricht|message transféré|"
    r"mensaje reenviado|original message|ursprüngliche nachricht|message d.origine|"
    r"mensaje original)\s*-{2,}[ \t]*$|^[ \t]*begin forwarded message:[ \t]*$",
    re.IGNORECASE | re.MULTILINE)
_FORWARD_FIELD = re.compile(r"^[ \t>*]*(from|von|de|subject|betreff|objet|asunto|date|datum|"
                            r"sent|gesendet|envoyé|enviado|fecha|to|an|à|para|cc)\s*:\s*(.*)$",
                            re.IGNORECASE)


def unforwarded(view: MailView) -> MailView:
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
    from_name, from_addr = first_address(sender.strip())
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
    r"mensaje original)\s*-{2,}|_{10,}|"
    # Outlook's header block: "From: …" then "Sent: …" (De / Envoyé, Von / Gesendet, De /
    # Enviado), the quoted mail under it
    r"(?:from|de|von)[ \t]?:[ \t].{1,200}\n[ \t]*(?:sent|envoyé|gesendet|enviado(?: el)?|date|"
    r"datum|fecha)[ \t]?:.*)[ \t]*$", re.IGNORECASE | re.MULTILINE)


def own_text(raw: bytes) -> str:
    """Subject and own text of a message as the recogniser reads it (quoted history cut,
    an inline forward read as the forwarded mail): what the word model learns from."""
    view = unforwarded(with_body(view_headers(raw), raw))
    return view_text(view)


def view_text(view: MailView) -> str:
    text = view.text.replace("\r", "")
    if not view.forwarded and ("wrote" in text or "---" in text or "schrieb" in text or
                               "écrit" in text or "escribió" in text or "___" in text or
                               "From:" in text or "De :" in text or "De:" in text or
                               "Von:" in text):
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
