"""Text that came from a server or from mail (a header, an SMTP or IMAP reply, a snippet)
made safe to show: one line, no control or bidirectional-override characters, capped.

Mail is untrusted input: a Subject can carry CR/LF (header injection), ANSI escapes (the
terminal), U+202E (text that reads backwards), or megabytes. Everything a server or a
message says passes through `server_text` before it reaches a header, a log line, the
terminal or a template (the HTML templates still autoescape on top of this).
"""

from __future__ import annotations

import re
import unicodedata

# Bidirectional overrides/isolates and other invisible format characters that change how
# the rest of a line reads (Trojan Source, CVE-2021-42574), plus the BOM.
_INVISIBLE = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E,
                               0x200F, 0x061C, 0xFEFF, 0x200B, 0x2060)}
_SPACES = re.compile(r"\s+")


def server_text(value: object, limit: int = 200) -> str:
    """`value` as one printable line of at most `limit` characters (an ellipsis marks a
    cut). Bytes are decoded as UTF-8 with replacement; control characters (CR, LF, NUL,
    ESC, tabs, C1) become spaces; invisible direction marks are dropped."""
    if isinstance(value, bytes | bytearray):
        text = bytes(value).decode("utf-8", "replace")
    else:
        text = str(value)
    if len(text) > limit * 8:
        text = text[: limit * 8]
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
    if len(text) > limit:
        cut = text[: max(1, limit - 1)]
        space = cut.rfind(" ")
        text = (cut[:space] if space > limit // 2 else cut).rstrip(" ,;:") + "…"
    return text
