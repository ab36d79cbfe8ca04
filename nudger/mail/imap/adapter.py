"""Every use nudger makes of imapclient's and imaplib's private internals, in this one
module, probed at the first connect; when the probe fails, imapclient's public API instead.

What the fast path relies on, measured with imapclient 4.1.0 over CPython 3.11's imaplib
(pyproject allows imapclient >=3.0.1,<5; `measure` checks each name and its parameters):

- `IMAPClient._create_IMAP4(self)`, which `IMAPClient.__init__` calls to open the
  connection (it reads `self.host`, `self.port`, `self.ssl`, `self.ssl_context`);
  `imapclient.imap4.IMAP4WithTimeout(address, port, timeout)` and
  `imapclient.tls.IMAP4_TLS(host, port, ssl_context, timeout)`, each opening its socket in
  imaplib's `_create_socket(self, timeout)`; `imapclient.tls.wrap_socket(sock,
  ssl_context, host)`. Overridden so that the connect deadline's timer holds the socket
  before the greeting is read (`open_client`): a greeting trickled a byte at a time never
  trips a per-read timeout.
- `IMAPClient._imap`, the `imaplib.IMAP4` beneath, with its `read(size)` (every literal),
  `_append_untagged(typ, dat)` (every untagged response) and the dict
  `untagged_responses`: wrapped to cap what a server may pour in (`limit`).
- `imaplib.IMAP4._command(name, *args)` (sends, returns the tag),
  `_command_complete(name, tag)`, `_untagged_response(typ, dat, name)` and
  `IMAPClient._checkok(command, typ, data)`, with `imapclient.imapclient`'s
  `join_message_ids(messages)` and `seq_to_parenstr_upper(items)`: the header FETCH is sent
  one batch ahead and its answer read raw (`send_fetch`, `read_fetch`).

When any of them is missing or shaped otherwise (logged once at INFO): the connection is
opened by the plain `IMAPClient(...)` in a worker thread the connect stops waiting for at
the deadline, and the deadline's timer shuts `IMAPClient.socket()` once it exists; each
header batch is one public `client.fetch`; and no per-response caps apply (the pass's
overall deadline still ends a flood). Nothing else changes.
"""

from __future__ import annotations

import functools
import imaplib
import inspect
import logging
import socket
import ssl
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

# What a server may send before nudger stops listening (a flood of untagged responses
# grew memory without end; a literal announced as 2 GB was buffered whole). nudger never
# asks for more than a 2 MB part of one message, nor for more than a batch of headers.
MAX_LITERAL = 16 * 1024 * 1024
MAX_UNTAGGED = 50_000  # responses of one kind waiting to be read
MAX_UNTAGGED_BYTES = 64 * 1024 * 1024

# (where, name, its parameters as measured). `where` names a class or module below.
EXPECTED: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("IMAPClient", "_create_IMAP4", ("self",)),
    ("IMAPClient", "_checkok", ("self", "command", "typ", "data")),
    ("IMAP4WithTimeout", "__init__", ("self", "address", "port", "timeout")),
    ("IMAP4WithTimeout", "_create_socket", ("self", "timeout")),
    ("IMAP4_TLS", "__init__", ("self", "host", "port", "ssl_context", "timeout")),
    ("IMAP4_TLS", "_create_socket", ("self", "timeout")),
    ("imapclient.tls", "wrap_socket", ("sock", "ssl_context", "host")),
    ("imaplib.IMAP4", "_command", ("self", "name", "args")),
    ("imaplib.IMAP4", "_command_complete", ("self", "name", "tag")),
    ("imaplib.IMAP4", "_untagged_response", ("self", "typ", "dat", "name")),
    ("imaplib.IMAP4", "_append_untagged", ("self", "typ", "dat")),
    ("imaplib.IMAP4", "read", ("self", "size")),
    ("imapclient.imapclient", "join_message_ids", ("messages",)),
    ("imapclient.imapclient", "seq_to_parenstr_upper", ("items",)),
)


@dataclass(frozen=True)
class Probe:
    """What `measure` found: `ok` when every internal is there with its measured shape."""

    ok: bool
    missing: tuple[str, ...] = ()
    version: str = ""


