"""PostgreSQL beside SQLite (README, "Many seekers on PostgreSQL").

Figures:
- `due` (load_states + due_on) for a hunt of 1,000 open applications with 5,000 touches on
  PostgreSQL, against the same on SQLite in the same run: target <= 1.5x. (The issue's
  figure puts that hunt among 10,000 seekers; seekers are not built yet, so the database
  holds this one hunt.) Wall time, the least of alternating rounds: on PostgreSQL part of
  the work is the server's, which this process's CPU time would not count.
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
        Figure("postgres: due, 1k apps / 5k touches", on_pg, "s", "<= 1.5x SQLite",
               ratio <= 1.5, f"the same on SQLite: {on_sqlite:.4f} s", ratio),
        Figure("postgres: db copy from SQLite, 10k apps / 50k touches", rate, "rows/s",
               ">= 2000 rows/s", rate >= 2000, f"{rows} rows in {copy_s:.2f} s"),
    ]
