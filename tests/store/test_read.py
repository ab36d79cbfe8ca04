"""store.read: the one read path. load_states reads a real SQLite file in a constant number
of queries, with the interview's local date in the configured zone; load_history (stats)
in four queries whatever the hunt's size."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event

from nudger.config import Settings
from nudger.errors import DataError
from nudger.store.db import Database
from nudger.store.models import Application
from nudger.store.read import load_history, load_states
from nudger.track import tracker
from nudger.track.cadence import next_step
from nudger.when.business import Calendar
from tests.conftest import Home
from tests.conftest import add_application as add

CHICAGO = ZoneInfo("America/Chicago")
TOKYO = ZoneInfo("Asia/Tokyo")
US = Calendar("US")


def test_load_states_constant_queries(db: Database) -> None:
    ids = [add(db, f"Company {i}", applied_on=date(2026, 11, 2)) for i in range(30)]
    with db.session() as s:
        for app_id in ids:
            tracker.log_touch(s, app_id, "email", date(2026, 11, 5), step=1, now=datetime.now(UTC))
            tracker.log_touch(s, app_id, "call", date(2026, 11, 9), step=2, now=datetime.now(UTC))
        tracker.snooze(s, ids[0], date(2026, 12, 5), now=datetime.now(UTC))
        tracker.snooze(s, ids[0], date(2026, 12, 1),
                       now=datetime.now(UTC))  # the latest snooze wins
    statements: list[str] = []
    with db.read_session() as s:
        raw = s.connection().connection.driver_connection
        assert isinstance(raw, sqlite3.Connection)
        raw.set_trace_callback(statements.append)
        states = load_states(s, zone=CHICAGO)
        raw.set_trace_callback(None)
    selects = [q for q in statements if q.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 3, selects
    assert len(states) == 30
    assert states[0].snoozed_until == date(2026, 12, 1)
    assert [t.action for t in states[1].touches] == ["email", "call"]
    assert [t.step for t in states[1].touches] == [1, 2]


def test_load_states_filters_stage_and_orders_touches(engine_db: Database) -> None:
    db = engine_db  # SQLite and PostgreSQL
    app_id = add(db, applied_on=date(2026, 11, 2))
    closed = add(db, "Gone", applied_on=date(2026, 11, 2))
    with db.session() as s:
        tracker.log_touch(s, app_id, "call", date(2026, 11, 10), now=datetime.now(UTC))
        tracker.log_touch(s, app_id, "email", date(2026, 11, 4), step=1,
                          now=datetime.now(UTC))  # logged late
        tracker.change_stage(s, closed, "rejected", date(2026, 11, 20), now=datetime.now(UTC))
    with db.read_session() as s:
        states = load_states(s, zone=CHICAGO)
        everything = load_states(s, zone=CHICAGO, open_only=False)
    assert [st.id for st in states] == [app_id]
    assert [t.on for t in states[0].touches] == [date(2026, 11, 4), date(2026, 11, 10)]
    assert [st.id for st in everything] == [app_id, closed]
    with db.session() as s:
        tracker.change_stage(s, app_id, "interviewing", date(2026, 11, 12), now=datetime.now(UTC))
    with db.read_session() as s:
        (state,) = load_states(s, zone=CHICAGO)
    assert state.stage == "interviewing" and state.touches == ()  # a new stage, a new clock


def test_interview_local_date_uses_the_zone(engine_db: Database) -> None:
    db = engine_db  # SQLite and PostgreSQL
    # 2026-12-01 02:30 UTC is the evening of 30 November in Chicago, 1 December in Tokyo.
    moment = datetime(2026, 12, 1, 2, 30, tzinfo=UTC)
    app_id = add(db, stage="interviewing", interview_at=moment)
    with db.read_session() as s:
        (chicago,) = load_states(s, zone=CHICAGO)
        (tokyo,) = load_states(s, zone=TOKYO)
        (given,) = load_states(s, [s.get(Application, app_id)], zone=CHICAGO)  # type: ignore[list-item]
    assert chicago.interview_on == date(2026, 11, 30)
    assert tokyo.interview_on == date(2026, 12, 1)
    assert given == chicago
    settings = Settings()
    nudge = next_step(chicago, settings.cadence_for("interviewing"), US)
    assert nudge is not None and (nudge.action, nudge.due) == ("thank-you", date(2026, 12, 1))


def test_a_corrupt_date_is_a_data_error(db: Database) -> None:
    app_id = add(db, applied_on=date(2026, 11, 2))
    con = sqlite3.connect(db.path)
    with con:
        con.execute("UPDATE application SET stage_since = '2026-13-45' WHERE id = ?", (app_id,))
    con.close()
    with pytest.raises(DataError, match="application #1 column stage_since"), \
            db.read_session() as s:
        load_states(s, zone=CHICAGO)


def count_queries(db: Database) -> int:
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(args[2])

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        with db.read_session() as session:
            load_history(session)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return sum(1 for s in seen if s.lstrip().upper().startswith("SELECT"))


@pytest.mark.parametrize("extra", [0, 20])
def test_loader_query_count_does_not_grow(home: Home, extra: int) -> None:
    for i in range(3 + extra):
        home.ok("add", f"Co{i}", "Role", "--applied", "2026-11-02")
        home.ok("log", str(i + 1), "email", "--date", "2026-11-05")
    home.ok("snooze", "1", "2026-12-01")
    db = Database(home.db_path)
    assert count_queries(db) == 5  # applications, touches, stages, snoozes, mail replies
    db.dispose()
