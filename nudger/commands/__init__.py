"""What every command shares: the parsed arguments, lazily loaded settings and database,
the user's clock, and output helpers. Heavy imports happen only when a command needs them.
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

    from nudger.calendar import Calendar
    from nudger.config import ConfigLocation, Settings
    from nudger.store.db import Database


class Formatter(argparse.RawDescriptionHelpFormatter):
    """Keep the examples' line breaks in --help."""


class _Skipped:
    """Stands in for the parser of a command this invocation does not run: building every
    command's options costs more than importing argparse, on every `nudger` call."""

    def add_argument(self, *args: Any, **kwargs: Any) -> None:
        return None

    def add_mutually_exclusive_group(self, *args: Any, **kwargs: Any) -> _Skipped:
        return self

    def add_argument_group(self, *args: Any, **kwargs: Any) -> _Skipped:
        return self

    def add_subparsers(self, *args: Any, **kwargs: Any) -> _Skipped:
        return self

    def add_parser(self, *args: Any, **kwargs: Any) -> _Skipped:
        return self

    def set_defaults(self, **kwargs: Any) -> None:
        return None


# The one command whose options this process needs (None: every command's, as for tests
# and documentation). Set by cli.build_parser.
BUILD_ONLY: list[str | None] = [None]


def add_command(
    sub: Any,
    common: argparse.ArgumentParser,
    name: str,
    func: Callable[[Context], int | None],
    summary: str,
    example: str,
    description: str = "",
) -> Any:
    """Register one command; `example` is required so that every --help shows one.

    Returns the command's parser to add options to (a no-op stand-in when this process
    runs another command).
    """
    only = BUILD_ONLY[0]
    if only is not None and only != name:
        sub.add_parser(name, help=summary, add_help=False)
        return _Skipped()
    parser: argparse.ArgumentParser = sub.add_parser(
        name,
        parents=[common],
        help=summary,
        description=(description or summary[:1].upper() + summary[1:] + "."),
        epilog="example:\n" + "\n".join("  " + line for line in example.strip().splitlines()),
        formatter_class=Formatter,
    )
    parser.set_defaults(func=func)
    return parser


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
    def settings(self) -> Settings:
        from nudger import holidaycache
        from nudger.config import load_settings

        holidaycache.configure(holidaycache.cache_path(self.env))
        return load_settings(self.config_location)

    @cached_property
    def calendar(self) -> Calendar:
        from nudger.calendar import Calendar

        return Calendar.from_settings(self.settings)

    # --- the database ------------------------------------------------------------------

    @property
    def db(self) -> Database:
        """The database, created and upgraded on first use."""
        if self._db is None:
            from nudger.store.db import Database, database_path

            db = Database(database_path(self.settings, self.env))
            db.ensure(create=True)
            self._db = db
        return self._db

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

    def print(self, text: str = "") -> None:
        sys.stdout.write(text + "\n")

    def print_json(self, data: Any) -> None:
        import json

        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")

    def warn(self, text: str) -> None:
        sys.stderr.write(f"nudger: {text}\n")

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
        from nudger.table import render_table

        self.print(render_table(headers, rows))
