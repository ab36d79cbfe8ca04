"""The employer a platform's notice names: a job board, a freelance marketplace, a staffing
agency or a testing service writes in its own name about a job at someone else ("Votre
candidature a été envoyée au recruteur X", "La mission … d'X a été pourvue", "X moved your
application to: Interview", "Rescheduled: X technical interview"). Read only when the
mail's sender is the platform itself (its display name is its domain's name) or an agency,
so a company writing about itself is never re-read here (README "Capture")."""

from __future__ import annotations

import re
from collections.abc import Callable

from nudger.mail.capture.contact import LEGAL_ANYWHERE, is_organisation
from nudger.mail.capture.employer import squash
from nudger.mail.capture.rules import Rules
from nudger.mail.capture.subjects import JOB_TITLE_WORDS, ROLE_WORDS

Clean = Callable[[str, Rules], str]

# A capitalised name of up to five words, joined by the small words names use
# ("Clinique Vétérinaire des Monts d'Or", "Seguros La Pampeana", "Wattle & Finch").
_NAME = (r"(?P<company>[A-ZÀ-Ý][\w&’.-]*(?:(?:[ ]+(?:(?:&|de|des|du|del|de la|y|of|und|von|"
         r"van|der|et)[ ]+)?|[ ]+d['’])[A-ZÀ-Ý][\w&’.-]*){0,4}(?:[ ]+(?:eG|e\.V\.|e\.K\.))?)")
_END = (r"(?=\s*(?:[.!,;:?\n(]|$)|\s+(?:fue|a été|has|have|was|is|wurde|ist|est|ha|hat|"
        r"finalizó|terminó)\b)")
_PATTERNS = tuple(re.compile(p, re.MULTILINE) for p in (
    # Who the application went to or who the mail speaks for, said by its part.
    r"(?i:\b(?:le |la |the |el |der |die |our |notre |nuestro |unser(?:em|en)? |au |à l.)?"
    r"(?:client|cliente|kunden?|recruteur|recruteuse|recruiter|reclutador|reclutadora|"
    r"employeur|employer|empleador|arbeitgeber|entreprise|empresa|unternehmen|company)),?"
    r"[ ]+(?:(?i:la|le|l'|the|el|die|der|das)[ ]+)?" + _NAME,
    # A job's name and then its employer: "la mission Data engineer d'Orléa Assurances",
    # "aviso Jefe de Proyectos TI de Constructora Los Andes Ltda.", "te postulaste a … en X"
    # (a name of two words at least: "Responsable de Compras" ends in a job's own word).
    r"(?i:\b(?:mission|offre|annonce|aviso|oferta|vacante|poste|puesto|job|role|position|"
    r"stelle|búsqueda|recherche|postulaste|postulé|applied|beworben))\b[^!?\n]{2,80}?[ ]"
    r"(?i:de|d['’]|del|at|bei|chez|en|with)[ ]?" + _NAME + _END,
    # The employer acting on the application: "X moved your application", "X wurde
    # informiert", "X a consulté votre candidature".
    r"(?:^|[.!?]\s+)" + _NAME + r"[ ]+(?i:moved|has moved|updated|has updated|viewed|"
    r"has viewed|closed|has closed|wurde informiert|hat deine|hat ihre|a déplacé|a consulté|"
    r"a mis à jour|a clôturé|movió|ha movido|ha visto|actualizó|cerró|ha cerrado)\b",
    # Sent or forwarded to the employer, or the employer told: "an die X weitergeleitet",
    # "let X know", "Anfrage von X", "entretien avec la X" (with its article: no person).
    r"(?i:\b(?:an die|an den|an das|an))[ ]+" + _NAME + r"(?i:[ ]+(?:weitergeleitet|"
    r"übermittelt|gesendet|geschickt)\b)",
    r"(?i:\blet)[ ]+" + _NAME + r"(?i:[ ]+know)\b",
    r"(?i:\b(?:anfrage|request|invitation|demande|solicitud|nachricht|message|mensaje)[ ]+"
    r"(?:von|from|de))[ ]+" + _NAME + _END,
    r"(?i:\b(?:entretien|interview|entrevista|gespräch|vorstellungsgespräch)[ ]+(?:avec|with|"
    r"con|mit|bei)[ ]+(?:la |le |l.|the |el |der |die |dem ))" + _NAME + _END,
    # A subject naming the employer before the stage: "Rescheduled: X technical interview".
    r"\A(?:[^:\n]{1,30}:[ ]*)?" + _NAME + r"(?i:[ ]+(?:(?:technical|coding|phone|video|"
    r"first|final|second|panel|onsite|hr|technique|técnica|fachliches)[ ]+)?(?:interview|entretien|"
    r"entrevista|gespräch))\b",
))
_NOT_NAMES = frozenset({
    "your", "you", "we", "our", "the", "this", "technical", "phone", "video", "first",
    "final", "second", "next", "new", "online", "live", "ihre", "deine", "votre", "tu",
    "su", "unser", "unsere", "nous", "interview", "entretien", "entrevista", "application",
    "candidature", "candidatura", "bewerbung", "alex", "hi", "hello", "hallo", "bonjour",
    "hola", "dear", "invitation", "einladung", "invitación", "telephone", "reminder",
    "rappel", "recordatorio", "erinnerung", "confirmation", "confirmed", "rescheduled",
    # a person named with a title is no employer ("entretien avec Madame Roche")
    "madame", "mme", "monsieur", "m.", "mr", "mrs", "ms", "mr.", "mrs.", "ms.", "frau", "herr",
    "señor", "señora", "sr", "sra", "sr.", "sra.", "dr", "dr.", "don", "doña"})


