"""The values of a finding, from where people put them: the company and the role (the
rules' extraction patterns, the sender's display name, the signature, the sender's domain,
noise removed), the recruiter to contact, the job's URL (tracking redirects read, never
followed).
"""

from __future__ import annotations

import re
from functools import lru_cache

from nudger.mail.capture.contact import (
    LEGAL,
    LEGAL_ANYWHERE,
    is_organisation,
    looks_like_person,
    persons_company,
    platforms_own,
    shaped_like_organisation,
    via,
)
from nudger.mail.capture.employer import (
    BOARD_LISTING,
    DOES,
    a_colleague,
    a_weak_name,
    agrees_with_domain,
    company_from_domain,
    company_from_links,
    company_from_listing,
    company_from_signature,
    domain_label,
    named_organisation,
    other_organisation,
    persons_organisation,
    signed_organisation,
    signers_organisation,
    squash,
    title_end,
)
from nudger.mail.capture.fuller import (
    LEGAL_END,
    after_a_title,
    fuller_from_domain,
    named_by_address,
    signed_with_website,
    spelt_in_text,
    with_leading_word,
    with_legal_form,
)
from nudger.mail.capture.platform import (
    branch_of,
    client_named,
    employer_nearby,
    employer_on_notice,
)
from nudger.mail.capture.rules import Rules, fold_case
from nudger.mail.capture.subjects import (
    JOB_TITLE_WORDS,
    ROLE_WORDS,
    agency_by_name,
    an_agency,
    employer_in_subject,
)
from nudger.mail.capture.view import MAX_VALUE, MailView, one_line

# --- company and role ------------------------------------------------------------------

_GENDER = re.compile(r"\s*\((?:m|w|f|d|x|h|div|all genders|gn\*?)(?:\s*/\s*(?:m|w|f|d|x|h|"
                     r"div))*\)\s*|\s*\b[mwfdx]/[mwfdx]/[mwfdx]\b", re.IGNORECASE)
_TAIL = re.compile(r"\s+(?:for|as|als|comme|como|regarding|about|via|through|on|in the|"
                   r"and we|and our|"
                   r"in(?=\s+(?-i:[A-Z]))|"  # a place after the name ("X in Chicago")
                   r"(?:feedback|update|news|retour|rückmeldung|novedades)(?=\s*[?!.]*$)|"
                   r"and (?:have |has |had )?(?:decided|chosen|opted)|"
                   r"and (?:the|your|that|i|to|for|hope|wish|would|will|look)|we|"
                   r"who|which|where|has|have|is|are|was|were|will|und|pour|para|y|et|über|a|est|ont|"
                   r"ha|es|fue|hat|ist|sind|wurde|wurden|wird|werden|angekommen|eingegangen|eingetroffen|"
                   r"para el|–|-|—|\||·|@|x|<>|last|yesterday|earlier|recently|"
                   r"this (?:week|morning|afternoon)|and (?:unfortunately|sadly|they|he|she|it)|"
                   r"but)(?:\s|$).*$", re.IGNORECASE)
_NOT_COMPANY = frozenset({"us", "our team", "uns", "nous", "nosotros", "our company",
                          "this time", "this point", "the moment", "present", "you", "dir",
                          "ref", "réf", "ref.", "reference", "referencia", "référence",
                          "ihnen", "vous", "ti", "the team", "the company",
                          # the tools that send invitations, never the employer
                          "google calendar", "google kalender", "google agenda",
                          "google meet", "microsoft teams", "microsoft outlook", "outlook",
                          "outlook calendar", "zoom", "calendly", "microsoft bookings"})
# A desk's name alone ("Soy Irene, de People en Nubalia"), never the employer.
_DESK = frozenset({"people", "hr", "rh", "rrhh", "talent", "recursos humanos",
                   "ressources humaines", "personalabteilung", "people & culture"})
_ROLE_LEAD = re.compile(r"^(?:(?:the|a|an|our|unsere?|le|la|el)\s+)?(?:(?:position|role|job|"
                        r"stelle|poste|puesto)\s+(?:of\s+|als\s+|de\s+)?)?", re.IGNORECASE)
_ROLE_IDS = re.compile(r"\s*\((?:job|req|requisition|ref|id)\b[^)]*\)|\s*\(?\b[A-Z]{0,4}-?\d{4,}"
                       r"\)?\s*$", re.IGNORECASE)

_POSSESSIVE = re.compile(r"'s$|’s$")


_DESK_HEAD = frozenset({"personalabteilung", "rrhh", "hr", "rh"})


