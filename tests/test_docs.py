"""The documentation keeps up with the code, as sqlite-utils's tests/test_docs.py does:
every command (and every action of a command, `nudger mail sync`) appears in README.md's
command tables with each of its long options, and CONTRIBUTING.md's module map names
every module under nudger/ (read from the tree as it is, so a module added or moved
without a line in the map fails here)."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

import pytest

from nudger.cli import commands
from nudger.commands import Command, OneOf

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")
CONTRIBUTING = (REPO / "CONTRIBUTING.md").read_text(encoding="utf-8")


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


@pytest.mark.parametrize(("name", "command"), every_command(), ids=lambda v: str(v))
def test_every_command_is_in_the_readme(name: str, command: Command) -> None:
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


# --- CONTRIBUTING.md's module map -----------------------------------------------------------

PACKAGE = REPO / "nudger"
# Alembic revisions are listed by the migrations entry (`store/migrations/`), not one by one.
NOT_MAPPED = ("store/migrations/versions/*",)


def modules() -> list[str]:
    """Every module under nudger/, as its path from there (`mail/client.py`); a package's
    `__init__.py` stands for the package only when it is all there is to it."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if any(fnmatch.fnmatch(relative, pattern) for pattern in NOT_MAPPED):
            continue
        if path.name == "__init__.py" and relative != "__init__.py":
            continue
        found.append(relative)
    return found


def named(relative: str, text: str) -> bool:
    """Whether the map names `relative`: its path in code (`mail/client.py`, with or without
    .py), a glob covering it (`commands/*.py`), or its bare name in code on a line (a table
    row) that also names its folder in code (`mail/` ... `client.py`)."""
    codes = [code.strip() for line in text.splitlines()
             for code in re.findall(r"`([^`]+)`", line)]
    stem = relative.removesuffix(".py")
    for code in codes:
        if code in (relative, stem) or (("*" in code or "?" in code)
                                        and fnmatch.fnmatch(relative, code)):
            return True
    folder, _, name = relative.rpartition("/")
    if not folder:
        return False
    for line in text.splitlines():
        here = re.findall(r"`([^`]+)`", line)
        if any(code.rstrip("/") == folder or code.startswith(folder + "/") for code in here) \
                and any(code in (name, name.removesuffix(".py"))
                        or code.startswith(name.removesuffix(".py") + ".") for code in here):
            return True
    return False


@pytest.mark.parametrize("relative", modules())
def test_contributing_maps_every_module(relative: str) -> None:
    assert named(relative, CONTRIBUTING), (
        f"CONTRIBUTING.md's module map does not name nudger/{relative}: add a line saying "
        "what it owns")


def test_the_map_check_reads_the_real_tree() -> None:
    mapped = modules()
    assert "cli.py" in mapped and "__init__.py" in mapped
    assert not any(m.startswith("store/migrations/versions/") for m in mapped)
    assert named("mail/client.py", "| `mail/` | the mailbox. `client.py`: the session |")
    assert named("commands/mail.py", "| `commands/*.py` | one module per group |")
    assert not named("mail/client.py", "| `daemon.py` | `client.py` elsewhere |")
    assert not named("newthing.py", "| `cli.py` | parse |")
