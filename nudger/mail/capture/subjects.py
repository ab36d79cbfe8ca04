"""What a mail's subject says of the employer, for `employer.named_organisation`: a reply's
or a news subject that is only the employer's name ("Re: Holloway & Reeve", "Veridian
feedback"), and the words that are no employer's name (a job's title, a role word, a day, a
greeting, a kind word). Pure; `clean` is the extraction's own cleaning of a name.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from nudger.mail.capture.rules import Rules

Clean = Callable[[str, Rules], str]

ROLE_WORDS = frozenset({"role", "position", "job", "opening", "vacancy", "post",
                        "stelle", "poste", "puesto", "team", "interview"})

# Words of a job's title: a capitalised run with one is a role, not an employer.
JOB_TITLE_WORDS = frozenset({
    "analyst", "engineer", "developer", "manager", "assistant", "designer", "consultant",
    "specialist", "officer", "director", "lead", "head", "intern", "internship",
    "scientist", "architect", "administrator", "coordinator", "technician", "nurse",
    "accountant", "associate", "representative", "executive", "clerk", "operator",
    "entwickler", "ingenieur", "berater", "leiter", "leiterin", "mitarbeiter",
    "sachbearbeiter", "praktikum", "ausbildung", "werkstudent", "stellvertretende",
    "développeur", "ingénieur", "chargé", "chargée", "responsable", "stage", "stagiaire",
    "alternance", "desarrollador", "ingeniero", "técnico", "técnica", "becario", "prácticas",
    "enfermero", "enfermera", "enfermero/a", "dependiente", "gerente", "jefe",
})


# A thread's subject about one employer, as a recruiter and a candidate write it ("Re:
# Holloway & Reeve", "AW: Kranich Feedback?", "Re: Retour Vinéa ?", "Re: Update Acme").
REPLIED = re.compile(
    r"^(?:(?:feedback|update|news|retour|nouvelles|rückmeldung|neuigkeiten|novedades|"
    r"noticias|respuesta)\s+(?:(?:on|from|de|von|zu|sur)\s+)?)?"
    r"(?P<name>[A-ZÀ-Ý][\w'’.-]*(?:[ ]+(?:&[ ]+)?[A-ZÀ-Ý][\w'’.-]*){0,3})"
    r"(?:\s+(?:feedback|update|news|retour|rückmeldung|novedades))?\s*[?!.]*$", re.IGNORECASE)


# A subject that says it is news of an application: "Veridian feedback", "Summit Ridge
# update", "Retour Vinéa".
KIND_WORD = re.compile(r"(?:^|\s)(?:feedback|update|news|retour|rückmeldung|novedades)"
                        r"(?:\s|[?!.]*$)", re.IGNORECASE)


def replied_name(subject: str, rules: Rules, clean: Clean) -> str:
    """The employer a reply's subject, or a subject with a kind word ("Veridian
    feedback"), is nothing but (`REPLIED`), when it is no role, no day and no kind word
    alone; "" else. A person's first mail titled "Coffee" names no employer."""
    found = REPLIED.match(subject.strip())
    if found is None:
        return ""
    name = re.sub(r"\s+(?:feedback|update|news|retour|rückmeldung|novedades)$", "",
                  found.group("name"), flags=re.IGNORECASE)
    words = {w.lower().strip(".,") for w in name.split()}
    if words & ROLE_WORDS or words & JOB_TITLE_WORDS or words & _NOT_A_NAME or \
            not name[:1].isupper():
        return ""
    return clean(name, rules)


_NOT_A_NAME = frozenset({
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "today",
    "tomorrow", "montag", "dienstag", "mittwoch", "donnerstag", "freitag", "lundi", "mardi",
    "mercredi", "jeudi", "vendredi", "lunes", "martes", "miércoles", "jueves", "viernes",
    "hello", "hi", "hallo", "bonjour", "hola", "thanks", "danke", "merci", "gracias",
    "question", "frage", "call", "chat", "meeting", "termin", "interview", "entretien",
    "entrevista", "gespräch", "application", "bewerbung", "candidature", "candidatura",
    "cv", "offer", "angebot", "offre", "oferta", "next", "steps", "status", "follow", "up",
    "unterlagen", "documents", "documentos", "dossier", "lebenslauf", "resume", "profil",
    "profile", "perfil", "feedback", "update", "retour", "rückmeldung", "novedades"})
