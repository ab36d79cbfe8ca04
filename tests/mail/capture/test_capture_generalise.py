"""Capture's general fixes of session 16, each on a made-up mail of its kind (none is a
corpus family's template): the employer a recruitment agency or a job board names (its
client, the CV put forward, the listing "Role de Company (Place)", who a mail is sent on
behalf of, the recruiter writing from a company), a person writing through a hiring
system's address (their organisation in brackets or under their signature), a relaying
ATS's sender who is a person, the legal forms of more countries, the words around a name
(an elided article, a subject's kind word, "last Friday"), and interview times in the
zones of more places ("SGT", "Singapore time", "hora del centro de México")."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest

from nudger.mail.capture.evaluate import normal_company
from nudger.mail.capture.interview_time import interview_moment
from nudger.mail.capture.recognise import recognise_bytes

ZONE = ZoneInfo("Europe/Berlin")
SENT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def mail(body: str, *, sender: str, subject: str, headers: dict[str, str] | None = None
         ) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "Alex Rivera <alex@example.com>"
    msg["Subject"] = subject
    msg["Date"] = "Tue, 06 Oct 2026 09:30:00 +0200"
    msg["Message-ID"] = "<generalise-test@example.net>"
    for key, value in (headers or {}).items():
        msg[key] = value
    msg.set_content(body)
    return msg.as_bytes()


@pytest.mark.parametrize(("body", "company"), [
    ("Hi Alex,\n\nThanks for applying. The role is with our client, Kestrel Analytics, in "
     "Leeds. I'll be in touch.\n\nSam", "Kestrel Analytics"),
    ("Sehr geehrte Frau Rivera,\n\nvielen Dank für Ihre Bewerbung als Controller für "
     "unseren Kunden, die Nordwind Logistik GmbH. Wir melden uns.\n\nIhr Team",
     "Nordwind Logistik GmbH"),
    ("Hi Alex,\n\nAs discussed, I've put your CV forward to Brightmoor Foods Ltd for the "
     "Analyst role.\n\nSam", "Brightmoor Foods Ltd"),
    ("Hola Alex,\n\nTe escribo desde Sistemas Levante por tu candidatura a Analista: nos "
     "gustaría invitarte a una entrevista.\n\nMarta", "Sistemas Levante"),
])
def test_an_agency_names_its_client(body: str, company: str) -> None:
    raw = mail(body, sender="Sam Hart <sam.hart@talentbridge.example>",
               subject="Your application")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert finding.company == company


@pytest.mark.parametrize(("body", "company", "role"), [
    ("Hola Alex,\n\nTe has inscrito en la oferta Técnico de nóminas de Asesoría Prado S.L. "
     "(Burgos).\n\nEl equipo", "Asesoría Prado S.L.", "Técnico de nóminas"),
    ("Bonjour Alex,\n\nVotre candidature au poste Assistant RH chez Clinique des Lilas "
     "(Nantes) a bien été transmise.\n", "Clinique des Lilas", "Assistant RH"),
])
def test_a_boards_own_notice_names_the_job_and_its_employer(body: str, company: str,
                                                            role: str) -> None:
    raw = mail(body, sender="Empleado <noreply@infojobs.net>", subject="Candidatura")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert finding.company == company
    assert finding.role in (role, "")  # the role when the notice's phrase gives it


def test_an_employers_listing_with_de_is_not_read_as_a_board_notice() -> None:
    """"puesto de Analista de Riesgo (Madrid)" from the employer: "Riesgo" is no employer."""
    raw = mail("Estimado/a:\n\nHemos recibido su candidatura a la oferta Analista de Riesgo "
               "(Madrid).\n\nAtentamente,\nBanco Mirador, S.A.",
               sender="Banco Mirador <empleo@bancomirador.example>",
               subject="Confirmación de candidatura")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert finding.company == "Banco Mirador, S.A."


@pytest.mark.parametrize(("sender", "body", "company"), [
    ("Jo Park (Cobalt Works) via Handshake <noreply@mail.joinhandshake.com>",
     "Hi Alex,\n\nWe'd like to invite you to a first-round interview.\n\nJo Park",
     "Cobalt Works"),
    ("Claire Moreau <reponse-12ab@reply.hellowork.com>",
     "Bonjour Alex,\n\nJe souhaiterais échanger avec vous par téléphone pour un entretien."
     "\n\nClaire Moreau\nChargée de recrutement\nGroupe Lavande SA", "Groupe Lavande SA"),
])
def test_a_person_writing_through_a_hiring_system_names_their_organisation(
        sender: str, body: str, company: str) -> None:
    raw = mail(body, sender=sender, subject="Interview")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert finding.company == company


def test_a_person_sending_through_a_relaying_ats_is_not_the_company() -> None:
    """Gem-like relays send as the recruiter at the employer's domain: the recruiter's
    name is no company; the employer's signature or domain is."""
    raw = mail("Hi Alex,\n\nThanks for applying, we have received your application and will "
               "review it this week.\n\nMaya Stern\nTalent, Brightline Robotics",
               sender="Maya Stern <maya.stern@brightline-robotics.example>",
               subject="Your application",
               headers={"Return-Path": "<bounce@o1.outbound.gem.com>"})
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert finding.source == "Gem"
    assert finding.company == "Brightline Robotics"


@pytest.mark.parametrize(("written", "company"), [
    ("Hi Alex,\n\nThank you for applying to Zenith Power Pvt. Ltd. We will review it.",
     "Zenith Power Pvt. Ltd."),
    ("Bonjour Alex,\n\nMerci pour votre candidature chez l'Imprimerie Morand. Nous "
     "l'étudions.", "Imprimerie Morand"),
])
def test_the_name_without_the_words_around_it(written: str, company: str) -> None:
    raw = mail(written, sender="Jobbly <noreply@jobbly.example>", subject="Application")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert finding.company == company


def test_legal_forms_of_more_countries_are_normalised() -> None:
    assert normal_company("Zenith Power Pvt. Ltd.") == "zenith power"
    assert normal_company("Marinex Shipping Pte. Ltd.") == "marinex shipping"
    assert normal_company("Pelangi Foods Sdn Bhd") == "pelangi foods"
    assert normal_company("Distribuidora Cárdenas S.A. de C.V.") == "distribuidora cardenas"


@pytest.mark.parametrize(("text", "at"), [
    ("Date: Friday, 11 December 2026\nTime: 3:00 PM SGT", datetime(2026, 12, 11, 7, 0,
                                                                   tzinfo=UTC)),
    ("on Wednesday 2 December at 4pm Singapore time", datetime(2026, 12, 2, 8, 0, tzinfo=UTC)),
    ("on Wednesday, 9th December at 4 PM IST", datetime(2026, 12, 9, 10, 30, tzinfo=UTC)),
    ("Fecha: jueves 10 de diciembre\nHora: 10:00 a. m. (hora del centro de México)",
     datetime(2026, 12, 10, 16, 0, tzinfo=UTC)),
    ("el viernes 4 de diciembre a las 3:00 p.m. hora Colombia",
     datetime(2026, 12, 4, 20, 0, tzinfo=UTC)),
    # "Eastern European" is not the US's "Eastern"; the Canaries are an hour behind Madrid
    ("10 December 2026 at 11:00 Eastern European Time", datetime(2026, 12, 10, 9, 0,
                                                                 tzinfo=UTC)),
    ("10 de diciembre, 11:00 (hora de Canarias)", datetime(2026, 12, 10, 11, 0, tzinfo=UTC)),
    # a range's one "pm" is its start's too
    ("Thursday, 10 December · 2:00 – 2:30pm GMT", datetime(2026, 12, 10, 14, 0, tzinfo=UTC)),
    # the zone on a line of its own, as calendars write it
    ("Thursday, December 10 · 11:00am – 11:30am\nTime zone: America/New_York",
     datetime(2026, 12, 10, 16, 0, tzinfo=UTC)),
    # Outlook's zone names show the standard offset; the place keeps summer time
    ("Tuesday, 6 April 2027 10:00 - 11:00 (UTC+00:00) Dublin, Edinburgh, Lisbon, London",
     datetime(2027, 4, 6, 9, 0, tzinfo=UTC)),
    ("Thursday, 10 December 2026 14:00-15:00 (UTC+01:00) Amsterdam, Berlin, Bern, Rome, "
     "Stockholm, Vienna", datetime(2026, 12, 10, 13, 0, tzinfo=UTC)),
    # a bare hour with "hs" (the Americas)
    ("el jueves 10/12 a las 10 hs (hora de Argentina)", datetime(2026, 12, 10, 13, 0,
                                                                 tzinfo=UTC)),
])
def test_an_interview_time_in_the_zones_of_more_places(text: str, at: datetime) -> None:
    moment = interview_moment(text, SENT, ZONE)
    assert moment is not None and (moment.at, moment.zoned) == (at, True)


