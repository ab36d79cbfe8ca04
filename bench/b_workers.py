"""The workers (README, "Running for many seekers"): their SMTP sending, their throughput
with many seekers due at once, the claim at a large outbox, a worker's memory.

- Two hundred messages through `nudger.send.pool.Relay`, the one connection a worker keeps
  for all its sends (the lock its tasks queue on, the rate limiter, the reconnect check,
  nudger's SmtpTransport), against bare aiosmtplib sending the same messages over one
  connection, to the same local aiosmtpd server in its own process, in the same run.
  Target: <= 1.1x aiosmtplib's time. The standard library's smtplib is reported as a
  reference only (aiosmtplib costs about twice its CPU per message in any configuration;
  that is the library's, not nudger's).
- 10,000 seekers due at once (bench/fleet.py): each with three applications whose
  follow-ups are due, a contact each and yesterday's digest sent, written through nudger's
  store code; each seeker's 'pending' outbox row and a `send_digests` job per 100 of them
  (workers/tasks.py, `JOB_BATCH`), written together as the workers' tick writes them
  (bench/fleet.py `defer_all`, not by the tick).
  Real `nudger worker --concurrency 4` processes send to a local SMTP sink (bench/sink.py,
  in its own process, counting: it stands for the relay on another machine, so it spends as
  little of this machine's CPU as an SMTP server can), PostgreSQL in a temporary cluster
  (fsync off). Five rounds, in
  alternating order, each with every seeker due on a day of its own (a week apart: the
  last round's jobs deleted and its unsent rows skipped, `fleet.retire_day`), of one worker
  sending the next DIGESTS (800: eight jobs, so that two workers can share them evenly) of
  them and two workers the next DIGESTS: digests
  per second of the steady state (from 5% of those sent, or once each worker has sent its
  first 50 when that is later, to 95%, timed by the rows' own sent_at: bench/fleet.py,
  `_steady_rate`), the median of the rounds; the two workers' ratio is
  the median of the per-round ratios. Targets: one worker >= 150 digests/s; two >= 1.7x
  one. Beside them: the workers' CPU per digest (/proc/PID/stat, between the polls that saw
  5% and 95% sent) and PostgreSQL's (all its processes) and the sink's, which README's
  sizing rests on, and the cores the workers and the whole machine used meanwhile: on a
  shared, loaded machine the wall-clock rates are the machine's, the CPU per digest is
  nudger's (a worker far below one core is a worker waiting: for a core, PostgreSQL or
  the relay). And how fast the machine ran Python just before each run (bench/fleet.py,
  `host_speed`: a fixed loop's steps per CPU second, the lowest and highest of the runs):
  on a shared virtual machine it moves by half from one minute to the next, and the CPU
  per digest and the rates move with it.
  Not all 10,000 of a round are sent (at the rates measured that would take a minute a
  run): 1,600 of them and what the stopped workers finish, the queue still holding the rest; README
  extrapolates from the rates and the CPU.
- The claim of a batch of 100 (store/outbox_batch.py, `claim_batch`: the batch's 'pending'
  rows read FOR UPDATE SKIP LOCKED and claimed in one UPDATE, one transaction; the rows
  written first, not timed) at 10,000 outbox rows and at 1,000,000 (10,000 seekers x 100
  days of sent digests, one INSERT ... SELECT), in two databases, 9 rounds interleaved:
  target <= 1.5x (the UNIQUE (seeker_id, recipient, local_date) index, not a scan).
- A worker's peak RSS (VmHWM of the `nudger worker` process after its run, the largest of
  the one-worker runs): <= 150 MB.

Needs PostgreSQL's server binaries for all but the first (as bench/b_seekers.py). Run:
`.venv/bin/python -m bench workers` (about five minutes on a loaded two-core machine).
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import subprocess
import sys
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

from bench import fleet
from bench.b_delivery import MESSAGES, REPO, SERVER, _aiosmtplib, _messages, _smtplib
from bench.core import PYTHON, Figure, best_of, interleaved

ROUNDS = 31  # interleaved rounds; each ratio is the median of its per-round ratios
SEEKERS = 10_000  # due at once
# Rounds of one worker and of two, interleaved (a loaded machine's drift hits both alike);
# each round with all SEEKERS due on a day of its own, each of its two runs sending the next
# DIGESTS of them: enough for a steady rate, few enough for a topic of a few minutes
# (NUDGER_BENCH_DIGESTS changes it, up to what the queue holds). Five rounds: on a shared
# two-core machine one round's ratio moves by a tenth either way, the median of five much less.
# The jobs carry JOB_BATCH (100) seekers each, so a run must hold several jobs for two
# workers to share it evenly: 300 digests are 3 jobs, of which one worker gets two (1.5x at
# best). A stopped worker finishes the jobs it holds (CONCURRENCY of them), so each run may
# send up to 2 x CONCURRENCY x JOB_BATCH more than DIGESTS: the queue must hold that too.
FLEET_ROUNDS = 5
CONCURRENCY = 4  # `nudger worker --concurrency`, as nudger-worker@.service runs it
_OVERSHOOT = 2 * CONCURRENCY * 100
DIGESTS = min(max(100, int(os.environ.get("NUDGER_BENCH_DIGESTS", "800"))),
              SEEKERS // 2 - _OVERSHOOT)
CLAIMS = 100  # a batch of claims
CLAIM_ROUNDS = 9
HISTORY_DAYS = 99  # 10,000 seekers x (1 + 99) days of sent digests = 1,000,000 rows

# The throughput runs' SMTP sink, in its own process (bench/sink.py: the port, then the count of
# messages it accepted once its stdin closes).
SINK = Path(__file__).with_name("sink.py")


def _relay(port: int, work: Path, messages: list[EmailMessage]) -> None:
    from nudger.config import parse_settings
    from nudger.send.pool import Relay

    settings = parse_settings(
        '[profile]\nemail = "alex@example.com"\n'
        f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\nhelo = "bench"\n',
        work / "config.toml")

    async def run() -> None:
        async with Relay(settings, {}, data_dir=work) as relay:
            for message in messages:
                await relay.send(message)

    asyncio.run(run())


def figures(work: Path) -> list[Figure]:
    return _relay_figures(work) + _fleet_figures(work)


def _relay_figures(work: Path) -> list[Figure]:
    proc = subprocess.Popen([PYTHON, "-c", SERVER.format(repo=str(REPO))],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        messages = _messages()
        _relay(port, work, messages[:5])  # warm up imports and the server
        _aiosmtplib(port, messages[:5])
        _smtplib(port, messages[:5])
        found = interleaved({
            "relay": lambda: best_of(lambda: _relay(port, work, messages), repeat=1),
            "aiosmtplib": lambda: best_of(lambda: _aiosmtplib(port, messages), repeat=1),
            "smtplib": lambda: best_of(lambda: _smtplib(port, messages), repeat=1),
        }, ROUNDS)
        mine = statistics.median(found["relay"])
        lib = statistics.median(found["aiosmtplib"])
        std = statistics.median(found["smtplib"])
        over_lib = statistics.median(n / b for n, b in zip(found["relay"], found["aiosmtplib"],
                                                           strict=True))
        over_std = statistics.median(n / b for n, b in zip(found["relay"], found["smtplib"],
                                                           strict=True))
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    return [
        Figure(
            name=f"workers: {MESSAGES} messages over a worker's relay connection",
            value=MESSAGES / mine, unit="msg/s", target="time <= 1.1x aiosmtplib's",
            ok=over_lib <= 1.1, baseline=f"aiosmtplib {MESSAGES / lib:.0f} msg/s",
            ratio=over_lib,
        ),
        Figure(
            name="workers: the same against stdlib smtplib (reference only)",
            value=MESSAGES / mine, unit="msg/s", target="(reference, no target)",
            ok=True, baseline=f"smtplib {MESSAGES / std:.0f} msg/s", ratio=over_std,
        ),
    ]


def _fleet_figures(work: Path) -> list[Figure]:
    from tests import pgserver

    reason = pgserver.missing_reason()
    if reason is not None:
        print(f"b_workers: no workers' throughput figures: {reason}", file=sys.stderr)
        return []
    sink = subprocess.Popen([PYTHON, str(SINK)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    cluster = pgserver.PgCluster()
    try:
        assert sink.stdout is not None and sink.stdin is not None
        port = int(sink.stdout.readline())
        cluster.start()
        runs, claims, rows = _fleet(work, cluster, port, sink.pid)
        sink.stdin.close()
        received = int(sink.stdout.readline())
    finally:
        cluster.stop()
        if sink.poll() is None:
            sink.kill()
        sink.wait()
    ones, twos = runs[1], runs[2]
    sent = sum(r.digests for r in ones + twos)
    assert received >= sent, (received, sent)

    median = statistics.median
    one, two = median(r.rate for r in ones), median(r.rate for r in twos)
    scaling = median(b.rate / a.rate for a, b in zip(ones, twos, strict=True))
    small, big = statistics.median(claims["10k"]), statistics.median(claims["1M"])
    over = statistics.median(b / s for s, b in zip(claims["10k"], claims["1M"], strict=True))
    rss = max(r.peak_rss_mb[0] for r in ones)
    others = sorted(m for r in twos for m in r.peak_rss_mb)
    timed = f"{SEEKERS:,} due at once, {FLEET_ROUNDS} x {DIGESTS:,} timed"
    rates = "; rounds " + ", ".join(f"{r.rate:.1f}" for r in ones)
    ratios = "; rounds " + ", ".join(f"{b.rate / a.rate:.2f}x"
                                      for a, b in zip(ones, twos, strict=True))
    speeds = [r.host_speed for r in ones + twos]
    rates += f"; host speed {min(speeds):.0f}-{max(speeds):.0f} (fleet.host_speed)"
    return [
        Figure(f"workers: digests/s, 1 worker ({timed})", one, "digests/s",
               ">= 150 digests/s", one >= 150,
               f"CPU/digest: worker {median(r.cpu_ms for r in ones):.1f} ms, PostgreSQL "
               f"{median(r.server_cpu_ms for r in ones):.1f} ms; the worker used "
               f"{median(r.cores for r in ones):.2f} core{rates}"),
        Figure(f"workers: digests/s, 2 workers ({timed})", two, "digests/s",
               ">= 1.7x one worker", scaling >= 1.7,
               f"1 worker {one:.1f}/s; CPU/digest: workers "
               f"{median(r.cpu_ms for r in twos):.1f} ms, PostgreSQL "
               f"{median(r.server_cpu_ms for r in twos):.1f} ms, the SMTP sink "
               f"{median(r.sink_cpu_ms for r in twos):.1f} ms; the workers used "
               f"{median(r.cores for r in twos):.2f} core, the whole machine "
               f"{median(r.machine_cores for r in twos):.2f} of {os.cpu_count()}{ratios}",
               ratio=scaling),
        Figure(f"workers: claim a batch of {CLAIMS} at {rows['1M']:,} outbox rows",
               big * 1000, "ms", "<= 1.5x the claim at 10k rows", over <= 1.5,
               f"{rows['10k']:,} rows: {small * 1000:.1f} ms", ratio=over),
        Figure(f"workers: a worker's peak RSS after {DIGESTS:,} digests", rss, "MB",
               "<= 150 MB", rss <= 150,
               f"in the 2-worker runs {others[0]:.0f}-{others[-1]:.0f} MB"),
    ]


def _fleet(work: Path, cluster: object, port: int, sink: int
           ) -> tuple[dict[int, list[fleet.Run]], dict[str, list[float]], dict[str, int]]:
    """The runs of 1 and of 2 workers (FLEET_ROUNDS each, interleaved) on one queue of
    SEEKERS jobs; the claim batches at 10,000 and 1,000,000 outbox rows, interleaved; the
    row counts."""
    from nudger.secrets import Secret
    from nudger.store.pg import PgDatabase
    from nudger.store.pgurl import parse
    from tests import pgserver

    def database() -> tuple[str, PgDatabase]:
        url = cluster.url(cluster.new_database())  # type: ignore[attr-defined]
        db = PgDatabase(parse(url), work / "unused.db", password=Secret(pgserver.PASSWORD))
        db.ensure()
        return url, db

    day = fleet.today()
    url, db = database()
    home = work / "home"
    home.mkdir()
    config = work / "config.toml"
    config.write_text(fleet.config_text(url, port), encoding="utf-8")
    env = {"PGPASSWORD": pgserver.PASSWORD}
    runs: dict[int, list[fleet.Run]] = {1: [], 2: []}
    try:
        seekers = fleet.seed(db, SEEKERS, day)
        # Rounds of one worker then two (the order reversed every other round), each run
        # sending the next DIGESTS of the jobs waiting. Each round has a backlog of its own:
        # every seeker due on the round's day (a week after the last round's, the same
        # weekday: the same digest sections), the last round's jobs and unsent rows gone.
        for n in range(FLEET_ROUNDS):
            round_day = day + timedelta(days=7 * n)
            if n:
                fleet.retire_day(db, round_day - timedelta(days=7))
            fleet.defer_all(db, seekers, round_day)
            for workers in ((1, 2) if n % 2 == 0 else (2, 1)):
                runs[workers].append(fleet.run_workers(
                    db, config, home, workers, DIGESTS, round_day, concurrency=CONCURRENCY,
                    env=env, timeout=1800, server=cluster.data,  # type: ignore[attr-defined]
                    sink=sink))
    finally:
        db.dispose()
    _, small = database()
    _, big = database()
    try:
        rows = {}
        pairs: dict[str, list[tuple[int, str]]] = {}
        for name, claim_db, history in (("10k", small, 0), ("1M", big, HISTORY_DAYS)):
            pairs[name] = fleet.seed(claim_db, SEEKERS, day, apps=False)
            rows[name] = fleet.fill_history(claim_db, day, history)
        rng = random.Random(5)
        rounds = iter(range(2 * CLAIM_ROUNDS + 2))

        def batch(name: str, claim_db: object) -> float:
            picked = rng.sample(range(SEEKERS), CLAIMS)
            return fleet.claim_batch(claim_db, [pairs[name][i] for i in picked],
                                     day + timedelta(days=2 + next(rounds)))

        batch("10k", small), batch("1M", big)  # warm up
        claims = interleaved({"10k": lambda: batch("10k", small),
                              "1M": lambda: batch("1M", big)}, CLAIM_ROUNDS)
    finally:
        small.dispose()
        big.dispose()
    return runs, claims, rows


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        for figure in figures(Path(tmp)):
            print(figure.row())
