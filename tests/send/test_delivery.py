"""The transports on their own: one SMTP connection for several messages, what
`check --smtp` verifies, partial refusals, and the Maildir read back."""

from __future__ import annotations

import asyncio
import mailbox
from email.message import EmailMessage
from pathlib import Path

import pytest

from nudger.config import Settings, parse_settings
from nudger.send.delivery import (
    DeliveryError,
    SmtpTransport,
    open_transport,
    verify_smtp,
)
from nudger.send.message import probe_message
from tests.smtpserver import SmtpServer

PROFILE = '[profile]\nemail = "alex@example.com"\n'


def config(tmp_path: Path, extra: str) -> Settings:
    return parse_settings(PROFILE + extra, tmp_path / "config.toml")


def message(n: int, to: str = "alex@example.com") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "nudger <nudger@example.com>"
    msg["To"] = to
    msg["Subject"] = f"message {n}"
    msg["Message-ID"] = f"<m{n}@nudger.test>"
    msg.set_content(f"body {n}\n.\nwith a lone dot line\n")
    return msg


@pytest.mark.parametrize("mode", ["plain", "starttls", "tls"])
def test_one_connection_for_several_messages(tmp_path: Path, mode: str) -> None:
    with SmtpServer(mode) as server:  # type: ignore[arg-type]
        settings = config(tmp_path, server.smtp_config(tmp_path))

        async def go() -> None:
            async with open_transport(settings, {}, data_dir=tmp_path) as transport:
                for n in range(3):
                    await transport.send(message(n))

        asyncio.run(go())
        assert [m.message_id for m in server.messages] == ["<m0@nudger.test>",
                                                           "<m1@nudger.test>",
                                                           "<m2@nudger.test>"]
        ehlos = server.verbs().count("EHLO")
        assert ehlos == (2 if mode == "starttls" else 1)  # one session: EHLO once (twice
        # around STARTTLS)
        assert "body 1\r\n.\r\nwith a lone dot line" in server.messages[1].message.get_content()


def test_reconnects_after_the_server_hangs_up(tmp_path: Path) -> None:
    with SmtpServer("plain", replies={"DATA": ["421 4.3.2 closing"]}) as server:
        settings = config(tmp_path, server.smtp_config(tmp_path))

        async def go() -> None:
            async with open_transport(settings, {}, data_dir=tmp_path) as transport:
                with pytest.raises(DeliveryError) as info:
                    await transport.send(message(1))
                assert info.value.kind == "transient" and info.value.code == 421
                await transport.send(message(2))

        asyncio.run(go())
        assert [m.message_id for m in server.messages] == ["<m2@nudger.test>"]


def test_partial_refusal_is_reported_not_raised(tmp_path: Path) -> None:
    with SmtpServer("plain", replies={"RCPT": ["550 5.1.1 no such user"]}) as server:
        settings = config(tmp_path, server.smtp_config(tmp_path))

        async def go() -> object:
            async with open_transport(settings, {}, data_dir=tmp_path) as transport:
                return await transport.send(message(1, to="gone@example.com, "
                                                          "alex@example.com"))

        delivered = asyncio.run(go())
        assert delivered.refused == {  # type: ignore[attr-defined]
            "gone@example.com": (550, "5.1.1 no such user")}
        assert server.messages[0].rcpt_tos == ["alex@example.com"]


def test_verify_smtp_logs_in_and_quits_without_sending(tmp_path: Path) -> None:
    with SmtpServer("starttls", password="pw") as server:
        settings = config(tmp_path, server.smtp_config(tmp_path, username="alex") +
                          'password_env = "PW"\n')
        lines = asyncio.run(verify_smtp(settings, {"PW": "pw"}))
        assert server.messages == []
        assert "MAIL" not in server.verbs()
    text = "\n".join(lines)
    assert "STARTTLS: TLSv1." in text and "certificate verified for 127.0.0.1" in text
    assert "logged in as alex" in text and lines[-1] == "quit without sending"


def test_ca_file_missing_is_a_config_error(tmp_path: Path) -> None:
    from nudger.errors import ConfigError

    settings = config(tmp_path, '[smtp]\nhost = "smtp.example.com"\nca_file = "nope.pem"\n')
    with pytest.raises(ConfigError, match=r"smtp.ca_file: .*nope.pem does not exist"):
        SmtpTransport(settings, {})


def test_maildir_reads_back(tmp_path: Path) -> None:
    settings = config(tmp_path, "")

    async def go() -> object:
        async with open_transport(settings, {}, data_dir=tmp_path / "data") as transport:
            return await transport.send(probe_message(settings, _now()))

    delivered = asyncio.run(go())
    box = mailbox.Maildir(tmp_path / "data" / "Maildir", create=False)
    (msg,) = list(box)
    assert msg["Subject"] == "nudger test message"
    assert msg["To"] == "alex@example.com"
    assert delivered.path is not None and delivered.path.exists()  # type: ignore[attr-defined]


def _now() -> object:
    from datetime import UTC, datetime

    return datetime(2026, 11, 26, 13, 30, tzinfo=UTC)


def test_a_refused_login_never_leaves_a_session_to_send_on(tmp_path: Path) -> None:
    with SmtpServer("starttls", password="right") as server:
        settings = config(tmp_path, server.smtp_config(tmp_path, username="alex") +
                          'password_env = "PW"\n')

        async def go() -> None:
            async with open_transport(settings, {"PW": "wrong"}, data_dir=tmp_path) as t:
                for _ in range(2):
                    with pytest.raises(DeliveryError) as info:
                        await t.send(message(1))
                    assert (info.value.kind, info.value.code) == ("permanent", 535)

        asyncio.run(go())
        assert "MAIL" not in server.verbs()
        assert server.messages == []
