"""Mail files and hostile mail: mbox (Takeout, Thunderbird, CRLF, "From " in a body,
truncated), Maildir with unreadable files, .eml; a 40 MB attachment, broken MIME, lying
charsets, header tricks. Nothing raises; bad messages are reported by position."""

from __future__ import annotations

import base64
import tracemalloc
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

from nudger.mail.capture import files as mailfiles
from nudger.mail.capture.files import RawMail, Skipped, read_paths
from nudger.mail.capture.recognise import recognise_bytes
from nudger.mail.capture.scan import Found, ScanStats, scan
from nudger.mail.capture.view import MAX_VALUE
from nudger.mail.htmltext import html_to_text
from nudger.track.tracker import check_text

ZONE = ZoneInfo("Europe/Berlin")


def confirmation(company: str = "Acme Robotics", role: str = "Data Analyst",
                 subject: str = "Thank you for applying") -> bytes:
    msg = EmailMessage()
    msg["From"] = f"{company} <no-reply@us.greenhouse-mail.io>"
    msg["To"] = "alex@example.com"
    msg["Subject"] = subject
    msg["Date"] = "Tue, 06 Oct 2026 09:30:00 +0200"
    msg["Message-ID"] = "<c1@greenhouse.example>"
    msg.set_content(f"Hi Alex,\n\nThank you for applying to the {role} position at "
                    f"{company}.\n\nFrom our side: we will be in touch.\n")
    return msg.as_bytes()


def other(n: int) -> bytes:
    return (f"From: Friend <friend{n}@example.org>\nSubject: lunch {n}\n"
            f"Date: Tue, 06 Oct 2026 09:30:00 +0200\n\nsee you at noon\n").encode()


def mbox(*messages: bytes, postmark: bytes = b"From MAILER-DAEMON Tue Oct  6 09:30:00 2026"
         ) -> bytes:
    return b"".join(postmark + b"\n" + m.rstrip(b"\n") + b"\n\n" for m in messages)


def items(path: Path) -> list[RawMail | Skipped]:
    return list(read_paths([path]))


def test_mbox_from_line_inside_a_body_is_not_a_separator(tmp_path: Path) -> None:
    body = (b"From: Friend <f@example.org>\nSubject: story\n\nHello,\n\n"
            b"From there we walked home.\nFrom 10 to 12 we talked.\n\n"
            b"From the bridge\n")
    path = tmp_path / "m.mbox"
    path.write_bytes(mbox(other(1), body, confirmation()))
    got = items(path)
    assert [type(i).__name__ for i in got] == ["RawMail"] * 3
    assert b"From the bridge" in got[1].data  # type: ignore[union-attr]
    assert [i.where for i in got] == [f"{path}#1", f"{path}#2", f"{path}#3"]


def test_gmail_takeout_and_thunderbird_postmarks_and_crlf(tmp_path: Path) -> None:
    takeout = tmp_path / "All mail Including Spam and Trash.mbox"
    takeout.write_bytes(mbox(
        b"X-GM-THRID: 1780927375862345678\nX-Gmail-Labels: Inbox,Category Updates\n"
        + confirmation(), other(2),
        postmark=b"From 1780927375862345678@xxx Tue Oct 06 07:30:00 +0000 2026"))
    thunderbird = tmp_path / "Inbox"
    thunderbird.write_bytes(mbox(other(1), confirmation(),
                                 postmark=b"From - Tue Oct  6 09:30:00 2026"))
    crlf = tmp_path / "crlf.mbox"
    crlf.write_bytes(mbox(other(1), confirmation(), other(3)).replace(b"\n", b"\r\n"))
    for path, count in ((takeout, 2), (thunderbird, 2), (crlf, 3)):
        got = items(path)
        assert len(got) == count and all(isinstance(i, RawMail) for i in got), path
        found = [f for f in scan([path], zone=ZONE) if isinstance(f, Found)]
        assert [f.finding.company for f in found] == ["Acme Robotics"], path


