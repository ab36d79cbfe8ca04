"""Capture on mail no rule was written from (issue 22): the general fixes of the recogniser,
each on a made-up mail of its kind. Who is a person and who a company (a display name that
is only the address, an organisation's name on a platform's address, a desk's address,
"Name via Platform"), free-mail providers under any country's suffix, legal forms kept
whole, a short name completed from the sender's domain, a job board's card, hiring systems
the rules do not list, the four languages' indirect wording, and mail that is about an
application or an interview of another kind (a flat, a magazine)."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest

from nudger.mail.capture.interview_time import interview_moment
from nudger.mail.capture.prefilter import peek
from nudger.mail.capture.recognise import recognise_bytes
from nudger.mail.capture.rules import default_rules

ZONE = ZoneInfo("Europe/Berlin")


def mail(body: str, *, sender: str, subject: str, html: bool = False) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "Alex Rivera <alex@example.com>"
    msg["Subject"] = subject
    msg["Date"] = "Tue, 06 Oct 2026 09:30:00 +0200"
    msg["Message-ID"] = "<extract-test@example.net>"
    if html:
        msg.set_content(body, subtype="html")
    else:
        msg.set_content(body)
    return msg.as_bytes()


def found(raw: bytes) -> tuple[str, str, str, str]:
    [finding] = recognise_bytes(raw, zone=ZONE)
    return finding.kind, finding.company, finding.contact_name, finding.contact_email


# --- free mail --------------------------------------------------------------------------

@pytest.mark.parametrize("domain", [
    "yahoo.fr", "yahoo.co.uk", "yahoo.com.ar", "hotmail.es", "hotmail.co.uk", "outlook.es",
    "outlook.de", "live.fr", "gmx.at", "gmx.ch", "web.de", "t-online.de", "free.fr",
    "orange.fr", "laposte.net", "libero.it", "seznam.cz", "wp.pl", "mail.ru", "yandex.ru",
    "mail.yahoo.de"])
def test_national_free_mail_domains_are_free_mail(domain: str) -> None:
    assert default_rules().is_freemail(domain)


@pytest.mark.parametrize("domain", [
    "acme-robotics.example", "outlook-consulting.de", "yahoo-partners.example.com",
    "freenet-solutions.example", "hotmail.example.evil.org"])
def test_a_company_domain_is_not_free_mail(domain: str) -> None:
    assert not default_rules().is_freemail(domain)


def test_a_free_mail_domain_is_never_the_company() -> None:
    # A friend writing from a national free-mail address: nothing names a company, so
    # nothing is found (the old code proposed an application at "Outlook").
    raw = mail("Hola Alex,\n\nHemos recibido tu solicitud. Te escribo pronto.\n\nElena\n",
               sender="Elena Sánchez <elena.sanchez@outlook.es>",
               subject="Tu solicitud ha sido recibida")
    assert recognise_bytes(raw, zone=ZONE) == []


# --- who is a person, who a company ----------------------------------------------------

SIGNED = ("Hi Alex,\n\nThank you for your application for the Robotics Engineer role at "
          "Acme Robotics. We would like to invite you to an interview next week.\n\n"
          "Best regards,\nDana Lee\n")


@pytest.mark.parametrize("sender", [
    '"dana.lee@acme-robotics.example" <dana.lee@acme-robotics.example>',
    "dana.lee@acme-robotics.example <dana.lee@acme-robotics.example>",
    "dana.lee <dana.lee@acme-robotics.example>"])
def test_a_display_name_that_is_only_the_address_is_not_a_name(sender: str) -> None:
    # The contact is the signature's name at the sender's own address; the address (or
    # its local part) is never taken as anyone's name.
    assert found(mail(SIGNED, sender=sender, subject="Interview")) == (
        "interview", "Acme Robotics", "Dana Lee", "dana.lee@acme-robotics.example")


def test_an_organisations_name_on_a_platforms_address_is_the_company() -> None:
    raw = mail("Hi Alex,\n\nWe've looked at your application for the Growth Marketer "
               "position and have decided to pursue other applicants.\n\nKinetic Labs\n",
               sender="Kinetic Labs <kinetic-labs@messaging.hirebox.example>",
               subject="Kinetic Labs - Growth Marketer")
    # Before: the company "Hirebox" (the platform's domain), "Kinetic Labs" the contact.
    assert found(raw) == ("rejection", "Kinetic Labs", "", "")


def test_a_desks_address_is_no_persons() -> None:
    raw = mail("Guten Tag,\n\nwir haben Ihre Bewerbung als Qualitätsingenieur (m/w/d) "
               "erhalten.\n\nIhr Personalteam\n",
               sender="Bergmann Medizintechnik <bewerbung@bergmann-medtech.example>",
               subject="Ihre Bewerbung")
    # Before: "bewerbung@" starting with the name's initial made it a person's address,
    # and the company came from the domain ("Bergmann Medtech").
    assert found(raw) == ("application", "Bergmann Medizintechnik", "", "")


def test_a_person_via_a_platform_is_the_contact_not_the_company() -> None:
    raw = mail("Sabine Roth: Hallo Alex, wir würden Sie gern für die Position Junior "
               "Consultant bei Rheinblick Consulting kennenlernen. Passt Ihnen Donnerstag?",
               sender="Sabine Roth via Netzwerk <mailrobot@mail.netzwerk.example>",
               subject="Nachricht von Sabine Roth: Gesprächstermin")
    # Before: the company "Sabine Roth".
    assert found(raw) == ("interview", "Rheinblick Consulting", "Sabine Roth", "")


def test_a_company_via_a_listed_hiring_system_is_the_company() -> None:
    raw = mail("Hi Alex,\n\nThank you for applying. We will review it shortly.\n",
               sender="Acme Robotics via Greenhouse <no-reply@greenhouse.io>",
               subject="Thank you for applying")
    assert found(raw)[:2] == ("application", "Acme Robotics")


# --- legal forms -------------------------------------------------------------------------

@pytest.mark.parametrize("name", [
    "Acme Robotics GmbH & Co. KG", "Arena Digital S.A.", "Quillon Software, Inc.",
    "Soluciones Marea S.L.", "Kessler Logistiek B.V.", "Papeterie Morel SAS",
    "Waldner Versicherung AG", "Acme Corp"])
def test_a_legal_form_is_kept_whole_as_the_mail_writes_it(name: str) -> None:
    raw = mail(f"Hi Alex,\n\nThank you for applying for the Data Analyst position at {name}; "
               "we will be in touch.\n",
               sender="Careers <no-reply@greenhouse.io>", subject="Thank you for applying")
    # Before: cut at its first dot ("Acme Robotics GmbH & Co", "Arena Digital S"), or
    # left out after a comma ("Quillon Software").
    assert found(raw)[1] == name


def test_a_german_passive_is_not_part_of_the_name() -> None:
    raw = mail("Hallo Alex,\n\nIhre Bewerbung als IT-Systemadministrator (m/w/d) bei "
               "Falkenrath IT Services GmbH wurde erfolgreich versendet.\n",
               sender="Jobbörse <noreply@jobboerse.example>",
               subject="Ihre Bewerbung wurde versendet")
    assert found(raw)[1] == "Falkenrath IT Services GmbH"


def test_a_short_name_is_completed_from_the_senders_domain() -> None:
    raw = mail("Hi Alex,\n\nwe've filled the Technical Writer role and are closing other "
               "applications.\n", sender="Morgan Ellis <morgan.ellis@quillon-software.example>",
               subject="Technical Writer at Quillon")
    assert found(raw)[1] == "Quillon Software"
    # A domain that adds only a desk's word says nothing more.
    careers = raw.replace(b"quillon-software.example", b"quillon-careers.example")
    assert found(careers)[1] == "Quillon"


def test_a_job_boards_card_names_the_company() -> None:
    raw = mail("<html><body><h3>Your application was sent</h3><p><b>Office Manager</b><br>"
               "Maple &amp; Finch Dental - Portland, OR</p></body></html>",
               sender="Indeed Apply <indeedapply@indeed.com>",
               subject="Application submitted: Office Manager", html=True)
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert (finding.kind, finding.company, finding.role) == (
        "application", "Maple & Finch Dental", "Office Manager")


# --- a hiring system the rules do not list ---------------------------------------------

UNLISTED = mail("Alex,\n\nThank you for interviewing with us. We regret that we will not be "
                "extending an offer for the Dental Hygienist position.\n\n"
                "Larkspur Dental Group\n",
                sender="Larkspur Dental Group <notifications@hirewell.example>",
                subject="Dental Hygienist - Larkspur Dental Group")


def test_a_hiring_system_the_rules_do_not_list_is_read() -> None:
    # A service address (notifications@) whose subject has no candidate word: its text
    # names an interview, so it is read (before: never read past its headers).
    assert peek(UNLISTED, default_rules())[1]
    assert found(UNLISTED)[:2] == ("rejection", "Larkspur Dental Group")


def test_a_service_address_that_names_no_application_is_not_read() -> None:
    news = mail("A new comment on your pull request.\n",
                sender="Forge <notifications@forge.example>", subject="PR #12: fix the build")
    assert not peek(news, default_rules())[1]
    # A shop's, a bank's or a newsletter's address is never a hiring system's, whatever
    # its text says.
    shop = mail("Your application for a store card was received.\n",
                sender="Nimbus Shop <orders@shopnimbus.example>", subject="On its way")
    assert not peek(shop, default_rules())[1]
    assert recognise_bytes(shop, zone=ZONE) == []


# --- the four languages ----------------------------------------------------------------

@pytest.mark.parametrize("sender,subject,body,want", [
    ("Papillon Studio <papillon-studio@jobs-platform.example>", "Papillon Studio - Product",
     "Bonjour Alex,\n\nAprès réflexion, nous ne retiendrons pas ta candidature pour le "
     "poste de Product Manager.\n\nPapillon Studio\n", ("rejection", "Papillon Studio")),
    ("Plateforme <noreply@plateforme-emploi.example>", "Candidature envoyée",
     "Bonjour Alex,\n\nTa candidature au poste de Data Analyst a été envoyée à Cartographe "
     "Conseil.\n", ("application", "Cartographe Conseil")),
    ("Sophie Verdier <sophie.verdier@orange.fr>", "Retour Cabinet Morel",
     "Bonjour Alex,\n\nLe Cabinet Morel m'a fait un retour : ils ont préféré un candidat "
     "avec plus d'expérience pour le poste de Comptable.\n\nSophie\n",
     ("rejection", "Cabinet Morel")),
    ("Javier Romero <javier.romero@hotmail.es>", "Responsable de exportación",
     "Hola Alex,\n\nSiento decirte que Bodegas Altamira ha cerrado el proceso con otro "
     "candidato.\n\nJavier\n", ("rejection", "Bodegas Altamira")),
    ("Casey Nguyen <casey.nguyen@yahoo.com>", "Re: IT Technician",
     "Hi Alex, Pine Valley Schools went in a different direction for the IT Technician "
     "role. Sorry!\nCasey\n", ("rejection", "Pine Valley Schools")),
    ("Nordtal Möbel <karriere@nordtal-moebel.example>", "Deine Bewerbung als Designer",
     "Hallo Alex,\n\ndanke für Deine Zeit. Wir haben uns entschieden, die Stelle mit "
     "jemand anderem zu besetzen.\n\nNordtal Möbel\n", ("rejection", "Nordtal Möbel")),
])
def test_indirect_wording_in_four_languages(sender: str, subject: str, body: str,
                                            want: tuple[str, str]) -> None:
    assert found(mail(body, sender=sender, subject=subject))[:2] == want


# --- applications and interviews that are not about a job ------------------------------

@pytest.mark.parametrize("sender,subject,body", [
    ("Hausverwaltung Kramer <info@hv-kramer.example>", "Ihre Bewerbung",
     "Vielen Dank für Ihre Bewerbung um die Wohnung in der Lindenstraße. Wir melden uns."),
    ("Mairie <contact@mairie.example>", "Votre candidature",
     "Nous avons bien reçu votre candidature au conseil municipal des jeunes."),
    ("Club Lectura <club@lectura.example>", "Tu solicitud",
     "Hemos recibido tu solicitud de socio para el club de lectura."),
    ("Elena Sánchez <elena@revista-barrio.example>", "Entrevista",
     "Hola Alex, ¿te apetece hacer una entrevista para la revista del barrio?"),
    ("Embassy Services <visa@embassy-services.example>", "Your application",
     "We have received your visa application and will process it within 10 days."),
    ("Jobs Daily <jobs@jobsdaily.example>", "Jobs for you",
     "Here are jobs that match your profile: Data Analyst, Acme Robotics. Apply today."),
])
def test_mail_about_another_kind_of_application_is_not_job_mail(sender: str, subject: str,
                                                                 body: str) -> None:
    assert recognise_bytes(mail(body, sender=sender, subject=subject), zone=ZONE) == []


@pytest.mark.parametrize("role", ["Program Manager", "Account Executive", "Loan Officer",
                                  "Room Attendant", "School Teacher", "Grant Writer"])
def test_a_job_named_like_another_kind_of_application_is_a_job(role: str) -> None:
    # "application for the Program …" is a job's: only what ends there (a flat, a card,
    # a visa) is another kind of application.
    raw = mail(f"Hi Alex,\n\nThank you for your application for the {role} role at "
               "Acme Robotics. We will be in touch.\n",
               sender="Acme Robotics <jobs@acme-robotics.example>", subject="Your application")
    assert found(raw)[:2] == ("application", "Acme Robotics")


def test_a_sentence_going_on_after_and_is_not_part_of_the_name() -> None:
    raw = mail("Dear Alex,\n\nWe appreciate your interest in Orbit Labs and the time you "
               "invested in applying. After careful consideration, we will not be moving "
               "forward with your candidacy.\n",
               sender="Jobs <notifications@hire.example-ats.com>",
               subject="Your application to Orbit Labs")
    # Before: "Orbit Labs and the time you invested in applying".
    assert found(raw)[:2] == ("rejection", "Orbit Labs")


def test_a_day_is_never_the_role() -> None:
    raw = mail("Your Technical Interview with Acme is confirmed for Thursday 10 December at "
               "10:00 Central.", sender="Ashby <no-reply@ashbyhq.com>",
               subject="Interview confirmed: Technical Interview with Acme")
    [finding] = recognise_bytes(raw, zone=ZONE)
    # Before: the role "Thursday".
    assert (finding.kind, finding.company, finding.role) == ("interview", "Acme", "")


def test_a_persons_name_at_their_company_is_the_persons() -> None:
    raw = mail("Hi Alex,\n\nLoved your application! Could you pick a time for a 30 minute "
               "intro call?\n\nTeodora\n", sender="Teodora at Kite <teodora@kite.dev>",
               subject="Next steps")
    # Before: the contact "Teodora at Kite".
    assert found(raw) == ("interview", "Kite", "Teodora", "teodora@kite.dev")


def test_a_recruiter_on_free_mail_names_their_firm() -> None:
    raw = mail("Hola Alex, soy Patricia de Nexa Consultores. ¿Podemos hacer una entrevista por "
               "videollamada el martes a las 11:00?\nPatricia",
               sender="Patricia Gómez <patricia.gomez@outlook.com>", subject="Entrevista")
    # Before: nothing (no company: the domain is free mail).
    assert found(raw)[:2] == ("interview", "Nexa Consultores")


def test_a_newsletter_address_is_a_mailing() -> None:
    raw = mail("In dieser Ausgabe: so gelingt Ihre Bewerbung. Das Vorstellungsgespräch "
               "meistern.", sender="Karriere Magazin <newsletter@karriere-magazin.example>",
               subject="Die 10 besten Tipps für Ihre Bewerbung")
    # Before: an interview at "Karriere Magazin".
    assert recognise_bytes(raw, zone=ZONE) == []


# --- an employer named as an organisation ------------------------------------------------

@pytest.mark.parametrize(("sender", "subject", "body", "company"), [
    # its name under the sign-off, from free mail
    ("Jana Holm <jana.holm@web.de>", "Ihre Bewerbung",
     "Hallo Alex,\n\nleider haben wir uns für einen anderen Bewerber entschieden.\n\n"
     "Viele Grüße\nJana Holm\nTischlerei Holm\nMühlweg 3", "Tischlerei Holm"),
    ("Marc Petit <marc.petit@orange.fr>", "Votre candidature",
     "Bonjour Alex,\n\nnous avons bien reçu votre candidature pour le poste de "
     "préparateur.\n\nCordialement,\nMarc Petit\nPharmacie du Marché", "Pharmacie du Marché"),
    # the subject is only its name
    ("Carmen Ruiz <carmen.ruiz@hotmail.com>", "Clínica Albor",
     "Hola Alex,\n\nLamentablemente la clínica ha decidido seguir con otra candidata.\n\n"
     "Carmen", "Clínica Albor"),
    # written in the text
    ("Luis Gil <luis.gil1975@gmail.com>", "Re: el puesto",
     "Hola Alex,\n\nTe escribo de Reformas Gil S.L. porque lamentablemente no vamos a "
     "seguir con tu candidatura.\n\nLuis", "Reformas Gil S.L."),
    # a company's domain whose words the signature spells in another order
    ("Lucía Fernández <lucia.fernandez@marea-soluciones.example>", "RE: Puesto de Jefe",
     "Hola Alex,\n\nGracias. ¿Podemos hablar por teléfono mañana a las 17:00?\n\nLucía\n"
     "Soluciones Marea", "Soluciones Marea"),
])
def test_the_employer_is_the_organisation_the_mail_names(sender: str, subject: str,
                                                        body: str, company: str) -> None:
    [finding] = recognise_bytes(mail(body, sender=sender, subject=subject), zone=ZONE)
    assert finding.company == company
    assert "organisation's name in the mail" in finding.why


def test_a_job_title_is_not_taken_for_an_organisation() -> None:
    """"Senior Data Analyst" has an organisation word ("data") but is a job's title."""
    raw = mail("Hola Alex,\n\nLamentablemente no vamos a seguir con tu candidatura para "
               "Senior Data Analyst.\n\nCarmen", sender="Carmen Ruiz <c.ruiz@hotmail.com>",
               subject="Tu candidatura")
    assert recognise_bytes(raw, zone=ZONE) == []


