"""Digest buttons: `mailto:` links to the command address, each carrying the token of
exactly the command it makes (tokens.py). The digest prints no reply key: a reply proves
it answers the digest by its In-Reply-To (commands.py), which a forward does not carry.

A tap opens a short pre-filled message: the subject `nudger: done 12`, the body the
command line, then after a `-- ` line a sentence saying what sending does and the token.
Sending it is the command. The token, not the address, authorises: a provider without
plus-addressing delivers `alex+nudger@…` to `alex@…` or not at all, so
`[mailbox] command_address` may be the plain address and the buttons still work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from nudger.config import Settings
from nudger.digest.render import mailto
from nudger.mail.act.tokens import Grant, Pin, issue

NUDGE_BUTTONS = (("Done", "done", ()), ("Skip", "skip", ()),
                 ("Snooze 3 days", "snooze", ("3 days",)))
REPLY_BUTTONS = (("Interviewing", "stage", ("interviewing",)),
                 ("Rejected", "stage", ("rejected",)), ("Resume", "resume", ()))
SUGGESTION_BUTTONS = (("Add", "accept", ()), ("Dismiss", "dismiss", ()))


@dataclass(frozen=True)
class Buttons:
    """Makes the buttons of one digest (issued on its local date `day`)."""

    key: bytes
    address: str  # the command address
    day: date

    def button(self, label: str, verb: str, target: str,
               args: tuple[str, ...] = (), about: str = "",
               pin: Pin | None = None) -> dict[str, Any]:
        line = " ".join([verb, target, *args])
        token = issue(self.key, Grant.command(verb, target, args), self.day, pin)
        what = f"{line} ({about})" if about else line
        body = (f"{line}\n\n-- \nSend this message as it is: nudger carries out \"{what}\" "
                f"at its next mailbox check and writes back.\n{token}\n")
        return {"label": label, "command": line,
                "href": mailto(self.address, f"nudger: {line}", body)}

    def for_nudge(self, app_id: int, about: str, pin: Pin) -> list[dict[str, Any]]:
        """Done / Skip / Snooze for the step `pin` names, and only for it: tapped after
        that step was done (by another button, the command line, a reply, or the mail
        found in Sent), a button answers "already done" and records nothing."""
        about = f"{about}: {pin.describe()}" if about else pin.describe()
        return [self.button(label, verb, str(app_id), args, about, pin)
                for label, verb, args in NUDGE_BUTTONS]

    def for_reply(self, app_id: int, about: str = "") -> list[dict[str, Any]]:
        return [self.button(label, verb, str(app_id), args, about)
                for label, verb, args in REPLY_BUTTONS]

    def for_suggestion(self, suggestion_id: int, about: str = "") -> list[dict[str, Any]]:
        return [self.button(label, verb, f"S{suggestion_id}", (), about)
                for label, verb, _args in SUGGESTION_BUTTONS]


def owner_address(settings: Settings) -> str:
    return settings.profile.email.strip().lower()


def command_address(settings: Settings) -> str:
    """`[mailbox] command_address`, else profile.email with a `+nudger` tag."""
    if settings.mailbox.command_address:
        return settings.mailbox.command_address
    local, _, domain = settings.profile.email.partition("@")
    return f"{local.split('+')[0]}+nudger@{domain}" if domain else ""


def commands_enabled(settings: Settings) -> bool:
    return bool(settings.profile.email) and settings.mailbox.commands


def buttons_enabled(settings: Settings) -> bool:
    """Buttons only make sense when nudger reads the mailbox: an [imap] table."""
    return commands_enabled(settings) and settings.imap is not None