def _clean_company(raw: str, rules: Rules) -> str:
    # "bei Randstad: Sachbearbeiter (m/w/d)": a job after a colon is no part of the name
    text = " ".join(raw.split(";")[0].split(": ")[0].split()).strip(" \"'“”‘’«»:;,!?()[]")
    text = _SENTENCE_END.split(text, maxsplit=1)[0]
    text = _PERSON_AT.sub("", text)
    text = _LEAD.sub("", text)
    text = _TAIL.sub("", text)
    text = _POSSESSIVE.sub("", text).strip(" \"'“”‘’«»:;,!?")
    # A bracket after the name is a place, a gender note or a ticker ("Acme (Paris)",
    # "(m/w/d)", "(NYSE: ACME)"), cut or not; a desk's word after it is no part of it
    # ("Acme Careers", "Acme Recruiting").
    text = _BRACKET_TAIL.sub("", text).strip(" ,-–|")
    head, _, rest = text.partition(" ")
    if head.lower() in _DESK_HEAD and LEGAL_ANYWHERE.search(rest):
        text = rest  # "Personalabteilung X eG", "RRHH X S.L.": X's desk, X the employer
    text = _noise_tail(text, rules)
    text = _PLACE_AFTER_LEGAL.sub(r"\g<name>", text)
    text = _keep_legal_dot(text)
    if not text or text.lower() in rules.ats_names or len(text) < 2 or \
            LEGAL_END.sub("", text).lower() in rules.ats_names or \
            text.split()[0].lower() in rules.ats_names or \
            text.split()[-1].lower() in rules.ats_names or not text[:1].isalnum() or \
            _ONLY_LEGAL.fullmatch(text):
        # a hiring system's own name, legal form or words around it ("InfoJobs S.L.",
        # "área de candidato de Tecnoempleo"): it hires for others
        return ""
    words = text.lower().split()
    if text.lower() in _NOT_COMPANY or text.lower() in _DESK or words[0] in _NOT_COMPANY or \
            words[0] in _NOT_COMPANY_START or words[-1] in ROLE_WORDS or \
            (words[0].split("/")[0] in JOB_TITLE_WORDS and not is_organisation(text, rules)) or \
            (title_end(words) in JOB_TITLE_WORDS and not LEGAL_ANYWHERE.search(text)) or \
            text[:1].isdigit():
        return ""  # "our Founding Engineer role", "2:00 PM Eastern", "puesto de …"
    return one_line(text, MAX_VALUE, "company")


# "Nordlicht Medizintechnik GmbH in Lübeck": the place after a legal form is no part of it.
_PLACE_AFTER_LEGAL = re.compile(rf"^(?P<name>.+?[\s,](?:{LEGAL}))\s+(?:in|à|en|aus|from)\s+"
                                r"[A-ZÀ-Ý][\w'’ -]*$")
# "KG", "S.A.": a legal form alone (read after a sentence's dot in "GmbH & Co. KG ist").
_ONLY_LEGAL = re.compile(rf"(?:{LEGAL})\.?")
# "Jonah Pike (CEO) at Kestrel Freight": a person, their title, then the organisation;
# "Hotel X (Mallorca) se ha…": a place in brackets, then prose, cut.
_PERSON_AT = re.compile(r"^[^()]{2,40}\([^()]{1,40}\)\s+(?:at|of|bei|chez|de|en)\s+(?=\S)")
_BRACKET_TAIL = re.compile(r"\s*[(\[][^()\[\]]*(?:[)\]](?:\s+(?-i:[a-z]).*)?)?\s*$")


def _noise_tail(text: str, rules: Rules) -> str:
    """`text` without the desk words at its end ("Acme Robotics Talent Acquisition" →
    "Acme Robotics"), unless nothing would be left."""
    words = text.split()
    while len(words) > 1:
        for n in (3, 2, 1):
            if len(words) > n and " ".join(words[-n:]).lower() in rules.name_noise:
                words = words[:-n]
                break
        else:
            break
    return " ".join(words)


