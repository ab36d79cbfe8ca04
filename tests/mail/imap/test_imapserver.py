"""The IMAP test server itself (tests/imapserver.py): Dovecot starts as root or not, takes
planted mail in INBOX/Sent/Drafts, survives a restart on the same ports, and the fakes
misbehave as advertised."""

from __future__ import annotations

import socket
import ssl
from typing import Any

import pytest

from tests.imapserver import DropProxy, FakeImapServer

RAW = (b"From: Priya Nair <priya@fabrikam.com>\r\nTo: alex@example.com\r\n"
       b"Subject: Re: Account Executive\r\nMessage-ID: <r1@fabrikam.com>\r\n"
       b"Date: Mon, 30 Nov 2026 09:00:00 +0000\r\n\r\nThanks, let's talk.\r\n")


def test_plant_and_read_back(dovecot: Any) -> None:
    from imapclient.imapclient import DRAFTS, SENT

    uid = dovecot.append("INBOX", RAW)
    dovecot.append("Sent", RAW.replace(b"r1@", b"s1@"))
    dovecot.append("Drafts", RAW.replace(b"r1@", b"d1@"), flags=[r"\Draft"])
    assert dovecot.uids("INBOX") == [uid]
    client = dovecot.client()
    try:
        assert client.find_special_folder(SENT) == "Sent"
        assert client.find_special_folder(DRAFTS) == "Drafts"
        client.select_folder("Sent", readonly=True)
        assert len(client.search("ALL")) == 1
    finally:
        client.logout()
    # Reading with BODY.PEEK in a read-only select leaves the message unread.
    assert b"\\Seen" not in dovecot.flags("INBOX", uid)


def test_restart_keeps_ports_and_mail(private_dovecot: Any) -> None:
    dovecot = private_dovecot  # stopped below: not the shared server
    uid = dovecot.append("INBOX", RAW)
    port = dovecot.port
    dovecot.stop()
    with pytest.raises(OSError), socket.create_connection((dovecot.host, port), timeout=1):
        pass
    dovecot.start()
    assert dovecot.port == port
    assert dovecot.uids("INBOX") == [uid]


def test_wrong_password_is_refused(private_dovecot: Any) -> None:
    dovecot = private_dovecot  # a failed login slows the server's next logins (auth penalty)
    from imapclient import IMAPClient
    from imapclient.exceptions import LoginError

    client = IMAPClient(dovecot.host, port=dovecot.port, ssl=True,
                        ssl_context=dovecot.ssl_context(), timeout=5)
    with pytest.raises(LoginError):
        client.login("alex@example.com", "wrong")
    client.shutdown()


def test_certificate_is_from_the_test_ca(dovecot: Any) -> None:
    with socket.create_connection((dovecot.host, dovecot.port), timeout=5) as raw, \
            pytest.raises(ssl.SSLCertVerificationError):
        ssl.create_default_context().wrap_socket(raw, server_hostname=dovecot.host)


def test_fake_server_modes() -> None:
    with FakeImapServer("bye") as fake, socket.create_connection(
            (fake.host, fake.port), timeout=5) as sock:
        assert sock.recv(100).startswith(b"* BYE")
    with FakeImapServer("no-starttls") as fake, socket.create_connection(
            (fake.host, fake.port), timeout=5) as sock:
        assert b"STARTTLS" not in sock.recv(200)
        sock.sendall(b"a1 CAPABILITY\r\n")
        assert b"STARTTLS" not in sock.recv(200)
    with FakeImapServer("silent") as fake, socket.create_connection(
            (fake.host, fake.port), timeout=0.3) as sock, pytest.raises(TimeoutError):
        sock.recv(10)


def test_drop_proxy_cuts_the_first_fetch(dovecot: Any) -> None:
    from imapclient import IMAPClient

    dovecot.append("INBOX", RAW)
    with DropProxy(dovecot.starttls_port) as proxy:
        client = IMAPClient(proxy.host, port=proxy.port, ssl=False, timeout=5)
        client.login("alex@example.com", dovecot.password)  # loopback: plaintext allowed
        client.select_folder("INBOX", readonly=True)
        with pytest.raises((OSError, client.AbortError)):
            client.fetch([1], ["BODY.PEEK[HEADER]"])
        assert proxy.drops == 1


def test_stop_does_not_wait_on_the_zombie_master(private_dovecot: Any) -> None:
    """The master daemonizes: once SIGTERMed it lingers as a zombie nobody reaps at once,
    and a zombie still answers os.kill(pid, 0). stop() counts it as gone."""
    from tests.imapserver import _alive

    pid = private_dovecot._pid()
    assert pid is not None and _alive(pid)
    private_dovecot.stop()
    assert not _alive(pid)
    assert not _alive(2**22 + 1)  # above pid_max: no such process


def test_each_test_gets_mailboxes_nobody_touched(dovecot: Any) -> None:
    """The shared server's mail homes are wiped between tests: what one test planted is
    gone for the next, and UIDs start again at 1."""
    first = dovecot.append("INBOX", RAW)
    assert dovecot.uids("INBOX") == [first]
    dovecot.fresh_mailboxes()
    assert dovecot.uids("INBOX") == []
    assert dovecot.append("INBOX", RAW) == 1
