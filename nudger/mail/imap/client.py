"""The IMAP session, over imapclient (synchronous: the daemon runs it in a thread): connect,
secure and log in under one deadline, then the commands a pass sends, each failure
classified into one `MailboxError` (nudger.mail.imap.errors).

TLS is always verified against the system store plus imap.ca_file, a private CA
(nudger.tls); with security = "starttls" the upgrade is required and no password is sent
before it; "none" is allowed only to a loopback host (config.py refuses anything else).
Every socket operation has imap.timeout, and the whole session imap.deadline: connect,
TLS and login first, what remains of it the rest of the pass. Folders are selected
read-only (EXAMINE) and bodies fetched with BODY.PEEK, so nothing the user has is marked
read.

imapclient's and imaplib's internals are used only through nudger.mail.imap.adapter,
probed at connect; the header FETCH (sent one batch ahead) is nudger.mail.imap.fetch, and
the parts of a message nudger.mail.imap.parts.
"""

from __future__ import annotations

import logging
import socket
import ssl
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from nudger.errors import ConfigError
from nudger.mail.imap import adapter
from nudger.mail.imap.errors import MailboxError, MailboxStopped, classify, where
from nudger.mail.imap.fetch import HeaderFetch
from nudger.mail.imap.folders import Folders, decode_listing, no_folder, pick_folders
from nudger.mail.imap.headers import MailHeader
from nudger.mail.imap.parts import first_text_part
from nudger.text import decode_transfer, server_text
from nudger.tls import tls_context

if TYPE_CHECKING:
    from imapclient import IMAPClient

    from nudger.config import Imap, Settings
    from nudger.secrets import Secret

# imapclient logs every command and answer (mail headers, snippets) at debug level: keep
# the user's mail out of nudger's log whatever log_level says.
logging.getLogger("imapclient").setLevel(logging.WARNING)
log = logging.getLogger(__name__)

MAX_UID = 2**32 - 1  # RFC 3501: a UID (and UIDVALIDITY) is a non-zero 32-bit number
SNIPPET_BYTES = 4096  # at most this much of a matched message's first text part


