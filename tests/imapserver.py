"""A real IMAP server for tests: Dovecot (Debian's dovecot-imapd) on free 127.0.0.1 ports,
with trustme certificates and a throwaway mail home, started and stopped by the test.

    with Dovecot(tmp_path) as server:
        server.append("INBOX", raw_bytes)          # plant a message (the company writes)
        server.append("Sent", raw_bytes)           # plant a message (the user sent it)
        ... point nudger at server.host / server.port (imaps), trusting server.ca_file ...
        server.restart()                           # the daemon must poll across this

Listeners: `port` (implicit TLS, "tls"), `starttls_port` (STARTTLS offered; on loopback
Dovecot also accepts a plaintext login there, which is what `security = "none"` uses).
Every user name logs in with `password`; each gets its own Maildir under the home.
INBOX, Sent (\\Sent), Drafts (\\Drafts), Junk and Trash exist from the first login.

Running as root (CI does): Dovecot refuses a userdb uid of 0, so the mail home belongs to
the `dovecot` system user and the userdb hands out its uid/gid (docs/pitfalls.md, IMAP).

`FakeImapServer` answers like a misbehaving server for the faults Dovecot cannot produce
(a greeting that never comes, a BYE, no STARTTLS offered); `DropProxy` sits in front of a
Dovecot plain listener and cuts the connection when the client sends its Nth FETCH.
Other engineers (act, capture) reuse this: keep it dependency-free beyond imapclient and
trustme.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import trustme

from tests.fakeclock import real_clock_env
from tests.listener import Listener
from tests.smtpserver import HOST, free_port, shared_ca

DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot"
                                       if os.path.exists("/usr/sbin/dovecot") else None)
MISSING_REASON = ("dovecot is not installed (Debian: apt-get install dovecot-imapd); "
                  "the IMAP tests need a real server")

# CONFIG is .format()ed with the paths and ports; the four special-use folders come from
# one loop, whose f-string writes {{{{ so that {{ reaches .format() and { the file.
CONFIG = """\
protocols = imap
listen = {host}
base_dir = {base}/run
state_dir = {base}/state
log_path = {base}/dovecot.log
info_log_path = {base}/dovecot.log
debug_log_path = {base}/dovecot.log
ssl = yes
ssl_cert = <{base}/cert.pem
ssl_key = <{base}/key.pem
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
first_valid_uid = {uid}
first_valid_gid = {gid}
default_internal_user = {internal}
default_login_user = {login_user}
default_internal_group = {internal_group}
login_greeting = Dovecot test server ready.
imap_capability = +SPECIAL-USE
mail_max_userip_connections = 100
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={base}/home/%u
}}
namespace inbox {{
  inbox = yes
  separator = /
""" + "".join(f"""\
  mailbox {name} {{{{
    special_use = \\{name}
    auto = create
  }}}}
""" for name in ("Drafts", "Sent", "Junk", "Trash")) + """\
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = {host}
    port = {starttls_port}
  }}
  inet_listener imaps {{
    address = {host}
    port = {port}
    ssl = yes
  }}
}}
service auth {{
  chroot =
}}
service anvil {{
  chroot =
}}
service stats {{
  chroot =
}}
service log {{
  chroot =
}}
"""


def available() -> bool:
    return DOVECOT is not None


def _mail_owner() -> tuple[int, int]:
    """The uid/gid Dovecot hands to mail sessions: ours, or `dovecot`'s when we are root."""
    if os.geteuid() != 0:
        return os.getuid(), os.getgid()
    user = pwd.getpwnam("dovecot")
    return user.pw_uid, user.pw_gid


def _wait_listening(port: int, deadline: float) -> bool:
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.02)
    return False


