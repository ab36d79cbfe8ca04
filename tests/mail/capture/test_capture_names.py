"""Capture's general fixes of session 18's second round (issue 22: mail from senders nobody
tuned on), each on a made-up mail of its kind (none is a corpus family's template): a
company's name found short completed with the sector word the mail writes before it
("Conservas X, S.L.", "Cooperativa X"), and the words of a desk or a programme after a name
("X Early Careers", "X Recruiting Coordination", "the X family") cut from it; an
organisation in brackets after a person's sender name; a title's or a page's word before an
organisation's name ("Directrice de la Fromagerie X") cut from it; a deadline's date ("confirm
by Friday 20 November") is not the interview's day; a city's time read from the zone
database ("hora de Ciudad de México", "Nairobi time")."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from nudger.mail.capture.fuller import with_leading_word
from nudger.mail.capture.recognise import recognise_bytes
from tests.mail.capture.test_capture_unseen import mail

ZONE = ZoneInfo("Europe/Berlin")
SENT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(("sender", "body", "company"), [
    ("Lucía Ferrer <lucia.ferrer@valdemora.example>",
     "Hola Alex,\n\nGracias por tu candidatura al puesto de Técnico de Calidad. Nos gustaría "
     "invitarte a una entrevista el jueves.\n\nUn saludo,\nLucía Ferrer\nTécnica de "
     "Personas\nBodegas Valdemora, S.L.", "Bodegas Valdemora, S.L."),
    ("Jens Lindner <jens@lindner-kfz.example>",
     "Hallo Alex,\n\nvielen Dank für Ihre Bewerbung bei Autohaus Lindner als Kfz-"
     "Mechatroniker. Wir möchten Sie gern zu einem Vorstellungsgespräch einladen.\n\n"
     "Jens Lindner", "Autohaus Lindner"),
])
def test_a_short_name_gets_the_sector_word_the_mail_writes_before_it(
        sender: str, body: str, company: str) -> None:
    [finding] = recognise_bytes(mail(body, sender=sender, subject="Entrevista / Einladung"),
                                zone=ZONE)
    assert finding.company == company


def test_a_name_read_from_the_domain_gets_its_sector_word() -> None:
    signed = "Un saludo,\nLucía Ferrer\nBodegas Valdemora, S.L."
    assert with_leading_word("Valdemora, S.L.", signed) == "Bodegas Valdemora, S.L."
    assert with_leading_word("Ebro Sur", "Gracias de parte de Cooperativa Ebro Sur.") == \
        "Cooperativa Ebro Sur"
    assert with_leading_word("Lindner", "Autohaus Lindner, Ihr Partner") == "Autohaus Lindner"


def test_two_different_words_before_a_name_are_neither_part_of_it() -> None:
    text = "Hotel Miramar is on the coast; Grupo Miramar owns it."
    assert with_leading_word("Miramar", text) == "Miramar"
    assert with_leading_word("Miramar", "Nobody writes a word before it: Miramar.") == \
        "Miramar"
    # lower case is prose, not a name's first word
    assert with_leading_word("Miramar", "the hotel Miramar") == "Miramar"


@pytest.mark.parametrize("sender", [
    "Harlow Insurance Early Careers <earlycareers@harlowinsurance.example>",
    "Harlow Insurance Recruiting Coordination <interviews@harlowinsurance.example>",
])
def test_a_desk_or_programme_after_the_name_is_no_part_of_it(sender: str) -> None:
    body = ("Dear Alex,\n\nThank you for your application to our Graduate Programme. We "
            "have received it and will review it shortly.\n\nKind regards")
    [finding] = recognise_bytes(mail(body, sender=sender, subject="Application received"),
                                zone=ZONE)
    assert finding.kind == "application"
    assert finding.company == "Harlow Insurance"


def test_the_x_family_is_the_company_x() -> None:
    body = ("Hi Alex,\n\nThank you for your interest in joining the Greystone Care Homes "
            "family! We have received your application for Server.\n\nBest")
    [finding] = recognise_bytes(mail(body, sender="Greystone Care Homes <no-reply@greenhouse.io>",
                                     subject="Application received"), zone=ZONE)
    assert finding.company == "Greystone Care Homes"


@pytest.mark.parametrize(("sender", "company"), [
    ("Ines Varga (Lumen Robotics) <ines@lumenrobotics.example>", "Lumen Robotics"),
    ("Pau Serra (Serra Consulting) <pau@serra.example>", "Serra Consulting"),
])
def test_an_organisation_in_brackets_after_a_persons_name_is_the_employer(
        sender: str, company: str) -> None:
    body = ("Hi Alex,\n\nThanks for your application. Would you have time for a first "
            "interview on Thursday?\n\nBest,\nInes")
    [finding] = recognise_bytes(mail(body, sender=sender, subject="Quick chat"), zone=ZONE)
    assert finding.company == company


def test_a_place_in_brackets_after_a_persons_name_is_no_employer() -> None:
    from nudger.mail.capture.contact import persons_company
    from nudger.mail.capture.rules import default_rules
    assert persons_company("Dana Lee (Berlin)", default_rules()) == ""
    assert persons_company("Dana Lee (she/her)", default_rules()) == ""


@pytest.mark.parametrize(("read", "company"), [
    ("Directrice de la Fromagerie de Vaucelles", "Fromagerie de Vaucelles"),
    ("Novedades de Bodegas Ribalta", "Bodegas Ribalta"),
    ("Leiterin der Spedition Hartl GmbH", "Spedition Hartl GmbH"),
    ("News of Harlow Analytics Ltd", "Harlow Analytics Ltd"),
    # one name, kept whole: an organisation's word before "de", or only a legal form after
    ("Banco de Levante", "Banco de Levante"),
    ("Frutas del Turia S.A.", "Frutas del Turia S.A."),
    ("Friends of the Heath", "Friends of the Heath"),
])
def test_a_title_or_a_page_before_an_organisation_is_no_part_of_it(read: str,
                                                                  company: str) -> None:
    from nudger.mail.capture.fuller import after_a_title
    from nudger.mail.capture.rules import default_rules
    assert after_a_title(read, default_rules()) == company


@pytest.mark.parametrize(("text", "want"), [
    ("Date: Tuesday 24 November\nStart time: 14:00\nPlease confirm by Friday 20 November.",
     datetime(2026, 11, 24, 13, 0, tzinfo=UTC)),
    ("Termin: Dienstag, 24. November\nUhrzeit: 14:00 Uhr\nBitte sagen Sie bis zum 20. "
     "November zu.", datetime(2026, 11, 24, 13, 0, tzinfo=UTC)),
    ("Date : mardi 24 novembre\nHeure : 14h00\nMerci de confirmer avant le 20 novembre.",
     datetime(2026, 11, 24, 13, 0, tzinfo=UTC)),
    ("Fecha: martes 24 de noviembre\nHora: 14:00\nConfirma tu asistencia antes del 20 de "
     "noviembre.", datetime(2026, 11, 24, 13, 0, tzinfo=UTC)),
])
def test_a_deadline_to_reply_by_is_not_the_interviews_day(text: str, want: datetime) -> None:
    from nudger.mail.capture.interview_time import interview_moment
    moment = interview_moment(text, SENT, ZONE)
    assert moment is not None and moment.at == want and not moment.zoned



@pytest.mark.parametrize("legal", ["Sàrl", "Sarl", "GbR"])
def test_a_free_mail_signed_with_a_small_firms_legal_form_names_it(legal: str) -> None:
    body = ("Bonjour Monsieur Rivera,\n\nVotre candidature m'intéresse. Je vous propose un "
            "entretien le mercredi 18 novembre à 10h00 à l'atelier.\n\nMeilleures "
            f"salutations\nJ. Favre\nFavre & Fils {legal}")
    [finding] = recognise_bytes(mail(body, sender="Jean Favre <j.favre@bluewin.ch>",
                                     subject="Entretien"), zone=ZONE)
    assert finding.kind == "interview"
    assert finding.company == f"Favre & Fils {legal}"


@pytest.mark.parametrize(("signature", "company"), [
    ("Mira Stein\nHead of Product | Quellwerk (Series A)\nquellwerk.example", "Quellwerk"),
    ("Mira Stein\nMitgründerin, Quellwerk", "Quellwerk"),
    ("Mira Stein\nCEO, Quellwerk Labs (YC S25)", "Quellwerk Labs"),
])
def test_a_free_mail_founder_signs_with_the_firm(signature: str, company: str) -> None:
    body = ("Hi Alex,\n\nThanks for applying for the backend role. Could we do a quick "
            f"interview call on Thursday?\n\nMira\n--\n{signature}")
    [finding] = recognise_bytes(mail(body, sender="Mira Stein <mira.stein@gmail.com>",
                                     subject="quick chat?"), zone=ZONE)
    assert finding.company == company


@pytest.mark.parametrize("signature", [
    "Mira Stein\nSenior Recruiter, Quellwerk Search",      # an agency's title, not the firm's
    "Mira Stein\nlinkedin.com/in/mirastein\nLinkedIn",      # a profile's site is no employer
])
def test_a_free_mail_signature_names_no_employer_otherwise(signature: str) -> None:
    from nudger.mail.capture.fuller import signed_with_website
    from nudger.mail.capture.rules import default_rules
    from nudger.mail.capture.view import view_headers
    view = view_headers(mail(f"Hi Alex,\n\nMira\n--\n{signature}",
                             sender="Mira Stein <mira.stein@gmail.com>", subject="hi"))
    assert signed_with_website(view, f"Hi Alex,\nMira\n--\n{signature}", default_rules(),
                               lambda text, rules: text) == ""


@pytest.mark.parametrize(("text", "want"), [
    ("el jueves 12 de noviembre a las 10:00 (hora de Ciudad de México)",
     datetime(2026, 11, 12, 16, 0, tzinfo=UTC)),
    ("jeudi 12 novembre à 10h, heure de Casablanca", datetime(2026, 11, 12, 9, 0, tzinfo=UTC)),
    ("Thursday 12 November at 10:00 Nairobi time", datetime(2026, 11, 12, 7, 0, tzinfo=UTC)),
    ("Donnerstag, 12. November um 10:00 Uhr Wien Zeit",
     datetime(2026, 11, 12, 9, 0, tzinfo=UTC)),
])
def test_a_citys_time_is_read_from_the_zone_database(text: str, want: datetime) -> None:
    from nudger.mail.capture.interview_time import interview_moment
    moment = interview_moment(text, SENT, ZONE)
    assert moment is not None and moment.at == want and moment.zoned


def test_a_place_the_zone_database_does_not_know_leaves_the_users_zone() -> None:
    from nudger.mail.capture.interview_time import interview_moment
    moment = interview_moment("Thursday 12 November at 10:00 Lunch time", SENT, ZONE)
    assert moment is not None and not moment.zoned
    assert moment.at == datetime(2026, 11, 12, 9, 0, tzinfo=UTC)