_SENIORITY = frozenset({"sr", "jr", "senior", "junior", "ssr", "semi"})


def employer_on_notice(haystack: str, label: str, rules: Rules, clean: Clean) -> str:
    """The first employer a platform's notice names in one of the ways above that is not
    the platform itself (`label`: its domain's name squashed); "" when it names none."""
    subject_end = haystack.find("\n")
    for number, pattern in enumerate(_PATTERNS):
        at = 0
        while (found := pattern.search(haystack, at)) is not None:
            # the next try starts inside this one: "la oferta Jefe de Compras (Getafe) de X"
            at = max(found.start("company"), found.start() + 1)
            raw = found.group("company")
            if raw.split()[0].lower() in _NOT_NAMES or (number == 1 and (
                    len(raw.split()) < 2 or found.start() < subject_end or
                    _SENIORITY & {w.lower().strip(".") for w in raw.split()})):
                continue  # a subject's "Te postulaste a Analista de Sistemas Sr": the job
            named = clean(raw, rules)
            if named and not (label and squash(named).startswith(label)) and \
                    named.split()[0].lower() not in _NOT_NAMES:
                return named
    return ""


# Where a platform's message puts the employer beside a person or a stage, ranked: in
# brackets after a person ("Tom Beck (CTO, Marlowe Robotics)", "Raj (Grupo Tandoor)"), after
# a preposition no job's title holds ("from Marlowe Robotics", "chez Entrepôts Duval"; not
# "de"/"en": "Analista de Riesgo Crediticio"), then leading the subject before a verb
# ("Lumbre Games quiere conocerte", "Marlowe Robotics sent you a message").
_NEARBY = tuple(re.compile(p, re.MULTILINE) for p in (
    # a card's labelled line: "Advertiser: X", "Empresa: X", "Unternehmen: X"
    r"^[ \t]*(?i:company|employer|advertiser|hiring company|client|empresa|entreprise|"
    r"employeur|société|unternehmen|arbeitgeber|firma)[ \t]*:[ \t]*" + _NAME + r"[ \t]*$",
    r"[A-ZÀ-Ý][\w'’-]+(?:[ ]+[A-ZÀ-Ý][\w'’-]+)?[ ]+\((?:[^(),\n]{1,40},[ ]*)?" + _NAME + r"\)",
    r"(?i:\b(?:from|at|bei|chez))[ ]+(?:(?i:la|le|l'|l’|the|die|der)[ ]+)?" + _NAME
    + r"(?=\s*(?:[.!,;:?\n(]|$)|[ ]+(?-i:[a-zà-ÿ]))",
    r"\A(?:[^:\n]{1,30}:[ ]*)?" + _NAME + r"[ ]+(?-i:[a-zà-ÿ¿¡])",
    # … or leading a line of the text, named as an organisation ("Caséine & Co vous a
    # envoyé…", "Grupo Tandoor te ha escrito")
    r"^" + _NAME + r"[ ]+(?-i:[a-zà-ÿ])",
))
_ORGANISED = len(_NEARBY) - 1   # the last kind wants an organisation's name


# A job's title, a place's kind of building or a meeting: "(HR Business Partner)", "at the
# Kestrel Training Centre", "Kurzer Call".
_NOT_EMPLOYER = JOB_TITLE_WORDS | ROLE_WORDS | frozenset({
    "partner", "recruiter", "ceo", "cto", "cfo", "coo", "founder", "co-founder", "vp",
    "centre", "center", "office", "offices", "campus", "building", "hall", "station",
    "airport", "street", "road", "avenue",
    # a meeting named in a subject ("Kurzer Call", "Zweites Gespräch")
    "call", "chat", "meeting", "gespräch", "telefonat", "termin", "entretien", "appel",
    "entrevista", "llamada", "reunión", "screen", "session", "round",
    # a zone in brackets ("(Pacific Time)")
    "time", "zeit", "heure", "hora"})


def _a_person(name: str, text: str) -> bool:
    return re.search(re.escape(name) + r"[ ]+(?:\(|(?:from|at|bei|von|de|chez)[ ]+[A-ZÀ-Ý])",
                     text) is not None


