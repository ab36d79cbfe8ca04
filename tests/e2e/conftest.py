"""End-to-end harness: the installed `nudger` as a subprocess, a real SMTP server, a real
SQLite file, and (where installed) libfaketime to move the subprocess's clock.

Nothing here reaches into nudger's internals: scenarios drive the command line as a user
or systemd would, and judge by what the SMTP server received and what the database holds.
"""

from __future__ import annotations

import base64
import os
import shutil
import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PROFILE, nudger_executable
from tests.fakeclock import clock_env
from tests.smtpserver import SmtpServer

LIBFAKETIME = (
    "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
    "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
    "/usr/lib/faketime/libfaketime.so.1",
    "/usr/local/lib/faketime/libfaketime.so.1",
)


def libfaketime() -> str | None:
    return next((p for p in LIBFAKETIME if os.path.exists(p)), None)


def next_working_hours(zone: str = "America/New_York") -> str:
    """A libfaketime start time: the next noon in `zone` (the e2e CONFIG's zone) from now.
    Noon is after the world's 07:30 digest and inside its 12-hour catch-up, so a test that
    expects `run --once` to send today's digest passes at any hour it is run; it moves the
    clock forward only, so what the test wrote at the real time stays in the past."""
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    now = datetime.now(ZoneInfo(zone))
    noon = now.replace(hour=12, minute=0, second=0, microsecond=0)
    if noon <= now:
        noon = (now + timedelta(days=1)).replace(hour=12, minute=0, second=0, microsecond=0)
    return "@" + noon.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def needs_faketime() -> str:
    path = libfaketime()
    if path is None:
        pytest.skip("libfaketime is not installed (Debian package 'faketime'; .ci/run "
                    "installs it)")
    return path


CONFIG = """\
timezone = "America/New_York"
database = "nudger.db"
log_level = "debug"

""" + PROFILE + """
[digest]
time = "{time}"
days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
send_when_empty = true
catch_up = "12 hours"

[calendar]
holidays = "US"

[delivery]
from = "nudger <nudger@example.com>"
retry = {{ first = "1 minute", max = "10 minutes" }}
"""


