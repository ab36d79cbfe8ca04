"""Bring a job hunt in: CSV from spreadsheets and other trackers, and nudger's own JSON.

CSV is read as a stream (constant memory whatever the file's size) in one transaction:
- decoding on purpose: UTF-8 with or without BOM, UTF-16 with BOM, else cp1252 as the
  declared fallback (said in the report); a file that is none of these is refused with the
  line of the first bad byte;
- the delimiter is sniffed among `,` `;` and tab from the header line;
- columns are matched by name variants (case-, space-, `_`- and `-`-insensitive), `--column`
  maps any other header; unknown columns are listed and ignored;
- every problem names the file, the physical line (quoted cells may span lines) and the
  column, and says what would be valid;
- all or nothing: a bad row aborts the import unless `skip_bad`, and the caller's
  transaction rolls back; re-importing adds nothing (match on job URL, else company + role
  + applied date).

Nothing here reads the clock: `today` and `now` are passed in.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Table, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from nudger import tracker
from nudger.config import ACTIONS, CLOSED_STAGES, STAGES
from nudger.dates import DATE_RANGE, in_range
from nudger.errors import DataError, UsageError
from nudger.models import CONTACT_KINDS, Application, Contact, Snooze, StageChange, Touch

# --- columns -----------------------------------------------------------------------------

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


_LOOKUP: dict[str, tuple[str, int]] = {}
for _field, _names in VARIANTS.items():
    for _rank, _name in enumerate(_names):
        _LOOKUP.setdefault(normalize_header(_name), (_field, _rank))

# --- stages ------------------------------------------------------------------------------

STAGE_WORDS: dict[str, str] = {}
for _stage, _words in {
    "wishlist": ("wishlist", "wish list", "saved", "bookmarked", "bookmark", "draft",
                 "interested", "to apply", "not applied", "merkliste", "gespeichert"),
    "applied": ("applied", "application sent", "submitted", "sent", "beworben",
                "bewerbung verschickt", "postulé", "candidature envoyée", "aplicado"),
    "interviewing": ("interviewing", "interview", "interviews", "phone screen", "screening",
                     "phone interview", "onsite", "on-site", "interview scheduled",
                     "vorstellungsgespräch", "gespräch", "entretien", "entrevista"),
    "offer": ("offer", "offer received", "offered", "angebot", "zusage", "offre", "oferta"),
    "accepted": ("accepted", "hired", "offer accepted", "angenommen", "accepté"),
    "rejected": ("rejected", "declined", "rejection", "not selected", "turned down",
                 "absage", "abgelehnt", "refusé", "rechazado"),
    "withdrawn": ("withdrawn", "withdrew", "zurückgezogen", "retiré"),
    "ghosted": ("ghosted", "no response", "no reply", "no answer", "keine antwort",
                "sans réponse"),
}.items():
    for _word in _words:
        STAGE_WORDS[" ".join(_word.casefold().split())] = _stage
STAGE_RANK = {"wishlist": 0, "applied": 1, "interviewing": 2, "offer": 3,
              **{s: 4 for s in CLOSED_STAGES}}


def normalize_word(text: str) -> str:
    return " ".join(text.casefold().replace("_", " ").split())


# --- dates -------------------------------------------------------------------------------

_MONTHS: dict[str, int] = {}
for _i, _names_m in enumerate((
    ("jan", "january", "januar", "janvier", "jän"), ("feb", "february", "februar", "février"),
    ("mar", "march", "märz", "mars", "mär"), ("apr", "april", "avril"),
    ("may", "mai"), ("jun", "june", "juni", "juin"), ("jul", "july", "juli", "juillet"),
    ("aug", "august", "août"), ("sep", "sept", "september", "septembre"),
    ("oct", "october", "oktober", "octobre", "okt"), ("nov", "november", "novembre"),
    ("dec", "december", "dezember", "décembre", "dez"),
), start=1):
    for _m in _names_m:
        _MONTHS[_m] = _i
_WEEKDAYS = {"mon", "monday", "tue", "tues", "tuesday", "wed", "wednesday", "thu", "thur",
             "thurs", "thursday", "fri", "friday", "sat", "saturday", "sun", "sunday"}
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
                  r"(?:Z|[+-]\d{2}:?\d{2})?)?$")
_YMD = re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})$")
_NUMERIC = re.compile(r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})$")
_SERIAL = re.compile(r"^\d{5}(?:\.\d+)?$")
_EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 is 1900-01-01 given Lotus's 1900 leap day
_ORDERS = {"dmy": "day/month/year", "mdy": "month/day/year", "ymd": "year/month/day"}
DATE_FORMS = ("2026-11-20, 2026/11/20, 20 Nov 2026, Nov 20, 2026, or a spreadsheet date "
              "number")


class DateReader:
    """Reads the dates of one file. `fmt` is a strptime format (`%d.%m.%Y`) or one of
    `dmy`, `mdy`, `ymd` (any of / . - between the numbers); day/month orders are read only
    when it says which, never guessed, even where a value like 11/15 could only be one."""

    def __init__(self, fmt: str | None) -> None:
        self.fmt = fmt.strip() if fmt else None
        self.order: str | None = None
        if self.fmt is None:
            return
        lowered = self.fmt.lower().replace("/", "").replace(".", "").replace("-", "")
        if lowered in _ORDERS:
            self.order = lowered
        elif lowered in ("ddmmyyyy", "ddmmyy"):
            self.order = "dmy"
        elif lowered in ("mmddyyyy", "mmddyy"):
            self.order = "mdy"
        elif "%" not in self.fmt or not (
            "%d" in self.fmt and ("%m" in self.fmt or "%b" in self.fmt or "%B" in self.fmt)
            and ("%Y" in self.fmt or "%y" in self.fmt)
        ):
            raise UsageError(
                f"--date-format {self.fmt!r}: write a strptime format with day, month and "
                "year, like %d.%m.%Y or %m/%d/%Y, or one of dmy, mdy, ymd"
            )

    def describe(self) -> str:
        return self.order or self.fmt or ""

    def __call__(self, text: str) -> date | None:
        """The date in `text` (None when empty); ValueError says what would be valid."""
        value = text.strip()
        if not value:
            return None
        match = _ISO.match(value)
        if match:
            return self._make(value, int(match[1]), int(match[2]), int(match[3]))
        match = _YMD.match(value)
        if match:
            return self._make(value, int(match[1]), int(match[2]), int(match[3]))
        numeric = _NUMERIC.match(value)
        if self.fmt is not None:
            if self.order is not None:
                if numeric:
                    a, b, c = int(numeric[1]), int(numeric[3]), numeric[4]
                    year = int(c) if len(c) == 4 else 2000 + int(c)
                    if self.order == "dmy":
                        return self._make(value, year, b, a)
                    if self.order == "mdy":
                        return self._make(value, year, a, b)
            else:
                try:
                    return self._check_year(value, datetime.strptime(value, self.fmt).date())
                except ValueError:
                    if numeric or re.fullmatch(r"[\d\s./\-]+", value):
                        raise ValueError(
                            f"{value!r} does not match --date-format {self.fmt} or is not a "
                            f"real date; write it like {date(2026, 11, 3).strftime(self.fmt)}"
                        ) from None
        if numeric:
            a, b = int(numeric[1]), int(numeric[3])
            sep = numeric[2]
            if a > 12 and b <= 12:
                hint = f"it reads as day{sep}month (no month {a}): pass --date-format dmy"
            elif b > 12 and a <= 12:
                hint = f"it reads as month{sep}day (no month {b}): pass --date-format mdy"
            else:
                hint = (f"could be {a} {_month_name(b)} or {_month_name(a)} {b}: pass "
                        f"--date-format dmy (%d{sep}%m{sep}%Y) or mdy (%m{sep}%d{sep}%Y)")
            raise ValueError(
                f"{value!r} is in day/month order and nudger never guesses which; {hint}"
            )
        if _SERIAL.match(value):
            serial = float(value)
            if not 20_000 <= serial <= 80_000:
                raise ValueError(f"{value!r} is a number but not a spreadsheet date between "
                                 f"1954 and 2119; write a date like {DATE_FORMS}")
            return _EXCEL_EPOCH + timedelta(days=int(serial))
        named = self._named(value)
        if named is not None:
            return named
        raise ValueError(f"{value!r} is not a date nudger can read; write {DATE_FORMS}, or "
                         "pass --date-format (e.g. %d.%m.%Y) for day/month orders")

    def _named(self, value: str) -> date | None:
        """Dates with a month name: `Nov 4, 2026`, `4 November 2026`, `04-Nov-26`."""
        tokens = [t for t in re.split(r"[\s,./\-]+", value.casefold()) if t]
        tokens = [t for t in tokens if t not in _WEEKDAYS]
        month_at = [i for i, t in enumerate(tokens) if t.rstrip(".") in _MONTHS]
        if len(tokens) != 3 or len(month_at) != 1:
            return None
        month = _MONTHS[tokens[month_at[0]].rstrip(".")]
        numbers = [re.sub(r"(st|nd|rd|th|er)$", "", t) for i, t in enumerate(tokens)
                   if i != month_at[0]]
        if not all(n.isdigit() for n in numbers):
            return None
        if len(numbers[0]) == 4:  # 2026 Nov 4
            year_text, day_text = numbers
        else:
            day_text, year_text = numbers
        if len(year_text) not in (2, 4) or len(day_text) > 2:
            return None
        year = int(year_text) if len(year_text) == 4 else 2000 + int(year_text)
        return self._make(value, year, month, int(day_text))

    def _make(self, text: str, year: int, month: int, day: int) -> date:
        try:
            value = date(year, month, day)
        except ValueError:
            if not 1 <= month <= 12:
                raise ValueError(f"{text!r} is not a real date (there is no month {month})"
                                 ) from None
            if not 1 <= year <= 9998:
                raise ValueError(f"{text!r}: the year {year} is out of range; write a date "
                                 f"like {DATE_FORMS}") from None
            last = (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)).day
            raise ValueError(f"{text!r} is not a real date ({_month_name(month)} {year} "
                             f"has {last} days)") from None
        return self._check_year(text, value)

    @staticmethod
    def _check_year(text: str, value: date) -> date:
        if not in_range(value):
            raise ValueError(f"{text!r}: the year {value.year} is out of range; nudger "
                             f"accepts dates from {DATE_RANGE}")
        return value


def _month_name(month: int) -> str:
    return date(2000, month, 1).strftime("%B") if 1 <= month <= 12 else f"month {month}"


# --- decoding ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Encoding:
    codec: str  # what Python opens the file with
    label: str  # what the report says


_CHUNK = 1 << 20


def detect_encoding(path: Path) -> Encoding:
    """UTF-8 (BOM or not), UTF-16 with BOM, else cp1252 — checked over the whole file in
    chunks, so a bad byte is reported with its line before anything is imported."""
    try:
        with path.open("rb") as f:
            head = f.read(256)
    except OSError as exc:
        raise DataError(f"{path}: cannot read: {exc.strerror}") from None
    if head.startswith(codecs.BOM_UTF8):
        candidates = [Encoding("utf-8-sig", "UTF-8 (with BOM)")]
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = [Encoding("utf-16", "UTF-16 (with BOM)")]
    elif _utf16_without_bom(head):
        codec = _utf16_without_bom(head)
        candidates = [Encoding(codec, f"UTF-16 {codec[-2:].upper()} (no BOM)")]
    else:
        candidates = [Encoding("utf-8", "UTF-8"),
                      Encoding("cp1252", "Windows-1252 (cp1252), the fallback for a file "
                               "that is not UTF-8")]
    problem = ""
    for candidate in candidates:
        problem = _decodes(path, candidate.codec)
        if not problem:
            return candidate
    raise DataError(f"{path}:{problem}; save the file as UTF-8 (in a spreadsheet: "
                    "Save As > CSV UTF-8) and import it again")


def _utf16_without_bom(head: bytes) -> str:
    """'utf-16-le' or 'utf-16-be' when text of mostly ASCII letters has a NUL in every
    other byte (a header row saved as UTF-16 without a BOM), else ''."""
    even, odd = head[0:len(head) - len(head) % 2:2], head[1:len(head) - len(head) % 2:2]
    if len(even) < 4:
        return ""
    if odd.count(0) == len(odd) and even.count(0) == 0:
        return "utf-16-le"
    if even.count(0) == len(even) and odd.count(0) == 0:
        return "utf-16-be"
    return ""


def _decodes(path: Path, codec: str) -> str:
    """'' when the whole file decodes, else 'LINE: what is wrong'."""
    decoder = codecs.getincrementaldecoder(codec)("strict")
    offset = 0
    lines = 1
    with path.open("rb") as f:
        while True:
            chunk = f.read(_CHUNK)
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                position = max(0, exc.start)
                lines_before = lines + chunk[:position].count(b"\n")
                bad = chunk[position:position + 1].hex() if position < len(chunk) else "end"
                name = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "utf-16": "UTF-16",
                        "utf-16-le": "UTF-16", "utf-16-be": "UTF-16"}.get(codec, codec)
                return (f"{lines_before}: byte 0x{bad} at offset {offset + position} is not "
                        f"valid {name}")
            if not chunk:
                return ""
            lines += chunk.count(b"\n")
            offset += len(chunk)


def sniff_delimiter(first_line: str) -> str:
    """The most frequent of , ; tab outside quotes in the header line (`,` on a tie)."""
    counts = {",": 0, ";": 0, "\t": 0}
    quoted = False
    for ch in first_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts.values())
    if best == 0 or counts[","] == best:
        return ","
    return ";" if counts[";"] == best else "\t"


DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}

# --- options and report ------------------------------------------------------------------


@dataclass(frozen=True)
class ImportOptions:
    dry_run: bool = False
    date_format: str | None = None
    columns: Mapping[str, str] = field(default_factory=dict)  # header → field or "ignore"
    stage_map: Mapping[str, str] = field(default_factory=dict)  # word → stage
    skip_bad: bool = False


def parse_pairs(values: Sequence[str], option: str) -> dict[str, str]:
    """`--column 'Beworben am=applied'` → {'Beworben am': 'applied'}."""
    out: dict[str, str] = {}
    for value in values:
        left, sep, right = value.partition("=")
        if not sep or not left.strip() or not right.strip():
            raise UsageError(f"{option} {value!r}: write it as FROM=TO, e.g. "
                             + ("--column 'Firma=company'" if option == "--column"
                                else "--stage-map 'Entretien=interviewing'"))
        out[left.strip()] = right.strip()
    return out


def check_options(options: ImportOptions) -> None:
    for header, target in options.columns.items():
        if target.lower() not in FIELDS and target.lower() not in IGNORE_WORDS:
            raise UsageError(f"--column {header}={target}: {target!r} is not a field; valid: "
                             f"{', '.join(FIELDS)}, or 'ignore'")
    for word, stage in options.stage_map.items():
        if stage.lower() not in STAGES:
            raise UsageError(f"--stage-map {word}={stage}: {stage!r} is not a stage; valid: "
                             f"{', '.join(STAGES)}")


SAMPLE = 50  # how many rows of each kind a report lists


@dataclass
class Listed:
    """A count and the first SAMPLE items: reports stay small for a 100,000-row file."""

    count: int = 0
    items: list[str] = field(default_factory=list)

    def add(self, text: str) -> None:
        self.count += 1
        if len(self.items) < SAMPLE:
            self.items.append(text)

    @property
    def full(self) -> bool:
        """True once SAMPLE items are listed: callers then skip formatting more."""
        return len(self.items) >= SAMPLE


@dataclass
class ImportReport:
    path: Path
    kind: str  # "csv" or "json"
    dry_run: bool
    encoding: str = ""
    delimiter: str = ""
    used: dict[str, str] = field(default_factory=dict)  # field → header
    ignored: list[str] = field(default_factory=list)  # header, with the reason where useful
    added: Listed = field(default_factory=Listed)
    updated: Listed = field(default_factory=Listed)
    skipped: Listed = field(default_factory=Listed)
    bad: Listed = field(default_factory=Listed)
    contacts: int = 0
    touches: int = 0
    rows: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "file": str(self.path), "kind": self.kind, "dry_run": self.dry_run,
            "encoding": self.encoding, "delimiter": self.delimiter, "columns": self.used,
            "ignored_columns": self.ignored, "rows": self.rows,
            "added": self.added.count, "updated": self.updated.count,
            "skipped": self.skipped.count, "bad": self.bad.count,
            "contacts": self.contacts, "touches": self.touches,
            "problems": self.bad.items,
        }


@dataclass(frozen=True)
class Problem:
    line: int
    column: str | None
    message: str

    def format(self, path: Path) -> str:
        where = f" (column {self.column!r})" if self.column is not None else ""
        return f"{path}:{self.line}{where}: {self.message}"


def _fail(report: ImportReport, problems: Listed) -> DataError:
    more = problems.count - len(problems.items)
    lines = "\n  ".join(problems.items)
    tail = f"\n  ... and {more} more" if more > 0 else ""
    return DataError(
        f"{report.path}: {problems.count} bad row(s); nothing was imported:\n  {lines}{tail}\n"
        "Fix them, or import the good rows with --skip-bad."
    )


# --- matching existing applications -------------------------------------------------------

def _url_key(url: str) -> str:
    return url.strip().rstrip("/").casefold()


@dataclass
class Known:
    """Applications already there (and those this import adds), for matching rows."""

    by_url: dict[str, tuple[int, str, int | None]] = field(default_factory=dict)
    by_key: dict[tuple[str, str, date | None], tuple[int, str, str, int | None]] = field(
        default_factory=dict)

    @classmethod
    def load(cls, session: Session) -> Known:
        known = cls()
        # One query, read through the driver: this runs over every stored application, and
        # SQLAlchemy's per-value type processing would cost more than the import itself.
        table = table_of(Application).name
        for app_id, url, company, role, applied, stage in session.connection().exec_driver_sql(
            f"SELECT id, url, company, role, applied_on, stage FROM {table}"
        ):
            known.remember(app_id, url, company, role,
                           date.fromisoformat(applied) if applied else None, stage, None)
        return known

    def remember(self, app_id: int, url: str, company: str, role: str, applied: date | None,
                 stage: str, line: int | None) -> None:
        self.remember_keys(app_id, _url_key(url) if url else "",
                           (company.casefold(), role.casefold(), applied), stage, line)

    def remember_keys(self, app_id: int, url_key: str, key: tuple[str, str, date | None],
                      stage: str, line: int | None) -> None:
        if url_key:
            self.by_url.setdefault(url_key, (app_id, stage, line))
        self.by_key.setdefault(key, (app_id, stage, url_key, line))

    def match(self, url: str, company: str, role: str, applied: date | None
              ) -> tuple[int, str, int | None] | None:
        return self.match_keys(_url_key(url) if url else "",
                               (company.casefold(), role.casefold(), applied))

    def match_keys(self, url_key: str, key: tuple[str, str, date | None]
                   ) -> tuple[int, str, int | None] | None:
        """(id, stage, line in this file or None) of the same application, if known."""
        if url_key and url_key in self.by_url:
            return self.by_url[url_key]
        found = self.by_key.get(key)
        if found is None:
            return None
        app_id, stage, known_url, line = found
        if url_key and known_url and url_key != known_url:
            return None  # two postings of one role on one day: different applications
        return app_id, stage, line


# --- CSV ---------------------------------------------------------------------------------

MAX_CELL = 16 * 1024 * 1024  # csv's own limit (128 KiB) would hide a long cell's line
BATCH = 2000
_EMAIL = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")
_ONE_LINE = ("company", "role", "url", "location", "source", "contact", "email", "phone")
_FORMULA_LEAD = ("=", "+", "-", "@", "\t", "\r")


def table_of(model: Any) -> Table:
    """The Core table of a model, for executemany inserts without an ORM object per row."""
    table: Table = model.metadata.tables[str(model.__tablename__)]
    return table


def sqlite_datetime(moment: datetime) -> str:
    """`moment` as SQLAlchemy's SQLite DateTime stores it (UTC, no offset)."""
    moment = moment.astimezone(UTC) if moment.tzinfo else moment
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def _unescape(value: str) -> str:
    """Undo the `'` nudger's CSV export puts before a formula-like cell."""
    if len(value) > 1 and value[0] == "'" and value[1] in _FORMULA_LEAD:
        return value[1:]
    return value