class Dovecot:
    """One Dovecot instance under `root` (a temporary directory the test owns)."""

    def __init__(
        self,
        root: Path,
        *,
        password: str = "secret",
        username: str = "alex@example.com",
        cert_hosts: Sequence[str] = ("localhost", HOST),
        ca: trustme.CA | None = None,
    ) -> None:
        if DOVECOT is None:
            raise RuntimeError(MISSING_REASON)
        # Not under pytest's tmp_path: that is 0700 root's, and as root the mail sessions
        # run as the `dovecot` user, who must reach the home. `root` only names it.
        self.base = Path(tempfile.mkdtemp(prefix=f"nudger-dovecot-{Path(root).name[:20]}-"))
        os.chmod(self.base, 0o755)
        self.password = password
        self.username = username
        self.host = HOST
        self.ca = ca or shared_ca()
        self.cert_hosts = tuple(cert_hosts)
        self.port = 0
        self.starttls_port = 0
        self.ca_file = self.base / "ca.pem"
        self.conf = self.base / "dovecot.conf"
        self._running = False

    # --- life cycle ----------------------------------------------------------------------

    def _write_config(self) -> None:
        base = self.base
        for sub in ("run", "state", "home"):
            (base / sub).mkdir(parents=True, exist_ok=True)
        cert = self.ca.issue_cert(*self.cert_hosts)
        cert.cert_chain_pems[0].write_to_path(str(base / "cert.pem"))
        for blob in cert.cert_chain_pems[1:]:
            with open(base / "cert.pem", "ab") as fh:
                fh.write(blob.bytes())
        cert.private_key_pem.write_to_path(str(base / "key.pem"))
        self.ca.cert_pem.write_to_path(str(self.ca_file))
        uid, gid = _mail_owner()
        if os.geteuid() == 0:
            internal, login_user, group = "dovecot", "dovenull", "dovecot"
            os.chown(base / "home", uid, gid)
        else:
            me = pwd.getpwuid(os.getuid()).pw_name
            internal = login_user = me
            group = _group_name(os.getgid())
        self.port = free_port()
        self.starttls_port = free_port()
        self.conf.write_text(CONFIG.format(
            host=HOST, base=base, uid=uid, gid=gid, password=self.password,
            port=self.port, starttls_port=self.starttls_port, internal=internal,
            login_user=login_user, internal_group=group,
        ), encoding="utf-8")

    def start(self) -> Dovecot:
        if not self.conf.exists() or not self.port:
            self._write_config()
        last = ""
        for _attempt in range(3):
            # The master daemonizes and keeps inherited pipes open: send its output to a
            # file, never to a pipe we wait on.
            with open(self.base / "start.log", "wb") as out:
                proc = subprocess.run([str(DOVECOT), "-c", str(self.conf)], stdout=out,
                                      stderr=subprocess.STDOUT, timeout=20, check=False,
                                      env=real_clock_env())  # tests.fakeclock
            if proc.returncode == 0 and _wait_listening(self.port, time.monotonic() + 10) \
                    and _wait_listening(self.starttls_port, time.monotonic() + 5) \
                    and self._wait_pid(time.monotonic() + 5):
                self._running = True
                return self
            last = (self.base / "start.log").read_text(errors="replace") + self.log_tail()
            self._kill()
            # A port taken between free_port() and the bind: pick new ones.
            self._write_config()
        raise RuntimeError(f"dovecot did not start: {last}")

    def log_tail(self, lines: int = 30) -> str:
        log = self.base / "dovecot.log"
        if not log.exists():
            return ""
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])

    def _wait_pid(self, deadline: float) -> bool:
        """Wait for the master's pid file. The master binds its listeners before it
        daemonizes and writes master.pid, so a port that answers does not yet mean the pid
        file is there (a CI run read None once), and stop() needs it to find the master."""
        while time.monotonic() < deadline:
            if self._pid() is not None:
                return True
            time.sleep(0.01)
        return False

    def _pid(self) -> int | None:
        try:
            return int((self.base / "run" / "master.pid").read_text().strip())
        except (OSError, ValueError):
            return None

    def _kill(self) -> None:
        pid = self._pid()
        if pid is None:
            return
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        # The mail sessions (`imap`, the only processes that write mail) exit at once; the
        # master then sleeps ~6 s waiting on its helpers (log, anvil, an idle imap-login),
        # listening for the first 2 of them. Once no mail session is left, nothing it
        # would still do matters to a test: the master and its helpers are killed then,
        # as one process group (the master is a session leader): a helper left behind
        # would keep accepting on the listener it inherited and never answer.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _alive(pid):
            if not any(_name(child) == "imap" for child in _children(pid)):
                break
            time.sleep(0.01)
        try:
            group = os.getpgid(pid)
        except ProcessLookupError:
            group = 0
        try:
            if group == pid:
                os.killpg(group, signal.SIGKILL)
            else:
                os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and (
                _alive(pid) or _is_listening(self.port) or _is_listening(self.starttls_port)):
            time.sleep(0.01)
        # A killed master leaves its pid file (and its zombie still answers kill(pid, 0):
        # the next start would find "Dovecot is already running") and its sockets: the
        # run directory is made anew. A dotlock it held (state/instances.lock) would make
        # the next master wait ~10 s before it serves anyone.
        shutil.rmtree(self.base / "run", ignore_errors=True)
        (self.base / "run").mkdir()
        for lock in (self.base / "state").glob("*.lock"):
            lock.unlink(missing_ok=True)

    def stop(self) -> None:
        self._kill()
        self._running = False

    def cleanup(self) -> None:
        """Stop and remove the server's directory (mail, keys, logs)."""
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)

    def answers(self, timeout: float = 3.0) -> bool:
        """Whether the server greets a new connection (on the plain listener) in time."""
        try:
            with socket.create_connection((HOST, self.starttls_port), timeout=timeout) as sock:
                return sock.recv(64).startswith(b"* OK")
        except OSError:
            return False

    def fresh_mailboxes(self) -> None:
        """Forget every user's mailbox (folders, mail, UIDVALIDITYs), as if nobody had ever
        logged in: each user's next login starts from an empty Maildir. Lets one server per
        test session serve every test (the `dovecot` fixture); call it with no session open."""
        homes = self.base / "home"
        gone = self.base / f"gone-{time.monotonic_ns()}"
        homes.rename(gone)
        homes.mkdir()
        if os.geteuid() == 0:
            uid, gid = _mail_owner()
            os.chown(homes, uid, gid)
        shutil.rmtree(gone, ignore_errors=True)

    def restart(self, down_for: float = 0.0) -> None:
        """Stop, optionally stay down for `down_for` seconds, start on the same ports."""
        self.stop()
        if down_for:
            time.sleep(down_for)
        self.start()

    def __enter__(self) -> Dovecot:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.cleanup()

    # --- planting and inspecting mail -----------------------------------------------------

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_file))

    def client(self, username: str | None = None) -> Any:
        """A logged-in imapclient.IMAPClient over implicit TLS (the caller logs out)."""
        from imapclient import IMAPClient

        client = IMAPClient(self.host, port=self.port, ssl=True,
                            ssl_context=self.ssl_context(), timeout=10)
        client.login(username or self.username, self.password)
        return client

    def append(self, folder: str, message: bytes | str, *, flags: Iterable[str] = (),
               date: datetime | None = None, username: str | None = None) -> int:
        """APPEND one message; returns its UID (from APPENDUID)."""
        return self.append_many(folder, [message], flags=flags, date=date,
                                username=username)[0]

    def append_many(self, folder: str, messages: Iterable[bytes | str], *,
                    flags: Iterable[str] = (), date: datetime | None = None,
                    username: str | None = None) -> list[int]:
        client = self.client(username)
        uids: list[int] = []
        try:
            for message in messages:
                raw = message.encode("utf-8") if isinstance(message, str) else message
                if b"\r\n" not in raw:
                    raw = raw.replace(b"\n", b"\r\n")
                answer = client.append(folder, raw, flags=tuple(flags), msg_time=date)
                uids.append(_appenduid(answer))
        finally:
            _logout(client)
        return uids

    def plant_maildir(self, messages: Iterable[bytes], folder: str = "INBOX",
                      username: str | None = None) -> int:
        """Write messages straight into the user's Maildir (thousands in a second, where
        APPEND takes minutes); Dovecot picks them up at the next SELECT. Returns the
        count. The names carry no size (",S="): Dovecot would trust a wrong one."""
        client = self.client(username)
        client.select_folder(folder, readonly=True)  # creates the Maildir
        _logout(client)
        home = self.base / "home" / (username or self.username) / "Maildir"
        target = home if folder == "INBOX" else home / ("." + folder.replace("/", "."))
        cur = target / "cur"
        owner = home.stat()
        stamp = int(time.time())
        count = 0
        for count, raw in enumerate(messages, start=1):
            path = cur / f"{stamp}.M{count}P{os.getpid()}.nudgertest:2,"
            path.write_bytes(raw if b"\r\n" in raw else raw.replace(b"\n", b"\r\n"))
            os.chown(path, owner.st_uid, owner.st_gid)
        return count

    def uids(self, folder: str, username: str | None = None) -> list[int]:
        client = self.client(username)
        try:
            client.select_folder(folder, readonly=True)
            return sorted(client.search("ALL"))
        finally:
            _logout(client)

    def flags(self, folder: str, uid: int, username: str | None = None) -> tuple[bytes, ...]:
        client = self.client(username)
        try:
            client.select_folder(folder, readonly=True)
            return tuple(client.get_flags([uid]).get(uid, ()))
        finally:
            _logout(client)

    def uidvalidity(self, folder: str, username: str | None = None) -> int:
        client = self.client(username)
        try:
            return int(client.select_folder(folder, readonly=True)[b"UIDVALIDITY"])
        finally:
            _logout(client)

    def recreate(self, folder: str, username: str | None = None) -> None:
        """Delete and create `folder` again: a new UIDVALIDITY, its messages gone (re-append
        them to simulate a server that renumbered a folder)."""
        client = self.client(username)
        try:
            client.delete_folder(folder)
            client.create_folder(folder)
        finally:
            _logout(client)


