"""The daemon's log: one line per event on stderr.

On a terminal or in a file each line carries a timestamp and the level. Under journald
(stderr is the stream named by `JOURNAL_STREAM`) the journal adds its own timestamp, so a
line is just a syslog priority prefix (`<6>` for info) and the message; journald turns the
prefix into the entry's priority, so `journalctl -p warning -u nudger` works.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from typing import TextIO

from nudger.text import one_line

LOGGER_NAME = "nudger"

# syslog(3) priorities
_PRIORITY = {
    logging.DEBUG: 7,
    logging.INFO: 6,
    logging.WARNING: 4,
    logging.ERROR: 3,
    logging.CRITICAL: 2,
}


class JournalFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        priority = _PRIORITY.get(record.levelno, 6 if record.levelno < logging.WARNING else 3)
        return f"<{priority}>{one_line(_message(record), sep='; ')}"


class PlainFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__(datefmt="%Y-%m-%d %H:%M:%S%z")

    def format(self, record: logging.LogRecord) -> str:
        stamp = self.formatTime(record, self.datefmt)
        return f"{stamp} {record.levelname.lower()}: {one_line(_message(record), sep='; ')}"


def _message(record: logging.LogRecord) -> str:
    from nudger.text import visible

    message = record.getMessage()
    if record.exc_info:
        # A bug, not a user's mistake: keep the exception's type and text on the line.
        exc = record.exc_info[1]
        message = f"{message}: {type(exc).__name__}: {exc}"
    return visible(message)  # a company name or a server's reply never drives a terminal


def under_journald(env: Mapping[str, str], stream: TextIO) -> bool:
    """True when `stream` is the journal stream systemd connected (JOURNAL_STREAM=dev:inode)."""
    raw = env.get("JOURNAL_STREAM", "")
    if not raw:
        return False
    try:
        device, inode = (int(part) for part in raw.split(":"))
        info = os.fstat(stream.fileno())
    except (ValueError, OSError):
        return False
    return (info.st_dev, info.st_ino) == (device, inode)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is when a line is logged (as logging's own
    last-resort handler does), not the stream that was current at set-up: the CLI wraps
    stderr per command (terminal.VisibleStream), and a handler holding an old wrapper would
    write into a stream that is gone."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        """StreamHandler sets it in __init__; the current stderr is always used instead."""


def setup_logging(level: str, env: Mapping[str, str], stream: TextIO | None = None
                  ) -> logging.Logger:
    """Configure the `nudger` logger (idempotent: a reload only changes the level)."""
    follow = stream is None
    stream = stream if stream is not None else sys.stderr
    logger = logging.getLogger(LOGGER_NAME)
    logger.setLevel(level.upper())
    logger.propagate = False
    if not any(getattr(h, "_nudger", False) for h in logger.handlers):
        handler: logging.StreamHandler[TextIO] = (
            _StderrHandler() if follow else logging.StreamHandler(stream))
        handler._nudger = True  # type: ignore[attr-defined]
        handler.setFormatter(
            JournalFormatter() if under_journald(env, stream) else PlainFormatter()
        )
        logger.addHandler(handler)
    # APScheduler logs every job run at INFO; only its warnings are news to the user.
    apscheduler = logging.getLogger("apscheduler")
    apscheduler.setLevel(logging.WARNING)
    apscheduler.propagate = False
    if not apscheduler.handlers:
        apscheduler.handlers = list(logger.handlers)
    return logger