# An article, or a sentence's opening adverb ("Leider Acme hat…" read from a run of
# capitalised words), before a name.
_LEAD = re.compile(r"^(?:(?:unfortunately|sadly|however|leider|malheureusement|"
                   r"lamentablemente|desafortunadamente),?\s+)?"
                   # a sentence's leading preposition ("En Conservas X estamos…")
                   r"(?:(?:en|bei|chez|desde|auprès de)\s+(?=(?-i:[A-ZÀ-Ý])\S+\s+\S))?"
                   # "interest in joining Acme", "interés en formar parte de Acme"
                   r"(?:(?:joining|(?-i:[a-z]+ing) (?:at|for|with)|formar parte de|unirte a|"
                   r"trabajar (?:en|con|para)|rejoindre|faire partie de|travailler (?:chez|avec|"
                   r"pour))\s+)?"
                   # a subject's kind word before the name ("Absage Acme", "Entretien Acme")
                   r"(?:(?:recursos humanos|rrhh|rh|ressources humaines|people|hr|human "  # a desk
                   r"resources|personalabteilung) (?:de|del|of|at|von|chez)\s+)?"
                   r"(?:(?:absage|zusage|einladung|entretien|retour|candidature|bewerbung|"
                   r"interview|entrevista|candidatura|feedback|rückmeldung|kennenlernen|"
                   r"rendez-vous|visio|llamada|terminvorschlag|terminbestätigung|"
                   r"(?:kennenlern|vorstellungs|telefon|bewerbungs)?gespräch|convocatoria|"
                   r"convocation|invitation)\s+(?=\S+\s+\S)){0,2}"
                   r"(?:(?:the|der|die|das|la|le|el|los|las)\s+|[ld]['’](?=[A-ZÀ-Ý]))?",
                   re.IGNORECASE)
# A sentence's end inside what a pattern took as a name ("Maison Carrel. Après réflexion"),
# not the dot of an initial or an abbreviation ("J. Smith", "Acme Inc. Berlin", "S.A.").
_SENTENCE_END = re.compile(r"(?<![\s.][A-Za-z])(?<!\bInc)(?<!\bLtd)(?<!\bCorp)(?<!\bCo)"
                           r"(?<!\bPvt)(?<!\bPte)(?<!\bSt)(?<!\bDr)(?<!\bMr)(?<!\bMs)\.\s+(?=\S)")

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
    "équipe", "los", "las", "un", "una", "une", "ein", "eine", "unternehmen", "firma",
    "mitarbeit", "tätigkeit", "ausschreibung", "einstellung", "entreprise", "société",
    "empresa", "compañía", "te", "me", "se", "os", "du", "vous",
    "absage", "zusage", "einladung", "entretien", "entrevista", "convocatoria",
    "convocation", "citación", "vorladung"})

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
    "warm", "yours", "lg", "gruß", "grüße",
    # a day is when, never what ("confirmed for Thursday at 10:00")
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "today",
    "tomorrow", "montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag",
    "sonntag", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
    "lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"})


