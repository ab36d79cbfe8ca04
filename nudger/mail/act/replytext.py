"""The reply's own lines: what the user typed, without the quoted message or a signature.

Pure: a parsed `EmailMessage` in, text out. Handles the shapes phone and desktop clients
send:

- plain text, top- or bottom-posted: `>` quoted lines and the "On … wrote:" line (wrapped
  over two lines, or in a few languages) are dropped; a signature after `-- ` ends the
  reply; Outlook's unquoted original (`-----Original Message-----`, a `____` rule or a
  `From:`/`Sent:` block) ends it too;
- HTML only (Gmail `div.gmail_quote`, Apple Mail `blockquote type=cite`, Outlook
  `#divRplyFwdMsg` / `#appendonsend` and everything after): the quoted parts are skipped
  while the HTML is turned into lines;
- any charset the message declares (an unknown one is read as Latin-1, never a traceback).

Everything is capped: a body is decoded up to MAX_BODY_CHARS, so a huge message costs
bounded time.
"""

from __future__ import annotations

import re
from email.message import EmailMessage, Message
from html.parser import HTMLParser

from nudger.text import decode_part

MAX_BODY_CHARS = 1_000_000
MAX_PARTS = 50

_WROTE = re.compile(
    r"\b(wrote|schrieb|a écrit|escribió|scrisse|ha scritto|escreveu|schreef|skrev|napisał|"
    r"kirjoitti|napsal|написал|написала)\b.*:\s*$", re.IGNORECASE)
_WROTE_END = re.compile(r"\bwrote\s*:\s*$", re.IGNORECASE)
_WROTE_START = re.compile(r"^(On|Am|Le|El|Il|Op|Den|W dniu|Em|Dne|Il giorno)\s", re.IGNORECASE)
_ORIGINAL = re.compile(
    r"^\s*(-{2,}\s*(Original Message|Forwarded message|Ursprüngliche Nachricht|"
    r"Message d'origine)\s*-{2,}|_{10,})\s*$", re.IGNORECASE)
_HEADER_BLOCK = re.compile(r"^\s*\*?(From|De|Von)\s*:\*?\s", re.IGNORECASE)
# Whatever the client's language: dashes around a short phrase ("-----Mensaje original-----",
# "-----Messaggio originale-----", "----- Oorspronkelijk bericht -----") open the original.
_ANY_ORIGINAL = re.compile(r"^\s*-{3,}\s*[^\W\d_][^-]{1,58}?\s*-{3,}\s*$")
# ... and so does a block of mail header lines ("De: … / Enviado el: … / Para: … /
# Asunto: …", "Da: … / Inviato: … / A: … / Oggetto: …"): a label of letters (no digits,
# at most three words) and a colon, three lines running.
_LABEL_LINE = re.compile(r"^\s*\*?[^\W\d_]+(?: [^\W\d_]+){0,2}\s?:\*?(?:\s|$)")
_HEADER_NEXT = re.compile(r"^\s*\*?(Sent|Date|Envoyé|Gesendet|To|Subject)\s*:", re.IGNORECASE)


def body_parts(msg: Message) -> tuple[str, str]:
    """(plain, html): the first text/plain and text/html parts that are not attachments,
    decoded, each capped."""
    plain: str | None = None
    html: str | None = None
    for count, part in enumerate(msg.walk()):
        if count >= MAX_PARTS:
            break
        if part.is_multipart():
            continue
        if (part.get("Content-Disposition") or "").strip().lower().startswith("attachment"):
            continue
        kind = part.get_content_type()
        if kind == "text/plain" and plain is None:
            plain = _body(part)
        elif kind == "text/html" and html is None:
            html = _body(part)
    return plain or "", html or ""


def _body(part: Message) -> str:
    """The part's text (nudger.text.decode_part), capped, without NUL."""
    return decode_part(part, MAX_BODY_CHARS * 4)[:MAX_BODY_CHARS].replace("\x00", "")


def own_lines(msg: EmailMessage | Message) -> list[str]:
    """The lines the user wrote in this message (stripped, blank lines kept out)."""
    plain, html = body_parts(msg)
    text = plain if plain.strip() else unquoted_text(html)
    return strip_quoted(text)


def all_text(msg: EmailMessage | Message) -> str:
    """Every text part, quoted parts included: where a token may be (a reply quotes the
    digest, which carries one)."""
    plain, html = body_parts(msg)
    return plain + "\n" + html


MAX_LINE_CHARS = 2000  # of one line: a command is at most 500; the rest is never read


