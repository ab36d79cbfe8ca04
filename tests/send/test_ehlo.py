"""The name nudger gives in EHLO: the FQDN when there is one, else the From address's
domain, `[smtp] helo` above both; seen by a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import asyncio
import socket
from email.message import EmailMessage
from pathlib import Path

import pytest

from nudger.config import parse_settings
from nudger.send.delivery import SmtpTransport, ehlo_name
from tests.smtpserver import SmtpServer

CONFIG = """\
[profile]
email = "sam@real.example"
[delivery]
from = "nudger <digest@mail.sam.example>"
"""


def settings_for(tmp: Path, extra: str = "") -> object:
    return parse_settings(CONFIG + extra, tmp / "config.toml")


@pytest.mark.parametrize(("fqdn", "expected"), [
    ("laptop.home.example", "laptop.home.example"),
    ("Laptop.Home.Example.", "laptop.home.example"),
    ("localhost", "mail.sam.example"),
    ("localhost.localdomain", "mail.sam.example"),
    ("vm", "mail.sam.example"),  # no dot: not a fully qualified name
    ("box.local", "mail.sam.example"),
    ("127.0.0.1", "mail.sam.example"),
])
def test_the_best_name_there_is(tmp_path: Path, fqdn: str, expected: str) -> None:
    assert ehlo_name(settings_for(tmp_path), fqdn) == expected  # type: ignore[arg-type]


def test_from_defaults_to_the_profile_email(tmp_path: Path) -> None:
    settings = parse_settings('[profile]\nemail = "sam@real.example"\n', tmp_path / "c.toml")
    assert ehlo_name(settings, "localhost") == "real.example"


def _send(settings: object) -> None:
    message = EmailMessage()
    message["From"] = "digest@mail.sam.example"
    message["To"] = "sam@real.example"
    message["Subject"] = "hello"
    message.set_content("hi")

    async def go() -> None:
        transport = SmtpTransport(settings, {})  # type: ignore[arg-type]
        async with transport:
            await transport.send(message)

    asyncio.run(go())


def test_the_server_sees_it(tmp_path: Path) -> None:
    with SmtpServer("plain") as server:
        settings = settings_for(tmp_path, server.smtp_config(tmp_path))
        _send(settings)
        ehlo = [arg for verb, arg in server.commands if verb == "EHLO"]
        expected = ehlo_name(settings, socket.getfqdn())  # type: ignore[arg-type]
        assert ehlo == [expected]
        assert ehlo[0] not in ("localhost", socket.gethostname()) or "." in ehlo[0]

        server.reset()
        configured = settings_for(tmp_path, server.smtp_config(tmp_path)
                                  + 'helo = "relay.sam.example"\n')
        _send(configured)
        assert [arg for verb, arg in server.commands if verb == "EHLO"] == \
            ["relay.sam.example"]