def _breaks(text: str) -> int:
    return text.count("\n") + text.count("\r") - text.count("\r\n")


@dataclass
class _Layout:
    index: dict[str, int]  # field → column index
    headers: list[str]


def map_columns(headers: list[str], options: ImportOptions, path: Path, line: int,
                report: ImportReport) -> _Layout:
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
        elif norm in _LOOKUP:
            candidate = _LOOKUP[norm]
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
    return _Layout({name: index for name, (_, index) in chosen.items()}, headers)


_SEP = "\x1f"  # the unit separator: joins a row's cells for the hot path's scans


def _one_line_ok(joined: str) -> bool:
    """No line break and no leading '=' in the joined one-line cells (`in` scans are
    several times faster than a regex with an anchor alternation)."""
    return not ("\n" in joined or "\r" in joined or joined.startswith("=")
                or "\x1f=" in joined)


def _cell_by_cell(stripped: list[str], present: list[tuple[str, int, bool]]
                  ) -> tuple[dict[str, str], list[str]]:
    """The slow path: (values, fields whose cells need tracker.check_text)."""
    values = dict.fromkeys(FIELDS, "")
    suspect: list[str] = []
    for name, i, one_line in present:
        value = stripped[i]
        if not value:
            continue
        if value[0] == "'":
            value = _unescape(value)
        elif one_line and value[0] == "=":
            suspect.append(name)
        if "\x00" in value or len(value) > tracker.MAX_FIELD or (
                one_line and ("\n" in value or "\r" in value)):
            suspect.append(name)
        values[name] = value
    return values, suspect


