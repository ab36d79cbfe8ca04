"""Random bytes and random CSV shapes never make `import` raise anything but the errors a
user is meant to read (DataError, UsageError), and a failed import changes nothing."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nudger.errors import DataError, UsageError
from nudger.store.db import Database
from nudger.track import tracker
from nudger.transfer.importing import import_file
from nudger.transfer.options import ImportOptions

TODAY = date(2026, 11, 26)
NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
HEADERS = ["Company", "Role", "Position", "Status", "Date Applied", "URL", "Email", "Contact",
           "Notes", "Phone", "", "Company", "Stage", "Applied", "x"]
CELLS = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30),
    st.sampled_from(["", "Applied", "interview", "2026-11-04", "03/04/2025", "2025-02-30",
                     "46330", "Nov 4, 2026", "=SUM(A1)", "'=x", "a@b.example", '"', '""',
                     "\r\n", "\x00", ";", "\t", ",", "Wishlist", "x" * 300]),
)
OPTIONS = st.builds(
    ImportOptions,
    dry_run=st.booleans(),
    date_format=st.sampled_from([None, "dmy", "mdy", "%d.%m.%Y"]),
    skip_bad=st.booleans(),
    stage_map=st.sampled_from([{}, {"x": "offer"}]),
)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    database = Database(tmp_path_factory.mktemp("fuzz") / "nudger.db")
    database.ensure()
    yield database
    database.dispose()


def count(db: Database) -> int:
    with db.read_session() as session:
        return tracker.count_applications(session)


def attempt(db: Database, path: Path, options: ImportOptions) -> None:
    before = count(db)
    try:
        with db.session() as session:
            report = import_file(session, path, options, today=TODAY, now=NOW)
    except (DataError, UsageError) as exc:
        assert str(exc)
        assert count(db) == before  # a failed import changes nothing
        return
    if options.dry_run:
        assert count(db) == before
    else:
        assert count(db) == before + report.added.count


FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


@FUZZ
@given(data=st.binary(max_size=400), options=OPTIONS)
def test_random_bytes(db: Database, tmp_path_factory: pytest.TempPathFactory, data: bytes,
                      options: ImportOptions) -> None:
    path = tmp_path_factory.mktemp("bytes") / "random.csv"
    path.write_bytes(data)
    attempt(db, path, options)


@FUZZ
@given(
    headers=st.lists(st.sampled_from(HEADERS), min_size=0, max_size=8),
    rows=st.lists(st.lists(CELLS, max_size=9), max_size=8),
    delimiter=st.sampled_from([",", ";", "\t"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]),
    newline=st.sampled_from(["\r\n", "\n", "\r"]),
    options=OPTIONS,
)
def test_random_csv_shapes(db: Database, tmp_path_factory: pytest.TempPathFactory,
                           headers: list[str], rows: list[list[str]], delimiter: str,
                           encoding: str, newline: str, options: ImportOptions) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline)
    writer.writerow(headers)
    writer.writerows(rows)
    path = tmp_path_factory.mktemp("shapes") / "shape.csv"
    path.write_bytes(buffer.getvalue().encode(encoding, errors="replace"))
    attempt(db, path, options)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.sampled_from(
        ["", "x", "applied", "email", "2026-11-04", "2026-11-04T10:00:00+00:00", "\x00",
         "a\nb", "nudger"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["company", "role", "stage", "stage_since", "applied_on", "touches",
                         "contacts", "action", "touched_on", "name", "id", "url", "kind",
                         "step", "skipped", "until", "snoozes", "stage_changes",
                         "changed_on"]), inner, max_size=6),
    max_leaves=20,
)


@FUZZ
@given(apps=st.lists(JSON_VALUES, max_size=3), version=st.sampled_from([1, 2, "1"]))
def test_random_json(db: Database, tmp_path_factory: pytest.TempPathFactory,
                     apps: list[object], version: object) -> None:
    path = tmp_path_factory.mktemp("json") / "export.json"
    path.write_text(json.dumps({"format": "nudger", "version": version,
                                "applications": apps}), encoding="utf-8")
    attempt(db, path, ImportOptions())
