"""The store: pragmas, migrations that keep every row, and two processes writing at once."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from datetime import UTC, date, datetime
from pathlib import Path

from sqlmodel import select

from nudger.store.db import SCHEMA_HEAD, Database, upgrade
from nudger.store.models import Application, Contact, Touch


def test_schema_head_matches_alembic() -> None:
    from alembic.script import ScriptDirectory

    from nudger.store.db import alembic_config

    script = ScriptDirectory.from_config(alembic_config(Path("/tmp/unused.db")))
    assert script.get_current_head() == SCHEMA_HEAD


def test_connection_pragmas(tmp_path: Path) -> None:
    db = Database(tmp_path / "n.db")
    db.ensure()
    with db.session() as session:
        connection = session.connection()
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL


def test_foreign_keys_cascade(tmp_path: Path) -> None:
    db = Database(tmp_path / "n.db")
    db.ensure()
    with db.session() as s:
        stamp = datetime(2026, 1, 1, tzinfo=UTC)
        app = Application(company="A", role="R", stage_since=date(2026, 1, 1),
                          created_at=stamp, updated_at=stamp)
        s.add(app)
        s.flush()
        assert app.id is not None
        s.add(Contact(application_id=app.id, name="Dana"))
    with db.session() as s:
        s.delete(s.exec(select(Application)).one())
    with db.read_session() as s:
        assert s.exec(select(Contact)).all() == []


def test_upgrade_from_first_migration_keeps_every_row(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    upgrade(path, "0001_initial")
    con = sqlite3.connect(path)
    con.execute("INSERT INTO application (id, company, role, stage, applied_on, stage_since, "
                "created_at, updated_at, notes) VALUES (1, 'Acme', 'AE', 'applied', "
                "'2026-11-02', '2026-11-02', '2026-11-02 10:00:00', '2026-11-02 10:00:00', "
                "'Zoë 🚀')")
    con.execute("INSERT INTO contact (application_id, name, email) VALUES (1, 'Dana', "
                "'dana@acme.example')")
    con.execute("INSERT INTO touch (application_id, action, touched_on, stage, step, "
                "created_at) VALUES (1, 'email', '2026-11-05', 'applied', 1, "
                "'2026-11-05 09:00:00')")
    con.execute("INSERT INTO stagechange (application_id, stage, changed_on, created_at) "
                "VALUES (1, 'applied', '2026-11-02', '2026-11-02 10:00:00')")
    con.execute("INSERT INTO snooze (application_id, until, created_at) VALUES "
                "(1, '2026-12-01', '2026-11-06 10:00:00')")
    con.commit()
    before = {t: con.execute(f"SELECT * FROM {t} ORDER BY id").fetchall()
              for t in ("application", "contact", "touch", "stagechange", "snooze")}
    con.close()

    db = Database(path)
    assert db.current_revision() == "0001_initial"
    db.ensure()  # what every command does at start
    assert db.current_revision() == SCHEMA_HEAD
    con = sqlite3.connect(path)
    after = {t: con.execute(f"SELECT * FROM {t} ORDER BY id").fetchall() for t in before}
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    con.close()
    # Later migrations may add columns (nullable or with a default): every old value stays.
    assert {t: [row[:len(old[0])] for row in rows] for (t, rows), old in
            zip(after.items(), before.values(), strict=True)} == before
    assert "digest" in tables and "mailmessage" in tables and "suggestion" in tables
    with db.read_session() as s:
        app = s.exec(select(Application)).one()
        assert app.notes == "Zoë 🚀" and app.created_at.tzinfo is not None


WRITER = textwrap.dedent("""
    import sys
    from datetime import UTC, date, datetime
    from pathlib import Path
    from nudger.store.db import Database
    from nudger.track import tracker
    db = Database(Path(sys.argv[1]))
    for i in range(int(sys.argv[3])):
        with db.session() as s:
            # Read, then write, in one transaction: the pattern a deferred BEGIN breaks.
            tracker.count_applications(s)
            app = tracker.add_application(s, company=f"{sys.argv[2]}-{i}", role="r",
                                          today=date(2026, 11, 30), now=datetime.now(UTC))
            tracker.log_touch(s, app.id, "email", date(2026, 11, 30), now=datetime.now(UTC))
    print("ok")
""")


def test_two_processes_write_concurrently(tmp_path: Path) -> None:
    path = tmp_path / "n.db"
    Database(path).ensure()
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), name, "60"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for name in ("a", "b")]
    results = [p.communicate(timeout=120) for p in procs]
    for proc, (out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err
        assert out.strip() == "ok"
    db = Database(path)
    with db.read_session() as s:
        assert len(s.exec(select(Application)).all()) == 120
        assert len(s.exec(select(Touch)).all()) == 120
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()


def test_missing_directory_is_created(tmp_path: Path) -> None:
    db = Database(tmp_path / "deep" / "er" / "n.db")
    db.ensure()
    assert db.path.exists()


def test_read_connection_reads_in_one_transaction_and_never_writes(tmp_path: Path) -> None:
    db = Database(tmp_path / "n.db")
    db.ensure(create=True)
    with db.session() as s:
        s.add(Application(company="Acme", role="Analyst", stage="applied",
                          stage_since=date(2026, 10, 1),
                          created_at=datetime(2026, 10, 1, tzinfo=UTC),
                          updated_at=datetime(2026, 10, 1, tzinfo=UTC)))
    with db.read_connection() as con:
        assert con.in_transaction
        assert con.execute("SELECT company, role FROM application").fetchall() == [
            ("Acme", "Analyst")]
        try:
            con.execute("DELETE FROM application")
        except sqlite3.OperationalError as exc:
            assert "readonly" in str(exc)
        else:
            raise AssertionError("a read connection wrote")
    with db.read_connection() as con:
        assert con.execute("SELECT count(*) FROM application").fetchone() == (1,)
