"""store.states: the hot read path on plain rows, without SQLAlchemy. Its SQL names the
model tables' columns (checked here, since it does not import the models), it reads the
same through a plain sqlite3 connection (Database.read_connection) as through an ORM session, and
`nudger list` reads through it without importing the ORM."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from nudger.errors import NudgerError
from nudger.store import states
from nudger.store.db import Database
from nudger.store.models import Application, Snooze, Touch, table_of
from nudger.track import tracker
from tests.conftest import Home
from tests.conftest import add_application as add

MODELS = {"application": Application, "touch": Touch, "snooze": Snooze}


@pytest.mark.parametrize("columns", [states.COLUMNS, states.SUMMARY_COLUMNS])
def test_the_raw_sql_names_the_model_tables_columns(columns: dict[str, tuple[str, ...]]) -> None:
    for name, wanted in columns.items():
        table = table_of(MODELS[name])
        assert table.name == name
        missing = [column for column in wanted if column not in table.c]
        assert not missing, f"{name} has no column(s) {missing}"


def _hunt(db: Database) -> list[int]:
    now = datetime.now(UTC)
    ids = [add(db, f"Company {i}", applied_on=date(2026, 11, 2)) for i in range(6)]
    with db.session() as s:
        for app_id in ids[:4]:
            tracker.log_touch(s, app_id, "email", date(2026, 11, 5), step=1, now=now)
        tracker.log_touch(s, ids[1], "call", date(2026, 11, 9), step=2, now=now)
        tracker.snooze(s, ids[2], date(2026, 12, 5), now=now)
        tracker.change_stage(s, ids[3], "interviewing", date(2026, 11, 20), now=now,
                             interview_at=datetime(2026, 12, 3, 23, 30, tzinfo=UTC))
        tracker.change_stage(s, ids[5], "rejected", date(2026, 11, 21), now=now)
    return ids


def test_a_plain_connection_reads_what_a_session_reads(engine_db: Database) -> None:
    db = engine_db  # SQLite and PostgreSQL (a plain psycopg connection there)
    _hunt(db)
    zone = ZoneInfo("Asia/Tokyo")
    with db.read_session() as session:
        through_orm = states.load_states(session, zone=zone)
        everything = states.load_states(session, open_only=False, zone=zone)
        summary_orm = states.list_summary(session)
    with db.read_connection() as con:
        assert states.load_states(con, zone=zone) == through_orm
        assert states.load_states(con, open_only=False, zone=zone) == everything
        assert states.list_summary(con) == summary_orm
        assert states.list_summary(con, "rejected") == [r for r in summary_orm
                                                         if r[3] == "rejected"]
    assert len(through_orm) == 5 and len(everything) == 6
    interviewing = next(s for s in through_orm if s.stage == "interviewing")
    assert interviewing.interview_on == date(2026, 12, 4)  # 08:30 in Tokyo


def test_a_plain_read_connection_cannot_write(engine_db: Database) -> None:
    db = engine_db  # SQLite and PostgreSQL
    _hunt(db)
    with pytest.raises(NudgerError, match=r"readonly|read-only"), db.read_connection() as con:
        con.execute("UPDATE application SET company = 'changed'")
    with db.read_session() as s:
        companies = {r[0] for r in s.connection().exec_driver_sql(
            "SELECT company FROM application")}
    assert companies and "changed" not in companies


def test_list_reads_without_importing_the_orm(home: Home) -> None:
    home.ok("init", "--name", "Alex Rivera", "--email", "alex@example.com")
    home.ok("add", "Northwind", "Account Executive", "--applied", "2026-11-20")
    code = (
        "import sys\n"
        "from nudger.cli import main\n"
        "code = main(['list'])\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'sqlmodel')]\n"
        "print(code, ','.join(sorted(heavy)[:3]), file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=False)
    assert "Northwind" in result.stdout
    assert result.stderr.strip() == "0", result.stderr


def test_a_database_fault_under_list_is_one_line_not_a_traceback(home: Home) -> None:
    home.ok("init", "--name", "Alex Rivera", "--email", "alex@example.com")
    home.ok("add", "Northwind", "Account Executive", "--applied", "2026-11-20")
    con = sqlite3.connect(home.db_path)
    con.execute("ALTER TABLE touch RENAME TO touch_gone")  # a damaged file
    con.commit()
    con.close()
    result = home.run("list")
    assert result.code == 1
    assert "Traceback" not in result.err
    assert f"{Path(home.db_path)}: database error: no such table: touch" in result.err
