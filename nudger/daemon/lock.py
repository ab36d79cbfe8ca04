"""One daemon per database: an flock(2) on a lock file beside the database.

The kernel drops the lock when the process ends however it ends (a crash, SIGKILL), so a
stale lock file never blocks a restart. The file holds the holder's PID for the message
a second daemon prints.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from nudger.errors import NudgerError


def lock_path(database: Path) -> Path:
    """The lock file beside the database's real path: a daemon that reaches the same file
    through a symlink (or `..`) takes the same lock."""
    real = database.resolve()
    return real.with_name(real.name + ".lock")


class DaemonLock:
    def __init__(self, database: Path) -> None:
        self.database = database
        self.path = lock_path(database)
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise NudgerError naming the PID that holds it."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # 0o660: members of the service's group share the database directory.
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o660)
        except OSError as exc:
            raise NudgerError(
                f"cannot open the lock file {self.path}: {exc.strerror}; the directory of "
                "the database must be writable by the daemon"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            who = f"PID {holder}" if holder else "another process"
            raise NudgerError(
                f"another nudger daemon ({who}) is already running on {self.database}; "
                "stop it first (`systemctl stop nudger`, or `kill "
                f"{holder or 'PID'}`), or point this one at another database"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            # Emptied rather than removed: removing would race a second daemon that has
            # opened the old file and is about to lock it.
            os.ftruncate(self._fd, 0)
        except OSError:
            pass
        os.close(self._fd)  # closing drops the flock
        self._fd = None

    def __enter__(self) -> DaemonLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _read_pid(fd: int) -> int | None:
    try:
        raw = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(raw) if raw.isdigit() else None
