"""One daemon per database: the flock beside the database, held by a real other process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from nudger.daemon.lock import DaemonLock, lock_path
from nudger.errors import NudgerError

HOLD = """
import sys, time
from pathlib import Path
from nudger.daemon.lock import DaemonLock
lock = DaemonLock(Path(sys.argv[1]))
lock.acquire()
print("locked", flush=True)
time.sleep(60)
"""


def holder(db: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(db)], stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


def test_a_second_holder_is_refused_with_the_first_ones_pid(tmp_path: Path) -> None:
    db = tmp_path / "nudger.db"
    proc = holder(db)
    try:
        with pytest.raises(NudgerError) as caught:
            DaemonLock(db).acquire()
        message = str(caught.value)
        assert f"PID {proc.pid}" in message and str(db) in message
        assert "systemctl stop nudger" in message
    finally:
        proc.kill()
        proc.wait()


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    db = tmp_path / "nudger.db"
    proc = holder(db)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert lock_path(db).read_text().strip() == str(proc.pid)  # the file stays behind...
    with DaemonLock(db) as lock:  # ...but the kernel dropped the lock with the process
        assert lock_path(db).read_text().strip() == str(os.getpid())
        assert lock.path == tmp_path / "nudger.db.lock"
    assert lock_path(db).read_text() == ""


def test_release_lets_the_next_one_in(tmp_path: Path) -> None:
    db = tmp_path / "sub" / "nudger.db"
    first = DaemonLock(db)
    first.acquire()
    with pytest.raises(NudgerError, match=f"PID {os.getpid()}"):
        DaemonLock(db).acquire()
    first.release()
    DaemonLock(db).acquire()


def test_an_unwritable_directory_is_a_clear_error(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes anywhere: permissions cannot make this fail")
    blocked = tmp_path / "ro"
    blocked.mkdir(mode=0o500)
    with pytest.raises(NudgerError, match="cannot open the lock file"):
        DaemonLock(blocked / "nudger.db").acquire()
