"""CSV in: a spreadsheet's or another tracker's export, read as a stream (constant memory
whatever the file's size) in the caller's transaction.

- decoding on purpose (`transfer.decoding`): UTF-8 with or without BOM, UTF-16 with BOM,
  else cp1252 as the declared fallback (said in the report); a file that is none of these
  is refused with the line of the first bad byte; the delimiter is sniffed among `,` `;`
  and tab from the header line;
- columns are matched by name variants (`transfer.columns`), `--column` maps any other
  header; unknown columns are listed and ignored;
- every problem names the file, the physical line (quoted cells may span lines) and the
  column, and says what would be valid;
- all or nothing: a bad row aborts the import unless `skip_bad`, and the caller's
  transaction rolls back; re-importing adds nothing (`transfer.matching`).

Rows are written through the model tables in batches (`store.bulk.BulkInsert`: the
statement compiled from the table, values converted by the column types, no ORM object
per row). Nothing here reads the clock: `today` and `now` are passed in.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session

from nudger.errors import DataError, UsageError
from nudger.store.bulk import BulkInsert
from nudger.store.models import Application, Contact, StageChange
from nudger.store.scope import NewIds
from nudger.track import tracker
from nudger.transfer.columns import FIELDS, Layout, check_options, map_columns
from nudger.transfer.csv_out import undefuse
from nudger.transfer.datereader import DateReader
from nudger.transfer.decoding import DELIMITER_NAMES, detect_encoding, sniff_delimiter
from nudger.transfer.matching import Known, url_key
from nudger.transfer.options import ImportOptions
from nudger.transfer.report import ImportReport, Problem, refusal
from nudger.transfer.stagewords import STAGE_RANK, STAGE_WORDS, normalize_word
from nudger.vocab import MAX_FIELD, ONE_LINE_FIELDS, STAGES, is_email
from nudger.when.times import as_utc

MAX_CELL = 16 * 1024 * 1024  # csv's own limit (128 KiB) would hide a long cell's line
BATCH = 2000
_SEP = "\x1f"  # the unit separator: joins a row's cells for the hot path's scans


def _breaks(text: str) -> int:
    return text.count("\n") + text.count("\r") - text.count("\r\n")


def _one_line_ok(joined: str) -> bool:
    """No line break and no leading '=' in the joined one-line cells (`in` scans are
    several times faster than a regex with an anchor alternation)."""
    return not ("\n" in joined or "\r" in joined or joined.startswith("=")
                or "\x1f=" in joined)


def _records(reader: Any) -> Iterator[tuple[int, list[str]]]:
    """(physical line where the record starts, cells), skipping blank lines."""
    previous = 0
    for cells in reader:
        start = previous + 1
        previous = reader.line_num
        if any(cells) and "".join(cells).strip():
            yield start, cells


class _Cells:
    """One file's cells → field values. The hot path: a row whose cells pass two scans over
    joined text (no NUL, no line break or leading '=' in a one-line field, no leading
    apostrophe, nothing near the length limit) is taken as is. Anything else goes cell by
    cell, and its suspicious cells are named for `CsvImport._suspects`."""

    def __init__(self, layout: Layout) -> None:
        self.width = len(layout.headers)
        self.present = [(name, layout.index[name], name in ONE_LINE_FIELDS)
                        for name in FIELDS if name in layout.index]
        self.at = [(name, i) for name, i, _ in self.present]
        self.one_line_at = [i for _, i, one_line in self.present if one_line]
        self.empty = dict.fromkeys(FIELDS, "")

    def values(self, cells: list[str]) -> tuple[dict[str, str], list[str]]:
        """(values by field, fields whose cells need tracker.check_text)."""
        stripped = [c.strip() for c in cells]
        if len(cells) < self.width:
            stripped.extend([""] * (self.width - len(cells)))
        everything = _SEP.join(stripped)
        if (len(everything) < MAX_FIELD and "\x00" not in everything
                and "\x1f'" not in everything and not everything.startswith("'")
                and _one_line_ok(_SEP.join([stripped[i] for i in self.one_line_at]))):
            values = dict(self.empty)
            for name, i in self.at:
                values[name] = stripped[i]
            return values, []
        return self._cell_by_cell(stripped)

    def _cell_by_cell(self, stripped: list[str]) -> tuple[dict[str, str], list[str]]:
        values = dict(self.empty)
        suspect: list[str] = []
        for name, i, one_line in self.present:
            value = stripped[i]
            if not value:
                continue
            if value[0] == "'":
                value = undefuse(value)
            elif one_line and value[0] == "=":
                suspect.append(name)
            if "\x00" in value or len(value) > MAX_FIELD or (
                    one_line and ("\n" in value or "\r" in value)):
                suspect.append(name)
            values[name] = value
        return values, suspect

    def overflows(self, cells: list[str]) -> bool:
        """Cells past the header's width that hold something."""
        return len(cells) > self.width and any(c.strip() for c in cells[self.width:])


