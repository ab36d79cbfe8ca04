"""Template filters that are plain text functions, written for a digest's CPU: `mailto`
(an RFC 6068 link, percent-encoded through a byte table) and `wordwrap` (Jinja's, which
runs textwrap on every line, keeping a line that already fits as it is). Each gives, to
the character, what the library function it replaces gives (tests/digest/test_render.py
compares them on random input). The Jinja environment (digest/render.py) installs them."""

from __future__ import annotations

import functools

import jinja2


def mailto(to: str, subject: str = "", body: str = "") -> str:
    """An RFC 6068 `mailto:` URL: every reserved character percent-encoded, line breaks as
    %0D%0A, so that a mail client opens the draft exactly as written."""
    address = percent_encoded(to, safe="@")
    params = []
    if subject:
        params.append("subject=" + percent_encoded(_crlf(subject)))
    if body:
        params.append("body=" + percent_encoded(_crlf(body)))
    return f"mailto:{address}" + ("?" + "&".join(params) if params else "")


# What urllib.parse.quote never encodes.
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~")


@functools.lru_cache(maxsize=8)
def _percent_table(safe: bytes) -> tuple[str, ...]:
    return tuple(chr(b) if b in _UNRESERVED or b in safe else f"%{b:02X}" for b in range(256))


def percent_encoded(text: str, safe: str = "") -> str:
    """urllib.parse.quote(text, safe=safe), to the character, for an ASCII `safe`: each
    byte of the UTF-8 looked up in a table, rather than one Python call per byte (a
    digest's three mailto: links of a whole draft each were most of its values' CPU)."""
    return "".join(map(_percent_table(safe.encode("ascii")).__getitem__,
                       text.encode("utf-8")))


def _crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")


@jinja2.pass_environment
def wordwrap(environment: jinja2.Environment, s: str, width: int = 79,
             break_long_words: bool = True, wrapstring: str | None = None,
             break_on_hyphens: bool = True) -> str:
    """Jinja's `wordwrap`, to the character: each line wrapped by itself with
    textwrap.wrap, except that a line which already fits (1 to `width` characters, the
    last no whitespace) is kept as it is, which is what textwrap.wrap gives back for it
    (it drops only whitespace at the end of a line, and at the start of a line after the
    first), without its per-word machinery: most lines of a digest's drafts fit."""
    import textwrap

    if wrapstring is None:
        wrapstring = environment.newline_sequence
    return wrapstring.join([
        line if 0 < len(line) <= width and not line[-1].isspace() else
        wrapstring.join(textwrap.wrap(line, width=width, expand_tabs=False,
                                      replace_whitespace=False,
                                      break_long_words=break_long_words,
                                      break_on_hyphens=break_on_hyphens))
        for line in s.splitlines()])
