"""PostgreSQL as the database: the URL in `database`, the password kept out of config.toml,
the schema made by the same Alembic chain as SQLite's (upgrades from every earlier revision
keep every row, on both engines), `nudger check`, and a database that is someone else's
refused untouched. A real PostgreSQL 15 cluster (tests/pgserver.py)."""

from __future__ import annotations

import json
import sqlite3
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from nudger.secrets import Secret
from nudger.store.db import SCHEMA_HEAD, Database, known_revisions, upgrade
from nudger.store.pg import PgDatabase
from nudger.store.pgurl import parse, redact
from tests import pgserver
from tests.clock import MONDAY_NOW, frozen
from tests.conftest import PROFILE, Home

CONFIG = """\
timezone = "America/Chicago"
database = "{url}"
{extra}
{profile}
[calendar]
holidays = "US"
"""


def pg_home(home: Home, url: str, monkeypatch: pytest.MonkeyPatch, *, extra: str = "",
            password: bool = True) -> None:
    home.write_config(CONFIG.format(url=url, extra=extra, profile=PROFILE))
    home.db_path.unlink(missing_ok=True)  # the home fixture's SQLite file: nothing may use it
    if password:
        monkeypatch.setenv("PGPASSWORD", pgserver.PASSWORD)
    else:
        monkeypatch.delenv("PGPASSWORD", raising=False)


