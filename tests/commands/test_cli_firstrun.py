"""The command line as a new user types it: unquoted durations, typos, --help that says
what is valid."""

from __future__ import annotations

import json

import pytest

from nudger.cli import build_parser
from nudger.vocab import STAGES
from tests.clock import MONDAY_NOW as NOW  # a working Monday, 10:00 in Chicago
from tests.clock import frozen
from tests.conftest import Home


@pytest.fixture(autouse=True)
def frozen_clock():
    with frozen(NOW):
        yield


def test_snooze_takes_an_unquoted_duration(home: Home) -> None:
    app = json.loads(home.ok("add", "Acme", "Account Executive", "--json"))["id"]
    out = home.ok("snooze", str(app), "3", "days")
    assert "2026-12-03" in out
    assert json.loads(home.ok("show", str(app), "--json"))["snoozed_until"] == "2026-12-03"
    home.ok("snooze", str(app), "2", "business", "days")
    assert json.loads(home.ok("show", str(app), "--json"))["snoozed_until"] == "2026-12-02"
    bad = home.run("snooze", str(app), "3", "fortnights")
    assert bad.code == 2 and "'3 fortnights' is neither a duration" in bad.err


def test_a_mistyped_command_gets_a_suggestion(home: Home) -> None:
    result = home.run("lsit")
    assert result.code == 2
    assert "unknown command 'lsit'; did you mean `nudger list`?" in result.err
    result = home.run("--config", str(home.config), "stauts")
    assert result.code == 2 and "`nudger status`" in result.err
    far = home.run("zzzzzz")
    assert far.code == 2 and "commands: init, add, list" in far.err


def test_add_help_lists_the_stages() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    text = " ".join(sub.choices["add"].format_help().split())  # type: ignore[attr-defined]
    assert ", ".join(STAGES) in text


def test_config_help_names_the_whole_search_order() -> None:
    text = " ".join(build_parser().format_help().split())
    option = text.split("--config PATH config file", 1)[1]
    order = ["$NUDGER_CONFIG", "$CONFIGURATION_DIRECTORY/config.toml",
             "$XDG_CONFIG_HOME/nudger/config.toml", "~/.config/nudger/config.toml"]
    positions = [option.index(item) for item in order]
    assert positions == sorted(positions)
