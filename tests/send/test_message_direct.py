"""send.message builds the message directly (raw one-line headers, the parts' headers
shared, its own quoted-printable, a boundary chosen at build time): these tests hold it to
the bytes the email package's own calls make (`reference` below: what build_message did
before, `msg[name] = value`, `set_content`, `add_alternative`), for ordinary and hostile
values, under both policies a message is written with (`as_bytes`: the default; the
relay: aiosmtplib's SMTP policy)."""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from email import message_from_bytes, quoprimime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP, default
from email.utils import format_datetime
from pathlib import Path

import pytest
from aiosmtplib.email import flatten_message

from nudger.config import Settings, parse_settings
from nudger.send import message as m
from nudger.send.message import (
    CONFIRMATION,
    DIGEST,
    DRAFT,
    TEST_EMAIL,
    MailKind,
    Parts,
    build_message,
    normalize_body,
    quoted_printable,
    recipient_address,
    sender_address,
)
from nudger.text import clean_header
from tests.digest_helpers import make_settings

BOUNDARY = re.compile(rb"===============\d{19}==")


def reference(settings: object, kind: MailKind, parts: Parts, *, now: datetime,
              message_id: str, sender: Address | str | None = None,
              to: Address | str | None = None, in_reply_to: str = "",
              references: Sequence[str] = ()) -> EmailMessage:
    """build_message as it was, through the email package's API."""
    msg = EmailMessage(policy=default)
    msg["From"] = sender if sender is not None else sender_address(settings)  # type: ignore[arg-type]
    msg["To"] = to if to is not None else recipient_address(settings)  # type: ignore[arg-type]
    msg["Subject"] = clean_header(parts.subject) or kind.fallback_subject
    msg["Date"] = format_datetime(now.astimezone(settings.zone))  # type: ignore[attr-defined]
    msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = " ".join(references) or in_reply_to
    for name, value in kind.headers:
        msg[name] = value
    msg.set_content(normalize_body(parts.text), subtype="plain", charset="utf-8",
                    cte="quoted-printable")
    if parts.html is not None:
        msg.add_alternative(normalize_body(parts.html), subtype="html", charset="utf-8",
                            cte="quoted-printable")
    return msg


def same_bytes(new: EmailMessage, old: EmailMessage) -> None:
    """Byte for byte, the random boundary aside, as_bytes and as the relay sends them."""
    for write in (lambda x: x.as_bytes(), lambda x: flatten_message(x),
                  lambda x: x.as_bytes(policy=SMTP)):
        a, b = write(new), write(old)
        assert BOUNDARY.sub(b"B", a) == BOUNDARY.sub(b"B", b), (a[:800], b[:800])


def zoned(folder: Path, zone: str, sender: str | None) -> Settings:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.toml"
    path.write_text(f'timezone = "{zone}"\n'
                    + (f'[delivery]\nfrom = "{sender}"\n' if sender else "")
                    + '[profile]\nname = "Alex Rivera"\nemail = "alex@example.com"\n',
                    encoding="utf-8")
    return parse_settings(path.read_text(encoding="utf-8"), path)


NAMES = ["Alex Rivera", "", "Zoë Ångström", "O'Brien", "Dana \"DJ\" Lee", "A. B. Smith",
         "x" * 90, "Jean-Luc Picard", "=?utf-8?q?x?=", "Student 1", "a,b", "李雷",
         "trailing ", "two  spaces"]
ADDRESSES = ["alex@example.com", "first.last+tag@sub.example.org", "a_b-c@x.io",
             "very.long.local.part.that.goes.on.and.on@a-rather-long-domain.example.com",
             "o'brien@example.ie", "x@localhost"]
SUBJECTS = ["3 follow-ups today: Acme, Globex, Initech", "", "Café: 1 follow-up",
            "x\r\nBcc: victim@example.com\n\nbody", "=?utf-8?q?Zo=C3=AB?= & Co <b>",
            "word " * 30, "a" * 75, "a" * 69, "a" * 70, "tab\there", "  lead and trail  ",
            "1 reply: Tailspin Toys; 2 follow-ups today: Contoso (Bern), Fabrikam"]
