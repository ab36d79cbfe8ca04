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
    "enfermero", "enfermera", "enfermero/a", "dependiente", "gerente", "jefe", "leitung",
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


# What a recruiter writes around the employer's name in a subject, in the four languages:
# the meeting or the news first ("Entretien", "Phone screen with", "Telefoninterview",
# "Rendez-vous", "Visio avec", "Resume sent", "Votre dossier"), a connector after it.
_AROUND = re.compile(
    r"^(?:(?:invitation|einladung|invitación|convocation|convocatoria|"
    r"(?:(?:first|second|final|next|1st|2nd)\s+)?(?:phone|video|intro(?:ductory)?|quick|"
    r"short|technical|first)?\s*(?:interview|screen|call|chat|meeting)(?:\s+call)?|"
    r"entretien(?:\s+(?:t[ée]l[ée]phonique|visio|vid[ée]o|individuel))?|visio|"
    r"rendez-vous|rencontre|appel|entrevista(?:\s+(?:telef[óo]nica|online))?|llamada|"
    r"reuni[óo]n|videollamada|(?:telefon|video)?interview|(?:vorstellungs|kennenlern)?"
    r"gespr[äa]ch|telefonat|termin|kennenlernen|"
    r"(?:resume|cv|profile|profil|perfil|lebenslauf)\s+(?:sent|submitted|envoy[ée]|"
    r"transmis|enviado|presentado|gesendet|übermittelt)|"
    r"(?:votre|your|ihre|deine|tu|su)\s+(?:dossier|candidature|application|bewerbung|"
    r"candidatura|profil|profile|perfil))"
    r"(?:\s+(?:with|avec|mit|con|from|de|chez|bei|at|for|für|pour|para|with\s+the))?\s+)+",
    re.IGNORECASE)
_NAME_IN_PIECE = re.compile(
    r"(?-i:[A-ZÀ-Ý][\w&'’.-]*(?:[ ]+(?:(?:&|de|des|du|del|de la|y|of|und|et)[ ]+)?"
    r"[A-ZÀ-Ý][\w&'’.-]*){0,4})")
# Capitalised words that open a subject's phrase, no employer's name.
_NO_NAME = frozenset({
    "on", "votre", "vos", "your", "ihre", "ihr", "deine", "tu", "su", "tus", "our", "unsere",
    "notre", "nuestra", "nuestro", "petit", "petite", "quick", "short", "next", "otra",
    "otro", "nueva", "nuevo", "new", "neue", "la", "le", "les", "el", "los", "las", "die",
    "der", "das", "the", "a", "an", "un", "une", "ein", "eine", "my", "ma", "mon", "mi",
    "suite", "re", "fwd", "aw", "wg", "tr", "rv", "candidate", "candidat", "kandidat",
    "urgent", "dringend", "urgente", "info", "infos", "important", "quelques", "some",
    "nos", "nous", "wir", "we", "i", "je", "yo", "ich", "vacante", "offre",
    "oferta", "stellenangebot", "annonce", "mission", "vertrauliche", "vertraulich",
    "confidential", "confidentiel", "confidentielle", "confidencial", "anfrage", "request",
    "demande", "solicitud", "opportunity", "opportunité", "oportunidad", "proposition",
    "propuesta", "projekt", "project", "projet", "proyecto", "position", "poste", "puesto",
    "invitation", "einladung", "invitación", "convocatoria", "convocation"})


def employer_in_subject(subject: str, haystack: str, rules: Rules, clean: Clean) -> str:
    """A recruiter's or a small employer's subject that names the employer around what it
    is about ("Entretien Thermibois – 5 novembre", "Phone screen with Great Lakes Tool & Die
    - Tuesday 10am ET", "Fonderie Vidal – décision", "Vacante Analista - Cerámicas del
    Norte", "Ledgerbright final stage"): each part of the subject (split at a dash, a bar or
    a colon), the meeting's or the news' words before it cut, read as a capitalised name
    followed by nothing but lower-case words. No day, greeting, kind word, role or job title;
    a one-word name must be written in the text too (a subject "Thermibois" with the text
    about Thermibois, not "Coffee"). "" when no part is such a name."""
    subject = re.sub(r"^(?:(?:re|aw|fwd?|wg|tr|rv)\s*:\s*)+", "", subject.strip(), flags=re.I)
    body = haystack[len(subject):] if haystack.startswith(subject) else haystack
    for piece in re.split(r"\s[|–—-]\s|:\s|\s+<>\s+", subject):
        piece = _AROUND.sub("", piece.strip(" ?!.,")).strip()
        found = _NAME_IN_PIECE.match(piece)
        if found is None or ((piece[found.end():].strip() and
                             not re.fullmatch(r"[\s\w'’-]*", piece[found.end():])) or
                             re.search(r"\b[A-ZÀ-Ý]|\d", piece[found.end():])):
            continue  # a part that is no name, or a name with more capitals or a date after
        name = found.group(0).strip()
        words = [w.lower().strip(".,") for w in name.split()]
        if set(words) & (_NO_NAME | ROLE_WORDS | JOB_TITLE_WORDS | _NOT_A_NAME):
            continue
        if len(words) == 1 and (len(name) < 4 or name not in body):
            continue
        cleaned = clean(name, rules)
        if cleaned:
            return _whole(cleaned, body, rules, clean)
    return ""


