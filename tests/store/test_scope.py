"""Seekers in one database (nudger/store/scope.py): every session sees and writes one
seeker's rows, new rows and numbers are that seeker's, hand-written SQL without the seeker
is refused before it runs, and which seeker is meant is chosen once. Both engines."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update
from sqlmodel import select

from nudger.errors import NotFoundError, UsageError
from nudger.store import states
from nudger.store.db import Database
from nudger.store.models import Application, MailMessage, Seeker, Touch
from nudger.store.scope import CRITERIA_KEPT, ScopeError, check_sql, unscoped_table
from nudger.track import tracker

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
TODAY = date(2026, 11, 30)


def add_seeker(db: Database, email: str) -> int:
    with db.session(every_seeker=True) as s:
        row = Seeker(email=email, name=email.split("@")[0], created_at=NOW, updated_at=NOW)
        s.add(row)
        s.flush()
        assert row.id is not None
        return row.id


def add(db: Database, company: str) -> Application:
    with db.session() as s:
        return tracker.add_application(s, company=company, role="AE", today=TODAY, now=NOW,
                                       applied_on=TODAY)


def two_seekers(db: Database) -> tuple[Database, Database]:
    a = db.for_seeker(add_seeker(db, "ann@example.com"))
    b = db.for_seeker(add_seeker(db, "bob@example.com"))
    return a, b


def test_each_seeker_sees_and_numbers_only_their_own(engine_db: Database) -> None:
    a, b = two_seekers(engine_db)
    a1, a2 = add(a, "Acme"), add(a, "Globex")
    b1 = add(b, "Acme")
    assert (a1.number, a2.number, b1.number) == (1, 2, 1)
    assert b1.id not in (a1.id, a2.id)
    with a.session() as s:
        tracker.log_touch(s, a1.id or 0, "email", TODAY, now=NOW)
    with a.read_session() as s:
        assert [x.company for x in s.exec(select(Application))] == ["Acme", "Globex"]
        assert s.get(Application, b1.id) is None  # another seeker's row is not there
        assert len(s.exec(select(Touch)).all()) == 1
        assert [st.id for st in states.load_states(s)] == [a1.id, a2.id]
        assert [r[0] for r in states.list_summary(s)] == [a1.id, a2.id]
    with b.read_session() as s:
        assert [x.id for x in s.exec(select(Application))] == [b1.id]
        assert s.exec(select(Touch)).all() == []
    with b.read_connection() as con:
        assert [st.id for st in states.load_states(con)] == [b1.id]
    # A bulk UPDATE reaches this seeker's rows only.
    with b.session() as s:
        s.execute(update(Application).values(notes="b only"))
    with a.read_session() as s:
        assert {x.notes for x in s.exec(select(Application))} == {""}


def test_the_scope_kept_per_seeker_never_serves_another(engine_db: Database) -> None:
    """The options that scope a statement are kept per seeker (a few at a time): reading
    seekers in turn, more of them than are kept and each twice, every read sees only its
    own seeker's rows."""
    seekers = [engine_db.for_seeker(add_seeker(engine_db, f"s{n}@example.com"))
               for n in range(CRITERIA_KEPT + 4)]
    for n, db in enumerate(seekers):
        add(db, f"Company {n}")
    for _ in range(2):
        for n, db in enumerate(seekers):
            with db.read_session() as s:
                assert [a.company for a in s.exec(select(Application))] == [f"Company {n}"]


def test_a_row_of_another_seeker_is_not_written(engine_db: Database) -> None:
    a, b = two_seekers(engine_db)
    with pytest.raises(ScopeError, match="of seeker"), a.session() as s:
        s.add(Application(seeker_id=b.seeker_id(), company="X", role="Y", stage="applied",
                          stage_since=TODAY, created_at=NOW, updated_at=NOW))
    with b.read_session() as s:
        assert s.exec(select(Application)).all() == []