BODIES = ["hello", "", "Zoë\n", "line  \nend\t\n" * 3, "=" * 200, "x" * 75 + " \n",
          "x" * 74 + "\t", "x" * 76 + " ", "a=b " * 40, "\r\n\r\nCRLF\rCR\x00NUL",
          "-- \nsignature\n--===============1234567890123456789==\n", "é" * 100,
          "\x0b\x0c\x1c\x85 odd breaks\u2028\u2029", "<p style=\"a:b\">" * 30]


def messages() -> list[tuple[str, str, str, str, str | None]]:
    rng = random.Random(24)
    cases = []
    for n in range(300):
        html = rng.choice(BODIES) if n % 3 else None
        cases.append((rng.choice(NAMES), rng.choice(ADDRESSES), rng.choice(SUBJECTS),
                      rng.choice(BODIES), html))
    return cases


@pytest.mark.parametrize("zone", ["America/Chicago", "UTC", "Asia/Kolkata",
                                  "Pacific/Chatham"])
def test_the_bytes_are_the_email_packages(tmp_path: Path, zone: str) -> None:
    rng = random.Random(zone)
    base = datetime(2026, 3, 8, 7, 59, 58, 123456, tzinfo=UTC)
    for n, (name, addr, subject, text, html) in enumerate(messages()):
        sender = f"{rng.choice(['Bot', 'Nüdger', 'The Bot.', ''])} <{rng.choice(ADDRESSES)}>"
        settings = zoned(tmp_path / str(n), zone, sender if n % 2 else None)
        to = Address(display_name=name, addr_spec=addr)
        kind = rng.choice([DIGEST, CONFIRMATION, TEST_EMAIL, DRAFT])
        now = base + timedelta(hours=n * 7)
        msgid = rng.choice(["<x@example.com>", f"<nudger-digest.2026-11-24.{n:024x}@"
                            "uni.example.org>", "<" + "a" * 80 + "@example.com>",
                            "<a b@c>", "<id@[127.0.0.1]>"])
        irt = rng.choice(["", "<q@example.com>", "<" + "r" * 70 + "@example.com>"])
        refs = rng.choice([(), ("<a@b>", "<c@d>"), tuple(f"<{i}@x.example>" for i in range(9))])
        parts = Parts(subject, text, html if kind is DIGEST else None)
        args = dict(now=now, message_id=msgid, to=to, in_reply_to=irt, references=refs)
        same_bytes(build_message(settings, kind, parts, **args),  # type: ignore[arg-type]
                   reference(settings, kind, parts, **args))  # type: ignore[arg-type]