# --- interview times ---------------------------------------------------------------------

SENT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(("text", "at", "zoned"), [
    # the time first, the date after it (and a zone after the date)
    ("Can you join at 2:00 PM on Thursday, November 19 (Eastern Time)?",
     datetime(2026, 11, 19, 19, 0, tzinfo=UTC), True),
    ("at 2:00 PM on Thursday, November 19 PST", datetime(2026, 11, 19, 22, 0, tzinfo=UTC),
     True),
    ("rendez-vous à 14h00 le mardi 17 novembre (heure de Paris)",
     datetime(2026, 11, 17, 13, 0, tzinfo=UTC), True),
    ("um 14 Uhr am 17.11.2026", datetime(2026, 11, 17, 13, 0, tzinfo=UTC), False),
    ("a las 10:00 del 4 de diciembre", datetime(2026, 12, 4, 9, 0, tzinfo=UTC), False),
    ("at 10:00 on 2026-11-25", datetime(2026, 11, 25, 9, 0, tzinfo=UTC), False),
    # dates with slashes: day first, month first when it cannot be or the clock is 12-hour
    ("Date : 19/11/2026\nHeure : 14h30", datetime(2026, 11, 19, 13, 30, tzinfo=UTC), False),
    ("le 03/12 à 10h00", datetime(2026, 12, 3, 9, 0, tzinfo=UTC), False),
    ("on 11/19/2026 at 2:00 PM EST", datetime(2026, 11, 19, 19, 0, tzinfo=UTC), True),
    ("on 11/12/2026 at 2:00 PM EST", datetime(2026, 11, 12, 19, 0, tzinfo=UTC), True),
    # the forms the issue names
    ("Tuesday, November 10, 2026 4:00 PM - 4:45 PM Pacific Standard Time (UTC-08:00)",
     datetime(2026, 11, 11, 0, 0, tzinfo=UTC), True),
    ("am 17.11.2026 um 15:00 Uhr MEZ", datetime(2026, 11, 17, 14, 0, tzinfo=UTC), True),
    ("Thursday 10 December at 10:00 Central", datetime(2026, 12, 10, 16, 0, tzinfo=UTC), True),
    # a range introduced by "von", "from", "entre"
    ("am 10.12.2026 von 14:30 bis 15:15 Uhr", datetime(2026, 12, 10, 13, 30, tzinfo=UTC),
     False),
    ("on 10 December 2026 from 10:00 to 10:45 (GMT+1)",
     datetime(2026, 12, 10, 9, 0, tzinfo=UTC), True),
    # a 12-hour time by its part of the day, in ES, FR, DE
    ("el jueves 10 de diciembre a las 4 de la tarde",
     datetime(2026, 12, 10, 15, 0, tzinfo=UTC), False),
    ("le 10 décembre à 3h du soir", datetime(2026, 12, 10, 14, 0, tzinfo=UTC), False),
    ("am 10.12.2026 um 3 Uhr nachmittags", datetime(2026, 12, 10, 14, 0, tzinfo=UTC), False),
    # a day named relative to the sending day (Monday 2 November 2026)
    ("How about Thursday at 3pm CT?", datetime(2026, 11, 5, 21, 0, tzinfo=UTC), True),
    ("Would tomorrow at 11:00 CET work?", datetime(2026, 11, 3, 10, 0, tzinfo=UTC), True),
    ("Können wir morgen um 10 Uhr telefonieren?", datetime(2026, 11, 3, 9, 0, tzinfo=UTC),
     False),
    ("un entretien jeudi prochain à 14h30", datetime(2026, 11, 5, 13, 30, tzinfo=UTC), False),
    ("¿Te va bien el lunes a las 16:00?", datetime(2026, 11, 9, 15, 0, tzinfo=UTC), False),
    # "Central European Time" is not the US's "Central"
    ("Tuesday, December 8, 2026 at 10:00 AM - 10:45 AM (Central European Time)",
     datetime(2026, 12, 8, 9, 0, tzinfo=UTC), True),
    # minutes after a spaced "h", a time after "@", a city's or the UK's time
    ("le jeudi 10/12 à 14 h 30", datetime(2026, 12, 10, 13, 30, tzinfo=UTC), False),
    ("10 December 2026 @ 14:00", datetime(2026, 12, 10, 13, 0, tzinfo=UTC), False),
    ("Thursday 10th December, 2pm (UK time)", datetime(2026, 12, 10, 14, 0, tzinfo=UTC), True),
    ("December 10 at 9am Paris time", datetime(2026, 12, 10, 8, 0, tzinfo=UTC), True),
    # ISO times with seconds and their own offset; "|" or "·" between date and time
    ("Start: 2026-12-10T13:00:00Z", datetime(2026, 12, 10, 13, 0, tzinfo=UTC), True),
    ("Start: 2026-12-10T14:00:00+01:00", datetime(2026, 12, 10, 13, 0, tzinfo=UTC), True),
    ("at 14:00:00 on 10 December 2026", datetime(2026, 12, 10, 13, 0, tzinfo=UTC), False),
    ("Thursday, 10 December 2026 | 14:00 - 14:45 CET",
     datetime(2026, 12, 10, 13, 0, tzinfo=UTC), True),
    ("Thursday, 10 December 2026 · 14:00–14:45", datetime(2026, 12, 10, 13, 0, tzinfo=UTC),
     False),
    # a range's end is no offset
    ("10 December 2026, 10:00-10:45 CET", datetime(2026, 12, 10, 9, 0, tzinfo=UTC), True),
])
def test_an_interview_time_in_its_written_forms(text: str, at: datetime, zoned: bool) -> None:
    moment = interview_moment(text, SENT, ZONE)
    assert moment is not None and (moment.at, moment.zoned) == (at, zoned)


