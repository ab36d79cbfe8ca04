"""The figure type and the helpers every benchmark module shares.

A benchmark module is `bench/b_<topic>.py` with `def figures(work: Path) -> list[Figure]`;
`python -m bench` discovers and runs them all (or those named: `python -m bench cli`).
Baselines are measured in the same run as the figure they are compared with.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

PYTHON = sys.executable
# A user's install has compiled bytecode (pip writes it); a developer shell with
# PYTHONDONTWRITEBYTECODE=1 would make every run recompile nudger and measure that instead.
BASE_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    target: str  # human words: "<= 1.3x baseline", ">= 20000 rows/s"
    ok: bool
    baseline: str = ""  # what it is compared with, and its measured value
    ratio: float | None = None  # value / baseline where a ratio is the target

    def row(self) -> list[str]:
        ratio = "" if self.ratio is None else f"{self.ratio:.2f}x"
        return [self.name, f"{self.value:.4g} {self.unit}", self.target, self.baseline, ratio,
                "ok" if self.ok else "MISS"]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _wall_times(fn: Callable[[], Any], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def best_of(fn: Callable[[], Any], repeat: int = 5) -> float:
    """Minimum wall time of `repeat` runs: the least disturbed measurement."""
    return min(_wall_times(fn, repeat))


def median_of(fn: Callable[[], Any], repeat: int = 5) -> float:
    return statistics.median(_wall_times(fn, repeat))


def run_command(argv: list[str], env: dict[str, str] | None = None) -> None:
    result = subprocess.run(argv, capture_output=True, text=True,
                            env={**BASE_ENV, **(env or {})}, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({result.returncode}): {result.stderr}")


def nudger_bin() -> str:
    return str(Path(PYTHON).parent / "nudger")


# --- measurements that hold on a loaded machine ----------------------------------------------
# A shared 2-core machine running other work stretches wall times by whatever the scheduler
# does that second: a baseline measured a minute before its figure can be 3x off. Two
# defences: interleave (each round runs the baseline and the candidates back to back, in
# alternating order, so drift hits all alike), and count CPU time (what the process
# computed, not how long it waited for a core).


def command_cpu(argv: list[str], env: dict[str, str] | None = None) -> float:
    """CPU seconds (user + system) one run of `argv` took, from the kernel's accounting of
    the waited-for child (os.wait4), so waiting for a core does not count."""
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**BASE_ENV, **(env or {})})
    assert proc.stderr is not None
    err = proc.stderr.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stderr.close()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({proc.returncode}): {err.decode()}")
    return usage.ru_utime + usage.ru_stime


def interleaved_min(runs: dict[str, Callable[[], float]], rounds: int) -> dict[str, float]:
    """Each of `runs` (name -> one measurement) `rounds` times, round-robin with the order
    reversed every other round; the minimum of each (the least disturbed run)."""
    return {name: min(values) for name, values in interleaved(runs, rounds).items()}


def interleaved_quartile(runs: dict[str, Callable[[], float]],
                         rounds: int) -> dict[str, float]:
    """As interleaved_min, but the lower quartile of each: for short processes whose CPU
    time the kernel accounts in ticks and which this machine runs in two modes (~37 and
    ~51 ms for `import argparse`, alternating by the minute), the minimum of 15 runs moved
    a ratio by 10% from one run of the benchmark to the next; the lower quartile of 41 is
    stable to about 2%, and still reads the undisturbed mode."""
    return {name: sorted(values)[len(values) // 4]
            for name, values in interleaved(runs, rounds).items()}


def interleaved(runs: dict[str, Callable[[], float]], rounds: int) -> dict[str, list[float]]:
    """Every measurement of each of `runs`, `rounds` rounds, the order reversed every other
    round so that drift hits all alike."""
    seen: dict[str, list[float]] = {name: [] for name in runs}
    names = list(runs)
    for n in range(rounds):
        for name in (names if n % 2 == 0 else names[::-1]):
            seen[name].append(runs[name]())
    return seen


# Runs a command as a child and prints its exit code, wall time, the end of its output and
# the children's peak memory (RUSAGE_CHILDREN sees only the command, not this parent).
MEASURE = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
result = subprocess.run(sys.argv[1:], capture_output=True, text=True)
wall = time.perf_counter() - start
print(json.dumps({"code": result.returncode, "wall": wall, "err": result.stderr[-2000:],
                  "out": result.stdout[-300:],
                  "maxrss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


def measure(argv: list[str], env: dict[str, str]) -> dict[str, Any]:
    """`argv` run once under MEASURE: code, wall (s), err, out, maxrss_kb; raises
    RuntimeError when the command fails."""
    result = subprocess.run([PYTHON, "-c", MEASURE, *argv], capture_output=True, text=True,
                            env={**os.environ, **env}, check=True)
    data: dict[str, Any] = json.loads(result.stdout)
    if data["code"] != 0:
        raise RuntimeError(f"{' '.join(argv)} failed: {data['err']}")
    return data


def settings_and_database(work: Path, profile: str = "") -> tuple[Any, Any]:
    """A config.toml in `work` (Alex Rivera, America/Chicago, US holidays; `profile` adds
    lines to [profile]), its Settings, and its database created: (settings, db)."""
    from nudger.config import parse_settings
    from nudger.store.db import Database

    config = work / "config.toml"
    config.write_text(
        'timezone = "America/Chicago"\ndatabase = "nudger.db"\n[profile]\n'
        'name = "Alex Rivera"\nemail = "alex@example.com"\n' + profile
        + '[calendar]\nholidays = "US"\n', encoding="utf-8")
    settings = parse_settings(config.read_text(encoding="utf-8"), config)
    db = Database(work / "nudger.db")
    db.ensure(create=True)
    return settings, db
