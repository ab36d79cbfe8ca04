"""A canary IMAP password, debug logging, a good login and a refused one: the password
appears in no output, log line, error, file or database row, in clear or in the base64
forms IMAP AUTHENTICATE PLAIN puts on the wire."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import BASE_CONFIG, imap_table, run_installed
from tests.e2e.conftest import assert_never_leaks
from tests.imapserver import MISSING_REASON, Dovecot, available
from tests.mail.imap.test_mail_sync import mail

CANARY = "canary-1mapPa55-9c41d2"
WRONG = "canary-Wr0ng-imap-55e0aa"


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
                          + imap_table(server), encoding="utf-8")
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
    assert_never_leaks((CANARY, WRONG), outputs, home)
