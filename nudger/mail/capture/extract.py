"""The values of a finding, from where people put them: the company and the role (the
rules' extraction patterns, the sender's display name, the signature, the sender's domain,
noise removed), the recruiter to contact, the job's URL (tracking redirects read, never
followed).
"""

from __future__ import annotations

import re
import unicodedata

from nudger.mail.capture.rules import Rules, fold_case
from nudger.mail.capture.view import MAX_VALUE, MailView, one_line

# --- company and role ------------------------------------------------------------------

_GENDER = re.compile(r"\s*\((?:m|w|f|d|x|h|div|all genders|gn\*?)(?:\s*/\s*(?:m|w|f|d|x|h|"
                     r"div))*\)\s*|\s*\b[mwfdx]/[mwfdx]/[mwfdx]\b", re.IGNORECASE)
_TAIL = re.compile(r"\s+(?:for|as|regarding|about|via|through|on|in the|and we|and our|we|"
                   r"who|which|where|has|have|is|are|was|were|will|und|pour|para|y|et|über|a|est|ont|"
                   r"ha|es|hat|ist|sind|angekommen|eingegangen|eingetroffen|"
                   r"para el|–|-|—|\||·)"
                   r"(?:\s|$).*$", re.IGNORECASE)
_NOT_COMPANY = frozenset({"us", "our team", "uns", "nous", "nosotros", "our company",
                          "this time", "this point", "the moment", "present", "you", "dir",
                          "ihnen", "vous", "ti", "the team", "the company"})
_ROLE_LEAD = re.compile(r"^(?:(?:the|a|an|our|unsere?|le|la|el)\s+)?(?:(?:position|role|job|"
                        r"stelle|poste|puesto)\s+(?:of\s+|als\s+|de\s+)?)?", re.IGNORECASE)
_ROLE_IDS = re.compile(r"\s*\((?:job|req|requisition|ref|id)\b[^)]*\)|\s*\(?\b[A-Z]{0,4}-?\d{4,}"
                       r"\)?\s*$", re.IGNORECASE)


def _clean_company(raw: str, rules: Rules) -> str:
    text = " ".join(raw.split(";")[0].split()).strip(" \"'“”‘’«»:;,.!?()[]")
    text = re.sub(r"^(?:the|der|die|das|la|le|el|los|las)\s+", "", text, flags=re.I)
    text = _TAIL.sub("", text)
    text = re.sub(r"'s$|’s$", "", text).strip(" \"'“”‘’«»:;,.!?")
    if not text or text.lower() in rules.ats_names or len(text) < 2:
        return ""
    words = text.lower().split()
    if text.lower() in _NOT_COMPANY or words[0] in _NOT_COMPANY or \
            words[0] in _NOT_COMPANY_START or words[-1] in _ROLE_WORDS or \
            text[:1].isdigit():
        return ""  # "our Founding Engineer role", "2:00 PM Eastern", "puesto de …"
    return one_line(text, MAX_VALUE, "company")


_NOT_COMPANY_START = frozenset({
    "our", "your", "my", "we", "i", "a", "an", "this", "that", "these", "it", "they",
    "he", "she", "everyone", "good", "great", "hi", "hello", "dear", "thanks", "thank",
    "unfortunately", "sadly", "please", "ihre", "ihr", "deine", "dein", "unsere", "wir",
    "sie", "votre", "notre", "nous", "tu", "su", "nuestro", "nuestra", "puesto", "poste",
    "position", "role", "stelle", "hiring", "recruiter", "recruiting", "interview",
    "application", "candidature", "candidatura", "bewerbung", "client", "customer",
    "kunde", "kunden", "cliente", "le", "la", "el", "der", "die", "das", "leider",
    "gerne", "gern", "bitte", "ich", "es", "je", "nos", "por", "lamentablemente",
    "malheureusement", "today", "tomorrow", "next", "heute", "morgen", "yes", "no", "so",
    "also", "however", "after", "nach", "après", "después", "sorry", "update", "news",
    "feedback", "there", "here", "which", "what", "who", "when", "someone", "somebody",
    "everybody", "team", "company", "firm", "agency", "ce", "cette", "il", "elle", "on",
    "er", "wer", "eso", "esta", "este", "ella", "él", "ellos", "hier", "voici", "voilà",
    "aquí", "anbei", "attached", "below", "above", "everything", "nothing", "all", "alles",
    "tout", "todo", "mein", "meine", "mon", "ma", "mi", "dies", "diese",
    "vacante", "vacancy", "oferta", "offre", "plaza", "empleo", "trabajo", "job", "equipo",
    "équipe", "los", "las", "un", "una", "une", "ein", "eine"})
