"""Delivery into a Maildir (the default: `Maildir/` beside the database): the message
written whole into tmp/ and moved to new/ by the `mailbox` module; a full disk is
transient, a path nudger may not write to is permanent (send/transport.py)."""

from __future__ import annotations

import asyncio
import errno
import mailbox
import os
from email.message import EmailMessage
from pathlib import Path

from nudger.send.transport import Delivered, DeliveryError, Kind, Transport

MAILDIR_SUBDIRS = ("cur", "new", "tmp")


def maildir_problem(path: Path) -> str | None:
    """Why a message cannot be delivered into the Maildir `path`, or None when it can: a
    Maildir (cur, new, tmp) we may write into, an empty folder (made one), or no folder
    yet where one can be created. `nudger check` and the transport ask the same."""
    if path.exists() or path.is_symlink():
        if not path.is_dir():
            kind = "a device" if path.exists() and not path.is_file() else "a file"
            return (f"{path} is {kind}, not a folder; delivery.maildir must name a Maildir "
                    "folder (or one nudger creates)")
        missing = [sub for sub in MAILDIR_SUBDIRS if not (path / sub).is_dir()]
        try:
            empty = not any(path.iterdir())
        except OSError as exc:
            return f"cannot read {path}: {exc.strerror}"
        if missing and not empty:
            return (f"{path} is not a Maildir: it has no {', '.join(missing)} folder; name a "
                    "Maildir (with cur, new and tmp), an empty folder or a new path")
        writable = [path] if missing else [path / "tmp", path / "new"]
        for folder in writable:
            if not os.access(folder, os.W_OK | os.X_OK):
                return f"{folder} is not writable by this user"
        return None
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        return f"cannot create {path}: {parent} is not a folder"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"cannot create {path}: {parent} is not writable by this user"
    return None


class MaildirTransport(Transport):
    method = "maildir"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.where = str(path)

    async def send(self, message: EmailMessage) -> Delivered:
        return await asyncio.to_thread(self._write, message)

    def _write(self, message: EmailMessage) -> Delivered:
        problem = maildir_problem(self.path)
        if problem is not None:
            raise DeliveryError(self.where, f"{problem}; check delivery.maildir",
                                kind="permanent")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.path.is_dir():  # an empty folder becomes a Maildir
                for sub in MAILDIR_SUBDIRS:
                    (self.path / sub).mkdir(mode=0o700, exist_ok=True)
            box = mailbox.Maildir(self.path, create=True)
            key = box.add(message.as_bytes())
        except OSError as exc:
            # A full disk clears up; a path we may not write to does not.
            kind: Kind = "transient" if exc.errno in (errno.ENOSPC, errno.EDQUOT) else \
                "permanent"
            raise DeliveryError(self.where, f"cannot write the message: {exc.strerror}; "
                                "check delivery.maildir", kind=kind) from None
        written = self.path / "new" / key
        return Delivered(self.where, f"written to {written}", path=written)

    def how_to_read(self) -> str:
        return f"mutt -f {self.path}  (or neomutt; in Thunderbird, add it as a Maildir account)"
