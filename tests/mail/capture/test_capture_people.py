"""Capture of people's mail in their own words (issue 22, session 20): a person who hires
asks to meet at a day and an hour without writing "interview" (invitation.py), while a
friend's dinner or climb asked the same way is no job mail; interview times said in words
or as a bare hour after a day (spoken.py). Each on made-up mail, none a corpus family's
template."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest

from nudger.mail.capture.interview_time import interview_moment
from nudger.mail.capture.invitation import asks_to_meet
from nudger.mail.capture.ownwords import chose_another, passed_on
from nudger.mail.capture.prefilter import peek
from nudger.mail.capture.recognise import recognise_bytes
from nudger.mail.capture.rules import default_rules
from nudger.mail.capture.wordmodel import features

ZONE = ZoneInfo("Europe/Berlin")
SENT = datetime(2026, 10, 5, 8, 0, tzinfo=UTC)      # Monday 5 October 2026, 10:00 in Berlin


def mail(body: str, *, sender: str, subject: str, cte: str = "") -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "Alex Rivera <alex@example.com>"
    msg["Subject"] = subject
    msg["Date"] = "Mon, 05 Oct 2026 10:00:00 +0200"
    msg["Message-ID"] = "<people-test@example.net>"
    if cte:
        msg.set_content(body, cte=cte)
    else:
        msg.set_content(body)
    return msg.as_bytes()


@pytest.mark.parametrize(("sender", "subject", "body", "at"), [
    ("Tomás Ferreiro <tomas@carpinteriaferreiro.example>", "nos vemos?",
     "Hola Alex,\n\n¿Podrías pasarte por el taller el miércoles 7 a las seis y media? Así "
     "ves las máquinas.\n\nTomás\nCarpintería Ferreiro", datetime(2026, 10, 7, 16, 30,
                                                                 tzinfo=UTC)),
    ("Odile Marchal <odile@fromageriemarchal.example>", "Passage à la fromagerie",
     "Bonjour Alex,\n\nPourriez-vous passer à la fromagerie jeudi 8 à 17h ? Je vous "
     "montrerai la cave.\n\nOdile Marchal\nFromagerie Marchal", datetime(2026, 10, 8, 15, 0,
                                                                          tzinfo=UTC)),
    ("Jonas Brettschneider <jonas@brettschneider-holzbau.example>", "Vorbeikommen?",
     "Hallo Alex,\n\nkönnen Sie am Freitag, 9.10., um halb drei bei uns vorbeikommen? "
     "Dann zeige ich Ihnen die Halle.\n\nJonas Brettschneider\nBrettschneider Holzbau",
     datetime(2026, 10, 9, 12, 30, tzinfo=UTC)),
])
def test_a_person_asking_to_meet_at_a_day_and_hour_is_an_invitation(
        sender: str, subject: str, body: str, at: datetime) -> None:
    raw = mail(body, sender=sender, subject=subject, cte="quoted-printable")
    assert peek(raw, default_rules())[1]
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert finding.kind == "interview"
    assert "a person asks to meet at a stated time" in finding.why
    assert finding.interview_at == at


@pytest.mark.parametrize("body", [
    "Hola Alex,\n\n¿Quedamos el viernes a las 21:00 para cenar en casa de Lucía?\n\nMarta",
    "Hi Alex, could you come over Saturday at 7 for Sam's birthday party?\n\nJo",
    "Hallo Alex,\n\nkommst du am Samstag um 18 Uhr zum Grillen vorbei?\n\nTim",
    "Hi Alex, could you come by on Thursday sometime? No rush.\n\nJo",   # no hour
])
def test_a_social_invitation_or_one_with_no_hour_is_no_job_mail(body: str) -> None:
    raw = mail(body, sender="Marta Gil <marta.gil@gmail.com>", subject="plan")
    assert recognise_bytes(raw, zone=ZONE) == []


def test_a_shop_asking_to_come_by_is_not_a_person_asking_to_meet() -> None:
    raw = mail("Hello! Could you come in on Thursday 8 October at 3pm to collect your "
               "bike?\n\nThe workshop", sender="Cycle Hub <service@cyclehub.example>",
               subject="Your bike is ready")
    assert recognise_bytes(raw, zone=ZONE) == []


@pytest.mark.parametrize(("text", "asked"), [
    ("Elle vous propose de venir au chai mardi 6/10 à 10h pour rencontrer l'équipe.", True),
    ("Can we have a quick chat tomorrow at 11:00?", True),
    ("Thanks for the chat yesterday.", False),
    ("Are you free for dinner tomorrow at 8pm?", False),
])
def test_asks_to_meet(text: str, asked: bool) -> None:
    assert bool(asks_to_meet(text)) is asked


@pytest.mark.parametrize(("text", "at"), [
    ("¿Te va bien el jueves 8 a las cinco y media?", datetime(2026, 10, 8, 15, 30, tzinfo=UTC)),
    ("Would Friday 9th Oct at half ten suit?", datetime(2026, 10, 9, 8, 30, tzinfo=UTC)),
    ("Can you come in tomorrow at 3?", datetime(2026, 10, 6, 13, 0, tzinfo=UTC)),
    ("at half past two on Wednesday 7 October", datetime(2026, 10, 7, 12, 30, tzinfo=UTC)),
    ("am Freitag, 9.10., um halb drei", datetime(2026, 10, 9, 12, 30, tzinfo=UTC)),
    ("le jeudi 8 octobre à 10 heures en mairie", datetime(2026, 10, 8, 8, 0, tzinfo=UTC)),
    ("demain à trois heures et demie ?", datetime(2026, 10, 6, 13, 30, tzinfo=UTC)),
    ("morgen um 10 bei uns", datetime(2026, 10, 6, 8, 0, tzinfo=UTC)),
    ("mañana a las nueve de la mañana", datetime(2026, 10, 6, 7, 0, tzinfo=UTC)),
    ("Thursday 2-3pm works for us", datetime(2026, 10, 8, 12, 0, tzinfo=UTC)),
])
def test_times_in_words_and_bare_hours_after_a_day(text: str, at: datetime) -> None:
    moment = interview_moment(text, SENT, ZONE)
    assert moment is not None
    assert moment.at == at
    assert not moment.zoned


@pytest.mark.parametrize("text", [
    "at one point on Thursday 8 October we met",     # "at one" is no hour
    "à une réunion le jeudi 8 octobre",
    "um ein Gespräch am 8.10. zu führen",
])
def test_number_words_that_are_no_hour_stay_words(text: str) -> None:
    assert interview_moment(text, SENT, ZONE) is None


@pytest.mark.parametrize(("sender", "subject", "body"), [
    ("Rob Tennant <rob.tennant@gmail.com>", "Halloway Joinery",
     "Hi Alex,\n\nHalloway have gone with a joiner who has done their kind of fit-outs "
     "before. Sorry, you were close.\n\nRob\nTennant Recruitment"),
    ("Sylvie Arnaud <sylvie@atelier-arnaud.example>", "Suite à votre visite",
     "Bonjour Alex,\n\nAprès réflexion, nous avons retenu une personne qui connaît déjà nos "
     "machines. Bonne continuation.\n\nSylvie Arnaud\nAtelier Arnaud"),
    ("Paco Merino <paco@meson-merino.example>", "lo del sábado",
     "Hola Alex, al final nos quedamos con un chico que ya conoce la cocina. Lo siento.\n\n"
     "Paco\nMesón Merino"),
    ("Uta Riedel <uta.riedel@riedel-metallbau.example>", "Ihre Unterlagen",
     "Hallo Herr Rivera,\n\nwir haben uns nach dem Gespräch für einen internen Kandidaten "
     "entschieden. Alles Gute!\n\nUta Riedel\nRiedel Metallbau"),
])
def test_another_person_chosen_is_a_refusal(sender: str, subject: str, body: str) -> None:
    raw = mail(body, sender=sender, subject=subject, cte="quoted-printable")
    assert peek(raw, default_rules())[1]
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert finding.kind == "rejection"
    assert "another person chosen" in finding.why


@pytest.mark.parametrize("text", [
    "If we go with someone else I'll let you know.",
    "We will choose a candidate by Friday.",
    "We've decided to proceed with another interview round.",
    "Hemos elegido otra fecha para la reunión.",
])
def test_no_refusal_when_none_is_chosen_yet(text: str) -> None:
    assert chose_another(text) == ""


@pytest.mark.parametrize(("body", "company"), [
    ("Alex - as agreed I've put you forward to Corran Logistics Ltd for the planner job. "
     "Fingers crossed.\n\nDee", "Corran Logistics Ltd"),
    ("Hola Alex, te he presentado a Conservas Ribeira, S.L. para el puesto de jefe de "
     "turno. Te cuento.\n\nLuz", "Conservas Ribeira, S.L."),
])
def test_papers_passed_on_are_a_receipt(body: str, company: str) -> None:
    raw = mail(body, sender="Dee Marsh <dee.marsh@gmail.com>", subject="update")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert finding.kind == "application"
    assert "your papers passed on" in finding.why
    assert finding.company == company
    assert passed_on("I would put you forward for this role if you like.") == ""


def test_a_hey_address_is_free_mail() -> None:
    """hey.com is a mail provider's, as gmail.com is: its holder's "Hey Alex" is no
    employer's name spelt out."""
    assert default_rules().is_freemail("hey.com")


