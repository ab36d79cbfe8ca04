"""Who is due among many seekers (an index range on ix_seeker_next_digest_at, checked with
EXPLAIN on both engines), moving a seeker's next digest on after a digest is recorded, and
removing every row of one seeker, found generically from the tables with a seeker_id."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Table, func, select

from nudger.config import Settings, parse_settings
from nudger.store import seekers as store
from nudger.store.bulk import BulkInsert
from nudger.store.db import Database
from nudger.store.models import Seeker, table_of
from nudger.track.seekers import add_seeker, digest_recorded, due_seekers, removal, set_enabled

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # a Monday
SETTINGS: Settings = parse_settings('timezone = "Europe/London"\n[digest]\ntime = "08:00"\n',
                                    Path("/tmp/config.toml"))
COLUMNS = ("email", "name", "timezone", "digest_at", "digest_days", "enabled",
           "next_digest_at", "created_at", "updated_at")


def fill(db: Database, count: int, due_every: int) -> int:
    """`count` seekers, one in `due_every` due at NOW (the rest over the next week), every
    tenth disabled: how many are due."""
    due = 0
    with db.session() as session:
        insert = BulkInsert(session.connection(), Seeker, COLUMNS)
        for n in range(count):
            enabled = n % 10 != 3
            if n % due_every == 0:
                at = NOW - timedelta(minutes=n % 7)
                due += enabled
            else:
                at = NOW + timedelta(minutes=1 + n % (7 * 24 * 60))
            insert.add((f"s{n}@example.org", f"S {n}", "", "", "", enabled,
                        at if enabled else None, NOW, NOW))
        insert.flush()
    return due


def plan(db: Database, statement: Any) -> str:
    """The engine's plan for `statement`, as text."""
    with db.session(every_seeker=True) as session:
        connection = session.connection()
        compiled = statement.compile(dialect=connection.dialect)
        params = compiled.construct_params()
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("ANALYZE seeker")
            rows = connection.exec_driver_sql("EXPLAIN " + str(compiled), params)
            return "\n".join(row[0] for row in rows)
        values = tuple(v.isoformat(" ") if isinstance(v, datetime) else v
                       for v in (params[name] for name in compiled.positiontup))
        rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled), values)
        return "\n".join(str(row[-1]) for row in rows)


def test_who_is_due_is_an_index_range_not_a_scan(engine_db: Database) -> None:
    due = fill(engine_db, 20_000, 100)
    text = plan(engine_db, store.due_statement(NOW))
    assert "ix_seeker_next_digest_at" in text, text
    assert "Seq Scan" not in text and "SCAN seeker" not in text, text
    found = due_seekers(engine_db, NOW, limit=None)
    assert len(found) == due > 0
    batch = due_seekers(engine_db, NOW, limit=50)  # a pass's batch: the longest-waiting
    assert len(batch) == 50 and {s.id for s in batch} <= {s.id for s in found}
    assert [s.next_digest_at for s in batch] == [s.next_digest_at for s in found[:50]]
    assert [s.next_digest_at for s in found] == sorted(s.next_digest_at for s in found)
    assert all(s.next_digest_at <= NOW and s.next_digest_at.tzinfo is not None for s in found)
    assert due_seekers(engine_db, NOW - timedelta(minutes=10)) == []