@pytest.mark.parametrize(("text", "at"), [
    ("Pourriez-vous passer mardi 8 décembre vers 14h ?", datetime(2026, 12, 8, 13, 0,
                                                                 tzinfo=UTC)),
    ("op donderdag 10 december om 13:00 uur", datetime(2026, 12, 10, 12, 0, tzinfo=UTC)),
])
def test_an_approximate_time_is_the_time(text: str, at: datetime) -> None:
    moment = interview_moment(text, SENT, ZONE)
    assert moment is not None and (moment.at, moment.zoned) == (at, False)


@pytest.mark.parametrize("body", [
    "Hi Alex,\n\nThank you for applying for the Analyst role at Brightmoor Foods. Shortlisted "
    "candidates will be contacted for the next round.\n",
    "Hi Alex,\n\nWe've sent your application to Brightmoor Foods. If they want to take things "
    "further, they'll message you here.\n",
    "Hallo Alex,\n\nvielen Dank für Ihre Bewerbung bei Brightmoor Foods. Falls wir Sie zu einem "
    "Vorstellungsgespräch einladen möchten, melden wir uns.\n",
])
def test_an_acknowledgements_condition_is_not_what_happened(body: str) -> None:
    """"If they want to take things further", "shortlisted candidates … next round": an
    application's acknowledgement saying what may come is still an application."""
    raw = mail(body, sender="Jobbly <noreply@jobbly.example>", subject="Application")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert finding.kind == "application"


def test_a_rejection_without_an_acknowledgement_is_still_read_in_a_condition() -> None:
    raw = mail("Hi Alex,\n\nAs we discussed, if I'm honest we have decided to move forward with "
               "other candidates.\n\nDana\nBrightmoor Foods",
               sender="Dana Lee <dana.lee@brightmoor-foods.example>", subject="Analyst role")
    assert [f.kind for f in recognise_bytes(raw, zone=ZONE)] == ["rejection"]


def test_a_boards_status_mail_with_list_unsubscribe_still_says_a_rejection() -> None:
    """Boards put List-Unsubscribe on their status mail too: one rejection word and the
    board are enough; one application phrase is not (its marketing says "since you
    applied" too: test_an_ats_mailing_needs_more_than_one_phrase)."""
    raw = mail("Hola Alex,\n\nLa empresa Kronos Datos ha cambiado el estado de tu candidatura "
               "a la oferta Analista: descartado.\n",
               sender="Empleo <noticias@infojobs.net>", subject="Novedades en tu candidatura",
               headers={"List-Unsubscribe": "<https://www.infojobs.net/u>"})
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert (finding.kind, finding.company) == ("rejection", "Kronos Datos")
    assert "List-Unsubscribe" in finding.why


def test_a_status_word_after_application_is_no_role_and_a_job_title_no_company() -> None:
    """"Application received - Data Analyst": "received" is no role and "Data Analyst" no
    company; the employer signs under the mail."""
    raw = mail("Dear Alex,\n\nThank you for your application to the Data Analyst position. "
               "Our team will review it.\n\nKind regards,\nTalent Acquisition\nBrightmoor "
               "Foods plc", sender="Talent Acquisition <jobs@brightmoor.example>",
               subject="Application received - Data Analyst")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert finding.company == "Brightmoor Foods plc"


def test_a_french_thanks_for_applying_chez_names_the_employer() -> None:
    raw = mail("Bonjour Alex,\n\nMerci d'avoir postulé chez Atelier Morin pour le poste de "
               "Chargée de communication.\n", sender="Notifications <noreply@hirely.example>",
               subject="Merci pour votre candidature")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert (finding.kind, finding.company) == ("application", "Atelier Morin")


def test_a_colleagues_meeting_invitation_is_no_interview() -> None:
    """A calendar invitation counts as an interview's only in job mail: a kind's phrase, a
    job subject, or a job word under the word model's reading; "Q4 planning" has none."""
    msg = EmailMessage()
    msg["From"] = "Tom Berg <tom.berg@acme-robotics.example>"
    msg["To"] = "alex@example.com"
    msg["Subject"] = "Q4 planning"
    msg["Date"] = "Tue, 06 Oct 2026 09:30:00 +0200"
    msg.set_content("Hi team,\n\nInvite attached for our Q4 planning session.\n\nTom")
    ics = ("BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\n"
           "DTSTART:20261210T130000Z\r\nSUMMARY:Q4 planning\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    msg.add_attachment(ics.encode(), maintype="text", subtype="calendar",
                       params={"method": "REQUEST"}, filename="invite.ics")
    assert recognise_bytes(msg.as_bytes(), zone=ZONE) == []
    onsite = msg.as_bytes().replace(b"Subject: Q4 planning", b"Subject: Acme onsite")
    assert [f.kind for f in recognise_bytes(onsite, zone=ZONE)] == ["interview"]


def test_a_persons_free_mail_name_is_no_company() -> None:
    raw = mail("Good luck with your interview tomorrow! Call me after.",
               sender="Mum <mum.rivera@gmail.com>", subject="Your interview")
    assert recognise_bytes(raw, zone=ZONE) == []


@pytest.mark.parametrize(("subject", "body"), [
    ("Brightmoor Foods - Application received",
     "Hi Alex,\n\nThanks for applying. We have received your application.\n"),
    ("[Brightmoor Foods] Application received: Data Analyst",
     "Hi Alex,\n\nThanks for applying. We have received your application.\n"),
    ("Brightmoor Foods: update on your application",
     "Hi Alex,\n\nUnfortunately we have decided to move forward with other candidates.\n"),
    ("Brightmoor Foods application update",
     "Hi Alex,\n\nUnfortunately we have decided to move forward with other candidates.\n"),
    ("Data Analyst at Brightmoor Foods: next steps",
     "Hi Alex,\n\nWe'd like to invite you to an interview. Please pick a time.\n"),
])
def test_the_employer_heading_a_subject_template(subject: str, body: str) -> None:
    raw = mail(body, sender="Notifications <no-reply@hirely.example>", subject=subject)
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert finding.company == "Brightmoor Foods"


@pytest.mark.parametrize("subject", ["Process Engineer II - interview follow-up",
                                     "Absage - Ihre Bewerbung Kennziffer 48/2026"])
def test_a_job_title_or_a_kind_word_heading_a_subject_is_no_employer(subject: str) -> None:
    raw = mail("Hi Alex,\n\nUnfortunately we have decided to move forward with other "
               "candidates for the Process Engineer II role.\n\nDana Lee\nCalder Chips",
               sender="Dana Lee <dana.lee@calder-chips.example>", subject=subject)
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert finding.company == "Calder Chips"


def test_a_colleagues_first_name_is_no_employer() -> None:
    raw = mail("Hi Alex,\n\nGreat news - Daniel would like to meet you on Thursday for a "
               "technical interview.\n\nDana\nBrightmoor Foods",
               sender="Dana Lee <dana.lee@brightmoor.example>", subject="Interview")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert finding.company == "Brightmoor Foods"


def test_a_person_and_their_title_before_the_organisation() -> None:
    raw = mail("Hi Alex,\n\nYour interview with Jonah Pike (CEO) at Kestrel Freight is "
               "confirmed for Thursday.\n", sender="Recruiting <noreply@greenhouse.io>",
               subject="Interview confirmed")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert finding.company == "Kestrel Freight"


