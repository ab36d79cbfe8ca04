"""Many seekers in one database (README, "Many seekers on PostgreSQL").

Figures:
- `nudger seeker import` of a 10,000-seeker CSV file (varied zones, digest times and days,
  every next digest computed) into an empty PostgreSQL database: rows per second, target
  >= 2,000. The library call the command makes (`import_seekers`), wall time; the same
  on SQLite is given for comparison.
- The daemon's question "who is due" at 08:00 among 100,000 seekers (`due_seekers`: a
  range on ix_seeker_next_digest_at): every seeker's next digest was computed after the
  previous pass at 07:59 London time, so the ones due are those whose digest is at 08:00
  there (their own zone and time, or config.toml's): about 16,000. A pass takes them a
  batch (`DUE_BATCH`, 500) at a time; that query is the target figure, <= 50 ms on
  PostgreSQL (SQLite reported beside it). All 16,000 in one list is reported too (no
  target: it is the rows' own conversion, linear in how many are due). Wall time, the
  least of 15 rounds.
- The daemon serving the 100,000 (`nudger run` without `--seeker`, daemon/seekerpass.py):
  one wake-up with nobody due (the every-minute check: who is due, retries waiting, the
  next wake-up), the least of 15 rounds, on SQLite; target <= 50 ms.
- The daemon's pass sending 200 seekers' digests due at the same minute into a Maildir
  (SQLite; each digest composed with the seeker's own settings, claimed and marked in the
  outbox, then the seeker's next digest moved on): digests per second, reported.

Needs the PostgreSQL server binaries (Debian's `postgresql`); without them only the
SQLite figures are given and the reason is printed. Run: `.venv/bin/python -m bench seekers`.
"""

from __future__ import annotations

import asyncio
import logging
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.core import Figure
from nudger.config import Settings, parse_settings
from nudger.store.bulk import BulkInsert
from nudger.store.db import Database
from nudger.store.models import Seeker
from nudger.track.seekers import DUE_BATCH, ClockFields, due_seekers, import_seekers
from nudger.when.next_digest import next_digest_at

SETTINGS: Settings = parse_settings('timezone = "Europe/London"\n[digest]\ntime = "08:00"\n',
                                    Path("/tmp/config.toml"))
ZONES = ("", "", "", "Europe/London", "Europe/Paris", "America/New_York", "Asia/Kolkata",
         "Australia/Sydney", "America/Sao_Paulo")
TIMES = ("", "", "07:00", "07:30", "07:45", "08:00", "08:00", "08:15", "09:00", "12:30")
DAYS = ("", "", "mon,wed,fri", "mon,tue,wed,thu,fri", "tue,thu", "mon")
# Monday 7 December 2026, 08:00 in London (GMT); the previous pass ran at 07:59.
AT_0800 = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
PREVIOUS_PASS = datetime(2026, 12, 7, 7, 59, tzinfo=UTC)


def _fields(rng: random.Random) -> tuple[str, str, str]:
    return rng.choice(ZONES), rng.choice(TIMES), rng.choice(DAYS)


def write_csv(path: Path, count: int) -> None:
    rng = random.Random(23)
    lines = ["email,name,timezone,at,days"]
    for n in range(count):
        zone, at, days = _fields(rng)
        lines.append(f'student{n}@uni.example.org,Student {n},{zone},{at},"{days}"')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def fill(db: Database, count: int) -> int:
    """`count` seekers whose next digest was computed at the previous pass: how many are
    due at 08:00."""
    rng = random.Random(7)
    due = 0
    with db.session() as session:
        insert = BulkInsert(session.connection(), Seeker, (
            "email", "name", "timezone", "digest_at", "digest_days", "enabled",
            "next_digest_at", "created_at", "updated_at"))
        for n in range(count):
            zone, at, days = _fields(rng)
            moment = next_digest_at(SETTINGS, ClockFields(zone, at, days), PREVIOUS_PASS)
            due += moment <= AT_0800
            insert.add((f"s{n}@uni.example.org", f"S {n}", zone, at, days, True, moment,
                        PREVIOUS_PASS, PREVIOUS_PASS))
            if len(insert) >= 5000:
                insert.flush()
        insert.flush()
    return due


def _import(db: Database, csv: Path) -> tuple[float, int]:
    db.ensure()
    start = time.perf_counter()
    report = import_seekers(db, SETTINGS, csv, PREVIOUS_PASS)
    took = time.perf_counter() - start
    assert report.added == 10_000 and not report.problems, report.problems[:3]
    return took, report.added


def _due(db: Database, expected: int, limit: int | None) -> float:
    db.ensure()
    found = due_seekers(db, AT_0800, limit=None)  # the right answer, warmed up
    batch = due_seekers(db, AT_0800)
    assert len(found) == expected and len(batch) == min(expected, DUE_BATCH)
    best = float("inf")
    for _ in range(15):
        start = time.perf_counter()
        due_seekers(db, AT_0800, limit=limit)
        best = min(best, time.perf_counter() - start)
    return best


def _daemon(work: Path, db: Database, settings: Settings, at: datetime) -> Any:
    from nudger.config import ConfigLocation
    from nudger.daemon.notify import Notifier
    from nudger.daemon.run import Daemon

    log = logging.getLogger("nudger.bench.seekers")
    log.propagate = False
    log.addHandler(logging.NullHandler())
    return Daemon(ConfigLocation(work / "config.toml", True), {}, settings, db, Notifier({}),
                  log, lambda: at, many=True)


