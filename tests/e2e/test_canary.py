"""Scenario 9: a canary SMTP password, debug logging, and a 535 refusal.

The password must not appear in any output, log line, error, file or database row, in
clear or in the base64 forms SMTP AUTH puts on the wire.
"""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import CONFIG, World, assert_never_leaks, wait_for
from tests.smtpserver import SmtpServer

CANARY = "canary-Pa55w0rd-7f3e9b"
MORNING = "@2027-02-01 13:00:00"


def test_canary_password_never_leaks(tmp_path: Path) -> None:
    root = tmp_path / "w"
    root.mkdir()
    (root / "home").mkdir()
    with SmtpServer("starttls", password="the-right-one") as server:
        world = World(root, server)
        world.config.write_text(
            CONFIG.format(time="07:30")
            + "\n[smtp]\n"
            + f'host = "127.0.0.1"\nport = {server.port}\nsecurity = "starttls"\n'
            + f'ca_file = "{server.ca_file(root)}"\nusername = "alex@example.com"\n'
            + 'password_env = "NUDGER_SMTP_PASSWORD"\ntimeout = 5\n')
        env = {"NUDGER_SMTP_PASSWORD": CANARY}
        outputs: list[str] = []
        for args in (("init",), ("add", "Acme", "AE", "--applied", "2027-01-20"),
                     ("check",), ("check", "--smtp"), ("test-email",),
                     ("digest", "--send"), ("run", "--once"), ("status",)):
            result = world.run(*args, faketime=MORNING, **env)
            outputs += [result.stdout, result.stderr]
        assert any("535" in o for o in outputs), "the server should have refused the login"
        proc = world.spawn("run", faketime=MORNING, **env)
        wait_for(lambda: bool(server.logins), timeout=10)
        proc.terminate()
        out, err = proc.communicate(timeout=15)
        outputs += [out, err]
        assert server.logins and not any(ok for _, ok in server.logins)

    assert_never_leaks((CANARY,), outputs, root)
