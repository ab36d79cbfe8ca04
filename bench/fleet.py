"""Many seekers due at once, served by real `nudger worker` processes (bench/b_workers.py).

`seed` writes, through nudger's own store code (store/bulk.py's `BulkInsert` on the model
tables), `count` seekers, each with three applications (one contact each) whose follow-ups
are due today and yesterday's digest already sent (an outbox row per seeker); `defer_all`
then writes each seeker's 'pending' row for today and the `send_digests(batch)` jobs of
100 seekers each as the workers' tick does (workers/tick.py), without waiting for the
tick. `run_workers` starts N `nudger worker` subprocesses on that queue and times the
digests the outbox marks sent.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.core import BASE_ENV, nudger_bin

APPS_PER_SEEKER = 3


def config_text(database_url: str, smtp_port: int) -> str:
    """A worker's config.toml: UTC, the digest at 23:59 on no day the bench runs (so the
    workers' own tick finds nothing of the single user's to send), the local sink."""
    return f"""\
timezone = "UTC"
database = "{database_url}"
log_level = "info"

[profile]
name = "Career Centre"
email = "centre@uni.example.org"

[digest]
time = "23:59"
days = ["sun"]

[delivery]
method = "smtp"
from = "Career Centre <centre@uni.example.org>"

[smtp]
host = "127.0.0.1"
port = {smtp_port}
security = "none"
timeout = 30
"""


def today() -> date:
    return datetime.now(UTC).date()


def seed(db: Any, count: int, day: date, *, apps: bool = True) -> list[tuple[int, str]]:
    """`count` seekers with their applications and contacts (unless not `apps`) and
    yesterday's sent digest; the seekers (id, email)."""
    from sqlalchemy import text

    from nudger.store.bulk import BulkInsert
    from nudger.store.models import Application, Contact, DigestRecord, Seeker

    now = datetime.now(UTC)
    with db.session(every_seeker=True) as session:
        connection = session.connection()
        seekers = BulkInsert(connection, Seeker, (
            "email", "name", "timezone", "digest_at", "digest_days", "enabled",
            "next_digest_at", "created_at", "updated_at"))
        # Their next digest is the bench's (defer_all), not the workers' tick's.
        later = now + timedelta(days=30)
        for n in range(count):
            seekers.add((f"student{n}@uni.example.org", f"Student {n}", "", "", "", True,
                         later, now, now))
        seekers.flush()
        pairs = [(int(r[0]), str(r[1])) for r in connection.execute(text(
            "SELECT id, email FROM seeker ORDER BY id"))]
        ids = [sid for sid, _ in pairs]
        applications = BulkInsert(connection, Application, (
            "seeker_id", "number", "company", "role", "url", "location", "address", "source",
            "applied_on", "stage", "stage_since", "deadline", "interview_at", "notes",
            "created_at", "updated_at", "paused_since", "paused_by"))
        for seeker in ids if apps else ():
            for number in range(1, APPS_PER_SEEKER + 1):
                applied = day - timedelta(days=5 + 4 * number)
                applications.add((seeker, number, f"Company {seeker}-{number}", "Account Executive",
                          "", "", "1 Main St", "", applied, "applied", applied, None, None,
                          "", now, now, None, None))
            if len(applications) >= 6000:
                applications.flush()
        applications.flush()
        contacts = BulkInsert(connection, Contact, (
            "seeker_id", "application_id", "name", "email", "phone", "social", "kind",
            "notes", "bounced_at"))
        for app_id, seeker in connection.execute(text(
                "SELECT id, seeker_id FROM application /* all seekers */ ORDER BY id")):
            contacts.add((seeker, app_id, f"Dana {app_id}", f"dana{app_id}@corp.example",
                          "", "", "hiring-manager", "", None))
            if len(contacts) >= 6000:
                contacts.flush()
        contacts.flush()
        sent = BulkInsert(connection, DigestRecord, (
            "seeker_id", "recipient", "local_date", "message_id", "state", "attempts",
            "nudges", "last_error", "last_code", "uncertain", "next_attempt_at",
            "created_at", "updated_at", "sent_at", "claimed_by", "lease_until",
            "reported_in"))
        yesterday = day - timedelta(days=1)
        for seeker, email in pairs:
            sent.add((seeker, email, yesterday,
                      f"<bench-{seeker}-{yesterday}@uni.example.org>", "sent", 1, 3, "", 250,
                      False, None, now, now, now, "bench:0:0", None, None))
            if len(sent) >= 6000:
                sent.flush()
        sent.flush()
        connection.exec_driver_sql("ANALYZE")
    return pairs


