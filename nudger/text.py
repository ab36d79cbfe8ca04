"""Every text cleaner and decoder, with one notion of an unsafe character.

Mail, servers and the user's own data are untrusted text: a Subject can carry CR/LF (header
injection), ANSI escapes (the terminal), U+202E (text that reads backwards, CVE-2021-42574),
lone surrogates (an SMTP reply in Latin-1 decoded as UTF-8 with `surrogateescape`, which
raise UnicodeEncodeError in SQLite, a log handler or the terminal) or megabytes. Three kinds
of character are unsafe, the same everywhere:

- CONTROL: C0 (U+0000..U+001F), DEL, C1 (U+0080..U+009F) and the Unicode line and paragraph
  separators (U+2028, U+2029): they end a line or drive a terminal;
- BIDI: the bidirectional embeddings, overrides and isolates (U+202A..U+202E,
  U+2066..U+2069) and the implicit marks (U+200E, U+200F, U+061C): they change how the rest
  of a line reads;
- INVISIBLE: the zero-width space, the word joiner and the BOM (U+200B, U+2060, U+FEFF):
  they hide inside a word.

Other format characters (the zero-width joiner of an emoji sequence, a soft hyphen) are
text and stay.

The variants:

- `one_line(value, limit=None)`: one line for the database, a log line, an exception
  message, a template value: CONTROL becomes a space, BIDI and INVISIBLE go, whitespace
  collapses, a cut ends at a word with an ellipsis;
- `clean_header(value, limit=200)`: the same, capped, for a header;
- `multi_line(value)`: lines kept: every line break becomes LF, the other CONTROL
  characters but tab spaces (a calendar's text);
- `server_text(value, limit=200)`: the same for anything a server or a message says,
  bytes and surrogate escapes decoded first;
- `visible(text)` / `json_safe(text)` / `VisibleStream`: for a terminal, where lines are
  kept: CONTROL but newline and tab, and BIDI, are *shown* (`\\x1b`, `<U+202E>`), never
  executed;
- `decode_bytes`, `decode_charset`, `decode_transfer`, `decode_part`: bytes of mail as
  text, whatever charset or transfer encoding they name, never raising; `decode_words`: a
  header's RFC 2047 encoded words, never raising.

HTML → text is `nudger.mail.htmltext.html_to_text` (kept apart: every command imports this
module, and html.parser is not cheap). This module imports nothing but `re` at start.
"""

from __future__ import annotations

import re

# typing is not imported at run time (every command imports this module).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from email.message import Message
    from typing import TextIO

_CONTROL_CHARS = "\x00-\x1f\x7f-\x9f\u2028\u2029"
_BIDI_CHARS = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_INVISIBLE_CHARS = "\u200b\u2060\ufeff"

CONTROL = re.compile(f"[{_CONTROL_CHARS}]")
BIDI = re.compile(f"[{_BIDI_CHARS}]")
INVISIBLE = re.compile(f"[{_INVISIBLE_CHARS}]")
_GONE = re.compile(f"[{_BIDI_CHARS}{_INVISIBLE_CHARS}]")
# What a terminal must never receive raw: CONTROL but tab and newline, and BIDI.
_TERMINAL = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029{_BIDI_CHARS}]")
_NAMED = {"\r": "\\r", "\x0b": "\\v", "\x0c": "\\f"}


# --- one line ----------------------------------------------------------------------------

def one_line(value: object, limit: int | None = None, *, sep: str = " ") -> str:
    """`value` as one safe line: line breaks join the lines with `sep` (blank lines
    dropped), any other CONTROL character becomes a space, BIDI and INVISIBLE characters
    go, runs of whitespace collapse, lone surrogates are decoded again (or U+FFFD). With
    `limit`, at most that many characters, cut at a word with an ellipsis."""
    text = _without_surrogates(value if isinstance(value, str) else str(value))
    if not (text.isascii() and text.isprintable()):
        if sep != " ":
            text = sep.join(line for line in (" ".join(part.split()) for part in
                                              text.splitlines()) if line)
        text = CONTROL.sub(" ", _GONE.sub("", text))
    if "  " in text or text[:1].isspace() or text[-1:].isspace():
        text = " ".join(text.split())
    return text if limit is None or len(text) <= limit else cut(text, limit)


