"""Shared fixtures: a user's home in a temporary directory, and the CLI run in-process
through its entry point (`nudger.cli.main`) against a real SQLite file."""

from __future__ import annotations

import gc
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from nudger.cli import main
from tests.fakeclock import clock_env

REPO = Path(__file__).resolve().parent.parent

# The user every test config describes (the e2e CONFIG too).
PROFILE = """\
[profile]
name = "Alex Rivera"
email = "alex@example.com"
phone = "+1 312 555 0100"
pitch = "I grow distributor accounts."
signature = "Alex Rivera"
"""

BASE_CONFIG = f"""\
timezone = "America/Chicago"
database = "nudger.db"

{PROFILE}
[calendar]
holidays = "US"
"""


@pytest.fixture(autouse=True)
def _logging_as_it_was() -> Iterator[None]:
    """An in-process `nudger run --once` configures the process's `nudger` and
    `apscheduler` loggers (a handler on stderr, a level, no propagation), as the daemon
    should; put them back, so a later test in the same worker reads a clean stderr."""
    saved = []
    for name in ("nudger", "apscheduler"):
        log = logging.getLogger(name)
        saved.append((log, list(log.handlers), log.level, log.propagate))
    yield
    for log, handlers, level, propagate in saved:
        log.handlers[:] = handlers
        log.setLevel(level)
        log.propagate = propagate


def pytest_runtest_logfinish() -> None:
    """After each test, its garbage collected and what outlives it (session fixtures,
    imported modules, caches) frozen out of the cyclic collector's sight. A worker's heap
    grows over a thousand tests and every full collection walked all of it: a third of a
    worker's CPU in a 1,000-test slice. Each collection now walks only what the current
    test made. Nothing a test checks depends on it (a frozen object is still freed when its
    last reference goes; only a cycle among survivors would stay, and they are alive)."""
    gc.collect()
    gc.freeze()


def trials(full: int, representative: int) -> int:
    """How many times a long fault trial runs: `representative` in `make test` (chosen to
    cover every window or case at least twice), `full` in `make test-full`, which sets
    NUDGER_FULL_TRIALS=1 (run it whenever the outbox, the daemon or the store changes)."""
    return full if os.environ.get("NUDGER_FULL_TRIALS") == "1" else representative


@dataclass
class Result:
    code: int
    out: str
    err: str


@dataclass
class Home:
    """A user's world: HOME, XDG dirs and a config.toml, all under tmp_path."""

    root: Path
    config: Path
    capsys: pytest.CaptureFixture[str]
    # Set by `engine_home` on PostgreSQL: every config written names this database instead
    # of the SQLite file nudger.db.
    pg_url: str | None = None

    @property
    def db_path(self) -> Path:
        return self.config.parent / "nudger.db"

    def write_config(self, text: str) -> None:
        if self.pg_url is not None:
            text = text.replace('database = "nudger.db"', f'database = "{self.pg_url}"')
        self.config.parent.mkdir(parents=True, exist_ok=True)
        self.config.write_text(text, encoding="utf-8")

    def open_db(self) -> Any:
        """The home's database, SQLite or PostgreSQL, as nudger opens it."""
        if self.pg_url is None:
            from nudger.store.db import Database

            return Database(self.db_path)
        from nudger.secrets import Secret
        from nudger.store.pg import PgDatabase
        from nudger.store.pgurl import parse
        from tests import pgserver

        return PgDatabase(parse(self.pg_url), self.db_path,
                          password=Secret(pgserver.PASSWORD))

    def run(self, *args: str) -> Result:
        """Run `nudger ARGS` in-process; argparse's SystemExit becomes the exit code."""
        self.capsys.readouterr()
        try:
            code = main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        captured = self.capsys.readouterr()
        return Result(code, captured.out, captured.err)

    def ok(self, *args: str) -> str:
        result = self.run(*args)
        assert result.code == 0, f"nudger {' '.join(args)} -> {result.code}\n{result.err}"
        return result.out


