"""Command mail when things fail: the IMAP connection dropped after a command was carried
out but before the pass recorded the folder's state (the next pass must not run it again),
and the SMTP server down for the confirmation (retried at the next pass, never blocking)."""

from __future__ import annotations

from typing import Any

from tests.conftest import Home, rows
from tests.imapserver import DropProxy
from tests.mail.imap.test_mail_faults import PASSWORD, fake_config
from tests.mail.imap.test_mail_sync import mail
from tests.smtpserver import SmtpServer


def tap(home: Home, command: str) -> bytes:
    from datetime import UTC, date, datetime, timedelta

    from nudger.store.models import DigestRecord

    # A reply to a digest nudger sent yesterday (its In-Reply-To names it): a Done/Skip
    # button's own token is pinned to a step, and these tests are about exactly-once, not
    # about buttons.
    digest_id = "<nudger-digest.fault.0123456789abcdef01234567@example.com>"
    now = datetime.now(UTC)
    with home.open_db().session() as s:
        s.add(DigestRecord(recipient="alex@example.com",
                           local_date=date.today() - timedelta(days=1),
                           message_id=digest_id, state="sent", created_at=now,
                           updated_at=now))
    return mail("Alex Rivera <alex@example.com>", "alex+nudger@example.com",
                f"Re: nudger: {command}", "tap-1@example.com",
                extra=f"In-Reply-To: {digest_id}\r\n", body=f"{command}\n")


def test_a_drop_after_the_command_ran_never_runs_it_twice(home: Home, dovecot: Any,
                                                          monkeypatch: Any) -> None:
    monkeypatch.setenv("NUDGER_IMAP_PASSWORD", PASSWORD)
    with SmtpServer("plain") as smtp, \
            DropProxy(dovecot.starttls_port, trigger=b"FETCH", after=3) as proxy:
        home.write_config(fake_config(proxy.host, proxy.port, "none", timeout=5)
                          + smtp.smtp_config(home.root))
        home.ok("add", "Fabrikam", "AE", "--applied", "10 days ago",
                "--contact", "Priya Nair <priya@fabrikam.com>")
        # The command first, then a reply whose snippet fetch is cut off.
        dovecot.append("INBOX", tap(home, "done 1"))
        dovecot.append("INBOX", mail("priya@fabrikam.com", "alex@example.com",
                                     "Re: AE", "r1@fabrikam.com"))
        result = home.run("mail", "sync")
        assert result.code == 1 and "Traceback" not in result.err
        assert proxy.drops == 1
        # Carried out and recorded together; the folder's state was not saved.
        assert rows(home, "SELECT count(*) FROM touch") == [(1,)]
        assert rows(home, "SELECT count(*) FROM mailfolder WHERE folder = 'INBOX'") == [(0,)]
        # Its confirmation still went out (after the failed pass), once.
        assert len(smtp.wait_for_messages(1)) == 1
        proxy.armed.clear()
        home.ok("mail", "sync")  # reads both messages again
        home.ok("mail", "sync")
        assert rows(home, "SELECT count(*) FROM touch") == [(1,)]
        assert rows(home, "SELECT count(*) FROM mailcommand") == [(1,)]
        assert len(smtp.messages) == 1


def test_the_smtp_server_down_for_the_confirmation(home: Home, dovecot: Any,
                                                   monkeypatch: Any) -> None:
    from tests.conftest import imap_config

    monkeypatch.setenv("NUDGER_IMAP_PASSWORD", PASSWORD)
    with SmtpServer("plain", replies={"MAIL": ["421 4.3.2 going down"]}) as smtp:
        home.write_config(imap_config(dovecot) + smtp.smtp_config(home.root))
        home.ok("add", "Fabrikam", "AE", "--applied", "10 days ago")
        dovecot.append("INBOX", tap(home, "skip 1"))
        out = home.ok("mail", "sync")  # the sync itself succeeds
        assert "confirmation 1: will retry" in out
        assert rows(home, "SELECT count(*) FROM touch WHERE skipped") == [(1,)]
        assert rows(home, "SELECT reply_state FROM mailcommand") == [("retry",)]
        assert smtp.messages == []
