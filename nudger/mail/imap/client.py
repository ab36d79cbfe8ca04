"""The IMAP session, over imapclient (synchronous: the daemon runs it in a thread). One
concept over 400 lines: talking to the IMAP server (the session, its failures
classified, the text part found in the BODYSTRUCTURE it returns).

TLS is always verified against the system store plus imap.ca_file, a private CA
(nudger.tls); with security = "starttls" the upgrade is required and no password is sent
before it; "none" is allowed only to a loopback host (config.py refuses anything else).
Every socket operation has imap.timeout. Folders are selected read-only (EXAMINE) and
bodies fetched with BODY.PEEK, so nothing the user has is marked read.

Every failure becomes one `MailboxError`: a one-line message naming the server, what
happened and what to do, and whether the next poll may succeed (`transient`).

A first sync reads tens of thousands of headers (bench/b_mail.py): their FETCH is sent one
batch ahead (`fetch_headers`; `_call` reads that answer before any other command) and its
usual answer is taken apart by `parse_header_fetch` instead of imapclient's byte-by-byte
lexer, which still reads any answer of another shape.
"""

from __future__ import annotations

import logging
import re
import socket
import ssl
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from nudger.errors import ConfigError, NudgerError
from nudger.mail.imap.headers import FIELDS, MailHeader, parse_header, unreadable_header
from nudger.safetext import server_text
from nudger.text import decode_transfer as _decode_part
from nudger.tls import tls_context
from nudger.when.times import supported

if TYPE_CHECKING:
    from imapclient import IMAPClient

    from nudger.config import Imap, Settings
    from nudger.secrets import Secret

# imapclient logs every command and answer (mail headers, snippets) at debug level: keep
# the user's mail out of nudger's log whatever log_level says.
logging.getLogger("imapclient").setLevel(logging.WARNING)
log = logging.getLogger(__name__)

HEADER_ITEM = "BODY.PEEK[HEADER.FIELDS (" + " ".join(FIELDS) + ")]"
MAX_UID = 2**32 - 1  # RFC 3501: a UID (and UIDVALIDITY) is a non-zero 32-bit number


def valid_uid(value: object) -> bool:
    """Is `value` a UID a server may give (1 to 2**32-1)? Anything else is ignored."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_UID
BATCH = 500  # UIDs per header FETCH
# What a server may send before nudger stops listening (a flood of untagged responses
# grew memory without end; a literal announced as 2 GB was buffered whole). nudger never
# asks for more than a 2 MB part of one message, nor for more than BATCH messages at once.
MAX_LITERAL = 16 * 1024 * 1024
MAX_UNTAGGED = 50_000  # responses of one kind waiting to be read
MAX_UNTAGGED_BYTES = 64 * 1024 * 1024
SNIPPET_BYTES = 4096  # at most this much of a matched message's first text part


class MailboxError(NudgerError):
    """The mailbox could not be read; `transient`: the next poll may work."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


class MailboxStopped(MailboxError):
    """The pass was cut short because nudger is stopping (`abort_all`): not a failure."""


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


@dataclass(frozen=True)
class Folders:
    inbox: str
    sent: str | None
    drafts: str | None
    how: dict[str, str]  # role → how it was found ("special-use \\Sent", "configured")


@dataclass
class _Ahead:
    """A header FETCH sent before its batch is wanted (ImapSession.fetch_headers)."""

    uids: list[int]
    tag: Any = None
    answer: dict[int, dict[bytes, Any]] | None = None
    error: BaseException | None = None


def _where(imap: Imap) -> str:
    return f"IMAP server {imap.host}:{imap.effective_port}"


