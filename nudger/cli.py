"""The `nudger` command line: parse, call one library function, map errors to exit codes.

Importing this module must stay cheap: `nudger --help` and `--version` never import
SQLModel, SQLAlchemy, APScheduler or aiosmtplib (tests/test_cli_help.py keeps it so).
Commands are declared as data (`nudger.commands.Command`) in the modules of
nudger/commands; only the invoked command's parser is built, and command functions import
the heavy parts they need.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from nudger import __version__
from nudger.commands import Command, Context, Formatter
from nudger.errors import EX_FAILURE, EX_USAGE, NudgerError

# typing is not imported at run time: it costs ~4 ms on every `nudger` call. mypy
# treats any constant named TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    pass


def commands() -> list[Command]:
    """Every command, from the `COMMANDS` of each module in nudger/commands (those not
    starting with `_`), in their modules' `ORDER`.

    A directory listing rather than pkgutil: this runs on every `nudger --help`.
    """
    folder = os.path.join(os.path.dirname(__file__), "commands")
    names = sorted(
        entry[:-3] for entry in os.listdir(folder)
        if entry.endswith(".py") and not entry.startswith("_")
    )
    modules = [importlib.import_module(f"nudger.commands.{name}") for name in names]
    modules.sort(key=lambda module: (module.ORDER, module.__name__))
    return [command for module in modules for command in module.COMMANDS]


EXAMPLES = """\
examples:
  nudger init --name "Alex Rivera" --email alex@example.com
  nudger add Acme "Account Executive" --applied 2026-11-20 --contact "Dana Lee <dana@acme.example>"
  nudger due
  nudger done 12 --note "emailed Dana, she replied"
  nudger digest

Config: the first of --config PATH, $NUDGER_CONFIG, $CONFIGURATION_DIRECTORY/config.toml,
$XDG_CONFIG_HOME/nudger/config.toml, ~/.config/nudger/config.toml.
Exit status: 0 ok, 1 failure, 2 bad usage, 78 bad config.
"""


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The full parser, or with `only` the options of that one command (and the names and
    summaries of the others, for --help and error messages)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config", metavar="PATH", default=argparse.SUPPRESS,
        help="config file (default: the first of $NUDGER_CONFIG, "
        "$CONFIGURATION_DIRECTORY/config.toml, $XDG_CONFIG_HOME/nudger/config.toml, "
        "~/.config/nudger/config.toml)",
    )
    common.add_argument(
        "--seeker", metavar="EMAIL", default=argparse.SUPPRESS,
        help="whose applications: the seeker with this email, in a database of several "
        "(default: $NUDGER_SEEKER, else the only seeker)",
    )
    parser = argparse.ArgumentParser(
        prog="nudger",
        description="Plan and draft the follow-ups that get job seekers hired, "
        "and email a digest of them every morning.",
        epilog=EXAMPLES,
        formatter_class=Formatter,
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"nudger {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for command in commands():
        if only is None or command.name == only:
            command.add_parser(sub, common)
        else:
            command.add_name(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    if (sys.argv[1:] if argv is None else list(argv)) == ["--version"]:
        # The one call scripts make most often; skip building every subcommand's parser.
        print(f"nudger {__version__}")
        return 0
    arguments = sys.argv[1:] if argv is None else list(argv)
    problem = _undecodable(arguments)
    if problem is not None:
        _error(problem)
        return EX_USAGE
    word = _command_word(arguments)
    parser = build_parser(word or "")
    if word is not None:
        _unknown_command(parser, word)
    args = parser.parse_args(arguments)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EX_USAGE
    ctx = Context(args, os.environ)
    from nudger.text import VisibleStream

    stderr = sys.stderr
    sys.stderr = VisibleStream(stderr)
    try:
        result = args.func(ctx)
    except NudgerError as exc:
        _error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        _error("interrupted")
        return 130
    except BrokenPipeError:
        # `nudger list | head`: the reader left; say nothing more.
        sys.stderr.close()
        return 0
    except Exception as exc:
        message = _database_trouble(exc, ctx)
        if message is None:
            raise
        _error(message)
        return EX_FAILURE
    finally:
        ctx.close()
        sys.stderr = stderr
    return int(result or 0)


def _command_word(arguments: list[str]) -> str | None:
    """The command named on the line, skipping global options and their values."""
    skip = False
    for word in arguments:
        if skip:
            skip = False
        elif word in ("--config", "--seeker"):
            skip = True
        elif not word.startswith("-"):
            return word
    return None


def _undecodable(arguments: list[str]) -> str | None:
    """A message for the first argument that is not UTF-8 text (Python hands such bytes
    over as lone surrogates, which nothing can store or print); a file name that exists
    is let through, whatever its bytes."""
    for position, word in enumerate(arguments, start=1):
        try:
            word.encode("utf-8")
        except UnicodeEncodeError as exc:
            if os.path.lexists(word):
                continue
            raw = word.encode("utf-8", "surrogateescape")
            start = len(word[: exc.start].encode("utf-8", "surrogateescape"))
            shown = raw.decode("utf-8", "backslashreplace")
            return (f"argument {position} ({shown[:80]!r}) is not UTF-8 text (byte "
                    f"0x{raw[start]:02x} at {start}); nudger takes UTF-8 arguments: "
                    "check the terminal's or the script's encoding")
    return None


def _unknown_command(parser: argparse.ArgumentParser, word: str) -> None:
    """`nudger lsit`: usage, and the command meant (exit 2), instead of argparse's list."""
    names: list[str] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            names = list(action.choices)
    if not names or word in names:
        return
    import difflib

    close = difflib.get_close_matches(word, names, n=2, cutoff=0.6)
    hint = "; did you mean " + " or ".join(f"`nudger {name}`" for name in close) + "?" \
        if close else f"; commands: {', '.join(names)}"
    parser.error(f"unknown command {word!r}{hint}")


def _error(message: str) -> None:
    from nudger.text import visible

    print(f"nudger: {visible(message)}", file=sys.stderr)


def _database_trouble(exc: Exception, ctx: Context) -> str | None:
    """SQLite failures the user can act on (disk full, read-only, locked), in their words:
    raised through SQLAlchemy, or by a plain sqlite3 connection (Database.read_connection)."""
    import sqlite3

    if ctx._db is not None and ctx._db.engine_name == "postgresql":
        return _postgres_trouble(exc, ctx)
    if isinstance(exc, sqlite3.Error):
        detail = str(exc)
    elif "sqlalchemy" in sys.modules:
        from sqlalchemy.exc import DBAPIError

        if not isinstance(exc, DBAPIError):
            return None
        detail = str(exc.orig) if exc.orig is not None else str(exc)
    else:
        return None
    from nudger.store.db import describe_sqlite_error

    return describe_sqlite_error(detail, ctx.database_path)


def _postgres_trouble(exc: Exception, ctx: Context) -> str | None:
    """A PostgreSQL failure (psycopg's, or raised through SQLAlchemy) in the user's words,
    naming the server, never the password."""
    detail: str | None = None
    if "psycopg" in sys.modules:
        import psycopg

        if isinstance(exc, psycopg.Error):
            detail = str(exc)
    if detail is None and "sqlalchemy" in sys.modules:
        from sqlalchemy.exc import DBAPIError

        if isinstance(exc, DBAPIError):
            detail = str(exc.orig) if exc.orig is not None else str(exc)
    if detail is None or ctx._db is None:
        return None
    describe = getattr(ctx._db, "describe_error", None)
    return str(describe(detail)) if describe is not None else None


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