def test_the_tool_that_sends_an_invitation_is_no_employer() -> None:
    raw = mail("Hi Alex,\n\nInvitation from Google Calendar: you have been invited to an "
               "interview for the Analyst role.\n\nPriya Raman\nTessera Labs",
               sender="Priya Raman <priya@tesseralabs.example>",
               subject="Invitation: Analyst interview")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert finding.company != "Google Calendar"


@pytest.mark.parametrize("quote", [
    "\n\n________________________________\nFrom: Alex Rivera <alex@example.com>\nSent: "
    "Monday, October 12, 2026 9:14 AM\nTo: Dana Lee\nSubject: Application\n\n",
    "\n\nDe : Alex Rivera <alex@example.com>\nEnvoyé : lundi 12 octobre 2026 09:14\nÀ : "
    "Dana\nObjet : Candidature\n\n",
])
def test_an_outlook_header_block_starts_the_quoted_mail(quote: str) -> None:
    """Outlook quotes the user's mail under a "From: … / Sent: …" block, without ">": the
    user's question there ("are you available for an interview?") does not decide."""
    own = "Hi Alex,\n\nThanks, we have received your application for Data Analyst.\n\nDana"
    asked = "Are you available on Monday for an interview?"
    raw = mail(own + quote + asked, sender="Dana Lee <dana.lee@acme-robotics.example>",
               subject="Re: Data Analyst")
    assert [f.kind for f in recognise_bytes(raw, zone=ZONE)] == ["application"]


def test_an_interview_that_has_to_be_moved_is_still_an_interview() -> None:
    raw = mail("Hi Alex,\n\nUnfortunately the interview on Tuesday has to be moved. Could we "
               "do Thursday at 10:00 instead?\n\nDana Lee\nAcme Robotics",
               sender="Dana Lee <dana.lee@acme-robotics.example>", subject="Interview")
    assert [f.kind for f in recognise_bytes(raw, zone=ZONE)] == ["interview"]


# Session 16, after the blind4 families were retired: where the employer is named when the
# sender is a person at it, a board that lists the job, or a name with noise around it.

@pytest.mark.parametrize("sender", [
    "Nadia at Quintfield Labs <nadia@relay.hiremail.example>",
    "Tomas Berg from Quintfield Labs <tomas@relay.hiremail.example>",
    "Tomas Berg - Quintfield Labs <tomas.berg@quintfieldlabs.example>",
])
def test_a_senders_name_that_is_a_person_and_their_organisation(sender: str) -> None:
    raw = mail("Hi Alex,\n\nWe would like to invite you to an interview for the Analyst "
               "role next week. Could you share a few slots?\n\nBest",
               sender=sender, subject="Interview invitation")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert finding.company == "Quintfield Labs"


@pytest.mark.parametrize(("body", "company"), [
    ("Application sent\nWarehouse Lead\nOstmark Freight Ltd\nDerby, East Midlands\n"
     "Your CV has been sent to the employer.", "Ostmark Freight Ltd"),
    ("Application sent\nWarehouse Lead\nOstmark Freight Ltd\nRemote (UK)\n"
     "Your CV has been sent to the employer.", "Ostmark Freight Ltd"),
    ("Candidature envoyée\nWarehouse Lead\nOstmark Freight - Lyon (69)\nCDI",
     "Ostmark Freight"),
])
def test_a_boards_card_with_the_place_under_the_employer(body: str, company: str) -> None:
    raw = mail(body, sender="Jobmarkt <noreply@jobmarkt.example>",
               subject="Application sent: Warehouse Lead")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert finding.company == company


@pytest.mark.parametrize(("body", "company"), [
    ("Bonjour Alex,\n\nVotre candidature à l'offre « Comptable H/F » publiée par "
     "BOULANGERIES VERMEIL a bien été transmise au recruteur.\n\nL'équipe",
     "BOULANGERIES VERMEIL"),
    ("Hi Alex,\n\nYour application for Store Manager, posted by Harlow Outdoor, has been "
     "sent.\n\nThe team", "Harlow Outdoor"),
    ("¡Hola Alex!\n\nTe has inscrito en la oferta Mozo de almacén (turno de tarde) para "
     "Distribuciones Ebro S.L. en Zaragoza.\n\nEl equipo", "Distribuciones Ebro S.L."),
    ("Hallo Alex,\n\ndu hast dich erfolgreich als Fahrer (m/w/d) - ab 3.100 € brutto bei "
     "Kraus Logistik GmbH in Celle beworben.\n\nDein Team", "Kraus Logistik GmbH"),
])
def test_a_board_says_who_posted_the_job(body: str, company: str) -> None:
    raw = mail(body, sender="Jobmarkt <noreply@jobmarkt.example>",
               subject="Candidature / application")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert normal_company(finding.company) == normal_company(company)


def test_noise_after_a_name_is_cut() -> None:
    raw = mail("Hi Alex,\n\nThe recruiter has reviewed your application for Analyst at "
               "Pellworth Mutual and decided not to take it further.\n\nThe team",
               sender="Jobmarkt <noreply@jobmarkt.example>",
               subject="Update on your application")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert finding.company == "Pellworth Mutual"
    assert normal_company("Asesoría Prado, S.L.P.") == normal_company("Asesoría Prado")


@pytest.mark.parametrize(("body", "sender"), [
    ("Alex\n\nGot your CV thanks. Will have a look at it and come back to you.\n\nPete\n"
     "Marlow Stairs Ltd\n07700 900111", "Pete Marlow <pete.marlow.stairs@hotmail.co.uk>"),
    ("Madame, Monsieur,\n\nNous avons bien reçu votre candidature pour le poste de "
     "Comptable à Orly et vous en remercions.\n\nCordialement,\nService Recrutement\n"
     "Marlow Stairs SAS", "Marlow Stairs <recrutement@marlow-stairs.example>"),
])
def test_a_stray_word_gives_way_to_the_organisation_signed_with_its_legal_form(
        body: str, sender: str) -> None:
    [finding] = recognise_bytes(mail(body, sender=sender, subject="Re: your CV"), zone=ZONE)
    assert normal_company(finding.company) == "marlow stairs"


@pytest.mark.parametrize(("body", "subject", "company"), [
    ("Hola Alex,\n\nSoy Irene, de People en Corvina Datos. Hemos recibido tu candidatura "
     "y la revisaremos esta semana.\n\nUn saludo,\nIrene", "Gracias por inscribirte",
     "Corvina Datos"),
    ("Hola Alex:\n\nTe convocamos a una entrevista presencial el jueves 3 de diciembre "
     "a las 9:30 h. Te adjunto la convocatoria.\n\nUn saludo,\nRRHH de Corvina Datos",
     "Convocatoria: entrevista presencial Jefe/a de Tráfico", "Corvina Datos"),
    ("Bonjour Alex,\n\nCorvina Datos a planifié votre premier entretien.\n\nL'équipe",
     "Entretien planifié", "Corvina Datos"),
    ("Hi Alex,\n\nYou have a new interview request from Corvina Datos for the Data "
     "Engineer role.\n\nThe team", "New interview request", "Corvina Datos"),
])
def test_a_desk_or_a_kind_word_is_not_the_employer(body: str, subject: str,
                                                    company: str) -> None:
    sender = ("Irene Calvo <irene.calvo@corvina-datos.example>" if "Irene" in body or
              "RRHH" in body else "Jobmarkt <noreply@jobmarkt.example>")
    raw = mail(body, sender=sender, subject=subject)
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert finding.company == company


def test_a_gendered_job_title_is_not_the_employer() -> None:
    raw = mail("Hola Alex,\n\nHemos recibido tu candidatura a Técnico/a de Calidad en "
               "Laboratorios Sella.\n\nGracias", sender="Laboratorios Sella S.L. "
               "<no-reply@hiresys.example>", subject="Candidatura recibida: Técnico/a de "
               "Calidad")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert normal_company(finding.company) == "laboratorios sella"


