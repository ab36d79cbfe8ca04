"""`nudger seeker ...` through the CLI entry point on SQLite and on PostgreSQL, the clock
frozen on Friday 2026-11-27, 09:00 in Chicago (config.toml's zone; its digest is the
default 07:30 on weekdays)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, ForeignKey, Integer, String, Table, func, select
from sqlmodel import SQLModel

from tests.clock import frozen
from tests.conftest import Home, on_engine

NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # a Friday: the next digest is Monday's
MONDAY_0730_CHICAGO = "2026-11-30T13:30:00+00:00"
KEYS = ["email", "name", "timezone", "at", "days", "enabled", "next_digest_at", "phone",
        "pitch", "signature", "social", "created_at", "updated_at", "bounced_at", "bounce_detail"]


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with frozen(NOW):
        yield


@pytest.fixture
def home(home: Home, engine: str, request: pytest.FixtureRequest,
         monkeypatch: pytest.MonkeyPatch) -> Home:
    """Every test here runs on SQLite and on PostgreSQL."""
    return on_engine(home, engine, request, monkeypatch)


def listed(home: Home) -> list[dict[str, Any]]:
    data = json.loads(home.ok("seeker", "list", "--json"))
    assert isinstance(data, list)
    return data


def refused(home: Home, *args: str, code: int = 2) -> str:
    """The one-line error of a refused command; the seekers are unchanged."""
    before = listed(home)
    result = home.run(*args)
    assert result.code == code, (result.code, result.out, result.err)
    assert "Traceback" not in result.err and result.err.startswith("nudger: ")
    assert listed(home) == before
    return result.err


def test_add_list_show_and_the_json_shape(home: Home) -> None:
    assert "no seekers yet" in home.ok("seeker", "list")
    assert listed(home) == []
    out = home.ok("seeker", "add", "Dana@Example.COM", "--name", "Dana Reyes")
    assert "added seeker dana@example.com" in out and MONDAY_0730_CHICAGO in out
    home.ok("seeker", "add", "lee@example.org", "--name", "Lee Park", "--timezone",
            "Asia/Tokyo", "--at", "6:15", "--days", "sat,Mon")
    dana, lee = listed(home)
    assert list(dana) == KEYS
    assert dana == {**dana, "email": "dana@example.com", "name": "Dana Reyes",
                    "timezone": "", "at": "", "days": "", "enabled": True,
                    "next_digest_at": MONDAY_0730_CHICAGO,
                    "created_at": "2026-11-27T15:00:00+00:00"}
    # 06:15 on Saturday 28 November in Tokyo is 21:15 UTC on Friday.
    assert (lee["timezone"], lee["at"], lee["days"], lee["next_digest_at"]) == (
        "Asia/Tokyo", "06:15", "mon,sat", "2026-11-27T21:15:00+00:00")
    table = home.ok("seeker", "list")
    assert "dana@example.com" in table and "2026-11-30 13:30" in table
    shown = home.ok("seeker", "show", "LEE@example.org")
    assert "time zone:   Asia/Tokyo" in shown and "digest days: mon,sat" in shown
    assert json.loads(home.ok("seeker", "show", "lee@example.org", "--json")) == lee


def test_a_bouncing_address_is_shown_in_list_and_show(home: Home) -> None:
    from datetime import datetime

    from sqlalchemy import text

    home.ok("seeker", "add", "dana@example.com", "--name", "Dana Reyes")
    db = home.open_db()
    with db.session(every_seeker=True) as session:  # as a refused digest leaves it
        session.connection().execute(text(
            "UPDATE seeker SET bounced_at = :t, bounce_detail = '550 5.1.1 no such user' "
            "WHERE email = 'dana@example.com'"), {"t": datetime(2026, 11, 27, 8, 0)})
    db.dispose()
    assert "(address bouncing)" in home.ok("seeker", "list")
    shown = home.ok("seeker", "show", "dana@example.com")
    assert "bouncing:    the relay refused this address on 2026-11-27 08:00 UTC: 550 5.1.1 " \
        "no such user" in shown
    assert "--email NEW" in shown


def test_edit_disable_enable_keep_the_next_digest(home: Home) -> None:
    home.ok("seeker", "add", "dana@example.com", "--name", "Dana")
    out = home.ok("seeker", "edit", "dana@example.com", "--timezone", "Europe/Paris",
                  "--at", "08:00", "--phone", "+33 1 23", "--pitch", "Line one\nline two")
    assert "changed seeker dana@example.com: timezone, at, phone, pitch" in out
    (dana,) = listed(home)
    # Monday 08:00 in Paris (CET) is 07:00 UTC.
    assert dana["next_digest_at"] == "2026-11-30T07:00:00+00:00"
    assert (dana["phone"], dana["pitch"]) == ("+33 1 23", "Line one\nline two")
    home.ok("seeker", "edit", "dana@example.com", "--at", "", "--email", "D@Example.org")
    (dana,) = listed(home)
    assert (dana["email"], dana["at"]) == ("d@example.org", "")
    assert dana["next_digest_at"] == "2026-11-30T06:30:00+00:00"  # 07:30 Paris
    assert "disabled" in home.ok("seeker", "disable", "d@example.org")
    assert listed(home)[0]["next_digest_at"] is None
    assert listed(home)[0]["enabled"] is False
    assert "already disabled" in home.ok("seeker", "disable", "d@example.org")
    assert "disabled" in home.ok("seeker", "list")
    home.ok("seeker", "enable", "d@example.org")
    assert listed(home)[0]["next_digest_at"] == "2026-11-30T06:30:00+00:00"


@pytest.mark.parametrize(("args", "message"), [
    (("seeker", "add", "not-an-address", "--name", "X"), "'not-an-address' is not an email"),
    (("seeker", "add", "x@example.org", "--name", " "), "--name: --name is empty"),
    (("seeker", "add", "x@example.org", "--name", "X", "--timezone", "Europe/Pariss"),
     "did you mean 'Europe/Paris'?"),
    (("seeker", "add", "x@example.org", "--name", "X", "--at", "7pm"),
     "--at: '7pm' is not a 24-hour time"),
    (("seeker", "add", "x@example.org", "--name", "X", "--days", "mon,funday"),
     "--days: 'funday' is not a weekday"),
    (("seeker", "add", "x@example.org", "--name", "X\r\nBcc: evil@example.org"),
     "must be one line"),
    (("seeker", "add", "dana@example.com", "--name", "Again"), "already there"),
    (("seeker", "edit", "dana@example.com", "--email", "lee@example.org"), "already there"),
    (("seeker", "edit", "dana@example.com"), "say what to change"),
    (("seeker", "edit", "nobody@example.com", "--at", "08:00"), "no seeker 'nobody@"),
    (("seeker", "show", "nobody@example.com"), "`nudger seeker list` shows"),
    (("seeker", "remove", "nobody@example.com", "--yes"), "no seeker"),
    (("seeker",), "say what to do"),
])
def test_mistakes_are_one_line_and_change_nothing(home: Home, args: tuple[str, ...],
                                                  message: str) -> None:
    home.ok("seeker", "add", "dana@example.com", "--name", "Dana")
    home.ok("seeker", "add", "lee@example.org", "--name", "Lee")
    assert message in refused(home, *args)


@pytest.fixture
def scratch_table() -> Iterator[Table]:
    """A table with a seeker_id column that is not one of the models: `seeker remove` must
    find it as it finds every table that has the column."""
    table = Table("scratch_note", SQLModel.metadata,
                  Column("id", Integer, primary_key=True),
                  Column("seeker_id", Integer, ForeignKey("seeker.id"), nullable=False),
                  Column("text", String, nullable=False))
    try:
        yield table
    finally:
        SQLModel.metadata.remove(table)


def test_remove_says_what_it_would_delete_then_deletes_only_that_seeker(
        home: Home, scratch_table: Table) -> None:
    from nudger.store.models import Seeker, table_of

    for email in ("dana@example.com", "lee@example.org"):
        home.ok("seeker", "add", email, "--name", email)
    db = home.open_db()
    try:
        with db.session(every_seeker=True) as session:
            connection = session.connection()
            scratch_table.create(connection)
            for email, seeker_id in connection.execute(
                    select(table_of(Seeker).c.email, table_of(Seeker).c.id)).all():
                connection.execute(scratch_table.insert(), [
                    {"seeker_id": seeker_id, "text": email} for _ in range(2)])
    finally:
        db.dispose()
    err = refused(home, "seeker", "remove", "dana@example.com", code=1)
    assert "would delete seeker dana@example.com" in err and "scratch_note 2" in err
    assert "nudger seeker remove dana@example.com --yes" in err
    out = home.ok("seeker", "remove", "dana@example.com", "--yes")
    assert "scratch_note 2, seeker 1" in out
    assert [s["email"] for s in listed(home)] == ["lee@example.org"]
    db = home.open_db()
    try:
        with db.read_session(every_seeker=True) as session:
            left = session.connection().execute(select(scratch_table.c.text)).scalars().all()
            assert left == ["lee@example.org", "lee@example.org"]
            assert session.connection().execute(
                select(func.count()).select_from(scratch_table)).scalar_one() == 2
    finally:
        db.dispose()


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_import_keeps_the_good_rows_and_reports_the_bad_by_line(home: Home,
                                                                 tmp_path: Path) -> None:
    home.ok("seeker", "add", "dana@example.com", "--name", "Dana")
    csv = write(tmp_path / "students.csv", (
        "Email,Name,timezone,at,days\n"
        "a@example.org,Ann,,,\n"
        "b@example.org,Bo,Europe/Pariss,,\n"
        "c@example.org,Cy,,25:00,\n"
        "A@example.org,Ann again,,,\n"
        "\n"
        "d@example.org,,,,\n"
        "e@example.org,Ed,,,\"mon,funday\"\n"
        "dana@example.com,Dana,,,\n"
        "not-an-email,Fi,,,\n"
        "g@example.org,Gil,Asia/Tokyo,6:15,sat\n"
        "h@example.org,Hal,,,,extra\n"))
    result = home.run("seeker", "import", str(csv))
    assert result.code == 1, result.err
    assert ": 10 rows; added 2 seekers" in result.out  # the blank line is no row
    assert f"{csv}:9: dana@example.com" in result.out  # already there, left alone
    problems = [line.strip() for line in result.err.splitlines()[1:]]
    assert problems == [
        f"nudger:   {csv}:3: column 'timezone': 'Europe/Pariss' is not an IANA time zone "
        "name (did you mean 'Europe/Paris'?); write one like \"America/Chicago\"",
        f"nudger:   {csv}:4: column 'at': '25:00' is not a time of day; write one between "
        "\"00:00\" and \"23:59\"",
        f"nudger:   {csv}:5: column 'email': a@example.org is already on line 2; each "
        "seeker once",
        f"nudger:   {csv}:7: column 'name': name is empty; give the seeker's name, e.g. "
        "\"Alex Doe\"",
        f"nudger:   {csv}:8: column 'days': 'funday' is not a weekday; write days like "
        "\"mon,tue,wed\" from mon,tue,wed,thu,fri,sat,sun",
        f"nudger:   {csv}:10: column 'email': 'not-an-email' is not an email address; "
        "write one like alex@example.com",
        f"nudger:   {csv}:12: 6 cells for 5 columns (a comma inside a value needs quotes)",
    ]
    seekers = {s["email"]: s for s in listed(home)}
    assert sorted(seekers) == ["a@example.org", "dana@example.com", "g@example.org"]
    assert seekers["a@example.org"]["next_digest_at"] == MONDAY_0730_CHICAGO
    assert seekers["g@example.org"]["next_digest_at"] == "2026-11-27T21:15:00+00:00"
    # Fixed and imported again: the rows already there are reported, the rest added.
    fixed = write(tmp_path / "fixed.csv", "email,name,timezone\na@example.org,Ann,\n"
                  "b@example.org,Bo,Europe/Paris\n")
    report = json.loads(home.ok("seeker", "import", str(fixed), "--json"))
    assert report == {"file": str(fixed), "rows": 2, "added": 1,
                      "already_present": [f"{fixed}:2: a@example.org"], "problems": []}


@pytest.mark.parametrize(("text", "message"), [
    ("", "empty; the first line must name the columns"),
    ("email,nom\nx@example.org,X\n", ":1: column 'nom' is not one nudger knows; the "
     "columns are email, name, timezone, at, days"),
    ("email,timezone\nx@example.org,UTC\n", ":1: no 'name' column"),
    ("x@example.org,X\n", ":1: column 'x@example.org' is not one nudger knows"),
    ("email,name,email\n", ":1: column 'email' appears twice"),
])
def test_a_file_nudger_cannot_read_as_seekers_adds_nothing(home: Home, tmp_path: Path,
                                                          text: str, message: str) -> None:
    path = write(tmp_path / "s.csv", text)
    assert message in refused(home, "seeker", "import", str(path), code=1)


def test_a_missing_file_is_named(home: Home, tmp_path: Path) -> None:
    err = refused(home, "seeker", "import", str(tmp_path / "none.csv"), code=1)
    assert f"{tmp_path / 'none.csv'}: cannot read" in err


def test_import_in_chunks_adds_them_all(home: Home, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from nudger.track import seekers

    monkeypatch.setattr(seekers, "CHUNK", 7)
    lines = ["email,name,at"] + [f"s{n}@example.org,S {n},{n % 24}:00" for n in range(50)]
    path = write(tmp_path / "many.csv", "\n".join(lines) + "\n")
    assert "50 rows; added 50 seekers" in home.ok("seeker", "import", str(path))
    assert len(listed(home)) == 50
