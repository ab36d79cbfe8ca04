"""The envelope a worker sends each message under (send/smtp.py, `envelope`) is the one
aiosmtplib's `send_message` takes from the headers itself: for every message nudger builds
(names and addresses of every shape: tests/send/test_message_direct.py), and for headers
set by hand (several recipients, Cc and Bcc, groups, non-ASCII); and with a Sender or
Resent- header, or a From that is not one address, it leaves the envelope to aiosmtplib."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtplib.email import extract_recipients, extract_sender

from nudger.send.message import DIGEST, POLICY, Parts, build_message
from nudger.send.smtp import envelope
from tests.send.test_message_direct import ADDRESSES, NAMES, zoned


def _aiosmtplibs(message: EmailMessage) -> tuple[str | None, list[str]]:
    return extract_sender(message), extract_recipients(message)


def test_the_envelope_of_every_message_nudger_builds_is_aiosmtplibs(tmp_path: Path) -> None:
    rng = random.Random(7)
    for n in range(200):
        sender = f"{rng.choice(['Bot', 'Nüdger', 'The Bot.', 'O Brien', ''])} " \
            f"<{rng.choice(ADDRESSES)}>"
        settings = zoned(tmp_path / str(n), "UTC", sender if n % 2 else None)
        to = Address(display_name=rng.choice(NAMES), addr_spec=rng.choice(ADDRESSES))
        message = build_message(settings, DIGEST, Parts("Subject", "text", "<p>html</p>"),
                                now=datetime(2026, 12, 7, tzinfo=UTC), message_id="<a@b>",
                                to=to)
        found = envelope(message)
        assert found is not None, message["From"]
        assert found == _aiosmtplibs(message), (message["From"], message["To"])


@pytest.mark.parametrize("headers", [
    [("From", "a@example.com"), ("To", "b@example.com, \"Lee, Dana\" <dana@example.org>")],
    [("From", "Zoë <zoe@example.com>"), ("To", "李雷 <li@example.cn>"), ("Cc", "c@x.io"),
     ("Bcc", "hidden@x.io")],
    [("From", "a@example.com"), ("To", "b@example.com"), ("Cc", "c@example.com"),
     ("Cc", "d@example.com")],
    [("From", "a@example.com"), ("To", "Team: x@example.com, y@example.com;")],
    [("From", "a@example.com"), ("To", "undisclosed-recipients:;"), ("Bcc", "z@x.io")],
    [("From", "a@example.com")],
])
def test_headers_set_by_hand_give_aiosmtplibs_envelope(
        headers: list[tuple[str, str]]) -> None:
    if len({name for name, _ in headers}) == len(headers):  # email refuses a second To
        message = EmailMessage(policy=POLICY)
        for name, value in headers:
            message[name] = value
        assert envelope(message) == _aiosmtplibs(message)
    raw = EmailMessage(policy=POLICY)  # as build_message (and a parser) stores values
    for name, value in headers:
        raw.set_raw(name, value)
    assert envelope(raw) == _aiosmtplibs(raw)


@pytest.mark.parametrize("headers", [
    [("From", "a@example.com"), ("Sender", "list@example.com"), ("To", "b@example.com")],
    [("From", "a@example.com"), ("To", "b@example.com"), ("Resent-Date",
                                                          "Mon, 07 Dec 2026 10:00:00 +0000"),
     ("Resent-From", "r@example.com"), ("Resent-To", "s@example.com")],
    [("From", "a@example.com, b@example.com"), ("To", "c@example.com")],
    [("To", "c@example.com")],
])
def test_other_envelopes_are_left_to_aiosmtplib(headers: list[tuple[str, str]]) -> None:
    message = EmailMessage(policy=POLICY)
    for name, value in headers:
        message[name] = value
    assert envelope(message) is None
