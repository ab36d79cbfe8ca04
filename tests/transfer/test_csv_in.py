"""`nudger import`: the four sample files import to what tests/fixtures/README.md says, and
hostile files either import correctly or fail with `FILE:LINE (column 'X'): ...` and change
nothing. Everything runs through the CLI against a real SQLite file."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from nudger.transfer.datereader import DateReader
from nudger.transfer.decoding import sniff_delimiter
from tests.conftest import Home, on_engine

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
PROBLEM = re.compile(r"^  (?P<file>/.+):(?P<line>\d+)(?: \(column '(?P<column>[^']+)'\))?: "
                     r"(?P<what>.+)$")


@pytest.fixture
def home(home: Home, engine: str, request: pytest.FixtureRequest,
         monkeypatch: pytest.MonkeyPatch) -> Home:
    """Every test here runs on SQLite and on PostgreSQL (tests/conftest.py `on_engine`)."""
    return on_engine(home, engine, request, monkeypatch)


def apps(home: Home) -> list[dict[str, Any]]:
    return json.loads(home.ok("list", "--json"))  # type: ignore[no-any-return]


def by_company(home: Home) -> dict[str, dict[str, Any]]:
    return {a["company"]: a for a in apps(home)}


def problems(err: str) -> list[dict[str, str]]:
    """The `FILE:LINE (column 'X'): what` lines of an error, parsed."""
    found = [m.groupdict() for line in err.splitlines() if (m := PROBLEM.match(line))]
    assert found, f"no problem lines in:\n{err}"
    return found


def write(tmp_path: Path, text: str, name: str = "in.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def stage_counts(home: Home) -> dict[str, int]:
    counts: dict[str, int] = {}
    for app in apps(home):
        counts[app["stage"]] = counts.get(app["stage"], 0) + 1
    return counts


# --- the sample files --------------------------------------------------------------------

def test_spreadsheet_fixture(home: Home) -> None:
    out = home.ok("import", str(FIXTURES / "spreadsheet.csv"))
    assert "added 7 applications with 4 contacts" in out
    assert stage_counts(home) == {"applied": 4, "interviewing": 1, "rejected": 1,
                                  "wishlist": 1}
    found = by_company(home)
    assert sum(1 for a in found.values() for c in a["contacts"] if c["email"]) == 4
    assert found["Contoso Ltd"]["stage"] == "interviewing"  # "Phone screen"
    fabrikam = found["Fabrikam, Inc."]
    assert fabrikam["notes"] == 'Posting says "hiring fast"; ask about start date'
    assert fabrikam["url"] == "https://fabrikam.example/jobs?id=77"
    assert found["Wide World Importers"]["notes"] == (
        "Multi-line note:\nmet Marcus at the trade show\nhe said they decide by December")
    cafe = found["Café Müller GmbH"]
    assert cafe["contacts"][0]["name"] == "Jürgen Weiß"
    assert cafe["applied_on"] == "2026-11-18"
    wishlist = found["Adventure Works"]
    assert wishlist["applied_on"] is None and wishlist["stage_since"] == "2026-11-16"


def test_jobsync_fixture(home: Home) -> None:
    out = home.ok("import", str(FIXTURES / "jobsync-export.csv"))
    assert "ignored columns: index, createdAt, applied (appliedDate is used for applied)" in out
    found = by_company(home)
    assert {c: a["stage"] for c, a in found.items()} == {
        "Litware": "applied", "Proseware": "interviewing", "Lucerne Publishing": "wishlist",
        "Margie's Travel": "offer", "Alpine Ski House": "rejected"}
    assert found["Litware"]["applied_on"] == "2026-10-30"  # from an ISO timestamp
    assert found["Litware"]["source"] == "LinkedIn"
    assert found["Lucerne Publishing"]["applied_on"] is None


def test_huntr_fixture_needs_the_date_order(home: Home) -> None:
    path = FIXTURES / "huntr-export.csv"
    result = home.run("import", str(path))
    assert result.code == 1
    found = problems(result.err)
    assert [p["line"] for p in found] == ["2", "3", "4", "5"]
    assert all(p["column"] == "Date Saved" and p["file"] == str(path) for p in found)
    assert "never guesses" in found[0]["what"] and "--date-format" in found[0]["what"]
    assert "no month 15" in found[2]["what"]  # 11/15/2026: the hint says which order
    assert apps(home) == []
    home.ok("import", str(path), "--date-format", "mdy")
    found_apps = by_company(home)
    assert {c: a["stage"] for c, a in found_apps.items()} == {
        "Blue Yonder Airlines": "applied", "Trey Research": "interviewing",
        "Coho Winery": "wishlist", "Humongous Insurance": "offer"}
    assert found_apps["Blue Yonder Airlines"]["applied_on"] == "2026-11-04"
    assert found_apps["Blue Yonder Airlines"]["location"] == "Seattle, WA"
    assert found_apps["Coho Winery"]["stage_since"] == "2026-11-15"


def test_huntr_fixture_with_a_strptime_format(home: Home) -> None:
    home.ok("import", str(FIXTURES / "huntr-export.csv"), "--date-format", "%m/%d/%Y")
    assert by_company(home)["Humongous Insurance"]["applied_on"] == "2026-10-28"


def test_excel_eu_fixture(home: Home) -> None:
    out = home.ok("import", str(FIXTURES / "excel-eu-semicolon-cp1252.csv"),
                  "--date-format", "%d.%m.%Y")
    assert "cp1252" in out and "semicolon-separated" in out
    found = by_company(home)
    assert {c: (a["role"], a["stage"], a["applied_on"]) for c, a in found.items()} == {
        "Wingtip Toys": ("Außendienst Vertrieb", "applied", "2026-11-03"),
        "Graphic Design Institute": ("Chargé d'affaires", "interviewing", "2026-11-07"),
        "School of Fine Art": ("Key Account Manager", "applied", "2026-11-12"),
    }
    assert found["Wingtip Toys"]["contacts"][0]["name"] == "Anna Köhler"


def test_excel_eu_fixture_with_explicit_mapping(home: Home) -> None:
    """The same file through --column and --stage-map, as for a language nudger does not
    know: the explicit words win over the built-in ones."""
    home.ok("import", str(FIXTURES / "excel-eu-semicolon-cp1252.csv"), "--date-format", "dmy",
            "--column", "Firma=company", "--column", "Stelle=role",
            "--column", "beworben am=applied", "--column", "Ansprechpartner=ignore",
            "--stage-map", "Entretien=offer", "--stage-map", "beworben=applied")
    found = by_company(home)
    assert found["Graphic Design Institute"]["stage"] == "offer"
    assert found["Wingtip Toys"]["contacts"] == []


# --- matching, dry run, all or nothing ---------------------------------------------------

def test_reimport_adds_nothing_and_dry_run_changes_nothing(home: Home) -> None:
    path = str(FIXTURES / "spreadsheet.csv")
    out = home.ok("import", path, "--dry-run")
    assert "would add 7 applications" in out
    assert "add: line 9: Adventure Works" in out  # the physical line, after a 3-line cell
    assert apps(home) == []
    home.ok("import", path)
    out = home.ok("import", path)
    assert "added 0 applications; updated 0; skipped 7" in out
    assert len(apps(home)) == 7


def test_a_later_stage_in_the_file_updates_the_application(home: Home, tmp_path: Path) -> None:
    first = write(tmp_path, "Company,Role,Date Applied,Status\nAcme,AE,2026-11-02,Applied\n")
    home.ok("import", str(first))
    later = write(tmp_path, "Company,Role,Date Applied,Status\nAcme,AE,2026-11-02,Interview\n"
                  "Acme,AE,2026-11-09,Applied\n", "later.csv")
    out = home.ok("import", str(later), "--dry-run")
    assert "update: line 2: #1 Acme — AE: applied → interviewing" in out
    out = home.ok("import", str(later))
    assert "added 1 applications; updated 1; skipped 0" in out
    assert [a["stage"] for a in apps(home)] == ["interviewing", "applied"]
    # An older file never moves an application back.
    home.ok("import", str(first))
    assert apps(home)[0]["stage"] == "interviewing"


def test_match_on_url_before_company_role_and_date(home: Home, tmp_path: Path) -> None:
    home.ok("import", str(write(tmp_path, "Company,Role,URL\nAcme,AE,https://a.example/1\n")))
    again = write(tmp_path, "Company,Role,URL\nACME Corp,Account Exec,https://a.example/1/\n"
                  "Acme,AE,https://a.example/2\n", "again.csv")
    out = home.ok("import", str(again))
    assert "added 1 applications; updated 0; skipped 1" in out


def test_duplicate_rows_in_one_file(home: Home, tmp_path: Path) -> None:
    path = write(tmp_path, "Company,Role,Applied\nAcme,AE,2026-11-02\nAcme,AE,2026-11-02\n"
                 "acme,ae,2026-11-02\n")
    out = home.ok("import", str(path), "--dry-run")
    assert "skip: line 3: Acme — AE (applied, applied 2026-11-02): same as line 2" in out
    out = home.ok("import", str(path))
    assert "added 1 applications; updated 0; skipped 2" in out


def test_all_or_nothing_and_skip_bad(home: Home, tmp_path: Path) -> None:
    path = write(tmp_path, "Company,Role,Applied\nAcme,AE,2026-11-02\nGlobex,SDR,2025-02-30\n"
                 "Initech,AM,2026-11-03\n")
    result = home.run("import", str(path))
    assert result.code == 1
    assert "nothing was imported" in result.err and "--skip-bad" in result.err
    [problem] = problems(result.err)
    assert problem == {"file": str(path), "line": "3", "column": "Applied",
                       "what": "'2025-02-30' is not a real date (February 2025 has 28 days)"}
    assert apps(home) == []
    result = home.run("import", str(path), "--skip-bad")
    assert result.code == 0
    assert "added 2 applications" in result.out
    assert "1 bad row(s) skipped" in result.err and f"{path}:3 (column 'Applied')" in result.err
    assert [a["company"] for a in apps(home)] == ["Acme", "Initech"]


# --- hostile files -----------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "cp1252", "utf-8"])
def test_encodings(home: Home, tmp_path: Path, encoding: str) -> None:
    text = "Company,Role,Notes\r\nCafé Noir,Vendeur,déjà vu – “quoted”\r\n"
    path = write(tmp_path, text, encoding=encoding)
    out = home.ok("import", str(path))
    app = apps(home)[0]
    assert (app["company"], app["notes"]) == ("Café Noir", "déjà vu – “quoted”")
    label = {"utf-8-sig": "UTF-8 (with BOM)", "utf-16": "UTF-16 (with BOM)",
             "cp1252": "cp1252", "utf-8": "UTF-8,"}[encoding]
    assert label in out


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom(home: Home, tmp_path: Path, codec: str) -> None:
    out = home.ok("import", str(write(tmp_path, "Company,Role\nAcmé,AE\n", encoding=codec)))
    assert f"UTF-16 {codec[-2:].upper()} (no BOM)" in out
    assert apps(home)[0]["company"] == "Acmé"


def test_a_file_that_is_no_known_encoding(home: Home, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    # 0x81 is neither UTF-8 here nor defined in cp1252.
    path.write_bytes(b"Company,Role\nAcme,AE\nGlob\x81ex,SDR\n")
    result = home.run("import", str(path))
    assert result.code == 1
    assert f"{path}:3: byte 0x81" in result.err and "UTF-8" in result.err


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_delimiters(home: Home, tmp_path: Path, delimiter: str) -> None:
    rows = [["Company", "Role", "Location"], ["Acme, Inc.", "AE; East", "Chicago"]]
    text = "\n".join(delimiter.join(f'"{c}"' if delimiter in c or "," in c or ";" in c
                                    else c for c in row) for row in rows) + "\n"
    home.ok("import", str(write(tmp_path, text)))
    app = apps(home)[0]
    assert (app["company"], app["role"], app["location"]) == ("Acme, Inc.", "AE; East",
                                                              "Chicago")


def test_physical_lines_after_quoted_line_breaks(home: Home, tmp_path: Path) -> None:
    text = ('Company,Notes,Role,Applied\r\n'
            'Acme,"one\r\ntwo\r\nthree",AE,2026-11-02\r\n'
            'Globex,"a\nb",SDR,2026-13-01\r\n')
    result = home.run("import", str(write(tmp_path, text)))
    [problem] = problems(result.err)
    # The row starts on line 5; its date cell comes after one line break in Notes.
    assert (problem["line"], problem["column"]) == ("6", "Applied")
    assert "no month 13" in problem["what"]


def test_nul_bytes(home: Home, tmp_path: Path) -> None:
    path = write(tmp_path, "Company,Role\nAc\x00me,AE\nGood,Row\n")
    result = home.run("import", str(path))
    [problem] = problems(result.err)
    assert (problem["line"], problem["column"]) == ("2", "Company")
    assert "NUL" in problem["what"]


def test_a_200_kb_cell(home: Home, tmp_path: Path) -> None:
    big = "x" * 200_000
    path = write(tmp_path, f'Company,Role,Notes\nAcme,AE,"{big}"\nGlobex,SDR,short\n')
    result = home.run("import", str(path))
    [problem] = problems(result.err)
    assert (problem["line"], problem["column"]) == ("2", "Notes")
    assert "200000 characters long; the limit is 10000" in problem["what"]
    assert home.run("import", str(path), "--skip-bad").code == 0
    assert [a["company"] for a in apps(home)] == ["Globex"]


def test_ragged_rows(home: Home, tmp_path: Path) -> None:
    # Short rows are missing trailing empty cells (spreadsheets trim them); extra empty
    # cells are harmless; extra cells with text mean a broken row.
    path = write(tmp_path, "Company,Role,Location,Notes\nAcme,AE\nGlobex,SDR,Remote,,,\n"
                 "Initech,AM,Austin,n,surprise\n")
    result = home.run("import", str(path))
    [problem] = problems(result.err)
    assert problem["line"] == "4" and problem["column"] is None
    assert "5 cells but the header has 4" in problem["what"] and "'surprise'" in problem["what"]
    home.ok("import", str(path), "--skip-bad")
    assert [a["company"] for a in apps(home)] == ["Acme", "Globex"]


def test_missing_headers(home: Home, tmp_path: Path) -> None:
    path = write(tmp_path, "Acme,Account Executive,2026-11-02\nGlobex,SDR,2026-11-03\n")
    result = home.run("import", str(path))
    assert result.code == 1
    assert f"{path}:1: no company or role column; the columns found: 'Acme', " \
        "'Account Executive', '2026-11-02'" in result.err
    assert "--column" in result.err and "Traceback" not in result.err
    only_role = write(tmp_path, "Title,Where\nAE,Chicago\n", "role.csv")
    result = home.run("import", str(only_role))
    assert "no company column; the columns found: 'Title', 'Where'" in result.err


@pytest.mark.parametrize("text", ["", "\n\n  \n", "\ufeff"])
def test_empty_files(home: Home, tmp_path: Path, text: str) -> None:
    result = home.run("import", str(write(tmp_path, text)))
    assert result.code == 1 and ":1: the file is empty" in result.err


def test_header_only(home: Home, tmp_path: Path) -> None:
    out = home.ok("import", str(write(tmp_path, "Company,Role\n")))
    assert "added 0 applications" in out


def test_formula_cells(home: Home, tmp_path: Path) -> None:
    path = write(tmp_path, 'Company,Role,Notes,Phone\n'
                 '"=HYPERLINK(""http://evil.example"",""Acme"")",AE,,\n'
                 "Globex,SDR,=1+2,+1 312 555 0100\n"
                 "'=Initech,'-AM,'@note,\n")
    result = home.run("import", str(path))
    [problem] = problems(result.err)
    assert (problem["line"], problem["column"]) == ("2", "Company")
    assert "spreadsheet formula" in problem["what"]
    home.ok("import", str(path), "--skip-bad")
    found = by_company(home)
    assert found["Globex"]["notes"] == "=1+2"  # notes are text; export defuses them
    assert found["Globex"]["contacts"][0]["phone"] == "+1 312 555 0100"
    # The apostrophe nudger's export adds is taken off again.
    assert found["=Initech"]["role"] == "-AM" and found["=Initech"]["notes"] == "@note"


def test_line_breaks_in_one_line_fields(home: Home, tmp_path: Path) -> None:
    path = write(tmp_path, 'Company,Role,Email\nAcme,"Account\nExecutive",a@acme.example\n'
                 "Globex,SDR,not-an-email\n")
    result = home.run("import", str(path))
    found = problems(result.err)
    assert [(p["line"], p["column"]) for p in found] == [("2", "Role"), ("4", "Email")]
    assert "line break" in found[0]["what"]
    assert "dana@acme.example" in found[1]["what"]


def test_unknown_stage_word_and_stage_map(home: Home, tmp_path: Path) -> None:
    path = write(tmp_path, "Company,Role,Status\nAcme,AE,Waiting on HR\n")
    result = home.run("import", str(path))
    [problem] = problems(result.err)
    assert problem["column"] == "Status"
    assert "--stage-map 'Waiting on HR=applied'" in problem["what"]
    home.ok("import", str(path), "--stage-map", "waiting on hr=interviewing")
    assert apps(home)[0]["stage"] == "interviewing"


@pytest.mark.parametrize(("args", "message"), [
    (["--column", "Nope=company"], "has no column 'Nope'"),
    (["--column", "Company=boss"], "'boss' is not a field"),
    (["--column", "Company"], "write it as FROM=TO"),
    (["--stage-map", "Foo=bar"], "'bar' is not a stage"),
    (["--date-format", "%Y"], "--date-format '%Y'"),
])
def test_bad_options(home: Home, tmp_path: Path, args: list[str], message: str) -> None:
    result = home.run("import", str(write(tmp_path, "Company,Role\nAcme,AE\n")), *args)
    assert result.code == 2 and message in result.err


def test_missing_file(home: Home, tmp_path: Path) -> None:
    result = home.run("import", str(tmp_path / "nope.csv"))
    assert result.code == 2 and "no such file" in result.err


def test_json_report(home: Home) -> None:
    out = home.ok("import", str(FIXTURES / "spreadsheet.csv"), "--json", "--dry-run")
    report = json.loads(out)
    assert report["added"] == 7 and report["dry_run"] is True
    assert report["columns"]["role"] == "Position"


# --- pieces ------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("2026-11-04", date(2026, 11, 4)),
    ("2026-10-30T00:00:00.000Z", date(2026, 10, 30)),
    ("2026-10-30 14:02", date(2026, 10, 30)),
    ("2026/11/04", date(2026, 11, 4)),
    ("Nov 4, 2026", date(2026, 11, 4)),
    ("4 November 2026", date(2026, 11, 4)),
    ("Wednesday, November 4th, 2026", date(2026, 11, 4)),
    ("04-Nov-26", date(2026, 11, 4)),
    ("4. März 2026", date(2026, 3, 4)),
    ("46330", date(2026, 11, 4)),
    ("46330.5", date(2026, 11, 4)),
    ("", None),
])
def test_dates_without_a_format(text: str, expected: date | None) -> None:
    assert DateReader(None)(text) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("03/04/2025", "could be 3 April or March 4"),
    ("25/12/2026", "reads as day/month"),
    ("2025-02-30", "February 2025 has 28 days"),
    ("2026-13-01", "no month 13"),
    ("1234", "not a date nudger can read"),
    ("99999", "not a spreadsheet date"),
    ("next tuesday", "not a date nudger can read"),
    ("0001-01-01", "year 1 is out of range"),
])
def test_bad_dates(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        DateReader(None)(text)


@pytest.mark.parametrize(("fmt", "text", "expected"), [
    ("dmy", "03/04/2025", date(2025, 4, 3)),
    ("mdy", "03/04/2025", date(2025, 3, 4)),
    ("mdy", "3-4-25", date(2025, 3, 4)),
    ("%d.%m.%Y", "03.11.2026", date(2026, 11, 3)),
    ("%m/%d/%Y", "11/15/2026", date(2026, 11, 15)),
    ("%d.%m.%Y", "2026-11-03", date(2026, 11, 3)),  # ISO is read whatever the format
])
def test_dates_with_a_format(fmt: str, text: str, expected: date) -> None:
    assert DateReader(fmt)(text) == expected


def test_impossible_date_with_a_format() -> None:
    with pytest.raises(ValueError, match="is not a real date"):
        DateReader("mdy")("02/30/2026")
    with pytest.raises(ValueError, match="does not match --date-format"):
        DateReader("%d.%m.%Y")("30.02.2026")


@pytest.mark.parametrize(("line", "expected"), [
    ("a,b,c", ","), ("a;b;c", ";"), ("a\tb\tc", "\t"), ('"a;b",c', ","), ("abc", ","),
    ('"x,y";"z,w";v', ";"),
])
def test_sniff_delimiter(line: str, expected: str) -> None:
    assert sniff_delimiter(line) == expected