def test_a_fraction_or_24_7_is_no_date() -> None:
    assert interview_moment("We are open 24/7, call at 10:00.", SENT, ZONE) is None


def test_a_dated_moment_outranks_a_weekday_alone() -> None:
    """"Thursday" beside a stated date is that date's weekday, not the next Thursday."""
    moment = interview_moment("Thursday, 10 December 2026 at 14:00. See you Thursday at "
                              "14:00!", SENT, ZONE)
    assert moment is not None and moment.at == datetime(2026, 12, 10, 13, 0, tzinfo=UTC)


def test_two_weekdays_proposed_are_no_one_moment() -> None:
    assert interview_moment("Monday at 10:00 or Tuesday at 15:00?", SENT, ZONE) is None


# --- context ----------------------------------------------------------------------------

@pytest.mark.parametrize(("sentence", "kind"), [
    ("Malheureusement je ne suis pas disponible mardi. Pouvons-nous décaler l'entretien "
     "au jeudi 15 octobre à 14h00 ?", "interview"),
    ("Leider müssen wir das Gespräch verschieben: passt Ihnen der 15.10.2026 um 14:00 Uhr?",
     "interview"),
    ("Lamentablemente tenemos que reprogramar la entrevista al 15 de octubre a las 14:00.",
     "interview"),
    # a decision is a rejection, whatever was moved before it
    ("We had to postpone the interview twice; unfortunately we have decided to move forward "
     "with another candidate.", "rejection"),
])
def test_a_regret_about_a_date_moves_an_interview(sentence: str, kind: str) -> None:
    raw = mail(f"Bonjour Alex,\n\n{sentence}\n\nMarc Petit\nMaison Carrel\n",
               sender="Marc Petit <marc.petit@maison-carrel.example>", subject="Re: Alex")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert finding.kind == kind
    if kind == "interview":
        assert finding.interview_at == datetime(2026, 10, 15, 12, 0, tzinfo=UTC)
        assert "an interview moved" in finding.why