_PRONOUNS = frozenset({"sie", "ihnen", "ihr", "ihre", "du", "dich", "dir", "vous", "you",
                       "usted", "i", "we", "wir"})


def _whole(name: str, body: str, rules: Rules, clean: Clean) -> str:
    """The subject's short name as the text writes it whole, one or two capitalised words
    after it ending a phrase ("Cascade" → "Cascade Orthopedics.", "Lindauer" → "Lindauer
    Präzisionsteile,"); none a pronoun, a day, a role's, a job title's or a desk's word."""
    for found in re.finditer(rf"(?<![\w&]){re.escape(name)}((?:[ ]+[A-ZÀ-Ý][\w'’-]*){{1,2}})"
                             r"(?=\s*(?:[.,;:!?)]|$)|\s+[a-zà-ÿ])", body, re.MULTILINE):
        words = {w.lower() for w in found.group(1).split()}
        if not words & (_PRONOUNS | _NO_NAME | _NOT_A_NAME | ROLE_WORDS | JOB_TITLE_WORDS |
                        set(rules.name_noise)):
            return clean(name + found.group(1), rules) or name
    return name


# Words of a recruitment agency's name or domain ("Halden Search", "Talentforge Partners",
# "Primus Personal", "Brightside Staffing"): it writes for clients, whom it names.
_AGENCY = re.compile(r"search|talent|recruit|staffing|personal|personnel|headhunt|resourcing|"
                     r"placement|interim|zeitarbeit|selecci|selection|reclutamiento|"
                     r"recrutement|executive")


def an_agency(company: str, domain: str) -> bool:
    """Whether the sender is a recruitment agency, by its name or its domain's words."""
    label = domain.lower().rsplit(".", 2)[-2] if "." in domain else domain.lower()
    return bool(_AGENCY.search(company.lower()) or _AGENCY.search(label))


# The word an agency's name ends with, which a company's own desk does not ("Halden Moss
# Recruitment", "Norte Selección", "Talentis Intérim"; an employer's desk is "X Recruiting",
# "X Talent Acquisition", "Recrutement X").
_AGENCY_END = re.compile(r"\s(?:recruitment|search|selecci[óo]n|s[ée]lection|int[ée]rim|"
                         r"staffing|personalberatung|zeitarbeit|headhunting|resourcing)$",
                         re.IGNORECASE)


def agency_by_name(sender_name: str, company: str, rules: Rules) -> bool:
    """Whether the sender's whole name is an agency's (`_AGENCY_END`) whose own name, the
    company read without that word, has no organisation's word: "Halden Moss Recruitment"
    is an agency, "Ashdown Homes Recruitment" a builder's desk."""
    return bool(_AGENCY_END.search(sender_name.strip())) and not any(
        w in rules.organisation for w in company.lower().split())


# A subject's words after a name that are the mail's business, not more of the name.
_NOT_MORE_NAME = _NOT_A_NAME | ROLE_WORDS | JOB_TITLE_WORDS | frozenset({
    "confirmation", "confirmed", "assessment", "day", "invitation", "einladung", "invitación",
    "convocation", "convocatoria", "reminder", "rappel", "erinnerung", "recordatorio",
    "final", "round", "stage", "screen", "decision", "décision", "decisión", "entscheidung",
    "absage", "zusage", "outcome", "result", "results", "ergebnis", "résultat", "resultado",
    "session", "visio", "zoom", "teams", "onsite", "on-site", "careers", "jobs", "recruiting",
    "hr", "rh", "rrhh", "talent", "team", "équipe", "equipo"})


def completed_in_subject(company: str, subject: str) -> str:
    """A short name completed as the subject writes it whole: "Traunseer" in the text,
    "Termin Traunseer Stahlwerke" the subject: "Traunseer Stahlwerke" (one or two more
    capitalised words ending the subject or a part of it, none the mail's business: a
    kind, a stage, a role, a day). "" when the subject does not."""
    found = re.search(rf"(?<![\w&]){re.escape(company)}((?:[ ]+[A-ZÀ-Ý][\w'’-]+){{1,2}})"
                      r"(?=\s*(?:$|[-–|:(]))", subject)
    if found is None or any(w.lower() in _NOT_MORE_NAME for w in found.group(1).split()):
        return ""
    return company + found.group(1)
