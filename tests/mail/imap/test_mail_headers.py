"""Hostile and broken mail headers parse into safe values, never an exception; the
free-mail and ATS domain lists; server text made safe."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from nudger.mail.imap.headers import MAX_REFERENCES, parse_header
from nudger.mail.imap.match import company_domain, domain_list, is_ats, is_free_mail, url_domain
from nudger.text import server_text

INTERNAL = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def parse(raw: bytes, folder: str = "INBOX", uid: int = 1):  # type: ignore[no-untyped-def]
    return parse_header(raw, folder=folder, uid=uid, internal_date=INTERNAL)


def test_missing_message_id_gets_a_stable_key_in_any_folder() -> None:
    raw = (b"From: a@acme.com\r\nTo: alex@example.com\r\nSubject: hi\r\n"
           b"Date: Mon, 30 Nov 2026 09:00:00 +0000\r\n\r\n")
    one, two = parse(raw, "INBOX", 5), parse(raw, "Archive", 900)
    assert one.message_id == "" and one.key.startswith("h:") and one.key == two.key
    other = parse(raw.replace(b"hi", b"hello"))
    assert other.key != one.key
    assert "no Message-ID" in one.defects


def test_malformed_and_duplicate_message_ids() -> None:
    bad = parse(b"Message-ID: not an id at all\r\nFrom: a@acme.com\r\n\r\n")
    assert bad.message_id == "" and bad.key.startswith("h:")
    dup = parse(b"Message-ID: <first@acme.com>\r\nMessage-ID: <second@acme.com>\r\n"
                b"From: a@acme.com\r\n\r\n")
    assert dup.message_id == "first@acme.com" and "more than one Message-ID" in dup.defects
    spaced = parse(b"Message-ID: <x@y>\r\n\tcontinued\r\n\r\n")
    assert spaced.message_id == "x@y"


def test_broken_encodings_and_raw_8bit_never_raise() -> None:
    raw = (b"From: =?x-unknown?q?Bj=F6rn?= <bjorn@acme.com>\r\n"
           b"Subject: =?utf-8?b?!!!notbase64?= \xe9t\xe9 \xff\xfe caf\xc3\xa9\r\n"
           b"To: =?utf-8?q?broken <alex@example.com>\r\n"
           b"Date: yesterday-ish\r\nReferences: <a@b> garbage <<<>>> <c@d>\r\n\r\n")
    header = parse(raw)
    assert header.from_addr == "bjorn@acme.com"
    assert "\n" not in header.subject and "\r" not in header.subject
    assert header.to == ("alex@example.com",)
    assert header.date == INTERNAL and "no valid Date" in header.defects
    assert header.references == ("a@b", "c@d")


def test_encoded_word_tricks_in_from() -> None:
    # The display name claims a contact's address; the real address is another.
    trick = parse(b"From: =?utf-8?q?priya@fabrikam.com?= <x@evil.test>\r\n\r\n")
    assert trick.from_addr == "x@evil.test"
    quoted = parse(b'From: "Priya Nair <priya@fabrikam.com>" <x@evil.test>\r\n\r\n')
    assert quoted.from_addr == "x@evil.test" and "Priya Nair" in quoted.from_name
    # An encoded CR/LF cannot smuggle a header line through a name or a subject.
    crlf = parse(b"From: =?utf-8?q?Eve=0D=0ABcc:_all@acme.com?= <eve@evil.test>\r\n"
                 b"Subject: =?utf-8?q?hi=0D=0ABcc:_x@evil.test?=\r\n\r\n")
    assert crlf.from_addr == "eve@evil.test"
    assert "\n" not in crlf.from_name and "\r" not in crlf.from_name
    assert crlf.subject == "hi Bcc: x@evil.test"
    # An address hidden in an encoded word is not an address.
    hidden = parse(b"From: =?utf-8?q?=3Cpriya=40fabrikam=2Ecom=3E?=\r\n\r\n")
    assert hidden.from_addr != "priya@fabrikam.com"


def test_thousands_of_references_are_capped_quickly() -> None:
    refs = " ".join(f"<r{i}@lists.example>" for i in range(20_000))
    raw = f"From: a@acme.com\r\nReferences: {refs}\r\nIn-Reply-To: <r19999@lists.example>\r\n\r\n"
    started = time.process_time()
    header = parse(raw.encode())
    assert time.process_time() - started < 2
    assert len(header.references) == MAX_REFERENCES
    assert header.references[-1] == "r19999@lists.example"
    assert header.thread_ids[0] == "r19999@lists.example"


def test_auto_list_bulk_and_bounce_flags() -> None:
    assert parse(b"Auto-Submitted: auto-replied\r\n\r\n").never_a_reply
    assert not parse(b"Auto-Submitted: no\r\nSubject: Re: hi\r\n\r\n").never_a_reply
    assert parse(b"Subject: Out of Office: back Monday\r\n\r\n").auto_submitted
    assert parse(b"X-Autoreply: yes\r\n\r\n").auto_submitted
    assert parse(b"List-Id: <jobs.acme.com>\r\n\r\n").is_list
    assert parse(b"Precedence: bulk\r\n\r\n").is_bulk
    dsn = parse(b"Content-Type: multipart/report; report-type=delivery-status; "
                b"boundary=x\r\n\r\n")
    assert dsn.is_bounce
    assert parse(b"From: MAILER-DAEMON@mx.acme.com\r\nSubject: Undelivered Mail\r\n\r\n"
                 ).is_bounce


def test_server_text_is_one_safe_line() -> None:
    text = server_text("a\r\nb\x00c\x1b[31mred\u202egnp.exe\u200b " + "x" * 500, 60)
    assert "\n" not in text and "\x1b" not in text and "\u202e" not in text
    assert len(text) <= 60 and text.endswith("…")
    assert server_text(b"\xff\xfebytes") == "ÿþbytes"  # not UTF-8: read as Windows-1252


def test_domain_lists_are_data_and_keep_employers_apart() -> None:
    assert {"gmail.com", "outlook.com", "proton.me"} <= domain_list("freemail")
    assert {"greenhouse.io", "lever.co", "myworkdayjobs.com"} <= domain_list("ats")
    assert not domain_list("freemail") & domain_list("ats")
    for name in ("freemail", "ats"):
        for domain in domain_list(name):
            assert domain == domain.strip().lower() and "." in domain and " " not in domain
    assert is_free_mail("mail.gmail.com") and is_ats("us.greenhouse-mail.io")
    assert company_domain("gmail.com") == "" and company_domain("boards.greenhouse.io") == ""
    assert company_domain("jobs.fabrikam.com") == "fabrikam.com"
    assert company_domain("hr.contoso.co.uk") == "contoso.co.uk"
    assert url_domain("https://careers.fabrikam.com/jobs/42") == "fabrikam.com"
    assert url_domain("https://boards.greenhouse.io/acme/jobs/1") == ""
    assert url_domain("not a url") == ""