def calendar_mail(method: str, summary: str, sender: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "alex@example.com"
    msg["Subject"] = summary
    msg["Date"] = "Tue, 06 Oct 2026 09:30:00 +0200"
    msg.set_content("See the attached event.\n\nMaison Carrel")
    method_line = f"METHOD:{method}\r\n" if method else ""
    msg.add_attachment(
        f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{method_line}BEGIN:VEVENT\r\n"
        f"SUMMARY:{summary}\r\nDTSTART:20261015T120000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        subtype="calendar", filename="event.ics")
    return msg.as_bytes()


def test_a_published_calendar_event_titled_as_an_interview_is_one() -> None:
    for method in ("PUBLISH", ""):
        raw = calendar_mail(method, "Interview: Data Analyst at Maison Carrel",
                            "Maison Carrel <rh@maison-carrel.example>")
        [finding] = recognise_bytes(raw, zone=ZONE)
        assert finding.kind == "interview"
        assert finding.interview_at == datetime(2026, 10, 15, 12, 0, tzinfo=UTC)
    # a published event that is no job's (a concert) is not an interview
    raw = calendar_mail("PUBLISH", "Concert in the park",
                        "Maison Carrel <events@maison-carrel.example>")
    assert recognise_bytes(raw, zone=ZONE) == []


@pytest.mark.parametrize(("written", "company"), [
    ("Acme Robotics (Paris)", "Acme Robotics"), ("Acme Robotics (m/w/d)", "Acme Robotics"),
    ("Acme Robotics Inc. (NYSE: ACME)", "Acme Robotics Inc."),
    ("Acme Robotics Talent Acquisition", "Acme Robotics"),
    ("Acme Robotics Careers", "Acme Robotics"), ("Talent Lab", "Talent Lab"),
])
def test_the_company_comes_without_its_noise(written: str, company: str) -> None:
    raw = mail(f"Hi Alex,\n\nThank you for your interest in {written}. We have received "
               "your application.\n\nDana", sender="Dana Lee <dana@mail.example>",
               subject="Your application")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert finding.company == company


@pytest.mark.parametrize(("sender", "body", "company"), [
    # a hiring system the rules do not list, sending as itself: the employer in a link
    ("Jobly <hello@jobly.example>",
     "Hi Alex,\n\nThanks for applying! Your application has been sent to the team.\n\n"
     "See the role: https://jobly.example/companies/lumen-analytics/jobs/123\n\n"
     "Reviewing now: Lumen Analytics.\n", "Lumen Analytics"),
    ("Jobly <notifications@jobly.example>",
     "Hi Alex,\n\nWe have received your application for Data Analyst.\n\n"
     "https://tulipmobility.hireflow.example/o/data-analyst\n\nTulip Mobility Recruiting\n",
     "Tulip Mobility"),
    # a link's slug the text does not spell is not taken
    ("Jobly <hello@jobly.example>",
     "Hi Alex,\n\nThanks for applying! Your application has been sent.\n\n"
     "https://jobly.example/companies/x7-team/jobs/1\n", "Jobly"),
])
def test_the_employer_in_a_link_of_a_system_sending_as_itself(sender: str, body: str,
                                                             company: str) -> None:
    [finding] = recognise_bytes(mail(body, sender=sender, subject="Your application"),
                                zone=ZONE)
    assert finding.company == company
    if company != "Jobly":
        assert "company from the link's path" in finding.why


@pytest.mark.parametrize(("subject", "company"), [
    ("Your application to Lumen Analytics", "Lumen Analytics"),
    ("Re: Your application to Lumen Analytics", "Lumen Analytics"),
    ("Votre candidature chez Maison Carrel – Data Analyst", "Maison Carrel"),
    ("Lumen Analytics: your application", "Lumen Analytics"),
    ("Lumen Analytics | Vorstellungsgespräch", "Lumen Analytics"),
    # a subject's head the mail never repeats is no company ("Terminbestätigung: …")
    ("Terminbestätigung: Vorstellungsgespräch", "Hirely"),
])
def test_the_company_in_a_subject_template(subject: str, company: str) -> None:
    body = ("Hi Alex,\n\nWe have received your application and will be in touch.\n\n"
            + ("Lumen Analytics\n" if "Lumen" in subject else ""))
    raw = mail(body, sender="Hiring <no-reply@hirely.example>", subject=subject)
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert finding.company == company


# --- a domain spells an umlaut as two letters -----------------------------------------------

@pytest.mark.parametrize(("body", "company"), [
    # the signature's organisation line
    ("Hallo Alex,\n\ngerne laden wir Sie zu einem Vorstellungsgespräch ein.\n\nViele Grüße\n"
     "Anna Keller\nNordtal Möbel GmbH", "Nordtal Möbel GmbH"),
    # the name as the text writes it
    ("Hallo Alex,\n\nvielen Dank für Ihre Bewerbung bei der Nordtal Möbel GmbH. Wir melden "
     "uns.\n\nAnna Keller", "Nordtal Möbel GmbH"),
])
def test_a_domain_s_oe_is_the_name_s_umlaut(body: str, company: str) -> None:
    """nordtal-moebel.example is "Nordtal Möbel" as the mail writes it, not "Nordtal
    Moebel"."""
    [finding] = recognise_bytes(mail(body, sender="Anna Keller <anna.keller@nordtal-moebel."
                                     "example>", subject="Ihre Bewerbung"), zone=ZONE)
    assert finding.company == company


def test_a_career_with_a_company_names_it() -> None:
    """"your interest in a career with X": X, not "a career with X" (dropped)."""
    raw = mail("Hello Alex,\n\nWe have received your application for Staff Accountant - "
               "Denver, CO. Thank you for your interest in a career with Barrowdale Health "
               "Systems.\n", sender="no-reply@icims.com",
               subject="Application Received - Staff Accountant")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert (finding.company, finding.role) == ("Barrowdale Health Systems", "Staff Accountant")


@pytest.mark.parametrize(("signed", "company"), [
    ("Quillon Software, Inc.", "Quillon Software, Inc."),
    ("Quillon Data GmbH", "Quillon Data GmbH"),
    # no legal form: the run may be a desk or a place, the sender's name stands
    ("Quillon Support Berlin", "Quillon"),
    ("Quillon Careers Ltd", "Quillon"),
])
def test_a_short_name_is_completed_where_the_mail_writes_it_with_a_legal_form(
        signed: str, company: str) -> None:
    raw = mail(f"Hi Alex,\n\nWe have received your application for the Support Engineer "
               f"role.\n\n{signed}", sender="Jobs at Quillon <jobs@quillon.example>",
               subject="We received your application")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert finding.company == company


def _ats_mail(body: str, *, unsubscribe: bool) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Kestrel Analytics <no-reply@ashbyhq.com>"
    msg["To"] = "Alex Rivera <alex@example.com>"
    msg["Subject"] = "News from Kestrel Analytics"
    msg["Date"] = "Tue, 06 Oct 2026 09:30:00 +0200"
    msg["Message-ID"] = "<ats-mailing@example.net>"
    if unsubscribe:
        msg["List-Unsubscribe"] = "<https://unsubscribe.example/x>"
    msg.set_content(body)
    return msg.as_bytes()


def test_an_ats_mailing_needs_more_than_one_phrase() -> None:
    """An ATS's mail with List-Unsubscribe is its marketing more often than not: "since you
    applied to …" alone no longer makes it an application; a rejection's words still do."""
    teaser = ("Hi Alex,\n\nSince you applied to Kestrel Analytics before, here are our latest "
              "openings:\n\nData Engineer\nAnalytics Engineer\n")
    assert [f.kind for f in recognise_bytes(_ats_mail(teaser, unsubscribe=False),
                                            zone=ZONE)] == ["application"]
    assert recognise_bytes(_ats_mail(teaser, unsubscribe=True), zone=ZONE) == []
    rejection = ("Hi Alex,\n\nThank you for applying to Kestrel Analytics. Unfortunately, we "
                 "have decided to move forward with other candidates.\n")
    [finding] = recognise_bytes(_ats_mail(rejection, unsubscribe=True), zone=ZONE)
    assert finding.kind == "rejection" and "List-Unsubscribe" in finding.why


@pytest.mark.parametrize("subject", ["Data Engineer - next round", "Nächste Runde",
                                     "Prochaines étapes", "Siguiente fase"])
def test_a_subject_about_the_next_round_is_read(subject: str) -> None:
    """A person's mail whose body has no job word is read when its subject names the next
    round of a process."""
    raw = mail("Hi Alex,\n\nCongrats, you've progressed to the next round! A panel "
               "conversation follows.\n\nDana Lee\nAcme Robotics",
               sender="Dana Lee <dana.lee@acme-robotics.example>", subject=subject)
    assert [f.kind for f in recognise_bytes(raw, zone=ZONE)] == ["interview"]


@pytest.mark.parametrize(("subject", "body", "company"), [
    # the application sent to the employer, the platform not in the rules
    ("Your application has been sent", "Hi Alex,\n\nYour application for Junior Data "
     "Analyst has been sent to Kestrel Analytics.\n\nGood luck!\nThe Jobbly team",
     "Kestrel Analytics"),
    # "la empresa X", "l'entreprise X"
    ("Has aplicado a la oferta Desarrollador Java", "Hola Alex,\n\nTu candidatura a la "
     "oferta Desarrollador Java de la empresa Grupo Terral se ha registrado.\n", "Grupo Terral"),
    # an offer "chez X"
    ("Votre candidature a bien été envoyée", "Bonjour Alex,\n\nVotre candidature pour "
     "l'offre Chargée de communication (H/F) chez Atelier Morin a bien été envoyée.\n",
     "Atelier Morin"),
    # a subject "Label: Role at Company"
    ("Application sent: Junior Data Analyst at Kestrel Analytics",
     "Hi Alex,\n\nYou applied for Junior Data Analyst.\n", "Kestrel Analytics"),
])
def test_a_platform_not_listed_is_not_the_employer(subject: str, body: str,
                                                   company: str) -> None:
    """A job board the rules do not list: the employer is where the mail names it, not the
    board's display name."""
    raw = mail(body, sender="Jobbly <noreply@jobbly.example>", subject=subject)
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert finding.company == company


@pytest.mark.parametrize(("subject", "body"), [
    ("You applied to Junior Data Analyst", "Hi Alex,\n\nYou applied to the following job:\n\n"
     "Junior Data Analyst\nKestrel Analytics · Berlin\n"),
    # the card's title named in the text, not the subject
    ("Update on your application", "Hi Alex,\n\nUnfortunately the employer has decided not "
     "to proceed with your application for Junior Data Analyst.\n\nJunior Data Analyst\n"
     "Kestrel Analytics · Berlin\n"),
])
def test_a_job_card_of_a_board_not_listed_names_the_employer(subject: str, body: str) -> None:
    raw = mail(body, sender="Jobbly <noreply@jobbly.example>", subject=subject)
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert (finding.company, finding.role) == ("Kestrel Analytics", "Junior Data Analyst")


@pytest.mark.parametrize(("sentence", "company"), [
    ("I'm the hiring manager at Kestrel Analytics.", "Kestrel Analytics"),
    ("Je suis chargée de recrutement chez Atelier Morin.", "Atelier Morin"),
    ("Soy reclutadora de Grupo Terral.", "Grupo Terral"),
    # "for" names the job, not the employer: the sender's domain stands
    ("I'm the hiring manager for Solutions Architect.", "Acme Robotics"),
])
def test_a_persons_title_at_a_company_names_it(sentence: str, company: str) -> None:
    sender = ("Sara Kim <sara@gmail.com>" if company != "Acme Robotics"
              else "Sara Kim <sara.kim@acme-robotics.example>")
    raw = mail(f"Hi Alex,\n\n{sentence} I'd like to invite you to an interview on December "
               f"10 at 2pm.\n\nSara", sender=sender, subject="Interview")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert finding.company == company


@pytest.mark.parametrize(("subject", "body", "company", "role"), [
    ("Your application is on its way", "Hi Alex,\n\nYour application to Kestrel Analytics "
     "for Data Analyst is on its way!\n", "Kestrel Analytics", "Data Analyst"),
    ("Thanks for applying", "Hi Alex,\n\nThanks for applying. Your profile has been shared "
     "with Kestrel Analytics.\n", "Kestrel Analytics", ""),
    ("Bewerbung versendet", "Hallo Alex,\n\nDu hast dich erfolgreich als Projektmanager bei "
     "Nordtal Möbel GmbH beworben.\n", "Nordtal Möbel GmbH", "Projektmanager"),
    ("Has aplicado a Desarrollador Java", "Hola Alex,\n\nHas aplicado a la oferta "
     "Desarrollador Java en Grupo Terral. ¡Mucha suerte!\n", "Grupo Terral",
     "Desarrollador Java"),
    ("Postulación enviada", "Hola Alex,\n\nTu postulación al puesto de Desarrollador Java en "
     "Grupo Terral fue enviada con éxito.\n", "Grupo Terral", "Desarrollador Java"),
    # "X received your application": the subject's role is not "X received your"
    ("Kestrel Analytics received your application", "Hi Alex,\n\nKestrel Analytics received "
     "your application for Data Analyst.\n", "Kestrel Analytics", "Data Analyst"),
])
def test_a_job_boards_confirmation_names_employer_and_job(subject: str, body: str,
                                                          company: str, role: str) -> None:
    raw = mail(body, sender="Jobbly <noreply@jobbly.example>", subject=subject)
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert (finding.kind, finding.company, finding.role) == ("application", company, role)


def test_a_date_after_at_in_a_subject_is_no_company() -> None:
    """"Invitation: Data Analyst Interview @ Thu Dec 10, 2026 2pm": the text after "@" is
    the moment, not the employer."""
    raw = mail("Hi Alex,\n\nYou have been invited to the following event.\n\nKestrel "
               "Analytics Recruiting", sender="Kestrel Analytics <no-reply@kestrel-analytics."
               "example>", subject="Invitation: Data Analyst Interview @ Thu Dec 10, 2026 2pm "
               "- 3pm (CET)")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert finding.kind == "interview" and finding.company == "Kestrel Analytics"
    assert finding.interview_at == datetime(2026, 12, 10, 13, 0, tzinfo=UTC)


@pytest.mark.parametrize(("sender", "signature", "company"), [
    # the organisation two lines under the name, a title between
    ("Sara Kim <sara.kim@kestrel-analytics.example>", "Sara Kim\nTalent Partner\n"
     "Kestrel Analytics", "Kestrel Analytics"),
    # a legal form names the organisation though the domain is another's
    ("Sara Kim <sara.kim@kx-mail.example>", "Sara Kim\nKestrel Analytics GmbH\n"
     "Lindenstraße 4", "Kestrel Analytics GmbH"),
])
def test_the_signature_names_the_employer(sender: str, signature: str, company: str) -> None:
    raw = mail(f"Hi Alex,\n\nI'd like to invite you to an interview on December 10 at 2pm."
               f"\n\nBest,\n\n{signature}", sender=sender, subject="Data Analyst interview")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert finding.company == company


@pytest.mark.parametrize(("subject", "company", "role"), [
    # "Label – Role – Company"
    ("Candidature – Comptable (H/F) – Maison Vellier", "Maison Vellier", "Comptable"),
    ("Re: Candidatura Analista de datos - Grupo Terral", "Grupo Terral", "Analista de datos"),
    # an organisation's name heading the subject, though the text never repeats it
    ("Nordtal Möbel GmbH | Ihre Bewerbung als Disponent (m/w/d)", "Nordtal Möbel GmbH",
     "Disponent"),
])
def test_a_subject_template_names_the_employer(subject: str, company: str, role: str) -> None:
    raw = mail("Bonjour,\n\nNous avons bien reçu votre candidature. Vielen Dank für Ihre "
               "Bewerbung.\n", sender="Recrutement <noreply@notify-ats.example>",
               subject=subject)
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert (finding.company, finding.role) == (company, role)
