"""`nudger mail sync` against a real Dovecot: follow-ups found in Sent become touches,
replies pause, bounces mark the address, exactly once whatever re-reads the mailbox."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import Home, imap_config, rows

PASSWORD = "secret"


def mail(frm: str, to: str, subject: str, mid: str, date: str = "Fri, 20 Nov 2026 "
         "10:00:00 -0600", extra: str = "", body: str = "Hello,\nfollowing up.\n") -> bytes:
    head = (f"From: {frm}\r\nTo: {to}\r\nSubject: {subject}\r\nDate: {date}\r\n"
            + (f"Message-ID: <{mid}>\r\n" if mid else "") + extra
            + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n")
    return head.encode() + body.replace("\n", "\r\n").encode()


def setup(home: Home, server: Any, monkeypatch: Any, mailbox: str = "") -> None:
    monkeypatch.setenv("NUDGER_IMAP_PASSWORD", PASSWORD)
    home.write_config(imap_config(server, mailbox=mailbox))
    home.ok("add", "Fabrikam", "Account Executive", "--applied", "2026-11-16",
            "--url", "https://careers.fabrikam.com/jobs/42",
            "--contact", "Priya Nair <priya@fabrikam.com>")


def test_sent_followup_becomes_a_touch_once(home: Home, dovecot: Any, monkeypatch: Any
                                            ) -> None:
    setup(home, dovecot, monkeypatch)
    dovecot.append("Sent", mail("Alex Rivera <alex@example.com>", "priya@fabrikam.com",
                                "Following up on the AE role", "f1@example.com"))
    out = home.ok("mail", "sync")
    assert "followup" in out and "logged an email touch on 2026-11-20" in out
    show = home.ok("show", "1")
    assert "sent: Following up on the AE role" in show
    assert "email (step 1)" in show
    # A second pass, and a pass after the folder was renumbered, log nothing again.
    home.ok("mail", "sync")
    dovecot.recreate("Sent")
    dovecot.append("Sent", mail("Alex Rivera <alex@example.com>", "priya@fabrikam.com",
                                "Following up on the AE role", "f1@example.com"))
    out = home.ok("mail", "sync")
    assert "rescanned" in out
    assert rows(home, "SELECT count(*) FROM touch") == [(1,)]
    assert rows(home, "SELECT count(*) FROM mailmessage") == [(1,)]
    # Nothing the user has was marked read.
    assert b"\\Seen" not in dovecot.flags("Sent", dovecot.uids("Sent")[0])


def test_done_and_sent_same_day_are_one_touch(home: Home, dovecot: Any, monkeypatch: Any
                                              ) -> None:
    setup(home, dovecot, monkeypatch)
    home.ok("done", "1", "--date", "2026-11-20")
    dovecot.append("Sent", mail("alex@example.com", "priya@fabrikam.com", "Following up",
                                "f2@example.com"))
    out = home.ok("mail", "sync")
    assert "already logged" in out
    assert rows(home, "SELECT count(*) FROM touch") == [(1,)]
    assert rows(home, "SELECT touch_id FROM mailmessage") == [(1,)]


def test_sent_to_someone_at_the_company_suggests_a_contact(home: Home, dovecot: Any,
                                                           monkeypatch: Any) -> None:
    setup(home, dovecot, monkeypatch)
    dovecot.append("Sent", mail("alex@example.com", "Lee Park <lee@fabrikam.com>",
                                "Hello Lee", "f3@example.com"))
    out = home.ok("mail", "sync")
    assert "add lee@fabrikam.com as a contact" in out
    listed = json.loads(home.ok("suggestions", "--json"))
    assert listed[0]["kind"] == "contact" and listed[0]["application_id"] == 1
    home.ok("accept", listed[0]["id"])
    assert "lee@fabrikam.com" in home.ok("show", "1")
    assert rows(home, "SELECT count(*) FROM touch") == [(0,)]


def test_reply_pauses_and_resume(home: Home, dovecot: Any, monkeypatch: Any) -> None:
    setup(home, dovecot, monkeypatch)
    dovecot.append("Sent", mail("alex@example.com", "priya@fabrikam.com", "Following up",
                                "f4@example.com"))
    dovecot.append("INBOX", mail(
        "Priya Nair <priya@fabrikam.com>", "alex@example.com", "Re: Following up",
        "r4@fabrikam.com", date="Mon, 23 Nov 2026 09:30:00 -0600",
        extra="In-Reply-To: <f4@example.com>\r\nReferences: <f4@example.com>\r\n",
        body="Hi Alex,\nthanks - can you talk Thursday?\n\nOn Fri, Alex wrote:\n> old\n"))
    out = home.ok("mail", "sync")
    assert "reply" in out and "nudges paused" in out
    assert rows(home, "SELECT snippet FROM mailmessage WHERE kind='reply'") == [
        ("Hi Alex, thanks - can you talk Thursday?",)]
    due = json.loads(home.ok("due", "--json", "--date", "2026-12-15"))
    assert due["nudges"] == []
    home.ok("resume", "1")
    due = json.loads(home.ok("due", "--json", "--date", "2026-12-15"))
    assert [n["id"] for n in due["nudges"]] == [1]


def test_reply_with_note_does_not_pause(home: Home, dovecot: Any, monkeypatch: Any) -> None:
    setup(home, dovecot, monkeypatch, mailbox='replies = "note"')
    dovecot.append("INBOX", mail("priya@fabrikam.com", "alex@example.com", "Quick question",
                                 "r5@fabrikam.com"))
    out = home.ok("mail", "sync")
    assert "reply" in out and "paused" not in out
    assert rows(home, "SELECT paused_since FROM application") == [(None,)]


def test_auto_reply_list_and_bulk_never_count(home: Home, dovecot: Any, monkeypatch: Any
                                              ) -> None:
    setup(home, dovecot, monkeypatch)
    dovecot.append_many("INBOX", [
        mail("priya@fabrikam.com", "alex@example.com", "Automatic reply: Following up",
             "a1@fabrikam.com", extra="Auto-Submitted: auto-replied\r\n"),
        mail("priya@fabrikam.com", "alex@example.com", "Out of Office", "a2@fabrikam.com"),
        mail("priya@fabrikam.com", "alex@example.com", "Newsletter", "a3@fabrikam.com",
             extra="List-Id: <news.fabrikam.com>\r\n"),
        mail("priya@fabrikam.com", "alex@example.com", "Sale", "a4@fabrikam.com",
             extra="Precedence: bulk\r\n"),
    ])
    out = home.ok("mail", "sync")
    assert out.count("ignored") == 4
    assert rows(home, "SELECT count(*) FROM mailmessage") == [(0,)]
    assert rows(home, "SELECT paused_since FROM application") == [(None,)]


def test_other_sender_at_company_domain_is_only_a_suggestion(home: Home, dovecot: Any,
                                                             monkeypatch: Any) -> None:
    setup(home, dovecot, monkeypatch)
    # A display name imitating the contact, with another address at the company.
    dovecot.append("INBOX", mail('"Priya Nair" <hr-team@fabrikam.com>', "alex@example.com",
                                 "Your application", "p1@fabrikam.com"))
    # The same trick from another domain matches nothing at all.
    dovecot.append("INBOX", mail('"Priya Nair <priya@fabrikam.com>" <x@evil.test>',
                                 "alex@example.com", "Re: AE", "p2@evil.test"))
    out = home.ok("mail", "sync")
    assert "possible-reply" in out and "evil" not in out
    assert rows(home, "SELECT paused_since FROM application") == [(None,)]
    listed = json.loads(home.ok("suggestions", "--json"))
    assert [s["kind"] for s in listed] == ["reply"]
    home.ok("accept", listed[0]["id"])
    assert rows(home, "SELECT kind, application_id FROM mailmessage") == [("reply", 1)]
    assert rows(home, "SELECT paused_since IS NOT NULL FROM application") == [(1,)]


DSN = (b"From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\r\n"
       b"To: alex@example.com\r\nSubject: Undelivered Mail Returned to Sender\r\n"
       b"Date: Sat, 21 Nov 2026 08:00:00 +0000\r\nMessage-ID: <dsn1@mx.example.net>\r\n"
       b"Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
       b"Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n"
       b"--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
       b"\r\n--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
       b"Final-Recipient: rfc822; priya@fabrikam.com\r\nAction: failed\r\n"
       b"Status: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 user unknown\r\n\r\n--B--\r\n")


def test_bounce_marks_the_contact_address(home: Home, dovecot: Any, monkeypatch: Any) -> None:
    setup(home, dovecot, monkeypatch)
    dovecot.append("INBOX", DSN)
    out = home.ok("mail", "sync")
    assert "priya@fabrikam.com bounced" in out
    assert "bouncing" in home.ok("show", "1")
    assert rows(home, "SELECT paused_since FROM application") == [(None,)]


def test_dry_run_records_nothing(home: Home, dovecot: Any, monkeypatch: Any) -> None:
    setup(home, dovecot, monkeypatch)
    dovecot.append("Sent", mail("alex@example.com", "priya@fabrikam.com", "Following up",
                                "f9@example.com"))
    out = json.loads(home.ok("mail", "sync", "--dry-run", "--json"))
    assert out["dry_run"] and out["found"][0]["kind"] == "followup"
    assert rows(home, "SELECT count(*) FROM touch") == [(0,)]
    assert rows(home, "SELECT count(*) FROM mailfolder") == [(0,)]
    assert rows(home, "SELECT count(*) FROM mailsync") == [(0,)]
    assert "logged an email touch" in home.ok("mail", "sync")


def test_digest_opens_with_replies_escaped(home: Home, dovecot: Any, monkeypatch: Any,
                                           tmp_path: Any) -> None:
    setup(home, dovecot, monkeypatch)
    home.ok("contact", "1", "Old Desk <jobs@fabrikam.com>")
    dovecot.append("INBOX", mail(
        '"Priya <b>Nair</b>" <priya@fabrikam.com>', "alex@example.com",
        "=?utf-8?q?Re=3A_<script>alert(1)</script>?=", "r9@fabrikam.com",
        date="Mon, 30 Nov 2026 08:00:00 -0600",
        body="Can we talk <img src=x onerror=alert(1)> Thursday?\n"))
    dovecot.append("INBOX", DSN.replace(b"priya@fabrikam.com", b"jobs@fabrikam.com"))
    home.ok("mail", "sync")
    html = tmp_path / "d.html"
    home.ok("digest", "--date", "2026-11-30", "--html", str(html))
    text = home.ok("digest", "--date", "2026-11-30")
    body = text.split("REPLIES (1)", 1)
    assert len(body) == 2 and "OVERDUE" not in body[0] and "DUE TODAY" not in body[0]
    assert 'Priya <b>Nair</b> (Fabrikam) replied today: "Re: <script>alert(1)</script>"' \
        in text
    assert "nudger stage 1 interviewing" in text and "nudger resume 1" in text
    assert "ADDRESSES THAT BOUNCED (1)" in text and "jobs@fabrikam.com" in text
    assert "Mailbox last read" in text
    page = html.read_text()
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "<img" not in page and "<b>Nair" not in page
    assert page.index("Replies (1)") < page.index("Mailbox last read")


def test_digest_footer_says_why_the_mailbox_could_not_be_read(home: Home, monkeypatch: Any
                                                              ) -> None:
    from tests.smtpserver import refused_port

    monkeypatch.setenv("NUDGER_IMAP_PASSWORD", PASSWORD)

    class Down:
        host = "127.0.0.1"
        port = 0

    with refused_port() as Down.port:
        home.write_config(imap_config(Down()))
        assert home.run("mail", "sync").code == 1
    text = home.ok("digest")
    assert "The mailbox could not be read yet: IMAP server 127.0.0.1" in text
    assert "connection refused" in text


def test_sent_then_done_same_day_is_one_touch(home: Home, dovecot: Any, monkeypatch: Any
                                              ) -> None:
    setup(home, dovecot, monkeypatch)
    dovecot.append("Sent", mail("alex@example.com", "priya@fabrikam.com", "Following up",
                                "f7@example.com"))
    home.ok("mail", "sync")
    assert "already logged from your Sent folder" in home.ok("done", "1", "--date",
                                                             "2026-11-20")
    assert "already logged" in home.ok("log", "1", "email", "--date", "2026-11-20")
    assert rows(home, "SELECT count(*) FROM touch") == [(1,)]
    # Another day's `done` is a new follow-up (the next step).
    assert "done" in home.ok("done", "1", "--date", "2026-11-25")
    assert rows(home, "SELECT count(*) FROM touch") == [(2,)]
