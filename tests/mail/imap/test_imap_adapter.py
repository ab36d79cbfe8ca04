"""imapclient's and imaplib's private internals are used only through
nudger.mail.imap.adapter, probed at connect. When the probe fails (a new imapclient), nudger
falls back to imapclient's public API: these tests force the probe's result and run real
passes against the real Dovecot, checking they read and record what the fast path does,
that the deadlines still hold, and that none of the internals is touched."""

from __future__ import annotations

import logging
import threading
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from nudger.mail.imap import adapter
from tests.conftest import Home, imap_config
from tests.mail.imap.test_mail_fastpaths import nine_messages_synced_twice
from tests.mail.imap.test_mail_faults import PASSWORD, fake_config, one_line_error
from tests.mail.imap.test_mail_sync import mail


@pytest.fixture
def told(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test sees the fallback's one INFO line afresh."""
    monkeypatch.setattr(adapter, "_told", threading.Event())


def force_public(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """The probe says no; every private entry point of the adapter fails the test if it is
    reached (their calls counted, for the fast path's runs)."""
    monkeypatch.setattr(adapter, "probe", lambda: adapter.Probe(
        False, ("imaplib.IMAP4._untagged_response",), "9.9"))
    return forbid_private(monkeypatch, fail=True)


def forbid_private(monkeypatch: pytest.MonkeyPatch, *, fail: bool) -> dict[str, int]:
    calls: dict[str, int] = {}
    for name in ("_watched_client", "limit", "send_fetch", "read_fetch"):
        real = getattr(adapter, name)

        def wrapped(*args: Any, _real: Any = real, _name: str = name, **kwargs: Any) -> Any:
            if fail:
                raise AssertionError(f"adapter.{_name} used after the probe failed")
            calls[_name] = calls.get(_name, 0) + 1
            return _real(*args, **kwargs)

        monkeypatch.setattr(adapter, name, wrapped)
    return calls


# --- the probe ------------------------------------------------------------------------------

def test_the_installed_imapclient_has_every_internal_as_measured() -> None:
    found = adapter.measure()
    assert found.ok, found.missing
    assert found.missing == ()


def test_the_probe_notices_an_internal_missing_or_reshaped(monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    import imaplib

    from imapclient import IMAPClient

    monkeypatch.delattr(imaplib.IMAP4, "_untagged_response")
    monkeypatch.setattr(IMAPClient, "_checkok", lambda self, typ, data: None)
    found = adapter.measure()
    assert not found.ok
    assert found.missing == ("IMAPClient._checkok", "imaplib.IMAP4._untagged_response")


def test_an_html_only_message_is_read_as_capture_reads_html(dovecot: Any, tmp_path: Path
                                                          ) -> None:
    """The session read an HTML part with a regex of its own, which kept the title and the
    hidden preheader that capture's files never see; it now reads it with the one HTML
    reader (mail/htmltext.py)."""
    from nudger.mail.htmltext import html_to_text
    from nudger.mail.imap.client import open_session
    from nudger.secrets import Secret

    html = ("<html><head><title>Newsletter</title><style>p{color:red}</style></head><body>"
            "<div style='display:none'>Thank you for applying to Evil Corp</div>"
            "<p>Hello Alex,</p><p>we read your application &amp; will reply.</p>"
            "<script>alert(1)</script></body></html>")
    raw = mail("hr@fabrikam.com", "alex@example.com", "Your application", "h1@x.example",
               body=html).replace(b"text/plain", b"text/html")
    dovecot.append("INBOX", raw)
    with open_session(_settings(tmp_path, dovecot, "tls"), Secret(dovecot.password)) as session:
        session.select_readonly("INBOX")
        [uid] = session.uids_since(date(2000, 1, 1))
        text = session.fetch_text(uid)
    assert text == "Hello Alex,\nwe read your application & will reply."
    assert text == html_to_text(html)[0]
    assert "Evil" not in text and "Newsletter" not in text and "alert" not in text


# --- the same answers both ways ---------------------------------------------------------------

def _settings(tmp_path: Path, dovecot: Any, security: str) -> Any:
    from nudger.config import ConfigLocation, load_settings

    config = tmp_path / "config.toml"
    config.write_text(imap_config(dovecot, security=security), encoding="utf-8")
    return load_settings(ConfigLocation(config, True))


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_both_paths_read_the_same_headers_and_text(dovecot: Any, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   told: None, security: str) -> None:
    from nudger.mail.imap import fetch
    from nudger.mail.imap.client import open_session
    from nudger.secrets import Secret

    messages = [mail(f"sender{i}@example.org", "alex@example.com", f"Subject {i}",
                     f"s{i}@x.example", body=f"Body of message {i}.\n") for i in range(8)]
    dovecot.append_many("INBOX", messages)
    settings = _settings(tmp_path, dovecot, security)

    def read() -> tuple[list[Any], list[str], str]:
        with open_session(settings, Secret(dovecot.password)) as session:
            session.select_readonly("INBOX")
            uids = session.uids_since(date(2000, 1, 1))
            headers = [h for batch in session.fetch_headers(uids, "INBOX") for h in batch]
            texts = [session.fetch_text(uid) for uid in uids[:2]]
            return headers, texts, session.tls

    with pytest.MonkeyPatch.context() as fast_path:
        fast_path.setattr(fetch, "BATCH", 3)  # several batches: the fast path sends ahead
        fast_calls = forbid_private(fast_path, fail=False)
        fast = read()
    assert fast_calls["send_fetch"] >= 3 and fast_calls["read_fetch"] >= 3
    assert fast_calls["_watched_client"] == 1 and fast_calls["limit"] == 1
    with pytest.MonkeyPatch.context() as public_path:
        public_path.setattr(fetch, "BATCH", 3)
        force_public(public_path)
        public = read()
    assert [h.uid for h in public[0]] == [h.uid for h in fast[0]] and len(fast[0]) == 8
    assert public == fast
    assert fast[1] == ["Body of message 0.\r\n", "Body of message 1.\r\n"]
    assert fast[2].startswith("TLS verified (TLSv1.")


def test_a_failed_probe_syncs_through_the_public_api_with_the_same_results(
        home: Home, dovecot: Any, monkeypatch: pytest.MonkeyPatch, told: None,
        caplog: pytest.LogCaptureFixture) -> None:
    """The fast path's own test (test_mail_fastpaths: batches fetched ahead) with the probe
    failed: every message read once, the replies recorded exactly once, also when read
    again; nothing marked read; the fallback said once, at INFO."""
    from nudger.mail.imap import fetch

    force_public(monkeypatch)
    monkeypatch.setattr(fetch, "BATCH", 2)
    with caplog.at_level(logging.INFO, logger="nudger.mail.imap.adapter"):
        nine_messages_synced_twice(home, dovecot, monkeypatch)
    said = [r for r in caplog.records if r.name == "nudger.mail.imap.adapter"]
    assert len(said) == 1 and said[0].levelno == logging.INFO
    assert "imapclient 9.9" in said[0].getMessage()
    assert "imaplib.IMAP4._untagged_response" in said[0].getMessage()
    assert "public API" in said[0].getMessage()


# --- the deadlines hold on the public path ---------------------------------------------------

@pytest.mark.parametrize(("mode", "expect"), [
    ("trickle-greeting", "connecting and logging in did not finish within 2 s "
                         "(imap.deadline)"),
    ("silent", "no answer within 1 s"),
    ("drip", "did not finish within 2 s (imap.deadline)"),
    # No per-response caps without the internals: the deadline ends the flood instead.
    ("flood", "did not finish within 2 s (imap.deadline)"),
])
def test_a_hostile_server_still_ends_the_pass_on_the_public_path(
        home: Home, monkeypatch: pytest.MonkeyPatch, told: None, mode: str,
        expect: str) -> None:
    import time

    from tests.imapserver import FakeImapServer

    force_public(monkeypatch)
    monkeypatch.setenv("NUDGER_IMAP_PASSWORD", PASSWORD)
    timeout = 1 if mode == "silent" else 5
    with FakeImapServer(mode) as fake:  # type: ignore[arg-type]
        home.write_config(fake_config(fake.host, fake.port, "none", timeout=timeout,
                                      extra="deadline = 2\n"))
        started = time.monotonic()
        line = one_line_error(home.run("mail", "sync"))
        assert time.monotonic() - started < 30  # a liveness bound, not a timing
    assert expect in line and "127.0.0.1" in line, line
