"""The figure type and the helpers every benchmark module shares.

A benchmark module is `bench/b_<topic>.py` with `def figures(work: Path) -> list[Figure]`;
`python -m bench` discovers and runs them all (or those named: `python -m bench cli`).
Baselines are measured in the same run as the figure they are compared with.
"""

from __future__ import annotations

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
