"""`nudger status` and `nudger test-email` through the CLI entry point, and the canary:
the SMTP password never appears in any output, log record, error or the database."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from nudger.config import parse_settings
from nudger.send.outbox import Outcome, send_digest
from nudger.store.db import Database
from nudger.when.business import Calendar
from tests.clock import frozen
from tests.conftest import BASE_CONFIG, Home
from tests.send.test_outbox import SmallCompose
from tests.smtpserver import SmtpServer

CANARY = "canary-Pw-7f3e9a"
NOW = datetime(2026, 11, 26, 13, 30, tzinfo=UTC)  # Thursday 07:30 in Chicago


def smtp_home(home: Home, server: SmtpServer, username: str | None = None) -> None:
    extra = server.smtp_config(home.config.parent, username=username, timeout=3)
    if username:
        extra += 'password_env = "NUDGER_SMTP_PASSWORD"\n'
    home.write_config(BASE_CONFIG + extra)


def send(home: Home, day: date, now: datetime, env: dict[str, str] | None = None) -> object:
    settings = parse_settings(home.config.read_text(), home.config)
    db = Database(home.db_path)
    db.ensure()
    try:
        return asyncio.run(send_digest(settings, db, Calendar.from_settings(settings), day,
                                       now, compose=SmallCompose(), env=env or {}))
    finally:
        db.dispose()


def test_test_email_into_the_default_maildir(home: Home) -> None:
    out = home.ok("test-email")
    assert "sent a test message to alex@example.com (maildir)" in out
    assert "read it with: mutt -f" in out
    import mailbox

    box = mailbox.Maildir(home.config.parent / "Maildir", create=False)
    assert [m["Subject"] for m in box] == ["nudger test message"]


def test_test_email_through_smtp(home: Home, monkeypatch: pytest.MonkeyPatch) -> None:
    with SmtpServer("starttls", password="pw") as server:
        smtp_home(home, server, username="alex")
        monkeypatch.setenv("NUDGER_SMTP_PASSWORD", "pw")
        out = home.ok("test-email")
        assert f"accepted by 127.0.0.1:{server.port}: 250" in out
        assert server.messages[0].message["Subject"] == "nudger test message"


def test_test_email_failure_is_one_line_exit_1(home: Home) -> None:
    with SmtpServer("plain", replies={"DATA": "554 5.7.1 rejected"}) as server:
        smtp_home(home, server)
        result = home.run("test-email")
    assert result.code == 1
    assert result.err.strip() == (f"nudger: delivery to 127.0.0.1:{server.port} failed: "
                                  "554 5.7.1 rejected (in reply to DATA)")
    assert "Traceback" not in result.err


def test_status_on_a_fresh_install(home: Home) -> None:
    with frozen(NOW):
        out = home.ok("status")
    assert "next digest:  Fri 2026-11-27 07:30 CST to alex@example.com" in out
    assert "today:        not sent yet" in out
    assert "last sent:    never" in out
    assert "problems:     none" in out


def test_status_shows_sent_retrying_and_failed(home: Home) -> None:
    with SmtpServer("plain", replies={"DATA": ["550 5.1.1 Mailbox unavailable"]}) as server:
        smtp_home(home, server)
        day = date(2026, 11, 26)
        assert send(home, day - timedelta(days=2), NOW - timedelta(days=2)).outcome == \
            Outcome.FAILED  # type: ignore[attr-defined]
        assert send(home, day - timedelta(days=1), NOW - timedelta(days=1)).outcome == \
            Outcome.SENT  # type: ignore[attr-defined]
        server.handler.replies["DATA"] = ["451 4.3.0 Try again later"]
        assert send(home, day, NOW).outcome == Outcome.RETRY  # type: ignore[attr-defined]
    with frozen(NOW + timedelta(seconds=10)):
        out = home.ok("status")
        data = json.loads(home.ok("status", "--json"))
    assert "today:        waiting to retry at Thu 2026-11-26 07:31 CST" in out
    assert "last sent:    the digest of 2026-11-25 at Wed 2026-11-25 07:30 CST" in out
    assert "retrying:     the digest of 2026-11-26, attempt 1, next at" in out
    assert "451 4.3.0 Try again later" in out
    assert "failed:       the digest of 2026-11-24: 550 delivery to" in out
    assert "550 5.1.1 Mailbox unavailable" in out
    assert data["next_digest_at"] == "2026-11-27T07:30:00-06:00"
    assert data["retrying"][0]["code"] == 451
    assert data["failed"][0]["code"] == 550
    assert data["last_sent"]["local_date"] == "2026-11-25"


def test_the_password_never_leaks(home: Home, monkeypatch: pytest.MonkeyPatch,
                                  caplog: pytest.LogCaptureFixture) -> None:
    """Plant a canary password; exercise success, a 535 refusal, status and the outbox;
    search every output, log record, error text and the database files for it."""
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("NUDGER_SMTP_PASSWORD", CANARY)
    seen: list[str] = []
    with SmtpServer("starttls", password=CANARY) as good:
        smtp_home(home, good, username="alex")
        result = home.run("test-email")
        assert result.code == 0, result.err
        seen += [result.out, result.err]
        assert good.logins == [("alex", True)]
    with SmtpServer("starttls", password="something-else") as bad:
        smtp_home(home, bad, username="alex")
        result = home.run("test-email")
        assert result.code == 1 and "535" in result.err
        seen += [result.out, result.err]
        outcome = send(home, date(2026, 11, 26), NOW, env={"NUDGER_SMTP_PASSWORD": CANARY})
        assert outcome.outcome == Outcome.FAILED  # type: ignore[attr-defined]
        assert "535" in outcome.detail  # type: ignore[attr-defined]
        seen.append(repr(outcome))
    for args in (("status",), ("status", "--json")):
        result = home.run(*args)
        seen += [result.out, result.err]
    seen.append(caplog.text)
    for record in caplog.records:
        seen += [record.getMessage(), str(record.exc_text or ""), repr(record.args)]
    encoded = base64.b64encode(CANARY.encode()).decode()
    for text in seen:
        assert CANARY not in text
        assert encoded not in text
    for path in Path(home.db_path.parent).glob("nudger.db*"):
        data = path.read_bytes()
        assert CANARY.encode() not in data, path
        assert encoded.encode() not in data, path