@pytest.mark.parametrize(("text", "at"), [
    ("l'entretien du jeudi 10 décembre aura bien lieu à 9h30", datetime(2026, 12, 10, 8, 30,
                                                                         tzinfo=UTC)),
    ("la entrevista del 10 de diciembre tendrá lugar a las 11:00", datetime(2026, 12, 10, 10,
                                                                             0, tzinfo=UTC)),
    ("Your interview on 10 December will take place at 3pm", datetime(2026, 12, 10, 14, 0,
                                                                       tzinfo=UTC)),
])
def test_a_verb_between_the_day_and_the_hour(text: str, at: datetime) -> None:
    moment = interview_moment(text, SENT, ZONE)
    assert moment is not None and (moment.at, moment.zoned) == (at, False)


@pytest.mark.parametrize("body", [
    "Madame, Monsieur,\n\nNous accusons réception de votre candidature pour le poste de "
    "Comptable et vous en remercions. Sans nouvelles de notre part d'ici trois semaines, "
    "vous pourrez considérer que nous ne sommes pas en mesure de donner suite.\n\nCabinet "
    "Verdier",
    "Hi Alex,\n\nThank you for applying for the Analyst role at Brightmoor Foods. We have "
    "received your application. You can view or withdraw your application in your "
    "account.\n\nBrightmoor Foods",
])
def test_a_rejection_that_may_come_is_no_rejection(body: str) -> None:
    raw = mail(body, sender="Recrutement <jobs@verdier-brightmoor.example>",
               subject="Votre candidature / your application")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert finding.kind == "application"


def test_a_rejection_followed_by_new_jobs_for_you_is_a_rejection() -> None:
    raw = mail("Hallo Alex,\n\nLeider hat sich das Unternehmen für eine andere Person "
               "entschieden. Wir haben schon neue Jobs für dich gefunden:\nLagerhelfer - "
               "Elbtrans - Hamburg\n\nDein Team",
               sender="Jobmarkt <noreply@jobmarkt.example>",
               subject="Dein Bewerbungsupdate zu Lagerhelfer bei Brenntal Logistik GmbH")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert finding.kind == "rejection"


@pytest.mark.parametrize("sender", ["Jobmarkt <noreply@jobmarkt.example>",
                                    "Jobmarkt Bewerbungsupdate <noreply@jobmarkt.example>"])
def test_an_unlisted_board_names_the_employer_with_its_legal_form(sender: str) -> None:
    raw = mail("Hallo Alex,\n\nvielen Dank, dass du dich beim Vorstellungsgespräch bei "
               "Brenntal Logistik GmbH vorgestellt hast. Leider hat sich das Unternehmen "
               "für eine andere Person entschieden.\n\nDein Jobmarkt-Team",
               sender=sender, subject="Dein Bewerbungsupdate")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert finding.company == "Brenntal Logistik GmbH"


@pytest.mark.parametrize(("body", "subject"), [
    ("Hi Alex,\n\nSome time ago you applied for a position at Vantor Freight Ltd. Under our "
     "privacy policy your personal data will be deleted from our recruitment system in 30 "
     "days. To keep your profile, renew your consent here.\n\nVantor Freight Ltd",
     "Your personal data"),
    ("Bonjour Alex,\n\nTu as postulé chez Vantor Fret il y a quelque temps. Tes données "
     "seront supprimées de notre outil de recrutement dans 30 jours.\n\nVantor Fret",
     "Tes données personnelles"),
])
def test_a_data_retention_notice_is_not_job_mail(body: str, subject: str) -> None:
    raw = mail(body, sender="Vantor Recruiting <noreply@vantor-jobs.example>",
               subject=subject)
    assert recognise_bytes(raw, zone=ZONE) == []


def test_an_organisation_that_decided_is_the_employer() -> None:
    raw = mail("Bonjour Alex,\n\nCorvina Datos a décidé de ne pas donner suite à votre "
               "candidature au poste d'analyste.\n\nL'équipe",
               sender="Jobmarkt <noreply@jobmarkt.example>", subject="Votre candidature")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert finding.company == "Corvina Datos"


# --- session 17: what blind5's misses showed ---------------------------------------------

@pytest.mark.parametrize(("sender", "source"), [
    ("Jobsuche <bewerbungen@indeed.de>", "Indeed"),
    ("Indeed <candidatures@indeed.co.uk>", "Indeed"),
    ("StepStone <noreply@stepstone.fr>", "StepStone"),
])
def test_a_listed_board_is_known_under_a_countrys_domain(sender: str, source: str) -> None:
    raw = mail("Alex, your application was sent\n\nWarehouse Planner\nCorvel Freight Ltd - "
               "Bristol, Avon\n\nTrack your applications in My Jobs.",
               sender=sender, subject="Application sent: Warehouse Planner")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert (finding.kind, finding.source) == ("application", source)
    assert (finding.company, finding.role) == ("Corvel Freight Ltd", "Warehouse Planner")


def test_a_short_name_is_no_board() -> None:
    """Only names of four letters or more: a three-letter .com board's name under a
    country's suffix is more likely someone else's domain."""
    from nudger.mail.capture.rules import default_rules
    rules = default_rules()
    assert rules.ats_of("indeed.es") == "Indeed"
    assert rules.ats_of("indeed.example") == ""
    assert rules.ats_of("notindeed.es") == ""


@pytest.mark.parametrize(("body", "subject"), [
    ("Hola,\n\nTu CV se ha enviado a Ferreterías Ruiz S.L. para la oferta Dependiente. "
     "¡Suerte!", "Has enviado tu CV a Ferreterías Ruiz"),
    ("Bonjour,\n\nVotre CV a bien été transmis à Boulangeries Armand pour l'offre Vendeur.",
     "Votre CV a été envoyé"),
    ("Hallo,\n\nIhr Lebenslauf wurde erfolgreich an die Brenntal Logistik GmbH übermittelt.",
     "Ihr Lebenslauf wurde übermittelt"),
    ("Hi,\n\nYour CV has been sent to Corvel Freight Ltd for the Planner vacancy.",
     "Your CV was sent"),
])
def test_a_cv_sent_by_a_board_is_an_application(body: str, subject: str) -> None:
    raw = mail(body, sender="Jobportal <noreply@jobportal.example>", subject=subject)
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert finding.kind == "application"


@pytest.mark.parametrize("body", [
    "Hallo Alex,\n\ndanke für das nette Telefonat gestern! Ich habe Ihren Lebenslauf wie "
    "besprochen an die Brenntal Logistik GmbH geschickt.\n\nGrüße\nJonas",
    "Bonjour Alex,\n\nSuite à notre échange téléphonique, j'ai bien reçu votre CV pour le "
    "poste d'analyste. Je reviens vers vous.\n\nClaire\nBrenntal Logistique SAS",
    "Hi Alex,\n\nThanks for the quick call earlier! I have received your application for the "
    "Analyst role and will review it this week.\n\nJo\nBrenntal Logistics Ltd",
])
def test_a_call_that_happened_is_no_invitation(body: str) -> None:
    raw = mail(body, sender="Jo Brenn <jo@brenntal.example>", subject="Your application")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert finding.kind == "application"
    # The same call proposed is an invitation.
    asked = raw.replace(b"danke f\xc3\xbcr das nette Telefonat gestern",
                        b"haben Sie Zeit f\xc3\xbcr ein Telefonat")
    if asked != raw:
        [invited] = recognise_bytes(asked, zone=ZONE)
        assert invited.kind == "interview"


def test_the_word_model_alone_does_not_outvote_another_kinds_phrase() -> None:
    """A word model that reads "Zeit für ein Gespräch" as a rejection (a bag of words can)
    does not turn an invitation's phrase into a rejection no phrase states."""
    from dataclasses import replace

    from nudger.mail.capture import wordmodel
    from nudger.mail.capture.rules import default_rules
    model = wordmodel.train([
        (f, "rejection", "haben sie zeit woche leider") for f in "abc"] + [
        (f, "interview", "termin morgen") for f in "abc"] + [
        (f, "application", "danke eingang") for f in "abc"] + [
        (f, "not-job", "rechnung") for f in "abc"])
    raw = mail("Hallo Alex,\n\nhaben Sie nächste Woche Zeit für ein Gespräch?\n\nJonas\n"
               "Brenntal Logistik GmbH", sender="Jonas Brenn <jonas@brenntal.example>",
               subject="Ihre Bewerbung")
    rules = replace(default_rules(), words=model)
    assert model.posteriors("haben sie nächste woche zeit")["rejection"] > 0.8
    [finding] = recognise_bytes(raw, zone=ZONE, rules=rules)
    assert finding.kind == "interview"


