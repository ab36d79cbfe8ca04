"""The one TLS client context for every server nudger talks to ([smtp], [imap], [caldav]).

Trust is the system's store (OpenSSL's default paths, so $SSL_CERT_FILE and $SSL_CERT_DIR
count) plus the table's `ca_file` when it names one: a private CA is trusted *in
addition* to the system's, never instead of it, the same for all three tables. The
certificate and the host name are always verified, and nothing older than TLS 1.2 is
spoken. SMTP and IMAP hand the context to their clients; the CalDAV client takes a CA
bundle file instead, so `ca_bundle` writes the same trust out as PEM.
"""

from __future__ import annotations

import ssl
import tempfile
from typing import IO

from nudger.config import ServerTable, Settings
from nudger.errors import ConfigError


def tls_context(settings: Settings, table: ServerTable) -> ssl.SSLContext:
    """The context for a connection to `table`'s server. ConfigError naming the key
    when its ca_file is missing or holds no PEM certificate."""
    context = ssl.create_default_context()  # the system's CAs; certificate and host checked
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if table.ca_file:
        key = f"{table.section}.ca_file"
        path = settings.resolve(table.ca_file)
        give = "give the PEM file of the CA that signed the server's certificate"
        try:
            context.load_verify_locations(cafile=str(path))
        except FileNotFoundError:
            raise ConfigError(f"{key}: {path} does not exist; {give}") from None
        except ssl.SSLError as exc:
            raise ConfigError(f"{key}: {path} is not a PEM certificate file "
                              f"({exc.reason or exc}); {give}") from None
        except OSError as exc:
            raise ConfigError(f"{key}: {path} cannot be read ({exc.strerror or exc}); "
                              f"{give}") from None
    return context


def trusted_pem(context: ssl.SSLContext) -> str:
    """Every CA certificate `context` holds, as PEM text: the system bundle file and
    ca_file. (A CA only in a hashed directory, $SSL_CERT_DIR, is looked up by OpenSSL
    on demand and is not listed; distributions put every system CA in the bundle.)"""
    return "".join(ssl.DER_cert_to_PEM_cert(der)
                   for der in context.get_ca_certs(binary_form=True))


def ca_bundle(context: ssl.SSLContext) -> IO[str]:
    """A private temporary file holding `trusted_pem(context)`, for HTTP clients that
    take a CA bundle's path; it is removed when the returned file object is closed or
    collected, so keep it as long as the client that reads it."""
    bundle = tempfile.NamedTemporaryFile(  # noqa: SIM115 (lives as long as the client)
        "w", encoding="ascii", prefix="nudger-ca-", suffix=".pem")
    bundle.write(trusted_pem(context))
    bundle.flush()
    return bundle