def defer_all(db: Any, seekers: list[tuple[int, str]], day: date) -> float:
    """Each seeker's 'pending' outbox row for `day` and the batch jobs that send them,
    written together in one transaction per batch as the workers' tick writes them
    (store/outbox_bulk.py `record_days`, workers/tick.py `JobWriter`: procrastinate's
    batch defer on the transaction's connection), without waiting for the tick; the
    seconds it took."""
    from nudger.store.outbox_bulk import DayRow, record_days
    from nudger.workers.tick import BATCH, JobWriter

    writer = JobWriter()
    now = datetime.now(UTC)
    started = time.perf_counter()
    for start in range(0, len(seekers), BATCH):
        with db.session(every_seeker=True) as session:
            rows = [DayRow(sid, email, day, "pending")
                    for sid, email in seekers[start:start + BATCH]]
            recorded = record_days(session.connection(), rows, now)
            assert len(recorded) == len(rows)
            writer.defer(session, sorted(recorded), new=True)
    return time.perf_counter() - started


def retire_day(db: Any, day: date) -> int:
    """End a round: the send jobs still waiting deleted and `day`'s digests not sent
    marked 'skipped', so that the next round's workers find only the next round's backlog
    (the tick hands a 'pending' or due 'retry' row with no job out again: workers/tick.py,
    `resend`); how many rows it skipped."""
    from sqlalchemy import text

    from nudger.workers.tasks import SEND, SEND_BATCH

    with db.session(every_seeker=True) as session:
        connection = session.connection()
        connection.execute(text(
            "DELETE FROM procrastinate_jobs WHERE status = 'todo' "
            "AND task_name IN (:batch, :single)"), {"batch": SEND_BATCH, "single": SEND})
        return int(connection.execute(text(
            "UPDATE digest /* all seekers */ SET state = 'skipped', "
            "last_error = 'bench: the round is over', claimed_by = '', lease_until = NULL "
            "WHERE local_date = :d AND state IN ('pending', 'retry', 'sending')"),
            {"d": day}).rowcount)


@dataclass
class Run:
    workers: int
    digests: int  # sent while the workers ran
    # digests/s of all of them, from the first 5% sent (or once every worker has sent WARM)
    # to 95% (steady state), timed by the rows' own sent_at (the moment each worker marked
    # each digest), not by the polling
    rate: float
    wall: float  # from the workers' start to the last digest counted
    peak_rss_mb: list[float]  # each worker's VmHWM
    # CPU (user + system) per digest in the same steady state: the workers', PostgreSQL's
    # (all its processes)
    cpu_ms: float
    server_cpu_ms: float
    cores: float  # the workers' CPU seconds per second meanwhile (at most one per worker)
    sink_cpu_ms: float  # the SMTP sink's CPU per digest (0 when not told its pid)
    machine_cores: float  # every process's CPU seconds per second meanwhile (/proc/stat)
    host_speed: float  # `host_speed()` just before the run


def host_speed(seconds: float = 0.3) -> float:
    """Millions of steps a second of CPU of a fixed pure-Python loop: how fast this machine
    runs Python right now. On a shared virtual machine it moves by half from one minute to
    the next (the host's other tenants), and every CPU figure moves with it."""
    steps = 0
    started = time.process_time()
    ended = time.perf_counter() + seconds
    while time.perf_counter() < ended:
        total = 0
        for i in range(10_000):
            total += i
        steps += 10_000
    return steps / (time.process_time() - started) / 1e6


