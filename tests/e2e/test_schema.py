"""Issue 13, classes 2 and 5: schema upgrades are all or nothing, and nudger never touches
a database that is not its own.

- 50 `nudger add` at once on a brand-new database: one process migrates, the others wait
  for it, every add succeeds.
- A process SIGKILLed in the middle of an upgrade (while SQLite runs a trigger on the
  version table, that is after the first migration's DDL) leaves the schema exactly as
  it was, and the next command upgrades cleanly.
- A newer nudger's database, another application's Alembic database, or an SQLite file
  with other tables: every command refuses with exit 78 (the daemon too, so systemd does
  not restart it), `check` fails, and the file is byte-for-byte unchanged.
"""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from nudger.store.db import SCHEMA_HEAD, upgrade
from tests.conftest import nudger_executable, trials
from tests.e2e.conftest import World, wait_for


def fresh(world: World) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{world.db}{suffix}").unlink(missing_ok=True)


def revision(path: Path) -> str:
    con = sqlite3.connect(path)
    try:
        return str(con.execute("SELECT version_num FROM alembic_version").fetchone()[0])
    finally:
        con.close()


def tables(path: Path) -> set[str]:
    con = sqlite3.connect(path)
    try:
        return {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        con.close()


@pytest.mark.slow
def test_fifty_adds_on_a_brand_new_database(world: World) -> None:
    # Fifty at once in `make test-full`; eight racing for the first migration in `make test`
    # (on two cores, more processes only queue behind the same lock).
    adders = trials(full=50, representative=8)
    fresh(world)
    procs = [subprocess.Popen([nudger_executable(), "add", f"Co {i}", "AE", "--applied",
                               "2026-11-02"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=world.env())
             for i in range(adders)]
    failures = []
    for proc in procs:
        _out, err = proc.communicate(timeout=300)
        if proc.returncode != 0:
            failures.append(err.strip().splitlines()[-1:])
    assert failures == []
    assert revision(world.db) == SCHEMA_HEAD
    companies = {r[0] for r in world.rows("SELECT company FROM application")}
    assert companies == {f"Co {i}" for i in range(adders)}
    assert world.integrity() == "ok"


def lock_held(db: Path) -> bool:
    con = sqlite3.connect(db, timeout=0, isolation_level=None)
    try:
        con.execute("BEGIN IMMEDIATE")
        con.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        con.close()


def test_a_migration_killed_in_the_middle_changes_nothing(world: World) -> None:
    fresh(world)
    upgrade(world.db, "0001_initial")
    con = sqlite3.connect(world.db)
    con.execute("INSERT INTO application (id, company, role, stage, applied_on, stage_since, "
                "created_at, updated_at, notes) VALUES (1, 'Acme', 'AE', 'applied', "
                "'2026-11-02', '2026-11-02', '2026-11-02 10:00:00', '2026-11-02 10:00:00', '')")
    # A slow step inside the upgrade: recording the first migration's revision runs this
    # trigger, a cross join that takes minutes. The kill lands while it runs, after the
    # first migration's tables were made.
    con.execute("CREATE TABLE burn (x)")
    con.executemany("INSERT INTO burn VALUES (?)", [(i,) for i in range(2000)])
    con.execute("CREATE TRIGGER slow AFTER UPDATE ON alembic_version BEGIN "
                "SELECT count(*) FROM burn a, burn b, burn c; END")
    con.commit()
    con.close()
    old_tables = tables(world.db)

    proc = world.spawn("list")
    try:
        assert wait_for(lambda: lock_held(world.db) or proc.poll() is not None, timeout=60)
        assert proc.poll() is None, proc.communicate()
        time.sleep(1.5)  # well into the trigger
        assert proc.poll() is None
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=10)

    assert revision(world.db) == "0001_initial"
    assert tables(world.db) == old_tables  # no table of the second migration
    assert world.integrity() == "ok"
    con = sqlite3.connect(world.db)
    con.execute("DROP TRIGGER slow")
    con.execute("DROP TABLE burn")
    con.commit()
    con.close()

    listed = world.run("list")
    assert listed.returncode == 0, listed.stderr
    assert "Acme" in listed.stdout
    assert revision(world.db) == SCHEMA_HEAD


def digest_of(path: Path) -> tuple[str, bool, bool]:
    data = hashlib.sha256(path.read_bytes()).hexdigest()
    return data, Path(f"{path}-wal").exists(), Path(f"{path}-shm").exists()


def make_foreign(world: World, kind: str) -> None:
    fresh(world)
    if kind == "newer":
        world.ok("list")  # nudger's own database, then "upgraded" by a future nudger
        con = sqlite3.connect(world.db, isolation_level=None)
        con.execute("UPDATE alembic_version SET version_num = '0099_future'")
        con.execute("PRAGMA journal_mode = DELETE")  # so that a WAL switch would show
    else:
        con = sqlite3.connect(world.db)
        con.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
        con.execute("INSERT INTO users (name) VALUES ('root')")
        if kind == "alembic":
            con.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
            con.execute("INSERT INTO alembic_version VALUES ('ae1027a6acf')")
    con.commit()
    con.close()
    assert not Path(f"{world.db}-wal").exists()


@pytest.mark.parametrize(("kind", "says"), [
    ("newer", "newer than this nudger knows"),
    ("alembic", "another application's database"),
    ("other", "is not a nudger database: it holds the tables users"),
])
def test_someone_elses_database_is_refused_and_untouched(world: World, kind: str,
                                                         says: str) -> None:
    make_foreign(world, kind)
    before = digest_of(world.db)
    for args in (("list",), ("add", "Globex", "AE")):
        result = world.run(*args)
        assert result.returncode == 78, (args, result.stderr)
        assert says in result.stderr and str(world.db) in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
        assert digest_of(world.db) == before, args
    checked = world.run("check")
    assert checked.returncode == 78 and says in checked.stderr, checked.stderr
    assert "all checks passed" not in checked.stdout
    assert digest_of(world.db) == before
    # The daemon as systemd starts it: exit 78 at once, which the unit does not restart.
    daemon = world.spawn("run")
    _out, err = daemon.communicate(timeout=60)
    assert daemon.returncode == 78 and says in err
    assert digest_of(world.db) == before


def test_an_empty_file_becomes_nudgers_database(world: World) -> None:
    fresh(world)
    world.db.write_bytes(b"")
    world.ok("add", "Globex", "AE")
    assert revision(world.db) == SCHEMA_HEAD
    fresh(world)
    sqlite3.connect(world.db).close()  # an SQLite file without a single table
    world.db.write_bytes(world.db.read_bytes())
    world.ok("add", "Globex", "AE")
    assert revision(world.db) == SCHEMA_HEAD
