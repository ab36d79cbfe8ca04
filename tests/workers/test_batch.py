"""The workers' batch jobs (send/leased_batch.py, `nudger.send_digests`) against the real
PostgreSQL cluster and the project's SMTP server: a batch takes only the rows no other
worker holds (and a row whose lease ran out, with its Message-ID); a row taken over while
the batch waited is not sent by it; a stopped batch gives back at once what it did not
mark; a killed worker's half-done batch is finished by another, no seeker twice (but the
one the relay had accepted before the kill, under the same Message-ID); a worker stopped
with SIGTERM in the middle of a batch gives back what it did not reach."""

from __future__ import annotations

import asyncio
import random
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from nudger.config import Settings
from nudger.send.leased_batch import send_batch
from nudger.send.outbox import Outcome
from nudger.send.pool import Relay
from nudger.store.db import Database
from nudger.store.outbox import Claimed, Outbox
from nudger.store.outbox_bulk import DayRow, record_days
from nudger.track import seekers
from nudger.when.business import Calendar
from tests.conftest import Home, pg_database, trials
from tests.daemon_helpers import wait_until
from tests.send.test_delivery import config
from tests.smtpserver import SmtpServer
from tests.workers.test_run import _config, _worker
from tests.workers.test_tick import url  # noqa: F401  (the migrated database fixture)
from tests.workers.test_worker_faults import _exactly_once, _sql, _stop_all

NOW = datetime.now(UTC).replace(microsecond=0)
DAY = NOW.date()
ME = "batch:1:aaaaaaaa"
OTHER = "other:2:bbbbbbbb"
LEASE = timedelta(minutes=5)


@pytest.fixture
def db(pg_cluster: Any, url: str, tmp_path: Path) -> Iterator[Database]:  # noqa: F811
    database = pg_database(pg_cluster, url, tmp_path / "nudger.db")
    yield database
    database.dispose()


def _seekers(db: Database, settings: Settings, count: int) -> list[int]:
    """`count` seekers, each with a 'pending' row for DAY (as the tick writes them)."""
    for n in range(count):
        seekers.add_seeker(db, settings, email=f"s{n}@example.org", name=f"S {n}", now=NOW)
    with db.session(every_seeker=True) as s:
        found = dict(s.execute(text("SELECT email, id FROM seeker")).all())
        ids = [int(found[f"s{n}@example.org"]) for n in range(count)]
        record_days(s.connection(), [DayRow(i, f"s{n}@example.org", DAY, "pending")
                                     for n, i in enumerate(ids)], NOW)
    return ids


def _digests(db: Database) -> dict[int, tuple[str, str, str, int, bool]]:
    """seeker -> (state, claimed_by, Message-ID, attempts, uncertain) of DAY's row."""
    with db.read_session(every_seeker=True) as s:
        return {int(r[0]): (str(r[1]), str(r[2]), str(r[3]), int(r[4]), bool(r[5]))
                for r in s.execute(text(
                    "SELECT seeker_id, state, claimed_by, message_id, attempts, uncertain "
                    "FROM digest WHERE local_date = :d"), {"d": DAY})}


def _claim(db: Database, seeker_id: int, email: str) -> Claimed:
    """Another worker's claim (a live lease) of the seeker's row."""
    claim = Outbox(db.for_seeker(seeker_id), email).claim_leased(
        DAY, NOW, me=OTHER, lease=LEASE, new_message_id=lambda: f"<other-{seeker_id}@x>")
    assert isinstance(claim, Claimed) and claim.previous, claim  # the row, not a new one
    return claim


async def _send(settings: Settings, db: Database, ids: list[int], tmp_path: Path,
                me: str = ME, lease: timedelta = LEASE, concurrency: int = 3) -> list[Any]:
    async with Relay(settings, {}, data_dir=tmp_path) as relay:
        return await send_batch(settings, db, Calendar.from_settings(settings),
                                [(i, DAY) for i in ids], me=me, lease=lease, relay=relay,
                                clock=lambda: datetime.now(UTC), concurrency=concurrency)


def _settings(tmp_path: Path, server: SmtpServer) -> Settings:
    return config(tmp_path, server.smtp_config(tmp_path) + "[digest]\nsend_when_empty = true\n")


