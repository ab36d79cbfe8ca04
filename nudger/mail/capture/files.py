"""Mail files on disk, streamed: mbox (Gmail Takeout, Thunderbird), Maildir, .eml.

Nothing here loads a mailbox into memory. An mbox is read in chunks and split at its
"From " lines; each message is handed on as at most `MESSAGE_CAP` bytes (its headers and
the start of its body — a 40 MB attachment further down is never kept, let alone decoded).
A message or file that cannot be read is reported as `Skipped` with its position
("All.mbox#1234, byte 5678901") and the rest goes on.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

MESSAGE_CAP = 256 * 1024     # bytes of one message kept (headers + start of the body)
HEADER_CAP = 64 * 1024       # a header block longer than this is not a mail header
CHUNK = 1024 * 1024
_TAIL_KEEP = 4096            # bytes kept back between chunks to see a "From " line whole
                             # (at least len(b"\nFrom ") + 2)
# An mbox separator: "From " at the start of a line after an empty line (or at the start of
# the file) whose line carries a time, as every mbox writer puts one there ("From
# 1780927375862345678@xxx Mon Oct 05 09:12:01 +0000 2026", "From - Mon Oct 05 09:12:01
# 2026"). A "From there we went…" line in a body is not one.
_POSTMARK = re.compile(rb"From \S*.*\d{1,2}:\d{2}")


@dataclass(frozen=True)
class RawMail:
    where: str            # "PATH#N" for an mbox message, else the file's path
    data: bytes           # at most MESSAGE_CAP bytes of the message
    size: int             # the message's full size in bytes
    position: int         # 1-based number of the message in its source

    @property
    def truncated(self) -> bool:
        return self.size > len(self.data)


@dataclass(frozen=True)
class Skipped:
    where: str
    reason: str


Item = RawMail | Skipped


def is_maildir(path: Path) -> bool:
    return path.is_dir() and (path / "cur").is_dir() and (path / "new").is_dir()


def _open_regular(path: Path) -> BinaryIO:
    """`path` opened for reading if it is a regular file; OSError otherwise. Opened without
    blocking, so a FIFO named `x.eml` (or one in a Maildir's new/) is refused at once
    instead of waiting for a writer forever."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file (a FIFO, a device or a socket)")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def looks_like_mbox(path: Path) -> bool:
    try:
        with _open_regular(path) as handle:
            return handle.read(5) == b"From "
    except OSError:
        return False


class _Seen:
    """Folders and files already read in this run, by (device, inode): a symlink loop is
    walked once, and a file reached through two links is read once."""

    def __init__(self) -> None:
        self.keys: set[tuple[int, int]] = set()

    def first(self, path: Path) -> bool:
        try:
            info = path.stat()
        except OSError:
            return True  # the read itself reports why
        key = (info.st_dev, info.st_ino)
        if key in self.keys:
            return False
        self.keys.add(key)
        return True


def read_paths(paths: list[Path]) -> Iterator[Item]:
    """Every message under the given paths, in order: a file (mbox or one message), a
    Maildir, or a folder holding any of those (searched recursively, hidden files and
    Thunderbird's .msf indexes left out). Regular files only; every folder and file once
    (a symlink loop or a second link to the same file is not read again)."""
    seen = _Seen()
    for path in paths:
        if not seen.first(path):
            yield Skipped(str(path), "already read (the same file or folder again)")
        elif is_maildir(path):
            yield from read_maildir(path, seen)
        elif path.is_dir():
            yield from _read_folder(path, seen)
        elif path.is_file():
            if looks_like_mbox(path):
                yield from read_mbox(path)
            else:
                yield from read_eml(path)
        elif not path.exists():
            yield Skipped(str(path), "no such file or folder")
        else:
            yield Skipped(str(path), "not a regular file or folder")


def _read_folder(folder: Path, seen: _Seen) -> Iterator[Item]:
    try:
        entries = sorted(folder.iterdir())
    except OSError as exc:
        yield Skipped(str(folder), f"cannot list the folder: {exc.strerror or exc}")
        return
    for entry in entries:
        if entry.name.startswith(".") or entry.suffix.lower() == ".msf":
            continue
        if not seen.first(entry):
            continue  # a symlink loop, or a second link to what was read
        if is_maildir(entry):
            yield from read_maildir(entry, seen)
        elif entry.is_dir():
            yield from _read_folder(entry, seen)
        elif entry.suffix.lower() == ".eml":
            yield from read_eml(entry)
        elif entry.is_file() and looks_like_mbox(entry):
            yield from read_mbox(entry)


def read_eml(path: Path, position: int = 1) -> Iterator[Item]:
    try:
        with _open_regular(path) as handle:
            data = handle.read(MESSAGE_CAP)
            size = len(data) if len(data) < MESSAGE_CAP else os.fstat(handle.fileno()).st_size
    except OSError as exc:
        yield Skipped(str(path), f"cannot read it: {exc.strerror or exc}")
        return
    if not data.strip():
        yield Skipped(str(path), "empty file")
        return
    yield RawMail(str(path), data, size, position)


