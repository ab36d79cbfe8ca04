"""A company's name found short, completed where the mail writes it whole, for
`extract.company_and_role`: the sector word that leads a name in many firms' own spelling
("Arealonga, S.L." of a mail signed "Conservas Arealonga, S.L.", "Ebro Norte" of
"Cooperativa Ebro Norte", "Autohaus Lindner", "Bodegas Ribera"). A name found from the
sender's domain or a subject loses that word; the text keeps it. And a name read with the
word of a person's title, a desk or a page before it ("Président de la Laiterie X",
"Noticias de Conservas X", "Datos de Viña X SpA") is the organisation after it. A person
writing from free mail who signs with their organisation's web address ("Co-founder,
Fennick (YC W26)" over "fennick.example"): the organisation the signature names as that
address does. And the general completions (moved from employer.py and extract.py, which
were at their size limit): `fuller_name`, a short name completed where the mail writes it
whole with an organisation word ("Veridian Robotics"), a job before " at " cut;
`spelt_in_text`, a name as the mail spells it; `fuller_from_domain`, the sender's domain's
fuller name ("Sternwerk Automation" of sternwerk-automation.example); `with_legal_form`,
the legal form the mail writes right after the name ("Quillon Software, Inc."). Pure;
`clean` is the extraction's own cleaning of a name.
"""

from __future__ import annotations

import re
from itertools import pairwise

from nudger.mail.capture.contact import LEGAL, LEGAL_ANYWHERE, is_organisation
from nudger.mail.capture.employer import NAME_RUN, company_from_domain, domain_forms, squash
from nudger.mail.capture.rules import Rules
from nudger.mail.capture.subjects import (
    JOB_TITLE_WORDS,
    ROLE_WORDS,
    Clean,
    completed_in_subject,
)
from nudger.mail.capture.view import MailView

# Words that lead an organisation's name in the four languages: the sector or the legal
# nature written before the name itself. Only words that do not start a sentence or a
# person's title (no "Dear", no "Team"), so "<word> <name>" is the name whole.
LEADING = frozenset({
    "conservas", "cooperativa", "bodegas", "transportes", "construcciones", "talleres",
    "laboratorios", "distribuciones", "industrias", "grupo", "fundación", "instituto",
    "clínica", "hotel", "hoteles", "editorial", "colegio", "autohaus", "stadtwerke",
    "tischlerei", "bäckerei", "brauerei", "spedition", "stiftung", "klinikum", "gruppe",
    "maison", "groupe", "cabinet", "fondation", "clinique", "laboratoires", "éditions",
    "institut", "fromagerie", "boulangerie", "imprimerie", "coopérative", "domaine",
    "château", "brasserie", "laiterie", "laiteries", "viña", "almazara", "aceites",
    "distribuidora", "constructora", "consultora", "papeterie", "menuiserie"})
_LEAD = "|".join(sorted(LEADING, key=len, reverse=True))


def with_leading_word(company: str, haystack: str) -> str:
    """`company` with the sector word the mail writes right before it, capitalised, the
    same word every time it writes one ("Conservas Arealonga, S.L."); `company` itself when
    the mail never does, or writes two different ones (then neither is part of the name)."""
    if not company or company.split()[0].lower() in LEADING:
        return company
    leads = {m.group(1) for m in re.finditer(
        rf"(?<![\w&])(?i:({_LEAD}))[ \t]+{re.escape(company)}(?![\w&])", haystack)
        if m.group(1)[:1].isupper()}
    return f"{leads.pop()} {company}" if len(leads) == 1 else company


_OF = re.compile(r"^(?P<head>[A-ZÀ-Ý][\w'’-]*)[ ]+(?:de la|de l'|de l’|del|de los|de las|de|"
                 r"der|des|du|of the|of)[ ]+(?P<rest>[A-ZÀ-Ý].*)$")


def after_a_title(company: str, rules: Rules) -> str:
    """The organisation a name read too long names after a word that is not an
    organisation's ("Président de la Laiterie de Kerlan" → "Laiterie de Kerlan", "Datos de
    Viña Norte SpA" → "Viña Norte SpA"): only when that word is none of an organisation's
    and what follows reads as one (an organisation word, or a sector word leading it; a
    legal form is not enough: "Frutas del Segura S.A." is one name). "Banco de X",
    "Universität der X", "Friends of the Earth" stay whole."""
    found = _OF.match(company)
    if not found or found.group("head").lower() in LEADING or \
            is_organisation(found.group("head"), rules):
        return company
    rest = found.group("rest")
    if rest.split()[0].lower() in LEADING or \
            is_organisation(LEGAL_ANYWHERE.split(rest)[0], rules):
        return rest
    return company