def _recipients(server: SmtpServer) -> Counter[str]:
    return Counter(r for m in server.messages for r in m.rcpt_tos)


def test_a_batch_takes_only_the_rows_no_other_worker_holds(db: Database,
                                                          tmp_path: Path) -> None:
    with SmtpServer("plain") as server:
        settings = _settings(tmp_path, server)
        ids = _seekers(db, settings, 6)
        emails = {i: f"s{n}@example.org" for n, i in enumerate(ids)}
        a, b, c, d, e, f = ids
        # b and c: another worker's live claims; f: another's claim whose lease ran out.
        for seeker in (b, c, f):
            _claim(db, seeker, emails[seeker])
        with db.session(every_seeker=True) as s:
            s.execute(text("UPDATE digest SET lease_until = now() - interval '1 second' "
                           "WHERE seeker_id = :f"), {"f": f})
            s.execute(text("UPDATE digest SET state = 'sent' WHERE seeker_id = :e"),
                      {"e": e})
        results = asyncio.run(_send(settings, db, ids, tmp_path))
        outcomes = Counter(r.outcome for r in results)
        assert outcomes == {Outcome.SENT: 3, Outcome.ALREADY: 3}, results
        assert _recipients(server) == {emails[a]: 1, emails[d]: 1, emails[f]: 1}
        rows = _digests(db)
        for seeker in (a, d, f):
            assert rows[seeker][:2] == ("sent", ME), rows[seeker]
        for seeker in (b, c):
            assert rows[seeker][:2] == ("sending", OTHER)
        assert rows[e][0] == "sent" and rows[e][1] == ""
        # The takeover resent f's digest under the Message-ID the other worker gave it.
        [to_f] = [m for m in server.messages if m.rcpt_tos == [emails[f]]]
        assert to_f.message_id == rows[f][2] == f"<other-{f}@x>" and rows[f][3] == 2
        for seeker in (a, d):  # claimed once; each carries its row's Message-ID
            [message] = [m for m in server.messages if m.rcpt_tos == [emails[seeker]]]
            assert message.message_id == rows[seeker][2] and rows[seeker][3] == 1
        # The same batch again (the queue runs a job at least once): nothing more.
        again = asyncio.run(_send(settings, db, ids, tmp_path, me="batch:3:cccccccc"))
        assert {r.outcome for r in again} == {Outcome.ALREADY}
        assert len(server.messages) == 3


def test_each_digest_of_a_batch_tells_its_own_seekers_earlier_failures(
        db: Database, tmp_path: Path) -> None:
    """The batch reads its seekers' failed digests not yet reported in one query: each
    digest tells its own seeker's (and only once), as the single-seeker flow does."""
    with SmtpServer("plain") as server:
        settings = _settings(tmp_path, server)
        ids = _seekers(db, settings, 3)
        with db.session(every_seeker=True) as s:
            for seeker, days_ago, told in ((ids[0], 1, None), (ids[0], 2, DAY),
                                           (ids[2], 3, None)):
                s.execute(text(
                    "INSERT INTO digest (seeker_id, recipient, local_date, message_id, state, "
                    "attempts, nudges, last_error, uncertain, created_at, updated_at, "
                    "claimed_by, reported_in) VALUES (:s, :r, :d, '', 'failed', 1, 0, "
                    ":e, false, :now, :now, '', :told)"),
                    {"s": seeker, "r": f"s{ids.index(seeker)}@example.org",
                     "d": DAY - timedelta(days=days_ago), "e": f"550 gone {days_ago}",
                     "now": NOW, "told": told})
        results = asyncio.run(_send(settings, db, ids, tmp_path))
        assert {r.outcome for r in results} == {Outcome.SENT}
        body = {m.rcpt_tos[0]: m.message.get_body(("plain",)).get_content()
                for m in server.messages}
        assert "550 gone 1" in body["s0@example.org"]
        assert "550 gone 2" not in body["s0@example.org"]  # told before
        assert "not delivered" not in body["s1@example.org"]
        assert "550 gone 3" in body["s2@example.org"]
        assert "550 gone 1" not in body["s2@example.org"]
        with db.read_session(every_seeker=True) as s:
            told = {(int(a), int((DAY - b).days)): c for a, b, c in s.execute(text(
                "SELECT seeker_id, local_date, reported_in FROM digest WHERE state = "
                "'failed'"))}
        assert told == {(ids[0], 1): DAY, (ids[0], 2): DAY, (ids[2], 3): DAY}


