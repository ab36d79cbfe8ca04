"""A full disk: a clear message, exit 1, and the database exactly as it was.

Uses a real, tiny tmpfs (needs root to mount; skipped with the reason otherwise).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import BASE_CONFIG, run_installed


@pytest.fixture
def tiny_fs(tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a small tmpfs needs root and mount(8)")
    mount = tmp_path / "fs"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(directory: Path) -> Path:
    """Fill the filesystem to the last byte."""
    filler = directory / "filler"
    with open(filler, "wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"\0" * 4096)
        except OSError:
            pass
    return filler


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

    filler = fill(tiny_fs)
    if slack:
        # Leave room for SQLite's shared-memory file but not for the new rows, so the
        # failure comes from the write itself rather than from opening the database.
        with open(filler, "r+b") as handle:
            handle.truncate(filler.stat().st_size - slack)
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
