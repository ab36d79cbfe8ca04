"""Command tokens: what a token authorises, and every way a changed one is refused."""

from __future__ import annotations

import os
import stat
from datetime import date, timedelta
from pathlib import Path

import pytest

from nudger.mail.act.tokens import (
    KEY_NAME,
    MAX_AGE_DAYS,
    Grant,
    check,
    find_tokens,
    issue,
    load_or_create_key,
)

DAY = date(2026, 11, 30)


@pytest.fixture
def key(tmp_path: Path) -> bytes:
    return load_or_create_key(tmp_path)


def verdict(key: bytes, token: str, grant: Grant, today: date = DAY) -> bool:
    return check(key, find_tokens(f"text before {token} and after"), [grant], today).ok


def test_key_is_created_once_with_mode_0600(tmp_path: Path) -> None:
    first = load_or_create_key(tmp_path)
    path = tmp_path / KEY_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_key(tmp_path) == first
    assert len(first) == 32
    assert [p.name for p in tmp_path.iterdir()] == [KEY_NAME]  # no temporary file left


def test_key_readable_by_others_is_tightened(tmp_path: Path) -> None:
    load_or_create_key(tmp_path)
    path = tmp_path / KEY_NAME
    os.chmod(path, 0o644)
    load_or_create_key(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_damaged_key_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / KEY_NAME).write_text("not hex\n")
    os.chmod(tmp_path / KEY_NAME, 0o600)
    with pytest.raises(Exception, match=r"command key .* is damaged; delete it"):
        load_or_create_key(tmp_path)


def test_token_is_compact_and_url_safe(key: bytes) -> None:
    token = issue(key, Grant.command("snooze", "12", ["3 days"]), DAY)
    assert token.startswith("nk1-") and len(token) == 28
    assert all(c.isalnum() or c in "-_" for c in token)


def test_a_button_authorises_exactly_its_command(key: bytes) -> None:
    token = issue(key, Grant.command("done", "12"), DAY)
    assert verdict(key, token, Grant.command("done", "12"))
    assert verdict(key, token, Grant.command("DONE", "#12"))  # same command, other spelling
    # edited: another verb, another application, other arguments
    assert not verdict(key, token, Grant.command("stage", "9", ["rejected"]))
    assert not verdict(key, token, Grant.command("done", "9"))
    assert not verdict(key, token, Grant.command("stage", "12", ["rejected"]))
    assert not verdict(key, token, Grant.digest())
    snooze = issue(key, Grant.command("snooze", "12", ["3 days"]), DAY)
    assert verdict(key, snooze, Grant.command("snooze", "12", ["3  Days"]))
    assert not verdict(key, snooze, Grant.command("snooze", "12", ["300 days"]))


def test_a_digest_token_authorises_any_verb_but_is_not_a_button(key: bytes) -> None:
    token = issue(key, Grant.digest(), DAY)
    assert verdict(key, token, Grant.digest())
    assert not verdict(key, token, Grant.command("done", "12"))


def test_forged_tokens_are_refused(key: bytes) -> None:
    real = issue(key, Grant.command("done", "12"), DAY)
    flipped = real[:-3] + ("A" if real[-3] != "A" else "B") + real[-2:]
    assert not verdict(key, flipped, Grant.command("done", "12"))
    assert not verdict(key, "nk1-" + "A" * 24, Grant.command("done", "12"))
    result = check(key, find_tokens("no token at all"), [Grant.command("done", "12")], DAY)
    assert not result.ok and result.reason == "no token"


def test_the_date_cannot_be_moved_forward(key: bytes) -> None:
    import base64

    old = issue(key, Grant.command("done", "12"), DAY - timedelta(days=20))
    raw = bytearray(base64.urlsafe_b64decode(old[4:]))
    raw[1] = (raw[1] + 10) % 256  # ten days later
    moved = "nk1-" + base64.urlsafe_b64encode(bytes(raw)).decode()
    assert not verdict(key, moved, Grant.command("done", "12"))


def test_tokens_expire_after_fourteen_days(key: bytes) -> None:
    grant = Grant.command("done", "12")
    assert verdict(key, issue(key, grant, DAY - timedelta(days=MAX_AGE_DAYS)), grant)
    old = issue(key, grant, DAY - timedelta(days=15))
    result = check(key, find_tokens(old), [grant], DAY)
    assert not result.ok and "expired" in result.reason
    assert old not in result.reason


def test_a_token_from_another_key_is_refused(key: bytes, tmp_path: Path) -> None:
    other = load_or_create_key(tmp_path / "other")
    assert other != key
    token = issue(other, Grant.command("done", "12"), DAY)
    assert not verdict(key, token, Grant.command("done", "12"))


def test_many_tokens_are_capped(key: bytes) -> None:
    text = " ".join(f"nk1-{i:024d}" for i in range(1000))
    assert len(find_tokens(text)) == 200
