"""The worker's relay connection (send/pool.py): many messages from many tasks over one
SMTP session, a connection the relay dropped while idle reopened (the message sent once),
an uncertain failure never resent, and `[smtp] max_per_minute` pacing the sends."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from nudger.config import parse_settings
from nudger.errors import ConfigError
from nudger.send.delivery import DeliveryError
from nudger.send.pool import Relay
from tests.send.test_delivery import PROFILE, config, message
from tests.smtpserver import SmtpServer


@pytest.mark.parametrize("mode", ["plain", "starttls"])
def test_many_tasks_share_one_session(tmp_path: Path, mode: str) -> None:
    with SmtpServer(mode, password="pw" if mode == "starttls" else None) as server:  # type: ignore[arg-type]
        username = "alex" if mode == "starttls" else None
        table = server.smtp_config(tmp_path, username=username)
        settings = config(tmp_path, table + ('password_env = "NUDGER_SMTP_PASSWORD"\n'
                                             if username else ""))
        env = {"NUDGER_SMTP_PASSWORD": "pw"}

        async def go() -> int:
            async with Relay(settings, env, data_dir=tmp_path) as relay:
                await asyncio.gather(*(relay.send(message(n)) for n in range(20)))
                return relay.sent

        assert asyncio.run(go()) == 20
        assert sorted(m.message_id for m in server.messages) == \
            sorted(f"<m{n}@nudger.test>" for n in range(20))
        # One session: EHLO once (twice around STARTTLS), one login, 20 transactions.
        assert server.verbs().count("EHLO") == (2 if mode == "starttls" else 1)
        assert server.verbs().count("AUTH") == (1 if mode == "starttls" else 0)
        assert server.verbs().count("MAIL") == 20


def test_a_session_the_relay_closed_is_reopened_and_the_message_sent_once(
        tmp_path: Path) -> None:
    # The second MAIL finds the relay closing the idle session (421).
    with SmtpServer("plain", replies={"MAIL": ["", "421 4.4.2 idle too long, closing"]}
                    ) as server:
        settings = config(tmp_path, server.smtp_config(tmp_path))

        async def go() -> int:
            async with Relay(settings, {}, data_dir=tmp_path) as relay:
                for n in range(3):
                    await relay.send(message(n))
                return relay.reconnects

        assert asyncio.run(go()) == 1
        assert [m.message_id for m in server.messages] == [
            "<m0@nudger.test>", "<m1@nudger.test>", "<m2@nudger.test>"]
        assert server.verbs().count("EHLO") == 2


def test_a_refusal_on_a_live_session_is_not_retried(tmp_path: Path) -> None:
    with SmtpServer("plain", replies={"MAIL": ["451 4.3.0 try later"]}) as server:
        settings = config(tmp_path, server.smtp_config(tmp_path))

        async def go() -> None:
            async with Relay(settings, {}, data_dir=tmp_path) as relay:
                with pytest.raises(DeliveryError) as info:
                    await relay.send(message(1))
                assert info.value.kind == "transient" and relay.reconnects == 0
                await relay.send(message(2))  # the same session goes on

        asyncio.run(go())
        assert [m.message_id for m in server.messages] == ["<m2@nudger.test>"]
        assert server.verbs().count("EHLO") == 1


def test_an_uncertain_failure_is_not_resent_here(tmp_path: Path) -> None:
    with SmtpServer("plain", drop_after_data=True) as server:
        settings = config(tmp_path, server.smtp_config(tmp_path))

        async def go() -> None:
            async with Relay(settings, {}, data_dir=tmp_path) as relay:
                with pytest.raises(DeliveryError) as info:
                    await relay.send(message(1))
                assert info.value.kind == "uncertain"

        asyncio.run(go())
        assert [m.message_id for m in server.messages] == ["<m1@nudger.test>"]


def test_max_per_minute_spaces_the_sends(tmp_path: Path) -> None:
    with SmtpServer("plain") as server:
        settings = config(tmp_path, server.smtp_config(tmp_path) + "max_per_minute = 120\n")
        now = [1000.0]
        waits: list[float] = []

        async def sleep(seconds: float) -> None:
            waits.append(round(seconds, 6))
            now[0] += seconds

        async def go() -> None:
            async with Relay(settings, {}, data_dir=tmp_path, clock=lambda: now[0],
                             sleep=sleep) as relay:
                await asyncio.gather(*(relay.send(message(n)) for n in range(5)))

        asyncio.run(go())
        assert len(server.messages) == 5
        assert waits == [0.5, 0.5, 0.5, 0.5]  # 120 a minute: one every half second


def test_workers_alive_share_the_relays_limit(tmp_path: Path) -> None:
    """max_per_minute is the relay's: with 3 workers alive each sends at a third of it."""
    with SmtpServer("plain") as server:
        settings = config(tmp_path, server.smtp_config(tmp_path) + "max_per_minute = 120\n")
        now = [1000.0]
        waits: list[float] = []

        async def sleep(seconds: float) -> None:
            waits.append(round(seconds, 6))
            now[0] += seconds

        async def go() -> list[bool]:
            async with Relay(settings, {}, data_dir=tmp_path, clock=lambda: now[0],
                             sleep=sleep) as relay:
                changed = [relay.share(3), relay.share(3)]
                for n in range(3):
                    await relay.send(message(n))
                changed += [relay.share(0)]  # none counted (the count failed): alone
                for n in range(3, 5):
                    await relay.send(message(n))
                return changed

        assert asyncio.run(go()) == [True, False, True]
        assert len(server.messages) == 5
        # 1.5 s apart (120 a minute over 3 workers), then 0.5 s once alone again.
        assert waits == [1.5, 1.5, 1.5, 0.5]


def test_without_a_limit_sharing_changes_nothing(tmp_path: Path) -> None:
    settings = config(tmp_path, '[smtp]\nhost = "127.0.0.1"\n')
    relay = Relay(settings, {}, data_dir=tmp_path)
    assert relay.share(5) is False and relay.interval == 0.0


@pytest.mark.parametrize(("value", "words"), [
    ("0", "smtp.max_per_minute must be a whole number of messages of at least 1"),
    ('"60"', "max_per_minute"),
    ("2.5", "max_per_minute"),
])
def test_a_bad_max_per_minute_is_named(tmp_path: Path, value: str, words: str) -> None:
    text = PROFILE + f'[smtp]\nhost = "smtp.example.com"\nmax_per_minute = {value}\n'
    with pytest.raises(ConfigError) as info:
        parse_settings(text, tmp_path / "config.toml")
    assert words in str(info.value)
