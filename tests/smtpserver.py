"""A real SMTP server for tests: aiosmtpd on a free 127.0.0.1 port, in its own thread.

    with SmtpServer(mode="starttls", password="s3cret") as server:
        ... point nudger at server.host / server.port, trusting server.ca_file ...
        assert len(server.messages) == 1

Modes: "plain" (no TLS), "starttls" (STARTTLS offered and required before MAIL/AUTH),
"tls" (implicit TLS from the first byte). `password` turns on AUTH (any username, that
password; anything else is refused with 535). `replies` scripts a command's answer:
{"MAIL": "451 4.3.0 try later"} answers every MAIL so; a list answers the first calls in
order and then behaves normally ({"DATA": ["421 4.3.2 shutting down"]}). `drop_after_data`
records the message, then closes the connection instead of replying. `stall` = (command,
seconds) waits that long before answering; `handler.pause_at = "MAIL"` holds every MAIL
unanswered until the test sets `handler.resume` (the relay answers when the test says so;
`handler.paused` counts the commands held so far). `cert_hosts` names the certificate's hosts
(give a wrong one to test verification). Everything the server saw is in `commands`
(verb, argument), and every accepted message in `messages`.

Other engineers reuse this for the daemon and end-to-end tests: keep it dependency-free
beyond aiosmtpd and trustme.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import errno
import socket
import ssl
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, TypeVar

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import MISSING, AuthResult, LoginPassword

Mode = Literal["plain", "starttls", "tls"]
HOST = "127.0.0.1"
T = TypeVar("T")

_CA: trustme.CA | None = None
_CA_LOCK = threading.Lock()


def shared_ca() -> trustme.CA:
    """One throwaway CA per test session (making one costs ~50 ms)."""
    global _CA
    with _CA_LOCK:
        if _CA is None:
            _CA = trustme.CA()
        return _CA


def free_port() -> int:
    """A loopback port free at this instant. Another process (an xdist worker, a server of
    another test) may take it before the caller binds it: a server started on it goes
    through `on_free_port`, which picks a new one when the bind fails."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def on_free_port(start: Callable[[int], T], attempts: int = 8) -> T:
    """`start(port)` on a free port, retried on a fresh port while the bind fails with
    EADDRINUSE (the port was taken between `free_port()` and the bind)."""
    for attempt in range(attempts):
        try:
            return start(free_port())
        except OSError as exc:
            in_use = exc.errno == errno.EADDRINUSE or "address already in use" in str(exc)
            if not in_use or attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


