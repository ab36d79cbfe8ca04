"""What a server says, made safe to store, log and print.

Servers (SMTP replies, IMAP responses, CalDAV errors) send bytes in whatever charset they
like: a German server's `550 5.1.1 Empfänger unbekannt` arrives in Latin-1, which
aiosmtplib (and imaplib) decode as UTF-8 with `surrogateescape`, leaving lone surrogates
that raise UnicodeEncodeError when SQLite, a log handler or the terminal encodes them.
`server_text` turns any of that into one line of printable text: UTF-8 when the bytes
are UTF-8, else Windows-1252 (a superset of Latin-1's printable characters), else
Latin-1; control characters, bidi overrides and other invisible format characters shown
as `\\x1b` / `\\u202e` escapes instead of being sent to a terminal; bounded in length.

Use it on every piece of server text before it reaches an exception message, the
database, a log line or the terminal (SMTP now: nudger.delivery; IMAP and CalDAV too).
"""

from __future__ import annotations

import unicodedata

LIMIT = 300  # characters kept of one server reply


def decode_bytes(data: bytes) -> str:
    """Bytes of an unknown charset as text: UTF-8 if valid, else cp1252, else Latin-1."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")  # every byte is a character: never fails


def _visible(ch: str) -> str:
    """A character as it may be printed: itself, or an escape when it is a control or
    format character (C0/C1 controls, DEL, bidi overrides and isolates, zero-width)."""
    category = unicodedata.category(ch)
    if category in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
        code = ord(ch)
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 \
            else f"\\U{code:08x}"
    return ch


def server_text(value: str | bytes | None, limit: int = LIMIT) -> str:
    """Any server text (bytes, or str that may hold surrogate escapes) as one line of
    printable text, at most `limit` characters (an ellipsis marks a cut)."""
    if value is None:
        return ""
    if isinstance(value, bytes | bytearray):
        text = decode_bytes(bytes(value))
    else:
        # Surrogate escapes stand for the bytes a UTF-8 decoder could not read: get the
        # bytes back and decode them again, charset by charset.
        try:
            value.encode("utf-8")
            text = value
        except UnicodeEncodeError:
            text = decode_bytes(value.encode("utf-8", "surrogateescape")
                                if _only_escapes(value) else
                                value.encode("utf-8", "backslashreplace"))
    # Line breaks and tabs become spaces (a multi-line reply is one line here); every
    # other invisible character becomes an escape.
    shown = "".join(_visible(ch) for ch in " ".join(text.split()))
    if len(shown) > limit:
        shown = shown[: max(limit - 1, 0)].rstrip() + "…"
    return shown


def _only_escapes(text: str) -> bool:
    """Every surrogate in `text` is a surrogateescape (U+DC80..U+DCFF), i.e. a byte."""
    return all(not 0xD800 <= ord(ch) <= 0xDFFF or 0xDC80 <= ord(ch) <= 0xDCFF for ch in text)