def _idle_wake(work: Path, db: Database) -> float:
    """The least wall time of one wake-up of the daemon with nobody due."""
    daemon = _daemon(work, db, SETTINGS, PREVIOUS_PASS)

    async def rounds() -> float:
        best = float("inf")
        for _ in range(16):  # the first warms the imports and connections
            start = time.perf_counter()
            await daemon.digest_work(PREVIOUS_PASS)
            daemon.seekers.next_wake(PREVIOUS_PASS, timedelta(seconds=15))
            best = min(best, time.perf_counter() - start)
        return best

    assert not due_seekers(db, PREVIOUS_PASS)
    return asyncio.run(rounds())


def _pass_rate(work: Path, count: int = 200) -> float:
    """Digests per second of the daemon's pass with `count` seekers due at once."""
    maildir = work / "Maildir"
    settings = parse_settings(
        'timezone = "Europe/London"\n[profile]\nemail = "centre@uni.example.org"\n'
        '[digest]\ntime = "08:00"\nsend_when_empty = true\n[delivery]\nmethod = "maildir"\n'
        f'maildir = "{maildir}"\n', work / "config.toml")
    db = Database(work / "seekers-pass.db")
    db.ensure()
    with db.session() as session:
        insert = BulkInsert(session.connection(), Seeker, (
            "email", "name", "timezone", "digest_at", "digest_days", "enabled",
            "next_digest_at", "created_at", "updated_at"))
        for n in range(count):
            insert.add((f"p{n}@uni.example.org", f"P {n}", "", "", "", True, AT_0800,
                        PREVIOUS_PASS, PREVIOUS_PASS))
        insert.flush()
    now = AT_0800 + timedelta(seconds=30)
    daemon = _daemon(work, db, settings, now)
    try:
        start = time.perf_counter()
        asyncio.run(daemon.digest_work(now))
        took = time.perf_counter() - start
        sent = len(list((maildir / "new").iterdir()))
        assert sent == count and not due_seekers(db, now), (sent, count)
    finally:
        db.dispose()
    return count / took


def figures(work: Path) -> list[Figure]:
    from tests import pgserver

    csv = work / "seekers-10k.csv"
    write_csv(csv, 10_000)
    lite_import = Database(work / "seekers-import.db")
    lite_s, _ = _import(lite_import, csv)
    lite_import.dispose()
    lite = Database(work / "seekers-100k.db")
    lite.ensure()
    due = fill(lite, 100_000)
    lite_due, lite_all = _due(lite, due, DUE_BATCH), _due(lite, due, None)
    idle = _idle_wake(work, lite)
    lite.dispose()
    rate = _pass_rate(work)
    daemon_figures = [
        Figure("seekers: the daemon's wake-up among 100k, nobody due (SQLite)", idle, "s",
               "<= 50 ms", idle <= 0.05, "every minute in this mode"),
        Figure("seekers: the daemon's pass, 200 digests due at once into a Maildir (SQLite)",
               rate, "digests/s", "(none)", True, "one after another, each composed"),
    ]
    batch = f"who is due at 08:00 among 100k, a pass's batch of {DUE_BATCH}"
    every = f"who is due at 08:00 among 100k, all {due} at once"
    reason = pgserver.missing_reason()
    if reason is not None:
        print(f"b_seekers: no PostgreSQL figures: {reason}", file=sys.stderr)
        return [Figure(f"seekers: {batch} (SQLite)", lite_due, "s", "<= 50 ms",
                       lite_due <= 0.05),
                Figure(f"seekers: {every} (SQLite)", lite_all, "s", "(none)", True),
                *daemon_figures]
    from nudger.secrets import Secret
    from nudger.store.pg import PgDatabase
    from nudger.store.pgurl import parse

    cluster = pgserver.PgCluster()
    cluster.start()
    try:
        def pg(name: str) -> PgDatabase:
            return PgDatabase(parse(cluster.url(name)), work / "unused.db",
                              password=Secret(pgserver.PASSWORD))

        imported = pg(cluster.new_database())
        pg_s, rows = _import(imported, csv)
        imported.dispose()
        many = pg(cluster.new_database())
        many.ensure()
        assert fill(many, 100_000) == due
        with many.session(every_seeker=True) as session:
            session.connection().exec_driver_sql("ANALYZE seeker")
        pg_due, pg_all = _due(many, due, DUE_BATCH), _due(many, due, None)
        many.dispose()
    finally:
        cluster.stop()
    rate = rows / pg_s
    return [
        Figure("seekers: seeker import of 10k on PostgreSQL", rate, "rows/s",
               ">= 2000 rows/s", rate >= 2000,
               f"{pg_s:.2f} s; SQLite {rows / lite_s:.0f} rows/s"),
        Figure(f"seekers: {batch} (PostgreSQL)", pg_due, "s", "<= 50 ms", pg_due <= 0.05,
               f"SQLite {lite_due * 1000:.1f} ms"),
        Figure(f"seekers: {batch} (SQLite)", lite_due, "s", "<= 50 ms", lite_due <= 0.05),
        Figure(f"seekers: {every} (PostgreSQL)", pg_all, "s", "(none)", True,
               f"SQLite {lite_all * 1000:.1f} ms"),
        *daemon_figures,
    ]
