"""The server tables [smtp], [imap] and [caldav]: what they share, validated once.

`ServerTable` holds who logs in, where the password comes from (config.toml never holds
it: config.Settings refuses a `password` key in any of them), `ca_file` (a CA trusted in
addition to the system's; nudger.tls builds the one TLS context from it) and `timeout`.
Each table adds where its server is: `HostAddress` (host, port, security) or `UrlAddress`.
"""

from __future__ import annotations

from typing import ClassVar, Literal, Self

from pydantic import model_validator

from nudger.schema import DurationField, OneLine, Table
from nudger.when.durations import Duration


class ServerTable(Table):
    """What every server table shares, validated once (see the module's docstring)."""

    section: ClassVar[str]  # the table's name in config.toml, as messages show it
    password_words: ClassVar[str] = ""  # what the password is, in the password-key refusal

    username: OneLine | None = None
    password_env: OneLine | None = None
    password_file: str | None = None
    ca_file: str | None = None  # a private CA's certificate (PEM), trusted besides the system's
    timeout: int | float = 30

    @model_validator(mode="after")
    def _check_server(self) -> Self:
        if self.timeout <= 0:
            raise ValueError(f"{self.section}.timeout must be a positive number of seconds")
        if self.password_env and self.password_file:
            raise ValueError(f"{self.section}: set password_env or password_file, not both")
        return self


# Where a server is. A table is `class T(ServerTable, HostAddress)`: pydantic lists the
# keys of the last base first, so the address leads, as in config.example.toml and in the
# valid keys an unknown-key error lists.

class HostAddress(Table):
    """A host and port ([smtp], [imap]); without a port, the default of `security`."""

    section: ClassVar[str]
    default_ports: ClassVar[dict[str, int]]

    host: OneLine
    port: int | None = None
    security: str  # each table narrows it to its choices and default

    @model_validator(mode="after")
    def _check_port(self) -> Self:
        if self.port is not None and not 0 < self.port < 65536:
            raise ValueError(f"{self.section}.port {self.port} is not a TCP port (1-65535)")
        return self

    @property
    def effective_port(self) -> int:
        if self.port is not None:
            return self.port
        return self.default_ports[self.security]


class UrlAddress(Table):
    """An http(s) URL ([caldav])."""

    section: ClassVar[str]

    url: OneLine

    @model_validator(mode="after")
    def _check_url(self) -> Self:
        if not self.url.lower().startswith(("https://", "http://")):
            raise ValueError(f"{self.section}.url {self.url!r} is not an http(s) URL like "
                             "https://cloud.example.com/remote.php/dav")
        if "@" in self.url.split("/", 3)[2]:
            # Never echoed: the part before "@" may be a password.
            raise ValueError(f"{self.section}.url must not hold a user name or password "
                             f"(https://user:secret@host/...): set {self.section}.username, "
                             "and the password with password_env or password_file")
        return self


class Smtp(ServerTable, HostAddress):
    section: ClassVar[str] = "smtp"
    default_ports: ClassVar[dict[str, int]] = {"starttls": 587, "tls": 465, "none": 25}

    security: Literal["starttls", "tls", "none"] = "starttls"
    helo: OneLine | None = None  # the EHLO name; default: delivery.ehlo_name()
    # At most this many messages a minute through one connection (each `nudger worker`
    # paces its own, send/pool.py); None: as fast as the relay takes them.
    max_per_minute: int | None = None

    @model_validator(mode="after")
    def _rate(self) -> Smtp:
        if self.max_per_minute is not None and self.max_per_minute < 1:
            raise ValueError("smtp.max_per_minute must be a whole number of messages of at "
                             "least 1 (leave it out for no limit)")
        return self


class Caldav(ServerTable, UrlAddress):
    """[caldav]: the server nudger pushes the same events to."""

    section: ClassVar[str] = "caldav"
    password_words: ClassVar[str] = " (an app password)"

    username: OneLine
    calendar: OneLine | None = None  # the calendar's name or URL; default: the first one
    deadline: int | float = 120  # seconds one whole push may take (a trickling server)

    @model_validator(mode="after")
    def _deadline(self) -> Caldav:
        if self.deadline <= 0:
            raise ValueError("caldav.deadline must be a positive number of seconds")
        return self


class Imap(ServerTable, HostAddress):
    section: ClassVar[str] = "imap"
    default_ports: ClassVar[dict[str, int]] = {"tls": 993, "starttls": 143, "none": 143}

    security: Literal["tls", "starttls", "none"] = "tls"
    username: OneLine
    deadline: int | float = 300  # seconds one whole pass may take (a flood, a drip)
    poll: DurationField = Duration(10, "minutes")
    lookback: DurationField = Duration(60, "days")
    inbox: OneLine = "INBOX"
    sent: OneLine = "auto"  # auto: the RFC 6154 \\Sent folder, then common names
    drafts: OneLine = "auto"

    @model_validator(mode="after")
    def _check(self) -> Imap:
        if self.deadline <= 0:
            raise ValueError("imap.deadline must be a positive number of seconds")
        if self.poll.is_business or self.poll.amount <= 0:
            raise ValueError("imap.poll must be a positive time like \"10 minutes\"")
        if self.lookback.amount < 0 or self.lookback.unit in ("minutes", "hours",
                                                               "business_days"):
            raise ValueError("imap.lookback must be a number of days or weeks, like "
                             "\"60 days\"")
        return self
