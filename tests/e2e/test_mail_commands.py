"""Act from the phone, end to end through the installed `nudger`: the digest goes out to
aiosmtpd, the test reads it there, "taps" a button by APPENDing what its mailto: holds into
the real Dovecot INBOX, runs `nudger mail sync`, and checks the database, the confirmation
(to the owner only) and the next digest. Then a reply to the digest, a forged command and
a replay."""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from tests.e2e.conftest import World, next_working_hours

PASSWORD = "secret"
AUTH = "Authentication-Results: imap.example.com; dkim=pass header.d=example.com; spf=pass"

pytestmark = pytest.mark.slow


def imap_table(dovecot: Any) -> str:
    return (f'\n[imap]\nhost = "{dovecot.host}"\nport = {dovecot.port}\nsecurity = "tls"\n'
            f'username = "alex@example.com"\npassword_env = "NUDGER_IMAP_PASSWORD"\n'
            f'ca_file = "{dovecot.ca_file}"\ntimeout = 5\n')


def links(text: str) -> dict[int, str]:
    return {int(n): u for n, u in re.findall(r"^\[(\d+)\] (mailto:\S+)$", text, re.M)}


def tap(url: str, *, sender: str = "Alex Rivera <alex@example.com>") -> bytes:
    """What a phone sends for a mailto: link: To, Subject and body as the link says."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = unquote(parts.path)
    msg["Subject"] = query["subject"][0]
    msg["Date"] = format_datetime(__import__("datetime").datetime.now().astimezone())
    msg["Message-ID"] = make_msgid(domain="example.com")
    msg.set_content(query["body"][0].replace("\r\n", "\n"))
    return AUTH.encode() + b"\r\n" + bytes(msg)


def text_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def test_tap_a_button_reply_to_the_digest_and_see_it_in_the_next_one(
        world: World, dovecot: Any) -> None:
    world.extra_env["NUDGER_IMAP_PASSWORD"] = PASSWORD
    world.write_config(imap_table(dovecot))
    # The world holds #1 Acme (applied 2026-11-02, contact Dana Lee).
    world.ok("add", "Fabrikam", "Sales Lead", "--applied", "9 days ago")
    world.ok("digest", "--send")
    [digest] = world.server.wait_for_messages(1)
    text = text_of(digest.message)
    done_ref = re.search(r"#1 Acme.*?Tap to tell nudger: Done \[(\d+)\]", text, re.S)
    assert done_ref is not None, text
    url = links(text)[int(done_ref.group(1))]
    assert unquote(urlsplit(url).path) == "alex+nudger@example.com"

    # The tap: the owner's phone sends the prefilled message; it lands in INBOX.
    dovecot.append("INBOX", tap(url))
    out = world.ok("mail", "sync")
    assert "command" in out and "confirmation 1: sent" in out
    assert world.rows("SELECT application_id, skipped FROM touch") == [(1, 0)]
    confirmation = world.server.wait_for_messages(2)[1]
    assert confirmation.rcpt_tos == ["alex@example.com"]
    body = text_of(confirmation.message)
    assert "#1: done" in body and "next for #1 Acme" in body

    # Seen again (a second pass, the same message in another folder): nothing twice.
    dovecot.append("Junk", tap(url))
    world.ok("mail", "sync")
    assert world.rows("SELECT count(*) FROM touch") == [(1,)]
    assert world.rows("SELECT count(*) FROM mailcommand") == [(1,)]
    assert len(world.server.messages) == 2
    # The command message nudger carried out is marked read (docs/mailbox.md allows that one
    # write); nothing else.
    assert b"\\Seen" in dovecot.flags("INBOX", dovecot.uids("INBOX")[0])
    assert b"\\Seen" not in dovecot.flags("Junk", dovecot.uids("Junk")[0])

    # A forged one: a stranger edits the Done link into a stage change for #2.
    forged = tap(url.replace("done%201", "stage%202%20rejected"),
                 sender="Mallory <mallory@evil.example>")
    dovecot.append("INBOX", forged)
    out = world.run("mail", "sync")
    assert out.returncode == 0
    assert "mallory" not in "".join(m.data.decode("utf-8", "replace")
                                    for m in world.server.messages[2:])
    assert len(world.server.messages) == 2
    assert world.rows("SELECT stage FROM application WHERE id = 2") == [("applied",)]
    assert b"\\Seen" not in dovecot.flags("INBOX", dovecot.uids("INBOX")[-1])

    # The digest prints no reply key (a forward would carry it): only its buttons hold
    # tokens, each for its own command.
    assert "Reply key" not in text
    assert "reply key" not in text_of(digest.message).lower()

    # A forward of the digest from the owner's own address (no In-Reply-To: an inline
    # forward carries the text, never the digest's Message-ID) runs no typed command,
    # even sent to the command address; the owner is told why.
    forward = EmailMessage()
    forward["From"] = "alex@example.com"
    forward["To"] = "alex+nudger@example.com"
    forward["Subject"] = "Fwd: " + str(digest.message["Subject"])
    forward["Message-ID"] = make_msgid(domain="example.com")
    forward.set_content("stage 2 withdrawn\n\n---------- Forwarded message ---------\n"
                        + text + "\n")
    dovecot.append("INBOX", AUTH.encode() + b"\r\n" + bytes(forward))
    world.ok("mail", "sync")
    assert world.rows("SELECT stage FROM application WHERE id = 2") == [("applied",)]
    answer = world.server.wait_for_messages(3)[2]
    assert answer.rcpt_tos == ["alex@example.com"]
    assert "not a reply to a digest" in text_of(answer.message)

    # A reply to the digest, top-posted, quoting it (with its buttons).
    quoted = "\n".join("> " + line for line in text.splitlines())
    reply = EmailMessage()
    reply["From"] = "alex@example.com"
    reply["To"] = "alex@example.com"
    reply["Subject"] = "Re: " + str(digest.message["Subject"])
    reply["In-Reply-To"] = str(digest.message["Message-ID"])
    reply["Message-ID"] = make_msgid(domain="example.com")
    reply.set_content(f"stage 2 interviewing tomorrow 14:00\nsnooze 1 1 week\n\n"
                      f"On Mon, nudger wrote:\n{quoted}\n")
    dovecot.append("INBOX", AUTH.encode() + b"\r\n" + bytes(reply))
    world.ok("mail", "sync")
    assert world.rows("SELECT stage FROM application WHERE id = 2") == [("interviewing",)]
    assert world.rows("SELECT count(*) FROM snooze WHERE application_id = 1") == [(1,)]
    third = world.server.wait_for_messages(4)[3]
    assert third.rcpt_tos == ["alex@example.com"]
    assert "#2 Fabrikam is now interviewing" in text_of(third.message)

    # The next digest tells what was done by mail.
    preview = world.ok("digest", "--date", "tomorrow")
    footer = preview.split("Done by mail since the last digest:", 1)[1]
    assert "#1: done" in footer and "#2 Fabrikam is now interviewing" in footer


def test_the_daemon_carries_out_a_tap_confirms_it_and_keeps_drafts(
        world: World, dovecot: Any) -> None:
    """`nudger run --once` (what the service does at each wake-up) puts the due draft in
    Drafts (bounded), sends the digest, which says so, then reads the mailbox: a tapped
    Snooze runs, is confirmed, and the draft nudger put there goes."""
    world.extra_env["NUDGER_IMAP_PASSWORD"] = PASSWORD
    world.write_config(imap_table(dovecot) + "\n[mailbox]\ndrafts = true\n")
    # Its own clock: at the real hour a night-time run would be past the digest's catch-up.
    noon = next_working_hours()
    world.ok("run", "--once", faketime=noon)
    [digest] = world.server.wait_for_messages(1)
    text = text_of(digest.message)
    assert "Draft ready in your Drafts folder." in text
    assert len(dovecot.uids("Drafts")) == 1
    ref = re.search(r"#1 Acme.*?Snooze 3 days \[(\d+)\]", text, re.S)
    assert ref is not None, text
    dovecot.append("INBOX", tap(links(text)[int(ref.group(1))]))
    world.ok("run", "--once", faketime=noon)
    assert world.rows("SELECT count(*) FROM snooze WHERE application_id = 1") == [(1,)]
    confirmation = world.server.wait_for_messages(2)[1]
    assert confirmation.rcpt_tos == ["alex@example.com"]
    assert "#1 snoozed" in text_of(confirmation.message)
    # Snoozed past: the step is not due, so the draft nudger put there is gone.
    assert dovecot.uids("Drafts") == []
    assert world.rows("SELECT state FROM maildraft") == [("deleted",)]


# --- a button is one step (issue 21, items 1 and 2) ----------------------------------------

def phone_tap(url: str) -> bytes:
    """What an iPhone sends for a mailto: link: its To, Subject and body, and the
    signature the phone adds."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    msg = EmailMessage()
    msg["From"] = "Alex Rivera <alex@example.com>"
    msg["To"] = unquote(parts.path)
    msg["Subject"] = query["subject"][0]
    msg["Date"] = format_datetime(__import__("datetime").datetime.now().astimezone())
    msg["Message-ID"] = make_msgid(domain="example.com")
    msg.set_content(query["body"][0].replace("\r\n", "\n") + "\nSent from my iPhone\n")
    return AUTH.encode() + b"\r\n" + bytes(msg)


