"""A company's name found short, completed where the mail writes it whole, for
`extract.company_and_role`: the sector word that leads a name in many firms' own spelling
("Arealonga, S.L." of a mail signed "Conservas Arealonga, S.L.", "Ebro Norte" of
"Cooperativa Ebro Norte", "Autohaus Lindner", "Bodegas Ribera"). A name found from the
sender's domain or a subject loses that word; the text keeps it. And a name read with the
word of a person's title, a desk or a page before it ("Président de la Laiterie X",
"Noticias de Conservas X", "Datos de Viña X SpA") is the organisation after it. A person
writing from free mail who signs with their organisation's web address ("Co-founder,
Fennick (YC W26)" over "fennick.example"): the organisation the signature names as that
address does. Pure.
"""

from __future__ import annotations

import re
from itertools import pairwise

from nudger.mail.capture.contact import LEGAL_ANYWHERE, is_organisation
from nudger.mail.capture.rules import Rules
from nudger.mail.capture.subjects import Clean
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
