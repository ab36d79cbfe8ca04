"""`nudger export`: CSV a spreadsheet opens safely, JSON that imports back to the same data."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from nudger.track import tracker
from nudger.transfer.csv_out import defuse
from tests.conftest import BASE_CONFIG, Home, on_engine


@pytest.fixture
def home(home: Home, engine: str, request: pytest.FixtureRequest,
         monkeypatch: pytest.MonkeyPatch) -> Home:
    """Every test here runs on SQLite and on PostgreSQL (tests/conftest.py `on_engine`)."""
    return on_engine(home, engine, request, monkeypatch)


def build_history(home: Home) -> None:
    """Every kind of record: contacts, touches (one skipped), stage changes, a snooze."""
    home.ok("add", "Acme", "Account Executive", "--applied", "2026-11-02",
            "--contact", "Dana Lee <dana@acme.example>", "--url", "https://acme.example/1",
            "--location", "Chicago, IL", "--source", "LinkedIn", "--notes", "line one\nline 2",
            "--address", "1 Main St\nSuite 2", "--deadline", "2026-12-01")
    home.ok("contact", "1", "Sam Roe", "--phone", "+1 312 555 0101", "--kind", "referral")
    home.ok("add", "Globex", "SDR", "--applied", "2026-11-03")
    home.ok("add", "Initech", "AM", "--stage", "wishlist")
    home.ok("log", "1", "email", "--date", "2026-11-05", "--note", "sent the note")
    db = home.open_db()
    with db.session() as session:  # a skipped step, as `nudger skip` records it
        tracker.log_touch(session, 1, "call", date(2026, 11, 9), step=2, skipped=True,
                          now=datetime.now(UTC))
    db.dispose()
    home.ok("log", "2", "call", "--date", "2026-11-06")
    home.ok("stage", "2", "interviewing", "--date", "2026-11-10",
            "--interview", "2026-11-20 14:30")
    home.ok("snooze", "1", "2026-12-15")


def export_json(home: Home, *config: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(home.ok(*config, "export", "--format", "json"))
    del data["exported_at"]
    return data


def other_config(home: Home) -> list[str]:
    path = home.root / "other" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(BASE_CONFIG, encoding="utf-8")
    return ["--config", str(path)]


def test_json_round_trip_into_an_empty_database(home: Home, tmp_path: Path) -> None:
    build_history(home)
    original = export_json(home)
    app = original["applications"][0]
    assert len(app["contacts"]) == 2
    assert [(t["action"], t["skipped"]) for t in app["touches"]] == [("email", False),
                                                                    ("call", True)]
    assert app["snoozes"][0]["until"] == "2026-12-15"
    assert original["applications"][1]["interview_at"].endswith("+00:00")
    backup = tmp_path / "backup.json"
    home.ok("export", "--format", "json", "-o", str(backup))
    other = other_config(home)
    out = home.ok(*other, "import", str(backup), "--dry-run")
    assert "would add 3 applications" in out
    assert json.loads(home.ok(*other, "list", "--json")) == []
    out = home.ok(*other, "import", str(backup))
    assert "added 3 applications with 2 contacts and 3 follow-ups" in out
    assert export_json(home, *other) == original  # same data, same IDs
    # and into the database it came from: nothing new
    out = home.ok("import", str(backup))
    assert "added 0 applications; updated 0; skipped 3" in out


def test_json_import_renumbers_when_ids_are_taken(home: Home, tmp_path: Path) -> None:
    build_history(home)
    backup = tmp_path / "backup.json"
    home.ok("export", "--format", "json", "-o", str(backup))
    other = other_config(home)
    home.ok(*other, "add", "Umbrella", "Courier")
    home.ok(*other, "import", str(backup))
    imported = export_json(home, *other)["applications"]
    assert [a["id"] for a in imported] == [1, 2, 3, 4]
    assert [a["company"] for a in imported] == ["Umbrella", "Acme", "Globex", "Initech"]
    assert imported[1]["touches"] == export_json(home)["applications"][0]["touches"]


def test_json_import_errors_name_the_item(home: Home, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "nudger", "version": 1, "applications": [
        {"company": "A", "role": "B", "stage": "applied", "stage_since": "2026-11-02"},
        {"company": "C", "role": "D", "stage": "applied", "stage_since": "2026-11-02",
         "touches": [{"action": "fax", "touched_on": "2026-11-03", "stage": "applied"}]},
    ]}))
    result = home.run("import", str(bad))
    assert result.code == 1
    assert f"{bad} (applications[1].touches[0].action): 'fax' is not valid" in result.err
    assert json.loads(home.ok("list", "--json")) == []
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "nudger",\n "version": 1,\n "applications": [}\n')
    result = home.run("import", str(broken))
    assert result.code == 1 and f"{broken}:3: not valid JSON" in result.err


def test_csv_defuses_formulas(home: Home, tmp_path: Path) -> None:
    home.ok("add", "--applied", "2026-11-02", "--notes", "@SUM(A1)", "--location=+33 Paris",
            "--contact", "Dana <dana@acme.example>",
            "--", "=HYPERLINK(\"http://evil.example\")", "-1+2")
    home.ok("edit", "1", "--address=\tBack door")
    out = tmp_path / "apps.csv"
    home.ok("export", "-o", str(out))
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # spreadsheets need the BOM to read UTF-8
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    [row] = rows
    assert row["Company"] == "'=HYPERLINK(\"http://evil.example\")"
    assert row["Role"] == "'-1+2"
    assert row["Notes"] == "'@SUM(A1)"
    assert row["Location"] == "'+33 Paris"
    assert row["Address"] == "'\tBack door"
    assert row["Email"] == "dana@acme.example" and row["Applied"] == "2026-11-02"
    for cell in row.values():
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
    # The CSV comes back in as the same values.
    other = other_config(home)
    home.ok(*other, "import", str(out))
    [app] = json.loads(home.ok(*other, "list", "--json"))
    assert app["company"] == "=HYPERLINK(\"http://evil.example\")"
    assert app["role"] == "-1+2" and app["notes"] == "@SUM(A1)"


def test_csv_to_stdout_and_multiline_cells(home: Home) -> None:
    build_history(home)
    text = home.ok("export")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["Company"] for r in rows] == ["Acme", "Globex", "Initech"]
    assert rows[0]["Notes"] == "line one\nline 2"
    assert rows[0]["Other contacts"] == "Sam Roe"
    assert rows[0]["Touches"] == "1" and rows[0]["Last touch"] == "2026-11-05"


def test_defuse() -> None:
    assert [defuse(v) for v in ("=1", "+1", "-1", "@a", "\tx", "\rx", "a=1", "", "'=")] == \
        ["'=1", "'+1", "'-1", "'@a", "'\tx", "'\rx", "a=1", "", "'="]


def test_export_to_a_directory_fails_cleanly(home: Home, tmp_path: Path) -> None:
    result = home.run("export", "-o", str(tmp_path))
    assert result.code == 1 and "is a directory" in result.err