@pytest.mark.parametrize(("domain", "company"), [
    ("tesseralabs.example", "Tessera Labs"),
    ("marinahoteles.example", "Marina Hoteles"),
    ("kestreldigital.example", "Kestrel Digital"),
    ("ruhrwerk-anlagenbau.example", "Ruhrwerk Anlagenbau"),   # hyphens part it already
    ("kestrel.example", "Kestrel"),
])
def test_a_domains_run_together_words_part_before_an_organisation_word(
        domain: str, company: str) -> None:
    raw = mail("Hi Alex,\n\nCould you do a video call on Thursday?\n\nMia",
               sender=f"Mia Holt <mia@{domain}>", subject="Your application")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert finding.company == company


@pytest.mark.parametrize(("body", "company"), [
    ("Hi Alex,\n\nVeridian want to meet you on Thursday! Their office: Veridian Robotics, "
     "Munich.\n\nJordan", "Veridian Robotics"),
    ("Bonjour Alex,\n\nComme convenu, j'ai présenté votre candidature à Vinéa Logiciels "
     "aujourd'hui. Vinéa revient vers moi vite.\n\nMathieu", "Vinéa Logiciels"),
    # a role after the name is no part of it, nor a name that goes on
    ("Hi Alex,\n\nVeridian would like to meet you for the Veridian Data Engineer role."
     "\n\nJordan", "Veridian"),
])
def test_a_short_name_is_completed_where_the_mail_writes_it_whole(body: str,
                                                                   company: str) -> None:
    raw = mail(body, sender="Jordan Blake <jordan.blake@proton.me>",
               subject="Your application")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert finding.company == company


@pytest.mark.parametrize(("body", "sender", "company"), [
    # a legal form "GmbH & Co. KG" the link's slug or a cut extraction left as "GmbH & Co."
    ("Hallo Alex,\n\nwir möchten Dich gern in einem kurzen Telefoninterview kennenlernen."
     "\n\nLena\nBrenntal Logistik GmbH & Co. KG",
     "Brenntal Logistik GmbH & Co. <jobs@brenntal-logistik.example>",
     "Brenntal Logistik GmbH & Co. KG"),
    # what someone's interest was in doing with the employer is no part of its name
    ("Hi Alex,\n\nThank you for your interest in delivering with Corvel Freight. "
     "Unfortunately we are unable to move forward with your application.",
     "Notifications <no-reply@hirebox.example>", "Corvel Freight"),
    # prose read where a name was looked for ("en cualquier momento en «Mis…»") is none
    ("Hola Alex,\n\nTu candidatura para la oferta «Contable» de Asesoría Prado, S.L.P. "
     "(Burgos) ha sido registrada.\nPuedes consultar tu candidatura en cualquier momento en "
     "«Mis candidaturas».", "Portalempleo <noreply@portalempleo.example>",
     "Asesoría Prado, S.L.P."),
    # an organisation's short name completed where it signs whole
    ("Hola Alex:\n\nSoy Rocío, de Recursos Humanos de Grupo Marea. Me gustaría tener una "
     "conversación telefónica contigo.\n\nRocío Márquez\nTécnica de Selección\n"
     "Grupo Marea Logística", "Rocío Márquez <rmarquez@marealog.example>",
     "Grupo Marea Logística"),
])
def test_the_employers_name_without_noise_and_whole(body: str, sender: str,
                                                     company: str) -> None:
    raw = mail(body, sender=sender, subject="Tu candidatura / Your application")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert normal_company(finding.company) == normal_company(company), finding.company
    assert finding.company == company


@pytest.mark.parametrize(("subject", "company"), [
    ("RE: Holloway & Reeve", "Holloway & Reeve"),
    ("AW: Kranich Feedback?", "Kranich"),
    ("Re: Retour Vinéa ?", "Vinéa"),
    ("Re: Novedades Marea Fintech", "Marea Fintech"),
])
def test_a_recruiters_reply_names_the_employer_its_thread_is_about(subject: str,
                                                                   company: str) -> None:
    raw = mail("Hi Alex,\n\nI've had feedback: they've gone with an internal candidate, so "
               "they won't be taking it further. Sorry!\n\nGemma",
               sender="Gemma Thorn <gemma.thorn@outlook.com>", subject=subject)
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert (finding.kind, finding.company) == ("rejection", company)


@pytest.mark.parametrize("subject", ["Re: Monday", "Re: Data Analyst", "Re: Your CV",
                                     "Coffee"])
def test_a_subject_that_is_no_employer_names_none(subject: str) -> None:
    raw = mail("Hi Alex,\n\nI've had feedback: they've gone with an internal candidate, so "
               "they won't be taking it further. Sorry!\n\nGemma",
               sender="Gemma Thorn <gemma.thorn@outlook.com>", subject=subject)
    assert recognise_bytes(raw, zone=ZONE) == []


@pytest.mark.parametrize(("body", "sender", "company"), [
    # a desk's word before a legal form is part of the registered name
    ("Sehr geehrter Herr Rivera,\n\nvielen Dank für Ihre Bewerbung als Lagerist. Wir haben "
     "Ihre Unterlagen erhalten.\n\nIhr Team von Kestrel Personal GmbH",
     "Kestrel Personal GmbH <bewerbung@kestrel-personal.example>", "Kestrel Personal GmbH"),
    # a job before " at " is no part of the employer's name
    ("Dear Alex,\n\nThank you for your interest in the Graduate Analyst Program at Harbor "
     "Mutual Insurance. As the next step, we invite you to complete a video interview.",
     "Harbor Mutual Insurance <noreply@hirebox.example>", "Harbor Mutual Insurance"),
])
def test_the_registered_name_whole_and_no_job_before_it(body: str, sender: str,
                                                        company: str) -> None:
    raw = mail(body, sender=sender, subject="Ihre Bewerbung / Your next step")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert finding.company == company


@pytest.mark.parametrize(("text", "at"), [
    ("Día: jueves 12 de noviembre\nHora: 15:00 hs (hora de Argentina)",
     datetime(2026, 11, 12, 18, 0, tzinfo=UTC)),
    ("el lunes 23 de noviembre a las 15:00 horas (hora de Chile)",
     datetime(2026, 11, 23, 18, 0, tzinfo=UTC)),
])
def test_hours_written_hs_or_horas_keep_their_zone(text: str, at: datetime) -> None:
    moment = interview_moment(text, SENT, ZONE)
    assert moment is not None and moment.zoned and moment.at == at


def test_a_duration_in_horas_is_no_time() -> None:
    assert interview_moment("el 12 de noviembre, 2 horas", SENT, ZONE) is None


def test_a_recruiter_who_found_you_and_names_your_application_invites() -> None:
    """"I came across your profile" opens outreach, unless the mail names the application
    the user sent: then "a quick call" is the application's next step."""
    body = ("Hi Alex,\n\nI came across your profile on a board and the application you sent "
            "for the Data Engineer role at Corvel Freight - I'm the recruiter handling it. "
            "The client would like a quick call first. Are you available today at 4 PM "
            "EST?\n\nRaj\nSourcewell Staffing")
    raw = mail(body, sender="Raj Mal <raj@sourcewell.example>", subject="Data Engineer")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert finding.kind == "interview"
    cold = raw.replace(b" and the application you sent for", b", open to")
    assert [f.kind for f in recognise_bytes(cold, zone=ZONE)] in ([], ["outreach"])