def rows(home: Home, sql: str) -> list[tuple[Any, ...]]:
    """The rows `sql` reads from the home's database (plain sqlite3, no nudger code)."""
    con = sqlite3.connect(home.db_path)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database at the newest schema, made once: copying it saves each test the ~0.5 s
    of running the migrations (tests/test_db.py runs them for real)."""
    from nudger.store.db import Database

    path = tmp_path_factory.mktemp("template") / "nudger.db"
    db = Database(path)
    db.ensure()
    db.dispose()
    return path


@pytest.fixture
def db(tmp_path: Path, migrated_db: Path) -> Iterator[Any]:
    """A nudger database (a real SQLite file at the newest schema) in tmp_path."""
    from nudger.store.db import Database

    path = tmp_path / "nudger.db"
    shutil.copyfile(migrated_db, path)
    path.chmod(0o600)  # as nudger creates it
    database = Database(path)
    yield database
    database.dispose()


def add_application(db: Any, company: str = "Acme", **extra: Any) -> int:
    """An application "AE" at `company`, added through the tracker (today 2026-11-30)."""
    from datetime import UTC, date, datetime

    from nudger.track import tracker

    with db.session() as s:
        app = tracker.add_application(s, company=company, role="AE", today=date(2026, 11, 30),
                                      now=datetime.now(UTC), **extra)
        assert app.id is not None
        return int(app.id)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
         capsys: pytest.CaptureFixture[str], migrated_db: Path) -> Iterator[Home]:
    for name in ("NUDGER_CONFIG", "CONFIGURATION_DIRECTORY", "STATE_DIRECTORY",
                 "CREDENTIALS_DIRECTORY", "NUDGER_SMTP_PASSWORD", "NUDGER_IMAP_PASSWORD",
                 "JOURNAL_STREAM",
                 "NOTIFY_SOCKET", "WATCHDOG_USEC"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home/.config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "home/.local/share"))
    config = tmp_path / "home/.config/nudger/config.toml"
    h = Home(tmp_path, config, capsys)
    h.write_config(BASE_CONFIG)
    shutil.copyfile(migrated_db, h.db_path)
    h.db_path.chmod(0o600)  # as nudger creates it
    yield h


@contextmanager
def tiny_filesystem(mount_point: Path, size: str = "2m") -> Iterator[Path]:
    """A real, small tmpfs at `mount_point` (needs root and mount(8); skips otherwise)."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a small tmpfs needs root and mount(8)")
    mount_point.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                           str(mount_point)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill_disk(directory: Path, leave: int = 0) -> Path:
    """Fill the filesystem holding `directory` to the last byte, then give back `leave`
    bytes; delete the returned file to free the space."""
    filler = directory / "filler"
    with open(filler, "wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"\0" * 4096)
        except OSError:
            pass
    if leave:
        with open(filler, "r+b") as handle:
            handle.truncate(max(0, filler.stat().st_size - leave))
    return filler


def nudger_executable() -> str:
    """The installed console script of this environment."""
    candidate = Path(sys.executable).parent / "nudger"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("nudger")
    if not found:
        pytest.skip("the nudger console script is not installed (pip install -e .)")
    return found


def run_installed(*args: str, env: dict[str, str] | None = None,
                  timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run the installed `nudger` as a user would, in a subprocess."""
    full_env = clock_env(os.environ, env or {})
    return subprocess.run([nudger_executable(), *args], capture_output=True, text=True,
                          env=full_env, timeout=timeout, check=False)


# --- IMAP (tests/imapserver.py) --------------------------------------------------------------

@pytest.fixture(scope="session")
def session_dovecot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One real Dovecot per test session (per xdist worker): starting and stopping one per
    test cost ~3 s each."""
    from tests import imapserver

    if not imapserver.available():
        pytest.skip(imapserver.MISSING_REASON)
    server = imapserver.Dovecot(tmp_path_factory.mktemp("dovecot"))
    server.start()
    try:
        yield server
    finally:
        server.cleanup()


@pytest.fixture
def dovecot(session_dovecot: Any) -> Iterator[Any]:
    """A real Dovecot on free loopback ports (imaps and STARTTLS), trustme certificates,
    and mailboxes no test has touched: the session's server, every user's mail home wiped
    first. A test that stops, restarts or breaks its server takes `private_dovecot`.
    Skips with the reason when Dovecot is not installed (CI installs it, so there the
    tests run)."""
    # A server that a test stopped by mistake, or that stopped answering, must not fail the
    # tests after it: it is started again (same ports).
    if not session_dovecot._running or not session_dovecot.answers():
        session_dovecot.restart()
    session_dovecot.fresh_mailboxes()
    yield session_dovecot


@pytest.fixture
def private_dovecot(tmp_path: Path) -> Iterator[Any]:
    """A Dovecot of the test's own, started for it and removed afterwards: for the tests
    that stop or restart their server."""
    from tests import imapserver

    if not imapserver.available():
        pytest.skip(imapserver.MISSING_REASON)
    server = imapserver.Dovecot(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.cleanup()


def imap_table(server: Any) -> str:
    """An [imap] table for a real Dovecot `server` over TLS, the password in
    $NUDGER_IMAP_PASSWORD (for configs written whole, as the installed command reads them)."""
    return f"""
[imap]
host = "{server.host}"
port = {server.port}
username = "alex@example.com"
password_env = "NUDGER_IMAP_PASSWORD"
ca_file = "{server.ca_file}"
timeout = 5
"""


def imap_config(server: Any, *, security: str = "tls", extra: str = "",
                mailbox: str = "") -> str:
    """BASE_CONFIG plus an [imap] table pointing at `server` (a Dovecot or a fake), the
    password in $NUDGER_IMAP_PASSWORD."""
    port = server.port if security == "tls" else getattr(server, "starttls_port", server.port)
    ca = getattr(server, "ca_file", None)
    ca_line = f'ca_file = "{ca}"\n' if ca else ""
    text = BASE_CONFIG + f"""
[imap]
host = "{server.host}"
port = {port}
security = "{security}"
username = "alex@example.com"
password_env = "NUDGER_IMAP_PASSWORD"
{ca_line}timeout = 5
lookback = "60 days"
{extra}"""
    if mailbox:
        text += "\n[mailbox]\n" + mailbox + "\n"
    return text


# --- PostgreSQL (tests/pgserver.py) ----------------------------------------------------------

@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Any]:
    """A real PostgreSQL cluster on a free loopback port, started once per session (~2 s)
    and removed afterwards. Skips with the reason where the server is not installed (CI
    installs it: there these tests run)."""
    from tests import pgserver

    reason = pgserver.missing_reason()
    if reason is not None:
        pytest.skip(reason)
    cluster = pgserver.PgCluster()
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def pg_template(pg_cluster: Any) -> str:
    """A database at the newest schema, made once through nudger's migrations; each test's
    migrated database is a copy (CREATE DATABASE ... TEMPLATE)."""
    from nudger.secrets import Secret
    from nudger.store.pg import PgDatabase
    from nudger.store.pgurl import parse
    from tests import pgserver

    name = pg_cluster.new_database()
    db = PgDatabase(parse(pg_cluster.url(name)), Path("/nonexistent/nudger.db"),
                    password=Secret(pgserver.PASSWORD))
    db.ensure()
    db.dispose()
    return str(name)


@pytest.fixture
def pg_url(pg_cluster: Any) -> str:
    """The URL of a fresh, empty PostgreSQL database owned by the test role (no password in
    it: the tests give it as PGPASSWORD or a password file)."""
    return str(pg_cluster.url(pg_cluster.new_database()))


def pg_database(cluster: Any, url: str, anchor: Path) -> Any:
    from nudger.secrets import Secret
    from nudger.store.pg import PgDatabase
    from nudger.store.pgurl import parse
    from tests import pgserver

    return PgDatabase(parse(url), anchor, password=Secret(pgserver.PASSWORD))


@pytest.fixture
def scratch_table() -> Iterator[Any]:
    """A table with a seeker_id column that is not one of the models: removing a seeker
    (`seeker remove`, store/seekers.py) must find it from the metadata, as it finds every
    table that has the column."""
    from sqlalchemy import Column, ForeignKey, Integer, String, Table
    from sqlmodel import SQLModel

    table = Table("scratch_note", SQLModel.metadata,
                  Column("id", Integer, primary_key=True),
                  Column("seeker_id", Integer, ForeignKey("seeker.id"), nullable=False),
                  Column("text", String, nullable=False))
    try:
        yield table
    finally:
        SQLModel.metadata.remove(table)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> str:
    """Which database a test runs on: every test using `engine_db` runs on both."""
    return str(request.param)


@pytest.fixture
def engine_db(engine: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """A migrated nudger database on `engine`: a real SQLite file, or a fresh database in
    the session's PostgreSQL cluster (copied from `pg_template`)."""
    if engine == "sqlite":
        from nudger.store.db import Database

        path = tmp_path / "nudger.db"
        shutil.copyfile(request.getfixturevalue("migrated_db"), path)
        sqlite_db = Database(path)
        yield sqlite_db
        sqlite_db.dispose()
        return
    cluster = request.getfixturevalue("pg_cluster")
    template = request.getfixturevalue("pg_template")
    cluster.count += 1
    name = f"t{os.getpid()}_{cluster.count}"
    cluster.admin(f"CREATE DATABASE {name} TEMPLATE {template} OWNER nudger")
    database = pg_database(cluster, cluster.url(name), tmp_path / "nudger.db")
    yield database
    database.dispose()


def on_engine(home: Home, engine: str, request: pytest.FixtureRequest,
              monkeypatch: pytest.MonkeyPatch) -> Home:
    """`home` on `engine`: on PostgreSQL its config (and every config the test writes
    through `write_config`) names a fresh, empty database in the session's cluster, with
    the password in PGPASSWORD. A module whose CLI tests should run on both engines
    overrides `home` with it:

        @pytest.fixture
        def home(home, engine, request, monkeypatch):
            return on_engine(home, engine, request, monkeypatch)
    """
    if engine == "postgresql":
        from tests import pgserver

        cluster = request.getfixturevalue("pg_cluster")
        home.pg_url = cluster.url(cluster.new_database())
        home.write_config(BASE_CONFIG)
        home.db_path.unlink()
        monkeypatch.setenv("PGPASSWORD", pgserver.PASSWORD)
    return home