def test_hand_written_sql_without_the_seeker_is_refused(engine_db: Database) -> None:
    a, _b = two_seekers(engine_db)
    add(a, "Acme")
    with pytest.raises(ScopeError, match="application names no seeker"), a.session() as s:
        s.connection().exec_driver_sql("UPDATE application SET notes = 'x'")
    with pytest.raises(ScopeError, match="names no seeker"), a.read_connection() as con:
        con.execute("SELECT company FROM application").fetchall()
    with a.read_session() as s:
        assert s.connection().exec_driver_sql(
            f"SELECT count(*) FROM application WHERE seeker_id = {a.seeker_id()}"
        ).scalar() == 1
        cursor = states.plain_cursor(s)
        with pytest.raises(ScopeError):
            cursor.execute("SELECT id FROM touch")
        cursor.close()


@pytest.mark.parametrize(("sql", "table"), [
    ("SELECT id FROM application", "application"),
    ("SELECT a.id FROM seeker s JOIN mailmessage m ON m.id = s.id", "mailmessage"),
    ("DELETE FROM snooze WHERE application_id = ?", "snooze"),
    ("INSERT INTO touch (application_id) VALUES (?)", "touch"),
    ("UPDATE digest SET state = 'failed' WHERE state = 'retry'", "digest"),
    ("SELECT id FROM application WHERE seeker_id = ?", None),
    ("UPDATE application SET notes=? WHERE application.id = ?", None),  # the ORM's, by key
    ("SELECT id, email FROM seeker", None),
])
def test_the_guard_reads_the_statement(sql: str, table: str | None) -> None:
    assert unscoped_table(sql) == table
    if table is None:
        check_sql(sql)


def test_every_table_with_a_seeker_column_is_scoped() -> None:
    from sqlmodel import SQLModel

    from nudger.store.scope import SEEKER_TABLES, seeker_models

    with_column = {name for name, table in SQLModel.metadata.tables.items()
                   if "seeker_id" in table.c}
    assert with_column == SEEKER_TABLES
    assert {m.__tablename__ for m in seeker_models()} == SEEKER_TABLES  # type: ignore[attr-defined]


def test_keys_are_unique_per_seeker(engine_db: Database) -> None:
    from sqlalchemy.exc import IntegrityError

    a, b = two_seekers(engine_db)
    for db in (a, b):
        with db.session() as s:
            s.add(MailMessage(key="same@example", direction="in", kind="reply", date=NOW,
                              created_at=NOW))
    with pytest.raises(IntegrityError), a.session() as s:
        s.add(MailMessage(key="same@example", direction="in", kind="reply", date=NOW,
                          created_at=NOW))


def test_choosing_the_seeker(engine_db: Database) -> None:
    db = engine_db
    # No seeker: a read sees nothing and makes none; the first write makes the single
    # user's (email "").
    with db.read_session() as s:
        assert s.exec(select(Application)).all() == []
    with db.read_session(every_seeker=True) as s:
        assert s.exec(select(Seeker)).all() == []
    first = add(db, "Acme")
    with db.read_session(every_seeker=True) as s:
        assert [(x.id, x.email) for x in s.exec(select(Seeker))] == [(first.seeker_id, "")]
    add_seeker(db, "ann@example.com")
    fresh = type(db).__new__(type(db))
    fresh.__dict__.update(db.__dict__)
    fresh.choose_seeker(None)
    with pytest.raises(UsageError) as several:
        fresh.seeker_id()
    text = str(several.value)
    assert "--seeker EMAIL" in text and "NUDGER_SEEKER" in text and "seeker list" in text
    fresh.choose_seeker("nobody@example.com")
    with pytest.raises(NotFoundError, match=r"no seeker 'nobody@example\.com'"):
        fresh.seeker_id()
    fresh.choose_seeker("ANN@example.com")
    with fresh.read_session() as s:
        assert s.exec(select(Application)).all() == []


