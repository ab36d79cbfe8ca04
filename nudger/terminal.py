"""Text made safe for a terminal: what the data holds is shown, never executed.

A company name, a note, a server's reply can hold `ESC ] 0 ; … BEL` (retitles the
terminal), `ESC [ 31 m` (colours everything after it), a bare CR (overwrites the line) or
U+202E (reverses the rest of the line). Every line nudger prints goes through `visible`:
C0 and C1 control characters (except newline and tab) are shown as `\\x1b`, `\\r`, `\\x9b`,
and the bidirectional controls as `<U+202E>`. Cheap for ordinary text: one regex scan.
"""

from __future__ import annotations

import re

# typing is not imported at run time (every command imports this module).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TextIO

# C0 controls but tab and newline, DEL, C1 controls; the bidi embeddings, overrides and
# isolates, the implicit marks, the Arabic letter mark; line and paragraph separators.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e"
                     "\u2066-\u2069\u2028\u2029]")
_NAMED = {"\r": "\\r", "\x0b": "\\v", "\x0c": "\\f"}


def _show(match: re.Match[str]) -> str:
    ch = match.group()
    code = ord(ch)
    if ch in _NAMED:
        return _NAMED[ch]
    if code <= 0x9F:
        return f"\\x{code:02x}"
    return f"<U+{code:04X}>"


def visible(text: str) -> str:
    """`text` with every control and bidi-override character shown as an escape."""
    return _UNSAFE.sub(_show, text)


def json_safe(text: str) -> str:
    """JSON text (from json.dumps with ensure_ascii=False) with the characters json leaves
    raw but a terminal acts on (DEL, C1 controls, bidi controls) as `\\uXXXX` escapes,
    which JSON readers decode back to the same string."""
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


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
