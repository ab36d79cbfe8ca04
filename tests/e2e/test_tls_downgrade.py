"""Scenario 3: no STARTTLS offered, a self-signed certificate, a wrong host name.

In each case nudger refuses to go on: the server never sees AUTH or MAIL, so neither the
password nor the digest ever crosses the wire in the clear or to the wrong party.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import trustme

from tests.e2e.conftest import CONFIG, World
from tests.smtpserver import SmtpServer


def configure(world: World, server: SmtpServer, ca_file: Path) -> None:
    text = CONFIG.format(time="07:30") + (
        "\n[smtp]\n"
        f'host = "127.0.0.1"\nport = {server.port}\nsecurity = "{world_security(server)}"\n'
        f'ca_file = "{ca_file}"\nusername = "alex@example.com"\n'
        'password_env = "NUDGER_SMTP_PASSWORD"\ntimeout = 5\n'
    )
    world.config.write_text(text)


def world_security(server: SmtpServer) -> str:
    return "tls" if server.mode == "tls" else "starttls"


def other_ca(directory: Path) -> Path:
    path = directory / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(path))
    return path


@pytest.mark.parametrize(
    ("case", "mode", "hosts", "trusted", "needle"),
    [
        ("no STARTTLS offered", "plain", ("127.0.0.1",), True, "STARTTLS"),
        ("self-signed (untrusted) certificate", "starttls", ("127.0.0.1",), False,
         "certificate"),
        ("wrong host name", "starttls", ("mail.other.example",), True, "certificate"),
        ("implicit TLS, wrong host name", "tls", ("mail.other.example",), True,
         "certificate"),
    ],
)
def test_downgrade_is_refused(world: World, tmp_path: Path, case: str, mode: str,
                              hosts: tuple[str, ...], trusted: bool, needle: str) -> None:
    with SmtpServer(mode, password="hunter2", cert_hosts=hosts) as server:  # type: ignore[arg-type]
        ca = server.ca_file(tmp_path) if trusted else other_ca(tmp_path)
        configure(world, server, ca)
        result = world.run("digest", "--send", NUDGER_SMTP_PASSWORD="hunter2")
        assert result.returncode == 1, (case, result.stdout, result.stderr)
        assert needle.lower() in result.stderr.lower(), (case, result.stderr)
        assert "Traceback" not in result.stderr
        verbs = server.verbs()
        assert "AUTH" not in verbs and "MAIL" not in verbs, (case, verbs)
        assert server.messages == []
        assert server.logins == []
        assert "hunter2" not in result.stdout + result.stderr
