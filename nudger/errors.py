"""Errors a user can cause or meet, each with the exit status the CLI maps it to.

Everything in the library raises these; only `cli.py` turns them into a message and an
exit status. A message says what went wrong and what would be valid.
"""

from __future__ import annotations

EX_OK = 0
EX_FAILURE = 1
EX_USAGE = 2
EX_CONFIG = 78  # sysexits.h EX_CONFIG: systemd's RestartPreventExitStatus keys on it


class NudgerError(Exception):
    """A failure at run time that the user should read (exit 1)."""

    exit_code = EX_FAILURE


class UsageError(NudgerError):
    """The command line asked for something that does not exist or is malformed (exit 2)."""

    exit_code = EX_USAGE


class NotFoundError(UsageError):
    """An application ID that is not in the database."""


class ConfigError(NudgerError):
    """The config file (or a template beside it) is invalid (exit 78)."""

    exit_code = EX_CONFIG


class DataError(NudgerError):
    """An input file (import) has a problem; the database was left untouched."""