def tables_of(cluster: Any, url: str) -> set[str]:
    name = parse(url).dbname
    return {r[0] for r in cluster.admin(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'", dbname=name)}


# --- the URL and the password ------------------------------------------------------------

def test_a_url_with_a_password_is_refused_without_echoing_it(home: Home) -> None:
    home.write_config(CONFIG.format(url="postgresql://nudger:hunter2-s3cret@db.example/n",
                                    extra="", profile=PROFILE))
    result = home.run("list")
    assert result.code == 78
    assert "hunter2-s3cret" not in result.err + result.out
    assert "config.toml:2" in result.err and "PGPASSWORD" in result.err
    assert "database_password_file" in result.err and "***" in result.err
    home.write_config(CONFIG.format(url="postgresql://nudger@db.example/n?password=pw-9x1",
                                    extra="", profile=PROFILE))
    result = home.run("list")
    assert result.code == 78 and "pw-9x1" not in result.err and "password" in result.err


@pytest.mark.parametrize(("url", "message"), [
    ("mysql://u@h/db", "must start with postgresql://"),
    ("postgresql://u@h/", "names no database"),
    ("postgresql://u@h/db?sslmode=sometimes", "sslmode='sometimes' is not one of"),
    ("postgresql://u@h/db?host=/tmp", "unknown URL parameter 'host'"),
])
def test_a_bad_url_is_named(home: Home, url: str, message: str) -> None:
    home.write_config(CONFIG.format(url=url, extra="", profile=PROFILE))
    result = home.run("list")
    assert result.code == 78 and message in result.err and "Traceback" not in result.err


def test_a_password_file_for_sqlite_is_refused(home: Home) -> None:
    home.write_config('database = "nudger.db"\ndatabase_password_file = "pw"\n' + PROFILE)
    result = home.run("list")
    assert result.code == 78 and "database_password_file is only for a PostgreSQL" in result.err


def test_redact_hides_only_the_password() -> None:
    assert redact("postgresql://u:secret@h:5/db?sslmode=require") == \
        "postgresql://u:***@h:5/db?sslmode=require"
    assert redact("nudger.db") == "nudger.db"
    assert redact("postgresql://u@h/db?sslmode=require&password=x1&a=b") == \
        "postgresql://u@h/db?sslmode=require&password=***&a=b"
    target = parse("postgresql://nudger@db.example:5432/nudger?sslmode=verify-full"
                   "&sslrootcert=ca.pem")
    assert (target.user, target.host, target.port, target.dbname) == \
        ("nudger", "db.example", 5432, "nudger")
    assert target.params == (("sslmode", "verify-full"), ("sslrootcert", "ca.pem"))


# --- the commands on PostgreSQL ------------------------------------------------------------

def test_the_commands_work_on_postgresql(home: Home, pg_cluster: Any, pg_url: str,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    pg_home(home, pg_url, monkeypatch)
    assert tables_of(pg_cluster, pg_url) == set()
    out = home.ok("init")
    assert f"database {pg_url}" in out
    assert {"application", "touch", "digest", "alembic_version"} <= tables_of(pg_cluster,
                                                                              pg_url)
    assert "#1" in home.ok("add", "Northwind", "Account Executive", "--applied", "2026-11-02")
    home.ok("add", "Globex", "Analyst", "--applied", "2026-11-03")
    home.ok("log", "1", "email", "--date", "2026-11-05")
    listing = home.ok("list")
    assert "Northwind" in listing and "Globex" in listing and "2026-11-05" in listing
    assert "Northwind" in home.ok("show", "1")
    assert '"company": "Globex"' in home.ok("export", "--format", "json")
    home.ok("stage", "2", "rejected")
    assert "Globex" not in home.ok("list", "--stage", "applied")
    assert not (home.root / "home/.local/share/nudger/nudger.db").exists()
    rows = pg_cluster.admin("SELECT company, stage FROM application ORDER BY id",
                            dbname=parse(pg_url).dbname)
    assert rows == [("Northwind", "applied"), ("Globex", "rejected")]
    check = home.run("check")
    assert f"schema {SCHEMA_HEAD} is current; privileges ok" in check.out, check.out + check.err


def test_the_password_comes_from_a_private_file(home: Home, pg_url: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    secret = home.config.parent / "pgpass"
    secret.write_text(pgserver.PASSWORD + "\n")
    secret.chmod(0o644)
    pg_home(home, pg_url, monkeypatch, extra='database_password_file = "pgpass"',
            password=False)
    result = home.run("list")
    assert result.code == 78 and "chmod 600" in result.err
    secret.chmod(0o600)
    home.ok("add", "Acme", "AE")
    assert "Acme" in home.ok("list")


def test_no_password_is_one_clear_line(home: Home, pg_url: str,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    pg_home(home, pg_url, monkeypatch, password=False)
    monkeypatch.setenv("PGPASSFILE", str(home.root / "none"))
    result = home.run("list")
    assert result.code == 1, result.err
    assert f"cannot connect to {pg_url}" in result.err and "PGPASSWORD" in result.err
    assert "Traceback" not in result.err and len(result.err.strip().splitlines()) == 1
    monkeypatch.setenv("PGPASSWORD", "wrong-" + pgserver.PASSWORD)
    result = home.run("list")
    assert result.code == 1 and "password authentication failed" in result.err
    assert pgserver.PASSWORD not in result.err


def test_pgpass_is_read(home: Home, pg_cluster: Any, pg_url: str,
                        monkeypatch: pytest.MonkeyPatch) -> None:
    pg_home(home, pg_url, monkeypatch, password=False)
    pgpass = home.root / "home/.pgpass"
    pgpass.parent.mkdir(parents=True, exist_ok=True)
    pgpass.write_text(f"127.0.0.1:{pg_cluster.port}:*:nudger:{pgserver.PASSWORD}\n")
    pgpass.chmod(0o600)
    monkeypatch.delenv("PGPASSFILE", raising=False)
    home.ok("add", "Acme", "AE")


def ssl_in_use(home: Home) -> bool:
    """Whether nudger's connection, opened from the home's config as every command opens
    it, is encrypted (as the server sees it)."""
    import os

    from nudger.config import parse_settings

    settings = parse_settings(home.config.read_text(), home.config)
    db = PgDatabase.from_settings(settings, os.environ)
    with db.connect() as con:
        row = con.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        return bool(row.fetchone()[0])


def test_sslmode_and_sslrootcert_in_the_url_are_honoured(
        home: Home, pg_cluster: Any, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    import trustme

    # The server's CA, beside config.toml: a relative sslrootcert is read from there.
    shutil.copyfile(pg_cluster.ca_file, home.config.parent / "ca.pem")
    pg_home(home, pg_url + "?sslmode=verify-full&sslrootcert=ca.pem", monkeypatch)
    home.ok("add", "Acme", "AE")
    assert ssl_in_use(home)
    # Another CA: the server's certificate is not trusted, and nothing is sent.
    trustme.CA().cert_pem.write_to_path(str(home.config.parent / "other-ca.pem"))
    for mode in ("verify-full", "verify-ca"):
        pg_home(home, pg_url + f"?sslmode={mode}&sslrootcert=other-ca.pem", monkeypatch)
        result = home.run("list")
        assert result.code == 1 and "cannot connect to" in result.err
        assert "certificate verify failed" in result.err and "Traceback" not in result.err
    # sslmode=disable really disables it: the server sees a plain connection.
    pg_home(home, pg_url + "?sslmode=disable", monkeypatch)
    assert "Acme" in home.ok("list")
    assert not ssl_in_use(home)


# --- someone else's database -----------------------------------------------------------------

def test_another_applications_database_is_refused_untouched(
        home: Home, pg_cluster: Any, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    name = parse(pg_url).dbname
    with pg_cluster.connect(name) as con:
        con.execute("SET ROLE nudger")
        con.execute("CREATE TABLE customers (id int PRIMARY KEY, name text)")
        con.execute("INSERT INTO customers VALUES (1, 'Wile E.')")
    pg_home(home, pg_url, monkeypatch)
    for command in (("list",), ("add", "Acme", "AE"), ("init",)):
        result = home.run(*command)
        assert result.code == 78, (command, result.err)
        assert "not a nudger database" in result.err and "customers" in result.err
    assert tables_of(pg_cluster, pg_url) == {"customers"}
    check = home.run("check")
    assert check.code == 78 and "customers" in check.out + check.err


def test_a_newer_nudgers_database_is_refused(home: Home, pg_cluster: Any, pg_url: str,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    pg_home(home, pg_url, monkeypatch)
    home.ok("init")
    pg_cluster.admin("UPDATE alembic_version SET version_num = '0099_future'",
                     dbname=parse(pg_url).dbname)
    result = home.run("list")
    assert result.code == 78 and "newer than this nudger knows" in result.err


def test_check_names_missing_privileges(home: Home, pg_cluster: Any, pg_url: str,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    pg_home(home, pg_url, monkeypatch)
    home.ok("init")
    pg_cluster.admin("CREATE ROLE reader LOGIN PASSWORD 'reader-pw'")
    name = parse(pg_url).dbname
    pg_cluster.admin("GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader", dbname=name)
    reader = pg_url.replace("nudger@", "reader@")
    pg_home(home, reader, monkeypatch, password=False)
    monkeypatch.setenv("PGPASSWORD", "reader-pw")
    result = home.run("check")
    assert result.code != 0
    text = result.out + result.err
    assert "the role reader lacks INSERT on" in text and "GRANT SELECT, INSERT" in text
    pg_cluster.admin("DROP OWNED BY reader", dbname=name)
    pg_cluster.admin("DROP ROLE reader")


# --- one migration chain, both engines -------------------------------------------------------

EARLIER = sorted(known_revisions() - {SCHEMA_HEAD})


def _value(column: sa.Column[Any], n: int) -> Any:
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return n % 2 == 0
    if isinstance(kind, sa.DateTime):
        return datetime(2026, 11, n % 27 + 1, 9, 30)
    if isinstance(kind, sa.Date):
        return date(2026, 11, n % 27 + 1)
    if isinstance(kind, sa.Integer):
        # Every row is id 1, so a foreign key (application_id, mailcommand_id…) points there.
        return 1 if column.foreign_keys or column.name == "application_id" else n
    if isinstance(kind, sa.Float):
        return 0.25
    return f"{column.name} {n} Zoë 🚀"


def _fill(connection: sa.Connection) -> dict[str, list[tuple[Any, ...]]]:
    """A row in every table the schema has at this revision (each column given a value),
    and the rows as read back."""
    meta = sa.MetaData()
    meta.reflect(connection)
    # Parents first: the seeker (from 0008), then the application, then the rest.
    first = [t for t in ("seeker", "application") if t in meta.tables]
    order = [*first, *sorted(t for t in meta.tables
                             if t not in (*first, "alembic_version")
                             and not t.startswith("procrastinate_"))]
    before: dict[str, list[tuple[Any, ...]]] = {}
    for n, name in enumerate(order, start=1):
        table = meta.tables[name]
        values = {c.name: _value(c, n) for c in table.columns
                  if c.name not in ("touch_id", "paused_by")}
        if "id" in values:
            values["id"] = 1
        connection.execute(table.insert().values(**values))
        key = table.c.id if "id" in table.c else next(iter(table.primary_key))
        before[name] = [tuple(r) for r in connection.execute(table.select().order_by(key))]
    return before


def _read(connection: sa.Connection, before: dict[str, Any]) -> dict[str, list[tuple[Any, ...]]]:
    meta = sa.MetaData()
    meta.reflect(connection, only=list(before))
    after = {}
    for name, old in before.items():
        table = meta.tables[name]
        key = table.c.id if "id" in table.c else next(iter(table.primary_key))
        rows = connection.execute(table.select().order_by(key)).all()
        # Every row kept as it was (a later revision may add columns, and rows: the single
        # user's seeker that 0009_seeker_rows creates).
        after[name] = [tuple(r)[:len(old[0])] for r in rows][:len(old)]
    return after


def _owned_by_the_single_user(connection: sa.Connection, before: dict[str, Any]) -> None:
    """After 0009_seeker_rows: every row of every table belongs to the single user's seeker
    (email ""), and each application's number is its id."""
    seekers = connection.execute(sa.text("SELECT id FROM seeker WHERE email = ''")).all()
    assert len(seekers) == 1
    owner = seekers[0][0]
    for name in before:
        if name == "seeker":
            continue
        owners = {r[0] for r in connection.execute(sa.text(f"SELECT seeker_id FROM {name}"))}
        assert owners == {owner}, name
    numbers = connection.execute(sa.text("SELECT id, number FROM application")).all()
    assert numbers and all(n == i for i, n in numbers)


@pytest.mark.parametrize("revision", EARLIER)
def test_upgrade_from_every_revision_keeps_every_row_on_sqlite(tmp_path: Path,
                                                               revision: str) -> None:
    path = tmp_path / "old.db"
    upgrade(path, revision)
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        before = _fill(connection)
    db = Database(path)
    assert db.current_revision() == revision
    db.ensure()
    assert db.current_revision() == SCHEMA_HEAD
    with engine.connect() as connection:
        assert _read(connection, before) == before
        if revision < "0009_seeker_rows":  # the rows 0009 gave a seeker
            _owned_by_the_single_user(connection, before)
    engine.dispose()
    db.dispose()
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()


@pytest.mark.parametrize("revision", EARLIER)
def test_upgrade_from_every_revision_keeps_every_row_on_postgresql(
        pg_cluster: Any, pg_url: str, tmp_path: Path, revision: str) -> None:
    db = PgDatabase(parse(pg_url), tmp_path / "nudger.db", password=Secret(pgserver.PASSWORD))
    db.upgrade(revision)
    assert db.current_revision() == revision
    with db.engine.begin() as connection:
        before = _fill(connection)
    db.ensure()
    assert db.current_revision() == SCHEMA_HEAD
    with db.engine.connect() as connection:
        assert _read(connection, before) == before
        if revision < "0009_seeker_rows":  # the rows 0009 gave a seeker
            _owned_by_the_single_user(connection, before)
    db.dispose()


@pytest.mark.parametrize("revision", EARLIER)
def test_an_empty_database_gets_no_seeker_from_the_upgrade(tmp_path: Path,
                                                            revision: str) -> None:
    """No row, no seeker: the first write makes the single user's (a fresh user sees no
    change), or `nudger seeker add` the first of many."""
    path = tmp_path / "old.db"
    upgrade(path, revision)
    Database(path).ensure()
    con = sqlite3.connect(path)
    assert con.execute("SELECT count(*) FROM seeker").fetchone()[0] == 0
    con.close()


def test_the_schemas_match_across_engines(engine_db: Database) -> None:
    """Both engines hold the same tables and columns at head (one chain, not two)."""
    with engine_db.read_session() as s:
        meta = sa.MetaData()
        meta.reflect(s.connection())
    from sqlmodel import SQLModel

    import nudger.store.models  # noqa: F401

    expected = {name: {c.name for c in table.columns}
                for name, table in SQLModel.metadata.tables.items()}
    # procrastinate's own tables (the workers' queue, PostgreSQL only) are not nudger's.
    found = {name: {c.name for c in table.columns} for name, table in meta.tables.items()
             if name != "alembic_version" and not name.startswith("procrastinate_")}
    assert found == expected


def test_concurrent_upgrades_on_postgresql_run_once(pg_cluster: Any, pg_url: str,
                                                    tmp_path: Path) -> None:
    import threading

    def open_db() -> PgDatabase:
        return PgDatabase(parse(pg_url), tmp_path / "n.db", password=Secret(pgserver.PASSWORD))

    errors: list[BaseException] = []

    def run() -> None:
        db = open_db()
        try:
            db.ensure()
        except BaseException as exc:
            errors.append(exc)
        finally:
            db.dispose()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert open_db().current_revision() == SCHEMA_HEAD


def test_every_tracking_command_works_on_postgresql(home: Home, pg_url: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The commands of a day's use, on PostgreSQL, with what each one shows. On the suite's
    working Monday: the applications' dates are fixed, so `due --days 60` lists Northwind
    only on a day a few weeks after them, not at whatever date the suite runs."""
    pg_home(home, pg_url, monkeypatch)
    with frozen(MONDAY_NOW):
        home.ok("init")
        home.ok("add", "Northwind", "Account Executive", "--applied", "2026-11-02",
                "--contact", "Dana Lee <dana@northwind.example>")
        home.ok("add", "Globex", "Analyst", "--applied", "2026-11-03")
        home.ok("edit", "2", "--notes", "referral from Sam")
        home.ok("snooze", "2", "2026-12-24")
        home.ok("contact", "2", "Sam Roe <sam@globex.example>", "--kind", "recruiter")
        assert "Northwind" in home.ok("due", "--days", "60")
        home.ok("done", "1", "--note", "emailed Dana")
        home.ok("skip", "1")
        assert "Northwind" in home.ok("show", "1")
        home.ok("digest")
        home.ok("digest", "--send")
        assert "sent" in home.ok("status").lower()
        assert '"applied": 2' in home.ok("stats", "--json")
        exported = home.root / "out.csv"
        home.ok("export", "-o", str(exported))
        home.ok("rm", "2")
        home.ok("import", str(exported))
        listing = home.ok("list")
        assert "Globex" in listing and "Northwind" in listing
        home.ok("calendar", "-o", str(home.root / "cal.ics"))
        assert "BEGIN:VCALENDAR" in (home.root / "cal.ics").read_text()


# --- moving: nudger db copy ------------------------------------------------------------------

def test_db_copy_moves_a_sqlite_hunt_into_postgresql(
        home: Home, pg_cluster: Any, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    home.ok("init")
    home.ok("add", "Northwind", "Account Executive", "--applied", "2026-11-02",
            "--contact", "Dana Lee <dana@northwind.example>")
    home.ok("add", "Globex", "Analyst", "--applied", "2026-11-03")
    home.ok("log", "1", "email", "--date", "2026-11-05", "--note", "Zoë 🚀")
    home.ok("snooze", "2", "2026-12-24")
    home.ok("digest", "--send")
    before_list = home.ok("list")
    before_json = home.ok("export", "--format", "json")
    source_bytes = home.db_path.read_bytes()
    monkeypatch.setenv("PGPASSWORD", pgserver.PASSWORD)
    out = home.ok("db", "copy", "--to", pg_url)
    assert "application 2" in out and "contact 1" in out and "touch 1" in out
    assert "counts checked" in out and f'database = "{pg_url}"' in out
    assert home.db_path.read_bytes() == source_bytes  # the source is only read
    # A second copy into the now full database is refused, and adds nothing.
    again = home.run("db", "copy", "--to", pg_url)
    assert again.code == 1 and "already holds nudger data" in again.err
    assert pg_cluster.admin("SELECT count(*) FROM application",
                            dbname=parse(pg_url).dbname) == [(2,)]
    pg_home(home, pg_url, monkeypatch)
    assert home.ok("list") == before_list
    assert _hunt(home.ok("export", "--format", "json")) == _hunt(before_json)
    assert "#3" in home.ok("add", "Initech", "SDR")  # the id sequence moved past the rows


def test_db_copy_as_adds_a_single_users_hunt_as_a_new_seeker_beside_others(
        home: Home, pg_cluster: Any, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    sqlite_config = home.config.read_text()
    # The career centre's database already serves Dana, with look-alike data.
    pg_home(home, pg_url, monkeypatch)
    home.ok("init")
    home.ok("seeker", "add", "dana@example.org", "--name", "Dana Reyes",
            "--timezone", "Europe/Paris")
    dana = ("--seeker", "dana@example.org")
    home.ok(*dana, "add", "Northwind", "Account Executive", "--applied", "2026-11-01",
            "--contact", "Lee <lee@northwind.example>")
    home.ok(*dana, "log", "1", "call", "--date", "2026-11-04")
    dana_before = _hunt(home.ok(*dana, "export", "--format", "json"))
    # Alex's own SQLite hunt, as a single user has it.
    monkeypatch.delenv("PGPASSWORD")
    home.write_config(sqlite_config)
    home.ok("init")
    home.ok("add", "Northwind", "Account Executive", "--applied", "2026-11-02",
            "--contact", "Dana Lee <dana@northwind.example>")
    home.ok("add", "Globex", "Analyst", "--applied", "2026-11-03")
    home.ok("log", "2", "email", "--date", "2026-11-05", "--note", "Zoë 🚀")
    home.ok("snooze", "1", "2026-12-24")
    home.ok("stage", "2", "interviewing", "--interview", "2026-12-10 10:00")
    home.ok("digest", "--send")
    before_list = home.ok("list")
    before_json = _hunt(home.ok("export", "--format", "json"))
    source_bytes = home.db_path.read_bytes()
    monkeypatch.setenv("PGPASSWORD", pgserver.PASSWORD)
    out = home.ok("db", "copy", "--to", pg_url, "--as", "Alex@Example.com")
    assert "application 2" in out and "contact 1" in out and "touch 1" in out, out
    assert "new seeker alex@example.com" in out and "counts checked" in out
    assert home.db_path.read_bytes() == source_bytes  # the source is only read
    # The same email again is refused, and adds nothing.
    again = home.run("db", "copy", "--to", pg_url, "--as", "alex@example.com")
    assert again.code == 1 and "already has a seeker 'alex@example.com'" in again.err
    assert pg_cluster.admin("SELECT count(*) FROM application",
                            dbname=parse(pg_url).dbname) == [(3,)]
    pg_home(home, pg_url, monkeypatch)
    alex = ("--seeker", "alex@example.com")
    assert home.ok(*alex, "list") == before_list  # the same numbers, #1 and #2
    exported = _hunt(home.ok(*alex, "export", "--format", "json"))
    assert exported == before_json
    assert _hunt(home.ok(*dana, "export", "--format", "json")) == dana_before
    shown = json.loads(home.ok("seeker", "show", "alex@example.com", "--json"))
    assert shown["name"] == "Alex Rivera" and shown["timezone"] == "America/Chicago"
    assert shown["next_digest_at"]  # scheduled like any seeker
    assert "#3" in home.ok(*alex, "add", "Initech", "SDR")
    assert "#2" in home.ok(*dana, "add", "Initech", "SDR")


def test_db_copy_as_takes_only_a_database_of_one_seeker(
        home: Home, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    home.ok("init")
    home.ok("add", "Globex", "Analyst")
    home.ok("seeker", "add", "lee@example.org", "--name", "Lee Park")
    monkeypatch.setenv("PGPASSWORD", pgserver.PASSWORD)
    result = home.run("db", "copy", "--to", pg_url, "--as", "alex@example.com")
    assert result.code == 1 and "holds 2 seekers" in result.err
    assert "Traceback" not in result.err
    bad = home.run("db", "copy", "--to", pg_url, "--as", "not-an-email")
    assert bad.code == 2 and "--as" in bad.err


def _hunt(exported: str) -> Any:
    import json

    data = json.loads(exported)
    data.pop("exported_at")  # the moment of the export
    return data


def test_db_copy_refuses_a_url_with_a_password(home: Home) -> None:
    home.ok("init")
    result = home.run("db", "copy", "--to", "postgresql://u:topsecret-1@h/db")
    assert result.code == 2 and "topsecret-1" not in result.err and "PGPASSWORD" in result.err


def test_the_daemon_sends_once_per_day_on_postgresql(home: Home, pg_cluster: Any, pg_url: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """`nudger run --once` on PostgreSQL: today's digest into the Maildir, recorded in the
    outbox; a second run finds the day recorded and sends nothing."""
    digest = ('[digest]\ntime = "00:00"\ndays = ["mon", "tue", "wed", "thu", "fri", "sat", '
              '"sun"]\nsend_when_empty = true\ncatch_up = "24 hours"\n')
    home.write_config(CONFIG.format(url=pg_url, extra="", profile=PROFILE) + digest)
    home.db_path.unlink(missing_ok=True)
    monkeypatch.setenv("PGPASSWORD", pgserver.PASSWORD)
    home.ok("add", "Northwind", "AE", "--applied", "2026-10-01")
    home.ok("run", "--once")
    maildir = home.root / "home/.local/share/nudger/Maildir/new"
    assert len(list(maildir.iterdir())) == 1
    home.ok("run", "--once")
    assert len(list(maildir.iterdir())) == 1
    rows = pg_cluster.admin("SELECT state, count(*) FROM digest GROUP BY state",
                            dbname=parse(pg_url).dbname)
    assert rows == [("sent", 1)]


def test_the_daemon_on_postgresql_never_falls_back_to_a_sqlite_file(
        tmp_path: Path, pg_cluster: Any, pg_url: str) -> None:
    """After `db copy`, the old SQLite file may still sit where the daemon keeps its lock
    and key; deleting it while the daemon runs must not make it open a new SQLite file."""
    import logging

    from nudger.config import ConfigLocation, parse_settings
    from nudger.daemon.notify import Notifier
    from nudger.daemon.run import Daemon

    old_file = tmp_path / "nudger.db"
    Database(old_file).ensure()
    config = tmp_path / "config.toml"
    text = f'timezone = "UTC"\ndatabase = "{pg_url}"\n'
    config.write_text(text)
    db = PgDatabase(parse(pg_url), old_file, password=Secret(pgserver.PASSWORD))
    db.ensure()
    daemon = Daemon(ConfigLocation(config, True), {}, parse_settings(text, config), db,
                    Notifier({}), logging.getLogger("nudger.test.pg"),
                    lambda: datetime(2026, 11, 30, 9, 0))
    old_file.unlink()
    daemon.check_database()
    assert daemon.db is db and not old_file.exists()
    db.dispose()


def test_a_role_that_may_not_create_tables_is_told_what_to_grant(
        home: Home, pg_cluster: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL 15 lets only the database's owner create tables in `public`: an empty
    database owned by someone else gets one clear line, and `check` says what to grant."""
    name = pg_cluster.new_database(owner="postgres")
    pg_cluster.admin(f"GRANT CONNECT ON DATABASE {name} TO nudger")
    url = pg_cluster.url(name)
    pg_home(home, url, monkeypatch)
    result = home.run("init")
    assert result.code == 1, result.err
    error = result.err.strip().splitlines()[-1]  # (after "config.toml exists; keeping it")
    assert error == (f"nudger: {url}: database error: permission denied for schema public; "
                     "grant the role nudger uses the privileges `nudger check` lists. "
                     "Nothing was changed.")
    assert tables_of(pg_cluster, url) == set()  # nothing half-made
    check = home.run("check")
    assert check.code != 0
    assert "may not create tables in the schema" in check.out + check.err
    assert "GRANT CREATE ON SCHEMA public TO nudger" in check.out + check.err
    pg_cluster.admin("GRANT CREATE ON SCHEMA public TO nudger", dbname=name)
    home.ok("init")
    assert "privileges ok" in home.ok("check")
