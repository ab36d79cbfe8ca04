"""Where a person waits: `--help`/`--version`, and `list` over 1,000 applications.

Targets (issue 2): `--help` and `--version` cost about what the CLI framework's own import
costs (argparse: we allow 1.5x); `nudger list` over 1,000 applications stays within 1.3x of
`python -c "import sqlmodel"`. Each is a whole process, timed best-of-N, baseline in the
same run.
"""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from pathlib import Path

from bench.core import PYTHON, Figure, best_of, nudger_bin, run_command

REPEAT = 7


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
    con.executemany(
        "INSERT INTO application (id, company, role, stage, applied_on, stage_since, "
        "created_at, updated_at) VALUES (?,?,?,?,?,?,?,?)", apps)
    touches = []
    for i in range(count * 3):
        app = i % count + 1
        on = (start + timedelta(days=(app % 300) + 3 + i // count)).isoformat()
        touches.append((app, "email", on, "applied", 1 + i // count, now))
    con.executemany(
        "INSERT INTO touch (application_id, action, touched_on, stage, step, created_at) "
        "VALUES (?,?,?,?,?,?)", touches)
    con.commit()
    con.close()
    return config


def figures(work: Path) -> list[Figure]:
    nudger = nudger_bin()
    argparse_import = best_of(lambda: run_command([PYTHON, "-c", "import argparse"]), REPEAT)
    help_time = best_of(lambda: run_command([nudger, "--help"]), REPEAT)
    version_time = best_of(lambda: run_command([nudger, "--version"]), REPEAT)
    config = _seed(work, 1000)
    env = {"NUDGER_CONFIG": str(config)}
    run_command([nudger, "list"], env)  # warm the page cache and upgrade check
    sqlmodel_import = best_of(lambda: run_command([PYTHON, "-c", "import sqlmodel"]), REPEAT)
    list_time = best_of(lambda: run_command([nudger, "list"], env), REPEAT)
    out = []
    for name, value in (("nudger --help", help_time), ("nudger --version", version_time)):
        ratio = value / argparse_import
        out.append(Figure(name, value * 1000, "ms", "<= 1.5x python -c 'import argparse'",
                          ratio <= 1.5, f"import argparse {argparse_import * 1000:.0f} ms",
                          ratio))
    ratio = list_time / sqlmodel_import
    out.append(Figure("nudger list (1,000 applications)", list_time * 1000, "ms",
                      "<= 1.3x python -c 'import sqlmodel'", ratio <= 1.3,
                      f"import sqlmodel {sqlmodel_import * 1000:.0f} ms", ratio))
    return out
