"""Drafts in the real Dovecot's Drafts folder: exactly one per due step across syncs and a
second process, From the user and To the contact, threaded when the last message with the
contact is known; deleted when the step is done, and only while untouched."""

from __future__ import annotations

import email
import email.policy
import re
from typing import Any

from tests.conftest import Home, imap_config, rows

PASSWORD = "secret"


def setup(home: Home, dovecot: Any, monkeypatch: Any, mailbox: str = "drafts = true") -> None:
    monkeypatch.setenv("NUDGER_IMAP_PASSWORD", PASSWORD)
    home.write_config(imap_config(dovecot, mailbox=mailbox))
    home.ok("add", "Fabrikam", "Account Executive", "--applied", "10 days ago",
            "--contact", "Priya Nair <priya@fabrikam.example>")


def drafts(dovecot: Any) -> list[email.message.EmailMessage]:
    client = dovecot.client()
    try:
        client.select_folder("Drafts", readonly=True)
        uids = client.search("ALL")
        data = client.fetch(uids, ["BODY.PEEK[]", "FLAGS"]) if uids else {}
    finally:
        client.logout()
    out = []
    for uid in sorted(data):
        msg = email.message_from_bytes(data[uid][b"BODY[]"], policy=email.policy.default)
        assert b"\\Draft" in data[uid][b"FLAGS"]
        out.append(msg)
    return out


def test_one_draft_per_step_and_gone_when_done(home: Home, dovecot: Any,
                                                monkeypatch: Any) -> None:
    setup(home, dovecot, monkeypatch)
    out = home.ok("mail", "sync")
    assert "draft ready in Drafts: #1" in out
    [draft] = drafts(dovecot)
    assert draft["From"] == "Alex Rivera <alex@example.com>"
    assert draft["To"] == "Priya Nair <priya@fabrikam.example>"
    preview = home.ok("digest")
    subject = preview.split("Subject: ", 1)[1].splitlines()[0]
    assert draft["Subject"] == subject
    assert "Draft ready in your Drafts folder." in preview
    body = draft.get_content()
    assert "Hi Priya," in body and body.strip().splitlines()[0] in preview
    # Again, and again as if another process ran: still one.
    home.ok("mail", "sync")
    home.ok("mail", "sync")
    assert len(drafts(dovecot)) == 1
    assert rows(home, "SELECT state FROM maildraft") == [("present",)]
    # Done: the draft nudger put there goes, nothing else in Drafts does.
    dovecot.append("Drafts", b"From: alex@example.com\r\nSubject: my own\r\n\r\nmine\r\n",
                   flags=["\\Draft"])
    home.ok("done", "1")
    out = home.ok("mail", "sync")
    assert "draft removed (step no longer due): #1" in out
    assert [str(m["Subject"]) for m in drafts(dovecot)] == ["my own"]
    assert "Draft ready" not in home.ok("digest")


def test_an_edited_draft_is_the_users(home: Home, dovecot: Any, monkeypatch: Any) -> None:
    setup(home, dovecot, monkeypatch)
    home.ok("mail", "sync")
    [draft] = drafts(dovecot)
    # A mail client saves an edit as a new message and removes the old one.
    client = dovecot.client()
    try:
        client.select_folder("Drafts")
        client.add_flags(client.search("ALL"), [b"\\Deleted"])
        client.expunge()
    finally:
        client.logout()
    draft.set_content("Hi Priya, my own words.\n")
    dovecot.append("Drafts", draft.as_bytes(), flags=["\\Draft"])
    home.ok("skip", "1")
    home.ok("mail", "sync")
    [kept] = drafts(dovecot)
    assert "my own words" in kept.get_content()
    assert rows(home, "SELECT state FROM maildraft") == [("gone",)]
    # The next step's draft is a new one, later; this step never gets a second.
    home.ok("mail", "sync")
    assert len(drafts(dovecot)) == 1


def test_threaded_when_the_last_message_is_known(home: Home, dovecot: Any,
                                                 monkeypatch: Any) -> None:
    setup(home, dovecot, monkeypatch, mailbox='drafts = true\nreplies = "note"')
    dovecot.append("INBOX", (
        b"From: Priya Nair <priya@fabrikam.example>\r\nTo: alex@example.com\r\n"
        b"Subject: Re: Account Executive\r\nMessage-ID: <p1@fabrikam.example>\r\n"
        b"In-Reply-To: <a1@example.com>\r\n"
        b"References: <a0@example.com> <a1@example.com>\r\n"
        b"Date: Mon, 23 Nov 2026 10:00:00 -0600\r\n\r\nWe will be in touch.\r\n"))
    home.ok("mail", "sync")
    [draft] = drafts(dovecot)
    assert draft["In-Reply-To"] == "<p1@fabrikam.example>"
    # The whole chain, as the user's own client would write it (issue 21, item 15).
    assert draft["References"] == "<a0@example.com> <a1@example.com> <p1@fabrikam.example>"
    assert draft["Subject"] == "Re: Account Executive"


def test_a_draft_looks_like_the_users_own(home: Home, dovecot: Any,
                                          monkeypatch: Any) -> None:
    """Nothing in a draft tells the recruiter a tool wrote it: no header of nudger's, a
    Message-ID at the user's domain; nudger still knows it by what it recorded."""
    setup(home, dovecot, monkeypatch)
    home.ok("mail", "sync")
    [draft] = drafts(dovecot)
    raw = bytes(draft).lower()
    assert b"nudger" not in raw, raw[:600]
    assert re.fullmatch(r"<[0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}@example\.com>",
                        str(draft["Message-ID"]))
    home.ok("done", "1")
    assert "draft removed (step no longer due): #1" in home.ok("mail", "sync")
    assert drafts(dovecot) == []


def test_drafts_off_puts_nothing_there(home: Home, dovecot: Any, monkeypatch: Any) -> None:
    setup(home, dovecot, monkeypatch, mailbox="drafts = false")
    home.ok("mail", "sync")
    assert drafts(dovecot) == []


def test_the_digest_goes_out_with_its_drafts_written_in_its_words(
        home: Home, dovecot: Any, monkeypatch: Any) -> None:
    """No mailbox check before `digest --send`: the drafts are written first, from the
    same render, so "Draft ready" is true when read and the draft says what the digest
    says; the next day an untouched draft is rewritten in that day's words (issue 21,
    item 16)."""
    from datetime import UTC, datetime, timedelta

    import time_machine

    from tests.smtpserver import SmtpServer

    monkeypatch.setenv("NUDGER_IMAP_PASSWORD", PASSWORD)
    with SmtpServer("plain") as smtp:
        home.write_config(imap_config(dovecot, mailbox="drafts = true")
                          + smtp.smtp_config(home.root))
        home.ok("add", "Fabrikam", "Account Executive", "--applied", "10 days ago",
                "--contact", "Priya Nair <priya@fabrikam.example>")
        home.ok("digest", "--send")
        [digest] = smtp.wait_for_messages(1)
        body = digest.message.get_body(("plain",))
        assert body is not None
        text = str(body.get_content())
        assert "Draft ready in your Drafts folder." in text
        [draft] = drafts(dovecot)
        sentence = next(line for line in draft.get_content().splitlines()
                        if "I applied for" in line)
        assert "10 days ago" in sentence
        assert " ".join(sentence.split()) in " ".join(text.split())  # the digest's words
    with time_machine.travel(datetime.now(UTC) + timedelta(days=1), tick=True):
        out = home.ok("mail", "sync")
    [draft] = drafts(dovecot)
    assert "11 days ago" in draft.get_content(), out
    assert rows(home, "SELECT state FROM maildraft") == [("present",)]
