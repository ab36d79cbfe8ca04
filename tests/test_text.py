"""nudger.text: one notion of an unsafe character (CONTROL, BIDI, INVISIBLE) behind every
cleaner: the one-line, header-safe, server-text and terminal variants, and the decoders.
The call sites that had a cleaner of their own (the calendar's, command mail's, capture's,
the daemon log's, the SMTP transport's, the digest's header cleaner) now use these, and
the tests below hold each to what it did where that was the safe behaviour."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from zoneinfo import ZoneInfo

import pytest

from nudger.text import (
    BIDI,
    CONTROL,
    INVISIBLE,
    VisibleStream,
    clean_header,
    decode_part,
    decode_transfer,
    decode_words,
    json_safe,
    multi_line,
    one_line,
    server_text,
    visible,
)

C0 = [chr(c) for c in range(0x20)]
C1 = [chr(c) for c in range(0x80, 0xA0)]
SEPARATORS = ["\u2028", "\u2029"]
BIDI_CHARS = ["\u061c", "\u200e", "\u200f", *map(chr, range(0x202A, 0x202F)),
              *map(chr, range(0x2066, 0x206A))]
INVISIBLE_CHARS = ["\u200b", "\u2060", "\ufeff"]


def test_the_one_notion() -> None:
    for ch in [*C0, "\x7f", *C1, *SEPARATORS]:
        assert CONTROL.fullmatch(ch), repr(ch)
    for ch in BIDI_CHARS:
        assert BIDI.fullmatch(ch) and not CONTROL.match(ch), repr(ch)
    for ch in INVISIBLE_CHARS:
        assert INVISIBLE.fullmatch(ch), repr(ch)
    # Text, not control: letters, the emoji joiner, a soft hyphen, a non-breaking space.
    for ch in ["a", "é", "\u200d", "\u00ad", "\u00a0", "…", "\U0001f469"]:
        assert not (CONTROL.match(ch) or BIDI.match(ch) or INVISIBLE.match(ch)), repr(ch)


@pytest.mark.parametrize("clean", [one_line, clean_header, server_text])
def test_every_one_line_variant_treats_every_unsafe_character_alike(clean) -> None:  # type: ignore[no-untyped-def]
    for ch in [*C0, "\x7f", *C1, *SEPARATORS]:
        assert clean(f"a{ch}b") == "a b", repr(ch)
    for ch in [*BIDI_CHARS, *INVISIBLE_CHARS]:
        assert clean(f"a{ch}b") == "ab", repr(ch)
    assert clean("  several \t\n spaces  ") == "several spaces"


def test_emoji_sequences_and_soft_hyphens_survive_a_header() -> None:
    """The digest's old header cleaner turned every Unicode "C" category into a space, so
    a ZWJ emoji (👩‍💻) fell apart and a soft hyphen split a word."""
    assert clean_header("Dev \U0001f469\u200d\U0001f4bb at Zo\u00adë") == \
        "Dev \U0001f469\u200d\U0001f4bb at Zo\u00adë"


def test_limits_cut_at_a_word_with_an_ellipsis() -> None:
    assert one_line("word " * 50, 20) == "word word word…"
    assert clean_header("x" * 300) == "x" * 199 + "…"
    assert server_text(b"\xff" * 5000, 10).endswith("…")
    assert one_line("short", 20) == "short"


def test_surrogate_escapes_are_decoded_again() -> None:
    said = "550 Empf\udce4nger unbekannt"  # Latin-1 read as UTF-8 with surrogateescape
    for clean in (one_line, server_text, clean_header):
        assert clean(said) == "550 Empfänger unbekannt"
    assert one_line("\ud800x") == "\ufffdx"


def test_lines_join_with_a_separator() -> None:
    assert one_line("first\n\n  second \r\nthird\u2028fourth", sep="; ") == \
        "first; second; third; fourth"


def test_the_terminal_sees_escapes_never_controls() -> None:
    assert visible("a\x1b[31mb\rc\x9bd\u202ee\n\tf") == "a\\x1b[31mb\\rc\\x9bd<U+202E>e\n\tf"
    assert json_safe('"\u202e\x7f"') == '"\\u202e\\u007f"'
    out = io.StringIO()
    VisibleStream(out).write("\x1b]0;title\x07")
    assert out.getvalue() == "\\x1b]0;title\\x07"


def test_decoders_never_raise() -> None:
    assert decode_transfer(b"SGVsbG8g\nV29ybGQ=x", "base64", "utf-8") == "Hello World"
    assert decode_transfer(b"caf=C3=A9", "Quoted-Printable", None) == "café"
    assert decode_transfer(b"caf\xe9", "8bit", "x-unknown") == "café"
    assert decode_transfer(b"caf\xe9", "7bit", "idna") == "café"


def test_one_header_word_decoder_for_the_mailbox_and_capture() -> None:
    """The IMAP headers and capture's view had a decoder each; capture's kept a word in an
    unknown charset as written. One now: a malformed word stays as written, an unknown
    charset is read as unknown bytes are, and capture's line is that, cleaned."""
    from nudger.mail.capture.view import header_line

    assert decode_words("plain") == "plain"
    assert decode_words("=?utf-8?q?Caf=C3=A9?= M\u00fcller") == "Café Müller"
    assert decode_words("=?utf-8?b?A?= application") == "=?utf-8?b?A?= application"
    assert decode_words("=?x-unknown?q?Caf=E9?=") == "Café"
    assert header_line("=?x-unknown?q?Caf=E9?=") == "Café"
    assert header_line("=?utf-8?q?Acme=0D=0ABcc:_x@y?=") == "Acme Bcc: x@y"
    assert header_line(None) == ""