def _group_name(gid: int) -> str:
    import grp

    return grp.getgrgid(gid).gr_name


def _alive(pid: int) -> bool:
    """Whether `pid` still runs. The master daemonizes, so its parent is not us and nobody
    may reap it at once: a zombie still answers `os.kill(pid, 0)` (which made every stop
    wait ~2.8 s), so a zombie (or a dead pid) counts as gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def _children(pid: int) -> list[int]:
    """The pids whose parent is `pid`."""
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        pass
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
    return found


def _name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _is_listening(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.2):
            return True
    except OSError:
        return False


def _appenduid(answer: bytes) -> int:
    # b"[APPENDUID 1700000000 5] Append completed."
    text = answer.decode("ascii", "replace")
    if "APPENDUID" in text:
        return int(text.split("APPENDUID", 1)[1].split("]", 1)[0].split()[1])
    raise RuntimeError(f"no APPENDUID in {text!r}")


def _logout(client: Any) -> None:
    try:
        client.logout()
    except Exception:
        client.shutdown()


# --- faults Dovecot cannot produce -----------------------------------------------------------

FakeMode = Literal["silent", "stall", "bye", "no-starttls", "refuse-login", "flood", "drip",
                   "huge-literal", "trickle-greeting"]


class FakeImapServer(Listener):
    """A tiny IMAP impostor on a free loopback port, one thread per connection.

    silent: accepts and never greets. trickle-greeting: sends its greeting a byte every
    0.5 s and never ends it (a per-read timeout never fires). stall: greets, then never
    answers a command.
    bye: greets with `* BYE` and closes. no-starttls: an IMAP4rev1 server without STARTTLS
    (and LOGINDISABLED absent, so a careless client would send the password in clear).
    flood, drip, huge-literal: a server that logs in and lists INBOX, then answers the
    EXAMINE with untagged responses as fast as it can (flood), one every 0.2 s forever
    (drip), or a literal announced as 2 GB of which it sends a byte now and then.
    `lines_sent` counts what flood and drip sent.
    Everything received is in `received` (lines, decoded), so a test can assert that no
    password was sent.
    """

    def __init__(self, mode: FakeMode) -> None:
        super().__init__()
        self.mode = mode
        self.received: list[str] = []
        self.lines_sent = 0
        self._conns: list[socket.socket] = []

    def _pour(self, conn: socket.socket, pause: float) -> None:
        """Untagged responses, never the tagged answer, until the client goes away."""
        line = b"* 1 EXISTS\r\n"
        chunk = line * (1000 if pause == 0 else 1)
        while not self._stop.is_set():
            conn.sendall(chunk)
            self.lines_sent += chunk.count(b"\n")
            if pause:
                self._stop.wait(pause)

    def __exit__(self, *exc: object) -> None:
        for conn in self._conns:
            try:
                conn.close()
            except OSError:
                pass
        super().__exit__(*exc)

    def _serve(self) -> None:
        for conn in self._accepted():
            self._conns.append(conn)
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        try:
            if self.mode == "silent":
                self._stop.wait()
                return
            if self.mode == "trickle-greeting":  # a byte of greeting every 0.5 s, forever
                while not self._stop.is_set():
                    conn.sendall(b"*")
                    self._stop.wait(0.5)
                return
            if self.mode == "bye":
                conn.sendall(b"* BYE Server shutting down for maintenance\r\n")
                conn.close()
                return
            conn.sendall(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] fake server ready\r\n")
            buf = conn.makefile("rb")
            while not self._stop.is_set():
                line = buf.readline()
                if not line:
                    return
                text = line.decode("utf-8", "replace").rstrip("\r\n")
                self.received.append(text)
                if self.mode == "stall":
                    continue
                tag, _, rest = text.partition(" ")
                verb = rest.split(" ", 1)[0].upper()
                if verb == "CAPABILITY":
                    conn.sendall(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n"
                                 + tag.encode() + b" OK done\r\n")
                elif verb == "LOGOUT":
                    conn.sendall(b"* BYE bye\r\n" + tag.encode() + b" OK done\r\n")
                    return
                elif verb == "LOGIN" and self.mode in ("flood", "drip", "huge-literal"):
                    conn.sendall(tag.encode() + b" OK logged in\r\n")
                elif verb == "LIST" and self.mode in ("flood", "drip", "huge-literal"):
                    conn.sendall(b'* LIST (\\HasNoChildren) "/" "INBOX"\r\n'
                                 + tag.encode() + b" OK done\r\n")
                elif verb in ("EXAMINE", "SELECT") and self.mode in ("flood", "drip"):
                    self._pour(conn, 0.0 if self.mode == "flood" else 0.2)
                    return
                elif verb in ("EXAMINE", "SELECT") and self.mode == "huge-literal":
                    conn.sendall(b"* 1 FETCH (UID 1 BODY[] {2000000000}\r\n")
                    while not self._stop.wait(0.5):
                        conn.sendall(b"x")
                    return
                elif verb in ("LOGIN", "AUTHENTICATE"):
                    conn.sendall(tag.encode() + b" NO [AUTHENTICATIONFAILED] no\r\n")
                else:
                    conn.sendall(tag.encode() + b" BAD unknown command\r\n")
        except OSError:
            return


class DropProxy(Listener):
    """Forwards 127.0.0.1:`port` to a plain (non-TLS) upstream listener and cuts both sides
    when the client sends its `after`-th command containing `trigger` (default: the first
    UID FETCH), simulating a connection lost mid-fetch. `armed` can be cleared to let later
    connections through untouched (the next poll recovers); `bytes_down` counts what the
    server sent (a 30 MB message must never cross)."""

    def __init__(self, upstream_port: int, *, trigger: bytes = b"FETCH", after: int = 1) -> None:
        self.upstream_port = upstream_port
        self.trigger = trigger.upper()
        self.after = after
        self.seen = 0
        self.drops = 0
        self.bytes_down = 0  # everything the server sent to clients through the proxy
        self.armed = threading.Event()
        self.armed.set()
        super().__init__()

    def _serve(self) -> None:
        for client in self._accepted():
            try:
                upstream = socket.create_connection((HOST, self.upstream_port), timeout=5)
            except OSError:
                client.close()
                continue
            threading.Thread(target=self._pump, args=(client, upstream, True),
                             daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False),
                             daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, from_client: bool) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                passed = self._pass(data, from_client)
                if passed is None:
                    break
                dst.sendall(passed)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()

    def _pass(self, data: bytes, from_client: bool) -> bytes | None:
        """What of `data` goes on to the other side; None cuts both sides here."""
        if from_client and self.armed.is_set() and self.trigger in data.upper():
            self.seen += 1
            if self.seen >= self.after:
                self.drops += 1
                return None
        if not from_client:
            self.bytes_down += len(data)
        return data


class RewriteProxy(DropProxy):
    """Forwards to a plain upstream listener like DropProxy (never cutting), passing what
    the server sends through `rewrite(data) -> data` while `armed` is set: a server that
    lies (`[UIDNEXT 4000000000]`, a SEARCH answer with UIDs out of range) without a
    server that does."""

    def __init__(self, upstream_port: int, rewrite: Any) -> None:
        super().__init__(upstream_port, trigger=b"\x00never\x00")
        self.rewrite = rewrite

    def _pass(self, data: bytes, from_client: bool) -> bytes | None:
        return self.rewrite(data) if not from_client and self.armed.is_set() else data
