"""Who wrote a mail and how to reach them: a person or an organisation (a legal form or an
organisation word in the name, a desk's address, "Name via Platform"), the recruiter to
contact (the sender, the signature's name), and the job's URL (a tracking redirect read,
never followed). extract.py asks it who is a person before taking a name as a company.
"""

from __future__ import annotations

import re

from nudger.mail.capture.rules import Rules
from nudger.mail.capture.view import MAX_VALUE, MailView, one_line

# Legal forms as companies write them after their name (German, Austrian, Swiss, French,
# Spanish, Italian, Dutch, Nordic, English), longest first within each family.
LEGAL = (r"S\.A\.\s+de\s+C\.V\.|S\.A\.P\.I\.\s+de\s+C\.V\.|SA\s+de\s+CV|"
         r"(?:Pvt|Pte|Private)\.?\s+(?:Ltd\.?|Limited)|Sdn\.?\s+Bhd\.?|"
         r"(?:GmbH|AG|SE|UG)\s*&\s*Co\.?\s*(?:KGaA|KG|OHG)|GmbH|gGmbH|AG|SE|KGaA|KG|OHG|"
         r"UG(?:\s*\(haftungsbeschränkt\))?|e\.\s?V\.|Inc\.?|Incorporated|Ltd\.?|Limited|"
         r"LLC|L\.L\.C\.|LLP|PLC|plc|Corp\.?|Co\.|S\.A\.S\.U?|SASU|SAS|SARL|Sàrl|Sarl|GbR|S\.à\s?r\.l\.|"
         r"S\.A\.R\.L\.|S\.A\.U\.|S\.L\.U\.|S\.L\.P\.|SLP|S\.A\.T\.|N\.A\.|Ltda\.?|eG|S\.A\.?|S\.L\.?|SLU|SL|SA|S\.p\.A\.|SpA|"
         r"S\.r\.l\.|Srl|SRL|B\.V\.|BV|N\.V\.|NV|Oy|Oyj|OÜ|AB|A/S|ApS|AS|Pty\.?\s+Ltd\.?")
LEGAL_ANYWHERE = re.compile(rf"(?:^|[\s,])(?:{LEGAL})(?![\w])")


def via(name: str) -> tuple[str, str]:
    """("Sabine Roth", "XING") of "Sabine Roth via XING"; (name, "") without a "via"."""
    found = _VIA.match(name)
    return (found.group(1).strip(), found.group(2).strip()) if found else (name, "")


_VIA = re.compile(r"^(.+?)\s+(?:via|über|par|vía|por)\s+(\S.*)$", re.IGNORECASE)


def looks_like_person(name: str, addr: str, rules: Rules) -> bool:
    """A person's name at their own address ("Dana Lee <dlee@…>"): not an organisation's
    name ("Kinetic Labs", "Acme GmbH"), not a desk's address (careers@, bewerbung@)."""
    words = [w for w in re.split(r"[\s,]+", name.lower()) if w]
    local = addr.partition("@")[0].lower()
    if not 2 <= len(words) <= 4 or is_organisation(name, rules):
        return False
    if any(len(w) > 1 and w.strip(".") in local for w in words
           if w not in rules.name_noise):
        return True  # "Dana Lee <dana.lee@…>", "Carmen Ruiz <carmen.ruiz.rrhh@…>"
    if _DESK.match(local):
        return False  # "Bergmann Medizintechnik <bewerbung@…>", "Arena Digital Empleo <empleo@…>"
    return all(w[:1].isalpha() for w in words) and local.startswith(words[0][:1])


# The local part of a desk's or a system's address, never one person's.
_DESK = re.compile(
    r"^(?:.*[._+-])?(?:jobs?|careers?|karriere|bewerbung(?:en)?|bewerber\w*|recruit\w*|"
    r"talent\w*|hr|rh|rrhh|people|hiring|personal\w*|recrutement|empleo|seleccion|"
    r"apply|applications?|candidates?|candidatures?|emploi|empleos?|trabajo|karriere|"
    r"team|office|no-?reply|do-?not-?reply|"
    r"notifications?|notify|mailer|mailrobot|robot|info|kontakt|contact|hello|mail|post|"
    r"messages?|messaging|system|ats)(?:[._+-].*)?$", re.IGNORECASE)