_WEBSITE = re.compile(r"(?<![\w@./-])(?:https?://)?(?:www\.)?(?P<label>[a-z0-9][a-z0-9-]{1,40})"
                      r"\.(?:[a-z]{2,12})(?:\.[a-z]{2,3})?(?![\w@-])(?:/\S*)?", re.IGNORECASE)
_PIECES = re.compile(r",| at | bei | chez | en | de | \| | - | – | · ")
# The titles of one who hires for their own firm, in the four languages.
_OWNER = re.compile(r"(?i:(?:co-?)?founder|co-?fondat(?:eur|rice)|fondat(?:eur|rice)|"
                    r"(?:co-?)?fundador[a]?|mitgründer(?:in)?|gründer(?:in)?|ceo|cto|coo|owner|"
                    r"inhaber(?:in)?|geschäftsführer(?:in)?|gérant[e]?|managing director|"
                    r"hiring manager|engineering manager)")
# Sites a signature links that are no one's employer.
_NOT_EMPLOYER_SITES = frozenset({"linkedin", "xing", "github", "calendly", "zoom", "google",
                                 "microsoft", "twitter", "instagram", "facebook", "youtube",
                                 "medium", "substack", "bit", "wa", "t"})


def signed_with_website(view: MailView, haystack: str, rules: Rules, clean: Clean) -> str:
    """The organisation a free-mail sender's signature names where the same signature gives
    its web address: a piece of one of the last lines ("Co-founder, Fennick (YC W26)")
    that is the address's name ("fennick.example"), squashed; or the firm after the title of
one who hires for their own ("Co-founder, Fennick", "Inhaberin, Tischlerei Holm") on the
line under the sender's name. "" when none is."""
    tail = [line.strip() for line in haystack.strip().split("\n")[-8:]]
    labels = set()
    for line in tail:
        for found in _WEBSITE.finditer(line):
            label = found.group("label").lower()
            if label not in _NOT_EMPLOYER_SITES and label not in rules.ats_names and \
                    not rules.is_freemail(found.group(0).split("/")[-1] if "//" in
                                          found.group(0) else found.group(0)):
                labels.add(label.replace("-", ""))
    name = view.from_name.strip().lower()
    for above, line in pairwise(tail):
        # "Olly Banerjee" over "Co-founder, Fennick": the title of one who hires for
        # their own firm, then the firm (a recruiter's title names an agency, not this)
        title, comma, firm = re.sub(r"\s*\([^()]*\)", "", line).partition(", ")
        if comma and above.lower() == name and _OWNER.fullmatch(title.strip()):
            candidate = clean(firm.strip(), rules) if firm.strip()[:1].isupper() else ""
            if candidate:
                return candidate
    if not labels:
        return ""
    for line in tail:
        for piece in _PIECES.split(re.sub(r"\s*\([^()]*\)", "", line)):
            candidate = clean(piece.strip(), rules) if piece.strip()[:1].isupper() else ""
            if candidate and _squash(LEGAL_ANYWHERE.split(candidate)[0]) in labels:
                return candidate
    return ""


def _squash(text: str) -> str:
    return re.sub(r"[^\w]+", "", text.lower())


_PROGRAMME = frozenset({"program", "programme", "programm", "internship", "praktikum",
                        "stage", "prácticas", "apprenticeship", "ausbildung", "alternance"})


def fuller_name(company: str, haystack: str, rules: Rules) -> str:
    """A short name ("Veridian", "Vinéa", "Summit Ridge") completed where the mail writes
    it whole as a name ending in an organisation word ("Veridian Robotics", "Vinéa
    Logiciels", "Summit Ridge Credit Union"; one to three more capitalised words, the run
    ending there, none a role's or a desk's word); `company` itself when the mail does not,
    or when it has its legal form. A job before " at " is no part of a name ("Analyst
    Program at Northwind Mutual" → "Northwind Mutual")."""
    if LEGAL_ANYWHERE.search(company):
        return company
    role, at, employer = company.rpartition(" at ")
    if at and {w.lower() for w in role.split()} & (JOB_TITLE_WORDS | ROLE_WORDS | _PROGRAMME):
        # "the Actuarial Analyst Development Program at Northwind Mutual": a job at a name
        company = employer
    for found in re.finditer(rf"(?<![\w&]){re.escape(company)}((?:[ \t]+[A-ZÀ-Ý][\w'’-]*)"
                             r"{1,3})(?![\w&'’-]|[ \t]+[A-ZÀ-Ý&])", haystack):
        words = [w.lower() for w in found.group(1).split()]
        if words[-1] in rules.organisation and not any(
                w in rules.name_noise or w in ROLE_WORDS or w in JOB_TITLE_WORDS
                for w in words):
            return company + found.group(1)
    return completed_in_subject(company, haystack.partition("\n")[0]) or company


