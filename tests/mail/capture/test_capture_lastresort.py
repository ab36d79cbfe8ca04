"""Capture's general fixes of session 19's second round (blind11 and blind12 retired), each on
a made-up mail of its kind (none is a corpus family's template): a person's clear invitation
or rejection from free mail whose employer nothing else names, named by the line under the
signer's name."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from nudger.mail.capture.recognise import recognise_bytes
from tests.mail.capture.test_capture_unseen import mail

ZONE = ZoneInfo("Europe/Berlin")



INVITE = ("Hola Alex,\n\n¿Podemos hacer una videollamada el jueves 12 de noviembre a las 10:00 "
          "para hablar del puesto?\n\nUn saludo,\n{signer}\n{line}\n")
SENDER = "Joana Pires <joana.pires@gmail.com>"


def test_the_line_under_the_signers_name_names_the_employer_last() -> None:
    raw = mail(INVITE.format(signer="Joana", line="Viveros del Tajo"), sender=SENDER,
               subject="Videollamada el jueves")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert (finding.kind, finding.company) == ("interview", "Viveros del Tajo")
    assert "signer's name" in finding.why


def test_a_job_title_line_under_the_name_is_skipped() -> None:
    raw = mail(INVITE.format(signer="Joana Pires", line="Directora de Personas\nViveros del "
                             "Tajo"), sender=SENDER, subject="Videollamada el jueves")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert finding.company == "Viveros del Tajo"


def test_an_agencys_own_name_or_the_signers_own_is_no_employer() -> None:
    for line in ("Pires Selección - Reclutamiento", "Joana Pires Castro"):
        raw = mail(INVITE.format(signer="Joana", line=line), sender=SENDER,
                   subject="Videollamada el jueves")
        assert recognise_bytes(raw, zone=ZONE) == [], line


def test_an_application_thanks_gets_no_last_resort_name() -> None:
    """Only a clear invitation or rejection: a person thanking for an application names its
    employer somewhere else or is not about one."""
    raw = mail("Hola Alex,\n\nGracias por tu candidatura, la he recibido y la leo esta "
               "semana.\n\nUn saludo,\nJoana\nViveros del Tajo\n", sender=SENDER,
               subject="Tu candidatura")
    assert all(f.kind != "application" or f.company != "Viveros del Tajo"
               for f in recognise_bytes(raw, zone=ZONE))


def test_a_refusal_before_a_boards_more_jobs_footer_is_no_alert() -> None:
    """A board's status notice that ends with "more jobs near you": the words before the
    footer read as a refusal (the word model), so the alert's words are only its footer."""
    raw = mail("Hi Alex,\n\nBrightwater Labs updated your application for Data Analyst: not "
               "selected.\n\nDon't give up - there are 120 more jobs near you on Jobnest.\n",
               sender="Jobnest <noreply@jobnest.example>", subject="Your application status")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert (finding.kind, finding.company) == ("rejection", "Brightwater Labs")


def test_an_alert_that_leads_with_its_jobs_stays_an_alert() -> None:
    raw = mail("Hi Alex,\n\nThere are 120 new jobs near you on Jobnest this week: Data "
               "Analyst at Brightwater Labs, BI Developer at Kestrel Foods.\n\nSee them all "
               "on Jobnest.\n", sender="Jobnest <noreply@jobnest.example>",
               subject="New jobs near you")
    assert recognise_bytes(raw, zone=ZONE) == []


def test_a_job_title_before_the_organisation_on_one_signature_line() -> None:
    """"Talent Partner (contract) - X Ltd" under a free-mail sender's name: the job title
    is no organisation, whatever organisation word it has; the piece after it is."""
    raw = mail("Hi Alex,\n\nThe hiring manager would like a 30-minute video call about the "
               "Data Engineer role. Could you do Thursday 12 November at 2pm?\n\nBest,\nJo "
               "Brennan\nPeople Partner (interim) - Calder Water Ltd\n",
               sender="Jo Brennan <jo.brennan@gmail.com>", subject="Your application")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert (finding.kind, finding.company) == ("interview", "Calder Water Ltd")
