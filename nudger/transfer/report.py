"""What an import did: counts and samples of what was added, updated, skipped and refused,
and each problem's file, line and column."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nudger.errors import DataError

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


def refusal(report: ImportReport, problems: Listed) -> DataError:
    more = problems.count - len(problems.items)
    lines = "\n  ".join(problems.items)
    tail = f"\n  ... and {more} more" if more > 0 else ""
    return DataError(
        f"{report.path}: {problems.count} bad row(s); nothing was imported:\n  {lines}{tail}\n"
        "Fix them, or import the good rows with --skip-bad."
    )
