"""Capture's general fixes of session 19, each on a made-up mail of its kind (none is a
corpus family's template): an organisation writing through a platform that sends from its
own domain ("X via Platform"), named by its shape or its words; a recruitment agency's own
name (its sender name's agency word) never taken for the employer its mail names; a
free-mail sender whose address names the firm the mail spells."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from nudger.mail.capture.recognise import recognise_bytes
from tests.mail.capture.test_capture_unseen import mail

ZONE = ZoneInfo("Europe/Berlin")

REFUSAL = ("Dear Alex,\n\nThank you for your interest in the Planning Officer role. After "
           "careful consideration we have decided not to proceed with your application.\n\n"
           "Kind regards")


@pytest.mark.parametrize(("name", "company"), [
    ("Borough of Ashcombe", "Borough of Ashcombe"),            # "of": a body's name
    ("Harbourside Community Trust", "Harbourside Community Trust"),  # three words
    ("Lowfield Mutual", "Lowfield Mutual"),                    # a mutual's word
    ("Greystone Payments", "Greystone Payments"),              # a sector's word
])
def test_an_organisation_via_a_platform_on_its_own_domain(name: str, company: str) -> None:
    raw = mail(REFUSAL, sender=f"{name} via Hirepath <noreply@hirepath.example>",
               subject="Your application")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert (finding.kind, finding.company) == ("rejection", company)
    assert "sender's name" in finding.why


def test_a_person_via_a_platform_is_no_employer() -> None:
    """Two words with no organisation word: a recruiter's own name, never the company."""
    raw = mail(REFUSAL, sender="Lena Ortiz via Hirepath <noreply@hirepath.example>",
               subject="Your application")
    assert all(f.company != "Lena Ortiz" for f in recognise_bytes(raw, zone=ZONE))


def test_a_name_via_a_platform_on_another_domain_wants_an_organisation_word() -> None:
    """The shape alone counts only on the platform's own domain."""
    raw = mail(REFUSAL, sender="Borough of Ashcombe via Hirepath <noreply@mailer.example>",
               subject="Your application")
    assert all(f.company != "Borough of Ashcombe" for f in recognise_bytes(raw, zone=ZONE))


@pytest.mark.parametrize(("sender", "subject", "body", "company"), [
    ("Marsh Lane Recruitment <consultants@marshlane.example>",
     "Interview confirmed - Kestrel Payments Data Engineer interview",
     "Hi Alex,\n\nThanks for picking a slot: you're confirmed for an interview on Monday 9 "
     "November at 14:00 CET.\n\nJo Price\nSenior Consultant | Marsh Lane Recruitment",
     "Kestrel Payments"),
    ("Levante Selección <procesos@levanteseleccion.example>",
     "Tu proceso ha finalizado",
     "Hola Alex,\n\nTe escribimos para informarte de que el proceso de selección ha "
     "finalizado y, en esta ocasión, no continuarás en él. Gracias por confiar en "
     "Construcciones Albarda.\n\nMarta Gil\nConsultora | Levante Selección",
     "Construcciones Albarda"),
])
def test_an_agency_known_by_its_name_names_the_client(sender: str, subject: str, body: str,
                                                      company: str) -> None:
    """An agency's sender name ends with its trade's word; its mail names the client as an
    organisation (an organisation's word or a legal form), never the agency itself."""
    [finding] = recognise_bytes(mail(body, sender=sender, subject=subject), zone=ZONE)
    assert finding.company == company
    assert "agency's client" in finding.why


def test_an_employers_recruitment_desk_is_no_agency() -> None:
    """"Ashgrove Hotels Recruitment": the name without the desk's word is an organisation's,
    so the organisation its mail mentions is not taken for a client."""
    body = ("Hi Alex,\n\nThanks for picking a slot: you're confirmed for an interview on "
            "Monday 9 November at 14:00 CET. Parking: Harbour Logistics Group car park, "
            "free.\n\nJo Price\nAshgrove Hotels Recruitment")
    [finding] = recognise_bytes(mail(body, sender="Ashgrove Hotels Recruitment "
                                           "<recruitment@ashgrovehotels.example>",
                                     subject="Interview confirmed"), zone=ZONE)
    assert finding.company == "Ashgrove Hotels"