def is_organisation(name: str, rules: Rules) -> bool:
    """A name that reads as an organisation's: it has a legal form ("GmbH", "S.A.") or a
    word organisations are named with ([names] organisation: "Labs", "Hotels", "Gruppe")."""
    if LEGAL_ANYWHERE.search(name):
        return True
    words = re.split(r"[\s,&/()+-]+", name.lower())
    return any(w in rules.organisation for w in words)


# --- contact and URL -------------------------------------------------------------------

_NOREPLY = re.compile(r"no-?reply|do-?not-?reply|notifications?|mailer|bounce|jobs-listings|"
                      r"careers?@|talent@|recruiting@|hr@|jobs@|info@", re.IGNORECASE)
_SIGNOFF = re.compile(
    r"^(?:best|kind|warm)?\s*(?:regards|wishes|cheers|thanks|thank you|sincerely|best)[,!.]?\s*\n"
    r"(?P<name>[A-ZÀ-Ý][\w'’-]+(?: [A-ZÀ-Ý][\w'’-]+){1,2})\s*$|"
    r"^(?:mit freundlichen grüßen|viele grüße|beste grüße|cordialement|bien à vous|"
    r"saludos(?: cordiales)?|un saludo)[,!.]?\s*\n"
    r"(?P<name2>[A-ZÀ-Ý][\w'’-]+(?: [A-ZÀ-Ý][\w'’-]+){1,2})\s*$",
    re.IGNORECASE | re.MULTILINE,
)


def contact_of(view: MailView, haystack: str, ats: str, rules: Rules,
             company: str) -> tuple[str, str]:
    before, platform = via(view.from_name)
    if platform and _PERSON_SHAPE.fullmatch(before) and not is_organisation(before, rules) \
            and _person_name(before, rules, company):
        # "Sabine Roth via XING": a person writing through a platform, whose address is
        # the platform's, not theirs.
        return one_line(before, MAX_VALUE, "contact"), ""
    if not ats and not platform and view.from_addr and \
            not _NOREPLY.search(view.from_addr) and not rules.is_freemail(view.domain) and \
            looks_like_person(view.from_name, view.from_addr, rules) and \
            _person_name(view.from_name, rules, company):
        # "Teodora at Kite", "Dana Lee from Acme": the person, not where they work.
        name = _NAME_AT.sub("", view.from_name) or view.from_name
        return one_line(name, MAX_VALUE, "contact"), view.from_addr
    found = _SIGNOFF.search(haystack)
    if found:
        name = found.group("name") or found.group("name2") or ""
        if _person_name(name, rules, company):
            email = view.reply_to if view.reply_to and not _NOREPLY.search(view.reply_to) \
                and not rules.ats_of(view.reply_to.rpartition("@")[2]) else ""
            if not email and not ats and not platform and view.from_addr and \
                    not _NOREPLY.search(view.from_addr) and \
                    any(len(w) > 2 and w in view.from_addr.partition("@")[0]
                        for w in name.lower().split()):
                # The signature's name is the sender's own ("Dana Lee" signing from
                # dana.lee@…, whose display name was only the address, or none).
                email = view.from_addr
            return one_line(name, MAX_VALUE, "contact"), email
    return "", ""


_NAME_AT = re.compile(r"\s+(?:at|from|@|bei|chez)\s+\S.*$", re.IGNORECASE)
_PERSON_SHAPE = re.compile(r"[A-ZÀ-Ý][\w'’.-]*(?: [A-ZÀ-Ý][\w'’.-]*){1,3}")


def _person_name(name: str, rules: Rules, company: str) -> bool:
    """Not a team ("The Acme Recruiting Team", "Ihre Personalabteilung") nor the company."""
    lowered = name.lower()
    words = set(re.split(r"[\s'’]+", lowered))
    if not name or words & _NOT_PERSON or lowered in company.lower():
        return False
    return not any(n in lowered for n in rules.name_noise if len(n) > 3)


_NOT_PERSON = frozenset({"the", "your", "ihre", "ihr", "dein", "deine", "l", "la", "le",
                         "el", "equipo", "équipe", "team", "hr", "people", "our", "unser",
                         "unsere", "votre", "tu", "su"})