def button(text: str, company: str, label: str) -> str:
    ref = re.search(rf"{re.escape(company)}.*?{re.escape(label)} \[(\d+)\]", text, re.S)
    assert ref is not None, text
    return links(text)[int(ref.group(1))]


def sent_followup(to: str) -> bytes:
    """The draft sent from the user's own mail client, as the Sent folder holds it."""
    msg = EmailMessage()
    msg["From"] = "Alex Rivera <alex@example.com>"
    msg["To"] = to
    msg["Subject"] = "Following up on my application"
    msg["Date"] = format_datetime(__import__("datetime").datetime.now().astimezone())
    msg["Message-ID"] = make_msgid(domain="example.com")
    msg.set_content("Hello Dana,\n\nI wanted to follow up on my application.\n")
    return bytes(msg)


def test_sent_then_done_records_one_follow_up(world: World, dovecot: Any) -> None:
    """The digest offers the draft and a Done button; the user sends the draft from their
    mail client (found in Sent), then taps Done: one follow-up, and the tap says so."""
    world.extra_env["NUDGER_IMAP_PASSWORD"] = PASSWORD
    world.write_config(imap_table(dovecot))
    world.ok("digest", "--send")
    [digest] = world.server.wait_for_messages(1)
    text = text_of(digest.message)
    done = button(text, "#1 Acme", "Done")
    assert "step 1 of applied" in unquote(done)  # the button says which step it is for

    dovecot.append("Sent", sent_followup("Dana Lee <dana@acme.example>"))
    world.ok("mail", "sync")
    assert world.rows("SELECT application_id, step, skipped FROM touch") == [(1, 1, 0)]

    dovecot.append("INBOX", phone_tap(done))
    world.ok("mail", "sync")
    assert world.rows("SELECT application_id, step, skipped FROM touch") == [(1, 1, 0)]
    answer = world.server.wait_for_messages(2)[1]
    assert answer.rcpt_tos == ["alex@example.com"]
    assert str(answer.message["Subject"]).startswith("nudger: already done")
    body = text_of(answer.message)
    assert "already done: #1 Acme, step 1 of applied" in body
    assert "logged from your Sent folder" in body and "nothing recorded" in body


