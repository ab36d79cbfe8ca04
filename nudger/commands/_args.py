"""Argument types more than one command module uses (`type=` of an `Option`)."""

from __future__ import annotations

import argparse

from nudger.commands import Option


def app_id(text: str) -> int:
    """An application ID as typed: `12` or `#12`."""
    try:
        value = int(text.lstrip("#"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an application ID (a number from `nudger list`)"
        ) from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not an application ID")
    return value


# The positional ID of the commands that act on one application.
APP_ID = Option("id", type=app_id, metavar="ID")