def valid_uid(value: object) -> bool:
    """Is `value` a UID a server may give (1 to 2**32-1)? Anything else is ignored."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_UID


# The sessions open now, so that a stop (SIGTERM) can cut them wherever they are reading.
_OPEN: set[ImapSession] = set()
_OPEN_LOCK = threading.Lock()


def abort_all() -> None:
    """Shut every open IMAP connection at once (the daemon is stopping): the pass in
    progress ends within moments whatever it was waiting for, having kept every batch it
    committed."""
    with _OPEN_LOCK:
        sessions = list(_OPEN)
    for session in sessions:
        session.abort()


class ImapSession:
    """A logged-in connection. Methods raise MailboxError."""

    def __init__(self, client: IMAPClient, settings: Settings, tls: str, *,
                 private: bool | None = None) -> None:
        """`private`: whether the adapter's internals may be used on this connection
        (None: as the adapter's probe says)."""
        self.client = client
        self.settings = settings
        assert settings.imap is not None
        self.imap: Imap = settings.imap
        self.tls = tls  # what was verified, in words
        self._folders: Folders | None = None
        self._headers = HeaderFetch(client, adapter.use_private() if private is None
                                    else private)
        self.expired = False  # the pass's overall deadline passed: the socket was shut
        self.broken = False  # a command failed with the connection in an unknown state
        self.aborted = False  # cut by abort_all (a stop)
        self.skipped_folders: list[str] = []  # LIST names that are not valid modified UTF-7
        self._timer: threading.Timer | None = None

    # --- the overall deadline -------------------------------------------------------------

    def arm(self, seconds: float) -> None:
        """Shut the connection down `seconds` from now, whatever it is reading: a server
        that floods untagged responses or drips a byte at a time defeats a per-read
        timeout, and the pass must end (its committed batches are kept)."""
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()
        with _OPEN_LOCK:
            _OPEN.add(self)

    def abort(self) -> None:
        self.aborted = True
        self._expire()

    def _expire(self) -> None:
        self.expired = True
        try:
            self.client.socket().shutdown(socket.SHUT_RDWR)
        except (OSError, AttributeError):
            pass

    def _classify(self, exc: BaseException) -> MailboxError:
        if self.aborted:
            return MailboxStopped(f"{where(self.imap)}: stopped: nudger is stopping",
                                  transient=True)
        if self.expired:
            return MailboxError(
                f"{where(self.imap)}: the pass did not finish within "
                f"{self.imap.deadline:g} s (imap.deadline) and was stopped; what it read is "
                "kept and the next poll continues from there", transient=True)
        return classify(exc, self.imap)

    # --- folders -------------------------------------------------------------------------

    @property
    def folders(self) -> Folders:
        if self._folders is None:
            self._folders = self._find_folders()
        return self._folders

    def _find_folders(self) -> Folders:
        return pick_folders(self._call(self._list_folders), self.imap)

    def _list_folders(self) -> list[tuple[Any, Any, str]]:
        client = self.client
        client.folder_encode = False  # names decoded by decode_listing, one at a time
        try:
            raw = client.list_folders()
        finally:
            client.folder_encode = True
        return decode_listing(raw, self.imap, self.skipped_folders)

    def require(self, role: str) -> str:
        """The folder for `role` ("sent", "drafts"), or MailboxError listing the folders."""
        value = getattr(self.folders, role)
        if value is None:
            listing = self._call(self._list_folders)
            raise no_folder(self.imap, role, getattr(self.imap, role),
                            [n for *_x, n in listing])
        return str(value)

    # --- reading -------------------------------------------------------------------------

    def select_readonly(self, folder: str) -> tuple[int, int]:
        """EXAMINE `folder`: (UIDVALIDITY, UIDNEXT or 0 when the server does not say)."""
        info = self._call(self.client.select_folder, folder, readonly=True)
        validity = info.get(b"UIDVALIDITY", 0)
        nxt = info.get(b"UIDNEXT", 0)
        return (validity if valid_uid(validity) else 0), (nxt if valid_uid(nxt) else 0)

    def uids_after(self, highest: int) -> list[int]:
        """UIDs above `highest` in the selected folder (a UID range `n:*` always answers
        with the last message, even below n: filtered)."""
        found = self._call(self.client.search, ["UID", f"{highest + 1}:*"])
        return sorted(uid for uid in found if valid_uid(uid) and uid > highest)

    def first_auth_results(self, limit: int = 20) -> list[str]:
        """The topmost Authentication-Results value ("" for none) of the newest `limit`
        messages of the selected folder: which server stamps the user's mail."""
        from nudger.mail.imap.headers import split_fields

        uids = sorted(self._call(self.client.search, ["ALL"]))[-limit:]
        if not uids:
            return []
        item = "BODY.PEEK[HEADER.FIELDS (AUTHENTICATION-RESULTS)]"
        data = self._call(self.client.fetch, uids, [item])
        out = []
        for uid in uids:
            raw = b""
            for key, value in data.get(uid, {}).items():
                if isinstance(key, bytes) and key.startswith(b"BODY[HEADER"):
                    raw = value or b""
            values = split_fields(raw[:64 * 1024]).get("authentication-results", [])
            out.append(server_text(values[0], 300) if values else "")
        return out

    def uids_since(self, day: date) -> list[int]:
        return sorted(uid for uid in self._call(self.client.search, ["SINCE", day])
                      if valid_uid(uid))

    def fetch_headers(self, uids: Sequence[int], folder: str) -> Iterator[list[MailHeader]]:
        """Parsed headers of `uids`, in batches (ascending UID). Never a body."""
        yield from self._headers.batches(uids, folder, self._call)

    def fetch_text(self, uid: int, cap: int = SNIPPET_BYTES, *, report: bool = False
                   ) -> str:
        """The first text part of a message, at most `cap` bytes of it, decoded: for the
        snippet of a message that already matched, and the report of a bounce. Never
        the whole message (a 30 MB one costs `cap` bytes)."""
        structure = self._call(self.client.fetch, [uid], ["BODYSTRUCTURE"]).get(uid, {})
        body = structure.get(b"BODYSTRUCTURE")
        part = first_text_part(body, report=report) if body is not None else None
        if part is None:
            section, encoding, charset, subtype = "TEXT", "7bit", "utf-8", "plain"
        else:
            section, encoding, charset, subtype = part
        item = f"BODY.PEEK[{section}]<0.{cap}>"
        data = self._call(self.client.fetch, [uid], [item]).get(uid, {})
        raw = b""
        for key, value in data.items():
            if isinstance(key, bytes) and key.startswith(b"BODY["):
                raw = value or b""
        text = decode_transfer(raw, encoding, charset)
        if subtype == "html":
            # The one HTML reader (capture's files use it too): hidden text is dropped, so
            # a preheader the reader never sees cannot steer what is recorded.
            from nudger.mail.htmltext import html_to_text

            text = html_to_text(text, max(len(text), 1))[0]
        return text

    def fetch_message(self, uid: int, cap: int) -> tuple[bytes, int]:
        """(the first `cap` bytes of the whole message, its full size), without setting
        \\Seen (BODY.PEEK): for a command message (act), which needs its MIME structure."""
        data = self._call(self.client.fetch, [uid],
                          [f"BODY.PEEK[]<0.{cap}>", "RFC822.SIZE"]).get(uid, {})
        raw = b""
        for key, value in data.items():
            if isinstance(key, bytes) and key.startswith(b"BODY["):
                raw = value or b""
        return raw, int(data.get(b"RFC822.SIZE", 0) or 0)

    def search_message_id(self, folder: str, message_id: str) -> list[int]:
        """UIDs in `folder` whose Message-ID header is `message_id` (act: drafts)."""
        self._call(self.client.select_folder, folder, readonly=True)
        found = self._call(self.client.search, ["HEADER", "Message-ID", message_id])
        return sorted(found)

    def fetch_in(self, folder: str, uid: int, cap: int = 2_000_000) -> tuple[bytes, int]:
        """(bytes, size) of one message of `folder`, read with BODY.PEEK (act: drafts)."""
        self._call(self.client.select_folder, folder, readonly=True)
        return self.fetch_message(uid, cap)

    def mark_seen(self, folder: str, uids: Sequence[int]) -> None:
        """Flag `uids` \\Seen (act: processed command messages, nothing else)."""
        if not uids:
            return
        self._call(self.client.select_folder, folder, readonly=False)
        self._call(self.client.add_flags, list(uids), [b"\\Seen"])

    def append(self, folder: str, message: bytes, flags: Sequence[str] = (),
               when: datetime | None = None) -> int | None:
        """APPEND (drafts only, by act): the new UID when the server says (UIDPLUS)."""
        answer = self._call(self.client.append, folder, message, flags=tuple(flags),
                            msg_time=when)
        text = answer.decode("ascii", "replace") if isinstance(answer, bytes) else str(answer)
        if "APPENDUID" in text:
            try:
                return int(text.split("APPENDUID", 1)[1].split("]", 1)[0].split()[1])
            except (IndexError, ValueError):
                return None
        return None

    def uid_exists(self, folder: str, uid: int) -> bool:
        self._call(self.client.select_folder, folder, readonly=True)
        return uid in self._call(self.client.search, ["UID", str(uid)])

    def fetch_by_uid(self, folder: str, uid: int) -> MailHeader | None:
        self._call(self.client.select_folder, folder, readonly=True)
        for batch in self.fetch_headers([uid], folder):
            for header in batch:
                return header
        return None

    def delete_uid(self, folder: str, uid: int) -> bool:
        """Delete one message nudger itself put there (a draft): flag it \\Deleted and
        expunge that UID only, with UID EXPUNGE (UIDPLUS). Without UIDPLUS it is only
        flagged (False): a plain EXPUNGE would also erase every other message the user
        flagged \\Deleted in that folder."""
        self._call(self.client.select_folder, folder, readonly=False)
        self._call(self.client.add_flags, [uid], [b"\\Deleted"])
        if not self.client.has_capability("UIDPLUS"):
            return False
        self._call(self.client.uid_expunge, [uid])
        return True

    def _call(self, func: Any, *args: Any, **kwargs: Any) -> Any:
        from imapclient.exceptions import IMAPClientAbortError, IMAPClientError

        ahead = self._headers.pending
        if ahead is not None:
            self._headers.settle(ahead)  # its answer first: then this command's
            error = ahead.error
            if error is not None and (not isinstance(error, IMAPClientError)
                                      or isinstance(error, IMAPClientAbortError)):
                # The connection broke (or timed out) reading it: no command can follow.
                raise self._classify(error) from None
        if self.expired:
            raise self._classify(TimeoutError())
        try:
            return func(*args, **kwargs)
        except Exception as exc:  # classified into one MailboxError
            error = self._classify(exc)
            self.broken = self.broken or error.transient
            raise error from None

    def close(self) -> None:
        try:
            if self.expired or self.broken:
                raise ConnectionError  # no LOGOUT on a connection in an unknown state
            self.client.logout()  # still under the deadline: a flood cannot hold it
        except Exception:  # logging out of a dead connection
            try:
                self.client.shutdown()
            except Exception:
                pass
        finally:
            if self._timer is not None:
                self._timer.cancel()
            with _OPEN_LOCK:
                _OPEN.discard(self)


@contextmanager
def open_session(settings: Settings, password: Secret) -> Iterator[ImapSession]:
    """Connect, secure, log in; log out when done. MailboxError on any failure."""
    imap = settings.imap
    assert imap is not None
    session = connect(settings, password)
    try:
        yield session
    finally:
        session.close()


class _ConnectWatch:
    """The overall deadline over connect, TLS and login: a server that trickles its
    greeting a byte at a time defeats the per-read timeout, so a timer shuts the socket
    down (by its descriptor: TLS wrapping detaches the first socket object)."""

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self._fd: int | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def attach(self, sock: socket.socket) -> None:
        with self._lock:
            self._fd = sock.fileno()
            if self.expired:
                self._shut()

    def _fire(self) -> None:
        with self._lock:
            self.expired = True
            self._shut()

    def _shut(self) -> None:
        if self._fd is None or self._fd < 0:
            return
        borrowed = socket.socket(fileno=self._fd)
        try:
            borrowed.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        finally:
            borrowed.detach()  # the connection's own object still owns and closes it

    def done(self) -> None:
        """Connect finished or failed: never touch the descriptor again (it may be reused)."""
        self._timer.cancel()
        with self._lock:
            self._fd = None


def connect(settings: Settings, password: Secret) -> ImapSession:
    from imapclient.imapclient import SocketTimeout

    imap = settings.imap
    assert imap is not None
    try:
        context = tls_context(settings, imap)
    except ConfigError as exc:  # a bad imap.ca_file: recorded like any failed pass
        raise MailboxError(str(exc), transient=False) from None
    timeout = SocketTimeout(connect=float(imap.timeout), read=float(imap.timeout))
    client: Any = None
    started = time.monotonic()
    watch = _ConnectWatch(float(imap.deadline))
    private = adapter.use_private()
    try:
        client, private = adapter.open_client(
            imap.host, imap.effective_port, context if imap.security == "tls" else None,
            timeout, attach=watch.attach, seconds=float(imap.deadline), private=private)
        if imap.security == "tls":
            tls = _tls_words(client, imap)
        else:
            if imap.security == "starttls":
                if not client.has_capability("STARTTLS"):
                    raise MailboxError(
                        f"{where(imap)}: STARTTLS is not offered, and imap.security = "
                        "\"starttls\" requires it; the password was not sent. Use "
                        "security = \"tls\" (port 993) or ask the provider",
                        transient=False)
                client.starttls(context)
                watch.attach(client.socket())
                tls = _tls_words(client, imap)
            else:
                tls = "no TLS (security = \"none\", loopback only)"
        client.normalise_times = False  # aware INTERNALDATEs
        if private:
            adapter.limit(client)
        client.login(imap.username, password.reveal())
    except Exception as exc:  # classified into one MailboxError
        watch.done()
        if client is not None:
            try:
                client.shutdown()
            except Exception:
                pass
        if watch.expired or isinstance(exc, adapter.DeadlinePassed):
            raise MailboxError(
                f"{where(imap)}: connecting and logging in did not finish within "
                f"{imap.deadline:g} s (imap.deadline) and was stopped", transient=True
            ) from None
        error = classify(exc, imap)
        raise MailboxError(password.redact(str(error)), transient=error.transient) from None
    watch.done()
    session = ImapSession(client, settings, tls, private=private)
    if watch.expired:  # it fired just as login returned: the socket is shut
        session.close()
        raise MailboxError(
            f"{where(imap)}: connecting and logging in did not finish within "
            f"{imap.deadline:g} s (imap.deadline) and was stopped", transient=True)
    # What remains of the one deadline covers the rest of the pass.
    session.arm(max(float(imap.deadline) - (time.monotonic() - started), 0.01))
    return session


def _tls_words(client: Any, imap: Imap) -> str:
    sock = client.socket()  # the ssl socket the connection reads
    version = sock.version() if isinstance(sock, ssl.SSLSocket) else "TLS"
    return f"TLS verified ({version}, certificate valid for {imap.host})"
