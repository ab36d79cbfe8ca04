"""The digest's EmailMessage: headers, Message-ID, encodings, line lengths."""

from __future__ import annotations

import re
from datetime import date
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest

from nudger.errors import ConfigError
from nudger.send.message import DIGEST, Parts, build_message, digest_message_id
from tests.clock import NOW
from tests.digest_helpers import make_settings


def _build(tmp_path: Path, subject: str = "1 follow-up today: Acme", text: str = "hello",
           html: str = "<p>hello</p>", **kw: str) -> EmailMessage:
    settings = make_settings(tmp_path, **kw)
    msg = build_message(settings, DIGEST, Parts(subject, text, html),
                        message_id=digest_message_id(settings, date(2026, 11, 24)), now=NOW)
    parsed = message_from_bytes(msg.as_bytes(), policy=default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_message_id_is_new_each_time_and_not_guessable(tmp_path: Path) -> None:
    """Random bytes, not a hash of recipient and date: the outbox stores the one it made
    when it recorded the day (resends carry that), and a forced resend gets another."""
    a = make_settings(tmp_path / "a")
    b = make_settings(tmp_path / "b", extra='\n[delivery]\nfrom = "Bot <bot@mail.example>"\n')
    day = date(2026, 11, 24)
    ids = {digest_message_id(a, day) for _ in range(50)}
    assert len(ids) == 50
    assert all(re.fullmatch(r"<nudger-digest\.2026-11-24\.[0-9a-f]{24}@example\.com>", i)
               for i in ids)
    assert digest_message_id(a, day) != digest_message_id(a, date(2026, 11, 25))
    assert digest_message_id(a, day).startswith("<nudger-digest.2026-11-24.")
    assert digest_message_id(a, day).endswith("@example.com>")  # the sender's domain
    assert digest_message_id(b, day).endswith("@mail.example>")


def test_headers(tmp_path: Path) -> None:
    msg = _build(tmp_path)
    assert msg["Date"].datetime == NOW
    assert str(msg["Date"]).endswith("-0600")  # in the configured zone (Chicago)
    assert msg["Auto-Submitted"] == "auto-generated"
    assert str(msg["From"]) == "nudger <alex@example.com>"
    assert str(msg["To"]) == "Alex Rivera <alex@example.com>"
    assert msg.get_content_type() == "multipart/alternative"
    plain, html = list(msg.iter_parts())
    assert plain.get_content_type() == "text/plain" and html.get_content_type() == "text/html"
    assert plain.get_content_charset() == "utf-8"


def test_non_ascii_display_names_are_encoded(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, name="Zoë Ångström",
                             extra='\n[delivery]\nfrom = "Nüdger Bot <bot@example.com>"\n')
    msg = build_message(settings, DIGEST, Parts("Café: 1 follow-up", "t", "h"),
                        message_id="<x@example.com>", now=NOW)
    raw = msg.as_bytes()
    head = raw.split(b"\n\n", 1)[0]
    head.decode("ascii")
    assert b"=?utf-8?" in head
    parsed = message_from_bytes(raw, policy=default)
    assert parsed["To"].addresses[0].display_name == "Zoë Ångström"
    assert parsed["From"].addresses[0].display_name == "Nüdger Bot"
    assert parsed["Subject"] == "Café: 1 follow-up"


def test_subject_and_names_cannot_inject_headers(tmp_path: Path) -> None:
    msg = _build(tmp_path, subject="x\r\nBcc: victim@example.com\n\nbody")
    assert msg["Bcc"] is None
    assert msg["Subject"] == "x Bcc: victim@example.com body"


def test_no_line_over_998(tmp_path: Path) -> None:
    long = "word " * 2000 + "\n" + "x" * 5000
    msg = _build(tmp_path, text=long, html=f"<p>{long}</p>")
    for line in msg.as_bytes().split(b"\n"):
        assert len(line) <= 998
    assert msg.get_body(("plain",)).get_content().startswith("word word")  # type: ignore[union-attr]


def test_bad_sender_is_a_config_error(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, extra='\n[delivery]\nfrom = "no address here"\n')
    with pytest.raises(ConfigError, match=r"delivery\.from"):
        build_message(settings, DIGEST, Parts("s", "t", "h"), message_id="<x@y>", now=NOW)
