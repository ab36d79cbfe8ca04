"""Delivery over SMTP (aiosmtplib), and `classify_smtp`, the one place that decides whether
an SMTP failure is transient, permanent or uncertain (send/transport.py).

TLS rules: "starttls" demands STARTTLS (a server that does not offer it is an error, never
a plaintext fallback); "tls" is TLS from the first byte (port 465); "none" is allowed only
to a loopback host (config.py enforces it). Certificates are always verified against the
system's CAs plus smtp.ca_file (nudger.tls). The password is never part of a message or log
line. One connection is kept open across the sends of one `async with`.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import getaddresses
from types import TracebackType
from typing import TYPE_CHECKING, Any

from nudger.config import Settings
from nudger.errors import ConfigError
from nudger.secrets import Secret, smtp_password
from nudger.send.transport import Delivered, DeliveryError, Kind, Transport
from nudger.text import server_text
from nudger.tls import tls_context

if TYPE_CHECKING:
    import aiosmtplib

log = logging.getLogger("nudger.delivery")

REPLY_CHARS = 300  # of a server's reply kept in a message, a log line, the database


def _client_class() -> type[aiosmtplib.SMTP]:
    """aiosmtplib.SMTP that remembers which step of the exchange it is in, so a lost
    connection during DATA can be told apart (uncertain) from one before it (transient)."""
    import aiosmtplib

    class PhaseSMTP(aiosmtplib.SMTP):
        phase = "connect"

        async def mail(self, *args: Any, **kwargs: Any) -> aiosmtplib.SMTPResponse:
            self.phase = "MAIL FROM"
            return await super().mail(*args, **kwargs)

        async def rcpt(self, *args: Any, **kwargs: Any) -> aiosmtplib.SMTPResponse:
            self.phase = "RCPT TO"
            return await super().rcpt(*args, **kwargs)

        async def data(self, *args: Any, **kwargs: Any) -> aiosmtplib.SMTPResponse:
            self.phase = "DATA"
            return await super().data(*args, **kwargs)

    return PhaseSMTP


def ehlo_name(settings: Settings, fqdn: str | None = None) -> str:
    """The name nudger gives in EHLO: `[smtp] helo` when set; else this machine's fully
    qualified name (`fqdn`, default socket.getfqdn()) when it has a dot and is not a
    localhost name; else the domain of the From address. Servers penalise `EHLO localhost`
    and bare host names."""
    import ipaddress
    import re
    import socket

    from nudger.send.message import msgid_domain, sender_address

    if settings.smtp is not None and settings.smtp.helo:
        return settings.smtp.helo
    name = (socket.getfqdn() if fqdn is None else fqdn).strip().rstrip(".").lower()
    try:
        ipaddress.ip_address(name)
        is_address = True
    except ValueError:
        is_address = False
    if ("." in name and not is_address and not name.startswith("localhost")
            and not name.endswith((".localdomain", ".local", ".localhost"))
            and re.fullmatch(r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?", name)):
        return name
    try:
        domain = msgid_domain(sender_address(settings).addr_spec)
    except ConfigError:
        domain = "localhost"
    return domain


# The headers aiosmtplib's send_message reads its envelope from differently (RFC 5322 3.6.2,
# 3.6.6): with one of them present, it reads the envelope itself.
_OTHER_ENVELOPE = frozenset({"sender", "resent-date", "resent-sender", "resent-from",
                             "resent-to", "resent-cc", "resent-bcc"})


def envelope(message: EmailMessage) -> tuple[str, list[str]] | None:
    """The envelope sender and recipients aiosmtplib's `send_message` takes from the
    headers (From; To, Cc, Bcc), read from the headers as they were set: reading each
    through the message parses it again, a measurable part of a worker's CPU per digest.
    None, for aiosmtplib to read them, when a Sender or Resent- header is there, or the
    From header is not one address. tests/send/test_envelope.py compares the two."""
    senders: list[str] = []
    recipients: list[str] = []
    for name, value in message.raw_items():
        key = name.lower()
        if key in _OTHER_ENVELOPE:
            return None
        if key == "from":
            senders.append(str(value))
        elif key in ("to", "cc", "bcc"):
            recipients.append(str(value))
    found = [address for _, address in getaddresses(senders)]
    if len(found) != 1 or not found[0]:
        return None
    return found[0], [address for _, address in getaddresses(recipients) if address]


class SmtpTransport(Transport):
    method = "smtp"

    def __init__(self, settings: Settings, env: Mapping[str, str]) -> None:
        smtp = settings.smtp
        if smtp is None:  # config.py refuses method = "smtp" without [smtp]
            raise ConfigError("delivery.method = \"smtp\" needs an [smtp] table with host")
        self.host = smtp.host
        self.port = smtp.effective_port
        self.security = smtp.security
        self.username = smtp.username
        self.timeout = float(smtp.timeout)
        self.helo = ehlo_name(settings)
        self.where = f"{self.host}:{self.port}"
        self._password: Secret | None = smtp_password(settings, env)
        self._context = tls_context(settings, smtp) if smtp.security != "none" else None
        self._client: Any = None
        self._ready = False
        self.verified: list[str] = []  # what the last connect established, for check --smtp

    @property
    def connected(self) -> bool:
        """Connected *and* through TLS and login: a half-set-up session is never reused."""
        return self._ready and self._client is not None and self._client.is_connected

    async def connect(self) -> list[str]:
        """Connect, negotiate TLS, log in. Returns what was verified, in words."""
        await self.close()
        client: Any = _client_class()(
            hostname=self.host, port=self.port, timeout=self.timeout,
            use_tls=self.security == "tls", start_tls=False,
            tls_context=self._context, local_hostname=self.helo,
        )
        self._client = client
        verified: list[str] = []
        try:
            greeting = await client.connect()
            verified.append(f"connected to {self.where}: {greeting.code} "
                            f"{server_text(greeting.message, REPLY_CHARS)}")
            if self.security == "tls":
                verified.append(self._tls_words("implicit TLS"))
            if self.security == "starttls":
                client.phase = "EHLO"
                await client.ehlo()
                if not client.supports_extension("starttls"):
                    client.close()
                    raise DeliveryError(
                        self.where, "the server does not offer STARTTLS; security = "
                        "\"starttls\" never falls back to plain text (for port 465 use "
                        "security = \"tls\")", kind="permanent")
                client.phase = "STARTTLS"
                await client.starttls()
                verified.append(self._tls_words("STARTTLS"))
            if self.username:
                client.phase = "AUTH"
                password = self._password.reveal() if self._password else ""
                await client.login(self.username, password)
                verified.append(f"logged in as {self.username}")
            client.phase = "ready"
        except BaseException as exc:
            # Whatever failed (TLS, login), this connection must not carry a message.
            client.close()
            self._client = None
            if isinstance(exc, DeliveryError) or not isinstance(exc, Exception):
                raise
            raise self._error(exc, client.phase) from None
        self._ready = True
        self.verified = verified
        return verified

    def _tls_words(self, how: str) -> str:
        ssl_object = self._client.get_transport_info("ssl_object")
        version = ssl_object.version() if ssl_object is not None else "TLS"
        cipher = ssl_object.cipher()[0] if ssl_object is not None else ""
        return f"{how}: {version} {cipher}, certificate verified for {self.host}".rstrip()

    async def send(self, message: EmailMessage) -> Delivered:
        if not self.connected:
            await self.connect()
        client = self._client
        try:
            sender, recipients = envelope(message) or (None, None)
            refused, reply = await client.send_message(message, sender=sender,
                                                       recipients=recipients)
        except Exception as exc:
            error = self._error(exc, client.phase)
            if not client.is_connected:
                self._client = None
                self._ready = False
            raise error from None
        finally:
            client.phase = "ready"
        codes = {addr: (resp.code, server_text(resp.message, REPLY_CHARS))
                 for addr, resp in refused.items()}
        if codes:
            log.warning("%s refused some recipients: %s", self.where, codes)
        return Delivered(self.where, f"250 {server_text(reply, REPLY_CHARS)}", refused=codes)

    async def quit(self) -> None:
        """Say QUIT politely (check --smtp); errors on the way out do not matter."""
        if self.connected:
            try:
                await self._client.quit()
            except Exception as exc:  # the server may hang up first
                log.debug("QUIT to %s: %s", self.where, self._redact(server_text(str(exc))))
        await self.close()

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        if exc is not None and not isinstance(exc, DeliveryError):
            # Cancelled or broken mid-exchange: the session's state is unknown, and a
            # polite QUIT could wait a whole timeout on a stalled server. Just hang up.
            self.abort()
        await self.close()

    def abort(self) -> None:
        """Drop the connection at once, without QUIT."""
        self._ready = False
        if self._client is not None:
            self._client.close()
            self._client = None

    async def close(self) -> None:
        self._ready = False
        if self._client is not None:
            if self._client.is_connected:
                try:
                    await self._client.quit(timeout=min(self.timeout, 5.0))
                except Exception as exc:
                    log.debug("QUIT to %s: %s", self.where, self._redact(server_text(str(exc))))
                    self._client.close()
            self._client = None

    def _redact(self, text: str) -> str:
        return self._password.redact(text) if self._password else text

    def _error(self, exc: BaseException, phase: str) -> DeliveryError:
        import aiosmtplib

        kind, code, reason = classify_smtp(exc, phase, host=self.host, timeout=self.timeout,
                                           security=self.security, username=self.username)
        error = DeliveryError(self.where, self._redact(reason), kind=kind, code=code,
                              recipient_refused=isinstance(
                                  exc, aiosmtplib.SMTPRecipientsRefused))
        log.debug("%s: %s during %s -> %s", self.where, type(exc).__name__, phase, kind)
        return error


def _in_chain(exc: BaseException, kind: type[BaseException]) -> BaseException | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def classify_smtp(exc: BaseException, phase: str, *, host: str, timeout: float,
                  security: str, username: str | None) -> tuple[Kind, int | None, str]:
    """The one place that decides transient, permanent or uncertain for an SMTP failure."""
    import aiosmtplib

    # Certificates first: they surface as OSError or as SMTPConnectError caused by one,
    # and must not be mistaken for a network error worth retrying.
    cert = _in_chain(exc, ssl.SSLCertVerificationError)
    if cert is not None:
        why = getattr(cert, "verify_message", "") or str(cert)
        return ("permanent", None,
                f"the server's certificate is not valid for {host}: {why} (set smtp.ca_file "
                "for a private CA; verification is never turned off)")
    tls_error = _in_chain(exc, ssl.SSLError)
    if tls_error is not None:
        why = getattr(tls_error, "reason", None) or str(tls_error)
        return ("permanent", None,
                f"TLS failed during {phase}: {why} (check smtp.security = \"{security}\" "
                "and smtp.port: 465 is usually \"tls\", 587 \"starttls\")")
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in exc.recipients]
        said = "; ".join(f"{r.recipient}: {r.code} {server_text(r.message, REPLY_CHARS)}"
                         for r in exc.recipients)
        transient = all(400 <= c < 500 for c in codes)
        return ("transient" if transient else "permanent", codes[0] if codes else None,
                f"recipient refused: {said}")
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        kind: Kind = "transient" if 400 <= exc.code < 500 else "permanent"
        hint = "" if kind == "transient" else "; check smtp.username and the password"
        return (kind, exc.code,
                f"login as {username} refused: {exc.code} "
                f"{server_text(exc.message, REPLY_CHARS)}{hint}")
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        kind = "permanent" if 500 <= exc.code < 600 else "transient"
        return (kind, exc.code,
                f"{exc.code} {server_text(exc.message, REPLY_CHARS)} (in reply to {phase})")
    if isinstance(exc, aiosmtplib.SMTPNotSupported):
        return "permanent", None, server_text(exc.message, REPLY_CHARS)
    lost: Kind = "uncertain" if phase == "DATA" else "transient"
    maybe = "; the message may have arrived, it will be resent with the same Message-ID" \
        if lost == "uncertain" else ""
    if isinstance(exc, TimeoutError):
        return lost, None, f"no answer within {timeout:g} s during {phase}{maybe}"
    if isinstance(exc, aiosmtplib.SMTPServerDisconnected):
        return lost, None, f"the server closed the connection during {phase}{maybe}"
    if isinstance(exc, aiosmtplib.SMTPConnectError):
        cause = exc.__cause__
        why = cause.strerror if isinstance(cause, OSError) and cause.strerror else \
            server_text(exc.message, REPLY_CHARS)
        return "transient", None, f"cannot connect: {why}"
    if isinstance(exc, OSError):
        return lost, None, f"network error during {phase}: {exc.strerror or exc}{maybe}"
    if isinstance(exc, aiosmtplib.SMTPException):
        # "AUTH not supported", "no suitable authentication method": configuration.
        return "permanent", None, f"{server_text(exc.message, REPLY_CHARS)} (during {phase})"
    if isinstance(exc, ValueError):
        return "permanent", None, f"the message cannot be sent: {exc}"
    raise exc


async def verify_smtp(settings: Settings, env: Mapping[str, str]) -> list[str]:
    """`check --smtp`: connect, negotiate TLS, log in, QUIT without sending anything."""
    transport = SmtpTransport(settings, env)
    try:
        verified = await transport.connect()
        await transport.quit()
    finally:
        await transport.close()
    return [*verified, "quit without sending"]