def spelt_in_text(company: str, haystack: str, rules: Rules, clean: Clean) -> str:
    """A run of capitalised words in the text that is `company` squashed (spacing, case,
    punctuation), optionally followed by a legal form: the mail's own spelling."""
    labels = domain_forms(company)
    for found in NAME_RUN.finditer(haystack):
        words = found.group(0).split()
        for end in range(len(words), 0, -1):
            squashed = squash(" ".join(words[:end]))
            if squashed in labels:
                return clean(" ".join(words[:end]), rules)
    return ""


def fuller_from_domain(company: str, domain: str, haystack: str, rules: Rules,
                       clean: Clean) -> str:
    """The sender's domain's name when `company` is its first words ("Sternwerk" of
    sternwerk-automation.example: "Sternwerk Automation"), spelt as the mail spells it;
    "" when the domain says nothing more (acme-careers.com, acme.com)."""
    labels = domain.split(".")
    if len(labels) < 2:
        return ""
    label = labels[-3] if labels[-2] in ("co", "com", "ac", "gov", "org") and \
        len(labels) >= 3 else labels[-2]
    parts = [p for p in label.split("-") if p]
    squashed = squash(company)
    if len(parts) < 2 or not squashed:
        return ""
    for end in range(1, len(parts)):
        if "".join(parts[:end]) == squashed:
            extra = " ".join(parts[end:])
            if extra in rules.name_noise or any(p in ("mail", "email", "jobs", "careers",
                                                       "career", "hr", "apply", "team", "de",
                                                       "en", "fr", "es", "online", "web")
                                                for p in parts[end:]):
                return ""
            fuller = company_from_domain(domain, rules, clean)
            return spelt_in_text(fuller, haystack, rules, clean) or fuller
    return ""


# After a name: ", Inc.", " GmbH & Co. KG", " S.A." (a dot that is part of the form kept).
LEGAL_AFTER = re.compile(rf"(?:,\s*|\s+)(?:{LEGAL})(?![\w&])")
# What an extraction pattern that stops at the first "." leaves of a dotted form: "Acme
# GmbH & Co", "Arena Digital S", "Quillon Software, Inc".
LEGAL_END = re.compile(rf"(?:,\s*|\s+)(?:{LEGAL})$")
LEGAL_CUT = re.compile(r"(?:\s*&\s*Co|,?\s+(?:Pvt|Pte|Sdn|S\.A\. de C|S|B|N|S\.A|S\.L|S\.A\.S|"
                       r"S\.p|S\.r|e|S\.à\s?r))$")


def with_legal_form(company: str, haystack: str, rules: Rules, clean: Clean,
                    domain: str = "") -> str:
    """`company` with its legal form complete, as the mail writes it right after the name
    ("Acme Robotics GmbH & Co. KG", "Quillon Software, Inc.", "Arena Digital S.A."): an
    extraction that stopped at a dot or a comma left it cut or out. A name the mail does
    not follow with a legal form is kept as it is (a cut fragment removed)."""
    cut = LEGAL_CUT.search(company) is not None
    base = company
    for _ in range(2):
        base = LEGAL_END.sub("", LEGAL_CUT.sub("", base)).rstrip(" ,&")
    if len(base) < 2:
        return company
    at = haystack.find(base)
    while at >= 0:
        after = LEGAL_AFTER.match(haystack, at + len(base))
        if after:
            full = clean(base + after.group(0), rules)
            if full:
                return full
        at = haystack.find(base, at + 1)
    # The name with one or two more capitalised words and a legal form where the mail
    # writes it whole ("Quillon" from "Jobs at Quillon", signed "Quillon Software, Inc."; a
    # desk's word the sender's domain spells too: "Primus Personal GmbH" at primus-personal).
    longer = re.search(rf"(?<![\w&]){re.escape(base)}((?:[ \t]+(?:&[ \t]+)?[A-ZÀ-Ý][\w'’-]*)"
                       rf"{{1,2}})(?={LEGAL_AFTER.pattern})", haystack)
    if longer and not any(w.lower() in ROLE_WORDS or (w.lower() in rules.name_noise and squash(
            w) not in squash(domain)) for w in longer.group(1).split()):
        after = LEGAL_AFTER.match(haystack, longer.end())
        full = clean(longer.group(0) + (after.group(0) if after else ""), rules)
        if full:
            return full
    # "Sprout & Co. Grocers": "& Co." inside the name, not its legal form
    whole = re.search(rf"(?<![\w&]){re.escape(base)}\s*&\s*Co\.(?:[ \t]+[A-ZÀ-Ý][\w'’-]*)"
                      r"{1,2}", haystack)
    if whole:
        return clean(whole.group(0), rules) or company
    if cut:
        return clean(base, rules) or company
    return fuller_name(company, haystack, rules)