class TooMuch(Exception):
    """A server sent more than nudger ever asks for (MAX_LITERAL, MAX_UNTAGGED)."""


class DeadlinePassed(Exception):
    """The public path stopped waiting for the connection at the connect deadline."""


def _parameters(func: Any) -> tuple[str, ...] | None:
    if not callable(func):
        return None
    try:
        return tuple(inspect.signature(func).parameters)
    except (TypeError, ValueError):
        return None


def measure() -> Probe:
    """Look, without connecting: is every internal the fast path uses there, callable,
    with the parameters measured?"""
    try:
        import imapclient
        from imapclient import imap4, tls
        from imapclient import imapclient as module
    except ImportError as exc:  # imapclient reorganised its modules
        return Probe(False, (f"imapclient's modules ({exc})",))
    where: dict[str, Any] = {
        "IMAPClient": imapclient.IMAPClient, "IMAP4WithTimeout": imap4.IMAP4WithTimeout,
        "IMAP4_TLS": tls.IMAP4_TLS, "imapclient.tls": tls, "imaplib.IMAP4": imaplib.IMAP4,
        "imapclient.imapclient": module}
    missing = tuple(
        f"{owner}.{name}" for owner, name, params in EXPECTED
        if _parameters(getattr(where[owner], name, None)) != params)
    version = str(getattr(imapclient, "__version__", "?"))
    return Probe(not missing, missing, version)


@functools.cache
def probe() -> Probe:
    """`measure`, once per process (the installed libraries do not change under it)."""
    return measure()


_told = threading.Event()


def _fall_back(why: str) -> None:
    if not _told.is_set():
        _told.set()
        log.info("IMAP: imapclient %s does not have the internals nudger measured (%s); "
                 "using its public API instead: header batches are fetched one at a time "
                 "and the per-response size caps are off (imap.deadline still ends every "
                 "pass)", probe().version or "?", why)


def use_private() -> bool:
    """At each connect: may this process use the internals? Logs the fallback once."""
    found = probe()
    if not found.ok:
        _fall_back("missing or changed: " + ", ".join(found.missing))
    return found.ok


def _connection_ok(client: Any) -> bool:
    """The instance side of the probe: the imaplib connection where it is expected."""
    imap4 = getattr(client, "_imap", None)
    return isinstance(imap4, imaplib.IMAP4) and isinstance(
        getattr(imap4, "untagged_responses", None), dict)


# --- opening the connection under the connect deadline ------------------------------------------

def open_client(host: str, port: int, context: ssl.SSLContext | None, timeout: Any, *,
                attach: Callable[[socket.socket], None], seconds: float, private: bool
                ) -> tuple[Any, bool]:
    """(IMAPClient connected and greeted, whether the internals may be used on it).
    `attach(sock)` hands the socket to the connect deadline's timer as soon as it exists;
    `context` None is plain text (STARTTLS later, or "none"). DeadlinePassed when the
    public path gave up waiting after `seconds`."""
    if private:
        client = _watched_client(host, port, context, timeout, attach)
        if _connection_ok(client):
            return client, True
        _fall_back("IMAPClient._imap is not an imaplib.IMAP4")
        attach(client.socket())
        return client, False
    return _public_client(host, port, context, timeout, attach, seconds), False


def _watched_client(host: str, port: int, context: ssl.SSLContext | None, timeout: Any,
                    attach: Callable[[socket.socket], None]) -> Any:
    """IMAPClient whose socket `attach` gets before the greeting is read."""
    from imapclient import IMAPClient
    from imapclient.imap4 import IMAP4WithTimeout
    from imapclient.tls import IMAP4_TLS, wrap_socket

    connect_timeout = getattr(timeout, "connect", None)

    class Plain(IMAP4WithTimeout):
        def _create_socket(self, timeout: float | None = None) -> socket.socket:
            sock = super()._create_socket(timeout)
            attach(sock)
            return sock

    class Tls(IMAP4_TLS):
        def _create_socket(self, timeout: float | None = None) -> socket.socket:
            sock = socket.create_connection((self.host, self.port),
                                            timeout=timeout if timeout is not None
                                            else connect_timeout)
            attach(sock)  # the handshake itself is under the deadline too
            return wrap_socket(sock, self.ssl_context, self.host)

    class Client(IMAPClient):
        def _create_IMAP4(self) -> Any:
            if self.ssl:
                return Tls(self.host, self.port, self.ssl_context, connect_timeout)
            return Plain(self.host, self.port, connect_timeout)

    if context is not None:
        return Client(host, port=port, ssl=True, ssl_context=context, timeout=timeout)
    return Client(host, port=port, ssl=False, timeout=timeout)