_ROLE_WORDS = frozenset({"role", "position", "job", "opening", "vacancy", "post",
                         "stelle", "poste", "puesto", "team", "interview"})


_GENERIC_ROLE = re.compile(
    r"^(?:(?:an? )?(?:update|news|decision) (?:on|about|regarding) )?(?:your|ihre|deine|dein|"
    r"votre|ta|tu|su) (?:application|candidacy|bewerbung|candidature|candidatura|solicitud|"
    r"interview|profile|cv)$", re.IGNORECASE)


def _clean_role(raw: str) -> str:
    text = _GENDER.sub(" ", " ".join(raw.split())).strip()
    if _GENERIC_ROLE.match(text):
        return ""
    text = _ROLE_LEAD.sub("", text)
    text = re.sub(r"\s+(?:position|role|job|opening|stelle|poste|puesto)$", "", text,
                  flags=re.I)
    text = _ROLE_IDS.sub("", text)
    text = re.sub(r"\s+(?:at|for) (?:this|the) (?:time|point|stage|moment)$", "", text,
                  flags=re.I)
    text = re.sub(r"\s+(?:has|have|was|were|is|will|a été|wurde|ha sido)\s.*$", "", text,
                  flags=re.I)
    text = re.sub(r"^(?:interview|application|bewerbung|candidature|vacancy|vacante) "
                  r"(?:for|als|pour|of|de) ", "", text, flags=re.I)
    text = re.sub(r"\s+(?:(?:and|und|et|y|ist|wurde|landed|entschieden|erteilen)\b|"
                  r"[-–]\s+(?:your|outcome|update|status)\b).*$|\s+(?:vacancy|position)$", "",
                  text, flags=re.I)
    text = _ROLE_TAIL.sub("", text).strip(" \"'“”‘’«»:;,.!?-–")
    if len(text) < 2 or text.lower() in ("position", "role", "job", "opening", "stelle",
                                         "the", "a", "an", "this", "it", "us"):
        return ""
    words = text.split()
    if len(words) > 8 or re.search(r"[.!?;:]\s|[!?]", text) or \
            words[0].lower() in _NOT_ROLE_START:
        return ""  # a sentence, a greeting or a sign-off, not a job title
    return one_line(text, MAX_VALUE, "role")


# What follows a title in subjects and board listings: the place, the contract, remote.
_ROLE_TAIL = re.compile(
    r"(?:\s+[-–|·]\s+(?:remote|hybrid|on-?site|full[- ]time|part[- ]time|contract|"
    r"internship|cdi|cdd|stage|alternance|freelance|vollzeit|teilzeit|befristet|"
    r"unbefristet|[A-ZÀ-Ý][\w .'-]*,\s*[A-Z]{2}|(?:[A-ZÀ-Ý][\w'-]+)(?:,\s*[A-ZÀ-Ý][\w'-]+)?)"
    r"(?:\s*\((?:remote|hybrid|on-?site)\))?)+$|\s+\((?:remote|hybrid|on-?site)\)$")