def classify(exc: BaseException, imap: Imap) -> MailboxError:
    """One line for any failure talking to the server: what happened, what to do."""
    from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError

    where = _where(imap)
    if isinstance(exc, MailboxError):
        return exc
    if isinstance(exc, _TooMuch):
        return MailboxError(f"{where}: {exc}; the pass was stopped (the next poll tries "
                            "again; a server that keeps doing this is broken or hostile)",
                            transient=True)
    if isinstance(exc, ssl.SSLCertVerificationError):
        reason = server_text(exc.verify_message or str(exc), 160)
        return MailboxError(
            f"{where}: bad certificate ({reason}); nothing was sent. If the server uses a "
            "private CA, set imap.ca_file to its certificate; otherwise check imap.host",
            transient=False)
    if isinstance(exc, ssl.SSLError):
        return MailboxError(
            f"{where}: TLS failed ({server_text(exc.reason or str(exc), 120)}); check "
            "imap.port and imap.security (993 = \"tls\", 143 = \"starttls\")",
            transient=False)
    if isinstance(exc, LoginError):
        text = server_text(_unbytes(str(exc)), 160)
        return MailboxError(
            f"{where}: login refused for {imap.username!r} ({text}); check the password "
            "(Gmail, iCloud, Yahoo and Fastmail need an app password; Microsoft 365 needs "
            "OAuth, which nudger does not support yet)", transient=False)
    if isinstance(exc, TimeoutError | socket.timeout):
        return MailboxError(
            f"{where}: no answer within {imap.timeout:g} s; nothing was recorded twice, "
            "the next poll tries again (raise imap.timeout for a slow server)",
            transient=True)
    if isinstance(exc, ConnectionRefusedError):
        return MailboxError(
            f"{where}: connection refused; is the server up and imap.port right? The "
            "next poll tries again", transient=True)
    if isinstance(exc, socket.gaierror):
        return MailboxError(
            f"{where}: cannot resolve {imap.host!r} ({server_text(exc.strerror, 80)}); "
            "check imap.host and the network", transient=True)
    bye = isinstance(exc, IMAPClientError) and "BYE" in str(exc).upper().split(" ", 2)[:2]
    if bye or isinstance(exc, IMAPClientAbortError | ConnectionError | EOFError):
        text = server_text(_unbytes(str(exc)), 160) or "connection closed"
        return MailboxError(
            f"{where}: the server closed the connection ({text}); nothing is lost, the "
            "next poll continues where this one stopped", transient=True)
    if isinstance(exc, OSError):
        text = server_text(exc.strerror or str(exc), 120)
        return MailboxError(f"{where}: network error ({text}); the next poll tries again",
                            transient=True)
    if isinstance(exc, IMAPClientError):
        text = server_text(_unbytes(str(exc)), 200)
        return MailboxError(f"{where}: the server refused a command ({text})",
                            transient="UNAVAILABLE" in text.upper()
                            or "TRY AGAIN" in text.upper())
    return MailboxError(f"{where}: {type(exc).__name__}: {server_text(str(exc), 160)}",
                        transient=True)


def _unbytes(text: str) -> str:
    """imapclient puts a server's bytes answer in its message as b'...': show the text."""
    import re

    return re.sub(r"b'([^']*)'|b\"([^\"]*)\"", lambda m: m.group(1) or m.group(2) or "", text)