def read_maildir(path: Path, seen: _Seen | None = None) -> Iterator[Item]:
    """cur/ then new/, in name order (tmp/ holds mail still being delivered)."""
    seen = seen or _Seen()
    position = 0
    for sub in ("cur", "new"):
        try:
            names = sorted(os.listdir(path / sub))
        except OSError as exc:
            yield Skipped(str(path / sub), f"cannot list the folder: {exc.strerror or exc}")
            continue
        for name in names:
            if name.startswith("."):
                continue
            position += 1
            if not seen.first(path / sub / name):
                continue
            yield from read_eml(path / sub / name, position)


def read_mbox(path: Path) -> Iterator[Item]:
    """The messages of an mbox, streamed in chunks. A message's bytes beyond MESSAGE_CAP
    are skipped over, never kept."""
    try:
        handle = _open_regular(path)
    except OSError as exc:
        yield Skipped(str(path), f"cannot read it: {exc.strerror or exc}")
        return
    with handle:
        yield from _split_mbox(str(path), handle)


class _Message:
    __slots__ = ("kept", "parts", "position", "size", "start")

    def __init__(self, start: int, position: int) -> None:
        self.parts: list[bytes] = []
        self.kept = 0
        self.size = 0
        self.start = start
        self.position = position

    def add(self, data: bytes) -> None:
        self.size += len(data)
        room = MESSAGE_CAP - self.kept
        if room > 0:
            piece = data[:room]
            self.parts.append(piece)
            self.kept += len(piece)


def _split_mbox(name: str, handle: BinaryIO) -> Iterator[Item]:
    buf = handle.read(CHUNK)
    first = buf.find(b"\n")
    while first < 0:  # a first line longer than a chunk: not a real mbox, but read on
        more = handle.read(CHUNK)
        if not more:
            break
        buf += more
        first = buf.find(b"\n")
    # buf[pos:] is not yet given to `current`; `offset` is buf[0]'s place in the file.
    # buf is compacted once per chunk read, never per message.
    offset = 0
    pos = first + 1 if first >= 0 else len(buf)
    count = 1
    current = _Message(pos, count)
    search = pos
    eof = False
    last2 = b"x\n"   # the two bytes before buf[pos]: a From line's end is not an empty line
    while True:
        found = buf.find(b"\nFrom ", search)
        if found >= 0:
            line_end = buf.find(b"\n", found + 1)
            if line_end < 0 and len(buf) - found > 1024:
                search = found + 1  # no postmark is this long: body text
                continue
            if line_end >= 0 or eof:
                line_end = line_end if line_end >= 0 else len(buf) - 1
                before = (last2 + buf[pos:found])[-2:] if found - pos < 2 \
                    else buf[found - 2:found]
                if (before.endswith(b"\n") or before == b"\n\r") and \
                        _POSTMARK.match(buf, found + 1, line_end + 1):
                    current.add(buf[pos:found + 1])
                    yield _finish(name, current)
                    count += 1
                    pos = search = line_end + 1
                    current = _Message(offset + pos, count)
                    last2 = b"x\n"
                else:
                    search = found + 1
                continue
        if eof:
            break
        # No whole separator in sight: look again from an unfinished "From " line or the
        # last few bytes; hand all but a tail to the message, then read on.
        resume = found if found >= 0 else max(search, len(buf) - 8)
        keep = len(buf) - _TAIL_KEEP if found < 0 else min(len(buf) - _TAIL_KEEP, found)
        if keep > pos:
            current.add(buf[pos:keep])
            last2 = (last2 + buf[pos:keep])[-2:]
            pos = keep
        chunk = handle.read(CHUNK)
        buf = buf[pos:] + chunk
        offset += pos
        search = max(0, resume - pos)
        pos = 0
        if not chunk:
            eof = True
    current.add(buf[pos:])
    yield _finish(name, current, at_end=True)


def _finish(name: str, message: _Message, at_end: bool = False) -> Item:
    where = f"{name}#{message.position}"
    parts = message.parts
    data = parts[0] if len(parts) == 1 else b"".join(parts)
    if not _has_header_end(data):
        reason = ("the file ends inside this message's headers (a truncated mbox?)"
                  if at_end else "no header block (not an email message)")
        return Skipped(f"{where}, byte {message.start}", reason)
    return RawMail(where, data, message.size, message.position)


def _has_header_end(data: bytes) -> bool:
    """Whether the first HEADER_CAP bytes hold the empty line that ends a header block
    (LF or CRLF mail), found in place: the message is not copied."""
    return data.find(b"\n\n", 0, HEADER_CAP) >= 0 or \
        data.find(b"\r\n\r\n", 0, HEADER_CAP) >= 0