@pytest.mark.parametrize("body", [
    "Hi Alex,\n\nHope you don't mind me reaching out. I'm working on a Head of Platform role "
    "for a Series B fintech in Leeds. Could we have a quick call?\n\nTom\nTom Reyes Talent",
    "Guten Tag Herr Rivera,\n\nich bin unabhängiger Personalberater und suche eine Leitung "
    "Controlling. Hätten Sie Interesse an einem kurzen Telefonat?\n\nUwe Brandl",
])
def test_a_recruiters_first_approach_is_no_interview(body: str) -> None:
    raw = mail(body, sender="Tom Reyes <tom.reyes@yahoo.co.uk>", subject="Quick one")
    assert recognise_bytes(raw, zone=ZONE) == []


def test_the_word_model_reads_the_subject_apart_and_a_negation_to_its_clause_end() -> None:
    """The subject's words are features of their own ("^interview": a subject says what a
    mail is about), and a negation's scope ends with its clause: "not sure. Next week"
    does not read "next" as negated, "we will not be moving forward" reads "¬moving"."""
    read = features("Interview next week\nWe were not sure. Next week works, we will not be "
                    "moving forward without you")
    assert "^interview" in read and "^next" in read and "^we" not in read
    assert "¬moving" in read and "¬forward" in read
    assert "¬next" not in read and "¬week" not in read