# Every line break a reader may honour (CRLF, CR, NEL, U+2028, U+2029), and the CONTROL
# characters left once they are LF: all but TAB and LF.
_BREAKS = re.compile("\r\n?|[\x85\u2028\u2029]")
_CONTROL_IN_LINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def multi_line(value: str) -> str:
    """`value` with its lines kept: every line break becomes LF, any other CONTROL
    character but tab a space (a calendar app breaks lines at NEL and U+2028, and refuses
    a file with VT or FF in it)."""
    return _CONTROL_IN_LINES.sub(" ", _BREAKS.sub("\n", value))


def clean_header(value: str, limit: int = 200) -> str:
    """One line fit for a header: `one_line` capped at `limit` (no CR, LF or other control
    character ever reaches a header; the `email` package encodes the rest)."""
    return one_line(value, limit)


def server_text(value: object, limit: int = 200) -> str:
    """What a server or a message says (str or bytes of any charset) as one printable line
    of at most `limit` characters: `one_line` after `decode_bytes`. Only the first
    `limit * 8` characters are read, so a megabyte reply costs nothing."""
    if isinstance(value, bytes | bytearray):
        text = decode_bytes(bytes(value[: limit * 8]))
    else:
        text = str(value)[: limit * 8]
    return one_line(text, limit)


def cut(text: str, limit: int) -> str:
    """`text` in at most `limit` characters: cut at a word when one ends in the second
    half, trailing punctuation dropped, an ellipsis added."""
    head = text[: max(1, limit - 1)]
    space = head.rfind(" ")
    return (head[:space] if space > limit // 2 else head).rstrip(" ,;:") + "…"


# --- the terminal -------------------------------------------------------------------------

def _show(match: re.Match[str]) -> str:
    ch = match.group()
    code = ord(ch)
    if ch in _NAMED:
        return _NAMED[ch]
    if code <= 0x9F:
        return f"\\x{code:02x}"
    return f"<U+{code:04X}>"


def visible(text: str) -> str:
    """`text` with every control and bidi-override character shown as an escape (`\\x1b`,
    `\\r`, `<U+202E>`); newline and tab stay. Cheap for ordinary text: one regex scan."""
    return _TERMINAL.sub(_show, text)


def json_safe(text: str) -> str:
    """JSON text (from json.dumps with ensure_ascii=False) with the characters json leaves
    raw but a terminal acts on (DEL, C1 controls, bidi controls) as `\\uXXXX` escapes,
    which JSON readers decode back to the same string."""
    return _TERMINAL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


class VisibleStream:
    """A text stream whose writes go through `visible` (the CLI's stderr: whatever a
    library logs there, a server's reply included, is shown safely). A plain wrapper, not
    an io class: being garbage-collected never closes the stream it wraps."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(visible(text))

    def write_own(self, text: str) -> int:
        """nudger's own terminal control (the progress bar's carriage returns), written as
        is: only text nudger made itself, never data, goes through here."""
        return self._stream.write(text)

    def flush(self) -> None:
        self._stream.flush()

    def close(self) -> None:
        self._stream.close()

    def fileno(self) -> int:
        return self._stream.fileno()

    def isatty(self) -> bool:
        return self._stream.isatty()

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


# --- decoding -------------------------------------------------------------------------------

def decode_bytes(data: bytes) -> str:
    """Bytes of an unknown charset as text: UTF-8 when they are UTF-8, else Windows-1252
    (Latin-1's printable characters and more), else Latin-1 (never fails)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


# Codecs Python knows but that are no charset of mail text: `idna` and `undefined` raise
# whatever the error handler, `punycode` ignores it. A part that names one is read as
# `decode_bytes` reads unknown bytes.
_NOT_MAIL_CHARSETS = frozenset({"idna", "punycode", "undefined", "unicode-escape",
                                "raw-unicode-escape", "palmos"})


_USUAL_LIES = frozenset({"utf-8", "ascii"})


def decode_charset(data: bytes, charset: str | None) -> str:
    """Bytes a message says are in `charset`, as text; never raises, whatever the name
    (unknown, not a text encoding, a codec that refuses the "replace" handler). Bytes that
    are not in the charset they name: UTF-8 or ASCII read as `decode_bytes` reads them
    (the usual lie is Windows-1252 text labelled so), any other charset with U+FFFD for
    what it cannot read."""
    import codecs

    name = (charset or "").strip().strip('"').lower()
    if not name:
        return decode_bytes(data)
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError, TypeError):
        return decode_bytes(data)
    if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_MAIL_CHARSETS:
        return decode_bytes(data)
    try:
        return data.decode(info.name)
    except UnicodeDecodeError:
        if info.name in _USUAL_LIES:
            # Latin-1 or Windows-1252 text labelled UTF-8 or ASCII (or not labelled: the
            # default): read as `decode_bytes` reads unknown bytes, not as U+FFFD.
            return decode_bytes(data)
    except Exception:  # a codec's own failure (UnicodeError, ...): any text will do
        return decode_bytes(data)
    try:
        return data.decode(info.name, "replace")
    except Exception:
        return decode_bytes(data)


