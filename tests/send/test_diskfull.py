"""A full disk: a clear message, exit 1, and the database exactly as it was.

Uses a real, tiny tmpfs (needs root to mount; skipped with the reason otherwise).
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import BASE_CONFIG, fill_disk, run_installed, tiny_filesystem


@pytest.fixture
def tiny_fs(tmp_path: Path) -> Iterator[Path]:
    with tiny_filesystem(tmp_path / "fs") as mount:
        yield mount


def rows(db: Path) -> list[tuple[object, ...]]:
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT id, company, role, notes FROM application").fetchall()
    finally:
        con.close()


@pytest.mark.parametrize("slack", [0, 40_960], ids=["full", "room-for-shm-only"])
def test_add_on_a_full_disk(tiny_fs: Path, migrated_db: Path, tmp_path: Path,
                            slack: int) -> None:
    config = tiny_fs / "config.toml"
    config.write_text(BASE_CONFIG)
    db = tiny_fs / "nudger.db"
    shutil.copyfile(migrated_db, db)
    env = {"NUDGER_CONFIG": str(config), "HOME": str(tmp_path)}
    assert run_installed("add", "Acme", "AE", env=env).returncode == 0
    before = rows(db)

    # With slack: room for SQLite's shared-memory file but not for the new rows, so the
    # failure comes from the write itself rather than from opening the database.
    filler = fill_disk(tiny_fs, leave=slack)
    result = run_installed("add", "Globex", "SDR", "--notes", "x" * 9_000, env=env)
    assert result.returncode == 1, result.stderr
    assert "is full" in result.stderr and "Nothing was changed" in result.stderr
    assert "Traceback" not in result.stderr

    filler.unlink()
    assert rows(db) == before
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()
    # Space is back: the same command now works.
    assert run_installed("add", "Globex", "SDR", env=env).returncode == 0
    assert len(rows(db)) == len(before) + 1
