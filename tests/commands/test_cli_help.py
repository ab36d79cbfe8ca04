"""Every command has --help with an example, and --help/--version stay light."""

from __future__ import annotations

import subprocess
import sys

import pytest

from nudger.cli import build_parser

HEAVY = ("sqlmodel", "sqlalchemy", "apscheduler", "aiosmtplib", "jinja2", "pydantic")


def commands() -> dict[str, object]:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return dict(sub.choices)  # type: ignore[attr-defined]


def test_the_contract_commands_exist() -> None:
    names = set(commands())
    assert {"init", "add", "list", "show", "edit", "rm", "log", "stage", "snooze"} <= names


@pytest.mark.parametrize("name", sorted(commands()))
def test_every_command_has_help_with_an_example(name: str) -> None:
    parser = commands()[name]
    text = parser.format_help()  # type: ignore[attr-defined]
    assert "example:" in text, f"`nudger {name} --help` has no example"
    example = text.split("example:", 1)[1]
    assert f"nudger {name}" in example or "nudger " in example
    assert parser.description, f"`nudger {name}` has no description"  # type: ignore[attr-defined]


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["add", "--help"]])
def test_help_and_version_do_not_import_heavy_modules(argv: list[str]) -> None:
    code = (
        "import sys\n"
        "from nudger.cli import main\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        f"heavy = [m for m in sys.modules if m.split('.')[0] in {HEAVY!r}]\n"
        "print(','.join(sorted(heavy)), file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=False)
    assert result.stderr.strip() == "", f"imported: {result.stderr.strip()}"


def test_no_command_prints_usage_and_exits_2() -> None:
    result = subprocess.run([sys.executable, "-m", "nudger"], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 2
    assert "usage: nudger" in result.stderr


def test_bad_option_exits_2() -> None:
    result = subprocess.run([sys.executable, "-m", "nudger", "list", "--bogus"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 2


def test_help_from_names_only_is_the_full_parsers_help() -> None:
    """`nudger --help` builds no command's parser, and says the same as if it had."""
    assert build_parser("").format_help() == build_parser().format_help()


def test_a_command_whose_parser_was_not_built_still_parses() -> None:
    """The stand-in builds the real parser should argparse ever reach it."""
    args = build_parser("").parse_args(["snooze", "5", "3", "days"])
    assert (args.command, args.id, args.until) == ("snooze", 5, ["3", "days"])
    assert callable(args.func)
