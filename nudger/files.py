"""Files written whole or not at all, and file modes under the process's umask."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any


def current_umask() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # no other way to read it; restored at once
    os.umask(mask)
    return mask


PRIVATE = 0o600  # a new database: contacts and mail snippets are nobody else's


def create_private(path: Path) -> None:
    """Create an empty file `path` with mode 0600 (if it is not there), so that SQLite,
    which creates a database 0644 whatever the umask, opens a file only its owner may
    read; its -wal and -shm files copy the database's mode."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
    except FileExistsError:
        return
    os.close(fd)


def others_can_read(path: Path) -> str:
    """A warning when `path` (or its -wal/-shm) is readable by other users, else ""."""
    for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            mode = candidate.stat().st_mode & 0o777
        except OSError:
            continue
        if mode & 0o007:
            return (f"{candidate} is readable by other users (mode {mode:04o}): it holds "
                    f"contacts and mail snippets; `chmod o-rwx {candidate}` (0600, or 0640 "
                    "for the service's group)")
    return ""


def share_as_umask_allows(path: Path) -> None:
    """Open the database file to the group as far as the umask allows, never to others.

    Under the system unit (UMask=0007) the `nudger` group may read and write the database
    (0660); under a user's umask 0022 it stays at most 0640. Its -wal and -shm files copy
    the database's mode. Only group bits are added, and only to our own file.
    """
    wanted = 0o660 & ~current_umask()
    try:
        info = path.stat()
        if info.st_uid == os.geteuid() and info.st_mode & wanted != wanted:
            os.chmod(path, (info.st_mode & 0o7777) | wanted)
    except OSError:
        pass  # not ours to fix; the CLI reports what it cannot open


@contextlib.contextmanager
def atomic_open(path: Path, mode: str = "w", *, encoding: str = "utf-8",
                newline: str | None = None, perms: int | None = None,
                owner: str | None = None) -> Iterator[IO[Any]]:
    """A handle on a temporary file beside `path`, renamed over `path` once the block ends
    without an error: an interrupted write never leaves half a file. `perms` defaults to
    what a new file gets under the umask; `owner` is "user:group". Raises OSError (or
    LookupError for an unknown owner), the temporary file removed."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, mode, encoding=None if "b" in mode else encoding,
                       newline=newline) as handle:
            yield handle
        os.chmod(tmp, 0o666 & ~current_umask() if perms is None else perms)
        if owner:
            user, group = owner.split(":")
            shutil.chown(tmp, user, group)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_write(path: Path, data: str | bytes, *, perms: int | None = None,
                 owner: str | None = None) -> None:
    """Write `data` (text as UTF-8) to `path` whole or not at all (see `atomic_open`)."""
    with atomic_open(path, "wb" if isinstance(data, bytes) else "w", perms=perms,
                     owner=owner) as handle:
        handle.write(data)
