"""A canary IMAP password, debug logging, a good login and a refused one: the password
appears in no output, log line, error, file or database row, in clear or in the base64
forms IMAP AUTHENTICATE PLAIN puts on the wire."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from tests.conftest import BASE_CONFIG, run_installed
from tests.imapserver import MISSING_REASON, Dovecot, available
from tests.test_mail_sync import mail

CANARY = "canary-1mapPa55-9c41d2"
WRONG = "canary-Wr0ng-imap-55e0aa"


def forms(secret: str) -> list[bytes]:
    user = b"alex@example.com"
    raw = secret.encode()
    return [raw, base64.b64encode(raw), base64.b64encode(b"\0" + user + b"\0" + raw),
            base64.b64encode(user + b"\0" + user + b"\0" + raw)]


@pytest.mark.slow
@pytest.mark.skipif(not available(), reason=MISSING_REASON)
def test_canary_imap_password_never_leaks(tmp_path: Path) -> None:
    home = tmp_path / "home"
    config = home / ".config/nudger/config.toml"
    config.parent.mkdir(parents=True)
    outputs: list[str] = []
    with Dovecot(tmp_path, password=CANARY) as server:
        server.append("Sent", mail("alex@example.com", "priya@fabrikam.com", "Following up",
                                   "c1@example.com"))
        server.append("INBOX", mail("priya@fabrikam.com", "alex@example.com", "Re: hi",
                                    "c2@fabrikam.com", body=f"password? {CANARY[:6]}\n"))
        config.write_text(BASE_CONFIG.replace('database = "nudger.db"',
                                              'database = "nudger.db"\nlog_level = "debug"')
                          + f"""
[imap]
host = "{server.host}"
port = {server.port}
username = "alex@example.com"
password_env = "NUDGER_IMAP_PASSWORD"
ca_file = "{server.ca_file}"
timeout = 5
""", encoding="utf-8")
        base = {"HOME": str(home), "XDG_DATA_HOME": str(home / ".local/share"),
                "NUDGER_CONFIG": str(config)}
        runs = [(CANARY, ("add", "Fabrikam", "AE", "--applied", "2026-11-16", "--contact",
                          "Priya <priya@fabrikam.com>")),
                (CANARY, ("check", "--imap")), (CANARY, ("mail", "sync", "--json")),
                (WRONG, ("check", "--imap")), (WRONG, ("run", "--once")),
                (WRONG, ("status",)), (WRONG, ("digest",))]
        for password, args in runs:
            result = run_installed(*args, env={**base, "NUDGER_IMAP_PASSWORD": password})
            outputs += [result.stdout, result.stderr]
    text = "\n".join(outputs)
    assert "logged in as alex@example.com" in text
    assert "login refused" in text
    blob = text.encode()
    for secret in (CANARY, WRONG):
        for form in forms(secret):
            assert form not in blob, f"{form!r} in command output"
    for path in home.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for secret in (CANARY, WRONG):
                for form in forms(secret):
                    assert form not in data, f"{form!r} in {path}"
