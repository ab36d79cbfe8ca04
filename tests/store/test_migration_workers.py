"""The workers' schema (0010_workers): procrastinate's tables created by nudger's own
migration chain on PostgreSQL, nothing of it on SQLite, the outbox lease on both."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from nudger.secrets import Secret
from nudger.store.db import SCHEMA_HEAD, Database
from nudger.store.pg import PgDatabase
from nudger.store.pgurl import parse
from tests import pgserver
from tests.conftest import Home
from tests.store.test_pg import pg_home

PROCRASTINATE_TABLES = {"procrastinate_jobs", "procrastinate_workers",
                        "procrastinate_periodic_defers", "procrastinate_events"}


def _tables(pg_cluster: Any, dbname: str) -> set[str]:
    return {r[0] for r in pg_cluster.admin(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'", dbname=dbname)}


def test_init_on_postgresql_creates_the_queue_and_the_lease(
        home: Home, pg_cluster: Any, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    pg_home(home, pg_url, monkeypatch)
    dbname = parse(pg_url).dbname
    assert _tables(pg_cluster, dbname) == set()
    home.ok("init")
    tables = _tables(pg_cluster, dbname)
    assert tables >= PROCRASTINATE_TABLES and "digest" in tables
    assert pg_cluster.admin("SELECT version_num FROM alembic_version",
                            dbname=dbname) == [(SCHEMA_HEAD,)]
    # procrastinate's functions are there too: a job can be deferred through them.
    functions = {r[0] for r in pg_cluster.admin(
        "SELECT proname FROM pg_proc WHERE proname LIKE 'procrastinate%'", dbname=dbname)}
    assert {"procrastinate_defer_jobs_v1", "procrastinate_fetch_job_v2",
            "procrastinate_defer_periodic_job_v2"} <= functions
    columns = {r[0] for r in pg_cluster.admin(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'digest'",
        dbname=dbname)}
    assert {"lease_until", "claimed_by"} <= columns


def test_sqlite_gets_the_lease_column_and_no_queue(migrated_db: Path) -> None:
    con = sqlite3.connect(migrated_db)
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    columns = {r[1] for r in con.execute("PRAGMA table_info(digest)")}
    revision = con.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    con.close()
    assert not {t for t in tables if t.startswith("procrastinate")}
    assert "lease_until" in columns and revision == SCHEMA_HEAD


def test_the_revision_downgrades_and_upgrades_again_on_postgresql(
        pg_cluster: Any, pg_url: str, tmp_path: Path) -> None:
    db = PgDatabase(parse(pg_url), tmp_path / "nudger.db", password=Secret(pgserver.PASSWORD))
    db.ensure()
    dbname = pg_url.rsplit("/", 1)[1]
    assert _tables(pg_cluster, dbname) >= PROCRASTINATE_TABLES
    from alembic import command

    from nudger.store.db import alembic_config

    config = alembic_config(db.path)
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0009_seeker_rows")
    assert not any(t.startswith("procrastinate") for t in _tables(pg_cluster, dbname))
    leftovers = pg_cluster.admin(
        "SELECT count(*) FROM pg_proc WHERE proname LIKE 'procrastinate%'", dbname=dbname)
    assert leftovers == [(0,)]
    assert db.current_revision() == "0009_seeker_rows"
    db.ensure()
    assert db.current_revision() == SCHEMA_HEAD
    assert _tables(pg_cluster, dbname) >= PROCRASTINATE_TABLES
    db.dispose()


def test_sqlite_downgrades_and_upgrades_again(tmp_path: Path) -> None:
    from nudger.store.db import upgrade

    path = tmp_path / "n.db"
    upgrade(path, "head")
    from alembic import command

    from nudger.store.db import alembic_config

    db = Database(path)
    config = alembic_config(path)
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0009_seeker_rows")
    assert db.current_revision() == "0009_seeker_rows"
    db.ensure()
    assert db.current_revision() == SCHEMA_HEAD
    db.dispose()
