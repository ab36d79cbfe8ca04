"""`nudger check --imap` and `nudger mail sync` against servers that fail: one clear line
naming the server and what to do, exit 1, no traceback, the password never sent before
TLS, nothing recorded twice or lost, and the next pass recovers."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from tests.conftest import BASE_CONFIG, Home, imap_config
from tests.imapserver import Dovecot, DropProxy, FakeImapServer, available
from tests.smtpserver import refused_port

PASSWORD = "secret"


def fake_config(host: str, port: int, security: str, timeout: float = 2, extra: str = ""
                ) -> str:
    return BASE_CONFIG + f"""
[imap]
host = "{host}"
port = {port}
security = "{security}"
username = "alex@example.com"
password_env = "NUDGER_IMAP_PASSWORD"
timeout = {timeout}
{extra}"""


def one_line_error(result: Any) -> str:
    assert result.code == 1, result
    assert "Traceback" not in result.err
    # `check` also warns about the sample profile BASE_CONFIG carries: not the error.
    lines = [line for line in result.err.splitlines()
             if line.strip() and "still the shipped example" not in line]
    assert len(lines) == 1, result.err
    assert PASSWORD not in result.err and PASSWORD not in result.out
    return lines[0]


def test_check_imap_reports_what_it_verified(home: Home, dovecot: Any, monkeypatch: Any
                                             ) -> None:
    monkeypatch.setenv("NUDGER_IMAP_PASSWORD", PASSWORD)
    for security in ("tls", "starttls"):
        home.write_config(imap_config(dovecot, security=security))
        out = home.ok("check", "--imap")
        assert "TLS verified" in out and "logged in as alex@example.com" in out
        assert "sent: Sent (special-use \\Sent)" in out
        assert "drafts: Drafts (special-use \\Drafts)" in out
        assert "password from environment variable NUDGER_IMAP_PASSWORD" in out
        assert "logged out" in out and "all checks passed" in out


def test_wrong_password(home: Home, private_dovecot: Any, monkeypatch: Any) -> None:
    # Its own server: Dovecot delays every login from an address that failed one lately
    # (auth penalty), which would slow the shared server's next tests past their timeouts.
    dovecot = private_dovecot
    monkeypatch.setenv("NUDGER_IMAP_PASSWORD", "not-the-password")
    home.write_config(imap_config(dovecot))
    line = one_line_error(home.run("check", "--imap"))
    assert "login refused for 'alex@example.com'" in line and "app password" in line
    assert "not-the-password" not in line


def test_bad_certificate(home: Home, tmp_path: Any, monkeypatch: Any) -> None:
    if not available():
        pytest.skip("dovecot is not installed")
    monkeypatch.setenv("NUDGER_IMAP_PASSWORD", PASSWORD)
    with Dovecot(tmp_path, cert_hosts=("imap.other.example",)) as server:
        home.write_config(imap_config(server))
        line = one_line_error(home.run("check", "--imap"))
        assert "bad certificate" in line and "imap.ca_file" in line
    # No ca_file at all: the system store does not know the test CA either.
    with Dovecot(tmp_path) as server:
        home.write_config(imap_config(server).replace(f'ca_file = "{server.ca_file}"\n', ""))
        assert "bad certificate" in one_line_error(home.run("mail", "sync"))


def test_no_starttls_offered_never_sends_the_password(home: Home, monkeypatch: Any) -> None:
    monkeypatch.setenv("NUDGER_IMAP_PASSWORD", PASSWORD)
    with FakeImapServer("no-starttls") as fake:
        home.write_config(fake_config(fake.host, fake.port, "starttls"))
        line = one_line_error(home.run("check", "--imap"))
        assert "STARTTLS is not offered" in line
        assert not any("LOGIN" in got.upper() or PASSWORD in got for got in fake.received)


def test_folder_not_found_lists_the_folders(home: Home, dovecot: Any, monkeypatch: Any
                                            ) -> None:
    monkeypatch.setenv("NUDGER_IMAP_PASSWORD", PASSWORD)
    home.write_config(imap_config(dovecot, extra='sent = "Sent Items"\n'))
    line = one_line_error(home.run("check", "--imap"))
    assert "folder 'Sent Items' (imap.sent) not found" in line
    assert "Drafts" in line and "INBOX" in line and "Junk" in line


@pytest.mark.parametrize("mode,expect", [
    ("down", "connection refused"),
    ("silent", "no answer within 1 s"),
    ("stall", "no answer within 1 s"),
    ("bye", "closed the connection"),
])
def test_unreachable_servers(home: Home, monkeypatch: Any, mode: str, expect: str) -> None:
    monkeypatch.setenv("NUDGER_IMAP_PASSWORD", PASSWORD)
    if mode == "down":
        with refused_port() as port:
            home.write_config(fake_config("127.0.0.1", port, "tls", timeout=1))
            line = one_line_error(home.run("mail", "sync"))
    else:
        with FakeImapServer(mode) as fake:  # type: ignore[arg-type]
            home.write_config(fake_config(fake.host, fake.port, "none", timeout=1))
            line = one_line_error(home.run("mail", "sync"))
    assert expect in line and "127.0.0.1" in line
    # The failure is kept for `status` and the digest footer.
    con = sqlite3.connect(home.db_path)
    failures, error = con.execute("SELECT failures, last_error FROM mailsync").fetchone()
    con.close()
    assert failures == 1 and expect in error


def count(home: Home, table: str) -> int:
    con = sqlite3.connect(home.db_path)
    try:
        return int(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        con.close()


def test_drop_mid_fetch_loses_nothing_and_doubles_nothing(home: Home, dovecot: Any,
                                                          monkeypatch: Any) -> None:
    from tests.mail.imap.test_mail_sync import mail

    monkeypatch.setenv("NUDGER_IMAP_PASSWORD", PASSWORD)
    with DropProxy(dovecot.starttls_port, trigger=b"FETCH", after=1) as proxy:
        home.write_config(fake_config(proxy.host, proxy.port, "none", timeout=5))
        home.ok("add", "Fabrikam", "AE", "--applied", "2026-11-16",
                "--contact", "Priya Nair <priya@fabrikam.com>")
        dovecot.append("Sent", mail("alex@example.com", "priya@fabrikam.com",
                                    "Following up", "f1@example.com"))
        line = one_line_error(home.run("mail", "sync"))
        assert "closed the connection" in line and "next poll" in line
        assert proxy.drops == 1
        assert count(home, "touch") == 0 and count(home, "mailfolder") == 0
        proxy.armed.clear()  # the next poll gets through
        out = home.ok("mail", "sync")
        assert "logged an email touch" in out
        home.ok("mail", "sync")
        assert count(home, "touch") == 1 and count(home, "mailmessage") == 1
    con = sqlite3.connect(home.db_path)
    assert con.execute("SELECT failures, last_error FROM mailsync").fetchone() == (0, "")
    con.close()


@pytest.mark.slow
def test_a_30_mb_message_is_never_downloaded(home: Home, dovecot: Any, monkeypatch: Any
                                             ) -> None:
    from tests.mail.imap.test_mail_sync import mail

    monkeypatch.setenv("NUDGER_IMAP_PASSWORD", PASSWORD)
    big = mail("priya@fabrikam.com", "alex@example.com", "Re: the deck", "big@fabrikam.com",
               body="Here is the deck.\n" + ("x" * 998 + "\n") * 30_000)
    assert len(big) > 30_000_000
    dovecot.append("INBOX", big)
    with DropProxy(dovecot.starttls_port) as proxy:
        proxy.armed.clear()
        home.write_config(fake_config(proxy.host, proxy.port, "none", timeout=20))
        home.ok("add", "Fabrikam", "AE", "--applied", "2026-11-16",
                "--contact", "Priya Nair <priya@fabrikam.com>")
        out = home.ok("mail", "sync")
        assert "reply" in out
        assert proxy.bytes_down < 200_000
    con = sqlite3.connect(home.db_path)
    assert con.execute("SELECT snippet FROM mailmessage").fetchone()[0].startswith(
        "Here is the deck.")
    con.close()
