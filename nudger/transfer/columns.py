"""CSV columns: the fields a column can fill, the header names recognised for each, and
matching one file's header row to them (`--column` maps any other name)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from nudger.errors import DataError, UsageError
from nudger.transfer.options import ImportOptions
from nudger.transfer.report import ImportReport
from nudger.vocab import STAGES

# The fields a CSV column can fill, and the header names recognised for each, most specific
# first: when two columns of one file match the same field, the one whose name comes first
# here is used and the other is listed as ignored (JobSync has both `applied` = true/false
# and `appliedDate`). A few German, French and Spanish words are included because
# spreadsheets are often kept in the user's language; `--column` covers every other name.
VARIANTS: dict[str, tuple[str, ...]] = {
    "company": ("company", "company name", "employer", "organization", "organisation",
                "firma", "unternehmen", "arbeitgeber", "entreprise", "société", "empresa"),
    "role": ("role", "job title", "title", "position", "job role", "stelle", "stellenbezeichnung",
             "jobtitel", "poste", "intitulé du poste", "puesto", "cargo"),
    "stage": ("stage", "status", "list", "state", "statut", "étape", "estado"),
    "applied": ("date applied", "applied date", "application date", "applied on", "applied",
                "beworben am", "bewerbungsdatum", "date de candidature", "fecha de solicitud",
                # Lowest: the day a board entry was saved (Huntr's "Date Saved"); for an
                # applied entry it is the best date there is, for a wishlist entry it is
                # when it joined the wishlist.
                "date saved", "saved date", "date added"),
    "url": ("url", "job url", "link", "job link", "posting", "posting url", "job posting",
            "lien", "enlace"),
    "location": ("location", "city", "ort", "standort", "lieu", "ville", "ubicación"),
    "address": ("address", "street address", "adresse", "dirección"),
    "source": ("source", "job source", "found on", "found via", "quelle", "fuente"),
    "deadline": ("deadline", "application deadline", "closing date", "bewerbungsfrist",
                 "frist", "date limite"),
    "contact": ("contact", "contact name", "hiring manager", "recruiter", "ansprechpartner",
                "kontakt", "contacto"),
    "email": ("email", "contact email", "email address", "mail", "correo"),
    "phone": ("phone", "contact phone", "phone number", "telephone", "telefon", "téléphone",
              "teléfono"),
    "notes": ("notes", "note", "comments", "comment", "notizen", "bemerkungen", "anmerkungen",
              "remarques", "notas"),
}
FIELDS = tuple(VARIANTS)
IGNORE_WORDS = ("ignore", "-", "skip")


def normalize_header(text: str) -> str:
    return re.sub(r"[\s_\-.]+", "", text.replace("\ufeff", "")).casefold()


# normalized header → (field, rank among that field's names)
LOOKUP: dict[str, tuple[str, int]] = {}
for _field, _names in VARIANTS.items():
    for _rank, _name in enumerate(_names):
        LOOKUP.setdefault(normalize_header(_name), (_field, _rank))


def check_options(options: ImportOptions) -> None:
    for header, target in options.columns.items():
        if target.lower() not in FIELDS and target.lower() not in IGNORE_WORDS:
            raise UsageError(f"--column {header}={target}: {target!r} is not a field; valid: "
                             f"{', '.join(FIELDS)}, or 'ignore'")
    for word, stage in options.stage_map.items():
        if stage.lower() not in STAGES:
            raise UsageError(f"--stage-map {word}={stage}: {stage!r} is not a stage; valid: "
                             f"{', '.join(STAGES)}")


@dataclass
class Layout:
    index: dict[str, int]  # field → column index
    headers: list[str]


def map_columns(headers: list[str], options: ImportOptions, path: Path, line: int,
                report: ImportReport) -> Layout:
    explicit: dict[str, str] = {normalize_header(h): t.lower()
                                for h, t in options.columns.items()}
    present = {normalize_header(h) for h in headers}
    for header in options.columns:
        if normalize_header(header) not in present:
            found = ", ".join(repr(h) for h in headers if h) or "none"
            raise UsageError(f"--column {header}=...: {path} has no column {header!r}; "
                             f"its columns: {found}")
    chosen: dict[str, tuple[int, int]] = {}  # field → (rank, index); explicit rank -1
    reasons: dict[int, str] = {}
    for index, header in enumerate(headers):
        norm = normalize_header(header)
        if not norm:
            reasons[index] = f"column {index + 1} (no name)"
            continue
        if norm in explicit:
            target = explicit[norm]
            if target in IGNORE_WORDS:
                reasons[index] = f"{header} (--column)"
                continue
            candidate = (target, -1)
        elif norm in LOOKUP:
            candidate = LOOKUP[norm]
        else:
            reasons[index] = header
            continue
        name, rank = candidate
        if name in chosen and chosen[name][0] <= rank:
            reasons[index] = f"{header} ({headers[chosen[name][1]]} is used for {name})"
            continue
        if name in chosen:
            old = chosen[name][1]
            reasons[old] = f"{headers[old]} ({header} is used for {name})"
        chosen[name] = (rank, index)
    missing = [name for name in ("company", "role") if name not in chosen]
    if missing:
        found = ", ".join(repr(h) for h in headers if h.strip()) or "none"
        raise DataError(
            f"{path}:{line}: no {' or '.join(missing)} column; the columns found: {found}. "
            "Name them (Company, Role, Status, Date Applied, ...) or map them, e.g. "
            "--column 'Firma=company' --column 'Stelle=role'; is line "
            f"{line} the header row?"
        )
    report.used = {name: headers[index] for name, (_, index) in
                   sorted(chosen.items(), key=lambda kv: kv[1][1])}
    report.ignored = [reasons[i] for i in sorted(reasons)]
    return Layout({name: index for name, (_, index) in chosen.items()}, headers)
