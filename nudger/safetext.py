"""Text that came from a server or from mail (a header, an SMTP or IMAP reply, a snippet)
made safe to store, log and show: one line, no control or bidirectional-override
characters, no lone surrogates, capped.

Mail is untrusted input: a Subject can carry CR/LF (header injection), ANSI escapes (the
terminal), U+202E (text that reads backwards), or megabytes. And servers answer in
whatever charset they like: a German server's `550 5.1.1 Empfänger unbekannt` arrives in
Latin-1, which aiosmtplib (like imaplib) decodes as UTF-8 with `surrogateescape`, leaving
lone surrogates that raise UnicodeEncodeError in SQLite, a log handler or the terminal.
Everything a server or a message says passes through `server_text` before it reaches a
header, the database, a log line, the terminal or a template (the HTML templates still
autoescape on top of this).
"""

from __future__ import annotations

import re
import unicodedata

# Bidirectional overrides/isolates and other invisible format characters that change how
# the rest of a line reads (Trojan Source, CVE-2021-42574), plus the BOM.
_INVISIBLE = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E,
                               0x200F, 0x061C, 0xFEFF, 0x200B, 0x2060)}
_SPACES = re.compile(r"\s+")


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


def decode_charset(data: bytes, charset: str | None) -> str:
    """Bytes a message says are in `charset`, as text; never raises, whatever the name
    (unknown, not a text encoding, a codec that refuses the "replace" handler)."""
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
        return data.decode(info.name, "replace")
    except Exception:  # a codec's own failure (UnicodeError, ...): any text will do
        return decode_bytes(data)


def _without_surrogates(text: str) -> str:
    """`text` with surrogate escapes (bytes a UTF-8 decoder could not read, U+DC80..
    U+DCFF) decoded again as bytes of another charset; any other lone surrogate becomes
    U+FFFD."""
    if not any(0xD800 <= ord(ch) <= 0xDFFF for ch in text):
        return text
    raw = "".join(ch if 0xDC80 <= ord(ch) <= 0xDCFF or not 0xD800 <= ord(ch) <= 0xDFFF
                  else "\ufffd" for ch in text)
    return decode_bytes(raw.encode("utf-8", "surrogateescape"))


def server_text(value: object, limit: int = 200) -> str:
    """`value` as one printable line of at most `limit` characters (an ellipsis marks a
    cut). Bytes are decoded by `decode_bytes`, surrogate escapes in a str likewise;
    control characters (CR, LF, NUL, ESC, tabs, C1) become spaces; invisible direction
    marks are dropped."""
    if isinstance(value, bytes | bytearray):
        text = decode_bytes(bytes(value[: limit * 8]))
    else:
        text = str(value)[: limit * 8]
        if text.isascii() and text.isprintable():
            # The common case (a plain ASCII subject): nothing to remove, spaces to tidy.
            if "  " in text or text[:1] == " " or text[-1:] == " ":
                text = " ".join(text.split())
            return text if len(text) <= limit else _cut(text, limit)
        text = _without_surrogates(text)
    out = []
    for ch in text:
        if ch in _INVISIBLE:
            continue
        category = unicodedata.category(ch)
        if category[0] == "C" or category in ("Zl", "Zp"):
            out.append(" ")
        else:
            out.append(ch)
    text = _SPACES.sub(" ", "".join(out)).strip()
    return text if len(text) <= limit else _cut(text, limit)


def _cut(text: str, limit: int) -> str:
    cut = text[: max(1, limit - 1)]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,;:") + "…"
