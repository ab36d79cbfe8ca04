"""Capture's general mechanisms of session 18 (issue 22: mail from senders nobody tuned
on), each on a made-up mail of its kind (none is a corpus family's template): a person's
invitation that names no job word, read by the word model alone when it reads as nothing
but an invitation (and the raw pre-filter letting it through); the employer a platform's
message names beside a person or leading its subject, when the sender is the platform;
interview times as people state them (a zone by country, "your time", the date and the time
in different sentences, Spanish "a las 11")."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest

from nudger.mail.capture.findings import WORDS_LEAD, sure_reading
from nudger.mail.capture.interview_time import interview_moment
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
        ("b", "interview", "would you be free to come by for a call on wednesday at 4pm"),
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
    # a pre-filter's first look: the words that most read as an invitation, not as not-job
    assert model.cues(("interview",), count=3) == {b"would", b"free", b"call"}
    assert b"regret" in model.cues(("rejection",))


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


# --- interview times as people state them ------------------------------------------------

SENT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(("text", "at", "zoned"), [
    # "your time" is the user's zone, stated
    ("Could we talk at 3pm your time on Tuesday 3 November?",
     datetime(2026, 11, 3, 14, 0, tzinfo=UTC), True),
    ("¿Te va bien el jueves 5 de noviembre a las 17:00, tu hora?",
     datetime(2026, 11, 5, 16, 0, tzinfo=UTC), True),
    # a country's time, also with its abbreviation after it
    ("Your call: 12.11.2026 at 09.30 (Swedish time, CET), Teams.",
     datetime(2026, 11, 12, 8, 30, tzinfo=UTC), True),
    ("on Thursday 12 November 2026, starting at 09:30 (UK time)",
     datetime(2026, 11, 12, 9, 30, tzinfo=UTC), True),
    ("el martes 10 de noviembre a las 16 hs de Chile",
     datetime(2026, 11, 10, 19, 0, tzinfo=UTC), True),
    # Spanish says the hour with its article; English "o'clock"; "Weds"
    ("¿Puedes pasarte el jueves 12 de noviembre a las 11 por la oficina?",
     datetime(2026, 11, 12, 10, 0, tzinfo=UTC), False),
    ("Could you come by Weds 11th at 10 o'clock?",
     datetime(2026, 11, 11, 9, 0, tzinfo=UTC), False),
    # the date and the time stated apart, each once
    ("Assessments are held on Friday 13 November at our Leeds office. Your slot: 14:30 - "
     "15:30.", datetime(2026, 11, 13, 13, 30, tzinfo=UTC), False),
    ("The onsite loop is on Tuesday November 10. Sessions start around 9:00 Pacific time.",
     datetime(2026, 11, 10, 17, 0, tzinfo=UTC), True),
])
def test_an_interview_time_as_people_state_it(text: str, at: datetime, zoned: bool) -> None:
    moment = interview_moment(text, SENT, ZONE)
    assert moment is not None, text
    assert (moment.at, moment.zoned) == (at, zoned)


@pytest.mark.parametrize("text", [
    "Interviews run on 13 November. Slots at 10:00 and at 14:00 are free.",
    "We meet on 13 November or on 20 November; the call starts at 10:00.",
    "Please send the invoice of €10.50 by 13 November.",
])
def test_a_date_and_a_time_apart_are_read_only_when_each_is_one(text: str) -> None:
    assert interview_moment(text, SENT, ZONE) is None


@pytest.mark.parametrize(("sender", "subject", "body", "company"), [
    # a card's labelled line
    ("Contractly <no-reply@contractly.example>", "Contractly: application confirmation",
     "Your application for the job below has been forwarded to the advertiser.\n\n"
     "Data Platform Engineer\nLocation: Bristol\nAdvertiser: Wrenfield Digital Ltd\n\n"
     "Contractly", "Wrenfield Digital Ltd"),
    # a card whose company line uses a bullet
    ("Hirewell <no-reply@hirewell.example>", "You applied for Site Manager",
     "Application sent\n\nSite Manager\nCorran & Pike Builders • Leeds\n\nYour application "
     "has been sent to the recruiter.", "Corran & Pike Builders"),
    # an organisation's name leading a line of the text
    ("Freelancia <notifications@freelancia.example>", "Nouvelle proposition de projet",
     "Bonjour Alex,\n\nAtelier Morvan & Fils vous a envoyé une proposition de projet. Le "
     "client souhaite organiser un entretien avec vous.\n\nL'équipe Freelancia",
     "Atelier Morvan & Fils"),
])
def test_a_platform_names_the_employer_on_its_card(sender: str, subject: str, body: str,
                                                    company: str) -> None:
    [finding] = recognise_bytes(mail(body, sender=sender, subject=subject), zone=ZONE)
    assert finding.company == company


def test_a_place_in_brackets_then_prose_is_no_part_of_the_name() -> None:
    raw = mail("Hola Alex,\n\nTu candidatura para la oferta Camarero/a de sala en Hotel "
               "Miramar Azul (Menorca) se ha enviado correctamente.\n\nEquipo Hostelia",
               sender="Hostelia <no-reply@hostelia.example>",
               subject="Candidatura enviada: Camarero/a de sala")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert finding.company == "Hotel Miramar Azul"


def test_a_platforms_refusal_without_a_job_word_is_read() -> None:
    raw = mail("Hi Alex,\n\nThanks again for walking us through your work on Friday - we "
               "really enjoyed it. This was a hard call, but we've decided to go with another "
               "designer whose experience is closer to what our projects need right now.\n\n"
               "We'd love to keep in touch.\n\nNina & the Harlow Studio crew",
               sender="Harlow Studio <no-reply@hire.pickwork.example>",
               subject="Harlow Studio - Motion Designer")
    rules = default_rules()
    assert peek(raw, rules)[1]
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert (finding.kind, finding.company) == ("rejection", "Harlow Studio")


def test_a_shops_regret_stays_unread() -> None:
    raw = mail("Hello Alex,\n\nWe regret to tell you that your order 44812 was cancelled: the "
               "item is no longer available. Your refund is on its way.\n\nThe Nimbus team",
               sender="Nimbus <no-reply@nimbus-shop.example>", subject="Order 44812 cancelled")
    assert recognise_bytes(raw, zone=ZONE) == []


@pytest.mark.parametrize(("subject", "company"), [
    # the subject writes the short name whole
    ("Termin Lindholm Feinmechanik", "Lindholm Feinmechanik"),
    # … but a kind, a stage or a day after it is the mail's business
    ("Lindholm Rückmeldung", "Lindholm"),
    ("Lindholm Final Round", "Lindholm"),
])
def test_a_short_name_completed_as_the_subject_writes_it(subject: str, company: str) -> None:
    raw = mail("Hallo Herr Rivera,\n\ngute Nachrichten: Lindholm möchte Sie kennenlernen. Das "
               "Gespräch findet am Dienstag, 10. November, um 10:00 Uhr statt.\n\nBeste Grüße\n"
               "Petra Vogel", sender="Petra Vogel <p.vogel.personal@gmx.de>", subject=subject)
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert finding.company == company
