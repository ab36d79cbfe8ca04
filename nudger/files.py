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


def share_as_umask_allows(path: Path) -> None:
    """Open the database file up to what the umask allows.

    SQLite creates files 0644 whatever the umask, so under the system unit (UMask=0007)
    the `nudger` group could read the database but not write it; its -wal and -shm files
    copy the database's mode. Only bits are added, and only to our own file.
    """
    wanted = 0o666 & ~current_umask()
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