def part(raw: bytes) -> EmailMessage:
    msg = message_from_bytes(raw, policy=default)
    assert isinstance(msg, EmailMessage)
    return msg


def test_one_part_decoder_for_capture_and_command_mail() -> None:
    """Windows-1252 text labelled UTF-8 (the usual lie): capture read it as Windows-1252
    (tests/test_capture_files.py pins that), command mail's decoder as U+FFFD. One
    decoder now, the same reading for both; another charset that cannot read a byte
    marks only that byte."""
    from nudger.mail.act.replytext import body_parts
    from nudger.mail.capture.recognise import view_headers, with_body

    raw = (b"From: a@b.example\r\nSubject: x\r\nContent-Type: text/plain; charset=utf-8\r\n"
           b"Content-Transfer-Encoding: 8bit\r\n\r\nCaf\xe9 M\xfcller au lait\r\n")
    assert decode_part(part(raw)).strip() == "Café Müller au lait"
    assert body_parts(part(raw))[0].strip() == "Café Müller au lait"
    assert "Café Müller au lait" in with_body(view_headers(raw), raw).text
    assert decode_part(part(raw), max_bytes=4) == "Café"
    odd = raw.replace(b"charset=utf-8", b"charset=\"\xff;;\"")
    assert decode_part(part(odd)).strip() == "Café Müller au lait"
    assert decode_part(part(raw.replace(b"charset=utf-8", b"charset=shift_jis").replace(
        b"\xe9 M\xfc", b"\x82\xa0\xff"))).startswith("Cafあ\ufffd")
    utf8 = raw.replace(b"Caf\xe9 M\xfcller", "Café Müller".encode())
    assert decode_part(part(utf8)).strip() == "Café Müller au lait"


def test_calendar_values_drop_bidi_and_c1() -> None:
    """The calendar's own cleaner knew only C0 and DEL: a company name with U+202E or a
    C1 control reached the event's summary."""
    from nudger.calendar.ics import Interview, interview_event

    item = Interview(1, 1, "Acme\u202e moc.live\x85Corp", "AE\u2028Lead",
                     datetime(2026, 12, 1, 15, tzinfo=UTC), timedelta(hours=1))
    spec = interview_event(item, ZoneInfo("UTC"), "example.com", None)
    assert spec.summary == "Interview: Acme moc.live Corp (AE Lead)"


def test_the_calendar_keeps_lines_with_the_one_notion() -> None:
    """The calendar's TEXT cleaner had its own two regexes; it is `multi_line` now, which
    treats every character as they did: breaks (CRLF, CR, NEL, U+2028/2029) are LF, the
    other CONTROL characters but tab spaces, everything else kept."""
    import re

    from nudger.calendar.ics import ics_text

    old_breaks = re.compile("[\r\u2028\u2029\u0085]")
    old_control = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x84\x86-\x9f]")
    for ch in [*C0, "\x7f", *C1, *SEPARATORS, *BIDI_CHARS, *INVISIBLE_CHARS, "a", "\r\n"]:
        text = f"a{ch}b"
        old = old_control.sub(" ", old_breaks.sub("\n", text.replace("\r\n", "\n")))
        assert multi_line(text) == old == ics_text(text, lines=True), repr(ch)
        assert ics_text(text) == old.replace("\n", " "), repr(ch)
    assert multi_line("one\r\ntwo\rthree\x85four\u2028five\tsix\x0bseven") == \
        "one\ntwo\nthree\nfour\nfive\tsix seven"


def test_command_mail_subjects_are_stored_clean() -> None:
    """Command mail's own cleaner knew only C0 and DEL."""
    from nudger.mail.act.commands.parse import message_id_of

    msg = part(b"From: a@b.example\r\nMessage-ID: <\xe2\x80\xaeid@x.example>\r\n\r\nhi\r\n")
    assert message_id_of(msg) == "<id@x.example>"
