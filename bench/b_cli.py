"""Where a person waits: `--help`/`--version`, and `list` over 1,000 applications.

Targets (issue 2): `--help` and `--version` cost about what the CLI framework's own import
costs (argparse: we allow 1.5x); `nudger list` over 1,000 applications stays within 1.3x of
`python -c "import sqlmodel"`. Each is a whole process, the lower quartile of ROUNDS runs,
baseline in the same run. The figures are CPU time (user + system, from the kernel's
accounting of each child), measured interleaved with their baseline: on a loaded machine
wall time measures the scheduler, and a baseline taken a minute apart from its figure
compares two different machines.
"""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from pathlib import Path

from bench.core import PYTHON, Figure, command_cpu, interleaved_quartile, nudger_bin, run_command

# Rounds of interleaved runs; the lower quartile of each one's CPU times is the figure
# (bench.core.interleaved_quartile says why not the minimum).
ROUNDS = 41


def _seed(work: Path, count: int) -> Path:
    from nudger.store.db import Database

    config = work / "config.toml"
    config.write_text('timezone = "America/Chicago"\ndatabase = "nudger.db"\n'
                      '[calendar]\nholidays = "US"\n')
    db = Database(work / "nudger.db")
    db.ensure()
    con = sqlite3.connect(db.path)
    start = date(2026, 1, 5)
    now = "2026-11-01 00:00:00.000000"
    apps = []
    for i in range(count):
        applied = (start + timedelta(days=i % 300)).isoformat()
        apps.append((i + 1, f"Company {i}", f"Role {i % 37}", "applied", applied, applied, now,
                     now))
    # One seeker (the single user's), whose rows these all are (store/scope.py).
    con.execute("INSERT INTO seeker (id, email, created_at, updated_at) VALUES (1, '', ?, ?)",
                (now, now))
    con.executemany(
        "INSERT INTO application (id, number, seeker_id, company, role, stage, applied_on, "
        "stage_since, created_at, updated_at) VALUES (?,?,1,?,?,?,?,?,?,?)",
        [(a[0], *a) for a in apps])
    touches = []
    for i in range(count * 3):
        app = i % count + 1
        on = (start + timedelta(days=(app % 300) + 3 + i // count)).isoformat()
        touches.append((app, "email", on, "applied", 1 + i // count, now))
    con.executemany(
        "INSERT INTO touch (seeker_id, application_id, action, touched_on, stage, step, "
        "created_at) VALUES (1,?,?,?,?,?,?)", touches)
    con.commit()
    con.close()
    return config


def figures(work: Path) -> list[Figure]:
    """CPU time of whole processes (so that other work on the machine does not count),
    baseline and candidates interleaved round by round, the lower quartile of ROUNDS
    each."""
    nudger = nudger_bin()
    config = _seed(work, 1000)
    env = {"NUDGER_CONFIG": str(config)}
    run_command([nudger, "list"], env)  # warm the page cache and upgrade check
    found = interleaved_quartile({
        "argparse": lambda: command_cpu([PYTHON, "-c", "import argparse"]),
        "help": lambda: command_cpu([nudger, "--help"]),
        "version": lambda: command_cpu([nudger, "--version"]),
    }, ROUNDS)
    found |= interleaved_quartile({
        "sqlmodel": lambda: command_cpu([PYTHON, "-c", "import sqlmodel"]),
        "list": lambda: command_cpu([nudger, "list"], env),
    }, ROUNDS)
    out = []
    argparse_import = found["argparse"]
    for name, value in (("nudger --help", found["help"]),
                        ("nudger --version", found["version"])):
        ratio = value / argparse_import
        out.append(Figure(f"{name} (CPU)", value * 1000, "ms",
                          "<= 1.5x python -c 'import argparse'", ratio <= 1.5,
                          f"import argparse {argparse_import * 1000:.0f} ms", ratio))
    ratio = found["list"] / found["sqlmodel"]
    out.append(Figure("nudger list (1,000 applications, CPU)", found["list"] * 1000, "ms",
                      "<= 1.3x python -c 'import sqlmodel'", ratio <= 1.3,
                      f"import sqlmodel {found['sqlmodel'] * 1000:.0f} ms", ratio))
    return out
