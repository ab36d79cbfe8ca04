"""Importing a 100,000-row CSV: rows per second and peak resident memory.

Targets (issue 7): >= 20,000 rows/s and <= 200 MB peak RSS, the import streaming its rows.
The import runs as `nudger import` in a fresh process (start-up, migrations of an empty
database excluded: `nudger init` runs first); its peak memory is that process's own,
read by a small parent through getrusage(RUSAGE_CHILDREN). For scale, the same run times
Python's csv module merely reading the file.
"""

from __future__ import annotations

import csv
import random
import time
from datetime import date, timedelta
from pathlib import Path

from bench.core import Figure, measure, nudger_bin, run_command

ROWS = 100_000
TARGET_RATE = 20_000
TARGET_MB = 200

# A parent that runs one child and reports the child's wall time and peak RSS (KiB on
# Linux): RUSAGE_CHILDREN covers only the children this fresh process waited for.


def write_csv(path: Path, rows: int) -> None:
    rng = random.Random(7)
    stages = ["Applied", "Phone screen", "Interview", "Rejected", "Wishlist", "Offer",
              "No response"]
    start = date(2024, 1, 1)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["Company", "Position", "Date Applied", "Status", "Contact", "Email",
                         "Link", "Location", "Notes"])
        for i in range(rows):
            has_contact = i % 3 == 0
            writer.writerow([
                f"Company {i} GmbH", f"Sales role {i % 97}",
                (start + timedelta(days=i % 900)).isoformat(), rng.choice(stages),
                f"Person {i}" if has_contact else "",
                f"person{i}@company{i}.example" if has_contact else "",
                f"https://jobs.example/{i}", rng.choice(["Chicago, IL", "Remote", "Berlin"]),
                "Met at the fair;\nfollow up after the holidays" if i % 10 == 0 else "",
            ])



def figures(work: Path) -> list[Figure]:
    source = work / "applications.csv"
    write_csv(source, ROWS)
    config = work / "config.toml"
    env = {"NUDGER_CONFIG": str(config)}
    run_command([nudger_bin(), "init", "--database", "nudger.db"], env)

    start = time.perf_counter()
    with source.open(encoding="utf-8", newline="") as f:
        parsed = sum(1 for _ in csv.reader(f)) - 1
    parse_rate = parsed / (time.perf_counter() - start)

    data = measure([nudger_bin(), "import", str(source)], env)
    rate = ROWS / data["wall"]
    peak_mb = data["maxrss_kb"] / 1024
    # The second import matches every row and adds nothing: the re-import path.
    again = measure([nudger_bin(), "import", str(source)], env)
    again_rate = ROWS / again["wall"]
    return [
        Figure("import 100k-row CSV", rate, "rows/s", f">= {TARGET_RATE} rows/s",
               rate >= TARGET_RATE, baseline=f"csv.reader alone {parse_rate:,.0f} rows/s",
               ratio=rate / parse_rate),
        Figure("import 100k-row CSV peak RSS", peak_mb, "MB", f"<= {TARGET_MB} MB",
               peak_mb <= TARGET_MB),
        Figure("re-import 100k rows (all matched)", again_rate, "rows/s",
               f">= {TARGET_RATE} rows/s", again_rate >= TARGET_RATE,
               baseline=f"peak {again['maxrss_kb'] / 1024:.0f} MB"),
    ]