def test_a_subjects_part_that_is_an_organisations_name_names_it() -> None:
    raw = mail("Bonjour Alex,\n\nIls cherchent un Product Manager et ont adoré votre profil. "
               "Entretien proposé le jeudi 3 décembre à 10h30, sur place. Ça vous va ?"
               "\n\nMathieu", sender="Mathieu Fabre <mathieu.fabre@gmail.com>",
               subject="Nouvelle piste : Océane Mobilités")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert (finding.kind, finding.company) == ("interview", "Océane Mobilités")


@pytest.mark.parametrize(("body", "subject", "company"), [
    # an unlisted board's notice: the employer with its legal form "SRL" (all capitals)
    ("¡Hola Alex!\n\nTu postulación al aviso \"Analista QA\" de Pampa Sistemas SRL fue "
     "enviada correctamente.", "¡Te postulaste con éxito!", "Pampa Sistemas SRL"),
    # "tu CV se envió a X" (the preterite)
    ("Hola Alex,\n\nTu CV se envió con éxito a Grupo Norteño Textil para la vacante "
     "Supervisor en Puebla, Pue.", "Postulación enviada: Supervisor", "Grupo Norteño Textil"),
])
def test_an_unlisted_boards_notice_names_the_employer(body: str, subject: str,
                                                      company: str) -> None:
    raw = mail(body, sender="Empleos Sur <notificaciones@empleossur.example>",
               subject=subject)
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert finding.company == company


def test_a_boards_card_whose_title_the_subject_gives_with_more() -> None:
    """The subject adds hours and pay in the title's brackets; the card's title is read."""
    raw = mail("Hallo Alex,\n\ndeine Bewerbung ist unterwegs!\n\nJava Entwickler:in "
               "(Vollzeit)\nKestrel Software · Linz\n\nDein Team",
               sender="Jobportal <noreply@jobportal.example>",
               subject="Bewerbung versendet: Java Entwickler:in (Vollzeit, ab € 4.200 brutto)")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert finding.company == "Kestrel Software"


@pytest.mark.parametrize(("closing", "signed"), [
    ("MfG", "Tischlerei Brandt GmbH & Co. KG"),
    ("LG", "Tischlerei Brandt GmbH"),
    ("All the best", "Brandt Joinery Ltd"),
])
def test_a_small_employer_on_free_mail_signs_under_a_short_closing(closing: str,
                                                                   signed: str) -> None:
    raw = mail(f"Hallo Frau Rivera,\n\nIhre Unterlagen sind angekommen, danke. Wir melden "
               f"uns nächste Woche.\n\n{closing}\nKlaus Brandt\n{signed}\nIndustriestr. 7",
               sender="k.brandt@web.de", subject="Re: Bewerbung als Bürokraft")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert finding.company == signed


@pytest.mark.parametrize(("subject", "company"), [("Veridian feedback", "Veridian"),
                                                  ("Summit Ridge update", "Summit Ridge")])
def test_a_subject_with_news_of_an_application_names_its_employer(subject: str,
                                                                  company: str) -> None:
    raw = mail("Hi Alex,\n\nHeard back after Monday's interview. Sadly they've decided not "
               "to progress.\n\nJordan", sender="Jordan Blake <jordan.blake@proton.me>",
               subject=subject)
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert (finding.kind, finding.company) == ("rejection", company)


# --- session 17: blind6's misses read -----------------------------------------------------

@pytest.mark.parametrize(("subject", "body", "kind", "company"), [
    ("Entretien Corvelle – 12 novembre",
     "Bonjour Alex,\n\nCorvelle souhaite vous rencontrer : un entretien en visio le 12 "
     "novembre à 10h.\n\nBien à vous,\nSandrine", "interview", "Corvelle"),
    ("Quick call with Pinewood Tool & Gear - Wednesday 3pm",
     "Hi Alex,\n\nThey'd like to set up a quick call about the planner role.\n\nRob",
     "interview", "Pinewood Tool & Gear"),
    ("Talleres Ordoño – decisión",
     "Hola Alex:\n\nLamentablemente han decidido seguir con otra candidatura.\n\nUn saludo,"
     "\nMaite", "rejection", "Talleres Ordoño"),
    ("Vacante Jefe de Almacén - Conservas del Cantábrico",
     "Hola Alex:\n\nTe confirmo que he presentado tu candidatura al cliente.\n\nMaite",
     "application", "Conservas del Cantábrico"),
    ("Brightwater final stage",
     "Hi Alex,\n\nGreat news: Brightwater would like to invite you to the final interview."
     "\n\nTom", "interview", "Brightwater"),
])
def test_a_recruiter_on_free_mail_names_the_employer_in_the_subject(
        subject: str, body: str, kind: str, company: str) -> None:
    # An agency recruiter writing from free mail names the client around what the mail is
    # about, not in a signature: no domain, no organisation word to go by.
    raw = mail(body, sender="Recruiter <some.recruiter.rh@gmx.net>", subject=subject)
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert (finding.kind, finding.company) == (kind, company)


def test_a_subjects_single_word_names_an_employer_only_when_the_text_does_too() -> None:
    body = ("Hi Alex,\n\nThey'd like to meet you for an interview next week.\n\nRob")
    raw = mail(body, sender="Rob <rob.recruits@gmx.net>", subject="Harbour – next week")
    assert recognise_bytes(raw, zone=ZONE) == []
    named = mail(body.replace("They'd", "Harbour would"), sender="Rob <rob.recruits@gmx.net>",
                 subject="Harbour – next week")
    assert recognise_bytes(named, zone=ZONE)[0].company == "Harbour"


def test_a_subjects_request_or_role_is_no_employer() -> None:
    raw = mail("Guten Tag,\n\nein Mandant sucht eine Leitung Einkauf. Hätten Sie Zeit für ein "
               "Telefonat?\n\nGrüße\nK. Maier", sender="K. Maier <k.maier.beratung@gmx.de>",
               subject="Vertrauliche Anfrage – Leitung Einkauf")
    assert recognise_bytes(raw, zone=ZONE) == []


@pytest.mark.parametrize(("subject", "body"), [
    ("Lumora Health has invited you to take a test",
     "Hi Alex,\n\nLumora Health has invited you to take a coding test for the Data Engineer "
     "role. Complete it within 5 days.\n\nThe Testly team"),
    ("Lumora Health: Testly test invitation",
     "Hello Alex,\n\nYou have been invited to take a Testly test by Lumora Health for the "
     "role Data Engineer. Time limit: 60 minutes.\n\nStart test"),
    ("Einladung zum Auswahltag",
     "Guten Tag Alex Rivera,\n\ndie Lumora Health GmbH lädt Sie zum Auswahltag für das "
     "Traineeprogramm ein. Bitte bestätigen Sie Ihre Teilnahme.\n\nIhr Testly-Team"),
])
def test_an_assessment_from_an_unlisted_system_is_the_next_stage(subject: str,
                                                                  body: str) -> None:
    raw = mail(body, sender="Testly <no-reply@testly.example>", subject=subject)
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert finding.kind == "interview" and finding.interview_at is None
    assert normal_company(finding.company) == "lumora health"


@pytest.mark.parametrize(("body", "found"), [
    ("Hi Alex,\n\nThank you for completing the Data Engineer assessment for Lumora Health. "
     "Your answers are with the hiring team.\n\nThe Testly team", []),
    ("Hi Alex,\n\nThank you for completing the assessment for Lumora Health. Unfortunately "
     "they have decided not to move forward with your application.\n\nThe Testly team",
     ["rejection"]),
])
def test_a_test_handed_in_is_no_news_unless_the_mail_says_more(body: str,
                                                               found: list[str]) -> None:
    raw = mail(body, sender="Testly <no-reply@testly.example>",
               subject="Your application at Lumora Health")
    assert [f.kind for f in recognise_bytes(raw, zone=ZONE)] == found