@dataclass(slots=True)
class _Row:
    """A row that passed every check, as the application it describes."""

    line: int
    values: dict[str, str]
    stage: str
    applied: date | None  # the date in the file, if any
    deadline: date | None


class CsvImport:
    """One CSV file into the store. `run` does it; the caller owns the transaction."""

    def __init__(self, session: Session, path: Path, options: ImportOptions, *, today: date,
                 now: datetime) -> None:
        check_options(options)
        self.session = session
        self.path = path
        self.options = options
        self.today = today
        self.now = as_utc(now)
        self.dates = DateReader(options.date_format)
        self.stage_words = dict(STAGE_WORDS)
        for word, stage in options.stage_map.items():
            self.stage_words[normalize_word(word)] = stage.lower()
        self._stage_cache: dict[str, str | None] = {}
        self.report = ImportReport(path, "csv", options.dry_run)
        self._inserts: list[BulkInsert] = []  # applications, stage changes, contacts
        self._updates: list[tuple[int, str]] = []

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
            raise refusal(self.report, self.report.bad)
        self._flush()
        for app_id, stage in self._updates:
            if not self.options.dry_run:
                tracker.change_stage(self.session, app_id, stage, self.today, now=self.now,
                                     note=f"imported from {self.path.name}")
        return self.report

    # --- the steps of reading ----------------------------------------------------------

    def _read(self, reader: Any) -> None:
        records = _records(reader)
        layout = self._header(records)
        if not self.options.dry_run:
            connection = self.session.connection()
            self._inserts = [BulkInsert(connection, model, columns)
                             for model, columns in _COLUMNS]
        cells_of = _Cells(layout)
        known = Known.load(self.session)
        # Internal ids, unique across seekers; the seeker's numbers come with the insert
        # (store/bulk.py).
        ids = NewIds(self.session.connection())
        for line, cells in records:
            self.report.rows += 1
            row = self._check(line, cells, layout, cells_of)
            if row is not None and self._take(row, known, ids.peek()):
                ids.take()

    def _header(self, records: Iterator[tuple[int, list[str]]]) -> Layout:
        header = next(records, None)
        if header is None:
            raise DataError(f"{self.path}:1: the file is empty; expected a header row with "
                            "column names like Company, Role, Status, Date Applied")
        line, headers = header
        return map_columns([h.strip() for h in headers], self.options, self.path, line,
                           self.report)

    def _check(self, line: int, cells: list[str], layout: Layout, cells_of: _Cells
               ) -> _Row | None:
        """The row's values when every check passes; else its problems go to the report."""
        values, suspect = cells_of.values(cells)
        problems: list[Problem] = []

        def bad(name: str, message: str) -> None:
            """A problem in the cell of field `name`, on the physical line it is on."""
            i = layout.index[name]
            at = line + sum(_breaks(c) for c in cells[:i])
            problems.append(Problem(at, layout.headers[i], message))

        failed: set[str] = set()
        if suspect or cells_of.overflows(cells):
            failed = self._suspects(cells, line, layout, values, suspect, problems, bad)
        for name in ("company", "role"):
            if not values[name] and name not in failed:
                bad(name, "empty; every row needs a company and a role")
        stage = "applied"
        if values["stage"] and "stage" not in failed:
            stage = self._stage(values["stage"], bad) or stage
        found: dict[str, date | None] = {"applied": None, "deadline": None}
        for name in found:
            if values[name] and name not in failed:
                try:
                    found[name] = self.dates(values[name])
                except ValueError as exc:
                    bad(name, str(exc))
        email = values["email"]
        if email and "email" not in failed and not is_email(email):
            bad("email", f"{email[:40]!r} is not an email address; write it like "
                "dana@acme.example, or leave the cell empty")
        if problems:
            for problem in problems:
                self.report.bad.add(problem.format(self.path))
            return None
        return _Row(line, values, stage, found["applied"], found["deadline"])

    def _stage(self, raw: str, bad: Any) -> str | None:
        """The stage a status word means (None, with a problem, when it is unknown)."""
        found = self._stage_cache.get(raw, "")
        if found == "":
            found = self._stage_cache[raw] = self.stage_words.get(normalize_word(raw))
        if found is None:
            bad("stage", (
                f"{raw[:40]!r} is not a stage nudger knows; valid: {', '.join(STAGES)} (and "
                "tracker words like Saved, Phone screen, Declined), or map it: "
                f"--stage-map '{raw[:40]}=applied'"))
        return found

    def _suspects(self, cells: list[str], line: int, layout: Layout, values: dict[str, str],
                  suspect: list[str], problems: list[Problem], bad: Any) -> set[str]:
        """The slow path for cells that failed an inline test; returns the fields refused."""
        width = len(layout.headers)
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            extra = ", ".join(repr(c[:20]) for c in cells[width:] if c.strip())
            at = line + sum(_breaks(c) for c in cells[:width])
            problems.append(Problem(at, None, (
                f"{len(cells)} cells but the header has {width}; the extra cells "
                f"({extra}) are under no column: check the quotes and delimiters")))
        failed: set[str] = set()
        for name in dict.fromkeys(suspect):
            value = values[name]
            one_line = name in ONE_LINE_FIELDS
            try:
                tracker.check_text(name, value, one_line=one_line)
            except UsageError as exc:
                bad(name, str(exc))
                failed.add(name)
                continue
            # A raw "=..." is a formula the sheet did not evaluate (or an injection);
            # "'=..." is a value nudger's own export defused, and imports as "=...".
            if one_line and cells[layout.index[name]].lstrip().startswith("="):
                bad(name, f"{value[:40]!r} is a spreadsheet formula, not a value; export "
                    "the sheet with values, or remove the leading '='")
                failed.add(name)
        return failed

    # --- the steps of writing ----------------------------------------------------------

    def _take(self, row: _Row, known: Known, app_id: int) -> bool:
        """Add the row as application `app_id`, or match it to one already there (maybe
        moving that one to a later stage). True when `app_id` was used."""
        values, stage = row.values, row.stage
        company, role = values["company"], values["role"]
        applied_on: date | None
        if stage == "wishlist":
            applied_on, since = None, row.applied or self.today
        else:
            applied_on = row.applied or self.today
            since = applied_on if stage == "applied" else self.today
        key = url_key(values["url"]) if values["url"] else ""
        app_key = (company.casefold(), role.casefold(), applied_on)
        match = known.match_keys(key, app_key)
        if match is not None:
            self._matched(match, row.line, company, role, stage, applied_on)
            return False
        known.remember_keys(app_id, key, app_key, stage, row.line)
        if self.report.added.full:
            self.report.added.count += 1
        else:
            self.report.added.add(f"line {row.line}: {company} — {role} ({stage}"
                                  + (f", applied {applied_on})" if applied_on else ")"))
        name, email, phone = values["contact"], values["email"], values["phone"]
        if name or email or phone:
            self.report.contacts += 1
        if self.options.dry_run:
            return True
        apps, changes, contacts = self._inserts
        apps.add((app_id, company, role, values["url"], values["location"], values["address"],
                  values["source"], applied_on, stage, since, row.deadline, values["notes"],
                  self.now, self.now))
        changes.add((app_id, stage, since, "", self.now))
        if name or email or phone:
            contacts.add((app_id, name or email or phone, email, phone, "", "hiring-manager",
                          ""))
        if len(apps) >= BATCH:
            self._flush()
        return True

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

    def _flush(self) -> None:
        """Write the batched rows through the model tables, one executemany per table."""
        for insert in self._inserts:
            insert.flush()


# What a CSV row writes, in the order `_take` gives the values.
_COLUMNS: tuple[tuple[Any, tuple[str, ...]], ...] = (
    (Application, ("id", "company", "role", "url", "location", "address", "source",
                   "applied_on", "stage", "stage_since", "deadline", "notes", "created_at",
                   "updated_at")),
    (StageChange, ("application_id", "stage", "changed_on", "note", "created_at")),
    (Contact, ("application_id", "name", "email", "phone", "social", "kind", "notes")),
)
