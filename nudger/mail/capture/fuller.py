"""A company's name found short, completed where the mail writes it whole, for
`extract.company_and_role`: the sector word that leads a name in many firms' own spelling
("Arealonga, S.L." of a mail signed "Conservas Arealonga, S.L.", "Ebro Norte" of
"Cooperativa Ebro Norte", "Autohaus Lindner", "Bodegas Ribera"). A name found from the
sender's domain or a subject loses that word; the text keeps it. Pure.
"""

from __future__ import annotations

import re

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
    "château", "brasserie"})
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