def company_and_role(view: MailView, haystack: str, ats: str, rules: Rules, *,
                     last_resort: bool = False) -> tuple[str, str, str]:
    company = role = ""
    how = ""
    folded = fold_case(haystack)
    subject_end = haystack.find("\n") if "\n" in haystack else len(haystack)
    for pattern, prefix in zip(rules.company, rules.company_prefixes or [""] * len(rules.company),
                               strict=True):
        if prefix and prefix not in folded:
            continue  # cannot match
        found = pattern.search(haystack)
        if not found:
            continue
        groups = found.groupdict()
        candidate = _clean_company(groups.get("company") or "", rules)
        if candidate and not any(c.isupper() or c.isdigit() for c in candidate.split()[0]):
            continue  # "en los próximos días", "cualquier momento en «Mis…»": prose
        if candidate and found.end() <= subject_end and found.start("company") < 12 and \
                not is_organisation(candidate, rules) and \
                squash(candidate) not in squash(f"{haystack[subject_end:]} {view.from_name} "
                                                f"{view.domain}"):
            # A subject's head ("Terminbestätigung: …") the mail never repeats, unless it
            # reads as an organisation's name ("Nordtal Möbel GmbH | Ihre Bewerbung").
            continue
        if candidate and DOES.match(haystack, found.end("company")) and \
                a_colleague(candidate, view, rules):
            continue  # "Daniel would like to meet you", from dana@brightmoor.example
        if candidate:
            company, how = candidate, "text"
            if groups.get("role"):
                role = _clean_role(groups["role"])
            break
    if not company and ats:
        company, listed = company_from_listing(view.subject, haystack, rules, _clean_company,
                                               _clean_role)
        if company:
            how, role = "job listing", role or listed
    if not company and rules.ats_of(view.domain):
        # A board's own notice names the job and its employer in one phrase ("la oferta X
        # de Clínica Norte (Valladolid)"); an employer's "puesto de X (Madrid)" does not.
        found = BOARD_LISTING.search(haystack)
        candidate = _clean_company(found.group("company"), rules) if found else ""
        if candidate:
            company, how = candidate, "job listing"
            role = role or _clean_role(found.group("role"))  # type: ignore[union-attr]
    if not company and rules.ats_of(view.domain):
        # A person writing through a hiring system's own address ("Marcus Bell (Pryor &
        # Vance LLP) via Handshake", "Nathalie Girard <reponse-…@reply.board>"): the
        # organisation in brackets after their name, or signed under it.
        company = persons_organisation(view, haystack, rules, _clean_company)
        how = "signature" if company else ""
    if not company:
        company = _company_from_sender(view, ats, rules)
        how = "sender's name" if company else ""
        label = squash(domain_label(view.domain))
        if company and not ats and label and squash(company).startswith(label):
            # A sending system the rules do not list ("Jobbly <noreply@jobbly.example>"): the
            # employer on the job's card it shows, one its notice names by its part ("au
            # recruteur X", "X moved your application"), else one named with a legal form.
            listed_company, listed = company_from_listing(
                view.subject, haystack, rules, _clean_company, _clean_role, anywhere=True)
            named = listed_company or employer_on_notice(haystack, label, rules,
                                                         _clean_company) or \
                other_organisation(haystack, label, rules, _clean_company) or \
                employer_nearby(haystack, label, rules, _clean_company)
            if named:
                company, how = named, "job listing" if listed_company else "text"
                role = role or listed
    # "Name via Platform": the platform's own address and domain say nothing of the company;
    # an ATS relaying in the employer's name leaves the employer's domain and signature.
    platform = rules.ats_of(view.domain) or (via(view.from_name)[1] and "via")
    if not company and not platform:
        company = company_from_signature(view, haystack, rules, _clean_company)
        how = "signature" if company else ""
    if not company and not platform and (rules.is_freemail(view.domain) or not view.domain):
        # A small employer writing from free mail: its name where it signs, in a subject
        # that is only its name, or written in the text as an organisation's name.
        company = named_organisation(view, haystack, rules, _clean_company) or \
            signed_with_website(view, haystack, rules, _clean_company)
        how = "organisation's name in the mail" if company else ""
        if not company:  # "talleres.iruna@…" signed "Talleres Iruña"
            company = named_by_address(view, haystack, rules, _clean_company)
            how = "organisation's name in the mail, as the sender's address" if company else ""
    if company and not platform and how != "sender's domain" and \
            not rules.is_freemail(view.domain):
        # "Sternwerk" in the text, sternwerk-automation.example the sender's domain: the
        # company's full name ("Sternwerk Automation", as the mail spells it when it does).
        fuller = fuller_from_domain(company, view.domain, haystack, rules, _clean_company)
        company = fuller or company
    if not company and not platform and view.domain and not rules.is_freemail(view.domain):
        # The organisation's name the mail signs or writes, when it is the sender's
        # domain's words in any order ("Soluciones Marea" at marea-soluciones.example).
        named = named_organisation(view, haystack, rules, _clean_company)
        if named and agrees_with_domain(named, view.domain):
            company, how = named, "organisation's name in the mail, as the sender's domain"
    if not company and not platform and view.domain and not rules.is_freemail(view.domain):
        company = company_from_domain(view.domain, rules, _clean_company)
        how = "sender's domain" if company else ""
        if company:
            # The name as the mail spells it ("Arena Digital S.A." for arenadigital.es).
            spelt = spelt_in_text(company, haystack, rules, _clean_company)
            company, how = (spelt, "sender's domain, as the mail spells it") if spelt \
                else (company, how)
    if not company or squash(company) in (squash(domain_label(view.domain)), squash(ats)):
        # No company yet, or only the sending system's own name: the employer's slug in a
        # link (acme.bamboohr.com, boards.…/acme/, /companies/acme) the text spells.
        linked = company_from_links(view, haystack, rules, _clean_company) or (
            company and employer_nearby(haystack, squash(company), rules, _clean_company))
        if linked and squash(linked) != squash(company):
            company, how = linked, "link's path, as the mail spells it"
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
    if company and a_weak_name(company, haystack, view.domain, rules):
        # A stray word or a first name read as a name: the organisation the mail signs
        # with a legal form says more ("Will have a look" signed "Hennessy Joinery Ltd").
        signed = signed_organisation(haystack, rules, _clean_company)
        company, how = (signed, "signature") if signed else (company, how)
    agency = company and how.startswith(("sender's", "signature")) and not ats
    if agency and an_agency(company, view.domain):
        # An agency writes for a client, whom its subject names ("Corvane - feedback").
        client = employer_in_subject(view.subject, haystack, rules, _clean_company)
        company, how = (client, "subject, the agency's client") if client else (company, how)
        if not client:  # "on behalf of our client X", "Le client X a finalisé…"
            client = employer_on_notice(haystack, squash(company), rules, _clean_company)
            company, how = (client, "text, the agency's client") if client else (company, how)
    if agency and how.startswith(("sender's", "signature")) and (
            an_agency(company, view.domain) or
            agency_by_name(via(view.from_name)[0] or view.from_name, company, rules)):
        # "Tu proceso en Ingeniería Zubieta": the organisation an agency's mail names
        client = client_named(view.subject, haystack, f"{view.from_name} {view.domain}",
                              rules, _clean_company)
        company, how = (client, "text, the agency's client") if client else (company, how)
    if not company and last_resort and not platform:  # a clear invitation or rejection
        company = signers_organisation(view, haystack, rules, _clean_company)
        how = "line under the signer's name (nothing else names one)" if company else ""
    if company:
        company = branch_of(with_legal_form(branch_of(company, view.domain, haystack), haystack,
                                            rules, _clean_company, view.domain),
                            view.domain, haystack)
        company = with_leading_word(after_a_title(company, rules), haystack)
    if role and company and role.lower().endswith(" at " + company.lower()):
        role = role[: -len(company) - 4].strip()
    if role.lower() == company.lower():
        role = ""
    return company, role, how