def test_concurrent_adds_for_several_seekers_all_get_their_numbers(
        engine: str, engine_db: Database, tmp_path: Path) -> None:
    """50 adds at once for 5 seekers, each on its own connection: every one succeeds, and
    each seeker's numbers are 1..10 (PostgreSQL: the seeker's row is locked while its next
    number is taken; SQLite: the write lock)."""
    seekers = [add_seeker(engine_db, f"s{n}@example.com") for n in range(5)]
    errors: list[BaseException] = []
    start = threading.Barrier(50)

    def one(seeker: int, n: int) -> None:
        db = engine_db.for_seeker(seeker) if engine == "sqlite" else \
            _fresh_pg(engine_db, tmp_path).for_seeker(seeker)
        try:
            start.wait(30)
            add(db, f"Company {n}")
        except BaseException as exc:
            errors.append(exc)
        finally:
            if db is not engine_db and engine != "sqlite":
                db.dispose()

    threads = [threading.Thread(target=one, args=(seekers[n % 5], n)) for n in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    for seeker in seekers:
        with engine_db.for_seeker(seeker).read_session() as s:
            numbers = sorted(a.number or 0 for a in s.exec(select(Application)))
        assert numbers == list(range(1, 11))


def _fresh_pg(db: Any, tmp_path: Path) -> Any:
    from nudger.store.pg import PgDatabase

    return PgDatabase(db.target, tmp_path / "nudger.db", password=db.password)


def test_states_use_the_seekers_zone_through_settings_for() -> None:
    from nudger.config import Settings
    from nudger.track.seeker_profile import SeekerProfile, settings_for

    base = Settings()
    mine = settings_for(base, SeekerProfile(email="ann@example.com", name="Ann",
                                            timezone="Asia/Tokyo", digest_at="06:15",
                                            digest_days="mon,wed"))
    assert mine.profile.email == "ann@example.com" and mine.profile.name == "Ann"
    assert mine.zone == ZoneInfo("Asia/Tokyo")
    assert (mine.digest.time.hour, mine.digest.time.minute) == (6, 15)
    assert mine.digest.days == ("mon", "wed")
    assert mine.profile.pitch == base.profile.pitch  # empty fields: config.toml's
    assert settings_for(base, SeekerProfile()) is base  # the single user: no change


def test_first_writes_at_once_make_one_single_user_seeker(
        engine: str, engine_db: Database, tmp_path: Path) -> None:
    """Ten processes' first writes on a database with no seeker: each succeeds, and all
    rows belong to the one single user's seeker they made between them."""
    errors: list[BaseException] = []
    start = threading.Barrier(10)

    def one(n: int) -> None:
        db = type(engine_db)(engine_db.path) if engine == "sqlite" else \
            _fresh_pg(engine_db, tmp_path)
        try:
            start.wait(30)
            add(db, f"Company {n}")
        except BaseException as exc:
            errors.append(exc)
        finally:
            db.dispose()

    threads = [threading.Thread(target=one, args=(n,)) for n in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    with engine_db.read_session(every_seeker=True) as s:
        seekers = s.exec(select(Seeker)).all()
        assert [x.email for x in seekers] == [""]
        apps = s.exec(select(Application)).all()
    assert sorted(a.number or 0 for a in apps) == list(range(1, 11))
    assert {a.seeker_id for a in apps} == {seekers[0].id}


def test_every_new_engine_gets_the_guard_even_with_a_collected_ones_id() -> None:
    """The statement guard is installed on each engine: remembered by `id(engine)` it was
    skipped for a new engine that got a collected one's id (CPython reuses them), and that
    engine's hand-written SQL ran unguarded (a flaky test found it)."""
    import gc

    from sqlalchemy import create_engine, event

    from nudger.store import scope

    seen: set[int] = set()
    reused = 0
    # Each collection then walks only what the loop made, not the whole worker's heap (in
    # a worker that has run a thousand tests, 200 full collections took six minutes).
    gc.freeze()
    try:
        for _ in range(200):
            engine = create_engine("sqlite://")
            reused += id(engine) in seen
            seen.add(id(engine))
            scope.install(engine)
            assert event.contains(engine, "before_cursor_execute", scope._guard)
            engine.dispose()
            del engine
            gc.collect()
    finally:
        gc.unfreeze()
    assert reused  # the case above did happen
