"""Where an employer names itself, for `extract.company_and_role`: an organisation's name
under a sign-off, in a subject that is only that name, or in the text ("Tischlerei Holm",
"Clínica Albor": [names] organisation words or a legal form, never a job's title); the
employer's slug in a link (/companies/acme, acme.<hiring system>, <jobs host>/acme/) as the
text spells it; whether a name is the sender's domain's words. Pure; `clean` is the
extraction's own cleaning of a name (passed in, so this module needs nothing of it).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from nudger.mail.capture.contact import LEGAL_ANYWHERE, is_organisation
from nudger.mail.capture.rules import Rules
from nudger.mail.capture.view import MailView

Clean = Callable[[str, Rules], str]

ROLE_WORDS = frozenset({"role", "position", "job", "opening", "vacancy", "post",
                        "stelle", "poste", "puesto", "team", "interview"})

NAME_RUN = re.compile(r"(?<![\w&])[A-ZÀ-Ý][\w&'’.-]*(?:[ \t]+(?:&[ \t]+)?[A-ZÀ-Ý][\w&'’.-]*){0,4}")


def squash(text: str) -> str:
    """Lower-case letters and digits only, accents dropped ("Ingeniería" = "ingenieria")."""
    plain = unicodedata.normalize("NFKD", text.lower().replace("ß", "ss"))
    return re.sub(r"[^a-z0-9]", "", plain)


def domain_forms(text: str) -> frozenset[str]:
    """`text` squashed as a domain may spell it: as it is, and with a domain's "ue", "oe",
    "ae" read as the "ü", "ö", "ä" squashing drops to "u", "o", "a" (nordtal-moebel.example
    is "Nordtal Möbel")."""
    plain = squash(text)
    return frozenset({plain, plain.replace("ue", "u").replace("oe", "o").replace("ae", "a")})


_SIGN_OFF_LINE = re.compile(
    r"^(?:best|kind|warm|many)?\s*(?:regards|wishes|cheers|thanks|thank you|sincerely|best|"
    r"mit freundlichen grüßen|freundliche grüße|viele grüße|beste grüße|liebe grüße|"
    r"gruß|grüße|cordialement|bien à vous|bien cordialement|salutations|amicalement|"
    r"saludos(?: cordiales)?|un saludo|atentamente|un abrazo|abrazos)[,!.]?$",
    re.IGNORECASE)


def named_organisation(view: MailView, haystack: str, rules: Rules, clean: Clean) -> str:
    """A person's mail from free mail (no domain to read a company from): an
    organisation's name ("Schreinerei Holm", "Pharmacie du Parc", "Clínica Albor",
    "Reformas Vidal S.L.": [names] organisation words or a legal form) on a line of the
    signature after the sign-off, else the subject when it is nothing but such a name,
    else such a name written in the text. "" when the mail names none."""
    lines = [line.strip() for line in haystack.split("\n")]
    body = lines[1:]
    for at, line in enumerate(body):
        if _SIGN_OFF_LINE.match(line):
            for below in body[at + 1: at + 6]:
                for piece in re.split(r"\s[|·–-]\s|,\s", below):
                    found = _organisation_name(piece, rules, clean)
                    if found:
                        return found
            break
    subject = re.sub(r"^(?:(?:re|aw|fwd?|wg|tr|rv)\s*:\s*)+", "", lines[0], flags=re.I)
    found = _organisation_name(subject, rules, clean)
    if found:
        return found
    for run in NAME_RUN.finditer("\n".join(body)):
        found = _organisation_name(run.group(0), rules, clean)
        if found:
            return found
    return ""


def _organisation_name(text: str, rules: Rules, clean: Clean) -> str:
    """`text` when it is an organisation's name: 1 to 5 words, capitalised, one of them an
    organisation word or a legal form, no role word ("Data Analyst" is a job)."""
    text = text.strip(" .,:;!?")
    words = text.split()
    if not 1 <= len(words) <= 5 or not text[:1].isupper() or \
            not is_organisation(text, rules):
        return ""
    lowered = {w.lower().strip(".,") for w in words}
    if lowered & ROLE_WORDS or lowered & _JOB_TITLE_WORDS or \
            (len(words) == 1 and not LEGAL_ANYWHERE.search(text)):
        return ""
    return clean(text, rules)


def domain_label(domain: str) -> str:
    labels = domain.lower().split(".")
    if len(labels) < 2:
        return ""
    return labels[-3] if labels[-2] in ("co", "com", "ac", "gov", "org") and \
        len(labels) >= 3 else labels[-2]


_GENERIC_LABEL = frozenset({
    "www", "jobs", "job", "careers", "career", "apply", "app", "boards", "board", "hire",
    "mail", "email", "click", "links", "link", "go", "t", "api", "en", "de", "fr", "es", "o",
    "p", "j", "us", "eu", "uk", "comm", "view", "viewjob", "scheduler", "interviews",
    "schedule", "postings", "posting", "candidates", "candidate", "login", "account",
    "unsubscribe", "track", "redirect", "static", "assets", "images", "img", "cdn",
    "recruiting", "talent", "karriere", "emploi", "empleo", "stellen", "offres", "ofertas",
    "companies", "company", "employer", "employers", "organisation", "organization", "org",
    "firma", "unternehmen", "entreprise", "entreprises", "empresa", "empresas", "share",
    "u", "c", "r", "s", "m", "l", "help", "support", "privacy", "terms", "settings"})
_LINK = re.compile(r"https?://[^\s<>\"')\]]+", re.IGNORECASE)
_COMPANY_PATH = re.compile(r"/(?:companies|company|employers?|organi[sz]ations?|firma|"
                           r"unternehmen|entreprises?|empresas?)/([\w-]{2,60})", re.IGNORECASE)


def company_from_links(view: MailView, haystack: str, rules: Rules, clean: Clean) -> str:
    """The employer a link names, as the text spells it: the slug after /companies/ (any
    host), a subdomain before a hiring system's own domain (acme.bamboohr.com,
    acme.wd3.myworkdayjobs.com), or the first path segment on a hiring system's jobs host
    (boards.greenhouse.io/acme). "" when no link names one the text also names."""
    from urllib.parse import urlsplit

    urls = [href for _, href in view.links] + _LINK.findall(haystack)
    slugs: list[str] = []
    for url in urls[:40]:
        try:
            parts = urlsplit(url.strip().rstrip(".,;"))
        except ValueError:
            continue
        host = (parts.hostname or "").lower()
        labels = host.split(".")
        if len(labels) < 2:
            continue
        path = parts.path or ""
        slugs += _COMPANY_PATH.findall(path)
        if len(labels) >= 3 and labels[0] not in _GENERIC_LABEL:
            slugs.append(labels[0])
        segments = [x for x in path.split("/") if x]
        if labels[0] in _GENERIC_LABEL and segments and \
                segments[0].lower() not in _GENERIC_LABEL and \
                not any(c.isdigit() for c in segments[0]) and len(segments) > 1:
            slugs.append(segments[0])
    for slug in dict.fromkeys(slugs):
        if slug.lower() in _GENERIC_LABEL or rules.ats_of(slug + ".com"):
            continue
        spelt = _spelt_slug(slug, haystack, rules, clean)
        if spelt:
            return spelt
    return ""


def _spelt_slug(slug: str, haystack: str, rules: Rules, clean: Clean) -> str:
    """The run of capitalised words in the text that is `slug` (squashed, "ue" read as
    "ü"), or begins with it ("lumen" → "Lumen Analytics"); desk words cut off."""
    want = domain_forms(slug)
    for found in NAME_RUN.finditer(haystack):
        words = found.group(0).split()
        for start in range(len(words)):
            for end in range(min(len(words), start + 4), start, -1):
                if squash(" ".join(words[start:end])) in want:
                    tail = words[end:end + 2]
                    fuller = " ".join(words[start:end] + tail)
                    named = clean(fuller, rules) if tail and \
                        is_organisation(fuller, rules) else ""
                    return named or clean(" ".join(words[start:end]), rules)
    return ""


def agrees_with_domain(company: str, domain: str) -> bool:
    """Every word of the domain's name is in `company` (squashed), in any order."""
    labels = domain.lower().split(".")
    if len(labels) < 2:
        return False
    label = labels[-3] if labels[-2] in ("co", "com", "ac", "gov", "org") and \
        len(labels) >= 3 else labels[-2]
    parts = [p for p in label.split("-") if len(p) > 1]
    squashed = squash(company)
    return bool(parts) and all(any(form in squashed for form in domain_forms(p))
                               for p in parts)


# Words of a job's title: a capitalised run with one is a role, not an employer.
_JOB_TITLE_WORDS = frozenset({
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
