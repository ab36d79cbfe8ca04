"""Argument types more than one command module uses (`type=` of an `Option`)."""

from __future__ import annotations

import argparse

from nudger.commands import Context, Option, flag

# typing is not imported at run time: it costs ~4 ms on every `nudger` call. mypy
# treats any constant named TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from datetime import datetime

# SQLite's INTEGER is 64-bit signed: no row can have a larger ID, and a larger number
# would overflow in the driver instead of simply matching nothing.
MAX_ID = 2**63 - 1


# The longest span of days a command plans or exports (`due --days`, `calendar --days`).
MAX_DAYS = 366


def days(text: str) -> int:
    """A number of days from 1 to MAX_DAYS."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of days") from None
    if not 1 <= value <= MAX_DAYS:
        raise argparse.ArgumentTypeError(
            f"{value} is out of range; give a number of days from 1 to {MAX_DAYS}")
    return value


def app_id(text: str) -> int:
    """An application ID as typed: `12` or `#12`."""
    return _row_id(text, "an application", "nudger list")


def contact_id(text: str) -> int:
    """A contact ID (`nudger show ID` lists them)."""
    return _row_id(text, "a contact", "nudger show ID")


def _row_id(text: str, what: str, where: str) -> int:
    try:
        value = int(text.lstrip("#"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not {what} ID (a number from `{where}`)"
        ) from None
    if not 0 < value <= MAX_ID:
        raise argparse.ArgumentTypeError(
            f"{text[:40]!r} is not {what} ID (IDs are whole numbers from 1 to {MAX_ID}; "
            f"`{where}` shows them)")
    return value


# The positional ID of the commands that act on one application.
APP_ID = Option("id", type=app_id, metavar="ID")

# `--json` of the commands whose output a script may read.
JSON = flag("--json", help="machine-readable output")


def interview_utc(ctx: Context, text: str) -> datetime:
    """--interview WHEN (add, edit, stage): the user's local date and time, as aware UTC."""
    from datetime import UTC

    from nudger.when.dates import parse_datetime

    return parse_datetime(text, ctx.today, ctx.zone, what="--interview").astimezone(UTC)
