"""`nudger run` as a real subprocess for tests: its stderr lines and its sd_notify messages
(a real AF_UNIX datagram socket standing in for systemd) collected by threads, real
signals, and optionally libfaketime moving its clock."""

from __future__ import annotations

import glob
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.conftest import nudger_executable
from tests.fakeclock import clock_env

EVERY_DAY = '["mon","tue","wed","thu","fri","sat","sun"]'


def faketime_library() -> str | None:
    """Debian's libfaketime (package `faketime`), wherever this architecture keeps it."""
    for pattern in ("/usr/lib/*/faketime/libfaketime.so.1", "/usr/lib/faketime/libfaketime.so.1",
                    "/usr/local/lib/faketime/libfaketime.so.1"):
        found = sorted(glob.glob(pattern))
        if found:
            return found[0]
    return None


def noon_zone(now: datetime | None = None) -> str:
    """An Etc/GMT±N zone where it is around noon now, so digest times a few hours either
    side of now stay on today's local date whenever the tests run."""
    hour = (now or datetime.now(UTC)).hour
    offset = (12 - hour + 11) % 24 - 11  # in -11..12
    return "Etc/GMT" + (f"{-offset:+d}" if offset else "")


def config_head(zone: str) -> str:
    """The top of a daemon test's config: the zone, debug logging and the profile."""
    return f"""\
timezone = "{zone}"
database = "nudger.db"
log_level = "debug"

[profile]
name = "Alex Rivera"
email = "alex@example.com"
"""


def config_text(smtp: str, *, zone: str, at: str, days: str = EVERY_DAY,
                catch_up: str = "12 hours", send_when_empty: bool = True) -> str:
    return config_head(zone) + f"""
[digest]
time = "{at}"
days = {days}
catch_up = "{catch_up}"
send_when_empty = {"true" if send_when_empty else "false"}

[delivery]
method = "smtp"
from = "nudger <alex@example.com>"

{smtp}"""


def records(db: Path) -> dict[str, str]:
    """local date → outbox state, read straight from the SQLite file."""
    if not db.exists():
        return {}
    con = sqlite3.connect(db, timeout=10)
    try:
        rows = con.execute("SELECT local_date, state FROM digest ORDER BY local_date").fetchall()
    except sqlite3.OperationalError:  # the daemon is still creating the schema
        return {}
    finally:
        con.close()
    return {str(day): str(state) for day, state in rows}


def wait_until(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class DaemonProcess:
    """One `nudger --config CONFIG ARGS...` process."""

    def __init__(self, home: Path, config: Path, *args: str,
                 env: dict[str, str] | None = None) -> None:
        self.config = config
        self._dir = tempfile.mkdtemp(prefix="nudger-notify-", dir="/tmp")  # short: sun_path
        self.notify_path = os.path.join(self._dir, "notify.sock")
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.bind(self.notify_path)
        self._sock.settimeout(0.2)
        self.lines: list[str] = []
        self.notes: list[dict[str, str]] = []
        self._lock = threading.Lock()
        base = {k: v for k, v in os.environ.items()
                if k not in ("NUDGER_CONFIG", "CONFIGURATION_DIRECTORY", "STATE_DIRECTORY",
                             "CREDENTIALS_DIRECTORY", "JOURNAL_STREAM", "WATCHDOG_USEC",
                             "WATCHDOG_PID", "NUDGER_SMTP_PASSWORD")}
        # The suite's fake clock (make test-clock) passes through; a clock of the test's
        # own replaces it (tests.conftest.clock_env).
        full_env = clock_env(base, {
            "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".local/share"), "NOTIFY_SOCKET": self.notify_path,
            **(env or {})})
        self.proc = subprocess.Popen(
            [nudger_executable(), "--config", str(config), *args], stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=full_env)
        self.pid = self.proc.pid
        self._closed = False
        threading.Thread(target=self._read_stderr, daemon=True).start()
        threading.Thread(target=self._read_notify, daemon=True).start()

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            with self._lock:
                self.lines.append(line.rstrip("\n"))

    def _read_notify(self) -> None:
        while not self._closed:
            try:
                data = self._sock.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            fields = dict(line.split("=", 1) for line in data.decode().split("\n") if "=" in line)
            with self._lock:
                self.notes.append(fields)

    # --- waiting --------------------------------------------------------------------------

    @property
    def log(self) -> str:
        with self._lock:
            return "\n".join(self.lines)

    def log_matches(self, pattern: str) -> list[str]:
        with self._lock:
            return [line for line in self.lines if re.search(pattern, line)]

    def wait_log(self, pattern: str, timeout: float = 20, count: int = 1) -> str:
        def check() -> str | None:
            found = self.log_matches(pattern)
            if len(found) >= count:
                return found[count - 1]
            if self.proc.poll() is not None:
                raise AssertionError(f"nudger exited ({self.proc.returncode}) before logging "
                                     f"{pattern!r}:\n{self.log}")
            return None
        try:
            return str(wait_until(check, timeout, f"log line {pattern!r}"))
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n--- log ---\n{self.log}") from None

    def notified(self, key: str) -> list[dict[str, str]]:
        with self._lock:
            return [note for note in self.notes if key in note]

    def wait_notify(self, key: str, count: int = 1, timeout: float = 20) -> None:
        try:
            wait_until(lambda: len(self.notified(key)) >= count, timeout, f"{key} x{count}")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\nnotes: {self.notes}\n--- log ---\n{self.log}"
                                 ) from None

    def wait_ready(self, timeout: float = 20) -> None:
        self.wait_notify("READY", 1, timeout)

    def send_signal(self, signum: int) -> None:
        os.kill(self.pid, signum)

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 10) -> int:
        """Signal and wait; the exit status (AssertionError if it took over `timeout`)."""
        if self.proc.poll() is None:
            self.send_signal(signum)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"nudger did not exit within {timeout} s:\n{self.log}"
                                 ) from None
        return code

    def wait_exit(self, timeout: float = 20) -> int:
        return self.proc.wait(timeout=timeout)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._closed = True
        self._sock.close()
        shutil.rmtree(self._dir, ignore_errors=True)
