"""HTML mail → plain text, safely: nothing is fetched or executed.

Uses the standard library's `html.parser` (no third-party HTML engine). Scripts, styles,
the head, templates and any element hidden from the reader (`hidden`, `display:none`,
`visibility:hidden`, zero font size or height — the usual "preheader" tricks) are dropped,
so text the user never sees cannot steer the recogniser. Links are kept as (text, href)
pairs because a job posting's URL is usually only in an href.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_DROP = frozenset({"script", "style", "head", "title", "template", "noscript", "svg",
                   "object", "iframe", "math"})
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                   "param", "source", "track", "wbr"})
_BLOCK = frozenset({"p", "div", "br", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4",
                    "h5", "h6", "blockquote", "section", "article", "header", "footer", "hr",
                    "td", "th", "dd", "dt", "pre", "address"})
_HIDDEN_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(?![.\d]*[1-9])|"
    r"max-height\s*:\s*0(?![.\d]*[1-9])|(?<![-\w])height\s*:\s*0(?:px)?\s*(?:;|$)|"
    r"opacity\s*:\s*0(?:\.0*)?\s*(?:;|$)",
    re.IGNORECASE,
)
MAX_LINKS = 200


class _Text(HTMLParser):
    def __init__(self, cap: int) -> None:
        super().__init__(convert_charrefs=True)
        self.cap = cap
        self.parts: list[str] = []
        self.size = 0
        self.links: list[tuple[str, str]] = []
        self._skip: list[str] = []  # open elements whose content is dropped
        self._href: str | None = None
        self._anchor: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skip:
            if tag == self._skip[-1] and tag not in _VOID:
                self._skip.append(tag)
            return
        values = {k.lower(): (v or "") for k, v in attrs}
        if tag in _DROP or "hidden" in values or _HIDDEN_STYLE.search(values.get("style", "")):
            if tag not in _VOID:
                self._skip.append(tag)
            return
        if tag in _BLOCK:
            self._add("\n")
        if tag == "a":
            self._href = values.get("href", "").strip()
            self._anchor = []

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self._skip and tag in _BLOCK:
            self._add("\n")

    def handle_endtag(self, tag: str) -> None:
        if self._skip:
            if tag == self._skip[-1]:
                self._skip.pop()
            return
        if tag in _BLOCK:
            self._add("\n")
        if tag == "a" and self._href is not None:
            if len(self.links) < MAX_LINKS and self._href:
                self.links.append((" ".join("".join(self._anchor).split())[:200],
                                   self._href[:2000]))
            self._href = None

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._href is not None:
            self._anchor.append(data)
        self._add(data)

    def _add(self, text: str) -> None:
        if self.size < self.cap:
            self.parts.append(text)
            self.size += len(text)


# A "<" that does not open a tag-like run up to the next ">" (nothing but "<a<a<a..." or a
# lone "<"): html.parser rescans the rest of the input at each one (100,000 of them took
# 12-20 s). Escaped first, in one linear pass (each lookahead stops at the next < or >).
_STRAY_LT = re.compile(r"<(?![A-Za-z/!?][^<>]*>)")


def linear_html(html: str) -> str:
    """`html` with every "<" that cannot open a tag escaped: what html.parser reads in
    time linear in its length."""
    return _STRAY_LT.sub("&lt;", html)


def html_to_text(html: str, cap: int = 20_000) -> tuple[str, list[tuple[str, str]]]:
    """The visible text (at most about `cap` characters, one line per block) and the links
    as (anchor text, href). Never raises on malformed HTML."""
    parser = _Text(cap)
    try:
        parser.feed(linear_html(html[: cap * 20]))
        parser.close()
    except (AssertionError, ValueError):
        # html.parser gives up on some pathological markup: keep the text read so far.
        parser.parts.append("\n")
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)[:cap], parser.links