def test_header_values_read_back_as_header_objects(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    now = datetime(2026, 11, 24, 13, 30, tzinfo=UTC)
    msg = build_message(settings, DIGEST, Parts("s", "t", "h"), now=now,
                        message_id="<nudger-digest.2026-11-24.0123456789abcdef01234567@"
                        "example.com>")
    raw = {name for name, value in msg.raw_items() if type(value) is str}
    assert raw == {"From", "To", "Subject", "Date", "Message-ID", "Auto-Submitted",
                   "X-Auto-Response-Suppress"}  # the one-line path is the one tested
    assert msg["To"].addresses[0].display_name == "Alex Rivera"
    assert msg["From"].addresses[0].addr_spec == "alex@example.com"
    assert msg["Date"].datetime == now
    assert msg["Message-ID"] == "<nudger-digest.2026-11-24.0123456789abcdef01234567@example.com>"
    assert msg.get_content_type() == "multipart/alternative"
    assert msg["Content-Type"].params["boundary"].startswith("=" * 15)
    plain, html = msg.iter_parts()
    assert plain.get_content() == "t\n" and html.get_content_type() == "text/html"
    # What the workers do to a resend's Message-ID, and the invitation to a digest.
    del msg["Message-ID"]
    msg["Message-ID"] = "<other@example.com>"
    msg.make_mixed()
    msg.add_attachment(b"BEGIN:VCALENDAR\r\n", maintype="text", subtype="calendar",
                       filename="interview.ics", params={"method": "PUBLISH"})
    parsed = message_from_bytes(flatten_message(msg), policy=default)
    assert parsed["Message-ID"] == "<other@example.com>"
    assert [p.get_content_type() for p in parsed.walk()] == [
        "multipart/mixed", "multipart/alternative", "text/plain", "text/html",
        "text/calendar"]


def test_a_header_value_never_carries_a_line_break(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    now = datetime(2026, 11, 24, 13, 30, tzinfo=UTC)
    for bad in ("<x@y>\r\nBcc: v@example.com", "<x@y>\nX: 1"):
        with pytest.raises(ValueError):
            build_message(settings, DIGEST, Parts("s", "t", "h"), now=now, message_id=bad)
    with pytest.raises(ValueError):
        build_message(settings, DRAFT, Parts("s", "t"), now=now, message_id="<x@y>",
                      in_reply_to="<a@b>\r\nBcc: v@example.com")


def test_quoted_printable_is_quopris() -> None:
    rng = random.Random(5)
    alphabet = "ab =\t\r\n.é\x00\x7f\x80\xff~<>!" + "x" * 10
    texts = BODIES + ["".join(rng.choice(alphabet) for _ in range(rng.randrange(300)))
                      for _ in range(2000)]
    for text in texts:
        data = text.encode("utf-8").decode("latin-1")
        for width in (4, 76, 78):
            assert quoted_printable(data, width) == quoprimime.body_encode(data, width)
    with pytest.raises(ValueError):
        quoted_printable("x", 3)


def test_known_folds_are_emails_folds() -> None:
    """The Message-ID too long for its name's line and the multipart Content-Type, whose
    folded lines build_message states instead of computing."""
    rng = random.Random(7)
    for _ in range(200):
        local = "".join(rng.choice("abc.-_+") for _ in range(rng.randrange(1, 40))).strip(".")
        local = re.sub(r"\.+", ".", local) or "x"
        value = f"<nudger-digest.2026-11-24.{local}@{'d' * rng.randrange(1, 40)}.example>"
        msg = EmailMessage(policy=m.POLICY)
        m._set(msg, "Message-ID", value)
        plain = EmailMessage(policy=default)
        plain["Message-ID"] = value
        for policy in (default, SMTP):
            assert msg.as_bytes(policy=policy) == plain.as_bytes(policy=policy), value
    for _ in range(50):
        parts = Parts("s", "t", "h")
        msg = build_message(make_settings_once(), DIGEST, parts, now=datetime.now(UTC),
                            message_id="<x@y>")
        fresh = EmailMessage(policy=default)
        fresh["Content-Type"] = str(msg["Content-Type"])
        for policy in (default, SMTP):
            assert msg["Content-Type"].fold(policy=policy) == \
                fresh["Content-Type"].fold(policy=policy)


_SETTINGS: list[object] = []


def make_settings_once() -> object:
    if not _SETTINGS:
        import tempfile

        _SETTINGS.append(make_settings(Path(tempfile.mkdtemp())))
    return _SETTINGS[0]


def test_dates_in_odd_offsets(tmp_path: Path) -> None:
    """A Date written on one line is what the email package writes for it, in any zone's
    offset (half and quarter hours, west and east)."""
    settings = make_settings(tmp_path)
    for minutes in range(-12 * 60, 14 * 60 + 1, 15):
        now = datetime(2026, 11, 24, 13, 30, tzinfo=timezone(timedelta(minutes=minutes)))
        date = format_datetime(now)
        msg = EmailMessage(policy=m.POLICY)
        m._set(msg, "Date", date)
        plain = EmailMessage(policy=default)
        plain["Date"] = date
        assert msg.as_bytes() == plain.as_bytes()
    assert settings is not None
