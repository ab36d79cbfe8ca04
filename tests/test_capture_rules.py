"""One test per rule in nudger/mail/capture_rules.toml: every phrase has an example
sentence here that the full recogniser turns into that kind (or into nothing, for the
ignore rules), and every ATS domain is recognised as its source, never as the company."""

from __future__ import annotations

from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest

from nudger.mail.capture.recognise import default_rules, recognise_bytes

ZONE = ZoneInfo("Europe/Berlin")
RULES = default_rules()

EXAMPLES = {
    # ignore
    "new jobs? (matching|for) (your|you)": "We found 12 new jobs matching your search.",
    "jobs? (you may|you might) (be interested|like)": "Jobs you may be interested in this week.",
    "job alert": "This is your daily job alert for Engineer.",
    "recommended jobs": "Your recommended jobs for today.",
    "jobs? recommended for you": "Here are jobs recommended for you.",
    "weekly digest": "Your weekly digest of career news.",
    "newsletter": "Welcome to our careers newsletter.",
    "your (order|receipt|invoice)": "Your receipt for the CV review is attached.",
    "order confirmation": "Order confirmation for your purchase.",
    "payment received": "Payment received, thank you.",
    "webinar": "Join our webinar about interviews.",
    "viewed your profile": "A recruiter viewed your profile.",
    "endorsed you": "Sam endorsed you for Python.",
    "new connection": "You have a new connection.",
    "congratulate": "Congratulate Sam on a new position.",
    "is hiring\\b(?!.*your application)": "Acme Robotics is hiring backend engineers.",
    "apply now": "Great roles open: apply now.",
    "unsubscribe from (job )?alerts": "Unsubscribe from job alerts at any time.",
    "neue jobs": "Wir haben neue Jobs für deine Suche.",
    "jobs für dich": "Passende Jobs für dich in Berlin.",
    "jobempfehlung": "Deine Jobempfehlung des Tages.",
    "passende stellenangebote": "Hier sind passende Stellenangebote.",
    "jobagent": "Dein Jobagent hat neue Treffer.",
    "nouvelles offres": "Découvrez 8 nouvelles offres.",
    "alerte emploi": "Votre alerte emploi du jour.",
    "offres qui pourraient": "Des offres qui pourraient vous intéresser.",
    "nuevos empleos": "Tenemos nuevos empleos para tu búsqueda.",
    "alerta de empleo": "Tu alerta de empleo diaria.",
    "ofertas que te pueden": "Ofertas que te pueden interesar.",
    # rejection
    "unfortunately,? (we|the team)( have| has)? (decided|chosen|will not|won.t|are (not|unable)"
    "|can(no|.)t (move|offer|proceed))":
        "Unfortunately, we have decided to fill the role internally.",
    "unfortunately,? after careful": "Unfortunately, after careful review we will pass.",
    "decided (to|not to) (move|proceed|pursue|go) forward with other":
        "We decided to move forward with others.",
    "decided to pursue other candidates": "We have decided to pursue other candidates.",
    "not (to )?(be )?mov(e|ing) forward with your": "We are not moving forward with your "
                                                    "application.",
    "will not be (moving|proceeding) forward": "We will not be proceeding forward.",
    "decided not to proceed": "The team decided not to proceed.",
    "other candidates whose": "We chose other candidates whose skills fit better.",
    "position has (now )?been filled": "The position has now been filled.",
    "not been selected": "You have not been selected.",
    "we regret to inform": "We regret to inform you of our decision.",
    "not able to offer you": "We are not able to offer you the role.",
    "decided to go (in|with) (a different|another)": "We decided to go with another applicant.",
    "leider (müssen|haben|können)": "Leider können wir Ihnen keine Stelle anbieten.",
    "absage": "Wir müssen Ihnen eine Absage erteilen.",
    "nicht (weiter )?berücksichtigen": "Wir können Sie nicht berücksichtigen.",
    "für (einen )?andere(n)? (kandidat|bewerber)": "Wir haben uns für einen anderen Bewerber "
                                                    "entschieden.",
    "nous avons le regret": "Nous avons le regret de vous annoncer notre décision.",
    "ne pas donner suite": "Nous avons décidé de ne pas donner suite.",
    "pas (été )?retenue?": "Votre profil n'a pas été retenu.",
    "malheureusement": "Malheureusement, le poste est pourvu.",
    "lamentablemente": "Lamentablemente, el puesto ya está cubierto.",
    "lamentamos (informarte|comunicarte)": "Lamentamos comunicarte nuestra decisión.",
    "no (continuar|seguir) con tu candidatura": "Hemos decidido no continuar con tu candidatura.",
    "seguir (adelante )?con otros candidatos": "Vamos a seguir con otros candidatos.",
    "otros candidatos": "Elegimos a otros candidatos.",
    # interview
    "invite you (to|for) (a|an|the)? ?(\\w+ )?(interview|call|conversation|chat)":
        "We would like to invite you to a first interview.",
    "would you be available (for|to)": "Would you be available for a call on Monday?",
    "schedule (an|a|your) (\\w+ )?(interview|call)": "Let us schedule an onsite interview.",
    "interview invitation": "This is your interview invitation.",
    "invitation to interview": "Please accept this invitation to interview.",
    "like to (meet|speak|talk) with you": "The team would like to speak with you.",
    "book a time": "Please book a time in my calendar.",
    "pick a time": "Pick a time that suits you.",
    "select a time": "Select a time on the page below.",
    "move you forward to the next": "We are happy to move you forward to the next step.",
    "next round": "You are invited to the next round.",
    "interview with (us|the team)": "Your interview with the team is next week.",
    "(einladen|einladung) zu(m|r|)? (einem |einer )?(persönlichen |ersten )?"
    "(vorstellungsgespräch|gespräch|kennenlern)":
        "Wir möchten Sie zu einem ersten Gespräch einladen. Einladung zum Gespräch folgt.",
    "vorstellungsgespräch": "Gerne laden wir Sie zu einem Vorstellungsgespräch.",
    "kennenlerngespräch": "Wir freuen uns auf ein Kennenlerngespräch.",
    "vous inviter à un entretien": "Nous souhaitons vous inviter à un entretien.",
    "invitation à un entretien": "Voici votre invitation à un entretien.",
    "convier à un entretien": "Nous aimerions vous convier à un entretien.",
    "entretien (téléphonique|en visio|avec)": "Un entretien téléphonique est prévu.",
    "invitarte a una entrevista": "Queremos invitarte a una entrevista.",
    "invitación a (una )?entrevista": "Te enviamos una invitación a entrevista.",
    "agendar una entrevista": "Nos gustaría agendar una entrevista.",
    "entrevista (telefónica|con)": "Tendrás una entrevista telefónica.",
    # application
    "thank(s| you)( so much)? for (applying(?! (the|this|that|it|my|a)\\b)|your application"
    "|submitting your application)": "Thank you for applying to Acme Robotics.",
    "(we|we.ve|we have) (successfully )?received your application":
        "We've received your application for the Analyst position.",
    "your application (has been|was) (received|submitted|sent)":
        "Your application has been received.",
    "application (received|confirmation|submitted)": "Application received for Analyst.",
    "thank you for your interest in": "Thank you for your interest in Acme Robotics.",
    "indeed application": "Indeed Application: Analyst",
    "vielen dank für (ihre|deine) bewerbung": "Vielen Dank für Ihre Bewerbung bei Acme Robotics.",
    "bewerbung (ist )?(bei uns )?eingegangen": "Ihre Bewerbung ist bei uns eingegangen.",
    "eingangsbestätigung": "Eingangsbestätigung Ihrer Unterlagen.",
    "(ihre|deine) bewerbung (wurde|ist) (erfolgreich )?(übermittelt|eingegangen)":
        "Deine Bewerbung wurde erfolgreich übermittelt.",
    "merci (pour|de) votre candidature": "Merci pour votre candidature chez Acme Robotics.",
    "nous avons (bien )?reçu votre candidature": "Nous avons bien reçu votre candidature.",
    "votre candidature a (bien )?été (reçue|envoyée|transmise)":
        "Votre candidature a bien été transmise.",
    "accusé de réception": "Accusé de réception de votre dossier.",
    "gracias por (tu|su) (candidatura|solicitud|interés)": "Gracias por tu candidatura a "
                                                            "Acme Robotics.",
    "gracias por postularte": "Gracias por postularte a Acme Robotics.",
    "hemos recibido (tu|su) (candidatura|solicitud)": "Hemos recibido tu solicitud.",
    "(tu|su) candidatura (ha sido|se ha) (recibida|enviado|registrado)":
        "Tu candidatura se ha registrado.",
    # outreach
    "came across your profile": "I came across your profile on a forum.",
    "would you be open to": "Would you be open to a new role?",
    "are you open to (new )?opportunit": "Are you open to new opportunities?",
    "reaching out (about|regarding) (a|an) ": "I'm reaching out about a Staff Engineer role.",
    "thought you might be a great fit": "I thought you might be a great fit.",
    "ihr profil (ist mir )?aufgefallen": "Ihr Profil ist mir aufgefallen.",
    "offen für (eine )?neue": "Sind Sie offen für eine neue Herausforderung?",
    "votre profil a retenu": "Votre profil a retenu mon attention.",
    "ouvert(e)? à de nouvelles opportunités": "Êtes-vous ouvert à de nouvelles opportunités ?",
    "tu perfil me ha": "Tu perfil me ha parecido muy interesante.",
    "abierto a nuevas oportunidades": "¿Estás abierto a nuevas oportunidades?",
}