def _company_from_sender(view: MailView, ats: str, rules: Rules) -> str:
    name = view.from_name
    if not name or "@" in name:
        return ""
    before, platform = via(name)
    if platform and platform.lower() not in rules.ats_names:
        # A person or a company writing through a platform the rules do not list (a
        # network's message, a job board's relay): the name before "via" is the company
        # only when it reads as one: by its words, or by its shape when the platform sends
        # from its own domain ("Township of Maplehurst via VidCruiter", "The Quill & Lantern
        # Inn via Caterer.com"; "Hugo Berthier via Malt" is a person's).
        if is_organisation(before, rules) or (platforms_own(platform, view.domain) and
                                              shaped_like_organisation(before)):
            return _clean_company(before, rules)
        return ""
    if platform:
        name = before  # "Acme vía Computrabajo": the listed platform's name is no part
    name = persons_company(name, rules) or name
    ats_words, noise_words = _name_patterns(tuple(sorted(rules.ats_names)), rules.name_noise)
    lowered = noise_words.sub(" ", ats_words.sub(" ", name.lower()))
    lowered = _EDGE_WORD.sub(" ", lowered.strip(" -|,:"))
    words = lowered.split()
    if not words:
        return ""
    # Keep the sender's own spelling of the words that remain.
    kept = [w for w in name.split() if w.lower().strip("-|,:@") in words]
    company = " ".join(kept) if kept else " ".join(words)
    if rules.is_freemail(view.domain) and not platform and not is_organisation(name, rules):
        return ""  # "Mum <…@gmail.com>", "Dave <…@hotmail.co.uk>": a person's free mail
    if not rules.ats_of(view.domain) and looks_like_person(name, view.from_addr, rules):
        # A recruiter's own name, also when an ATS relays it from the employer's domain; on
        # an ATS's own address the name is the employer's ("Dijkstra Bouw <dbouw@ats>").
        return ""
    return _clean_company(company, rules)


_EDGE_WORD = re.compile(r"\b(?:at|bei|chez|en|de|@|from)\s*$|^\s*(?:at|bei|chez|en|de|@|from)\b")


@lru_cache(maxsize=4)
def _name_patterns(ats_names: tuple[str, ...],
                   noise: tuple[str, ...]) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The ATS names ("via Greenhouse", "at Lever") and the noise words ("Recruiting Team")
    of a sender's name, each one compiled alternation (longest first), built once."""
    longest = sorted(ats_names, key=len, reverse=True)
    ats = re.compile(r"\b(?:via|@|at|by|on)?\s*(?:"
                     + "|".join(re.escape(n) for n in longest) + r")\b")
    words = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(n) for n in noise) + r")(?!\w)")
    return ats, words


_LEGAL_DOT_END = re.compile(r"(?:\b(?:Inc|Ltd|Corp|Co)|(?<![\w.])(?:[A-Za-zà]\.){1,3}"
                            r"[A-Za-z]|\be\.\s?V|&\s*Co)$")


def _keep_legal_dot(text: str) -> str:
    """`text` without trailing dots, unless the dot ends its legal form ("Acme Inc.",
    "Arena Digital S.A.", "Verein e.V."): a form is spelt one way whatever follows it."""
    bare = text.rstrip(".").rstrip()
    if bare != text and _LEGAL_DOT_END.search(bare) and LEGAL_ANYWHERE.search(bare + "."):
        return bare + "."
    return bare


clean_company = _clean_company          # the ranker's candidates are cleaned the same way
company_from_sender = _company_from_sender