@pytest.mark.parametrize(("sender", "subject", "body", "company"), [
    # a board tells what an employer did with the application, the employer named first
    ("Jobbly <noreply@jobbly.example>", "Une entreprise souhaite vous rencontrer",
     "Bonjour Alex,\n\nLe recruteur Maison Ferrand a étudié votre candidature et souhaite "
     "vous proposer un entretien.\n", "Maison Ferrand"),
    ("Jobbly <noreply@jobbly.example>", "Una empresa quiere contactarte",
     "Hola Alex,\n\nConservas Rubio revisó tu CV para la vacante de Analista y quiere "
     "agendar una entrevista contigo.\n", "Conservas Rubio"),
    # an agency's client after 'Unser Kunde,' and its article
    ("Jana Brandt <j.brandt@brandt-personal.example>", "Einladung Kundengespräch",
     "Hallo Herr Rivera,\n\nUnser Kunde, die Weserland Antriebe GmbH in Minden, möchte Sie "
     "kennenlernen. Das Gespräch ist am Mittwoch um 10 Uhr.\n\nJana Brandt\nBrandt Personal "
     "GmbH", "Weserland Antriebe GmbH"),
    # a calendar-style subject's time and a '<name> x <candidate>' meeting title cut
    ("Lena Voss <lena.voss@ostwind-logistics.example>",
     "Termin: Kennenlernen Ostwind Logistics x Alex",
     "Hallo Alex,\n\nhier die Einladung zum Kennenlernen.\n", "Ostwind Logistics"),
])
def test_the_employer_named_by_a_board_or_an_agency(sender: str, subject: str, body: str,
                                                    company: str) -> None:
    [finding] = recognise_bytes(mail(body, sender=sender, subject=subject), zone=ZONE)
    assert finding.company == company


def test_a_subjects_short_name_is_completed_where_the_text_writes_it_whole() -> None:
    raw = mail("Alex - quick update on Birchfield Orthopedics. They have decided not to move "
               "forward with your application.\n\nM", sender="Mo <mo.recruits@outlook.com>",
               subject="Birchfield")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert (finding.kind, finding.company) == ("rejection", "Birchfield Orthopedics")


def test_more_legal_forms_are_normalised() -> None:
    # a German non-profit's gGmbH, an Estonian OÜ
    assert normal_company("Klinikum Weserau gGmbH") == normal_company("Klinikum Weserau")
    assert normal_company("Tartu Grid OÜ") == "tartu grid"


# SENT is Monday 2 November 2026, 10:00 in Berlin.
@pytest.mark.parametrize(("text", "at"), [
    # a date and its time on labelled lines, the weekday bracketed between
    ("Date: 4 November 2026 (Wednesday)\nTime: 3:30pm HKT\nPlatform: Teams",
     datetime(2026, 11, 4, 7, 30, tzinfo=UTC)),
    # a notice's symbols between the date and the time
    ("📅 Miércoles, 4 de noviembre de 2026 🕙 10:30 h 📍 Calle Mayor 3",
     datetime(2026, 11, 4, 9, 30, tzinfo=UTC)),
    # a weekday and its day of the month, no month: the next such day
    ("¿Puedes pasarte el viernes 6 a las 13:00?", datetime(2026, 11, 6, 12, 0, tzinfo=UTC)),
    # a zone after a comma
    ("el miércoles 4 de noviembre a las 10:00 hrs, hora del centro de México",
     datetime(2026, 11, 4, 16, 0, tzinfo=UTC)),
    # a bare hour with its zone stated
    ("Tuesday at 11 Irish time (so 12 for you) works well",
     datetime(2026, 11, 3, 11, 0, tzinfo=UTC)),
])
def test_interview_times_laid_out_as_notices_and_people_write_them(text: str,
                                                                    at: datetime) -> None:
    moment = interview_moment(text, SENT, ZONE)
    assert moment is not None and moment.at == at


def test_a_weekday_whose_day_number_does_not_fit_is_no_time() -> None:
    # Friday 7 is no Friday in the two months after SENT's day: nothing guessed
    assert interview_moment("Can you come in on Friday 7 at 13:00?", SENT, ZONE) is None


@pytest.mark.parametrize(("sender", "subject", "body", "company"), [
    # an agency writes for a client its subject names
    ("Priya Nair <priya@haldenbrook-search.example>", "Corvane Payments - Technical Interview",
     "Hi Alex,\n\nHere's the invite for your second stage: a 90-minute technical interview "
     "on Thursday with two of their platform engineers.\n\nPriya\nHaldenbrook Search",
     "Corvane Payments"),
    ("Nina Castell <nina@talentforge.example>", "Quillmere update",
     "Hi Alex,\n\nI just got off the phone with the Quillmere team. Sadly they've decided to "
     "move forward with another candidate.\n\nNina", "Quillmere"),
    # a place after 'à' or 'in' is no employer
    ("Hôtellerie Bellevue <recrutement@hotellerie-bellevue.example>",
     "Confirmation de candidature",
     "Bonjour,\n\nNous confirmons la réception de votre candidature pour le poste de Chef de "
     "réception à Annecy.\n\nHôtellerie Bellevue", "Hôtellerie Bellevue"),
    ("Jobbly <noreply@jobbly.example>", "Inscripción realizada",
     "Hola Alex,\n\nTe has inscrito en la oferta Técnico de Prevención de Riesgos de "
     "Constructora Ordás en León.\n\nEl equipo", "Constructora Ordás"),
    # a reference number is no employer
    ("Seguros Pinar <empleo@segurospinar.example>",
     "Confirmación de inscripción en la oferta Analista",
     "Te confirmamos que te has inscrito en la oferta Analista (Madrid) - Ref. SP-117. Puedes "
     "consultar el estado de tu candidatura en el portal.\n\n"
     "Seguros Pinar, S.A.", "Seguros Pinar, S.A."),
])
def test_an_agency_s_client_and_a_place_or_reference_that_is_no_employer(
        sender: str, subject: str, body: str, company: str) -> None:
    [finding] = recognise_bytes(mail(body, sender=sender, subject=subject), zone=ZONE)
    assert normal_company(finding.company) == normal_company(company)


def test_a_rejection_that_reviewed_the_profile_is_no_profile_view_notice() -> None:
    # "reviewed your profile" is no "viewed your profile" notice
    raw = mail("Hi Alex,\n\nThanks for your interest in Brightwell. We reviewed your profile "
               "against our current needs and have decided not to proceed with your "
               "application.\n\nTalent Operations\nBrightwell",
               sender="Brightwell <screening@brightwell.example>",
               subject="Your Brightwell application")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert (finding.kind, finding.company) == ("rejection", "Brightwell")


def test_not_going_to_proceed_is_a_rejection() -> None:
    raw = mail("Hi Alex,\n\nJust off the phone with Harwood Analytics. I'm gutted to say they're "
               "not going to proceed.\n\nTariq", sender="Tariq <tariq.recruits@mail.com>",
               subject="Harwood Analytics feedback")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert (finding.kind, finding.company) == ("rejection", "Harwood Analytics")


@pytest.mark.parametrize(("sender", "subject", "body", "company"), [
    ("Jobhafen <info@jobhafen.example>", "Votre candidature : Comptable H/F",
     "Bonjour Alex,\nVotre candidature a été envoyée au recruteur Fromagerie Valcourt pour "
     "l'offre Comptable H/F.\nL'équipe Jobhafen", "Fromagerie Valcourt"),
    ("Gigmarkt <notify@gigmarkt.example>", "Mise à jour de votre candidature",
     "Bonjour Alex,\nLa mission Développeur Django de Banque Ormeau a été pourvue. Votre "
     "candidature n'a pas été retenue.", "Banque Ormeau"),
    ("Stellwerk <noreply@stellwerk.example>", "Deine Bewerbung",
     "Hallo Alex,\nwir haben deine Bewerbung als Controller an die Brauerei Lindenhof eG "
     "weitergeleitet.\nDein Stellwerk Team", "Brauerei Lindenhof eG"),
    ("Codecheck <scheduling@codecheck.example>", "Rescheduled: Pelham Mutual technical "
     "interview", "Hi Alex,\nYour interview has been moved to Monday, November 9, 2026 at "
     "16:00 (GMT+1).\nThe Codecheck Team", "Pelham Mutual"),
])
def test_a_platforms_notice_names_the_employer_not_the_platform(
        sender: str, subject: str, body: str, company: str) -> None:
    [finding] = recognise_bytes(mail(body, sender=sender, subject=subject), zone=ZONE)
    assert finding.company == company