@contextmanager
def refused_port() -> Iterator[int]:
    """A loopback port where every connection is refused, for as long as the block runs:
    the socket is bound (so no other process can bind the port: no SO_REUSEADDR) but never
    listens. Use it instead of a `free_port()` that nobody listens on, which another test
    may start a server on in the meantime."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind((HOST, 0))
        yield int(sock.getsockname()[1])
    finally:
        sock.close()


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


@dataclass
class _Handler:
    # A reply may be bytes: sent as they are (a server answering in Latin-1, say).
    replies: dict[str, str | bytes | list[str]] = field(default_factory=dict)
    drop_after_data: bool = False
    stall: tuple[str, float] | None = None
    # End-to-end hooks. hold_data: seconds to sit on a message before accepting it (the
    # client's DATA is in flight; `holding` is True meanwhile; a client that goes away
    # leaves nothing behind). drop_before_accept: hang up after DATA without accepting.
    # on_accept: called at the instant a message is accepted, before the 250 goes out.
    hold_data: float = 0.0
    holding: bool = False
    drop_before_accept: bool = False
    on_accept: Callable[[], None] | None = None
    # pause_at: a verb (MAIL) held unanswered until `resume` is set; `paused` counts them.
    pause_at: str | None = None
    resume: threading.Event = field(default_factory=threading.Event)
    paused: int = 0
    messages: list[Received] = field(default_factory=list)
    commands: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _scripted(self, verb: str) -> str | bytes | None:
        with self.lock:
            reply = self.replies.get(verb)
            if isinstance(reply, list):
                return reply.pop(0) if reply else None
            return reply

    async def _maybe_stall(self, verb: str) -> None:
        if self.stall and self.stall[0] == verb:
            await asyncio.sleep(self.stall[1])
        if self.pause_at == verb:
            with self.lock:
                self.paused += 1
            while not self.resume.is_set():
                await asyncio.sleep(0.02)

    def _seen(self, verb: str, arg: str) -> None:
        with self.lock:
            self.commands.append((verb, arg))

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str,
                          responses: list[str]) -> list[str]:
        self._seen("EHLO", hostname)
        session.host_name = hostname  # a hook that takes `responses` must set it itself
        return responses

    async def handle_AUTH(self, server: Any, session: Any, envelope: Any,
                          args: list[str]) -> Any:
        self._seen("AUTH", args[0] if args else "")
        return MISSING  # let aiosmtpd's own AUTH run, with our authenticator

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str,
                          options: list[str]) -> str | bytes:
        self._seen("MAIL", address)
        await self._maybe_stall("MAIL")
        scripted = self._scripted("MAIL")
        if scripted:
            return scripted
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          options: list[str]) -> str | bytes:
        self._seen("RCPT", address)
        await self._maybe_stall("RCPT")
        scripted = self._scripted("RCPT")
        if scripted:
            return scripted
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str | bytes:
        self._seen("DATA", "")
        scripted = self._scripted("DATA")
        if scripted:
            return scripted
        if self.drop_before_accept:
            server.transport.close()
            return "421 4.4.2 connection dropped"
        if self.hold_data:
            self.holding = True
            deadline = asyncio.get_running_loop().time() + self.hold_data
            try:
                while asyncio.get_running_loop().time() < deadline:
                    if server.transport is None or server.transport.is_closing():
                        return "421 4.4.2 client went away"  # nothing was accepted
                    await asyncio.sleep(0.02)
            finally:
                self.holding = False
            if server.transport is None or server.transport.is_closing():
                return "421 4.4.2 client went away"
        received = Received(envelope.mail_from, list(envelope.rcpt_tos),
                            bytes(envelope.original_content or envelope.content))
        with self.lock:
            self.messages.append(received)
        if self.on_accept is not None:
            self.on_accept()
        await self._maybe_stall("DATA")
        if self.drop_after_data:
            # The message is in; the reply is lost: the client cannot know it arrived.
            server.transport.close()
        return "250 2.0.0 Message accepted for delivery"


class SmtpServer:
    def __init__(
        self,
        mode: Mode = "plain",
        *,
        password: str | None = None,
        replies: dict[str, str | bytes | list[str]] | None = None,
        drop_after_data: bool = False,
        stall: tuple[str, float] | None = None,
        cert_hosts: Sequence[str] = ("localhost", HOST),
    ) -> None:
        self.mode = mode
        self.password = password
        self.handler = _Handler(replies=dict(replies or {}), drop_after_data=drop_after_data,
                                stall=stall)
        self.host = HOST
        self.port = 0  # chosen at start()
        self.cert_hosts = tuple(cert_hosts)
        self._controller: Controller | None = None
        self.logins: list[tuple[str, bool]] = []  # (username, accepted)

    # --- what the server saw ------------------------------------------------------------

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages

    @property
    def commands(self) -> list[tuple[str, str]]:
        return self.handler.commands

    def verbs(self) -> list[str]:
        return [verb for verb, _ in self.commands]

    def wait_for_messages(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Block until at least `count` messages arrived (for a daemon in a subprocess);
        AssertionError after `timeout` seconds."""
        import time

        deadline = time.monotonic() + timeout
        while len(self.messages) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.messages)} of {count} messages arrived "
                                     f"within {timeout:g} s; the server saw {self.verbs()}")
            time.sleep(0.02)
        return list(self.messages)

    def reset(self) -> None:
        """Forget what was seen so far (the scripted replies stay)."""
        with self.handler.lock:
            self.handler.messages.clear()
            self.handler.commands.clear()
        self.logins.clear()

    # --- TLS for the client side --------------------------------------------------------

    def ca_file(self, directory: Path) -> Path:
        """Write the CA that signed this server's certificate, for smtp.ca_file."""
        path = directory / "test-ca.pem"
        shared_ca().cert_pem.write_to_path(str(path))
        return path

    def client_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        shared_ca().configure_trust(context)
        return context

    def smtp_config(self, directory: Path, *, username: str | None = None,
                    timeout: float = 5) -> str:
        """An [smtp] table pointing at this server (append it to a config.toml)."""
        security = {"plain": "none", "starttls": "starttls", "tls": "tls"}[self.mode]
        lines = ["[smtp]", f'host = "{self.host}"', f"port = {self.port}",
                 f'security = "{security}"', f"timeout = {timeout}"]
        if self.mode != "plain":
            lines.append(f'ca_file = "{self.ca_file(directory)}"')
        if username:
            lines.append(f'username = "{username}"')
        return "\n".join(lines) + "\n"

    # --- lifecycle ----------------------------------------------------------------------

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str,
                      auth_data: Any) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            ok = auth_data.password.decode("utf-8", "replace") == self.password
            self.logins.append((auth_data.login.decode("utf-8", "replace"), ok))
            return AuthResult(success=ok, handled=False)
        return AuthResult(success=False, handled=False)

    def start(self) -> SmtpServer:
        kwargs: dict[str, Any] = {}
        if self.password is not None:
            kwargs["authenticator"] = self._authenticate
            # aiosmtpd only counts STARTTLS as TLS; implicit TLS is encrypted from the start.
            kwargs["auth_require_tls"] = self.mode == "starttls"
        if self.mode != "plain":
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            shared_ca().issue_cert(*self.cert_hosts).configure_cert(context)
            if self.mode == "starttls":
                kwargs["tls_context"] = context
                kwargs["require_starttls"] = True
            else:
                kwargs["ssl_context"] = context

        def bind(port: int) -> Controller:
            controller = Controller(self.handler, hostname=self.host, port=port,
                                    server_hostname="mx.test", **kwargs)
            controller.start()
            self.port = port
            return controller

        # A restart keeps its port (the config names it); the first start picks one.
        self._controller = bind(self.port) if self.port else on_free_port(bind)
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