def test_a_recorded_digest_moves_the_next_one_on_once(engine_db: Database) -> None:
    # Dana: 08:30 in Paris is 07:30 UTC; Lee: config.toml's 08:00 in London is 08:00 UTC.
    add_seeker(engine_db, SETTINGS, email="dana@example.org", name="Dana",
               now=NOW - timedelta(hours=12), timezone="Europe/Paris", at="08:30")
    add_seeker(engine_db, SETTINGS, email="lee@example.org", name="Lee",
               now=NOW - timedelta(hours=12))
    found = due_seekers(engine_db, NOW)
    assert [s.email for s in found] == ["dana@example.org", "lee@example.org"]
    dana = found[0]
    assert dana.next_digest_at == datetime(2026, 12, 7, 7, 30, tzinfo=UTC)
    following = digest_recorded(engine_db, SETTINGS, dana.id, dana.next_digest_at, NOW)
    assert following == datetime(2026, 12, 8, 7, 30, tzinfo=UTC)
    # A second worker recording the same digest changes nothing.
    assert digest_recorded(engine_db, SETTINGS, dana.id, dana.next_digest_at, NOW) is None
    assert [s.email for s in due_seekers(engine_db, NOW)] == ["lee@example.org"]
    # A digest recorded late (the daemon was down) moves past `now`, not to a past moment.
    lee = found[1]
    late = NOW + timedelta(days=2, hours=3)
    assert digest_recorded(engine_db, SETTINGS, lee.id, lee.next_digest_at, late) == (
        datetime(2026, 12, 10, 8, 0, tzinfo=UTC))
    # A disabled seeker is never due, and recording for one changes nothing.
    set_enabled(engine_db, SETTINGS, "dana@example.org", False, NOW)
    assert digest_recorded(engine_db, SETTINGS, dana.id, following, NOW) is None
    assert [s.email for s in due_seekers(engine_db, NOW + timedelta(days=30))] == [
        "lee@example.org"]


def test_the_first_due_seeker_is_lee_at_eight_london(engine_db: Database) -> None:
    add_seeker(engine_db, SETTINGS, email="lee@example.org", name="Lee",
               now=NOW - timedelta(hours=12))
    assert due_seekers(engine_db, NOW - timedelta(seconds=1)) == []
    (lee,) = due_seekers(engine_db, NOW)
    assert lee.next_digest_at == NOW


def test_removal_deletes_every_row_of_that_seeker_and_nothing_else(
        engine_db: Database, scratch_table: Table) -> None:
    with engine_db.session(every_seeker=True) as session:
        scratch_table.create(session.connection())
    for email in ("dana@example.org", "dana@example.org.evil", "lee@example.org"):
        add_seeker(engine_db, SETTINGS, email=email, name=email, now=NOW)
    with engine_db.session(every_seeker=True) as session:
        ids = dict(session.connection().execute(
            select(table_of(Seeker).c.email, table_of(Seeker).c.id)).all())
        connection = session.connection()
        for email, seeker_id in ids.items():
            connection.execute(scratch_table.insert(), [
                {"seeker_id": seeker_id, "text": f"{email} {n}"} for n in range(3)])
    assert scratch_table in store.seeker_tables()
    assert removal(engine_db, "Dana@Example.org", really=False) == {"scratch_note": 3,
                                                                    "seeker": 1}
    with engine_db.read_session(every_seeker=True) as session:  # nothing deleted yet
        assert session.connection().execute(
            select(func.count()).select_from(scratch_table)).scalar_one() == 9
    assert removal(engine_db, "dana@example.org", really=True) == {"scratch_note": 3,
                                                                   "seeker": 1}
    with engine_db.read_session(every_seeker=True) as session:
        connection = session.connection()
        left = sorted(connection.execute(select(scratch_table.c.text)).scalars())
        emails = sorted(connection.execute(select(table_of(Seeker).c.email)).scalars())
    assert emails == ["dana@example.org.evil", "lee@example.org"]
    assert left == sorted(f"{e} {n}" for e in emails for n in range(3))


def test_concurrent_adds_of_one_address_give_one_seeker_and_clear_refusals(
        engine_db: Database) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from nudger.errors import UsageError

    def add(n: int) -> str:
        try:
            add_seeker(engine_db, SETTINGS, email="Dana@example.org", name=f"Dana {n}",
                       now=NOW)
            return "added"
        except UsageError as exc:
            assert "a seeker 'dana@example.org' is already there" in str(exc)
            return "refused"

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(add, range(16)))
    assert sorted(outcomes) == ["added"] + ["refused"] * 15
