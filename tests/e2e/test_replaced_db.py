"""Issue 13, class 8: the database file deleted or replaced under a running daemon.

The daemon notices before it decides or sends anything (the path's device and inode no
longer match the file it opened), reopens the path, and records there the days it knew
were done: a restored backup or a fresh file never gets today's digest a second time. And
a second daemon reaching the same database through a symlink is refused by the lock.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3

import pytest

from tests.e2e.conftest import Tail, World, wait_for
from tests.e2e.test_reload import NOW

TODAY = "2027-02-01"


def _backup(world: World) -> os.PathLike[str]:
    """A consistent copy of the database as it is now (before today's digest)."""
    target = world.root / "backup.db"
    src = sqlite3.connect(world.db)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    return target


@pytest.mark.parametrize("how", ["restored", "deleted"])
def test_a_replaced_database_is_reopened_and_no_day_is_sent_twice(world: World,
                                                                  how: str) -> None:
    backup = _backup(world)
    proc = world.spawn("run", faketime=NOW)
    log = Tail(proc)
    try:
        assert wait_for(lambda: len(world.server.messages) == 1, timeout=30), log.text()
        for suffix in ("", "-wal", "-shm"):
            path = world.db.with_name(world.db.name + suffix)
            if path.exists():
                path.unlink()
        if how == "restored":
            shutil.copy(backup, world.db)  # a new file (new inode) at the same path
        world.ok("add", "Globex", "Seller", "--applied", "2027-01-20", faketime=NOW)

        marker = len(log.text())
        proc.send_signal(signal.SIGHUP)  # a wake-up: the reload kicks a digest pass
        assert wait_for(lambda: "reloaded" in log.text()[marker:], timeout=30), log.text()
        assert wait_for(lambda: "not sent again" in log.text(), timeout=30), log.text()
        assert re.search(r"database .*nudger\.db was (replaced|deleted) while the daemon "
                         r"ran; reopening it", log.text()), log.text()
        # The daemon now works on the new file: today's digest is recorded there.
        assert world.digests()[TODAY][0] == "sent"
        assert len(world.server.messages) == 1
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)
    assert proc.returncode == 0, log.text()
    assert len(world.server.messages) == 1


def test_a_symlink_to_the_database_takes_the_same_lock(world: World) -> None:
    first = world.spawn("run", faketime=NOW)
    try:
        assert wait_for(lambda: len(world.server.messages) == 1, timeout=30)
        other = world.root / "elsewhere"
        other.mkdir()
        (other / "linked.db").symlink_to(world.db)
        config = other / "config.toml"
        config.write_text(world.config.read_text().replace(
            'database = "nudger.db"', f'database = "{other / "linked.db"}"'),
            encoding="utf-8")
        second = world.run("--config", str(config), "run", faketime=NOW, timeout=30)
        assert second.returncode == 1, second.stderr
        assert re.search(rf"\b{first.pid}\b", second.stderr), second.stderr
        assert first.poll() is None
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=15)
    assert len(world.server.messages) == 1
