"""Where an employer names itself, for `extract.company_and_role`: an organisation's name
under a sign-off, in a subject that is only that name, or in the text ("Tischlerei Holm",
"Clínica Albor": [names] organisation words or a legal form, never a job's title); the
employer's slug in a link (/companies/acme, acme.<hiring system>, <jobs host>/acme/) as the
text spells it; a job board's card (the title, the employer, its place); the organisation a
mail signs with its legal form, preferred to a stray one-word name; whether a name is the
sender's domain's words. Pure; `clean` is the extraction's own cleaning of a name (passed
in, so this module needs nothing of it).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from nudger.mail.capture.contact import (
    LEGAL,
    LEGAL_ANYWHERE,
    is_organisation,
    looks_like_person,
    via,
)
from nudger.mail.capture.rules import Rules
from nudger.mail.capture.subjects import (
    JOB_TITLE_WORDS,
    KIND_WORD,
    ROLE_WORDS,
    Clean,
    an_agency,
    employer_in_subject,
    replied_name,
)
from nudger.mail.capture.view import MailView

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
    r"saludos(?: cordiales)?|un saludo|atentamente|un abrazo|abrazos|"
    # the short forms and other everyday closings
    r"mfg|lg|vg|bg|cdlt|bàv|slds|atte|all the best|best wishes|take care|talk soon|"
    r"speak soon)[,!.]?$",
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
                    if _JOB_TITLE.search(piece) and "&" not in piece:
                        continue  # "Talent Partner (contract) - Dunmore Rail Ltd": its job
                    found = _organisation_name(piece, rules, clean)
                    if found:
                        return found
            break
    subject = re.sub(r"^(?:(?:re|aw|fwd?|wg|tr|rv)\s*:\s*)+", "", lines[0], flags=re.I)
    pieces = [p.strip() for p in reversed(re.split(r"\s[:|–-]\s|:\s", subject))]
    for piece in ([p for p in pieces if NAME_RUN.fullmatch(p)] if len(pieces) > 1
                  else [subject]):
        # the whole subject, or a part of it that is only a name ("Nouvelle piste :
        # Océane Mobilités")
        found = _organisation_name(piece, rules, clean)
        if found:
            return found
    for run in NAME_RUN.finditer("\n".join(body)):
        found = _organisation_name(run.group(0), rules, clean)
        if found:
            return found
    if subject != lines[0] or KIND_WORD.search(subject):
        return replied_name(subject, rules, clean) or \
            employer_in_subject(subject, haystack, rules, clean)
    return employer_in_subject(subject, haystack, rules, clean)


def _organisation_name(text: str, rules: Rules, clean: Clean) -> str:
    """`text` when it is an organisation's name: 1 to 5 words, capitalised, one of them an
    organisation word or a legal form, no role word ("Data Analyst" is a job)."""
    text = text.strip(" .,:;!?")
    legal = LEGAL_ANYWHERE.search(text)  # an ending "GmbH & Co. KG" is no words of the name
    words = (text[: legal.start()] if legal and legal.start() and
             not text[legal.end():].strip(" .,") else text).split()
    if not 1 <= len(words) <= 5 or not text[:1].isupper() or \
            not is_organisation(text, rules):
        return ""
    lowered = {w.lower().strip(".,") for w in words}
    if lowered & ROLE_WORDS or lowered & JOB_TITLE_WORDS or \
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


_NAME = (r"(?-i:[A-ZÀ-Ý][\w&’.-]*(?:[ ]+(?:(?:&|de|des|du|del|de la|y|of|und|von|van|der)[ ]+)?"
         r"[A-ZÀ-Ý][\w&’.-]*){0,3})")
BOARD_LISTING = re.compile(
    r"\b(?:oferta|offre|poste|vacante|puesto|postulado a|inscrito en la oferta|job|position|"
    r"role|stelle)\b:? (?P<role>[^.!?,:\n(]{2,80}?) (?:de|en|chez|bei|at) "
    rf"(?P<company>{_NAME})(?= \(| [-–|])", re.IGNORECASE)


_BRACKETED = re.compile(r"^(?P<person>[^()]+?)\s*\((?P<org>[^()]{2,80})\)\s*$")


def persons_organisation(view: MailView, haystack: str, rules: Rules, clean: Clean) -> str:
    """The organisation of a person writing through a hiring system's address: in brackets
    after their name ("Renee Alvarez (Cobalt Systems) via Handshake"), else on one of the
    three lines under their name where they sign ("Nathalie Girard" over "Clinique des
    Tilleuls"; "Campus Recruiting Manager, Pryor & Vance LLP"): a line that reads as an
    organisation's name (an organisation word or a legal form). "" when neither."""
    name = via(view.from_name)[0].strip()
    bracketed = _BRACKETED.match(name)
    if bracketed:
        person, org = bracketed.group("person"), bracketed.group("org")
        if len(person.split()) in (2, 3) and person[:1].isupper():
            return clean(org, rules)
        return ""
    words = name.split()
    if not 2 <= len(words) <= 3 or not all(w[:1].isupper() for w in words) or \
            is_organisation(name, rules):
        return ""
    lines = [line.strip() for line in haystack.split("\n")]
    for at, line in enumerate(lines[1:], 1):
        if line.lower() != name.lower():
            continue
        for below in lines[at + 1: at + 4]:
            for piece in reversed(re.split(r",\s|\s[|·–-]\s", below)):
                piece = piece.strip()
                if piece and (is_organisation(piece, rules) or LEGAL_ANYWHERE.search(piece)) \
                        and not any(w.lower().strip(",") in ROLE_WORDS for w in piece.split()):
                    found = clean(piece, rules)
                    if found and not _JOB_TITLE.search(found):
                        return found
    return ""


# A signature's job title line ("Senior Recruitment Consultant", "Chargé de recrutement").
_JOB_TITLE = re.compile(r"\b(?:manager|consultant|recruiter|partner|specialist|lead|head|"
                        r"vp|cto|ceo|director|officer|coordinator|assistant|chargée?|responsable|"
                        r"reclutador\w*|técnic[oa]|referent\w*)\b", re.IGNORECASE)


def company_from_signature(view: MailView, haystack: str, rules: Rules, clean: Clean) -> str:
    """A person's mail: a line of the two under their name in the signature ("Recruiter,
    Acme"; "Talent Partner" over "Acme") when it agrees with their mail domain, or names
    itself with a legal form ("Kestrel Analytics GmbH" at kx-mail.example)."""
    if not view.from_name or not looks_like_person(view.from_name, view.from_addr, rules):
        return ""
    labels = domain_forms(company_from_domain(view.domain, rules, clean))
    if not min(labels):
        return ""
    lines = haystack.split("\n")
    for at, line in enumerate(lines[:-1]):
        if line.strip().lower() != view.from_name.lower():
            continue
        parts = [p for p in view.domain.split(".")[-2].split("-") if len(p) > 1]
        for below in lines[at + 1: at + 3]:
            for piece in reversed(re.split(r",| at | bei | chez | en | \| ", below)):
                candidate = clean(piece, rules)
                squashed = squash(candidate)
                if candidate and squashed and (
                        any(squashed.startswith(label) or label.startswith(squashed)
                            for label in labels) or
                        (len(parts) > 1 and agrees_with_domain(candidate, view.domain)) or
                        (LEGAL_ANYWHERE.search(candidate) and len(candidate.split()) > 1)):
                    return candidate
    return ""


def company_from_domain(domain: str, rules: Rules, clean: Clean) -> str:
    labels = domain.split(".")
    if len(labels) < 2:
        return ""
    label = labels[-2]
    if label in ("co", "com", "ac", "gov", "org") and len(labels) >= 3:
        label = labels[-3]
    if label in ("mail", "email", "jobs", "careers", "example") or len(label) < 2:
        return ""
    parts = label.split("-")
    if len(parts) == 1:  # a domain that hyphenates its words parts them itself
        parts = _split_off_organisation_word(label, rules)
    return clean(" ".join(p.capitalize() for p in parts), rules)


def _split_off_organisation_word(label: str, rules: Rules) -> list[str]:
    """A domain's run-together words parted before an organisation word they end with
    ("tesseralabs" → "tessera", "labs"; "arenadigital" → "arena", "digital"), when three
    letters or more are left before it, else after a sector's word of five letters or more
    they start with ("aceitesguadalquivir" → "aceites", "guadalquivir"); else the label as
    it is."""
    words = _squashed_set(rules.organisation_squashed)
    # The longest organisation word it ends with: its suffixes, longest first (a label
    # is a few letters; the words are hundreds).
    for at in range(3, len(label)):
        if label[at:] in words:
            return [label[:at], label[at:]]
    # a sector's word leading it ("aceitesguadalquivir" → "aceites", "guadalquivir"): its
    # prefixes of five letters or more, longest first
    for end in range(len(label) - 4, 4, -1):
        if label[:end] in words:
            return [label[:end], label[end:]]
    return [label]


_SQUASHED: dict[int, tuple[tuple[str, ...], frozenset[str]]] = {}


def _squashed_set(words: tuple[str, ...]) -> frozenset[str]:
    """`words` as a set, made once per rules' tuple (found by identity: hashing a tuple of
    hundreds of words on every call would cost what the set saves)."""
    held = _SQUASHED.get(id(words))
    if held is None or held[0] is not words:
        if len(_SQUASHED) > 8:
            _SQUASHED.clear()
        held = _SQUASHED[id(words)] = (words, frozenset(words))
    return held[1]


# A name as the subject of a sentence: it did or wants something ("Daniel would like…").
DOES = re.compile(r"\s+(?:would|wants?|has|have|had|is|will|asked|says|said|liked|loved|enjoyed|"
                   r"mentioned|thinks|thought|felt|hat|möchte|würde|"
                   r"quiere|ha|souhaite|aimerait|a)\b", re.IGNORECASE)


def a_colleague(candidate: str, view: MailView, rules: Rules) -> bool:
    """Whether a name the text gives is a person at the sender's own company rather than an
    employer: one capitalised word, no organisation word or legal form, nothing of the
    sender's domain, in mail from a company's own domain ("Daniel would like to meet you"
    from dana@brightmoor.example). Two words are left alone: an agency's recruiter names
    their client so ("Polaris Grid would like to meet you")."""
    words = candidate.split()
    if not view.domain or rules.is_freemail(view.domain) or rules.ats_of(view.domain) or \
            len(words) != 1 or not (candidate[:1].isupper() and candidate[1:].islower()) or \
            is_organisation(candidate, rules) or LEGAL_ANYWHERE.search(candidate):
        return False
    label = squash(domain_label(view.domain))
    return not agrees_with_domain(candidate, view.domain) and \
        not any(squash(w) in label for w in words if len(w) > 2)


def title_end(words: list[str]) -> str:
    """The last word of a name, past a job level ("Process Engineer II" → "engineer")."""
    while len(words) > 1 and words[-1] in ("i", "ii", "iii", "iv", "sr", "sr.", "jr", "jr.",
                                           "senior", "junior", "lead"):
        words = words[:-1]
    return words[-1]


# A job board's card: the title on one line, "Company - Place" (or "Company · Place") on
# the next.
# Or the place on a line of its own under the company ("Tempo Civil Pty Ltd" over
# "Newcastle, NSW · Full time", "Remote (US)"): a place with a comma, a bracket or a dot.
# A card's place: "Portland, OR", "Montpellier (34)", "Elche, Alicante", "Valencia, Valencia
# provincia" (a city and its state, département, province or region).
_PLACE = r"[A-ZÀ-Ý][\w .'’-]{1,60}(?:,[ \t]*[A-ZÀ-Ý][\w .'’-]{1,40}|[ \t]*\([\w .-]{1,20}\))?"
_LISTING = re.compile(r"^(?P<role>[^\n]{2,120})\n(?P<company>[A-ZÀ-Ý0-9][^\n·•|]{1,100}?)"
                      rf"(?:[ \t]+[-–·•|][ \t]+{_PLACE}$|\n(?=[A-ZÀ-Ý][\w .'’-]{{1,40}}"
                      r"(?:,[ \t]*[\w .-]{2,30}|[ \t]*\([\w .-]{1,20}\))[ \t]*(?:[·•|].*)?$))",
                      re.MULTILINE)


_NEWLINE = re.compile(r"\n")


def company_from_listing(subject: str, haystack: str, rules: Rules, clean: Clean,
                         clean_role: Callable[[str], str], *,
                         anywhere: bool = False) -> tuple[str, str]:
    """(company, role) from a job board's card whose title the subject names ("Application
    submitted: Office Manager" over "Office Manager" / "Maple & Finch Dental - Portland,
    OR"), or with `anywhere` the text before the card; ("", "") when there is none."""
    starts = [m.end() for m in _NEWLINE.finditer(haystack, len(subject))]
    for found in filter(None, (_LISTING.match(haystack, at) for at in starts)):
        # every line a card's title may start on (cards overlap: "Application sent" over
        # "Data Analyst - Hybrid" over "Harrowgate Mutual Insurance")
        title = found.group("role").strip()
        named = subject.lower() + (haystack[: found.start()].lower() if anywhere else "")
        # the title as the subject gives it, or without what it adds in brackets
        # ("Java Entwickler:in (Vollzeit)" of "Java Entwickler:in (Vollzeit, ab € 4.200)")
        core = re.sub(r"\s*\(.*$", "", title)
        if len(title) > 2 and (title.lower() in named or
                               (len(core) > 4 and core.lower() in named)):
            company = clean(found.group("company"), rules)
            if company:
                return company, clean_role(title)
    return "", ""


_SIGNED = re.compile(rf"(?<![\w&])(?P<org>[A-ZÀ-Ý][\w&'’.-]*(?:[ ]+(?:(?:&|de|del|des|du|y|und)"
                     rf"[ ]+)?[A-ZÀ-Ý][\w&'’.-]*){{0,4}}),?[ ]+(?:{LEGAL})(?![\w])")


def signed_organisation(haystack: str, rules: Rules, clean: Clean) -> str:
    """The organisation a mail signs with its legal form ("Transports Berthelot SAS" under
    "Service Recrutement", "People & Culture, Traunsee Software GmbH"): on one of the six
    lines after the last sign-off, or of the mail's last six lines when it has none; ""
    when it signs none."""
    lines = [line.strip() for line in haystack.split("\n")][1:]
    start = max(0, len(lines) - 6)
    for at, line in enumerate(lines):
        if _SIGN_OFF_LINE.match(line):
            start = at + 1
    for line in lines[start:start + 6]:
        for found in reversed(list(_SIGNED.finditer(line))):
            named = clean(found.group(0), rules)
            if named:
                return named
    return ""


def a_weak_name(company: str, haystack: str, domain: str, rules: Rules) -> bool:
    """Whether a name taken from the text is as likely a first name, a place or a stray
    word ("Odile aimerait…", "à Rungis", "Will have a look") as an employer: one word, no
    organisation word nor legal form, not the sender's domain's name, written once."""
    return len(company.split()) == 1 and not is_organisation(company, rules) and \
        not (domain and agrees_with_domain(company, domain)) and \
        len(re.findall(rf"(?<!\w){re.escape(company)}(?!\w)", haystack)) <= 1


def other_organisation(haystack: str, label: str, rules: Rules, clean: Clean) -> str:
    """The first organisation the text names with its legal form that is not the sender's
    own (`label`: its domain's name squashed): the employer in the mail of a sending
    system the rules do not list ("…beim Vorstellungsgespräch bei Kühne Frischelogistik
    GmbH…" from a job board). "" when the text names none."""
    for found in _SIGNED.finditer(haystack):
        named = clean(found.group(0), rules)
        if named and not squash(named).startswith(label):
            return named
    return ""


# A signature's words that join a name's capitalised words ("Rutas de la Costa", "Hoch & Tief").
_NAME_JOINS = frozenset({"&", "and", "und", "et", "y", "e", "of", "de", "del", "la", "las",
                         "los", "el", "du", "des", "le", "les", "der", "die", "das", "von"})


def signers_organisation(view: MailView, haystack: str, rules: Rules, clean: Clean) -> str:
    """The last resort for a person's clear invitation or rejection whose employer nothing
    else names: the line under the signer's name in the signature ("Marisa" over "Rutas
    Atlánticas"), a job title line skipped, when it is a name (2 to 5 capitalised words, no
    digits, none of the signer's own names) and not an agency's own (an agency writes for a
    client). Any writer signs like this, so it reads no list of organisation words; "" when
    it finds none."""
    if not view.from_name or not looks_like_person(view.from_name, view.from_addr, rules):
        return ""
    full = view.from_name.strip().lower()
    first = full.split()[0]
    lines = [line.strip() for line in haystack.split("\n")]
    signed = [at for at, line in enumerate(lines) if line.lower() in (full, first)]
    if not signed:
        return ""
    for below in lines[signed[-1] + 1: signed[-1] + 3]:
        piece = re.split(r"\s[|·–-]\s|,\s", below)[0].strip(" .")
        words = piece.split()
        head = words[0].lower().strip(".,") if words else ""
        if not words or {head, head.removesuffix("a")} & JOB_TITLE_WORDS or \
                _JOB_TITLE.search(piece):
            continue  # "Talent Partner", "Directora de RR. HH."
        if not 2 <= len(words) <= 5 or any(c.isdigit() or c in "@/:" for c in piece) or \
                {w.lower() for w in words} & set(full.split()) or \
                not all(w[:1].isupper() or w.lower() in _NAME_JOINS for w in words) or \
                not words[-1][:1].isupper() or {w.lower() for w in words} & ROLE_WORDS:
            return ""
        name = clean(piece, rules)
        return "" if not name or an_agency(below, view.domain) else name
    return ""