def strip_quoted(text: str) -> list[str]:
    lines = [line[:MAX_LINE_CHARS] for line in
             text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    out: list[str] = []
    skip_next = False
    for index, raw in enumerate(lines):
        line = raw.replace("\u00a0", " ").rstrip()
        if skip_next:
            skip_next = False
            continue
        if line in ("--", "-- ") or line.rstrip() == "--":
            break  # a signature follows
        if _ORIGINAL.match(line) or _ANY_ORIGINAL.match(line):
            break
        if _LABEL_LINE.match(line) and sum(
                1 for n in lines[index + 1:index + 4] if _LABEL_LINE.match(n)) >= 2:
            break  # a quoted header block, in any language
        if _HEADER_BLOCK.match(line) and any(
                _HEADER_NEXT.match(n) for n in lines[index + 1:index + 4]):
            break  # Outlook's "From: … Sent: …" block above the unquoted original
        stripped = line.strip()
        if stripped.startswith(">"):
            continue
        if _WROTE_END.search(stripped) or (_WROTE_START.match(stripped)
                                           and _WROTE.search(stripped)):
            continue
        if _WROTE_START.match(stripped) and index + 1 < len(lines) \
                and _WROTE.search(lines[index + 1].strip()):
            skip_next = True  # "On Mon, 30 Nov 2026 at 07:30, nudger\n<a@b> wrote:"
            continue
        if stripped:
            out.append(stripped)
    return out


_BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table",
          "ul", "ol", "pre", "hr", "blockquote", "section", "article"}
_QUOTE_CLASSES = ("gmail_quote", "gmail_signature", "moz-cite-prefix", "yahoo_quoted",
                  "protonmail_quote")
_CUT_IDS = ("divrplyfwdmsg", "x_divrplyfwdmsg", "appendonsend", "x_appendonsend",
            "mail-editor-reference-message-container")


_VOID = {"br", "hr", "img", "input", "meta", "link", "wbr", "col", "area", "base", "source"}
_HIDDEN_STYLE = re.compile(
    r"display:none|visibility:hidden|mso-hide:all|font-size:0(?:[a-z%]*|\.0*[a-z%]*)(?:;|$)|"
    r"(?:max-)?height:0(?:px)?(?:;|$).*overflow:hidden|opacity:0(?:\.0*)?(?:;|$)")


def _hidden(values: dict[str, str]) -> bool:
    if "hidden" in values or values.get("aria-hidden", "").lower() == "true":
        return True
    style = "".join(values.get("style", "").lower().split())
    return bool(style) and _HIDDEN_STYLE.search(style) is not None


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_tag: str | None = None
        self.skip_depth = 0
        self.hidden = 0  # inside <style>, <script>, <head>
        self.cut = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.cut:
            return
        values = {k.lower(): (v or "") for k, v in attrs}
        if self.skip_tag is not None:
            if tag == self.skip_tag:
                self.skip_depth += 1
            return
        if tag in ("style", "script", "head", "title"):
            self.hidden += 1
            return
        ident = values.get("id", "").lower()
        classes = values.get("class", "").lower()
        if ident in _CUT_IDS:
            self.cut = True
            return
        if tag == "hr" and "tabindex" in values:  # Outlook's rule above the original
            self.cut = True
            return
        if _hidden(values) and tag not in _VOID:
            # Text the reader never sees (display:none, font-size:0, ...) is no command.
            self.skip_tag, self.skip_depth = tag, 1
            return
        if tag == "blockquote" or any(c in classes for c in _QUOTE_CLASSES):
            if tag not in ("br", "hr", "img"):
                self.skip_tag, self.skip_depth = tag, 1
            return
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if self.cut:
            return
        if self.skip_tag is not None:
            if tag == self.skip_tag:
                self.skip_depth -= 1
                if self.skip_depth == 0:
                    self.skip_tag = None
            return
        if tag in ("style", "script", "head", "title"):
            self.hidden = max(0, self.hidden - 1)
            return
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self.cut or self.skip_tag is not None or self.hidden:
            return
        self.parts.append(data.replace("\n", " "))


MAX_HTML_CHARS = 256 * 1024  # of an HTML-only reply: a command reply is a few lines


def unquoted_text(html: str) -> str:
    """The visible, unquoted text of an HTML reply, one line per block (the quoted message
    skipped; for all the visible text of HTML, see nudger.mail.htmltext.html_to_text)."""
    from nudger.mail.htmltext import linear_html

    parser = _TextParser()
    try:
        parser.feed(linear_html(html[:MAX_HTML_CHARS]))
        parser.close()
    except (AssertionError, ValueError):  # very malformed markup: keep what was read
        pass
    return "".join(parser.parts)
