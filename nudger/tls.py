"""The one TLS client context for every server nudger talks to ([smtp], [imap], [caldav]).

Trust is the system's store (OpenSSL's default paths, so $SSL_CERT_FILE and $SSL_CERT_DIR
count) plus the table's `ca_file` when it names one: a private CA is trusted *in
addition* to the system's, never instead of it, the same for all three tables. The
certificate and the host name are always verified, and nothing older than TLS 1.2 is
spoken. SMTP and IMAP hand the context to their clients; the CalDAV client takes a CA
bundle file instead, so `ca_bundle` writes the same trust out as PEM (its HTTP library,
urllib3, verifies and refuses anything older than TLS 1.2 by default).
"""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import ssl
import stat
import tempfile
from pathlib import Path

from nudger.config import Settings
from nudger.errors import ConfigError
from nudger.files import atomic_write
from nudger.servers import ServerTable


def tls_context(settings: Settings, table: ServerTable) -> ssl.SSLContext:
    """The context for a connection to `table`'s server. ConfigError naming the key
    when its ca_file is missing or holds no PEM certificate."""
    context = ssl.create_default_context()  # the system's CAs; certificate and host checked
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if table.ca_file:
        _load_ca_file(context, settings, table)
    return context


def ca_bundle(settings: Settings, table: ServerTable) -> Path:
    """The trust of `tls_context(settings, table)` as one PEM file, for an HTTP client
    that takes a CA bundle's path: the system's bundle file, then ca_file (checked as
    tls_context checks it). The file is named by its content in a folder private to this
    process (removed when it exits), so the same trust is the same path and the client
    reuses the context it built for it: a new path per connection cost ~110 ms each."""
    parts = [_system_pem()]
    if table.ca_file:
        path = _load_ca_file(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT), settings, table)
        try:
            parts.append(path.read_bytes())
        except OSError as exc:
            raise _ca_file_error(table, path, f"cannot be read ({exc.strerror or exc})"
                                 ) from None
    data = b"\n".join(parts)
    target = _bundle_folder() / f"ca-{hashlib.sha256(data).hexdigest()[:32]}.pem"
    if not target.exists():
        atomic_write(target, data, perms=0o600)
    return target


_FOLDER: dict[str, Path] = {}  # "bundles": this process's folder for them


def _bundle_folder() -> Path:
    """A folder only this user may enter, made on first use and removed at exit; made
    anew when it is gone or not ours (a /tmp cleaner took it, someone took its name)."""
    folder = _FOLDER.get("bundles")
    if folder is not None:
        try:
            info = folder.lstat()
            if (stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid()
                    and not info.st_mode & 0o077):
                return folder
        except OSError:
            pass
    folder = Path(tempfile.mkdtemp(prefix="nudger-tls-"))  # mode 0700
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    _FOLDER["bundles"] = folder
    return folder


def _load_ca_file(context: ssl.SSLContext, settings: Settings, table: ServerTable) -> Path:
    assert table.ca_file
    path = settings.resolve(table.ca_file)
    try:
        context.load_verify_locations(cafile=str(path))
    except FileNotFoundError:
        raise _ca_file_error(table, path, "does not exist") from None
    except ssl.SSLError as exc:
        raise _ca_file_error(table, path, "is not a PEM certificate file "
                             f"({exc.reason or exc})") from None
    except OSError as exc:
        raise _ca_file_error(table, path, f"cannot be read ({exc.strerror or exc})") from None
    return path


def _ca_file_error(table: ServerTable, path: Path, what: str) -> ConfigError:
    return ConfigError(f"{table.section}.ca_file: {path} {what}; give the PEM file of the CA "
                       "that signed the server's certificate")


def _system_pem() -> bytes:
    """The system's CAs as PEM: the bundle file OpenSSL loads ($SSL_CERT_FILE, else the
    distribution's), else what a default context lists. (A CA only in the hashed
    directory, $SSL_CERT_DIR, is looked up by OpenSSL on demand and is not in either;
    distributions put every system CA in the bundle.)"""
    cafile = ssl.get_default_verify_paths().cafile
    if cafile:
        try:
            return Path(cafile).read_bytes()
        except OSError:
            pass
    return "".join(ssl.DER_cert_to_PEM_cert(der) for der in
                   ssl.create_default_context().get_ca_certs(binary_form=True)).encode()