_URL = re.compile(r"https?://[^\s<>\"')\]]+", re.IGNORECASE)
_JOB_URL = re.compile(
    r"boards\.greenhouse\.io/[^/\s]+/jobs/\d+|job-boards\.greenhouse\.io/[^/\s]+/jobs/\d+|"
    r"jobs\.lever\.co/[^/\s]+/[0-9a-f-]{8,}|myworkdayjobs\.com/.+/job/|"
    r"jobs\.ashbyhq\.com/[^/\s]+/[0-9a-f-]{8,}|jobs\.smartrecruiters\.com/[^/\s]+/\d+|"
    r"apply\.workable\.com/[^/\s]+/j/[0-9A-F]+|linkedin\.com/(?:comm/)?jobs/view/\d+|"
    r"indeed\.com/(?:viewjob|rc/clk)\?jk=|jobs\.personio\.(?:de|com)/job/\d+|"
    r"\.teamtailor\.com/jobs/\d+|\.recruitee\.com/o/[\w-]+|\.bamboohr\.com/careers/\d+|"
    r"/careers?/(?:jobs?/)?[\w-]*\d+|/jobs?/[\w-]*\d{3,}",
    re.IGNORECASE,
)


def job_url(view: MailView, haystack: str) -> str:
    from urllib.parse import parse_qsl, unquote, urlsplit

    candidates = [href for _, href in view.links] + _URL.findall(haystack)
    for url in candidates:
        url = url.strip().rstrip(".,;")
        if not url.lower().startswith(("http://", "https://")):
            continue
        # A tracking redirect carries the real address in a parameter: read it, never
        # follow the link.
        for _, value in parse_qsl(urlsplit(url).query):
            inner = unquote(value)
            if inner.lower().startswith(("http://", "https://")) and _JOB_URL.search(inner):
                url = inner
                break
        if _JOB_URL.search(url):
            return one_line(url, 500, "url")
    return ""


# "Olivia at Larkfield Foods", "Isaac Brenner from Tidewire", "Camille Garnier - Maison
# Vernier": a person's first name or full name, then their organisation.
_PERSON_THEN_ORG = re.compile(r"^(?P<person>(?:[A-ZÀ-Ý][\w'’.-]+[ ]?){1,3}?)[ ]+(?:at|from|@|bei|"
                              r"von|chez|de chez|[-–|·])[ ]+(?P<org>[A-ZÀ-Ý0-9].{1,80})$")

_PERSON_BRACKET_ORG = re.compile(r"^(?P<person>(?:[A-ZÀ-Ý][\w'’.-]+[ ]?){1,3}?)[ ]*\("
                                 r"(?P<org>[A-ZÀ-Ý0-9][^()]{1,80})\)$")


def persons_company(name: str, rules: Rules) -> str:
    """The organisation part of a sender's name that is a person's name and their
    organisation; "" when the name is not so (the first part is an organisation, a desk
    or a hiring system: "Acme - Careers", "Jobs at Acme")."""
    found = _PERSON_THEN_ORG.match(name.strip())
    if not found:
        # "Tess Amari (Corvalis Systems)": an organisation in brackets after a person's
        # name; a place, a pronoun or a job there ("(Berlin)", "(she/her)") is no employer
        found = _PERSON_BRACKET_ORG.match(name.strip())
        if not found or not is_organisation(found.group("org"), rules):
            return ""
    person, org = found.group("person").strip(), found.group("org").strip()
    lowered = person.lower()
    if is_organisation(person, rules) or lowered in rules.ats_names or \
            any(w in rules.name_noise for w in lowered.split()) or \
            org.lower() in rules.name_noise or org.lower() in rules.ats_names:
        return ""
    return org


def platforms_own(platform: str, domain: str) -> bool:
    """Whether `domain` is the platform's own ("VidCruiter" at vidcruiter.com, "Applied"
    at beapplied.com)."""
    name = _squash(re.sub(r"\s*\([^()]*\)", "", platform).split(".")[0])  # "X (board)"
    return len(name) >= 4 and name in _squash(domain)


# A name no person has: three words or more, a leading article, "&", "of"/"de"/"des".
_ORGANISATION_SHAPE = re.compile(r"^(?:the|les?|la|el|los|die|der|das)\s|\s(?:&|of|de|des|du|"
                                 r"del|und|y|et)\s|^\S+(?:\s+\S+){2,}$", re.IGNORECASE)


def shaped_like_organisation(name: str) -> bool:
    """A name no person has (`_ORGANISATION_SHAPE`): "Township of Maplehurst"."""
    return bool(_ORGANISATION_SHAPE.search(name.strip()))


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())