def test_small_chunks_split_the_same(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "m.mbox"
    path.write_bytes(mbox(*(other(n) for n in range(30)), confirmation()))
    whole = [i.data for i in items(path)]  # type: ignore[union-attr]
    monkeypatch.setattr(mailfiles, "CHUNK", 7)
    monkeypatch.setattr(mailfiles, "_TAIL_KEEP", 8)
    assert [i.data for i in items(path)] == whole  # type: ignore[union-attr]
    assert len(whole) == 31


def test_truncated_mbox(tmp_path: Path) -> None:
    data = mbox(other(1), confirmation(), other(3))
    cut_in_headers = tmp_path / "headers.mbox"
    cut_in_headers.write_bytes(data[: data.rindex(b"Subject: lunch 3") + 10])
    got = items(cut_in_headers)
    assert isinstance(got[-1], Skipped) and "truncated" in got[-1].reason
    assert got[-1].where.startswith(f"{cut_in_headers}#3, byte ")
    assert isinstance(got[1], RawMail)
    cut_in_body = tmp_path / "body.mbox"
    cut_in_body.write_bytes(data[: data.index(b"we will be in touch")])
    got = items(cut_in_body)
    assert len(got) == 2 and isinstance(got[1], RawMail)
    found = [f for f in scan([cut_in_body], zone=ZONE) if isinstance(f, Found)]
    assert found[0].finding.company == "Acme Robotics"


def test_maildir_with_unreadable_files(tmp_path: Path) -> None:
    maildir = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    (maildir / "cur" / "1.host:2,S").write_bytes(confirmation())
    (maildir / "cur" / "2.host:2,S").symlink_to(tmp_path / "gone")  # unreadable
    (maildir / "new" / "3.host").write_bytes(other(3))
    (maildir / "new" / "4.host").mkdir()  # not a file
    (maildir / "tmp" / "5.host").write_bytes(b"half deliv")
    stats = ScanStats()
    out = list(scan([maildir], zone=ZONE, stats=stats))
    skipped = [o for o in out if isinstance(o, Skipped)]
    assert {Path(s.where).name for s in skipped} == {"2.host:2,S", "4.host"}
    assert all("cannot read" in s.reason for s in skipped)
    assert [o.finding.company for o in out if isinstance(o, Found)] == ["Acme Robotics"]
    assert stats.messages == 2


def test_eml_files_and_folders(tmp_path: Path) -> None:
    (tmp_path / "a.eml").write_bytes(confirmation())
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.eml").write_bytes(confirmation("Fabrikam", "Designer"))
    (tmp_path / "sub" / "Inbox.msf").write_bytes(b"// mork index")
    (tmp_path / "empty.eml").write_bytes(b"")
    out = list(scan([tmp_path], zone=ZONE))
    assert sorted(o.finding.company for o in out if isinstance(o, Found)) == [
        "Acme Robotics", "Fabrikam"]
    assert [o.reason for o in out if isinstance(o, Skipped)] == ["empty file"]


def test_a_40_mb_attachment_is_never_decoded_or_held(tmp_path: Path) -> None:
    boundary = "b1"
    blob = base64.encodebytes(b"\x00" * (30 * 1024 * 1024))  # ~40 MB encoded
    head = confirmation().split(b"\n\n", 1)[0].replace(
        b"Content-Type: text/plain; charset=\"utf-8\"",
        f"Content-Type: multipart/mixed; boundary=\"{boundary}\"".encode())
    message = (head + b"\n\n--b1\nContent-Type: text/plain; charset=utf-8\n\n"
               b"Thank you for applying to the Data Analyst position at Acme Robotics.\n"
               b"--b1\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n"
               b"Content-Disposition: attachment; filename=cv.pdf\n\n" + blob + b"--b1--\n")
    assert len(message) > 40_000_000
    path = tmp_path / "big.mbox"
    path.write_bytes(mbox(message, other(2)))
    del blob, message
    tracemalloc.start()
    out = list(scan([path], zone=ZONE))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 8 * 1024 * 1024, peak  # a few chunks, never the message
    [found] = [o for o in out if isinstance(o, Found)]
    assert found.finding.role == "Data Analyst"
    big = next(i for i in read_paths([path]) if isinstance(i, RawMail))
    assert big.truncated and len(big.data) == mailfiles.MESSAGE_CAP


def test_a_huge_text_part_is_skipped_by_size_before_decoding() -> None:
    msg = EmailMessage()
    msg["From"] = "Acme <no-reply@greenhouse.io>"
    msg["Subject"] = "Thank you for applying"
    msg.set_content("x" * 600_000, cte="base64")
    msg.add_alternative("<p>Thank you for applying to the Analyst position at Acme.</p>",
                        subtype="html")
    [found] = recognise_bytes(msg.as_bytes(), zone=ZONE)
    assert found.company == "Acme" and found.role == "Analyst"


def test_broken_mime_and_lying_charsets() -> None:
    cases = [
        # multipart without a boundary, and one whose boundary never closes
        b"From: Acme <no-reply@greenhouse.io>\nSubject: Thank you for applying\n"
        b"Content-Type: multipart/alternative\n\nThank you for applying to Acme.\n",
        b"From: Acme <no-reply@greenhouse.io>\nSubject: Thank you for applying\n"
        b"Content-Type: multipart/alternative; boundary=zz\n\n--zz\nContent-Type: text/plain"
        b"\n\nThank you for applying to the Analyst position at Acme.\n",
        # a charset that does not exist, one that lies, bad base64 and bad QP
        b"From: Acme <no-reply@greenhouse.io>\nSubject: Thank you for applying\n"
        b"Content-Type: text/plain; charset=x-klingon\n\nThank you for applying to Acme.\n",
        b"From: Acme <no-reply@greenhouse.io>\nSubject: Thank you for applying\n"
        b"Content-Type: text/plain; charset=utf-8\n\nThank you for applying to Caf\xe9 "
        b"M\xfcller.\n",
        b"From: Acme <no-reply@greenhouse.io>\nSubject: Thank you for applying\n"
        b"Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n!!!not*base64\n",
        b"From: Acme <no-reply@greenhouse.io>\nSubject: Thank you for applying\n"
        b"Content-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\n=ZZ=\n",
        b"\x00\xff\xfe garbage without headers",
        b"From: =?utf-8?b?!!!?= <>\nDate: not a date\nSubject: =?x-bad?q?a?=\n\nhi\n",
        b"Content-Type: text/html\nFrom: a@greenhouse.io\nSubject: application\n\n"
        b"<p <<<<>>>><script>alert(1)<div style='display:none'>",
    ]
    for raw in cases:
        for finding in recognise_bytes(raw, zone=ZONE):
            for value in (finding.company, finding.role, finding.url, finding.why):
                check_text("value", value, one_line=True)
    [lying] = recognise_bytes(cases[3], zone=ZONE)
    assert lying.company == "Café Müller"  # read as cp1252 when it is not UTF-8


def test_an_encoded_word_no_padding_repairs_is_kept_as_it_is(tmp_path: Path) -> None:
    """"=?utf-8?b?A?=" makes the email package raise HeaderParseError (not a ValueError):
    the word stays as written and the rest of the mailbox is still read."""
    broken = (b"From: =?utf-8?b?A?= <a@b.example>\nSubject: =?utf-8?b?A?= application\n"
              b"Date: Tue, 06 Oct 2026 09:30:00 +0200\n\nhi\n")
    path = tmp_path / "m.mbox"
    path.write_bytes(mbox(broken, confirmation()))
    stats = ScanStats()
    out = list(scan([path], zone=ZONE, stats=stats))
    assert stats.messages == 2 and stats.candidates == 2
    assert [o.finding.company for o in out if isinstance(o, Found)] == ["Acme Robotics"]
    assert recognise_bytes(broken.replace(b"hi", b"Thank you for applying to Acme."),
                           zone=ZONE)[0].company == "Acme"
    charset = broken.replace(b"=?utf-8?b?A?=", b"=?u\xb9f-8?q?S=C3=B6hne?=")  # CharsetError
    assert recognise_bytes(charset.replace(b"hi", b"Thank you for applying to Acme."),
                           zone=ZONE)[0].company == "Acme"


def test_header_tricks_stay_one_line() -> None:
    raw = (b"From: =?utf-8?q?Acme=0D=0ABcc:_victim@example.org?= <no-reply@greenhouse.io>\n"
           b"Subject: =?utf-8?q?Thank_you_for_applying_to_Evil=0D=0ABcc:_x@y?=\r\n"
           b" =?utf-8?b?4oCuZ25pcHBhcg==?=\n"
           b"Date: Tue, 06 Oct 2026 09:30:00 +0200\n\n"
           b"Thank you for applying to the \xe2\x80\xaeAnalyst\xe2\x80\xac position at "
           b"Acme\xe2\x80\x8b Corp.\n")
    [finding] = recognise_bytes(raw, zone=ZONE)
    for value in (finding.company, finding.role, finding.subject, finding.why):
        assert "\r" not in value and "\n" not in value and "\u202e" not in value
    assert finding.company == "Acme Corp" and finding.role == "Analyst"


def test_a_5000_character_company_is_capped() -> None:
    name = "Acme " + "Very" * 1250
    [finding] = recognise_bytes(confirmation(company=name), zone=ZONE)
    assert 0 < len(finding.company) <= MAX_VALUE
    check_text("company", finding.company, one_line=True)


def test_html_to_text_drops_scripts_styles_and_hidden_text() -> None:
    text, links = html_to_text(
        "<html><head><title>T</title><style>p{color:red}</style></head><body>"
        "<script>document.write('Unfortunately we have decided')</script>"
        "<div hidden>hidden one</div><span style='display: none'>hidden two</span>"
        "<p style='font-size:0px'>hidden three</p><p>Visible <b>text</b><br>line two</p>"
        "<img src='https://tracker.example/pixel.gif'><a href='https://x.example/j/1'>Job"
        "</a><iframe src='https://evil.example'>frame</iframe></body></html>")
    assert text == "Visible text\nline two\nJob"
    assert links == [("Job", "https://x.example/j/1")]