ALL_RULES = [rule for kind in ("ignore", "rejection", "interview", "application", "outreach")
             for rule in RULES.phrases[kind]]


def mail(sentence: str, *, sender: str = "Dana Lee <dana.lee@acme-robotics.example>",
         subject: str = "Your application") -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "alex@example.com"
    msg["Subject"] = subject
    msg["Date"] = "Tue, 06 Oct 2026 09:30:00 +0200"
    msg["Message-ID"] = "<rule-test@acme-robotics.example>"
    msg.set_content(f"Hi Alex,\n\n{sentence}\n\nBest regards,\nDana Lee\nAcme Robotics\n")
    return msg.as_bytes()


def test_every_rule_has_an_example() -> None:
    missing = [rule.phrase for rule in ALL_RULES if rule.phrase not in EXAMPLES]
    assert missing == [], "add an example sentence for each new rule"
    unused = set(EXAMPLES) - {rule.phrase for rule in ALL_RULES}
    assert unused == set(), "examples of rules that no longer exist"


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: f"{r.kind}-{r.language}-{r.phrase[:30]}")
def test_rule(rule) -> None:  # type: ignore[no-untyped-def]
    sentence = EXAMPLES[rule.phrase]
    assert rule.pattern.search(sentence), "the example must match its own rule"
    findings = recognise_bytes(mail(sentence), zone=ZONE, outreach=rule.kind == "outreach")
    if rule.kind == "ignore":
        assert findings == []
    else:
        assert [f.kind for f in findings] == [rule.kind]
        assert findings[0].company == "Acme Robotics"
        assert rule.phrase.split("(")[0][:4].lower() in findings[0].why.lower() or \
            rule.kind in findings[0].why


def test_outreach_only_when_asked() -> None:
    sentence = EXAMPLES["came across your profile"]
    assert recognise_bytes(mail(sentence), zone=ZONE) == []


@pytest.mark.parametrize("domain,name", sorted(RULES.ats.items()))
def test_ats_domain(domain: str, name: str) -> None:
    raw = mail("Thank you for applying for the Data Analyst position at Acme Robotics.",
               sender=f"{name} <no-reply@mail.{domain}>", subject="Thank you for applying")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert finding.source == name
    assert finding.company == "Acme Robotics"
    assert finding.role == "Data Analyst"
    assert name.lower() not in finding.company.lower()


@pytest.mark.parametrize("domain,name", sorted(RULES.ats.items()))
def test_ats_name_is_never_the_company(domain: str, name: str) -> None:
    # Nothing in the text names the company: the ATS's own name must not stand in.
    raw = mail("Thank you for applying. We will be in touch.",
               sender=f"{name} <no-reply@{domain}>", subject="Thank you for applying")
    assert recognise_bytes(raw, zone=ZONE) == []