def test_each_button_acts_once_and_only_on_its_own_step(world: World, dovecot: Any) -> None:
    """Done tapped twice completes one step; Skip after it, and the Done of an older
    digest, record nothing; Snooze tapped twice leaves one snooze."""
    world.extra_env["NUDGER_IMAP_PASSWORD"] = PASSWORD
    world.write_config(imap_table(dovecot))
    world.ok("add", "Fabrikam", "Sales Lead", "--applied", "9 days ago")
    world.ok("digest", "--send")
    [digest] = world.server.wait_for_messages(1)
    text = text_of(digest.message)
    done, skip = button(text, "#1 Acme", "Done"), button(text, "#1 Acme", "Skip")
    snooze = button(text, "#2 Fabrikam", "Snooze 3 days")

    dovecot.append("INBOX", phone_tap(done))
    world.ok("mail", "sync")
    assert world.rows("SELECT application_id, step, skipped FROM touch") == [(1, 1, 0)]
    first = text_of(world.server.wait_for_messages(2)[1].message)
    assert "#1: done follow-up 1" in first

    # The same button again (the phone's outbox retried, or the user tapped twice).
    dovecot.append("INBOX", phone_tap(done))
    world.ok("mail", "sync")
    again = world.server.wait_for_messages(3)[2]
    assert str(again.message["Subject"]).startswith("nudger: already done")
    assert "already done: this button was carried out" in text_of(again.message)
    # Skip of the same digest: its step is done, so it skips nothing.
    dovecot.append("INBOX", phone_tap(skip))
    world.ok("mail", "sync")
    skipped = text_of(world.server.wait_for_messages(4)[3].message)
    assert "already done: #1 Acme, step 1 of applied" in skipped and "was done" in skipped
    assert world.rows("SELECT application_id, step, skipped FROM touch") == [(1, 1, 0)]

    for n in (5, 6):
        dovecot.append("INBOX", phone_tap(snooze))
        world.ok("mail", "sync")
        world.server.wait_for_messages(n)
    assert world.rows("SELECT count(*) FROM snooze WHERE application_id = 2") == [(1,)]
    assert "#2 snoozed" in text_of(world.server.messages[4].message)
    assert "already done" in text_of(world.server.messages[5].message)
    assert world.rows("SELECT count(*) FROM touch") == [(1,)]


