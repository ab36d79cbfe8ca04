"""`nudger import`'s entry point: a CSV or nudger's JSON, in the caller's transaction."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from sqlmodel import Session

from nudger.errors import UsageError
from nudger.transfer.csv_in import CsvImport
from nudger.transfer.json_io import import_json, looks_like_json
from nudger.transfer.options import ImportOptions
from nudger.transfer.report import ImportReport


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