def _status(pid: int, key: str) -> float:
    """A /proc/PID/status field in kB, as MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(key)


def _cpu(pid: int, *, reaped: bool = False) -> float:
    """User + system CPU seconds of `pid` (with `reaped`, also of its children that have
    exited and been waited for)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(f) for f in fields[11:15 if reaped else 13])
    return ticks / os.sysconf("SC_CLK_TCK")


def machine_busy() -> float:
    """CPU seconds the whole machine has been busy (every core, every process: /proc/stat's
    first line less idle and iowait), to tell a saturated machine from a slow program."""
    fields = [int(f) for f in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def server_cpu(data_dir: Path) -> float:
    """CPU seconds of a PostgreSQL cluster so far: its postmaster, the backends alive and
    those that have exited."""
    postmaster = int((data_dir / "postmaster.pid").read_text().split()[0])
    total = _cpu(postmaster, reaped=True)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # exited meanwhile
            continue
        if int(text.rsplit(")", 1)[1].split()[1]) == postmaster:
            total += _cpu(int(stat.parent.name))
    return total


# A worker's first digests pay for its start (the templates compiled, the first batch read)
# and a second worker starts a moment after the first: the steady state starts once every
# worker has sent this many.
WARM = 50


def _steady_rate(db: Any, day: date, since: datetime, low: int, high: int) -> float:
    """Digests per second of `day` sent after `since`, from the `low`-th (or, when later,
    the moment the last worker to warm up sent its WARM-th) to the `high`-th, by their
    rows' sent_at: exact, where the polling (every 0.2 s) would be off by a tenth of a run
    of a couple of seconds."""
    from sqlalchemy import text

    from nudger.when.times import as_utc

    with db.read_session(every_seeker=True) as session:
        rows = sorted((as_utc(t), str(who)) for t, who in session.connection().execute(text(
            "SELECT sent_at, claimed_by FROM digest /* all seekers */ WHERE local_date = :d "
            "AND state = 'sent'"), {"d": day}))
    mine = [(t, who) for t, who in rows if t >= since]
    end = mine[high - 1][0]
    by_worker: dict[str, list[datetime]] = {}
    for t, who in mine:
        if t <= end:
            by_worker.setdefault(who, []).append(t)
    start = max([mine[low - 1][0]] + [times[min(WARM, len(times)) - 1]
                                       for times in by_worker.values()])
    counted = sum(1 for t, _ in mine if start < t <= end)
    return counted / (end - start).total_seconds()


def _sent(db: Any, day: date) -> int:
    from sqlalchemy import text

    with db.read_session(every_seeker=True) as session:
        return int(session.connection().execute(text(
            "SELECT count(*) FROM digest /* all seekers */ WHERE local_date = :d "
            "AND state = 'sent'"), {"d": day}).scalar_one())


def run_workers(db: Any, config: Path, home: Path, workers: int, target: int, day: date,
                *, concurrency: int, env: dict[str, str], timeout: float,
                server: Path, sink: int | None = None) -> Run:
    """`workers` `nudger worker` processes until `target` more digests of `day` are sent
    (the queue holds more: they stop, SIGTERM, with the rest still due). `server` is the
    PostgreSQL cluster's data folder (its CPU is counted), `sink` the SMTP sink's pid (its
    CPU too)."""
    full = {**BASE_ENV, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".local/share"), **env}
    for name in ("NUDGER_CONFIG", "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"):
        full.pop(name, None)
    prefix = os.environ.get("NUDGER_BENCH_WORKER_PREFIX", "").split()  # e.g. a profiler
    base = _sent(db, day)
    speed = host_speed()
    paths = [home / f"worker-{workers}-{n}.log" for n in range(workers)]
    logs = [path.open("w") for path in paths]
    started = time.perf_counter()
    since = datetime.now(UTC)
    procs = [subprocess.Popen([*prefix, nudger_bin(), "--config", str(config), "worker",
                               "--concurrency", str(concurrency)],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=log, env=full) for log in logs]
    low, high = base + max(1, target // 20), base + target - target // 20
    # (time, workers' CPU, server's CPU, sink's CPU, machine busy, digests sent) when 5% and
    # 95% were sent (the CPU per digest: between those two polls)
    marks: dict[int, tuple[float, float, float, float, float, int]] = {}
    try:
        while True:
            time.sleep(0.2)
            for proc, path in zip(procs, paths, strict=True):
                if proc.poll() is not None:
                    raise RuntimeError(f"a worker exited ({proc.returncode}): "
                                       f"{path.read_text()[-2000:]}")
            sent = _sent(db, day)
            now = time.perf_counter()
            for mark in (low, high):
                if mark not in marks and sent >= mark:
                    marks[mark] = (now, sum(_cpu(p.pid) for p in procs), server_cpu(server),
                                   _cpu(sink) if sink else 0.0, machine_busy(), sent)
            if sent >= base + target:
                break
            if now - started > timeout:
                raise RuntimeError(f"only {sent - base} of {target} digests sent in "
                                   f"{timeout:.0f} s")
        wall = time.perf_counter() - started
        rss = [_status(p.pid, "VmHWM") for p in procs]
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for log in logs:
            log.close()
    (t0, cpu0, pg0, sink0, busy0, n0), (t1, cpu1, pg1, sink1, busy1, n1) = \
        marks[low], marks[high]
    steady = n1 - n0
    rate = _steady_rate(db, day, since, low - base, high - base)
    return Run(workers, sent - base, rate, wall, rss, 1000 * (cpu1 - cpu0) / steady,
               1000 * (pg1 - pg0) / steady, (cpu1 - cpu0) / (t1 - t0),
               1000 * (sink1 - sink0) / steady, (busy1 - busy0) / (t1 - t0), speed)


# --- the claim at a large backlog ------------------------------------------------------------

def fill_history(db: Any, day: date, days: int) -> int:
    """Every seeker's digests of the `days` days before yesterday, sent (one INSERT ...
    SELECT on the server); the outbox's row count after it."""
    from sqlalchemy import text

    with db.session(every_seeker=True) as session:
        connection = session.connection()
        connection.execute(text(
            "INSERT INTO digest (seeker_id, recipient, local_date, message_id, state, "
            "attempts, nudges, last_error, last_code, uncertain, created_at, updated_at, "
            "sent_at, claimed_by) SELECT s.id, s.email, CAST(:day AS date) - d, "
            "'<bench-' || s.id || '-' || d || '@uni.example.org>', 'sent', 1, 3, '', 250, "
            "false, now(), now(), now(), 'bench:0:0' FROM seeker s "
            "CROSS JOIN generate_series(2, :last) AS d"), {"day": day, "last": days + 1})
        connection.exec_driver_sql("ANALYZE digest")
        return int(connection.execute(text(
            "SELECT count(*) FROM digest /* all seekers */")).scalar_one())


def claim_batch(db: Any, seekers: list[tuple[int, str]], day: date) -> float:
    """Seconds for a worker's claim of a batch (store/outbox_batch.py, `claim_batch`: the
    batch's rows read FOR UPDATE SKIP LOCKED and claimed in one UPDATE, in one
    transaction) of `day`'s digests of `seekers`, their 'pending' rows written first as
    the tick writes them (not timed)."""
    from nudger.store.outbox_batch import Wanted
    from nudger.store.outbox_batch import claim_batch as claim
    from nudger.store.outbox_bulk import DayRow, record_days

    now = datetime.now(UTC)
    with db.session(every_seeker=True) as session:
        record_days(session.connection(), [DayRow(sid, email, day, "pending")
                                           for sid, email in seekers], now)
    wanted = [Wanted(sid, email, day, f"<bench-{sid}-{day}@b>") for sid, email in seekers]
    started = time.perf_counter()
    with db.session(every_seeker=True) as session:
        claims = claim(session.connection(), wanted, now, me="bench:0:00000000",
                       lease=timedelta(minutes=5))
    took = time.perf_counter() - started
    assert len(claims) == len(seekers), (len(claims), len(seekers))
    return took
