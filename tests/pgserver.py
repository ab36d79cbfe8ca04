"""A real PostgreSQL 15 for the tests: a temporary cluster on a free loopback port, started
once per test session, with a fresh database per test.

Debian's `postgresql` package puts the server binaries in /usr/lib/postgresql/15/bin (not on
PATH). `initdb` and the server refuse to run as root, so as root (CI) the cluster's folder
belongs to the `postgres` user and the binaries run as it (`runuser`); as anyone else they
run as that user. Connections from the loopback address need a password (scram-sha-256),
as on a real server, and TLS is on with a certificate for 127.0.0.1 from a throwaway CA
(`ca_file`); the Unix socket in the cluster's folder is trusted, which is how the fixtures
themselves create roles and databases.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tests.fakeclock import real_clock_env

BIN_DIRS = (Path("/usr/lib/postgresql/15/bin"), Path("/usr/lib/postgresql/16/bin"),
            Path("/usr/lib/postgresql/17/bin"))
# The role nudger connects as in the tests, and its password (given through PGPASSWORD or
# a password file, never in a URL).
ROLE = "nudger"
PASSWORD = "pg-test-secret-7f3a"


def bin_dir() -> Path | None:
    for folder in BIN_DIRS:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    return None


def missing_reason() -> str | None:
    """Why no cluster can be started here, or None."""
    if bin_dir() is None:
        return ("PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin "
                "(apt-get install postgresql; .ci/run installs it)")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root without a `postgres` user to run the server as"
        if not shutil.which("runuser"):
            return "running as root without runuser(1) to start the server as postgres"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install 'psycopg[binary]')"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgCluster:
    """One throwaway cluster: `start()`, `new_database()` per test, `stop()`; `restart()`
    in the middle (the server going away under running clients, and coming back on the
    same port)."""

    def __init__(self) -> None:
        folder = bin_dir()
        assert folder is not None
        self.bin = folder
        self.root = Path(tempfile.mkdtemp(prefix="nudger-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.count = 0
        self.as_root = os.geteuid() == 0
        if self.as_root:
            info = pwd.getpwnam("postgres")
            os.chown(self.root, info.pw_uid, info.pw_gid)
        self.root.chmod(0o755)

    def _run(self, argv: Sequence[str], **kw: Any) -> subprocess.CompletedProcess[str]:
        command = list(argv)
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        kw.setdefault("env", real_clock_env())  # the server keeps the real time
        return subprocess.run(command, check=True, capture_output=True, text=True,
                              timeout=120, cwd=self.root, **kw)

    def _tls(self) -> str:
        """A certificate for 127.0.0.1 from a throwaway CA, readable by the server only;
        the server options that turn TLS on."""
        import trustme

        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        self.ca_file = self.root / "ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_file))
        cert_file, key_file = self.root / "server.crt", self.root / "server.key"
        cert.cert_chain_pems[0].write_to_path(str(cert_file))
        cert.private_key_pem.write_to_path(str(key_file))
        key_file.chmod(0o600)
        if self.as_root:
            info = pwd.getpwnam("postgres")
            for path in (cert_file, key_file):
                os.chown(path, info.pw_uid, info.pw_gid)
        return f"-c ssl=on -c ssl_cert_file={cert_file} -c ssl_key_file={key_file}"

    def start(self) -> None:
        self._run([str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
                   "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync",
                   "-E", "UTF8", "--locale=C.UTF-8"])
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                   f"-c max_connections=200 {self._tls()}")
        self.options = options
        self._start_server()
        self.admin(f"CREATE ROLE {ROLE} LOGIN PASSWORD '{PASSWORD}'")

    def _start_server(self) -> None:
        self._run([str(self.bin / "pg_ctl"), "-D", str(self.data), "-l",
                   str(self.root / "log"), "-w", "-o", self.options, "start"])

    def restart(self, down: float = 0.0) -> None:
        """Stop the server as an operator's restart does (`-m fast`: every session is
        terminated, transactions in flight roll back), keep it down `down` seconds, and
        start it again with the same data, port and options."""
        import time

        self._run([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w",
                   "stop"])
        time.sleep(down)
        self._start_server()

    def stop(self) -> None:
        try:
            self._run([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                       "stop"])
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def connect(self, dbname: str = "postgres") -> Any:
        """A superuser connection over the trusted Unix socket (autocommit)."""
        import psycopg

        return psycopg.connect(host=str(self.root), port=self.port, user="postgres",
                               dbname=dbname, autocommit=True)

    def admin(self, sql: str, dbname: str = "postgres") -> list[tuple[Any, ...]]:
        with self.connect(dbname) as con:
            cur = con.execute(sql)  # type: ignore[arg-type]
            return list(cur.fetchall()) if cur.description else []

    def new_database(self, owner: str = ROLE) -> str:
        """A fresh, empty database owned by `owner`; its name."""
        self.count += 1
        name = f"t{os.getpid()}_{self.count}"
        self.admin(f"CREATE DATABASE {name} OWNER {owner}")
        return name

    def url(self, dbname: str, user: str = ROLE, **params: str) -> str:
        """The URL nudger is configured with: no password in it."""
        query = "&".join(f"{k}={v}" for k, v in params.items())
        return f"postgresql://{user}@127.0.0.1:{self.port}/{dbname}" + \
            (f"?{query}" if query else "")