def test_a_row_taken_over_while_the_batch_waited_is_not_sent_by_it(
        db: Database, tmp_path: Path) -> None:
    """A batch whose lease ran out while it was held up (here: the relay sat on the first
    MAIL past it) renews what it has not sent before the next message: a row another
    worker took over meanwhile is theirs, not sent by this batch; the others go out."""
    with SmtpServer("plain") as server:
        settings = _settings(tmp_path, server)
        ids = _seekers(db, settings, 3)
        server.handler.pause_at = "MAIL"
        lease = timedelta(seconds=2)
        results: list[Any] = []
        # One digest at a time: the first seeker's is in MAIL, the others wait their turn.
        worker = threading.Thread(target=lambda: results.extend(asyncio.run(
            _send(settings, db, ids, tmp_path, lease=lease, concurrency=1))))
        worker.start()
        try:
            wait_until(lambda: server.handler.paused >= 1, 30, "the first MAIL held")
            time.sleep(lease.total_seconds() + 0.5)  # the batch's lease ran out
            assert {r[:2] for r in _digests(db).values()} == {("sending", ME)}
            # Another worker takes over a row the batch has not sent yet, and the one on
            # the wire (its message goes: the batch is past its last check).
            _claim(db, ids[2], "s2@example.org")
            _claim(db, ids[0], "s0@example.org")
        finally:
            server.handler.resume.set()
            worker.join(60)
        rows = _digests(db)
        assert rows[ids[2]][:2] == ("sending", OTHER)  # theirs: this batch left it alone
        # The one on the wire went, but its mark is refused: the row is the other's now
        # (which resends it with the same Message-ID, docs/outbox.md); the second's lease
        # was renewed before it went.
        assert rows[ids[0]][:2] == ("sending", OTHER) and rows[ids[1]][:2] == ("sent", ME)
        assert _recipients(server) == {"s0@example.org": 1, "s1@example.org": 1}
        assert server.messages[0].message_id == rows[ids[0]][2]
        assert [r.outcome for r in results] == [Outcome.ALREADY, Outcome.SENT,
                                                Outcome.ALREADY]
        assert "not sent by this one" in results[2].detail
        assert "another worker holds the row now" in results[0].detail


def test_a_stopped_batch_gives_back_what_it_did_not_mark_at_once(
        db: Database, tmp_path: Path) -> None:
    with SmtpServer("plain") as server:
        settings = _settings(tmp_path, server)
        ids = _seekers(db, settings, 4)
        server.handler.pause_at = "MAIL"

        async def stopped() -> None:
            job = asyncio.create_task(_send(settings, db, ids, tmp_path, concurrency=1))
            while server.handler.paused < 1:
                await asyncio.sleep(0.02)
            job.cancel()  # as procrastinate cancels a job past the grace period
            with pytest.raises(asyncio.CancelledError):
                await job

        try:
            asyncio.run(stopped())
        finally:
            server.handler.resume.set()
        rows = _digests(db)
        assert {r[0] for r in rows.values()} == {"retry"}, rows
        assert sum(r[4] for r in rows.values()) == 1  # the one in MAIL: may have arrived
        with db.read_session(every_seeker=True) as s:
            assert s.execute(text("SELECT count(*) FROM digest WHERE lease_until IS NOT "
                                  "NULL OR next_attempt_at > now()")).scalar_one() == 0
        ids_before = {s: r[2] for s, r in rows.items()}
        assert all(ids_before.values())
        server.handler.pause_at = None
        results = asyncio.run(_send(settings, db, ids, tmp_path, me="batch:4:dddddddd"))
        assert {r.outcome for r in results} == {Outcome.SENT}
        rows = _digests(db)
        assert {s: r[2] for s, r in rows.items()} == ids_before  # the same Message-IDs
        assert all(n == 1 for n in _recipients(server).values())
        assert len(server.messages) == 4