@pytest.mark.parametrize(("sender", "body", "company"), [
    # the firm after the holder's name, the text not naming it
    ("Rosa Brandt <rosa.lindgarden@gmail.com>",
     "Hi Alex,\n\nUnfortunately we have decided not to proceed with your application. "
     "Ben and I enjoyed meeting you.\n\nRosa", "Lindgarden"),
    # spelt as the text spells it
    ("Marta Sanz <marta.cerveceriadelpuerto@gmail.com>",
     "Hola Alex,\n\nLamentablemente hemos decidido seguir con otro candidato para tu "
     "candidatura.\n\nUn saludo del equipo de Cervecería del Puerto", "Cervecería del Puerto"),
    # a trade's word, then the owner's name: the firm is both ("Elektro Wiegand")
    ("Karl Haupt <schreinerei.haupt@web.de>",
     "Hallo Herr Rivera,\n\nleider muss ich Ihnen absagen, wir haben uns für einen anderen "
     "Bewerber entschieden.\n\nKarl Haupt", "Schreinerei Haupt"),
])
def test_a_free_mail_address_names_the_firm(sender: str, body: str, company: str) -> None:
    [finding] = recognise_bytes(mail(body, sender=sender, subject="Your application"),
                                zone=ZONE)
    assert (finding.kind, finding.company) == ("rejection", company)
    assert "sender's address" in finding.why


@pytest.mark.parametrize("sender", [
    "Bob Kaminski <bkaminski.staffing@aol.com>",      # an initial and a name, a desk
    "Lucía Ruiz <luciaruiz.talent@outlook.es>",       # the names run together
    "Catherine Aubry <cath.aubry.rh@orange.fr>",      # a name cut short
    "Jürgen Pohl <j.pohl-personalberatung@t-online.de>",
])
def test_a_persons_own_address_names_no_firm(sender: str) -> None:
    body = ("Hi Alex,\n\nUnfortunately we have decided not to proceed with your "
            "application.\n\nBest")
    found = recognise_bytes(mail(body, sender=sender, subject="Your application"), zone=ZONE)
    assert not any("sender's address" in f.why for f in found)


def test_a_platforms_note_after_its_name_is_no_part_of_it() -> None:
    """"X via Jobwell (board)" from jobwell's own domain: the platform is still its own."""
    raw = mail(REFUSAL, sender="Harbourside Community Trust via Jobwell (board) "
                               "<avisos@jobwell.example>", subject="Your application")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert finding.company == "Harbourside Community Trust"


@pytest.mark.parametrize(("subject", "body"), [
    ("Residencia Lavanda: siguiente paso en tu proceso",
     "Hola Alex,\n\nComo siguiente paso, te invitamos a grabar una videoentrevista de tres "
     "preguntas.\n\nResidencia Lavanda"),
    ("Your recruitment process",
     "Hi Alex,\n\nAs a next step, please record a short one-way video interview this "
     "week.\n\nThe Lindqvist Trust"),
])
def test_a_recorded_video_interview_from_a_notices_address(subject: str, body: str) -> None:
    """A notices address (avisos@, no job word in its subject but the process) inviting to
    a one-way video interview: an interview, read though the address is a shop's kind."""
    raw = mail(body, sender="Residencia Lavanda via Jobwell <avisos@jobwell.example>",
               subject=subject)
    assert [f.kind for f in recognise_bytes(raw, zone=ZONE)] == ["interview"]


@pytest.mark.parametrize(("address", "company"), [
    ("lucia@bodegasmontenegro.example", "Bodegas Montenegro"),   # a sector's word leads
    ("lucia@conservasribera.example", "Conservas Ribera"),
    ("lucia@tesseralabs.example", "Tessera Labs"),               # an organisation word ends
])
def test_a_run_together_domain_is_parted_at_a_sector_word(address: str, company: str) -> None:
    body = ("Hola Alex:\n\nNos gustaría mantener una primera entrevista contigo por Teams el "
            "jueves 22 de octubre a las 10:00.\n\nUn saludo,\nLucía")
    raw = mail(body, sender=f"Lucía Prado <{address}>", subject="Entrevista")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert (finding.kind, finding.company) == ("interview", company)


def test_a_sentences_leading_preposition_is_no_part_of_the_name() -> None:
    """"En Conservas Ribera S.L. queremos…" read as a name: the preposition cut."""
    body = ("Hola Alex:\n\nEn Conservas Ribera S.L. queremos invitarte a una entrevista el "
            "jueves 22 de octubre a las 10:00.\n\nUn saludo,\nLucía")
    raw = mail(body, sender="Lucía Prado <lucia.prado@gmail.com>", subject="Entrevista")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert finding.company == "Conservas Ribera S.L."


@pytest.mark.parametrize("subject", [
    "Terminvorschlag Kennenlerngespräch Brenntal Kliniken gGmbH",
    "Einladung Vorstellungsgespräch Brenntal Kliniken gGmbH",
])
def test_a_subjects_meeting_words_before_the_name_are_no_part_of_it(subject: str) -> None:
    body = ("Guten Tag Herr Rivera,\n\ngerne laden wir Sie zu einem Kennenlerngespräch am "
            "Dienstag, 10. November um 14:00 Uhr ein.\n\nMit freundlichen Grüßen\nJana Roth")
    raw = mail(body, sender="Jana Roth <jana.roth@brenntal-kliniken.example>", subject=subject)
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert finding.company == "Brenntal Kliniken gGmbH"
