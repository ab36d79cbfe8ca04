"""The outbox's claims under concurrency, on both engines: of many processes racing for the
same retry row or the same day, exactly one wins; on PostgreSQL a row another transaction
holds is skipped at once (FOR UPDATE SKIP LOCKED), never waited for; and 50 `nudger add`
processes at once for five seekers on PostgreSQL all succeed, each seeker's numbers 1 to 10.
"""

from __future__ import annotations

import os
import subprocess
import threading
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from nudger.store.db import Database
from nudger.store.models import DigestRecord
from nudger.store.outbox import Claimed, Outbox
from tests import pgserver
from tests.conftest import PROFILE, nudger_executable

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
DAY = date(2026, 11, 30)
RECIPIENT = "alex@example.com"


def never_stale(_record: DigestRecord) -> bool:
    return False


def _retry_row(db: Database) -> int:
    with db.session() as s:
        record = DigestRecord(recipient=RECIPIENT, local_date=DAY, message_id="<m@x>",
                              state="retry", attempts=1, created_at=NOW, updated_at=NOW,
                              next_attempt_at=NOW - timedelta(minutes=1))
        s.add(record)
        s.flush()
        assert record.id is not None
        return int(record.id)


def _race(count: int, work: Any) -> list[Any]:
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(i: int) -> None:
        barrier.wait()
        results[i] = work(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def test_one_of_many_claims_a_retry(engine_db: Database) -> None:
    record_id = _retry_row(engine_db)
    outbox = Outbox(engine_db, RECIPIENT)
    won = _race(8, lambda i: outbox.claim_retry(record_id, NOW, me=f"host:{i}",
                                                is_stale=never_stale))
    assert sum(1 for r in won if r is not None) == 1
    with engine_db.read_session() as s:
        row = s.get(DigestRecord, record_id)
        assert row is not None and (row.state, row.attempts) == ("sending", 2)


def test_one_of_many_claims_a_day(engine_db: Database) -> None:
    outbox = Outbox(engine_db, RECIPIENT)
    ids = iter(range(1000))
    results = _race(8, lambda i: outbox.claim_day(DAY, NOW, force=False, me=f"host:{i}",
                                                  is_stale=never_stale,
                                                  new_message_id=lambda: f"<{next(ids)}@x>"))
    assert sum(1 for r in results if isinstance(r, Claimed)) == 1
    with engine_db.read_session() as s:
        rows = s.exec(DigestRecord.__table__.select()).all()  # type: ignore[attr-defined]
    assert len(rows) == 1


def test_a_held_retry_is_skipped_not_waited_for_on_postgresql(pg_cluster: Any,
                                                              tmp_path: Any) -> None:
    from tests.conftest import pg_database

    name = pg_cluster.new_database()
    db = pg_database(pg_cluster, pg_cluster.url(name), tmp_path / "n.db")
    db.ensure()
    record_id = _retry_row(db)
    holder = db.connect()
    try:
        holder.execute("SELECT id FROM digest WHERE id = %s FOR UPDATE", (record_id,))
        outbox = Outbox(db, RECIPIENT)
        # Returns at once (a lock wait would hang here until the holder commits).
        assert outbox.claim_retry(record_id, NOW, me="host:2", is_stale=never_stale) is None
    finally:
        holder.rollback()
        holder.close()
    claimed = Outbox(db, RECIPIENT).claim_retry(record_id, NOW, me="host:2",
                                                is_stale=never_stale)
    assert claimed is not None and claimed.claimed_by == "host:2"
    db.dispose()


@pytest.mark.slow
def test_fifty_concurrent_adds_for_five_seekers_on_postgresql_all_succeed(
        pg_cluster: Any, tmp_path: Any) -> None:
    name = pg_cluster.new_database()
    config = tmp_path / "config.toml"
    config.write_text(f'timezone = "America/Chicago"\ndatabase = "{pg_cluster.url(name)}"\n'
                      + PROFILE)
    env = {**os.environ, "PGPASSWORD": pgserver.PASSWORD, "HOME": str(tmp_path),
           "XDG_DATA_HOME": str(tmp_path / "data"), "NUDGER_CONFIG": str(config)}
    first = subprocess.run([nudger_executable(), "init"], env=env, capture_output=True,
                           text=True, timeout=120, check=False)
    assert first.returncode == 0, first.stderr
    # Five seekers (one `seeker import`: five `seeker add`s cost four more interpreter
    # start-ups, and the race under test is the adds'), ten adds each, all at once.
    seekers = tmp_path / "seekers.csv"
    seekers.write_text("email,name\n" + "".join(f"s{n}@example.org,Seeker {n}\n"
                                                for n in range(5)))
    made = subprocess.run([nudger_executable(), "seeker", "import", str(seekers)], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert made.returncode == 0, made.stderr
    assert pg_cluster.admin("SELECT email, name FROM seeker ORDER BY email", dbname=name) == [
        (f"s{n}@example.org", f"Seeker {n}") for n in range(5)]
    procs = [subprocess.Popen([nudger_executable(), "--seeker", f"s{i % 5}@example.org",
                               "add", f"Company {i}", "AE",
                               "--contact", f"Dana {i} <dana{i}@example.com>"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for i in range(50)]
    failures = []
    for proc in procs:
        _out, err = proc.communicate(timeout=300)
        if proc.returncode != 0:
            failures.append(err)
    assert failures == []
    rows = pg_cluster.admin("SELECT count(*), count(DISTINCT company) FROM application",
                            dbname=name)
    assert rows == [(50, 50)]
    assert pg_cluster.admin("SELECT count(*) FROM contact", dbname=name) == [(50,)]
    # Each seeker's numbers are 1..10, whatever the others did at the same moment.
    numbers = pg_cluster.admin(
        "SELECT s.email, array_agg(a.number ORDER BY a.number) FROM application a "
        "JOIN seeker s ON s.id = a.seeker_id GROUP BY s.email ORDER BY s.email", dbname=name)
    assert numbers == [(f"s{n}@example.org", list(range(1, 11))) for n in range(5)]
