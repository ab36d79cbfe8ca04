"""A company's name found short, completed where the mail writes it whole, for
`extract.company_and_role`: the sector word that leads a name in many firms' own spelling
("Arealonga, S.L." of a mail signed "Conservas Arealonga, S.L.", "Ebro Norte" of
"Cooperativa Ebro Norte", "Autohaus Lindner", "Bodegas Ribera"). A name found from the
sender's domain or a subject loses that word; the text keeps it. And a name read with the
word of a person's title, a desk or a page before it ("Président de la Laiterie X",
"Noticias de Conservas X", "Datos de Viña X SpA") is the organisation after it. Pure.
"""

from __future__ import annotations

import re

from nudger.mail.capture.contact import LEGAL_ANYWHERE, is_organisation
from nudger.mail.capture.rules import Rules

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