# --- every answer is heard (issue 21, items 5 and 6) ---------------------------------------

def test_a_refused_tap_is_answered_and_listed_and_log_works_by_mail(
        world: World, dovecot: Any) -> None:
    world.extra_env["NUDGER_IMAP_PASSWORD"] = PASSWORD
    world.write_config(imap_table(dovecot))
    world.ok("add", "Fabrikam", "Sales Lead", "--applied", "9 days ago")
    world.ok("digest", "--send")
    [digest] = world.server.wait_for_messages(1)
    text = text_of(digest.message)
    # The owner edits a Done button for #1 into one for #2: refused, and told so.
    edited = button(text, "#1 Acme", "Done").replace("done%201", "done%202")
    dovecot.append("INBOX", phone_tap(edited))
    world.ok("mail", "sync")
    assert world.rows("SELECT count(*) FROM touch") == [(0,)]
    answer = world.server.wait_for_messages(2)[1]
    assert answer.rcpt_tos == ["alex@example.com"]
    assert "refused" in str(answer.message["Subject"])
    body = text_of(answer.message)
    assert "the button was changed before it was sent" in body
    assert "Send the button's message as it is, or reply to a recent digest with `done 2`" \
        in body
    status = world.ok("status")
    assert "refused:      command mail 'nudger: done 2'" in status
    assert "no token authorises this command (answered: sent)" in status

    # A reply to the digest: a call logged, and a verb nudger lacks.
    reply = EmailMessage()
    reply["From"] = "Alex Rivera <alex@example.com>"
    reply["To"] = "alex@example.com"
    reply["Subject"] = "Re: " + str(digest.message["Subject"])
    reply["In-Reply-To"] = str(digest.message["Message-ID"])
    reply["Message-ID"] = make_msgid(domain="example.com")
    quoted = "\n".join("> " + line for line in text.splitlines())
    reply.set_content(f"log 2 call spoke with the recruiter\ncalled 1 Dana\n\n"
                      f"Sent from my iPhone\n\nOn Mon, nudger wrote:\n{quoted}\n")
    dovecot.append("INBOX", AUTH.encode() + b"\r\n" + bytes(reply))
    world.ok("mail", "sync")
    assert world.rows("SELECT application_id, action, note FROM touch") == [
        (2, "call", "spoke with the recruiter")]
    third = text_of(world.server.wait_for_messages(3)[2].message)
    assert "#2: logged call on" in third
    assert "`called` is not a command; the commands: done ID" in third
    assert "log ID ACTION [note]" in third


# --- a handled reply leaves REPLIES, each change once (issue 21, item 7) -------------------

def test_a_reply_answered_by_a_tap_leaves_replies_and_is_recorded_once(
        world: World, dovecot: Any) -> None:
    world.extra_env["NUDGER_IMAP_PASSWORD"] = PASSWORD
    world.write_config(imap_table(dovecot))
    reply = EmailMessage()
    reply["From"] = "Dana Lee <dana@acme.example>"
    reply["To"] = "Alex Rivera <alex@example.com>"
    reply["Subject"] = "Re: Account Executive"
    reply["Date"] = format_datetime(__import__("datetime").datetime.now().astimezone())
    reply["Message-ID"] = make_msgid(domain="acme.example")
    reply.set_content("Hi Alex,\n\nCan we talk about the role next week?\n\nDana\n")
    dovecot.append("INBOX", bytes(reply))
    world.ok("mail", "sync")
    world.ok("digest", "--send")
    [digest] = world.server.wait_for_messages(1)
    text = text_of(digest.message)
    assert "REPLIES (1)" in text
    interviewing = button(text, "Dana Lee (Acme)", "Interviewing")

    dovecot.append("INBOX", phone_tap(interviewing))
    world.ok("mail", "sync")
    assert "#1 Acme is now interviewing" in text_of(world.server.wait_for_messages(2)[1].message)
    # The same change from the command line afterwards is the user's own business, but a
    # second tap of the button records nothing.
    dovecot.append("INBOX", phone_tap(interviewing))
    world.ok("mail", "sync")
    assert "already done" in text_of(world.server.wait_for_messages(3)[2].message)

    preview = world.ok("digest")
    assert "REPLIES" not in preview and "Resume" not in preview
    import json

    shown = json.loads(world.ok("show", "1", "--json"))
    stages = [e["text"] for e in shown["timeline"] if e["kind"] == "stage"]
    assert stages == ["stage → applied", "stage → interviewing (by mail)"]