def _records(reader: Any) -> Iterator[tuple[int, list[str]]]:
    """(physical line where the record starts, cells), skipping blank lines."""
    previous = 0
    for cells in reader:
        start = previous + 1
        previous = reader.line_num
        if any(cells) and "".join(cells).strip():
            yield start, cells


class CsvImport:
    """One CSV file into the store. `run` does it; the caller owns the transaction."""

    def __init__(self, session: Session, path: Path, options: ImportOptions, *, today: date,
                 now: datetime) -> None:
        check_options(options)
        self.session = session
        self.path = path
        self.options = options
        self.today = today
        self.now = now
        self.dates = DateReader(options.date_format)
        self.stage_words = dict(STAGE_WORDS)
        for word, stage in options.stage_map.items():
            self.stage_words[normalize_word(word)] = stage.lower()
        self.report = ImportReport(path, "csv", options.dry_run)
        self._apps: list[tuple[Any, ...]] = []
        self._changes: list[tuple[Any, ...]] = []
        self._contacts: list[tuple[Any, ...]] = []
        self._updates: list[tuple[int, str]] = []
        self._stamp = sqlite_datetime(now)

    def run(self) -> ImportReport:
        encoding = detect_encoding(self.path)
        self.report.encoding = encoding.label
        csv.field_size_limit(MAX_CELL)
        with self.path.open("r", encoding=encoding.codec, newline="") as f:
            first = f.readline()
            delimiter = sniff_delimiter(first)
            self.report.delimiter = DELIMITER_NAMES[delimiter]
            f.seek(0)
            reader = csv.reader(f, delimiter=delimiter, quotechar='"', doublequote=True,
                                strict=False)
            try:
                self._read(reader)
            except csv.Error as exc:
                raise DataError(f"{self.path}:{reader.line_num}: cannot read the CSV: {exc}; "
                                "check the quotes on that line") from None
        if self.report.bad.count and not self.options.skip_bad:
            raise _fail(self.report, self.report.bad)
        self._flush()
        for app_id, stage in self._updates:
            if not self.options.dry_run:
                tracker.change_stage(self.session, app_id, stage, self.today,
                                     note=f"imported from {self.path.name}")
        return self.report

    def _read(self, reader: Any) -> None:
        records = _records(reader)
        header = next(records, None)
        if header is None:
            raise DataError(f"{self.path}:1: the file is empty; expected a header row with "
                            "column names like Company, Role, Status, Date Applied")
        header_line, headers = header
        headers = [h.strip() for h in headers]
        layout = map_columns(headers, self.options, self.path, header_line, self.report)
        known = Known.load(self.session)
        next_id = int(self.session.execute(
            sa_select(func.coalesce(func.max(col(Application.id)), 0))).scalar_one()) + 1
        width = len(headers)
        present = [(name, layout.index[name], name in _ONE_LINE) for name in FIELDS
                   if name in layout.index]
        at = [(name, i) for name, i, _ in present]
        one_line_at = [i for _, i, one_line in present if one_line]
        empty = dict.fromkeys(FIELDS, "")
        stage_cache: dict[str, str | None] = {}
        dry_run = self.options.dry_run
        today_text = self.today.isoformat()
        for line, cells in records:
            self.report.rows += 1
            # The hot path: a row whose cells pass two regex scans over joined text (no NUL,
            # no line break or leading '=' in a one-line field, no leading apostrophe,
            # nothing near the length limit) is taken as is. Anything else goes cell by
            # cell, and suspicious cells through tracker.check_text, whose message the
            # problem carries.
            n = len(cells)
            stripped = [c.strip() for c in cells]
            if n < width:
                stripped.extend([""] * (width - n))
            everything = _SEP.join(stripped)
            if (len(everything) < tracker.MAX_FIELD and "\x00" not in everything
                    and "\x1f'" not in everything and not everything.startswith("'")
                    and _one_line_ok(_SEP.join([stripped[i] for i in one_line_at]))):
                values = dict(empty)
                for name, i in at:
                    values[name] = stripped[i]
                suspect: list[str] = []
            else:
                values, suspect = _cell_by_cell(stripped, present)
            problems: list[Problem] = []
            failed: set[str] = set()
            if suspect or (n > width and any(c.strip() for c in cells[width:])):
                failed = self._suspects(cells, line, headers, layout, values, suspect,
                                        problems)
            company, role = values["company"], values["role"]
            if not company and "company" not in failed:
                self._bad(problems, cells, line, headers, layout, "company",
                          "empty; every row needs a company and a role")
            if not role and "role" not in failed:
                self._bad(problems, cells, line, headers, layout, "role",
                          "empty; every row needs a company and a role")
            stage = "applied"
            raw_stage = values["stage"]
            if raw_stage and "stage" not in failed:
                found = stage_cache.get(raw_stage, "")
                if found == "":
                    found = stage_cache[raw_stage] = self.stage_words.get(
                        normalize_word(raw_stage))
                if found is None:
                    self._bad(problems, cells, line, headers, layout, "stage", (
                        f"{raw_stage[:40]!r} is not a stage nudger knows; valid: "
                        f"{', '.join(STAGES)} (and tracker words like Saved, Phone screen, "
                        f"Declined), or map it: --stage-map '{raw_stage[:40]}=applied'"))
                else:
                    stage = found
            day: date | None = None
            deadline: date | None = None
            for name in ("applied", "deadline"):
                text = values[name]
                if not text or name in failed:
                    continue
                try:
                    parsed = self.dates(text)
                except ValueError as exc:
                    self._bad(problems, cells, line, headers, layout, name, str(exc))
                    continue
                if name == "applied":
                    day = parsed
                else:
                    deadline = parsed
            email = values["email"]
            if email and "email" not in failed and not _EMAIL.match(email):
                self._bad(problems, cells, line, headers, layout, "email", (
                    f"{email[:40]!r} is not an email address; write it like "
                    "dana@acme.example, or leave the cell empty"))
            if problems:
                for problem in problems:
                    self.report.bad.add(problem.format(self.path))
                continue
            url = values["url"]
            applied_on: date | None
            if stage == "wishlist":
                applied_on, since = None, day or self.today
            else:
                applied_on = day or self.today
                since = applied_on if stage == "applied" else self.today
            url_key = _url_key(url) if url else ""
            app_key = (company.casefold(), role.casefold(), applied_on)
            match = known.match_keys(url_key, app_key)
            if match is not None:
                self._matched(match, line, company, role, stage, applied_on)
                continue
            app_id = next_id
            next_id += 1
            known.remember_keys(app_id, url_key, app_key, stage, line)
            if self.report.added.full:
                self.report.added.count += 1
            else:
                self.report.added.add(f"line {line}: {company} — {role} ({stage}"
                                      + (f", applied {applied_on})" if applied_on else ")"))
            name, phone = values["contact"], values["phone"]
            if name or email or phone:
                self.report.contacts += 1
            if dry_run:
                continue
            since_text = today_text if since is self.today else since.isoformat()
            self._apps.append((
                app_id, company, role, url, values["location"], values["address"],
                values["source"], applied_on.isoformat() if applied_on else None, stage,
                since_text, deadline.isoformat() if deadline else None, values["notes"],
                self._stamp, self._stamp))
            self._changes.append((app_id, stage, since_text, "", self._stamp))
            if name or email or phone:
                self._contacts.append((app_id, name or email or phone, email, phone, "",
                                       "hiring-manager", ""))
            if len(self._apps) >= BATCH:
                self._flush()

    def _matched(self, match: tuple[int, str, int | None], line: int, company: str,
                 role: str, stage: str, applied_on: date | None) -> None:
        app_id, old_stage, seen_line = match
        if self.report.skipped.full and STAGE_RANK[stage] <= STAGE_RANK[old_stage]:
            self.report.skipped.count += 1
            return
        label = f"{company} — {role} ({stage}" + (f", applied {applied_on})" if applied_on
                                                   else ")")
        if seen_line is not None:
            self.report.skipped.add(f"line {line}: {label}: same as line {seen_line}")
        elif STAGE_RANK[stage] > STAGE_RANK[old_stage]:
            self._updates.append((app_id, stage))
            self.report.updated.add(f"line {line}: #{app_id} {company} — {role}: "
                                    f"{old_stage} → {stage}")
        else:
            self.report.skipped.add(f"line {line}: {label}: already there as #{app_id}")

    @staticmethod
    def _bad(problems: list[Problem], cells: list[str], line: int, headers: list[str],
             layout: _Layout, name: str, message: str) -> None:
        """A problem in the cell of field `name`, on the physical line the cell is on."""
        i = layout.index[name]
        at = line + sum(_breaks(c) for c in cells[:i])
        problems.append(Problem(at, headers[i], message))

    def _suspects(self, cells: list[str], line: int, headers: list[str], layout: _Layout,
                  values: dict[str, str], suspect: list[str], problems: list[Problem]
                  ) -> set[str]:
        """The slow path for cells that failed an inline test; returns the fields refused."""
        width = len(headers)
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            extra = ", ".join(repr(c[:20]) for c in cells[width:] if c.strip())
            at = line + sum(_breaks(c) for c in cells[:width])
            problems.append(Problem(at, None, (
                f"{len(cells)} cells but the header has {width}; the extra cells "
                f"({extra}) are under no column: check the quotes and delimiters")))
        failed: set[str] = set()
        for name in dict.fromkeys(suspect):
            value = values[name]
            try:
                tracker.check_text(name, value, one_line=name in _ONE_LINE)
            except UsageError as exc:
                self._bad(problems, cells, line, headers, layout, name, str(exc))
                failed.add(name)
                continue
            # A raw "=..." is a formula the sheet did not evaluate (or an injection);
            # "'=..." is a value nudger's own export defused, and imports as "=...".
            if name in _ONE_LINE and cells[layout.index[name]].lstrip().startswith("="):
                self._bad(problems, cells, line, headers, layout, name, (
                    f"{value[:40]!r} is a spreadsheet formula, not a value; export the "
                    "sheet with values, or remove the leading '='"))
                failed.add(name)
        return failed

    def _flush(self) -> None:
        """Write the batched rows with the driver's executemany: no ORM object and no
        per-value type processing on the hot path (values are already in SQLite's form)."""
        if self.options.dry_run:
            return
        connection = self.session.connection()
        for sql, rows in ((_APP_INSERT, self._apps), (_CHANGE_INSERT, self._changes),
                          (_CONTACT_INSERT, self._contacts)):
            if rows:
                connection.exec_driver_sql(sql, rows)
                rows.clear()