_NOT_ROLE_START = frozenset({
    "we", "i", "you", "your", "our", "thank", "thanks", "all", "best", "kind", "hi",
    "hello", "dear", "nous", "je", "ta", "tu", "votre", "après", "wir", "ich", "ihre",
    "deine", "hemos", "te", "su", "nos", "unfortunately", "leider", "we've", "we're",
    "this", "it", "please", "weitergeleitet", "submitted", "received", "eingang", "about",
    "after", "could", "update", "merci", "un", "cheers", "sincerely", "regards", "mit",
    "viele", "beste", "freundliche", "cordialement", "saludos", "bien", "atentamente",
    "warm", "yours", "lg", "gruß", "grüße"})


def company_and_role(view: MailView, haystack: str, ats: str,
                      rules: Rules) -> tuple[str, str, str]:
    company = role = ""
    how = ""
    folded = fold_case(haystack)
    for pattern, prefix in zip(rules.company, rules.company_prefixes or [""] * len(rules.company),
                               strict=True):
        if prefix and prefix not in folded:
            continue  # cannot match
        found = pattern.search(haystack)
        if not found:
            continue
        groups = found.groupdict()
        candidate = _clean_company(groups.get("company") or "", rules)
        if candidate:
            company, how = candidate, "text"
            if groups.get("role"):
                role = _clean_role(groups["role"])
            break
    if not company:
        company = _company_from_sender(view, ats, rules)
        how = "sender's name" if company else ""
    if not company and not ats:
        company = _company_from_signature(view, haystack, rules)
        how = "signature" if company else ""
    if not company and not ats and view.domain and view.domain not in rules.freemail:
        company = _company_from_domain(view.domain, rules)
        how = "sender's domain" if company else ""
        if company:
            # The name as the mail spells it ("Arena Digital S.A." for arenadigital.es).
            spelt = _spelt_in_text(company, haystack, rules)
            company, how = (spelt, "sender's domain, as the mail spells it") if spelt \
                else (company, how)
    if not role and company and ats:
        # Job boards list the job as a title line above a "Company · Place" line.
        above = re.search(rf"^([^\n]{{2,120}})\n{re.escape(company)}\s*(?:·|-|–|,)",
                          haystack, re.MULTILINE)
        if above:
            role = _clean_role(above.group(1))
    if not role:
        for pattern, prefix in zip(rules.role, rules.role_prefixes or [""] * len(rules.role),
                                   strict=True):
            if prefix and prefix not in folded:
                continue  # cannot match
            for found in pattern.finditer(haystack):
                role = _clean_role(found.group("role") or "")
                if role:
                    break
            if role:
                break
    if role and company and role.lower().endswith(" at " + company.lower()):
        role = role[: -len(company) - 4].strip()
    if role.lower() == company.lower():
        role = ""
    return company, role, how


def _company_from_sender(view: MailView, ats: str, rules: Rules) -> str:
    name = view.from_name
    if not name or "@" in name:
        return ""
    lowered = name.lower()
    for ats_name in rules.ats_names:
        lowered = re.sub(rf"\b(?:via|@|at|by|on)?\s*{re.escape(ats_name)}\b", " ", lowered)
    for noise in rules.name_noise:
        lowered = re.sub(rf"(?<!\w){re.escape(noise)}(?!\w)", " ", lowered)
    lowered = re.sub(r"\b(?:at|bei|chez|en|de|@|from)\s*$|^\s*(?:at|bei|chez|en|de|@|from)\b",
                     " ", lowered.strip(" -|,:"))
    words = lowered.split()
    if not words:
        return ""
    # Keep the sender's own spelling of the words that remain.
    kept = [w for w in name.split() if w.lower().strip("-|,:@") in words]
    company = " ".join(kept) if kept else " ".join(words)
    if not ats and _looks_like_person(name, view.from_addr):
        return ""
    return _clean_company(company, rules)


