"""Every command, run for one seeker, leaves another seeker's rows exactly as they were and
never shows them (README: "Many seekers on PostgreSQL").

Two seekers hold look-alike data: the same companies, the same numbers (#1, #2), the same
contact. Bob's rows carry markers of their own (BOBMARK in notes, a phone and a contact
name) that no output of a command for Ann may contain. Each command runs for Ann with
`--seeker`; afterwards every row of Bob's, in every table, is compared with a snapshot.
tests/test_docs.py knows every command: a command missing from RUNS fails here."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from tests.conftest import Home, on_engine
from tests.test_docs import every_command

ANN, BOB = "ann@example.com", "bob@example.com"
MARKERS = ("BOBMARK", "+1 555 0199 77", "Robin Bobson")

# command → the arguments after it (run for Ann). `None`: the command needs no database
# or a server this test has not got; it still runs, and still must leave Bob's rows alone.
RUNS: dict[str, tuple[str, ...]] = {
    "init": ("init",),
    "add": ("add", "Initech", "Analyst", "--applied", "2026-11-20"),
    "list": ("list",),
    "show": ("show", "1"),
    "edit": ("edit", "1", "--notes", "ann edit"),
    "rm": ("rm", "2"),
    "log": ("log", "1", "email"),
    "stage": ("stage", "1", "interviewing"),
    "snooze": ("snooze", "1", "2026-12-24"),
    "contact": ("contact", "1", "Sam Roe <sam@northwind.example>"),
    "due": ("due", "--days", "90"),
    "done": ("done", "1"),
    "skip": ("skip", "1"),
    "digest": ("digest",),
    "check": ("check",),
    "calendar": ("calendar", "--days", "90"),
    "test-email": ("test-email",),
    "status": ("status",),
    "capture": ("capture", "{mbox}"),
    "mail": ("mail", "sync"),
    "mail sync": ("mail", "sync"),
    "suggestions": ("suggestions",),
    "accept": ("accept", "S1"),
    "dismiss": ("dismiss", "S1"),
    "resume": ("resume", "1"),
    "run": ("run", "--help"),
    "service": ("service", "install", "--dry-run"),
    "service install": ("service", "install", "--dry-run"),
    "import": ("import", "{csv}"),
    "export": ("export", "--format", "json"),
    "stats": ("stats", "--json"),
    # Administering seekers acts across seekers by design; for Ann it leaves Bob's rows.
    "seeker": ("seeker", "list"),
    "seeker add": ("seeker", "add", "carl@example.com", "--name", "Carl"),
    "seeker list": ("seeker", "list", "--json"),
    "seeker show": ("seeker", "show", ANN),
    "seeker edit": ("seeker", "edit", ANN, "--name", "Ann B"),
    "seeker disable": ("seeker", "disable", ANN),
    "seeker enable": ("seeker", "enable", ANN),
    "seeker remove": ("seeker", "remove", ANN, "--yes"),
    "seeker import": ("seeker", "import", "{seekers}"),
    "db": ("db", "copy", "--help"),
    "db copy": ("db", "copy", "--help"),
    # Workers need PostgreSQL: on SQLite it refuses; on PostgreSQL --help (it runs forever).
    "worker": ("worker", "--help"),
}
# Also the JSON views, which print more of each row.
EXTRA = {"list --json": ("list", "--json"), "show --json": ("show", "1", "--json"),
         "due --json": ("due", "--json", "--days", "90"), "digest --send": ("digest", "--send"),
         "export csv": ("export",)}
# The tables of a seeker's rows (nudger/store/scope.py).
TABLES = ("application", "contact", "touch", "stagechange", "snooze", "digest",
          "calendar_event", "calendar_sync", "mailmessage", "mailfolder", "mailsync",
          "suggestion", "mailcommand", "mailcommand_button", "maildraft")


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_every_command_is_tried() -> None:
    assert {name for name, _ in every_command()} == set(RUNS)


def _seed(home: Home) -> None:
    """Two seekers, then the same hunt for each (Bob's with his markers)."""
    home.ok("add", "Placeholder", "Role")  # makes the single user's seeker: renamed to Ann
    home.ok("rm", "1")
    _sql(home, f"UPDATE seeker SET email = '{ANN}', name = 'Ann'")
    _sql(home, "INSERT INTO seeker (email, name, phone, pitch, signature, social, timezone, "
               "digest_at, digest_days, enabled, created_at, updated_at) VALUES "
               f"('{BOB}', 'Bob', '', '', '', '', '', '', '', TRUE, "
               "'2026-11-01 00:00:00', '2026-11-01 00:00:00')")
    for who, notes, phone, name in ((ANN, "ann notes", "+1 555 0100 11", "Dana Lee"),
                                    (BOB, "BOBMARK notes", "+1 555 0199 77", "Robin Bobson")):
        home.ok("--seeker", who, "add", "Northwind", "Account Executive", "--applied",
                "2026-11-02", "--notes", notes, "--contact", f"{name} <dana@northwind.example>")
        home.ok("--seeker", who, "add", "Globex", "Analyst", "--applied", "2026-11-03")
        home.ok("--seeker", who, "contact", "1", f"{name} <dana@northwind.example>",
                "--phone", phone)
        home.ok("--seeker", who, "log", "2", "call", "--date", "2026-11-10")
        home.ok("--seeker", who, "snooze", "2", "2026-12-01")


def _sql(home: Home, sql: str) -> list[tuple[Any, ...]]:
    if home.pg_url:
        import psycopg

        from nudger.store.pgurl import parse
        from tests import pgserver

        target = parse(home.pg_url)
        with psycopg.connect(host=target.host, port=target.port, dbname=target.dbname,
                             user=target.user, password=pgserver.PASSWORD) as con:
            cursor = con.execute(sql)
            return list(cursor.fetchall()) if cursor.description else []
    con = sqlite3.connect(home.db_path)
    try:
        rows = con.execute(sql.replace("TRUE", "1")).fetchall()
        con.commit()
        return rows
    finally:
        con.close()


def _bobs(home: Home) -> dict[str, list[tuple[Any, ...]]]:
    bob = _sql(home, f"SELECT id FROM seeker WHERE email = '{BOB}'")[0][0]
    return {table: sorted(map(tuple, _sql(home, f"SELECT * FROM {table} WHERE seeker_id = "
                                                 f"{bob}")), key=repr) for table in TABLES}


@pytest.fixture
def seeded(home: Home, engine: str, request: pytest.FixtureRequest,
           monkeypatch: pytest.MonkeyPatch) -> Home:
    home = on_engine(home, engine, request, monkeypatch)
    _seed(home)
    return home


def _arguments(home: Home, args: tuple[str, ...]) -> tuple[str, ...]:
    mbox = home.root / "empty.mbox"
    mbox.write_bytes(b"")
    seekers = home.root / "seekers.csv"
    seekers.write_text("email,name\ncarl@example.com,Carl\n")
    csv = home.root / "in.csv"
    csv.write_text("company,role,applied\nNorthwind,Account Executive,2026-11-02\n"
                   "Hooli,Engineer,2026-11-04\n")
    return tuple(a.format(mbox=mbox, csv=csv, seekers=seekers) for a in args)


# The store and tracker commands run on PostgreSQL as well.
ON_BOTH = {"add", "list", "show", "edit", "rm", "log", "stage", "snooze", "contact", "due",
           "done", "skip", "digest", "status", "import", "export", "stats", "list --json",
           "show --json", "due --json", "export csv", "suggestions", "resume"}


@pytest.mark.parametrize(("engine", "name"), [
    (engine, name) for name in sorted(RUNS) + sorted(EXTRA)
    for engine in (("sqlite", "postgresql") if name in ON_BOTH else ("sqlite",))])
def test_a_command_for_one_seeker_leaves_the_other_alone(seeded: Home, name: str) -> None:
    home = seeded
    before = _bobs(home)
    assert before["application"] and before["contact"] and before["touch"]
    args = _arguments(home, RUNS.get(name) or EXTRA[name])
    result = home.run("--seeker", ANN, *args)
    shown = result.out + result.err
    for marker in MARKERS:
        assert marker not in shown, (name, marker, shown)
    assert "Traceback" not in shown and "names no seeker" not in shown, shown
    assert _bobs(home) == before, name


def test_without_a_seeker_a_command_says_how_to_choose(seeded: Home) -> None:
    result = seeded.run("list")
    assert result.code == 2, result.err
    assert "--seeker EMAIL" in result.err and "NUDGER_SEEKER" in result.err
    assert "nudger seeker list" in result.err and "Traceback" not in result.err
    result = seeded.run("--seeker", "nobody@example.com", "list")
    assert result.code == 2 and "no seeker 'nobody@example.com'" in result.err


def test_numbers_are_per_seeker(seeded: Home, monkeypatch: pytest.MonkeyPatch) -> None:
    home = seeded
    monkeypatch.setenv("NUDGER_SEEKER", BOB)
    assert "added #3 Initech" in home.ok("add", "Initech", "Analyst")
    listing = home.ok("list")
    assert "BOB" not in listing and "Initech" in listing
    monkeypatch.setenv("NUDGER_SEEKER", ANN)
    assert "added #3 Hooli" in home.ok("add", "Hooli", "Engineer")
    assert "Initech" not in home.ok("list")
    assert "Hooli" in home.ok("show", "3")


def test_what_a_seeker_sees_are_their_numbers_not_the_stores_ids(seeded: Home) -> None:
    """Bob's applications are rows 3 and 4 of the table, and his #1 and #2: `due`, the
    digest and `show` give the numbers, and the numbers are what the commands take."""
    home = seeded
    ids = _sql(home, f"SELECT a.id, a.number FROM application a JOIN seeker s ON "
                     f"s.id = a.seeker_id WHERE s.email = '{BOB}' ORDER BY a.number")
    assert [n for _i, n in ids] == [1, 2] and [i for i, _n in ids] != [1, 2]
    import json

    due = json.loads(home.ok("--seeker", BOB, "due", "--json", "--days", "90"))
    assert {n["id"] for n in due["plan"]} <= {1, 2} and due["plan"]
    assert all(n["command"] in ("nudger done 1", "nudger done 2") for n in due["plan"])
    digest = home.ok("--seeker", BOB, "digest", "--date", "2026-11-20")
    assert "#1 Northwind" in digest or "nudger done 1" in digest, digest
    for internal, _n in ids:
        assert f"#{internal} " not in digest
    assert "BOBMARK" in home.ok("--seeker", BOB, "show", "1")
    exported = json.loads(home.ok("--seeker", BOB, "export", "--format", "json"))
    assert [a["id"] for a in exported["applications"]] == [1, 2]


def test_a_seekers_digest_goes_to_them_in_their_zone(seeded: Home) -> None:
    """config.toml's profile is the organisation's default: a seeker's own email, name and
    time zone take its place in their digest (track/seeker_profile.py)."""
    import email
    from email import policy

    home = seeded
    _sql(home, "UPDATE seeker SET name = 'Bob Builder', timezone = 'Asia/Tokyo', "
               f"digest_at = '06:15' WHERE email = '{BOB}'")
    eml = home.root / "bob.eml"
    home.ok("--seeker", BOB, "digest", "--date", "2026-11-20", "--eml", str(eml))
    msg = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert msg["To"].addresses[0].addr_spec == BOB
    assert "alex@example.com" not in str(msg["To"])
    assert str(msg["Date"]).endswith("+0900"), msg["Date"]  # Tokyo, not config.toml's Chicago
    alex = home.root / "ann.eml"
    home.ok("--seeker", ANN, "digest", "--date", "2026-11-20", "--eml", str(alex))
    mine = email.message_from_bytes(alex.read_bytes(), policy=policy.default)
    assert mine["To"].addresses[0].addr_spec == ANN
