"""The tracking commands through the CLI entry point, against a real SQLite file and a real
PostgreSQL database (each test runs on both, but those about the SQLite file itself)."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime

import pytest

from tests.clock import MONDAY_NOW as NOW  # a working Monday, 10:00 in Chicago
from tests.clock import frozen
from tests.conftest import Home, on_engine

# Monday 2026-11-30, 10:00 in Chicago.


@pytest.fixture
def home(home: Home, engine: str, request: pytest.FixtureRequest,
         monkeypatch: pytest.MonkeyPatch) -> Home:
    return on_engine(home, engine, request, monkeypatch)


@pytest.fixture(autouse=True)
def frozen_clock():
    with frozen(NOW):
        yield


def dump(home: Home) -> list[tuple[object, ...]]:
    """Every row of every table: to prove a failed command changed nothing."""
    if home.pg_url is not None:
        db = home.open_db()
        try:
            with db.connect() as pg:
                tables = [r[0] for r in pg.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                    "ORDER BY tablename")]
                return [(table, *row) for table in tables
                        for row in pg.execute(f"SELECT * FROM {table} ORDER BY 1")]
        finally:
            db.dispose()
    if not home.db_path.exists():
        return []
    con = sqlite3.connect(home.db_path)
    try:
        rows: list[tuple[object, ...]] = []
        for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type='table' "
                                    "ORDER BY name"):
            rows.extend((table, *row) for row in con.execute(f"SELECT * FROM {table}"))
        return rows
    finally:
        con.close()


def add(home: Home, *args: str) -> int:
    out = home.ok("add", *args, "--json")
    return int(json.loads(out)["id"])


@pytest.mark.parametrize("engine", ["sqlite"])  # `init --database FILE` makes SQLite
def test_init_writes_config_and_database(home: Home) -> None:
    home.config.unlink()
    home.db_path.unlink()
    out = home.ok("init", "--name", "Zoë Brontë", "--email", "zoe@example.com",
                  "--database", "nudger.db")
    assert "wrote" in out
    text = home.config.read_text()
    assert 'name = "Zoë Brontë"' in text and 'email = "zoe@example.com"' in text
    assert home.db_path.exists()
    # A second init keeps the user's file.
    result = home.run("init")
    assert result.code == 0 and "keeping it" in result.err
    assert home.config.read_text() == text


@pytest.mark.parametrize("engine", ["sqlite"])  # `init --database FILE` makes SQLite
def test_init_demo_then_list(home: Home) -> None:
    home.config.unlink()
    home.ok("init", "--demo", "--database", "nudger.db")
    rows = json.loads(home.ok("list", "--json"))
    assert len(rows) == 9
    stages = {r["stage"] for r in rows}
    assert {"applied", "interviewing", "wishlist", "offer", "rejected"} <= stages
    assert any(r["next_step"] for r in rows)
    table = home.ok("list")
    assert table.splitlines()[0].split() == ["ID", "COMPANY", "ROLE", "STAGE", "APPLIED",
                                             "LAST", "TOUCH", "NEXT", "STEP"]


def test_add_show_edit_rm(home: Home) -> None:
    app = add(home, "Acme", "Account Executive", "--applied", "2026-11-20",
              "--contact", "Dana Lee <dana@acme.example>", "--url", "https://acme.example/j/1",
              "--location", "Chicago, IL")
    shown = json.loads(home.ok("show", str(app), "--json"))
    assert shown["company"] == "Acme" and shown["applied_on"] == "2026-11-20"
    assert shown["contacts"][0]["email"] == "dana@acme.example"
    assert shown["next_step"]["action"] == "email"
    text = home.ok("show", str(app))
    assert "Dana Lee" in text and "stage → applied" in text

    home.ok("edit", str(app), "--role", "Senior AE", "--interview", "2026-12-02 14:30")
    shown = json.loads(home.ok("show", str(app), "--json"))
    assert shown["role"] == "Senior AE"
    assert shown["interview_at"].startswith("2026-12-02T20:30")  # stored in UTC

    out = home.ok("rm", str(app))
    assert "removed #1 Acme" in out
    assert home.run("show", str(app)).code == 2


def test_add_defaults_to_today_and_wishlist_has_no_applied_date(home: Home) -> None:
    a = json.loads(home.ok("add", "Globex", "SDR", "--json"))
    assert a["applied_on"] == "2026-11-30" and a["stage"] == "applied"
    w = json.loads(home.ok("add", "Initech", "AE", "--stage", "wishlist", "--deadline",
                           "in 5 days", "--json"))
    assert w["applied_on"] is None and w["deadline"] == "2026-12-05"


def test_log_stage_snooze_contact(home: Home) -> None:
    app = add(home, "Acme", "AE", "--applied", "3 days ago")
    out = home.ok("log", str(app), "email", "--note", "asked about interviews")
    assert "completes follow-up 1 of 5: email" in out
    # A touch of another channel resets the clock but completes nothing...
    home.ok("log", str(app), "visit", "--date", "yesterday", "--note", "dropped by")
    shown = json.loads(home.ok("show", str(app), "--json"))
    kinds = [e["text"] for e in shown["timeline"]]
    assert any(k == "visit: dropped by" for k in kinds)
    assert shown["next_step"]["action"] == "call"
    # ...while the action now due completes its step.
    home.ok("log", str(app), "call", "--note", "voicemail")
    shown = json.loads(home.ok("show", str(app), "--json"))
    assert any(e["text"] == "call (step 2): voicemail" for e in shown["timeline"])
    assert shown["next_step"]["action"] == "social"

    home.ok("stage", str(app), "interviewing", "--interview", "2026-12-03 10:00")
    shown = json.loads(home.ok("show", str(app), "--json"))
    assert shown["stage"] == "interviewing" and shown["stage_since"] == "2026-11-30"

    home.ok("snooze", str(app), "3 days")
    shown = json.loads(home.ok("show", str(app), "--json"))
    assert shown["snoozed_until"] == "2026-12-03"
    home.ok("snooze", str(app), "off")
    assert json.loads(home.ok("show", str(app), "--json"))["snoozed_until"] is None

    home.ok("contact", str(app), "Dana <dana@acme.example>", "--phone", "+1 555 0100",
            "--kind", "recruiter")
    contact = json.loads(home.ok("show", str(app), "--json"))["contacts"][0]
    assert contact["kind"] == "recruiter" and contact["phone"] == "+1 555 0100"
    home.ok("contact", str(app), "--rm", str(contact["id"]))
    assert json.loads(home.ok("show", str(app), "--json"))["contacts"] == []


def test_stage_closed_removes_next_step(home: Home) -> None:
    app = add(home, "Acme", "AE")
    home.ok("stage", str(app), "rejected")
    assert json.loads(home.ok("show", str(app), "--json"))["next_step"] is None


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("show", "99"), "no application #99"),
        (("log", "99", "email"), "no application #99"),
        (("rm", "99"), "no application #99"),
        (("stage", "1", "hired"), "unknown stage 'hired'; valid stages: wishlist"),
        (("log", "1", "fax"), "unknown action 'fax'; valid actions: email, call"),
        (("log", "1", "email", "--date", "last tuesdayish"), "is not a date"),
        (("add", "Acme\r\nBcc: evil@example.com", "AE"), "must be one line"),
        (("add", "Acme", "AE\n"), "must be one line"),
        (("add", "Acme", "AE", "--contact", "Dana <dana@acme.example>\r\nBcc: x@y"),
         "must be one line"),
        (("add", "Acme", "AE", "--contact", "Dana <not-an-email>"), "cannot read an email"),
        (("add", "Nul\x00Corp", "AE"), "NUL"),
        (("add", "Acme", "AE", "--applied", "2025-02-30"), "is not a date"),
        (("snooze", "1", "a while"), "neither a duration"),
        (("edit", "1"), "nothing to change"),
        (("contact", "1", "--rm", "42"), "has no contact #42"),
    ],
)
def test_bad_input_exits_2_and_changes_nothing(home: Home, args: tuple[str, ...],
                                               needle: str) -> None:
    add(home, "Existing", "AE", "--contact", "Pat <pat@example.com>")
    before = dump(home)
    result = home.run(*args)
    assert result.code == 2, result
    assert needle in result.err
    assert "Traceback" not in result.err
    assert dump(home) == before


def test_unknown_id_format_is_usage_error(home: Home) -> None:
    result = home.run("show", "abc")
    assert result.code == 2 and "not an application ID" in result.err


def test_any_unicode_in_names_and_notes(home: Home) -> None:
    app = add(home, "Société Générale 株式会社", "Ingénieure d’affaires 🚀",
              "--notes", "línea 1\nlínea 2")
    shown = json.loads(home.ok("show", str(app), "--json"))
    assert shown["company"] == "Société Générale 株式会社"
    assert shown["notes"] == "línea 1\nlínea 2"
    assert "株式会社" in home.ok("list")


def test_list_filters_by_stage_and_rejects_unknown(home: Home) -> None:
    add(home, "A", "r1")
    b = add(home, "B", "r2")
    home.ok("stage", str(b), "offer")
    rows = json.loads(home.ok("list", "--stage", "offer", "--json"))
    assert [r["company"] for r in rows] == ["B"]
    assert home.run("list", "--stage", "nope").code == 2


def test_empty_list_says_how_to_start(home: Home) -> None:
    assert "nudger add" in home.ok("list")


def test_list_and_show_tell_what_the_digest_does_with_pauses_and_snoozes(home: Home) -> None:
    """A paused application shows no due step, a snoozed one the day it shows again
    (issue 21, item 9)."""
    home.ok("add", "Acme", "AE", "--applied", "20 days ago")
    home.ok("add", "Globex", "AE", "--applied", "20 days ago")
    home.ok("add", "Initech", "AE", "--applied", "20 days ago")
    home.ok("snooze", "2", "30 days")
    until = json.loads(home.ok("show", "2", "--json"))["snoozed_until"]
    from datetime import UTC

    from nudger.store.models import Application

    db = home.open_db()  # as a reply found by the mailbox sync pauses it
    try:
        with db.session() as session:
            app = session.get(Application, 3)
            assert app is not None
            app.paused_since = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)
            session.add(app)
    finally:
        db.dispose()
    table = home.ok("list")
    rows = {line.split()[0]: line for line in table.splitlines()[1:] if line.split()}
    assert f"email {until} (snoozed)" in rows["2"]
    assert "email: paused (a reply)" in rows["3"]
    assert "(snoozed)" not in rows["1"] and "paused" not in rows["1"]
    data = {a["id"]: a["next_step"] for a in json.loads(home.ok("list", "--json"))}
    assert (data[1]["held"], data[2]["held"], data[3]["held"]) == (None, "snoozed", "paused")
    assert data[2]["shows"] == until and data[3]["shows"] is None
    shown = home.ok("show", "3")
    assert "paused by a reply, so the digest shows nothing until you answer it" in shown
    assert f"snoozed, the digest shows it from {until}" in home.ok("show", "2")


def test_one_contact_per_address_and_contacts_can_be_edited(home: Home) -> None:
    """`contact` with an address already on file updates that contact; `--edit` changes
    phone, kind, name or address (issue 21, item 10)."""
    home.ok("add", "Acme", "AE", "--contact", "Dana Lee <dana@acme.example>")
    out = home.ok("contact", "1", "Dana <DANA@acme.example>", "--phone", "+1 312 555 0199")
    assert "already has dana@acme.example as contact [1] Dana Lee; updated" in out
    home.ok("contact", "1", "Sam Roe <sam@acme.example>")
    out = home.ok("contact", "1", "--edit", "1", "--kind", "recruiter", "--name", "Dana Lee-Ray")
    assert "updated contact [1] Dana Lee-Ray of #1" in out
    data = json.loads(home.ok("show", "1", "--json"))["contacts"]
    assert [(c["name"], c["email"], c["phone"], c["kind"]) for c in data] == [
        ("Dana Lee-Ray", "dana@acme.example", "+1 312 555 0199", "recruiter"),
        ("Sam Roe", "sam@acme.example", "", "hiring-manager")]
    refused = home.run("contact", "1", "--edit", "2", "--email", "dana@acme.example")
    assert refused.code == 2 and "already has dana@acme.example as contact [1]" in refused.err
    bad = home.run("contact", "1", "--edit", "1", "--kind", "boss")
    assert bad.code == 2 and "unknown contact kind 'boss'" in bad.err
    assert home.run("contact", "1", "--edit", "9", "--phone", "1").code == 2