def test_an_agency_names_the_client_it_writes_for_in_its_text() -> None:
    raw = mail("Hi Alex,\nYour application has been received by our team for the position "
               "of Data Analyst, on behalf of our client Tidewater Health.\nKind regards,\n"
               "Northgate Talent", sender="Northgate Talent <no-reply@northgatetalent.example>",
               subject="Thank you for your application - Data Analyst")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert finding.company == "Tidewater Health"


@pytest.mark.parametrize("body", [
    # an employer's own job title with "de" is no other employer
    "Buenos días Alex,\nHemos visto tu candidatura para el puesto de Responsable de Logística."
    " ¿Podrías venir el viernes 20 de noviembre a las 10:00 para una entrevista?\nUn saludo,"
    "\nMuebles Ronda S.A.",
    # a person met is no employer
    "Bonjour Alex,\nvotre entretien avec Madame Perrin est fixé au vendredi 6 novembre à "
    "11h.\nMuebles Ronda",
])
def test_an_employers_own_mail_keeps_its_name(body: str) -> None:
    raw = mail(body, sender="Muebles Ronda <rrhh@mueblesronda.example>", subject="Entrevista")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert normal_company(finding.company) == "muebles ronda"


@pytest.mark.parametrize(("text", "company"), [
    ("Te postulaste a Contador Sr\n¡Hola Alex!\nTe postulaste a Contador Sr en Molinos del "
     "Plata S.A. (Córdoba).", "Molinos del Plata S.A."),
    ("Your application status has changed\nHi Alex,\nHarbour Lane Hotel moved your "
     "application for Night Auditor to: Interview.\nThe Hirefloor team", "Harbour Lane Hotel"),
    ("Anfrage angenommen\nHallo Alex,\nsuper! Kessler Robotik wurde informiert.",
     "Kessler Robotik"),
    ("Welcome\nHi Alex,\nwe've let Pinecrest Labs know you're interested.", "Pinecrest Labs"),
    ("Update\nHi Alex,\nThe Hirefloor team moved your application.", ""),
    ("Novedades\n¡Hola Alex!\nLa búsqueda Contador Senior de Molinos del Plata finalizó y la "
     "empresa no seleccionó tu perfil.", "Molinos del Plata"),
    ("Mise à jour\nBonjour Alex,\nAtelier Corbière a clôturé la mission « Data » et n'a pas "
     "retenu votre candidature.", "Atelier Corbière"),
])
def test_the_employer_a_notice_names_by_its_part(text: str, company: str) -> None:
    from nudger.mail.capture.platform import employer_on_notice
    from nudger.mail.capture.rules import default_rules

    def as_written(raw: str, _rules: object) -> str:
        return raw

    assert employer_on_notice(text, "hirefloor", default_rules(), as_written) == company


@pytest.mark.parametrize(("company", "domain", "text", "want"), [
    ("Tempora France", "tempora.fr", "", "Tempora"),
    ("Tempora Lübeck", "tempora.de", "in unsere Niederlassung Lübeck", "Tempora"),
    # a second word the text does not name as a place is the name's
    ("Tempora Logistik", "tempora.de", "Tempora Logistik sucht", "Tempora Logistik"),
    ("Tempora France", "other.example", "", "Tempora France"),
])
def test_a_branch_is_its_company(company: str, domain: str, text: str, want: str) -> None:
    from nudger.mail.capture.platform import branch_of
    assert branch_of(company, domain, text) == want


def test_a_job_after_a_colon_is_no_part_of_the_employer() -> None:
    raw = mail("Guten Tag Alex,\nvielen Dank für Ihre Bewerbung auf die Stelle Buchhalter "
               "(m/w/d). Ihre Unterlagen sind bei uns eingegangen.\nIhr Tempora Team",
               sender="Tempora Personal <noreply@tempora-personal.example>",
               subject="Ihre Bewerbung bei Tempora: Buchhalter (m/w/d)")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert ":" not in finding.company and finding.company.startswith("Tempora")



@pytest.mark.parametrize(("employer", "company"), [
    ("RRHH Talleres Ondarra S.L.", "Talleres Ondarra S.L."),
    ("Personalabteilung Lindenhof Käserei eG", "Lindenhof Käserei eG"),
    ("Pelham Trust N.A.", "Pelham Trust N.A."),
    ("Frutas Segura S.A.T.", "Frutas Segura S.A.T."),
    ("Forestal Ñuble Ltda.", "Forestal Ñuble Ltda."),
])
def test_a_desk_before_the_name_and_more_legal_forms(employer: str, company: str) -> None:
    raw = mail(f"Bonjour Alex,\nVotre candidature a été envoyée au recruteur {employer} pour "
               "l'offre Comptable H/F.\nL'équipe Jobhafen",
               sender="Jobhafen <info@jobhafen.example>", subject="Votre candidature : Comptable")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert normal_company(finding.company) == normal_company(company)
    assert not finding.company.startswith(("RRHH", "Personal"))


def test_and_co_inside_a_name_is_no_legal_form() -> None:
    raw = mail("Hi Alex,\nThanks for applying to Birch & Co. Bakers for the Shift Lead "
               "position! You're on your way.\nThe Birch team",
               sender="Birch & Co. Bakers <no-reply@birchbakers.example>",
               subject="Thanks for applying to Birch & Co. Bakers!")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert finding.company == "Birch & Co. Bakers"


@pytest.mark.parametrize("text", [
    # a start and an end apart from the date: the end's word says which is which
    "Wir laden Sie am Freitag, den 20. November 2026, ein.\nWir beginnen um 9:15 Uhr, das "
    "Ende ist gegen 15:30 Uhr.",
    "The workshop is on Friday 20 November.\nArrival 9:15 am, finishing around 3:30 pm.",
    # a day's schedule, one time leading each line: the day starts at its first
    "Your onsite day is Friday, November 20.\n09:15 Coffee with the team\n10:00 Design "
    "exercise\n11:30 Lunch",
])
def test_a_date_and_its_start_time_apart_from_an_end_or_a_schedule(text: str) -> None:
    moment = interview_moment(text, SENT, ZONE)
    assert moment is not None and moment.at == datetime(2026, 11, 20, 8, 15, tzinfo=UTC)


def test_two_start_times_apart_from_the_date_stay_unread() -> None:
    """Two times in prose, neither an end nor a schedule's lines: no guess."""
    text = "We meet on Friday 20 November. Slots at 9:15 or at 14:00, your choice."
    assert interview_moment(text, SENT, ZONE) is None


@pytest.mark.parametrize(("zone", "hour"), [("AWST", 2), ("SAST", 8), ("HST", 20)])
def test_any_abbreviation_the_zone_database_knows(zone: str, hour: int) -> None:
    """No hand list: the zone database's own abbreviations (AWST +8, SAST +2, HST -10)."""
    moment = interview_moment(f"Friday 20 November 2026, 10:00 {zone}", SENT, ZONE)
    assert moment is not None and moment.zoned
    assert moment.at == datetime(2026, 11, 20, hour, tzinfo=UTC)


def test_an_abbreviation_the_zone_database_does_not_know_is_no_zone() -> None:
    moment = interview_moment("Friday 20 November 2026, 10:00 XQT", SENT, ZONE)
    assert moment is not None and not moment.zoned
    assert moment.at == datetime(2026, 11, 20, 9, tzinfo=UTC)


def test_no_news_back_within_a_fortnight_is_no_refusal() -> None:
    """"Sans retour de notre part sous 15 jours, … n'a pas été retenue": a condition, so
    the mail is the receipt it says it is."""
    raw = mail("Bonjour,\n\nNous accusons réception de votre candidature pour le poste de "
               "Comptable chez Fromagerie Vallet.\n\nSans retour de notre part sous 15 jours, "
               "vous pourrez considérer que votre candidature n'a pas été retenue.\n",
               sender="Recrutement Vallet <recrutement@fromagerie-vallet.example>",
               subject="Votre candidature")
    assert [f.kind for f in recognise_bytes(raw, zone=ZONE)] == ["application"]
