"""What every command shares: a command declared as data (`Command`, `Option`, `OneOf`)
and the `Context` it runs with: the parsed arguments, lazily loaded settings and database,
the user's clock, and output helpers. Heavy imports happen only when a command needs them.

A command module (any `nudger/commands/*.py` not starting with `_`) declares `ORDER` (its
place in `nudger --help`) and `COMMANDS`, a tuple of `Command`; `nudger.cli` finds it.
Command modules do not import each other: what two of them share lives in `_args.py`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping, Sequence
from functools import cached_property

# typing is not imported at run time: it costs ~4 ms on every `nudger` call. mypy
# treats any constant named TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from datetime import date, datetime
    from pathlib import Path
    from typing import Any
    from zoneinfo import ZoneInfo

    from nudger.config import ConfigLocation, Settings
    from nudger.store.db import Database
    from nudger.when.business import Calendar


class Formatter(argparse.RawDescriptionHelpFormatter):
    """Keep the examples' line breaks in --help."""


# --- commands as data ----------------------------------------------------------------
# Plain classes with __slots__, not dataclasses: importing dataclasses costs more than
# argparse itself, on every `nudger` call.

class Option:
    """One argument of a command: `add_argument`'s flags and keywords, kept as data."""

    __slots__ = ("flags", "kwargs")

    def __init__(self, *flags: str, **kwargs: Any) -> None:
        self.flags = flags
        self.kwargs = kwargs

    def add_to(self, parser: Any) -> None:
        parser.add_argument(*self.flags, **self.kwargs)


def flag(*flags: str, help: str) -> Option:
    """An on/off option: absent False, given True."""
    return Option(*flags, action="store_true", help=help)


class OneOf:
    """Options of which at most one may be given (a mutually exclusive group)."""

    __slots__ = ("options",)

    def __init__(self, *options: Option) -> None:
        self.options = options

    def add_to(self, parser: Any) -> None:
        group = parser.add_mutually_exclusive_group()
        for option in self.options:
            option.add_to(group)


class Command:
    """One command: its name, the one-line summary `nudger --help` lists, an example for
    its --help (required), its options, and the function that runs it. `actions` are
    nested commands (`service install`), declared the same way.

    The CLI builds the parser of the invoked command only; the others appear in
    `nudger --help` by name and summary.
    """

    __slots__ = ("actions", "description", "example", "name", "options", "run", "summary")

    def __init__(self, name: str, summary: str, example: str,
                 run: Callable[[Context], int | None], *,
                 options: Sequence[Option | OneOf] = (), description: str = "",
                 actions: Sequence[Command] = ()) -> None:
        if not example.strip():
            raise ValueError(f"command {name!r} has no example: every --help shows one")
        self.name = name
        self.summary = summary
        self.example = example
        self.run = run
        self.options = tuple(options)
        self.description = description or summary[:1].upper() + summary[1:] + "."
        self.actions = tuple(actions)

    def add_parser(self, sub: Any, common: argparse.ArgumentParser) -> argparse.ArgumentParser:
        """This command's full parser, added to the subparsers `sub`."""
        parser: argparse.ArgumentParser = sub.add_parser(
            self.name,
            parents=[common],
            help=self.summary,
            description=self.description,
            epilog="example:\n" + "\n".join("  " + line
                                             for line in self.example.strip().splitlines()),
            formatter_class=Formatter,
        )
        parser.set_defaults(func=self.run)
        for option in self.options:
            option.add_to(parser)
        if self.actions:
            nested = parser.add_subparsers(dest=f"{self.name}_command", metavar="ACTION",
                                           title="actions")
            for action in self.actions:
                action.add_parser(nested, common)
        return parser

    def add_name(self, sub: Any, common: argparse.ArgumentParser) -> None:
        """Only the name and summary, for `nudger --help` and argparse's error messages.

        No parser is built for it (29 ArgumentParsers were a third of `nudger --help`'s
        time): the map holds a stand-in that builds the real one should argparse ever
        hand it arguments.
        """
        sub._choices_actions.append(sub._ChoicesPseudoAction(self.name, (), self.summary))
        sub._name_parser_map[self.name] = _Unbuilt(self, sub, common)


