"""The README keeps up with the commands, as sqlite-utils's tests/test_docs.py does: every
command (and every action of a command, `nudger mail sync`) appears in README.md as
`nudger NAME` in code, and those lines show each of its options (CONTRIBUTING's module map
has its own test, tests/test_repo_docs.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nudger.cli import commands
from nudger.commands import Command, OneOf

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")


def every_command() -> list[tuple[str, Command]]:
    """("mail sync", its Command) for each command and each action of one."""
    found: list[tuple[str, Command]] = []

    def walk(prefix: str, command: Command) -> None:
        name = f"{prefix} {command.name}".strip()
        found.append((name, command))
        for action in command.actions:
            walk(name, action)

    for command in commands():
        walk("", command)
    return found


def option_flags(command: Command) -> list[tuple[str, ...]]:
    """Each option's flags (`("-o", "--output")`); positional arguments left out."""
    found: list[tuple[str, ...]] = []
    for option in command.options:
        group = option.options if isinstance(option, OneOf) else (option,)
        found += [tuple(one.flags) for one in group if str(one.flags[0]).startswith("-")]
    return found


def readme_lines(name: str) -> list[str]:
    """README lines that show `nudger NAME` as code (a command table row, an example)."""
    pattern = re.compile(rf"`nudger {re.escape(name)}(?![\w-])")
    return [line for line in README.splitlines() if pattern.search(line)]


COMMANDS = dict(every_command())


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_command_is_in_the_readme(name: str) -> None:
    command = COMMANDS[name]
    lines = readme_lines(name)
    assert lines, f"README.md never shows `nudger {name}`: add it to the Commands tables"
    shown = "\n".join(lines)
    missing = [flags[-1] for flags in option_flags(command)
               if not any(re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", shown)
                          for flag in flags)]
    assert not missing, f"README.md's lines for `nudger {name}` miss {missing}"


def test_the_readme_check_sees_a_missing_command() -> None:
    assert readme_lines("list")
    assert not readme_lines("lis")  # a prefix of a command is not the command
    assert not readme_lines("no-such-command")