def employer_nearby(haystack: str, label: str, rules: Rules, clean: Clean) -> str:
    """The employer a platform's message names beside a person or leading its subject
    (`_NEARBY`, first kind first): a name of two words at least, or one with an
    organisation's word, that is not the platform (`label`), a job's or a day's, nor a
    person's (a name the text follows with a bracket or "from X": "Tom Beck (CTO, …)");
    "" when it names none."""
    for number, pattern in enumerate(_NEARBY):
        for found in pattern.finditer(haystack):
            raw = found.group("company")
            words = raw.split()
            if number == _ORGANISED and "&" not in raw and not is_organisation(raw, rules):
                continue
            if words[0].lower() in _NOT_NAMES or _a_person(raw, haystack) or \
                    {w.lower() for w in words} & _NOT_EMPLOYER or (
                    len(words) < 2 and raw.lower() not in rules.organisation):
                continue
            named = clean(raw, rules)
            if named and len(named.split()) == len(words) and \
                    not (label and (label in squash(named) or squash(named) in label)):
                return named
    return ""


# Countries a company's branch is named after ("Adecco France", "Manpower España").
_COUNTRIES = frozenset({
    "deutschland", "germany", "österreich", "austria", "schweiz", "suisse", "switzerland",
    "france", "españa", "spain", "méxico", "mexico", "argentina", "chile", "colombia", "perú",
    "uk", "ireland", "belgique", "belgium", "nederland", "italia", "italy", "portugal",
    "usa", "us", "canada", "iberia", "international", "europe", "emea"})
_LOCATIVE = r"(?:in|en|à|de|bei|aus|niederlassung|agence|agencia|sucursal|office|branch)"


def branch_of(company: str, domain: str, haystack: str) -> str:
    """The company itself, not its branch: "Randstad Hannover" from randstad.de whose mail
    says "Niederlassung Hannover", "Adecco France" from adecco.fr: the name's last word a
    country or a place the text names as one, the rest the sender's domain's name."""
    words = company.split()
    labels = domain.lower().split(".")
    if len(words) < 2 or len(labels) < 2:
        return company
    rest, place = " ".join(words[:-1]), words[-1]
    label = labels[-3] if labels[-2] in ("co", "com") and len(labels) >= 3 else labels[-2]
    if squash(rest) != label:
        return company
    if place.lower() in _COUNTRIES or re.search(
            rf"(?i:\b{_LOCATIVE})\s+{re.escape(place)}(?![\w])", haystack):
        return rest
    return company


_RUN = re.compile(r"(?<![\w&])[A-ZÀ-Ý][\w&'’.-]*(?:[ ]+(?:(?:&|de|des|du|del|de la|y|of|und|"
                  r"von|et)[ ]+)?[A-ZÀ-Ý][\w&'’.-]*){1,5}")


_PREPOSITIONS = frozenset({"en", "in", "at", "bei", "chez", "para", "pour", "for", "con", "with",
                           "mit", "avec", "from", "von", "de", "desde", "auprès"})


def client_named(subject: str, haystack: str, agency: str, rules: Rules, clean: Clean) -> str:
    """The client an agency's mail names as an organisation, in its subject first, then in
    its text ("Westcombe Insurance Group | Claims Handler", "Gracias por confiar en
    Ingeniería Zubieta", "Veyron Payments Platform Engineer interview"): the longest start of
    a run of capitalised words that ends on an organisation's word or a legal form (or the
    whole run, led by one: "Ingeniería Zubieta"), two words at least, none a job's, a desk's
    or a meeting's word, and no word of the agency's own name (`agency`: its sender name and
    domain); a sentence's leading preposition is no part of it ("En Aceros X S.A."). ""
    when none."""
    own = squash(agency)
    for text in (subject, haystack):
        for found in _RUN.finditer(text):
            words = found.group(0).split()
            if words[0].lower() in _PREPOSITIONS:
                words = words[1:]
            for end in range(len(words), 1, -1):
                head = words[:end]
                candidate = " ".join(head)
                lowered = {w.lower().strip(".,") for w in head}
                if end < len(words) and words[end].lower() in JOB_TITLE_WORDS:
                    continue  # "Kestrel Payments Data Engineer": "Data" is the job's
                ends = head[-1].lower().strip(".,") in rules.organisation or \
                    LEGAL_ANYWHERE.search(candidate) is not None or (
                        end == len(words) and head[0].lower() in rules.organisation)
                if lowered & _NOT_EMPLOYER or lowered & set(rules.name_noise) or not ends:
                    continue  # "… Platform Engineer": a job's title after the name
                if head[0].lower() in _NOT_NAMES or any(
                        len(w) >= 4 and squash(w) in own and w.lower() not in rules.organisation
                        for w in head):
                    break
                named = clean(candidate, rules)
                if named and len(named.split()) >= 2:
                    return named
                break
    return ""