def _insert_sql(model: Any, columns: Sequence[str]) -> str:
    table = table_of(model)
    for name in columns:
        assert name in table.c, name  # the column list follows the model
    return (f"INSERT INTO {table.name} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' for _ in columns)})")


_APP_INSERT = _insert_sql(Application, (
    "id", "company", "role", "url", "location", "address", "source", "applied_on", "stage",
    "stage_since", "deadline", "notes", "created_at", "updated_at"))
_CHANGE_INSERT = _insert_sql(StageChange, (
    "application_id", "stage", "changed_on", "note", "created_at"))
_CONTACT_INSERT = _insert_sql(Contact, (
    "application_id", "name", "email", "phone", "social", "kind", "notes"))


# --- JSON (nudger's own export) ----------------------------------------------------------

JSON_FORMAT = "nudger"
JSON_VERSION = 1


class _Json:
    """Typed reads from the parsed JSON; errors name the file and the item's path."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, message: str) -> DataError:
        return DataError(f"{self.path} ({where}): {message}; nothing was imported")

    def obj(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, "expected an object {...}")
        return value

    def items(self, data: dict[str, Any], key: str, where: str) -> list[dict[str, Any]]:
        value = data.get(key, [])
        if not isinstance(value, list):
            raise self.fail(f"{where}.{key}", "expected a list [...]")
        return [self.obj(v, f"{where}.{key}[{i}]") for i, v in enumerate(value)]

    def text(self, data: dict[str, Any], key: str, where: str, *, required: bool = False,
             one_line: bool = False) -> str:
        value = data.get(key, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise self.fail(f"{where}.{key}", f"expected a string, not {value!r}"[:120])
        if required and not value.strip():
            raise self.fail(f"{where}.{key}", "must not be empty")
        try:
            tracker.check_text(key, value, one_line=one_line)
        except UsageError as exc:
            raise self.fail(f"{where}.{key}", str(exc)) from None
        return value

    def day(self, data: dict[str, Any], key: str, where: str, *, required: bool = False
            ) -> date | None:
        value = data.get(key)
        if value is None:
            if required:
                raise self.fail(f"{where}.{key}", "missing; expected a date like 2026-11-20")
            return None
        try:
            if not isinstance(value, str):
                raise ValueError(value)
            found = date.fromisoformat(value)
        except ValueError:
            raise self.fail(f"{where}.{key}", f"{value!r} is not a date like 2026-11-20"
                            ) from None
        if not in_range(found):
            raise self.fail(f"{where}.{key}", f"{value!r} is out of range; nudger accepts "
                            f"dates from {DATE_RANGE}")
        return found

    def moment(self, data: dict[str, Any], key: str, where: str, default: datetime | None
               ) -> datetime | None:
        value = data.get(key)
        if value is None:
            return default
        try:
            if not isinstance(value, str):
                raise ValueError(value)
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise self.fail(f"{where}.{key}", f"{value!r} is not a time like "
                            "2026-11-20T14:30:00+00:00") from None
        if not in_range(parsed.date()):
            raise self.fail(f"{where}.{key}", f"{value!r} is out of range; nudger accepts "
                            f"dates from {DATE_RANGE}")
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)

    def choice(self, data: dict[str, Any], key: str, where: str, valid: Sequence[str],
               default: str | None = None) -> str:
        value = data.get(key, default)
        if value not in valid:
            raise self.fail(f"{where}.{key}", f"{value!r} is not valid; valid: "
                            f"{', '.join(valid)}")
        return str(value)


def import_json(session: Session, path: Path, options: ImportOptions, *, now: datetime
                ) -> ImportReport:
    """nudger's own export, with contacts, touches, stage history and snoozes. Application
    IDs are kept when none of them is taken in this database (a restore), else renumbered."""
    report = ImportReport(path, "json", options.dry_run, encoding="UTF-8")
    try:
        with path.open("rb") as f:
            data = json.load(f)
    except OSError as exc:
        raise DataError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 JSON ({exc.reason} at byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg}, column {exc.colno})"
                        "; expected the file `nudger export --format json` writes") from None
    except RecursionError:
        raise DataError(f"{path}: JSON nested too deeply; expected the file "
                        "`nudger export --format json` writes") from None
    j = _Json(path)
    top = j.obj(data, "top level")
    if top.get("format") != JSON_FORMAT:
        raise j.fail("format", f"expected \"format\": \"{JSON_FORMAT}\" (a file written by "
                     "`nudger export --format json`); for a spreadsheet, export it as CSV")
    if top.get("version") != JSON_VERSION:
        raise j.fail("version", f"{top.get('version')!r} is not a version this nudger reads "
                     f"({JSON_VERSION})")
    apps = j.items(top, "applications", "top level")
    known = Known.load(session)
    taken = {row[0] for row in session.execute(sa_select(col(Application.id))).all()}
    wanted = [a.get("id") for a in apps]
    keep_ids = (all(isinstance(i, int) and not isinstance(i, bool) and i > 0 for i in wanted)
                and len(set(wanted)) == len(wanted) and not (set(wanted) & taken))
    next_id = max(taken | {0} | ({i for i in wanted if isinstance(i, int)} if keep_ids
                                 else set())) + 1
    rows: dict[Any, list[dict[str, Any]]] = {Application: [], Contact: [], Touch: [],
                                             StageChange: [], Snooze: []}
    for n, app in enumerate(apps):
        where = f"applications[{n}]"
        report.rows += 1
        company = j.text(app, "company", where, required=True, one_line=True)
        role = j.text(app, "role", where, required=True, one_line=True)
        stage = j.choice(app, "stage", where, STAGES)
        applied_on = j.day(app, "applied_on", where)
        url = j.text(app, "url", where, one_line=True)
        values = {
            "company": company, "role": role, "url": url,
            "location": j.text(app, "location", where, one_line=True),
            "address": j.text(app, "address", where),
            "source": j.text(app, "source", where, one_line=True),
            "notes": j.text(app, "notes", where),
            "applied_on": applied_on, "stage": stage,
            "stage_since": j.day(app, "stage_since", where, required=True),
            "deadline": j.day(app, "deadline", where),
            "interview_at": j.moment(app, "interview_at", where, None),
            "created_at": j.moment(app, "created_at", where, now),
            "updated_at": j.moment(app, "updated_at", where, now),
        }
        children = _json_children(j, app, where, now)
        label = f"{company} — {role} ({stage})"
        match = known.match(url, company, role, applied_on)
        if match is not None:
            app_id, _, seen = match
            reason = (f"same as applications[{seen}]" if seen is not None
                      else f"already there as #{app_id}")
            report.skipped.add(f"{where}: {label}: {reason}")
            continue
        app_id = app["id"] if keep_ids else next_id
        next_id = max(next_id, app_id + 1)
        known.remember(app_id, url, company, role, applied_on, stage, n)
        report.added.add(f"{where}: {label}")
        rows[Application].append({"id": app_id, **values})
        for model, items in children.items():
            for item in items:
                rows[model].append({"application_id": app_id, **item})
        report.contacts += len(children[Contact])
        report.touches += len(children[Touch])
    if not options.dry_run:
        connection = session.connection()
        for model, items in rows.items():
            if items:
                connection.execute(table_of(model).insert(), items)
    return report


def _json_children(j: _Json, app: dict[str, Any], where: str, now: datetime
                   ) -> dict[Any, list[dict[str, Any]]]:
    out: dict[Any, list[dict[str, Any]]] = {Contact: [], Touch: [], StageChange: [],
                                            Snooze: []}
    for i, c in enumerate(j.items(app, "contacts", where)):
        at = f"{where}.contacts[{i}]"
        out[Contact].append({
            "name": j.text(c, "name", at, required=True, one_line=True),
            "email": j.text(c, "email", at, one_line=True),
            "phone": j.text(c, "phone", at, one_line=True),
            "social": j.text(c, "social", at, one_line=True),
            "kind": j.choice(c, "kind", at, CONTACT_KINDS, "hiring-manager"),
            "notes": j.text(c, "notes", at),
        })
    for i, t in enumerate(j.items(app, "touches", where)):
        at = f"{where}.touches[{i}]"
        step = t.get("step")
        if step is not None and (not isinstance(step, int) or isinstance(step, bool)
                                 or step < 1):
            raise j.fail(f"{at}.step", f"{step!r} is not a step number (1, 2, ...) or null")
        skipped = t.get("skipped", False)
        if not isinstance(skipped, bool):
            raise j.fail(f"{at}.skipped", "expected true or false")
        out[Touch].append({
            "action": j.choice(t, "action", at, ACTIONS),
            "touched_on": j.day(t, "touched_on", at, required=True),
            "note": j.text(t, "note", at), "stage": j.choice(t, "stage", at, STAGES),
            "step": step, "skipped": skipped,
            "created_at": j.moment(t, "created_at", at, now),
        })
    for i, s in enumerate(j.items(app, "stage_changes", where)):
        at = f"{where}.stage_changes[{i}]"
        out[StageChange].append({
            "stage": j.choice(s, "stage", at, STAGES),
            "changed_on": j.day(s, "changed_on", at, required=True),
            "note": j.text(s, "note", at),
            "created_at": j.moment(s, "created_at", at, now),
        })
    for i, s in enumerate(j.items(app, "snoozes", where)):
        at = f"{where}.snoozes[{i}]"
        out[Snooze].append({
            "until": j.day(s, "until", at, required=True),
            "created_at": j.moment(s, "created_at", at, now),
        })
    return out


# --- entry point -------------------------------------------------------------------------

def looks_like_json(path: Path) -> bool:
    if path.suffix.lower() == ".json":
        return True
    try:
        with path.open("rb") as f:
            head = f.read(64).lstrip(codecs.BOM_UTF8).lstrip()
    except OSError:
        return False
    return head.startswith(b"{")


def import_file(session: Session, path: Path, options: ImportOptions, *, today: date,
                now: datetime) -> ImportReport:
    """Import `path` (CSV or nudger JSON) in the caller's transaction. Raises DataError
    (the caller's session then rolls back: nothing changes) or returns what was done."""
    if not path.exists():
        raise UsageError(f"{path}: no such file")
    if path.is_dir():
        raise UsageError(f"{path} is a directory; name a .csv or .json file")
    if looks_like_json(path):
        return import_json(session, path, options, now=now)
    return CsvImport(session, path, options, today=today, now=now).run()

