"""`digest --send [--force]` and `check --smtp` through the CLI entry point, with the
real digest: once a day, a clean one-line failure, the notice in the next digest."""

from __future__ import annotations

import base64
import logging
import mailbox
from datetime import UTC, datetime, timedelta

import pytest

from tests.clock import frozen
from tests.conftest import BASE_CONFIG, Home
from tests.smtpserver import SmtpServer

NOW = datetime(2026, 11, 26, 13, 45, tzinfo=UTC)  # Thursday 07:45 in Chicago
CANARY = "canary-Check-51c0d2"


def with_application(home: Home) -> None:
    with frozen(NOW):
        home.ok("add", "Northwind Traders", "Account Executive", "--applied", "2026-11-20",
                "--contact", "Dana Lee <dana@northwind.example>")


def smtp_home(home: Home, server: SmtpServer, username: str | None = None) -> None:
    extra = server.smtp_config(home.config.parent, username=username, timeout=3)
    if username:
        extra += 'password_env = "NUDGER_SMTP_PASSWORD"\n'
    home.write_config(BASE_CONFIG + extra)


def test_send_once_into_the_default_maildir(home: Home) -> None:
    with_application(home)
    with frozen(NOW):
        out = home.ok("digest", "--send")
        assert "sent the digest of 2026-11-26 to alex@example.com: written to" in out
        maildir = home.config.parent / "Maildir"
        assert f"read it with: mutt -f {maildir}" in out
        again = home.ok("digest", "--send")
        assert again.startswith("nothing sent: the digest of 2026-11-26 was sent at "
                                "2026-11-26 07:45")
        forced = home.ok("digest", "--send", "--force")
        assert "sent the digest of 2026-11-26" in forced
    messages = list(mailbox.Maildir(maildir, create=False))
    assert len(messages) == 2
    # --force on a day already sent is a new message: a new Message-ID (a store that drops
    # duplicates by Message-ID would otherwise discard it).
    assert messages[0]["Message-ID"] != messages[1]["Message-ID"]
    assert "Northwind" in str(messages[0]["Subject"])


def test_nothing_due_sends_nothing_and_says_so(home: Home) -> None:
    with frozen(NOW):
        out = home.ok("digest", "--send")
    assert "nothing sent: nothing is due on 2026-11-26" in out
    assert not (home.config.parent / "Maildir").exists()


def test_force_needs_send(home: Home) -> None:
    result = home.run("digest", "--force")
    assert result.code == 2 and "--force goes with --send" in result.err


def test_permanent_failure_is_one_line_exit_1(home: Home) -> None:
    with_application(home)
    with SmtpServer("plain", replies={"DATA": "550 5.1.1 Mailbox unavailable"}) as server, \
            frozen(NOW):
        smtp_home(home, server)
        result = home.run("digest", "--send")
    assert result.code == 1
    assert result.err == (f"nudger: delivery to 127.0.0.1:{server.port} failed: 550 5.1.1 "
                          "Mailbox unavailable (in reply to DATA)\n")


def test_transient_failure_says_when_it_is_retried(home: Home) -> None:
    with_application(home)
    with SmtpServer("plain", replies={"MAIL": ["451 4.3.0 Try again later"]}) as server, \
            frozen(NOW):
        smtp_home(home, server)
        result = home.run("digest", "--send")
        assert result.code == 1
        assert "451 4.3.0 Try again later" in result.err
        assert "the daemon retries it at 07:46" in result.err
        assert "waiting to retry" in home.ok("digest", "--send")
        assert "sent the digest" in home.ok("digest", "--send", "--force")
        assert len(server.messages) == 1


def test_the_next_digest_says_which_one_failed(home: Home) -> None:
    with_application(home)
    with SmtpServer("plain", replies={"DATA": ["554 5.7.1 Rejected"]}) as server:
        smtp_home(home, server)
        with frozen(NOW):
            assert home.run("digest", "--send").code == 1
        with frozen(NOW + timedelta(days=1)):
            assert "sent the digest of 2026-11-27" in home.ok("digest", "--send")
        (message,) = [m.message for m in server.messages]
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "554 5.7.1 Rejected" in text
    assert "26 November" in text


def test_check_smtp_verifies_without_sending(home: Home,
                                             monkeypatch: pytest.MonkeyPatch,
                                             caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("NUDGER_SMTP_PASSWORD", CANARY)
    with SmtpServer("starttls", password=CANARY) as server:
        smtp_home(home, server, username="alex")
        out = home.ok("check", "--smtp")
        assert server.messages == [] and "MAIL" not in server.verbs()
        assert server.logins == [("alex", True)]
    assert f"smtp 127.0.0.1:{server.port}: ok" in out
    assert "STARTTLS: TLSv1." in out and "certificate verified for 127.0.0.1" in out
    assert "logged in as alex" in out and "quit without sending" in out
    assert "password from environment variable NUDGER_SMTP_PASSWORD" in out
    with SmtpServer("starttls", password="other") as refusing:
        smtp_home(home, refusing, username="alex")
        failed = home.run("check", "--smtp")
    assert failed.code == 1 and "535" in failed.err
    encoded = base64.b64encode(CANARY.encode()).decode()
    for text in (out, failed.out, failed.err, caplog.text):
        assert CANARY not in text and encoded not in text


def test_check_smtp_without_smtp_table(home: Home) -> None:
    result = home.run("check", "--smtp")
    assert result.code == 1
    assert "no [smtp] table" in result.err


def test_check_smtp_no_starttls_is_refused(home: Home) -> None:
    with SmtpServer("plain") as server:
        twin = SmtpServer("starttls")
        twin.port = server.port
        home.write_config(BASE_CONFIG + twin.smtp_config(home.config.parent))
        result = home.run("check", "--smtp")
        assert server.verbs() == ["EHLO"]
    assert result.code == 1
    assert "does not offer STARTTLS" in result.err


def test_a_half_sent_day_is_finished_by_force(home: Home) -> None:
    """A `digest --send` killed mid-send leaves 'sending'; a new run explains, --force
    finishes it with the same Message-ID."""
    import socket
    import subprocess
    import sys

    from nudger.store.db import Database
    from nudger.store.models import DigestRecord

    with_application(home)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    db = Database(home.db_path)
    with db.session() as s:
        s.add(DigestRecord(recipient="alex@example.com", local_date=NOW.date(),
                           message_id="<left@nudger.test>", state="sending", attempts=1,
                           claimed_by=f"{socket.gethostname()}:{dead}",
                           created_at=NOW, updated_at=NOW))
    db.dispose()
    with frozen(NOW + timedelta(minutes=1)):
        out = home.ok("digest", "--send")
        assert "left half-sent at 2026-11-26 07:45" in out and "--force" in out
        assert "sent the digest of 2026-11-26" in home.ok("digest", "--send", "--force")
    (message,) = list(mailbox.Maildir(home.config.parent / "Maildir", create=False))
    assert message["Message-ID"] == "<left@nudger.test>"


def test_send_refuses_a_future_day(home: Home) -> None:
    with frozen(NOW):
        result = home.run("digest", "--send", "--date", "tomorrow")
    assert result.code == 2 and "not 2026-11-27's" in result.err
