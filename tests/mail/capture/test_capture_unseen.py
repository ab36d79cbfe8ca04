"""Capture's general mechanisms of session 18 (issue 22: mail from senders nobody tuned
on), each on a made-up mail of its kind (none is a corpus family's template): a person's
invitation that names no job word, read by the word model alone when it reads as nothing
but an invitation (and the raw pre-filter letting it through); the employer a platform's
message names beside a person or leading its subject, when the sender is the platform."""

from __future__ import annotations

from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest

from nudger.mail.capture.findings import WORDS_LEAD, sure_reading
from nudger.mail.capture.prefilter import peek
from nudger.mail.capture.recognise import recognise_bytes
from nudger.mail.capture.rules import default_rules
from nudger.mail.capture.wordmodel import train

ZONE = ZoneInfo("Europe/Berlin")


def mail(body: str, *, sender: str, subject: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "Alex Rivera <alex@example.com>"
    msg["Subject"] = subject
    msg["Date"] = "Tue, 06 Oct 2026 09:30:00 +0200"
    msg["Message-ID"] = "<unseen-test@example.net>"
    msg.set_content(body)
    return msg.as_bytes()


# --- a person's invitation with no job word --------------------------------------------

INVITATIONS = [
    ("Jo Marsh <jo.marsh@harbourlight.example>", "Thursday?",
     "Hi Alex,\n\nReally enjoyed your portfolio. Would you be free for a 30-minute video "
     "call on Thursday 15 October at 3pm with me and our CTO? I'll send a Zoom link.\n\n"
     "Best,\nJo\nHarbourlight Studio"),
    ("Anke Brügge <a.bruegge@bruegge-holzbau.example>", "Vorbeikommen",
     "Hallo Herr Rivera,\n\nkönnen Sie am Mittwoch, 14.10., gegen 16 Uhr bei uns in der "
     "Werkstatt vorbeikommen? Dann können wir uns in Ruhe unterhalten und ich zeige Ihnen "
     "alles.\n\nGruß\nAnke Brügge\nBrügge Holzbau"),
]


@pytest.mark.parametrize(("sender", "subject", "body"), INVITATIONS)
def test_a_persons_invitation_without_a_job_word_is_read(sender: str, subject: str,
                                                          body: str) -> None:
    raw = mail(body, sender=sender, subject=subject)
    rules = default_rules()
    assert not rules.mentions_job(body)  # no [candidate] body word: the old gate's miss
    assert peek(raw, rules)[1]
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert finding.kind == "interview"
    assert finding.interview_at is not None
    assert "its words read as interview" in finding.why


@pytest.mark.parametrize(("sender", "subject", "body"), [
    # a friend's plans, a refusal that is no job's (a club): the word model's reading alone
    # opens the gate only for an invitation it is all but sure of
    ("Sam <sam.okafor@example.org>", "weekend", "Are we still on for Saturday? Bring the "
     "salad, I'll do the rest. Sam"),
    ("Vorstand TC Rotweiß <vorstand@tc-rotweiss.example>", "Ihr Antrag",
     "Sehr geehrte Frau Rivera,\n\nleider können wir Sie in dieser Saison nicht als "
     "Mitglied aufnehmen; wir haben Sie auf die Warteliste gesetzt.\n\nDer Vorstand"),
])
def test_a_persons_other_mail_stays_unread(sender: str, subject: str, body: str) -> None:
    raw = mail(body, sender=sender, subject=subject)
    assert recognise_bytes(raw, zone=ZONE) == []


def test_only_an_invitation_read_far_beyond_not_job_mail_is_sure() -> None:
    model = train([
        ("a", "interview", "would you be free for a call on thursday at 3pm with our cto"),
        ("b", "interview", "can you come by on wednesday at 4pm so we can talk"),
        ("a", "rejection", "we regret that we will not take this further"),
        ("b", "rejection", "we regret to tell you that we chose someone else"),
        ("a", "application", "thank you for sending your documents we received them"),
        ("b", "application", "thank you we received your documents"),
        ("a", "not-job", "are we still on for saturday bring the salad"),
        ("b", "not-job", "your order has shipped and is on its way"),
    ])
    kind, lead = model.lead("would you be free for a call on thursday at 3pm")
    assert kind == "interview" and lead > 0
    assert model.lead("are we still on for saturday")[1] < 0
    rules = default_rules()
    assert sure_reading("are we still on for saturday? bring the salad", rules) == ""
    # a refusal's words are every refusal's: never sure enough to open the gate alone
    assert sure_reading("We regret that we cannot offer you a place. We decided to go "
                        "with someone else this time.", rules) == ""
    assert WORDS_LEAD > 0


# --- the employer a platform's message names --------------------------------------------

@pytest.mark.parametrize(("sender", "subject", "body", "company"), [
    ("hubly <notifications@hubly.example>", "New message on hubly",
     "Tom Fairley (CTO, Lindenfeld Robotics) sent you a message on hubly:\n\"Hi Alex, "
     "would you be up for a 30 min interview this week?\"\nReply on hubly",
     "Lindenfeld Robotics"),
    ("Pickwork <no-reply@pickwork.example>", "Sara booked an interview with you",
     "Sara Lind from Quinta Verde Hotels booked a video interview with you on Thu 22 Oct, "
     "12:30 (CET). Join via the link in your Pickwork inbox.", "Quinta Verde Hotels"),
    ("Empleoya <no-reply@empleoya.example>", "Bodegas Arlanza quiere conocerte",
     "Hola Alex,\n\nBodegas Arlanza quiere hacer una entrevista contigo el jueves 22 de "
     "octubre a las 10:00.\n\nEl equipo de Empleoya", "Bodegas Arlanza"),
])
def test_a_platform_names_the_employer_beside_a_person(sender: str, subject: str, body: str,
                                                        company: str) -> None:
    [finding] = recognise_bytes(mail(body, sender=sender, subject=subject), zone=ZONE)
    assert finding.kind == "interview"
    assert finding.company == company


def test_a_title_a_building_or_a_meeting_is_no_employer_beside_a_person() -> None:
    raw = mail("Hi Alex,\n\nMaya Holt (HR Business Partner) invites you to an interview at "
               "the Kestrel Training Centre on Thursday 22 October at 10:00.\n\nPickwork",
               sender="Pickwork <no-reply@pickwork.example>", subject="Interview invitation")
    found = recognise_bytes(raw, zone=ZONE)
    assert all(f.company not in ("HR Business Partner", "Kestrel Training Centre")
               for f in found)