def decode_transfer(raw: bytes, encoding: str, charset: str | None) -> str:
    """A part's body as fetched (`raw`, in Content-Transfer-Encoding `encoding`) as text:
    base64 (lenient: whitespace and a ragged end are ignored) or quoted-printable undone,
    then `decode_charset`."""
    data = raw
    encoding = encoding.strip().lower()
    if encoding == "base64":
        import base64
        import binascii

        compact = b"".join(raw.split())
        compact = compact[: len(compact) - len(compact) % 4]
        try:
            data = base64.b64decode(compact, validate=False)
        except (binascii.Error, ValueError):
            data = b""
    elif encoding == "quoted-printable":
        import quopri

        data = quopri.decodestring(raw)
    return decode_charset(data, charset)


def decode_part(part: Message, max_bytes: int | None = None) -> str:
    """A parsed message part's body as text (the `email` package undoes the transfer
    encoding; at most `max_bytes` of it are decoded), in the charset the part names, never
    raising (an unknown or broken charset reads as `decode_bytes` reads bytes; a
    Content-Type the package cannot take apart as UTF-8)."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    if max_bytes is not None:
        payload = payload[:max_bytes]
    try:
        charset = part.get_content_charset() or "utf-8"
    except Exception:  # a Content-Type the email package cannot take apart
        charset = "utf-8"
    return decode_charset(payload, charset)


def decode_words(value: str) -> str:
    """A header value with its RFC 2047 encoded words decoded; never raises: a malformed
    encoded word keeps the raw text, an unknown charset or undecodable bytes are read as
    `decode_charset` reads them. Not cleaned: `one_line` or `server_text` the result."""
    if "=?" not in value:
        return value
    from email.header import decode_header, make_header

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
        out.append(decode_charset(chunk, charset or "ascii"))
    return " ".join(part.strip() for part in out)


def _without_surrogates(text: str) -> str:
    """`text` with surrogate escapes (bytes a UTF-8 decoder could not read, U+DC80..
    U+DCFF) decoded again as bytes of another charset; any other lone surrogate becomes
    U+FFFD."""
    if text.isascii() or not any(0xD800 <= ord(ch) <= 0xDFFF for ch in text):
        return text
    raw = "".join(ch if 0xDC80 <= ord(ch) <= 0xDCFF or not 0xD800 <= ord(ch) <= 0xDFFF
                  else "\ufffd" for ch in text)
    return decode_bytes(raw.encode("utf-8", "surrogateescape"))
