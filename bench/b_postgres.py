"""PostgreSQL beside SQLite (README, "Many seekers on PostgreSQL").

Figures:
- `due` (load_states + due_on) for a seeker with 1,000 open applications and 5,000 touches,
  among 10,000 seekers on PostgreSQL (the 9,999 others with 10 applications and 50 touches
  each: 100,000 applications, 500,000 touches in all), against the same hunt alone on
  SQLite in the same run: target <= 1.5x. Wall time, the least of alternating rounds: on
  PostgreSQL part of the work is the server's, which this process's CPU time would not
  count.
- `nudger db copy` of the 10,000-application SQLite database (50,000 touches) into an empty
  PostgreSQL database: rows per second, target >= 2,000.

Needs the PostgreSQL server binaries (Debian's `postgresql`); without them no figure is
given and the reason is printed. Run: `.venv/bin/python -m bench postgres`.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from bench.b_cadence import build, due_from_db
from bench.core import Figure
from nudger.secrets import Secret
from nudger.store.copy import copy_database
from nudger.store.db import Database
from nudger.store.pg import PgDatabase
from nudger.store.pgurl import parse


def _best_pair(first: Database, second: Database, rounds: int) -> tuple[float, float]:
    best = [float("inf"), float("inf")]
    for n in range(rounds):
        order = ((0, first), (1, second)) if n % 2 == 0 else ((1, second), (0, first))
        for index, db in order:
            start = time.perf_counter()
            due_from_db(db)
            best[index] = min(best[index], time.perf_counter() - start)
    return best[0], best[1]


OTHER_SEEKERS = 9_999


def _crowd(db: Database, count: int) -> int:
    """Add `count` seekers beside the hunt's, each with copies of its first 10 applications
    and their touches (same numbers, their own rows): one INSERT ... SELECT per table on
    the server. The rows added."""
    import sqlalchemy as sa
    from sqlmodel import SQLModel

    import nudger.store.models  # noqa: F401

    tables = SQLModel.metadata.tables

    def columns(name: str, *skip: str) -> list[str]:
        return [c.name for c in tables[name].c if c.name not in ("id", *skip)]

    seeker = columns("seeker", "email", "name")
    app = columns("application", "seeker_id")
    touch = columns("touch", "seeker_id", "application_id")
    with db.session(every_seeker=True) as session:
        connection = session.connection()
        connection.execute(sa.text(
            f"INSERT INTO seeker (email, name, {', '.join(seeker)}) "
            f"SELECT 'seeker' || g || '@example.org', 'Seeker ' || g, "
            f"{', '.join('s.' + c for c in seeker)} FROM seeker s, generate_series(1, :n) g"),
            {"n": count})
        apps = connection.execute(sa.text(
            f"INSERT INTO application (seeker_id, {', '.join(app)}) "
            f"SELECT s.id, {', '.join('a.' + c for c in app)} FROM application a "
            "JOIN seeker s ON s.id <> a.seeker_id WHERE a.number <= 10")).rowcount
        touches = connection.execute(sa.text(
            f"INSERT INTO touch (seeker_id, application_id, {', '.join(touch)}) "
            f"SELECT b.seeker_id, b.id, {', '.join('t.' + c for c in touch)} FROM touch t "
            "JOIN application a ON a.id = t.application_id AND a.number <= 10 "
            "JOIN application b ON b.number = a.number AND b.seeker_id <> a.seeker_id "
            "WHERE a.seeker_id = (SELECT min(id) FROM seeker)")).rowcount
        connection.execute(sa.text("ANALYZE"))
    return int(count + apps + touches)


def figures(work: Path) -> list[Figure]:
    from tests import pgserver

    reason = pgserver.missing_reason()
    if reason is not None:
        print(f"b_postgres: no PostgreSQL figures: {reason}", file=sys.stderr)
        return []
    cluster = pgserver.PgCluster()
    cluster.start()
    try:
        def pg(name: str) -> PgDatabase:
            return PgDatabase(parse(cluster.url(name)), work / "unused.db",
                              password=Secret(pgserver.PASSWORD))

        small, large = work / "due-1k.db", work / "copy-10k.db"
        build(small, 1_000, 5)
        build(large, 10_000, 5)
        lite = Database(small)
        due_pg = pg(cluster.new_database())
        copy_database(lite, due_pg)
        others = _crowd(due_pg, OTHER_SEEKERS)
        due_pg.choose_seeker("")  # the hunt's seeker (a single user's: no email)
        assert due_from_db(lite) == due_from_db(due_pg) > 0  # the same answer, warmed up
        on_sqlite, on_pg = _best_pair(lite, due_pg, 15)

        source, dest = Database(large), pg(cluster.new_database())
        start = time.perf_counter()
        copied = copy_database(source, dest)
        copy_s = time.perf_counter() - start
        rows = sum(copied.values())
        for db in (lite, due_pg, source, dest):
            db.dispose()
    finally:
        cluster.stop()
    ratio = on_pg / on_sqlite
    rate = rows / copy_s
    return [
        Figure("postgres: due, 1k apps / 5k touches among 10k seekers", on_pg, "s",
               "<= 1.5x SQLite", ratio <= 1.5,
               f"the hunt alone on SQLite: {on_sqlite:.4f} s; {others} rows of others", ratio),
        Figure("postgres: db copy from SQLite, 10k apps / 50k touches", rate, "rows/s",
               ">= 2000 rows/s", rate >= 2000, f"{rows} rows in {copy_s:.2f} s"),
    ]