class ImapSession:
    """A logged-in connection. Methods raise MailboxError."""

    def __init__(self, client: IMAPClient, settings: Settings, tls: str) -> None:
        self.client = client
        self.settings = settings
        assert settings.imap is not None
        self.imap: Imap = settings.imap
        self.tls = tls  # what was verified, in words
        self._folders: Folders | None = None
        self._ahead: _Ahead | None = None  # the next header FETCH, sent, not yet read
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
        sock = getattr(getattr(self.client, "_imap", None), "sock", None)
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _classify(self, exc: BaseException) -> MailboxError:
        if self.aborted:
            return MailboxStopped(f"{_where(self.imap)}: stopped: nudger is stopping",
                                  transient=True)
        if self.expired:
            return MailboxError(
                f"{_where(self.imap)}: the pass did not finish within "
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
        listing = self._call(self._list_folders)
        names = [name for _flags, _sep, name in listing]
        by_flag: dict[bytes, str] = {}
        for flags, _sep, name in listing:
            for flag in flags:
                by_flag.setdefault(flag.lower() if isinstance(flag, bytes)
                                   else str(flag).lower().encode(), name)
        how: dict[str, str] = {}

        def pick(role: str, configured: str, flag: bytes, common: Sequence[str]
                 ) -> str | None:
            if configured and configured.lower() != "auto":
                if configured not in names:
                    raise self._no_folder(role, configured, names)
                how[role] = "configured"
                return configured
            if flag.lower() in by_flag:
                how[role] = "special-use " + flag.decode()
                return by_flag[flag.lower()]
            for candidate in common:
                for name in names:
                    if name.lower() == candidate.lower():
                        how[role] = "by its name"
                        return name
            return None

        inbox = self.imap.inbox
        if inbox.upper() == "INBOX":
            inbox = next((n for n in names if n.upper() == "INBOX"), "INBOX")
        elif inbox not in names:
            raise self._no_folder("inbox", inbox, names)
        how["inbox"] = "configured" if self.imap.inbox.upper() != "INBOX" else "INBOX"
        sent = pick("sent", self.imap.sent, b"\\Sent",
                    ("Sent", "Sent Items", "Sent Messages", "[Gmail]/Sent Mail", "INBOX.Sent",
                     "Gesendet", "Envoyés"))
        drafts = pick("drafts", self.imap.drafts, b"\\Drafts",
                      ("Drafts", "Draft", "[Gmail]/Drafts", "INBOX.Drafts", "Entwürfe",
                       "Brouillons"))
        return Folders(inbox=inbox, sent=sent, drafts=drafts, how=how)

    def _list_folders(self) -> list[tuple[Any, Any, str]]:
        """LIST, each name decoded from modified UTF-7 (RFC 3501 5.1.3) here rather than by
        imapclient, which fails the whole listing on one name that is not valid: such a
        folder is left out with a warning (`skipped_folders`), the others are used."""
        from imapclient.imap_utf7 import decode

        client = self.client
        client.folder_encode = False
        try:
            raw = client.list_folders()
        finally:
            client.folder_encode = True
        out: list[tuple[Any, Any, str]] = []
        for flags, sep, name in raw:
            data = name if isinstance(name, bytes) else str(name).encode("utf-8",
                                                                         "surrogateescape")
            try:
                text = decode(data)
                text.encode("utf-8")  # a lone surrogate is no name either
            except (UnicodeError, ValueError):
                shown = server_text(data.decode("ascii", "replace"), 80)
                if shown not in self.skipped_folders:
                    self.skipped_folders.append(shown)
                    log.warning("%s: folder %r is not valid modified UTF-7 (RFC 3501); "
                                "skipped", _where(self.imap), shown)
                continue
            out.append((flags, sep, text))
        return out

    def _no_folder(self, role: str, name: str, names: Sequence[str]) -> MailboxError:
        shown = ", ".join(server_text(n, 60) for n in names[:40]) or "none"
        return MailboxError(
            f"{_where(self.imap)}: folder {name!r} (imap.{role}) not found; the folders "
            f"there are: {shown}. Set imap.{role} to one of them (or \"auto\")",
            transient=False)

    def require(self, role: str) -> str:
        """The folder for `role` ("sent", "drafts"), or MailboxError listing the folders."""
        value = getattr(self.folders, role)
        if value is None:
            listing = self._call(self._list_folders)
            raise self._no_folder(role, getattr(self.imap, role), [n for *_x, n in listing])
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
        ordered = sorted(uids)
        chunks = [ordered[start:start + BATCH] for start in range(0, len(ordered), BATCH)]
        for at, chunk in enumerate(chunks):
            ahead, self._ahead = self._ahead, None
            if ahead is not None and ahead.uids == chunk:
                data = self._call(self._ahead_answer, ahead)
            else:
                data = self._call(self._fetch_header_items, chunk)
            if at + 1 < len(chunks):
                # The next batch is asked for now: the server reads it while this one is
                # parsed and handled (IMAP pipelining). Any other command settles it first.
                self._ahead = self._send_ahead(chunks[at + 1])
            batch = []
            for uid in chunk:
                item = data.get(uid)
                if item is None:
                    continue  # expunged meanwhile
                raw = b""
                for key, value in item.items():
                    if isinstance(key, bytes) and key.startswith(b"BODY[HEADER"):
                        raw = value or b""
                internal = item.get(b"INTERNALDATE")
                # outside the supported range an INTERNALDATE is none (times.supported)
                when = supported(internal) if isinstance(internal, datetime) else None
                size = item.get(b"RFC822.SIZE", 0)
                size = size if isinstance(size, int) and size >= 0 else 0
                try:
                    header = parse_header(raw, folder=folder, uid=uid, size=size,
                                          internal_date=when)
                except Exception as exc:  # kept, for the pass to skip with its reason
                    header = unreadable_header(
                        raw, folder=folder, uid=uid, size=size, internal_date=when,
                        why=f"its header could not be read ({type(exc).__name__})")
                batch.append(header)
            yield batch

    def _fetch_header_items(self, uids: Sequence[int]) -> dict[int, dict[bytes, Any]]:
        """`client.fetch(uids, [HEADER_ITEM, "RFC822.SIZE", "INTERNALDATE"])`, the same
        command and the same answer, read faster: imapclient's response parser walks
        every byte of the echoed HEADER.FIELDS list in Python, which costs a first sync
        of 20,000 messages seconds. Answers of exactly the shape `parse_header_fetch`
        knows are taken apart by it; anything else (another item order, a quoted string
        instead of a literal, an unsolicited FETCH) goes to imapclient's own parser."""
        client = self.client
        if not uids or not client.use_uid or client.normalise_times:
            return dict(client.fetch(uids, [HEADER_ITEM, "RFC822.SIZE", "INTERNALDATE"]))
        return self._read_header_items(self._send_header_items(uids), uids)

    def _send_header_items(self, uids: Sequence[int]) -> Any:
        """Send the header FETCH of `uids` (use_uid on, normalise_times off): its tag."""
        from imapclient.imapclient import join_message_ids, seq_to_parenstr_upper

        return self.client._imap._command(
            "UID", "FETCH", join_message_ids(uids),
            seq_to_parenstr_upper([HEADER_ITEM, "RFC822.SIZE", "INTERNALDATE"]))

    def _read_header_items(self, tag: Any, uids: Sequence[int]
                           ) -> dict[int, dict[bytes, Any]]:
        """The answer to the header FETCH sent as `tag`, as client.fetch returns it."""
        from imapclient.response_parser import parse_fetch_response

        client = self.client
        imap = client._imap
        typ, data = imap._command_complete("FETCH", tag)
        client._checkok("fetch", typ, data)
        typ, data = imap._untagged_response(typ, data, "FETCH")
        parsed = parse_header_fetch(data)
        if parsed is None:
            parsed = parse_fetch_response(data, False, True)
        # As imapclient.fetch: unsolicited answers for other messages dropped.
        return {uid: parsed[uid] for uid in uids if uid in parsed}

    def _send_ahead(self, uids: list[int]) -> _Ahead | None:
        """Send the header FETCH of the next batch; a failure to send is kept and raised
        when that batch is wanted, after the current one was handled and recorded."""
        client = self.client
        if not client.use_uid or client.normalise_times:
            return None
        ahead = _Ahead(uids)
        try:
            ahead.tag = self._send_header_items(uids)
        except Exception as exc:  # raised (and classified) when the batch is wanted
            ahead.error = exc
        return ahead

    def _ahead_answer(self, ahead: _Ahead) -> dict[int, dict[bytes, Any]]:
        self._settle(ahead)
        if ahead.error is not None:
            raise ahead.error
        assert ahead.answer is not None
        return ahead.answer

    def _settle(self, ahead: _Ahead) -> None:
        """Read the answer of a header FETCH sent ahead (once), keeping it or its error:
        no other command may be sent before it is read."""
        if ahead.answer is None and ahead.error is None:
            try:
                ahead.answer = self._read_header_items(ahead.tag, ahead.uids)
            except Exception as exc:  # raised (and classified) when the batch is wanted
                ahead.error = exc

    def fetch_text(self, uid: int, cap: int = SNIPPET_BYTES, *, report: bool = False
                   ) -> str:
        """The first text part of a message, at most `cap` bytes of it, decoded: for the
        snippet of a message that already matched, and the report of a bounce. Never
        the whole message (a 30 MB one costs `cap` bytes)."""
        structure = self._call(self.client.fetch, [uid], ["BODYSTRUCTURE"]).get(uid, {})
        body = structure.get(b"BODYSTRUCTURE")
        part = _first_text_part(body, report=report) if body is not None else None
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
        text = _decode_part(raw, encoding, charset)
        if subtype == "html":
            text = _strip_html(text)
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

        ahead = self._ahead
        if ahead is not None:
            self._settle(ahead)  # its answer first: then this command's
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


def _watched_client(imap: Imap, context: ssl.SSLContext, timeout: Any,
                    watch: _ConnectWatch) -> Any:
    """IMAPClient whose socket `watch` can shut down while the greeting is still read."""
    from imapclient import IMAPClient
    from imapclient.imap4 import IMAP4WithTimeout
    from imapclient.tls import IMAP4_TLS, wrap_socket

    class Plain(IMAP4WithTimeout):
        def _create_socket(self, timeout: float | None = None) -> socket.socket:
            sock = super()._create_socket(timeout)
            watch.attach(sock)
            return sock

    class Tls(IMAP4_TLS):
        def _create_socket(self, timeout: float | None = None) -> socket.socket:
            sock = socket.create_connection((self.host, self.port),
                                            timeout=timeout if timeout is not None
                                            else self._timeout)
            watch.attach(sock)  # the handshake itself is under the deadline too
            return wrap_socket(sock, self.ssl_context, self.host)

    class Client(IMAPClient):
        def _create_IMAP4(self) -> Any:
            connect_timeout = getattr(self._timeout, "connect", None)
            if self.ssl:
                return Tls(self.host, self.port, self.ssl_context, connect_timeout)
            return Plain(self.host, self.port, connect_timeout)

    if imap.security == "tls":
        return Client(imap.host, port=imap.effective_port, ssl=True, ssl_context=context,
                      timeout=timeout)
    return Client(imap.host, port=imap.effective_port, ssl=False, timeout=timeout)


def connect(settings: Settings, password: Secret) -> ImapSession:
    import time

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
    try:
        client = _watched_client(imap, context, timeout, watch)
        if imap.security == "tls":
            tls = _tls_words(client, imap)
        else:
            if imap.security == "starttls":
                if not client.has_capability("STARTTLS"):
                    raise MailboxError(
                        f"{_where(imap)}: STARTTLS is not offered, and imap.security = "
                        "\"starttls\" requires it; the password was not sent. Use "
                        "security = \"tls\" (port 993) or ask the provider",
                        transient=False)
                client.starttls(context)
                watch.attach(client._imap.sock)
                tls = _tls_words(client, imap)
            else:
                tls = "no TLS (security = \"none\", loopback only)"
        client.normalise_times = False  # aware INTERNALDATEs
        _limit(client._imap)
        client.login(imap.username, password.reveal())
    except Exception as exc:  # classified into one MailboxError
        watch.done()
        if client is not None:
            try:
                client.shutdown()
            except Exception:
                pass
        if watch.expired:
            raise MailboxError(
                f"{_where(imap)}: connecting and logging in did not finish within "
                f"{imap.deadline:g} s (imap.deadline) and was stopped", transient=True
            ) from None
        error = classify(exc, imap)
        raise MailboxError(password.redact(str(error)), transient=error.transient) from None
    watch.done()
    session = ImapSession(client, settings, tls)
    if watch.expired:  # it fired just as login returned: the socket is shut
        session.close()
        raise MailboxError(
            f"{_where(imap)}: connecting and logging in did not finish within "
            f"{imap.deadline:g} s (imap.deadline) and was stopped", transient=True)
    # What remains of the one deadline covers the rest of the pass.
    session.arm(max(float(imap.deadline) - (time.monotonic() - started), 0.01))
    return session


class _TooMuch(Exception):
    """A server sent more than nudger ever asks for (MAX_LITERAL, MAX_UNTAGGED)."""


def _limit(imap4: Any) -> None:
    """Hold imaplib's reader (of this connection only) to MAX_LITERAL per literal and
    MAX_UNTAGGED responses (MAX_UNTAGGED_BYTES) of one kind waiting to be read."""
    read, append = imap4.read, imap4._append_untagged
    sizes: dict[str, int] = {}

    def limited_read(size: int) -> bytes:
        if size > MAX_LITERAL:
            raise _TooMuch(f"the server announced {size:,} bytes for one item; nudger never "
                           f"asks for more than {MAX_LITERAL // (1024 * 1024)} MB")
        return bytes(read(size))

    def limited_append(typ: str, dat: Any) -> None:
        waiting = imap4.untagged_responses.get(typ)
        if waiting is None:
            sizes[typ] = 0
        elif len(waiting) >= MAX_UNTAGGED:
            raise _TooMuch(f"the server sent more than {MAX_UNTAGGED:,} {typ} responses "
                           "to one command")
        size = sum(len(part) for part in dat if isinstance(part, bytes)) \
            if isinstance(dat, tuple) else len(dat or b"")
        sizes[typ] = sizes.get(typ, 0) + size
        if sizes[typ] > MAX_UNTAGGED_BYTES:
            raise _TooMuch(f"the server sent more than "
                           f"{MAX_UNTAGGED_BYTES // (1024 * 1024)} MB of {typ} responses to "
                           "one command")
        append(typ, dat)

    imap4.read = limited_read
    imap4._append_untagged = limited_append


def _tls_words(client: Any, imap: Imap) -> str:
    sock = getattr(client._imap, "sock", None)  # the ssl socket imaplib holds
    version = sock.version() if isinstance(sock, ssl.SSLSocket) else "TLS"
    return f"TLS verified ({version}, certificate valid for {imap.host})"


def verify(settings: Settings, password: Secret) -> list[str]:
    """`nudger check --imap`: what was verified, line by line; MailboxError otherwise."""
    imap = settings.imap
    assert imap is not None
    lines = [f"connected to {imap.host}:{imap.effective_port}"]
    with open_session(settings, password) as session:
        lines.append(session.tls)
        lines.append(f"logged in as {imap.username}")
        folders = session.folders
        lines.append(f"inbox: {folders.inbox}")
        for name in session.skipped_folders:
            lines.append(f"warning: folder {name!r} is not valid modified UTF-7 (RFC 3501); "
                         "nudger leaves it alone")
        for role in ("sent", "drafts"):
            name = getattr(folders, role)
            if name is None:
                session.require(role)  # raises, listing the folders there are
            lines.append(f"{role}: {name} ({folders.how.get(role, '')})")
        session.select_readonly(folders.inbox)
        if settings.mailbox.commands:
            lines.extend(_stamp_lines(settings, session.first_auth_results()))
    lines.append("logged out")
    return lines


def _stamp_lines(settings: Settings, firsts: list[str]) -> list[str]:
    """Which rule command mail meets, and which server stamps the user's recent mail."""
    from nudger.mail.act.sender import rule_words, stamping_servers

    lines = [rule_words(settings)]
    counts = stamping_servers(firsts)
    configured = (settings.mailbox.authserv_id or "").strip().lower()
    if counts:
        seen = ", ".join(f"{server_text(name, 80)} on {n} of {len(firsts)}"
                         for name, n in sorted(counts.items(), key=lambda kv: -kv[1])[:3])
        lines.append(f"Authentication-Results on your newest mail: {seen}")
    else:
        lines.append(f"Authentication-Results on your newest mail: none of {len(firsts)} "
                     "messages carries one")
    top = max(counts.items(), key=lambda kv: kv[1])[0] if counts else ""
    if configured and configured not in counts:
        lines.append(f"warning: mailbox.authserv_id {configured!r} is on none of them: "
                     "command mail will be refused until it names your server")
    elif not configured and top and counts[top] * 2 > len(firsts):
        lines.append(f"to require your server's verdict, set [mailbox] authserv_id = "
                     f"\"{server_text(top, 80)}\"")
    return lines


# --- the header FETCH, read fast ------------------------------------------------------------

_HEADER_FETCH = re.compile(
    rb"(\d+) \(UID (\d+) RFC822\.SIZE (\d+) INTERNALDATE (\"[^\"\\\r\n]*\") "
    rb"(BODY\[HEADER\.FIELDS \([A-Z0-9 -]*\)\]) \{(\d+)\}")
_INTERNALDATE = re.compile(
    rb"\"( ?\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)\"")
_MONTHS = {m: i for i, m in enumerate(
    (b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov",
     b"dec"), start=1)}


def parse_header_fetch(data: Sequence[Any]) -> dict[int, dict[bytes, Any]] | None:
    """The answer to `UID FETCH (BODY.PEEK[HEADER.FIELDS (...)] RFC822.SIZE INTERNALDATE)`
    as imapclient's parse_fetch_response(data, normalise_times=False, uid_is_key=True)
    gives it, when every response has the one shape Dovecot (and most servers) send:
    `N (UID u RFC822.SIZE s INTERNALDATE "d" BODY[HEADER.FIELDS (...)] {n}` + literal +
    `)`. None for anything else: the caller then uses imapclient's parser."""
    out: dict[int, dict[bytes, Any]] = {}
    if not data or len(data) % 2:
        return None
    for at in range(0, len(data), 2):
        head, close = data[at], data[at + 1]
        if close != b")" or not isinstance(head, tuple) or len(head) != 2:
            return None
        prefix, literal = head
        if not isinstance(prefix, bytes) or not isinstance(literal, bytes):
            return None
        match = _HEADER_FETCH.fullmatch(prefix)
        if match is None or int(match.group(6)) != len(literal):
            return None
        seq, uid, size, when, section, _n = match.groups()
        if int(uid) in out:
            return None  # the same message twice: imapclient merges, let it
        out[int(uid)] = {b"SEQ": int(seq), b"RFC822.SIZE": int(size),
                         b"INTERNALDATE": _internaldate(when), section: literal}
    return out


def _internaldate(quoted: bytes) -> datetime | None:
    """An INTERNALDATE as imapclient gives it with normalise_times off: aware, in the
    zone the server said; None when it is not a date."""
    from imapclient.datetime_util import parse_to_datetime

    match = _INTERNALDATE.fullmatch(quoted)
    if match is not None:
        day, month, year, hour, minute, second, sign, oh, om = match.groups()
        number = _MONTHS.get(month.lower())
        # "-0000" is "no zone" to email.utils (imapclient's parser): a naive datetime.
        if number is not None and (sign == b"+" or oh != b"00" or om != b"00"):
            offset = timedelta(hours=int(oh), minutes=int(om))
            try:
                return datetime(int(year), number, int(day), int(hour), int(minute),
                                int(second),
                                tzinfo=timezone(-offset if sign == b"-" else offset))
            except ValueError:
                pass
    try:
        return parse_to_datetime(quoted[1:-1], normalise=False)
    except ValueError:
        return None


# --- message parts ------------------------------------------------------------------------

def _first_text_part(body: Any, prefix: str = "", report: bool = False
                     ) -> tuple[str, str, str, str] | None:
    """(section, transfer encoding, charset, subtype) of the first text/plain part, else the
    first text/html part, from a BODYSTRUCTURE; with `report`, a delivery status report's
    machine-readable part first."""
    if report:
        found = _find_part(body, prefix, b"delivery-status", b"message") or \
            _find_part(body, prefix, b"delivery-status", b"text")
        if found:
            return found
    plain = _find_part(body, prefix, b"plain")
    return plain or _find_part(body, prefix, b"html")


def _find_part(body: Any, prefix: str, want: bytes, major: bytes = b"text"
               ) -> tuple[str, str, str, str] | None:
    try:
        multipart = getattr(body, "is_multipart", False)
        if multipart:
            parts = body[0]
            for index, part in enumerate(parts, start=1):
                section = f"{prefix}{index}"
                if getattr(part, "is_multipart", False):
                    found = _find_part(part, section + ".", want, major)
                else:
                    found = _leaf(part, section, want, major)
                if found:
                    return found
            return None
        return _leaf(body, prefix + "1" if prefix else "1", want, major)
    except (IndexError, TypeError, AttributeError):
        return None


def _leaf(part: Any, section: str, want: bytes, major: bytes = b"text"
          ) -> tuple[str, str, str, str] | None:
    mtype = (part[0] or b"").lower() if isinstance(part[0], bytes) else b""
    subtype = (part[1] or b"").lower() if isinstance(part[1], bytes) else b""
    if mtype != major or subtype != want:
        return None
    charset = "utf-8"
    params = part[2]
    if isinstance(params, tuple | list):
        for key, value in zip(params[::2], params[1::2], strict=False):
            if isinstance(key, bytes) and key.lower() == b"charset" and isinstance(value,
                                                                                  bytes):
                charset = value.decode("ascii", "replace")
    encoding = part[5].decode("ascii", "replace").lower() if isinstance(part[5], bytes) \
        else "7bit"
    return section, encoding, charset, subtype.decode()


def _strip_html(text: str) -> str:
    import html
    import re

    text = re.sub(r"(?is)<(script|style)\b.*?</\1\s*>", " ", text)
    text = re.sub(r"(?s)<[^>]*>", " ", text)
    return html.unescape(text)