def _public_client(host: str, port: int, context: ssl.SSLContext | None, timeout: Any,
                   attach: Callable[[socket.socket], None], seconds: float) -> Any:
    """The plain IMAPClient(...), built in a worker thread: its socket is out of reach
    until the constructor returns, so the connect stops waiting at the deadline instead
    (the worker shuts the connection whenever it is made, or ends with its read timeout)."""
    from imapclient import IMAPClient

    lock = threading.Lock()
    finished = threading.Event()
    box: dict[str, Any] = {}

    def build() -> None:
        try:
            if context is not None:
                made = IMAPClient(host, port=port, ssl=True, ssl_context=context,
                                  timeout=timeout)
            else:
                made = IMAPClient(host, port=port, ssl=False, timeout=timeout)
        except BaseException as exc:  # handed to the connect, which classifies it
            with lock:
                box["error"] = exc
                finished.set()
            return
        with lock:
            abandoned = box.get("abandoned", False)
            box["client"] = made
            finished.set()
        if abandoned:
            try:
                made.shutdown()
            except Exception:
                pass

    threading.Thread(target=build, name="nudger-imap-connect", daemon=True).start()
    finished.wait(seconds)
    with lock:
        if not finished.is_set():
            box["abandoned"] = True
            raise DeadlinePassed
    if "error" in box:
        raise box["error"]
    client = box["client"]
    attach(client.socket())
    return client


# --- caps on what a server may pour in --------------------------------------------------------

def limit(client: Any) -> None:
    """Hold imaplib's reader (of this connection only) to MAX_LITERAL per literal and
    MAX_UNTAGGED responses (MAX_UNTAGGED_BYTES) of one kind waiting to be read."""
    imap4 = client._imap
    read, append = imap4.read, imap4._append_untagged
    sizes: dict[str, int] = {}

    def limited_read(size: int) -> bytes:
        if size > MAX_LITERAL:
            raise TooMuch(f"the server announced {size:,} bytes for one item; nudger never "
                          f"asks for more than {MAX_LITERAL // (1024 * 1024)} MB")
        return bytes(read(size))

    def limited_append(typ: str, dat: Any) -> None:
        waiting = imap4.untagged_responses.get(typ)
        if waiting is None:
            sizes[typ] = 0
        elif len(waiting) >= MAX_UNTAGGED:
            raise TooMuch(f"the server sent more than {MAX_UNTAGGED:,} {typ} responses "
                          "to one command")
        size = sum(len(part) for part in dat if isinstance(part, bytes)) \
            if isinstance(dat, tuple) else len(dat or b"")
        sizes[typ] = sizes.get(typ, 0) + size
        if sizes[typ] > MAX_UNTAGGED_BYTES:
            raise TooMuch(f"the server sent more than "
                          f"{MAX_UNTAGGED_BYTES // (1024 * 1024)} MB of {typ} responses to "
                          "one command")
        append(typ, dat)

    imap4.read = limited_read
    imap4._append_untagged = limited_append


# --- the header FETCH sent ahead -----------------------------------------------------------------

def send_fetch(client: Any, uids: Sequence[int], items: Sequence[str]) -> Any:
    """Send `UID FETCH uids (items)` without reading its answer: its tag."""
    from imapclient.imapclient import join_message_ids, seq_to_parenstr_upper

    return client._imap._command("UID", "FETCH", join_message_ids(uids),
                                 seq_to_parenstr_upper(list(items)))


def read_fetch(client: Any, tag: Any) -> list[Any]:
    """The FETCH responses answering `tag`, unparsed, as imapclient's fetch reads them;
    its error when the server said NO or BAD."""
    imap4 = client._imap
    typ, data = imap4._command_complete("FETCH", tag)
    client._checkok("fetch", typ, data)
    typ, data = imap4._untagged_response(typ, data, "FETCH")
    return list(data)