# The words of a free-mail address that name its holder's desk or trade, not a firm.
_ADDRESS_DESK = frozenset({
    "rh", "hr", "rrhh", "talent", "talento", "seleccion", "selection", "recruiting",
    "recruitment", "recrutement", "reclutamiento", "staffing", "personal", "jobs", "job",
    "empleo", "emploi", "career", "careers", "karriere", "info", "contact", "contacto",
    "kontakt", "mail", "email", "office", "bewerbung", "candidatures", "hiring", "work",
    "personalberatung", "headhunter", "headhunting", "recruiter", "consulting", "consultant",
    "conseil", "interim", "search"})
_DESK_STEM = re.compile(r"recruit|berat|consult|personal|talent|staff|selec|search|headhunt|"
                        r"career|karriere|empleo|emploi|rrhh|interim|bewerb|candidat|hiring")
# A legal form's letters as an address writes them after the name ("reformasortega.sl").
_ADDRESS_LEGAL = ("sl", "sa", "slu", "gmbh", "ltd", "sarl", "sas", "ug", "ag", "kg", "inc",
                  "llc", "bv", "srl", "eurl")


# Capitalised words and the small words names join them with ("Cervecería del Puerto").
_JOINED_RUN = re.compile(r"(?<![\w&])[A-ZÀ-Ý][\w&'’.-]*(?:[ \t]+(?:(?:&|de|del|des|du|la|y|"
                         r"of|und|von|et)[ \t]+)?[A-ZÀ-Ý][\w&'’.-]*){0,4}")


def named_by_address(view: MailView, haystack: str, rules: Rules, clean: Clean) -> str:
    """The firm a free-mail address names beside its holder's name: "talleres.iruna@…"
    (signed "Talleres Iruña"), "nadia.quillmate@…", "elektro.wiegand@…": the address's
    words less the sender's names (whole, run together, after an initial or cut short:
    "bkaminski", "luciaruiz", "cath" of Catherine), a desk's words and numbers; spelt as a
    run of capitalised words of the text when one squashes to them ("Elektro Wiegand
    GmbH"), else the words themselves, capitalised. Only under a person's full name, so
    the address's names are known. "" when nothing of a firm is left."""
    names = [squash(w) for w in re.split(r"[\s,.'’-]+", view.from_name) if squash(w)]
    if not rules.is_freemail(view.domain) or "@" in view.from_name or len(names) < 2:
        return ""  # "Mum <mum.rivera@…>": whose names the address holds is not known
    whole = {"".join(names[i:j]) for i in range(len(names)) for j in range(i + 1,
                                                                           len(names) + 1)}
    kept: list[str] = []
    for piece in re.split(r"[._+-]+", view.from_addr.partition("@")[0].lower()):
        piece = re.sub(r"\d+$", "", piece)
        if len(piece) < 3 or piece in _ADDRESS_DESK or _DESK_STEM.search(piece):
            continue
        if not kept and any(piece in whole or piece[1:] in whole or name.startswith(piece)
                            for name in names):
            continue  # a name, an initial and a name: the person, not a firm (a name after
        kept.append(piece)  # a firm's word is the firm's: "elektro.wiegand")
    if kept and kept[-1] in _ADDRESS_LEGAL:
        kept = kept[:-1]
    if len(kept) == 1 and kept[0] in rules.organisation:
        return ""  # "k.maier.beratung@…": a trade's word alone names no firm
    wanted = domain_forms("".join(kept))
    if not kept or min(len(w) for w in wanted) < 4:
        return ""
    for found in _JOINED_RUN.finditer(haystack):
        words = found.group(0).split()
        for start in range(len(words)):
            for end in range(len(words), start, -1):
                if squash(" ".join(words[start:end])) in wanted and words[start][:1].isupper():
                    return clean(" ".join(words[start:end]), rules)
    return company_from_domain("-".join(kept) + ".invalid", rules, clean)