@pytest.mark.parametrize(("sender", "subject", "body"), [
    ("Nico Ferrante <nico@trattoria-ferrante.example>", "Saturday",
     "Hi Alex,\n\nThanks for dropping your CV in. Could you do a trial shift with us on "
     "Saturday, lunch service?\n\nNico\nTrattoria Ferrante"),
    ("Lise Carré <lise@ebenisterie-carre.example>", "La suite",
     "Bonjour Alex,\n\nMerci pour lundi ! On aimerait que tu fasses un petit exercice : "
     "dessiner une étagère murale, à rendre dans la semaine.\n\nLise\nÉbénisterie Carré"),
    ("Rosa Ibáñez <rosa@panaderia-ibanez.example>", "el sábado",
     "Hola Alex, ¿puedes venir a hacer un día de prueba el sábado por la mañana?\n\nRosa\n"
     "Panadería Ibáñez"),
])
def test_a_work_trial_or_a_small_exercise_is_the_next_stage(
        sender: str, subject: str, body: str) -> None:
    """A person's "trial shift", "petit exercice", "día de prueba" is the interview stage
    of a small employer, with no "interview" written."""
    raw = mail(body, sender=sender, subject=subject, cte="quoted-printable")
    assert peek(raw, default_rules())[1]
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert finding.kind == "interview"