# --- real worker processes -------------------------------------------------------------------

def _due(pg_cluster: Any, pg_url: str, home: Home, config_path: Path, count: int) -> None:
    """`count` seekers, each with a 'pending' row for today and one batch job for them
    all, written as the tick writes them (their next digests tomorrow: the tick adds
    nothing; config.toml's single user does not apply once there are seekers)."""
    from nudger.config import parse_settings
    from nudger.workers.tick import JobWriter

    settings = parse_settings(config_path.read_text(), config_path)
    db = pg_database(pg_cluster, pg_url, home.root / "nudger.db")
    try:
        db.ensure(create=True)
        now = datetime.now(UTC)
        for n in range(count):
            seekers.add_seeker(db, settings, email=f"s{n}@example.org", name=f"S {n}",
                               now=now)
        with db.session(every_seeker=True) as s:
            found = s.execute(text("SELECT id, email FROM seeker WHERE email <> ''")).all()
            s.execute(text("UPDATE seeker SET next_digest_at = now() + interval '1 day'"))
            day = seekers_day(settings, now)
            rows = [DayRow(int(i), str(e), day, "pending") for i, e in found]
            recorded = record_days(s.connection(), rows, now)
            assert JobWriter().defer(s, sorted(recorded)) and len(recorded) == count
    finally:
        db.dispose()


def seekers_day(settings: Settings, now: datetime) -> date:
    return now.astimezone(settings.zone).date()


def _rows(pg_cluster: Any, pg_url: str) -> list[tuple[Any, ...]]:
    return _sql(pg_cluster, pg_url, "SELECT seeker_id, state, claimed_by, message_id, "
                "uncertain, next_attempt_at <= now() FROM digest ORDER BY seeker_id")


SEEKERS = 8


@pytest.mark.slow
@pytest.mark.parametrize("trial", range(trials(full=30, representative=2)))
def test_a_killed_workers_half_done_batch_is_finished_by_another_no_seeker_twice(
        home: Home, pg_cluster: Any, trial: int) -> None:
    pg_url = pg_cluster.url(pg_cluster.new_database())
    with SmtpServer("plain") as server:
        config_path = _config(home, server, pg_url, timeout=30)
        _due(pg_cluster, pg_url, home, config_path, SEEKERS)
        kill_at = random.Random(trial).randint(1, SEEKERS - 1)  # the kill-th message's 250
        holder: list[Any] = []

        def on_accept() -> None:
            if len(server.messages) == kill_at:
                holder[0].send_signal(signal.SIGKILL)

        server.handler.on_accept = on_accept
        killed = _worker(home, config_path)
        holder.append(killed)
        try:
            assert killed.proc.wait(timeout=90) == -signal.SIGKILL, killed.log
        finally:
            killed.close()
            server.handler.on_accept = None
        before = list(server.messages)
        assert len(before) == kill_at
        # Its lease runs out, its heartbeat is as old: another worker finishes the batch.
        _sql(pg_cluster, pg_url, "UPDATE digest SET lease_until = now() - interval "
             "'1 second' WHERE state = 'sending'")
        _sql(pg_cluster, pg_url, "UPDATE procrastinate_workers SET last_heartbeat = now() - "
             "interval '5 minutes'")
        again = _worker(home, config_path)
        try:
            wait_until(lambda: {r[1] for r in _rows(pg_cluster, pg_url)} == {"sent"}, 90,
                       "every digest recorded as sent")
            again.wait_log(r"info: worker \S+ started on ")
            _stop_all([again])
        finally:
            again.close()
        rows = _rows(pg_cluster, pg_url)
        seen = Counter(m.message_id for m in server.messages)
        # Each digest once, but the one accepted the instant the worker was killed (before
        # its mark), resent under the same Message-ID: the one duplicate docs/outbox.md
        # allows, which the receiving side drops by its Message-ID.
        assert sorted(seen) == sorted(r[3] for r in rows), (seen, rows)
        twice = [mid for mid, n in seen.items() if n > 1]
        assert twice == [before[-1].message_id] and seen[twice[0]] == 2, (seen, before)
        assert len(rows) == SEEKERS and {r[1] for r in rows} == {"sent"}