@dataclass
class World:
    """One user's installation: config, database, and the SMTP server they deliver to."""

    root: Path
    server: SmtpServer
    digest_time: str = "07:30"
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def config(self) -> Path:
        return self.root / "config.toml"

    @property
    def db(self) -> Path:
        return self.root / "nudger.db"

    def write_config(self, extra: str = "", *, timeout: float = 5) -> None:
        text = CONFIG.format(time=self.digest_time) + extra
        text += "\n" + self.server.smtp_config(self.root, timeout=timeout)
        self.config.write_text(text, encoding="utf-8")

    def env(self, faketime: str | None = None, clock: Path | None = None,
            **more: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if k not in ("NUDGER_CONFIG", "JOURNAL_STREAM", "NOTIFY_SOCKET",
                            "WATCHDOG_USEC", "CREDENTIALS_DIRECTORY", "STATE_DIRECTORY",
                            "CONFIGURATION_DIRECTORY")}
        own = {"NUDGER_CONFIG": str(self.config), "HOME": str(self.root / "home"),
               "TZ": "UTC", **self.extra_env, **more}
        if faketime is not None:
            own["LD_PRELOAD"] = needs_faketime()
            own["FAKETIME"] = faketime
            own["FAKETIME_DONT_RESET"] = "1"  # children keep the parent's fake clock
        elif clock is not None:
            # A clock the test moves while the process runs (see FakeClock).
            own["LD_PRELOAD"] = needs_faketime()
            own["FAKETIME_TIMESTAMP_FILE"] = str(clock)
            own["FAKETIME_CACHE_DURATION"] = "1"
        # Without a clock of its own, the process keeps the suite's (make test-clock).
        return clock_env(env, own)

    def run(self, *args: str, faketime: str | None = None, timeout: float = 60,
            **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([nudger_executable(), *args], capture_output=True, text=True,
                              env=self.env(faketime, **env), timeout=timeout, check=False)

    def ok(self, *args: str, faketime: str | None = None, **env: str) -> str:
        result = self.run(*args, faketime=faketime, **env)
        shown = " ".join(a if len(a) < 60 else a[:57] + "..." for a in args)
        assert result.returncode == 0, f"nudger {shown}: {result.stderr[-2000:]}"
        return result.stdout

    def spawn(self, *args: str, faketime: str | None = None, clock: Path | None = None,
              **env: str) -> subprocess.Popen[str]:
        return subprocess.Popen([nudger_executable(), *args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True,
                                env=self.env(faketime, clock, **env))

    def rows(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        con = sqlite3.connect(self.db, timeout=30)
        try:
            return con.execute(query, params).fetchall()
        finally:
            con.close()

    def integrity(self) -> str:
        return str(self.rows("PRAGMA integrity_check")[0][0])

    def digests(self) -> dict[str, tuple[str, str]]:
        """local_date → (state, message_id) from the outbox."""
        return {str(d): (s, m) for d, s, m in
                self.rows("SELECT local_date, state, message_id FROM digest")}


@contextmanager
def write_lock(db: Path) -> Iterator[sqlite3.Connection]:
    """Hold SQLite's write lock, as a slow writer would: nudger's own writes then wait."""
    con = sqlite3.connect(db, timeout=30, isolation_level=None)
    con.execute("BEGIN IMMEDIATE")
    try:
        yield con
    finally:
        con.execute("ROLLBACK")
        con.close()


class LockOnAccept:
    """Takes the database's write lock the moment the server accepts a message, so the
    sender is frozen between the server's acceptance and its own 'sent' mark."""

    def __init__(self, db: Path) -> None:
        self.db = db
        self.accepted = threading.Event()
        self._con: sqlite3.Connection | None = None

    def __call__(self) -> None:
        con = sqlite3.connect(self.db, timeout=30, isolation_level=None,
                              check_same_thread=False)
        con.execute("BEGIN IMMEDIATE")
        self._con = con
        self.accepted.set()

    def release(self) -> None:
        if self._con is not None:
            self._con.execute("ROLLBACK")
            self._con.close()
            self._con = None


def forms(secret: str) -> list[bytes]:
    """`secret` in clear and in the base64 forms SMTP AUTH and IMAP AUTHENTICATE PLAIN put
    on the wire (for the user alex@example.com)."""
    user = b"alex@example.com"
    raw = secret.encode()
    return [raw, base64.b64encode(raw), base64.b64encode(b"\0" + user + b"\0" + raw),
            base64.b64encode(user + b"\0" + user + b"\0" + raw)]


def assert_never_leaks(secrets: tuple[str, ...], outputs: list[str], root: Path) -> None:
    """No form of any of `secrets` in the command `outputs` nor in any file under `root`."""
    blob = "\n".join(outputs).encode()
    for secret in secrets:
        for form in forms(secret):
            assert form not in blob, f"{form!r} in command output"
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for secret in secrets:
                for form in forms(secret):
                    assert form not in data, f"{form!r} in {path}"


def wait_for(condition: Callable[[], bool], timeout: float = 20, step: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


class Tail:
    """Collect a process's stderr (the daemon's log) as it comes: a test waits on its lines,
    never on a sleep."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.lines: list[str] = []
        assert proc.stderr is not None
        stream = proc.stderr
        self._thread = threading.Thread(target=lambda: self.lines.extend(stream), daemon=True)
        self._thread.start()

    def text(self) -> str:
        return "".join(self.lines)

    def has(self, needle: str, timeout: float = 20) -> bool:
        return wait_for(lambda: needle in self.text(), timeout=timeout)

    def finish(self, timeout: float = 30) -> str:
        """The whole log of a process that has ended."""
        self._thread.join(timeout)
        return self.text()

    def still_serving(self, timeout: float = 20) -> bool:
        """The daemon is alive and its event loop still answers: a SIGUSR1 sent now is
        logged. (A sleep, then `poll() is None`, hoped a crash would have shown by then.)"""
        marker = len(self.text())
        self.proc.send_signal(signal.SIGUSR1)
        answered = wait_for(lambda: "SIGUSR1 received: ignored" in self.text()[marker:],
                            timeout=timeout)
        return answered and self.proc.poll() is None


def children(pid: int) -> list[int]:
    """The process's children now (Linux's /proc/PID/task/TID/children)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def kill9(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=10)


def build_world(root: Path, server: SmtpServer) -> World:
    """A user's installation made as the user makes it: `nudger init`, then one
    application (Acme, applied 2026-11-02, a contact)."""
    w = World(root, server)
    w.write_config()
    (root / "home").mkdir()
    w.ok("init")
    w.ok("add", "Acme", "Account Executive", "--applied", "2026-11-02",
         "--contact", "Dana Lee <dana@acme.example>")
    return w


@pytest.fixture(scope="session")
def world_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`build_world` run once per session (per xdist worker): two subprocesses each test
    would otherwise start (~4 s a test under load). `world` copies it."""
    root = tmp_path_factory.mktemp("world-template")
    with SmtpServer("plain") as server:
        build_world(root, server)
    (root / "config.toml").unlink()  # names the template's server: each test writes its own
    return root


@pytest.fixture
def world(tmp_path: Path, world_template: Path) -> Iterator[World]:
    """The template world copied whole (database, key, home; modes kept) into tmp_path,
    with a config naming the test's own SMTP server."""
    with SmtpServer("plain") as server:
        shutil.copytree(world_template, tmp_path, dirs_exist_ok=True, symlinks=True)
        w = World(tmp_path, server)
        w.write_config()
        yield w
