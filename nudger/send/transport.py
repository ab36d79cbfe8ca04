"""What every transport shares: the `Transport` interface, `Delivered`, and the one
classification of a failure, `DeliveryError` with its `kind`:

- transient: 4xx replies, timeouts, refused or dropped connections; retry later;
- permanent: 5xx replies, a refused login (535), certificate and TLS failures, a server
  without STARTTLS when starttls is configured, a missing sendmail; retrying cannot help;
- uncertain: the connection was lost or timed out while the message itself was being
  transferred (DATA): it may have arrived. Retried like a transient failure, with the
  same Message-ID, and logged as uncertain.

Each transport (`send/smtp.py`, `send/sendmail.py`, `send/maildir.py`) raises only
`DeliveryError`; `send/delivery.py` picks the configured one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Literal

from nudger.errors import NudgerError

Kind = Literal["transient", "permanent", "uncertain"]


class DeliveryError(NudgerError):
    """A message was not delivered. `where` names the server or path, `reason` says why
    (with the server's code and text when there is one); `kind` decides what happens next."""

    def __init__(self, where: str, reason: str, *, kind: Kind, code: int | None = None,
                 recipient_refused: bool = False) -> None:
        self.where = where
        self.reason = reason
        self.kind: Kind = kind
        self.code = code
        # The server refused the recipient's address itself (RCPT TO), not the message.
        self.recipient_refused = recipient_refused
        super().__init__(f"delivery to {where} failed: {reason}")

    @property
    def retryable(self) -> bool:
        return self.kind != "permanent"


@dataclass(frozen=True)
class Delivered:
    """The server (or MTA, or Maildir) took the message."""

    where: str  # "smtp.example.com:587", "sendmail /usr/sbin/sendmail", a Maildir path
    detail: str  # the server's reply, or what was written
    refused: Mapping[str, tuple[int, str]] = field(default_factory=dict)  # partial refusals
    path: Path | None = None  # the file written, for maildir


class Transport:
    """One delivery method. Use as `async with transport: await transport.send(msg)`;
    SMTP keeps one connection open across sends and closes it on exit."""

    method = ""
    where = ""

    async def send(self, message: EmailMessage) -> Delivered:
        raise NotImplementedError

    async def close(self) -> None:
        """Release the connection, if any."""

    def how_to_read(self) -> str | None:
        """For a local Maildir: how the user reads what was delivered."""
        return None

    async def __aenter__(self) -> Transport:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.close()
