"""config.toml's errors in the user's words (nudger.configerrors): located in one pass,
bounded, and worded alike for TOML and schema errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from nudger import configerrors
from nudger.config import parse_settings
from nudger.errors import ConfigError

P = Path("/tmp/cfg/config.toml")


def test_thousands_of_unknown_keys_are_located_in_one_pass(monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    """Issue 13: a scan of the text per error made 16,000 unknown keys take 113 s. The text
    is now read once whatever the number of errors (counted, not timed; bench times it)."""
    made: list[configerrors.LineIndex] = []
    real = configerrors.LineIndex

    def counting(text: str) -> configerrors.LineIndex:
        index = real(text)
        made.append(index)
        return index

    monkeypatch.setattr(configerrors, "LineIndex", counting)
    text = "".join(f"unknown_{i} = {i}\n" for i in range(16_000))
    with pytest.raises(ConfigError) as info:
        parse_settings(text, P)
    assert len(made) == 1 and made[0].scans == 16_000
    message = str(info.value)
    assert message.startswith("invalid config (16000 problems):")
    assert f"{P}:16000: unknown key 'unknown_15999'" not in message  # bounded...
    assert f"{P}:1: unknown key 'unknown_0'" in message
    assert message.endswith("... and 15980 more")  # ...with the count of the rest