def _company_from_signature(view: MailView, haystack: str, rules: Rules) -> str:
    """A person's mail: the line under their name in the signature ("Recruiter, Acme")
    when it agrees with their mail domain."""
    if not view.from_name or not _looks_like_person(view.from_name, view.from_addr):
        return ""
    label = _company_from_domain(view.domain, rules).lower().replace(" ", "")
    if not label:
        return ""
    lines = haystack.split("\n")
    for at, line in enumerate(lines[:-1]):
        if line.strip().lower() != view.from_name.lower():
            continue
        below = lines[at + 1]
        parts = [p for p in view.domain.split(".")[-2].split("-") if len(p) > 1]
        for piece in reversed(re.split(r",| at | bei | chez | en | \| ", below)):
            candidate = _clean_company(piece, rules)
            squashed = re.sub(r"[^a-z0-9]", "", candidate.lower())
            if candidate and (squashed.startswith(label) or label.startswith(squashed) or
                              (len(parts) > 1 and all(p in squashed for p in parts))):
                return candidate
    return ""


def _looks_like_person(name: str, addr: str) -> bool:
    words = [w for w in re.split(r"[\s,]+", name.lower()) if w]
    local = addr.partition("@")[0].lower()
    if not 2 <= len(words) <= 4:
        return False
    return any(len(w) > 1 and w.strip(".") in local for w in words) or (all(
        w[:1].isalpha() for w in words) and local.startswith(words[0][:1]))


_NAME_RUN = re.compile(r"(?<![\w&])[A-ZÀ-Ý][\w&'’.-]*(?:[ \t]+(?:&[ \t]+)?[A-ZÀ-Ý][\w&'’.-]*){0,4}")


def _spelt_in_text(company: str, haystack: str, rules: Rules) -> str:
    """A run of capitalised words in the text that is `company` squashed (spacing, case,
    punctuation), optionally followed by a legal form: the mail's own spelling."""
    label = _squash(company)
    for found in _NAME_RUN.finditer(haystack):
        words = found.group(0).split()
        for end in range(len(words), 0, -1):
            squashed = _squash(" ".join(words[:end]))
            if squashed == label:
                tail = words[end:end + 1]
                name = " ".join(words[:end] + [t for t in tail if _LEGAL_FORM.fullmatch(t)])
                return _clean_company(name, rules)
    return ""


def _squash(text: str) -> str:
    """Lower-case letters and digits only, accents dropped ("Ingeniería" = "ingenieria")."""
    plain = unicodedata.normalize("NFKD", text.lower())
    return re.sub(r"[^a-z0-9]", "", plain)


_LEGAL_FORM = re.compile(r"(?:GmbH|AG|SE|KG|Inc\.?|Ltd\.?|LLC|LLP|PLC|SAS|SARL|S\.A\.?|"
                         r"S\.L\.?|SL|SA|BV|B\.V\.|NV|Oy|AB|AS)")


def _company_from_domain(domain: str, rules: Rules) -> str:
    labels = domain.split(".")
    if len(labels) < 2:
        return ""
    label = labels[-2]
    if label in ("co", "com", "ac", "gov", "org") and len(labels) >= 3:
        label = labels[-3]
    if label in ("mail", "email", "jobs", "careers", "example") or len(label) < 2:
        return ""
    return _clean_company(" ".join(p.capitalize() for p in label.split("-")), rules)


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
    if not ats and view.from_addr and not _NOREPLY.search(view.from_addr) and \
            view.domain not in rules.freemail and \
            _looks_like_person(view.from_name, view.from_addr) and \
            _person_name(view.from_name, rules, company):
        return one_line(view.from_name, MAX_VALUE, "contact"), view.from_addr
    found = _SIGNOFF.search(haystack)
    if found:
        name = found.group("name") or found.group("name2") or ""
        if _person_name(name, rules, company):
            email = view.reply_to if view.reply_to and not _NOREPLY.search(view.reply_to) \
                and not rules.ats_of(view.reply_to.rpartition("@")[2]) else ""
            return one_line(name, MAX_VALUE, "contact"), email
    return "", ""


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
