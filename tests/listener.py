"""A listening socket for a test's impostor server: bound to port 0, so the kernel picks a
free port and no other process can take it between the choice and the bind."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Self

from tests.smtpserver import HOST


class Listener:
    """A listening socket on a free loopback port and a thread running `_serve`, started
    by `with` and stopped (socket closed, thread joined) on leaving it: the base of every
    impostor server the tests run (tests/imapserver.py's, tests/caldavserver.py's)."""

    def __init__(self) -> None:
        self.host = HOST
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((HOST, 0))
        self._sock.listen(8)
        self.port = int(self._sock.getsockname()[1])
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._sock.close()
        self._thread.join(timeout=5)

    def _accepted(self) -> Iterator[socket.socket]:
        """Each connection accepted until the listener stops."""
        self._sock.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _addr = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            yield conn

    def _serve(self) -> None:
        raise NotImplementedError