@pytest.mark.slow
def test_a_worker_stopped_mid_batch_gives_back_what_it_did_not_reach(
        home: Home, pg_cluster: Any) -> None:
    pg_url = pg_cluster.url(pg_cluster.new_database())
    with SmtpServer("plain") as server:
        config_path = _config(home, server, pg_url, timeout=30)
        _due(pg_cluster, pg_url, home, config_path, SEEKERS)
        server.handler.pause_at = "MAIL"
        worker = _worker(home, config_path)
        try:
            wait_until(lambda: server.handler.paused >= 1, 90, "a MAIL held at the relay")
            started = time.monotonic()
            _stop_all([worker])  # SIGTERM: exit 0, no traceback
            assert time.monotonic() - started < 10
        finally:
            server.handler.resume.set()
            worker.close()
        rows = _rows(pg_cluster, pg_url)
        states = Counter(r[1] for r in rows)
        assert "sending" not in states and "pending" not in states, rows
        given = [r for r in rows if r[1] == "retry"]
        assert len(given) >= SEEKERS - 1 and all(r[5] for r in given), rows  # due now
        assert sum(bool(r[4]) for r in given) <= 1  # only the one in MAIL is uncertain
        assert worker.log_matches(r"released for a resend with the same Message-ID")
        # Another worker sends them all, once each.
        server.handler.pause_at = None
        again = _worker(home, config_path)
        try:
            wait_until(lambda: {r[1] for r in _rows(pg_cluster, pg_url)} == {"sent"}, 90,
                       "every digest recorded as sent")
            again.wait_log(r"info: worker \S+ started on ")
            _stop_all([again])
        finally:
            again.close()
        _exactly_once(pg_cluster, pg_url, server)


@pytest.mark.slow
def test_a_one_seeker_job_queued_before_the_upgrade_is_still_served_once(
        home: Home, pg_cluster: Any) -> None:
    """A queue upgraded from one job per seeker still holds `nudger.send_digest` jobs: the
    worker serves them (send/leased.py), and the tick hands their digests out no second
    time."""
    from nudger.config import parse_settings
    from nudger.workers.tasks import QUEUE, SEND

    pg_url = pg_cluster.url(pg_cluster.new_database())
    with SmtpServer("plain") as server:
        config_path = _config(home, server, pg_url, timeout=30)
        settings = parse_settings(config_path.read_text(), config_path)
        db = pg_database(pg_cluster, pg_url, home.root / "nudger.db")
        try:
            db.ensure(create=True)
            now = datetime.now(UTC)
            seekers.add_seeker(db, settings, email="old@example.org", name="Old", now=now)
            from procrastinate.jobs import Job

            from nudger.workers.tick import JobWriter

            day = seekers_day(settings, now)
            with db.session(every_seeker=True) as s:
                seeker = int(s.execute(text("SELECT id FROM seeker")).scalar_one())
                s.execute(text("UPDATE seeker SET next_digest_at = now() + interval '1 day'"))
                record_days(s.connection(), [DayRow(seeker, "old@example.org", day,
                                                    "pending")], now)
                JobWriter().manager.batch_defer_jobs(jobs=[Job(
                    id=None, queue=QUEUE, lock=None, queueing_lock=f"digest:{seeker}:{day}",
                    task_name=SEND, task_kwargs={"seeker_id": seeker,
                                                 "local_date": day.isoformat()})],
                    connection=s.connection().connection.driver_connection)
        finally:
            db.dispose()
        worker = _worker(home, config_path)
        try:
            wait_until(lambda: [r[1] for r in _rows(pg_cluster, pg_url)] == ["sent"], 90,
                       "the old job's digest sent")
            worker.wait_log(r"info: worker \S+ started on ")
            time.sleep(2)  # its start-up tick has run: nothing handed out again
            assert _sql(pg_cluster, pg_url, "SELECT count(*) FROM procrastinate_jobs "
                        "WHERE task_name = 'nudger.send_digests'") == [(0,)]
            _stop_all([worker])
        finally:
            worker.close()
        _exactly_once(pg_cluster, pg_url, server)