class _Unbuilt:
    """A command's place in the subparsers map until its parser is needed. `nudger.cli`
    builds the invoked command's parser up front, so this is a fallback only."""

    __slots__ = ("command", "common", "sub")

    def __init__(self, command: Command, sub: Any, common: argparse.ArgumentParser) -> None:
        self.command = command
        self.sub = sub
        self.common = common

    def parse_known_args(self, args: Any, namespace: Any = None) -> Any:
        name = self.command.name
        del self.sub._name_parser_map[name]
        self.sub._choices_actions[:] = [action for action in self.sub._choices_actions
                                        if action.dest != name]
        parser = self.command.add_parser(self.sub, self.common)
        return parser.parse_known_args(args, namespace)


class Context:
    """The state one command invocation works with."""

    def __init__(self, args: argparse.Namespace, env: Mapping[str, str]) -> None:
        self.args = args
        self.env = env
        self._db: Database | None = None

    # --- configuration -----------------------------------------------------------------

    @cached_property
    def config_location(self) -> ConfigLocation:
        from nudger.config import find_config_path

        return find_config_path(getattr(self.args, "config", None), self.env)

    @cached_property
    def config_settings(self) -> Settings:
        """config.toml as it is: the organisation's settings (the database, the servers)."""
        from nudger.config import load_settings
        from nudger.when import holidays as holidaycache

        holidaycache.configure(holidaycache.cache_path(self.env))
        return load_settings(self.config_location)

    @cached_property
    def settings(self) -> Settings:
        """The settings a command works with: config.toml's, and with a seeker chosen
        (`--seeker`, NUDGER_SEEKER) that seeker's own profile, time zone and digest time
        over them (nudger/track/seeker_profile.py)."""
        if self.seeker_email is None:
            return self.config_settings
        from nudger.track.seeker_profile import chosen_settings

        return chosen_settings(self.config_settings, self.db)

    @cached_property
    def calendar(self) -> Calendar:
        from nudger.when.business import Calendar

        return Calendar.from_settings(self.settings)

    # --- the database ------------------------------------------------------------------

    @property
    def db(self) -> Database:
        """The database, created and upgraded on first use."""
        if self._db is None:
            from nudger.store.engine import open_database

            db = open_database(self.config_settings, self.env)
            db.ensure(create=True)
            db.choose_seeker(self.seeker_email)
            self._db = db
        return self._db

    @property
    def seeker_email(self) -> str | None:
        """The seeker chosen with `--seeker EMAIL` or NUDGER_SEEKER (None: the only one)."""
        chosen = getattr(self.args, "seeker", None) or self.env.get("NUDGER_SEEKER") or None
        return chosen.strip().lower() if chosen else None

    @property
    def database_path(self) -> Path | None:
        """The database file in use, if a command got that far."""
        return self._db.path if self._db is not None else None

    def close(self) -> None:
        if self._db is not None:
            self._db.dispose()

    # --- the clock (only the CLI and the daemon read it) --------------------------------

    @property
    def zone(self) -> ZoneInfo:
        return self.settings.zone

    def now(self) -> datetime:
        from datetime import datetime

        return datetime.now(self.zone)

    @cached_property
    def today(self) -> date:
        return self.now().date()

    # --- output ------------------------------------------------------------------------

    # Everything printed goes through nudger.text.visible: an escape sequence or a bidi
    # override in the data (a company name, a server's reply) is shown, never executed.

    def print(self, text: str = "") -> None:
        from nudger.text import visible

        sys.stdout.write(visible(text) + "\n")

    def print_json(self, data: Any) -> None:
        import json

        from nudger.text import json_safe

        sys.stdout.write(json_safe(json.dumps(data, indent=2, ensure_ascii=False,
                                              default=str)) + "\n")

    def warn(self, text: str) -> None:
        from nudger.text import visible

        sys.stderr.write(f"nudger: {visible(text)}\n")

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
        from nudger.table import render_table

        self.print(render_table(headers, rows))
