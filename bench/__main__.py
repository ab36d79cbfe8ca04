"""Run every benchmark module (bench/b_*.py), print a table and write bench/results.json."""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
import tempfile
from pathlib import Path

import bench
from bench.core import Figure

HEADERS = ["figure", "value", "target", "baseline", "ratio", ""]


def main(argv: list[str]) -> int:
    import compileall

    import nudger

    # Bytecode as an installed wheel has it (see bench.core.BASE_ENV).
    compileall.compile_dir(str(Path(nudger.__file__).parent), quiet=1)
    wanted = {name.replace("-", "_") for name in argv}  # capture-accuracy = capture_accuracy
    figures: list[Figure] = []
    names = sorted(i.name for i in pkgutil.iter_modules(bench.__path__) if i.name.startswith("b_"))
    for name in names:
        if wanted and name.removeprefix("b_") not in wanted:
            continue
        module = importlib.import_module(f"bench.{name}")
        with tempfile.TemporaryDirectory(prefix=f"nudger-bench-{name}-") as work:
            print(f"running {name} ...", file=sys.stderr, flush=True)
            figures.extend(module.figures(Path(work)))
    rows = [HEADERS] + [f.row() for f in figures]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADERS))]
    for row in rows:
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    out = Path(__file__).parent / "results.json"
    out.write_text(json.dumps([f.as_dict() for f in figures], indent=2) + "\n")
    print(f"\nwritten: {out}")
    return 0 if all(f.ok for f in figures) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
