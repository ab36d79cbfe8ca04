"""A real CalDAV server for the tests: Radicale (`python -m radicale --config FILE`) on a
free loopback port, with a throwaway storage folder, htpasswd users in plain text, a
rights file (alex writes his calendars; viewer may only read them), and optionally TLS
with a certificate from a trustme CA."""

from __future__ import annotations

import errno
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fakeclock import real_clock_env
from tests.listener import Listener
from tests.smtpserver import on_free_port

USERS = {"alex": "s3cret-Pa55", "viewer": "look-only"}
CALENDAR = "Job hunt"

RIGHTS = """\
[alex-home]
user: alex
collection: alex(/.*)?
permissions: RWrw

[viewer-home]
user: viewer
collection: viewer
permissions: RW

[viewer-reads-alex]
user: viewer
collection: alex/[^/]+
permissions: r

[root]
user: .+
collection:
permissions: R
"""


@dataclass
class Radicale:
    base: str  # http(s)://127.0.0.1:PORT/
    port: int
    folder: Path
    ca_file: Path | None
    process: subprocess.Popen[bytes]
    calendar_url: str = ""

    def client(self, user: str = "alex") -> object:
        from caldav.davclient import DAVClient

        return DAVClient(url=self.base, username=user, password=USERS[user],
                         ssl_verify_cert=str(self.ca_file) if self.ca_file else True,
                         enable_rfc6764=False, require_tls=False, timeout=10)

    def hrefs(self) -> dict[str, bytes]:
        """What the calendar holds on disk: file name → content."""
        out = {}
        for path in sorted(self.folder.rglob("*.ics")):
            out[path.name] = path.read_bytes()
        return out

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _wait_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            said = log.read_text(errors="replace")[-2000:]
            if "in use" in said:  # the port was taken since free_port(): on_free_port retries
                raise OSError(errno.EADDRINUSE, f"radicale: {said}")
            raise RuntimeError(f"radicale exited: {said}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("radicale did not start listening within 20 s")


@contextmanager
def radicale(root: Path, *, tls: bool = False) -> Iterator[Radicale]:
    try:
        import radicale as _radicale  # noqa: F401
    except ImportError:
        pytest.skip("radicale is not installed (pip install radicale)")
    root.mkdir(parents=True, exist_ok=True)
    users = root / "users"
    users.write_text("".join(f"{u}:{p}\n" for u, p in USERS.items()))
    rights = root / "rights"
    rights.write_text(RIGHTS)
    ca_file = None
    tls_lines = ""
    if tls:
        import trustme

        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        ca_file = root / "ca.pem"
        ca.cert_pem.write_to_path(str(ca_file))
        chain, key = root / "server.pem", root / "server.key"
        cert.private_key_pem.write_to_path(str(key))
        chain.write_bytes(b"".join(blob.bytes() for blob in cert.cert_chain_pems))
        tls_lines = f"ssl = True\ncertificate = {chain}\nkey = {key}\n"
    config = root / "config"
    log = root / "radicale.log"
    scheme = "https" if tls else "http"

    def launch(port: int) -> Radicale:
        config.write_text(
            f"[server]\nhosts = 127.0.0.1:{port}\n{tls_lines}"
            f"[auth]\ntype = htpasswd\nhtpasswd_filename = {users}\n"
            "htpasswd_encryption = plain\ndelay = 0\n"
            f"[rights]\ntype = from_file\nfile = {rights}\n"
            f"[storage]\nfilesystem_folder = {root / 'store'}\n"
            "[logging]\nlevel = warning\n")
        with open(log, "wb") as out:
            process = subprocess.Popen([sys.executable, "-m", "radicale", "--config",
                                        str(config)], stdout=out, stderr=subprocess.STDOUT,
                                       env=real_clock_env())  # tests.fakeclock
        started = Radicale(f"{scheme}://127.0.0.1:{port}/", port, root / "store", ca_file,
                           process)
        try:
            _wait_listening(port, process, log)
        except BaseException:
            started.stop()
            raise
        return started

    server = on_free_port(launch)
    try:
        client = server.client()
        calendar = client.principal().make_calendar(name=CALENDAR)  # type: ignore[attr-defined]
        server.calendar_url = str(calendar.url)
        yield server
    finally:
        server.stop()


class TrickleServer(Listener):
    """A CalDAV impostor on a free loopback port for what Radicale never does: it answers
    every request with a 207 whose body comes one byte every `every` seconds, forever (a
    per-read timeout never fires). `requests` counts the requests it got."""

    def __init__(self, every: float = 0.5) -> None:
        super().__init__()
        self.every = every
        self.requests = 0
        self.url = f"http://{self.host}:{self.port}/dav/"

    def _serve(self) -> None:
        import threading

        for conn in self._accepted():
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(5)
            conn.recv(65536)
            self.requests += 1
            conn.sendall(b"HTTP/1.1 207 Multi-Status\r\nContent-Type: application/xml\r\n"
                         b"Content-Length: 100000000\r\n\r\n<?xml version=\"1.0\"?>")
            while not self._stop.wait(self.every):
                conn.sendall(b" ")
        except OSError:
            return
        finally:
            conn.close()


class FloodServer(TrickleServer):
    """A CalDAV impostor that answers every request with a 207 announcing a gigabyte and
    sends it as fast as the socket takes it: what a client that reads whole answers into
    memory cannot survive. `sent` counts the bytes it got out."""

    def __init__(self) -> None:
        super().__init__(every=0)
        self.sent = 0

    def _handle(self, conn: socket.socket) -> None:
        chunk = b" " * (1 << 20)
        try:
            conn.settimeout(5)
            conn.recv(65536)
            self.requests += 1
            conn.sendall(b"HTTP/1.1 207 Multi-Status\r\nContent-Type: application/xml\r\n"
                         b"Content-Length: 1073741824\r\n\r\n<?xml version=\"1.0\"?>")
            for _ in range(1024):
                if self._stop.is_set():
                    return
                conn.sendall(chunk)
                self.sent += len(chunk)
        except OSError:
            return
        finally:
            conn.close()
