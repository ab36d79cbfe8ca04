"""The idle daemon: resident memory after start, and CPU over an idle minute.

Targets (issue 6): VmRSS of `nudger run` once it has told systemd it is ready and settled
≤ 80 MB; CPU over a measured idle minute, scaled to an hour, ≤ 0.2 s/h. The minute may not
contain one of the interval job's wake-ups (every WAKE_EVERY), so a third figure adds the
hour's share of them, each measured in-process as the work one wake-up does (decide from
the database, look for retries). Baseline, same run: an idle bare `python3` process.

CPU time comes from /proc/PID/task/*/schedstat (nanoseconds on the CPU), falling back to
utime+stime in clock ticks (10 ms: too coarse for a minute) where schedstat is missing.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.core import PYTHON, Figure, nudger_bin

IDLE_SECONDS = 60.0
RSS_TARGET_MB = 80.0
CPU_TARGET_S_PER_H = 0.2
SETTLE_SECONDS = 3.0


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def cpu_seconds(pid: int) -> float:
    """CPU time of every thread of `pid` so far."""
    total = 0
    found = False
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
            found = True
        except (OSError, ValueError, IndexError):
            continue
    if found:
        return total / 1e9
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _config(work: Path) -> Path:
    # A digest time six hours from now: nothing is due while we measure.
    at = (datetime.now(UTC) + timedelta(hours=6)).strftime("%H:%M")
    config = work / "config.toml"
    config.write_text(f'timezone = "UTC"\ndatabase = "nudger.db"\nlog_level = "info"\n'
                      f'[profile]\nemail = "bench@example.com"\n'
                      f'[digest]\ntime = "{at}"\ncatch_up = "1 hour"\n')
    return config


def _start(work: Path, config: Path) -> tuple[subprocess.Popen[bytes], socket.socket]:
    notify = work / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(notify))
    sock.settimeout(30)
    env = {**os.environ, "NOTIFY_SOCKET": str(notify), "HOME": str(work),
           # as the shipped units: WatchdogSec=120s, a ping every minute
           "WATCHDOG_USEC": "120000000"}
    env.pop("NUDGER_CONFIG", None)
    proc = subprocess.Popen([nudger_bin(), "--config", str(config), "run"],
                            stderr=subprocess.DEVNULL, env=env)
    while True:
        data = sock.recv(4096).decode()
        if "READY=1" in data:
            return proc, sock


def _per_wake_cpu(work: Path, config: Path, rounds: int = 50) -> float:
    """CPU seconds of what one interval wake-up does, measured in this process."""
    import logging

    from nudger.config import ConfigLocation, load_settings
    from nudger.daemon.notify import Notifier
    from nudger.daemon.run import Daemon
    from nudger.store.db import Database

    settings = load_settings(ConfigLocation(config, True))
    db = Database(work / "nudger.db")
    daemon = Daemon(ConfigLocation(config, True), {}, settings, db, Notifier({}),
                    logging.getLogger("nudger.bench"))

    async def rounds_of_work() -> float:
        now = datetime.now(UTC)
        await daemon.ensure_digest(now)  # warm: imports, connection
        await daemon.retry_due(now)
        start = time.process_time()
        for _ in range(rounds):
            await daemon.ensure_digest(now)
            await daemon.retry_due(now)
        return (time.process_time() - start) / rounds

    try:
        return asyncio.run(rounds_of_work())
    finally:
        db.dispose()


def figures(work: Path) -> list[Figure]:
    from nudger.daemon.decide import WAKE_EVERY

    config = _config(work)
    bare = subprocess.Popen([PYTHON, "-c", "import time; time.sleep(30)"])
    proc, sock = _start(work, config)
    try:
        time.sleep(SETTLE_SECONDS)
        rss = rss_mb(proc.pid)
        bare_rss = rss_mb(bare.pid)
        before = cpu_seconds(proc.pid)
        time.sleep(IDLE_SECONDS)
        used = cpu_seconds(proc.pid) - before
        assert proc.poll() is None, "the daemon exited while idle"
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        bare.kill()
        bare.wait()
        sock.close()
    per_hour = used * 3600 / IDLE_SECONDS
    wakes_per_hour = 3600 / WAKE_EVERY.total_seconds()
    per_wake = _per_wake_cpu(work, config)
    with_wakes = per_hour + wakes_per_hour * per_wake
    return [
        Figure("daemon: idle RSS after start", rss, "MB", f"<= {RSS_TARGET_MB:g} MB",
               rss <= RSS_TARGET_MB, baseline=f"bare python3 {bare_rss:.1f} MB",
               ratio=rss / bare_rss),
        Figure("daemon: idle CPU (a measured minute) per hour", per_hour, "s/h",
               f"<= {CPU_TARGET_S_PER_H:g} s/h", per_hour <= CPU_TARGET_S_PER_H,
               baseline=f"{used * 1000:.2f} ms in {IDLE_SECONDS:.0f} s"),
        Figure("daemon: idle CPU per hour, with interval wake-ups", with_wakes, "s/h",
               f"<= {CPU_TARGET_S_PER_H:g} s/h", with_wakes <= CPU_TARGET_S_PER_H,
               baseline=f"{wakes_per_hour:.0f} wake-ups x {per_wake * 1000:.2f} ms"),
    ]