def test_a_batchs_marks_are_one_statement_each_and_outlive_a_database_restart(
        db: Database, pg_cluster: Any, tmp_path: Path) -> None:
    """A batch marks its digests on one connection it holds in autocommit
    (store/outbox_batch.py, `Marks`): each mark is a single statement, so the server sees
    no BEGIN or COMMIT for it. The database restarted between two marks, the next one is
    written on a new connection; written again (its connection lost just after the
    server wrote it), a mark finds its own and says so; a row that is not the marker's
    is left alone."""
    from nudger.store.outbox_batch import Marks, Wanted, claim_batch

    with SmtpServer("plain") as server:
        settings = _settings(tmp_path, server)
        ids = _seekers(db, settings, 3)
    with db.session(every_seeker=True) as s:
        claims = claim_batch(s.connection(), [
            Wanted(i, f"s{n}@example.org", DAY, f"<m{n}@x>") for n, i in enumerate(ids)],
            NOW, me=ME, lease=LEASE)
    rows = {c.seeker_id: c.id for c in claims}
    first, second, third = (rows[i] for i in ids)
    marks = Marks(db.engine)
    try:
        assert marks.mark_sent(first, NOW, me=ME, message_id="<m0@x>", nudges=2)
        with db.read_session(every_seeker=True) as s:
            name = s.execute(text("SELECT current_database()")).scalar_one()
        [(pid,)] = pg_cluster.admin(f"SELECT pid FROM pg_stat_activity WHERE datname = "
                                    f"'{name}' AND query LIKE '%SET state = ''sent''%'")
        [(xact,)] = pg_cluster.admin(f"SELECT xact_start IS NULL FROM pg_stat_activity "
                                     f"WHERE pid = {pid}")
        assert xact  # idle, no transaction left open: autocommit
        pg_cluster.restart(down=0.5)
        assert marks.mark_sent(second, NOW, me=ME, message_id="<m1@x>", nudges=1)
        assert marks.mark_sent(second, NOW, me=ME, message_id="<m1@x>", nudges=1)  # again
        assert not marks.mark_sent(third, NOW, me=OTHER, message_id="<m2@x>", nudges=1)
    finally:
        marks.close()
    found = _digests(db)
    assert [found[i][:3] for i in ids] == [("sent", ME, "<m0@x>"), ("sent", ME, "<m1@x>"),
                                           ("sending", ME, "<m2@x>")]


def test_a_workers_batches_share_one_marking_connection(db: Database, pg_cluster: Any,
                                                        tmp_path: Path) -> None:
    """However many batches a worker runs at once (`--concurrency`), their marks go over
    the one connection the worker holds for them (workers/run.py, `Runtime.marks`), never
    one held per batch, which would take as many connections as jobs in flight."""
    from nudger.store.outbox_batch import Marks

    with SmtpServer("plain") as server:
        settings = _settings(tmp_path, server)
        ids = _seekers(db, settings, 8)
        marks = Marks(db.engine)

        async def batches() -> list[Any]:
            async with Relay(settings, {}, data_dir=tmp_path) as relay:
                runs = [send_batch(settings, db, Calendar.from_settings(settings),
                                   [(i, DAY) for i in ids[n::4]], me=ME, lease=LEASE,
                                   relay=relay, clock=lambda: datetime.now(UTC),
                                   concurrency=2, marks=marks) for n in range(4)]
                return [r for found in await asyncio.gather(*runs) for r in found]

        try:
            results = asyncio.run(batches())
            with db.read_session(every_seeker=True) as s:
                name = s.execute(text("SELECT current_database()")).scalar_one()
            markers = pg_cluster.admin(f"SELECT pid FROM pg_stat_activity WHERE datname = "
                                       f"'{name}' AND query LIKE '%SET state = ''sent''%'")
        finally:
            marks.close()
        assert [r.outcome for r in results] == [Outcome.SENT] * 8
        assert len(markers) == 1, markers
        assert _recipients(server) == {f"s{n}@example.org": 1 for n in range(8)}
