"""nudger's words, written once: stages, actions, contact kinds, outbox states, weekdays,
and the rules every text field follows (one-line fields, the email address).

Each word list is a `StrEnum`; the tuples (`STAGES`, `ACTIONS`, ...) hold their plain string
values and the `Literal` types for config fields are derived from them, so adding a word
here adds it everywhere: config validation, the tracker's checks, import and export.

Cheap to import (the CLI imports it on every call): enum, re and typing only.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import TYPE_CHECKING, Literal


class Stage(StrEnum):
    """Where an application is. The first four are open (a cadence may apply)."""

    WISHLIST = "wishlist"
    APPLIED = "applied"
    INTERVIEWING = "interviewing"
    OFFER = "offer"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    GHOSTED = "ghosted"


class Action(StrEnum):
    """What a follow-up (a touch, or a cadence step) does."""

    EMAIL = "email"
    CALL = "call"
    VISIT = "visit"
    SOCIAL = "social"
    NETWORK = "network"
    PITCH = "pitch"
    THANK_YOU = "thank-you"
    APPLY = "apply"


class ContactKind(StrEnum):
    HIRING_MANAGER = "hiring-manager"
    HR = "hr"
    RECRUITER = "recruiter"
    REFERRAL = "referral"
    MUTUAL = "mutual"
    OTHER = "other"


class OutboxState(StrEnum):
    """The state of one digest in the outbox (store.models.DigestRecord.state)."""

    PENDING = "pending"  # recorded by the workers' tick with its send job (docs/outbox.md)
    SENDING = "sending"  # claimed by a process that is talking to the server now
    RETRY = "retry"  # a transient failure; next_attempt_at says when
    SENT = "sent"  # the server accepted it
    FAILED = "failed"  # a permanent failure
    SKIPPED = "skipped"  # missed beyond catch_up: recorded so it is never sent days late


class Weekday(StrEnum):
    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"


OPEN_STAGES: tuple[str, ...] = tuple(s.value for s in Stage)[:4]
CLOSED_STAGES: tuple[str, ...] = tuple(s.value for s in Stage)[4:]
STAGES: tuple[str, ...] = OPEN_STAGES + CLOSED_STAGES
ACTIONS: tuple[str, ...] = tuple(a.value for a in Action)
CONTACT_KINDS: tuple[str, ...] = tuple(k.value for k in ContactKind)
OUTBOX_STATES: tuple[str, ...] = tuple(s.value for s in OutboxState)
WEEKDAYS: tuple[str, ...] = tuple(d.value for d in Weekday)
WEEKDAY_INDEX: dict[str, int] = {day: number for number, day in enumerate(WEEKDAYS)}

# The Literal types config fields are validated against (pydantic's own "must be one of
# ..." errors), built from the tuples above. mypy cannot build a Literal from a tuple, so
# it sees plain str; the validation happens at run time.
if TYPE_CHECKING:
    StageName = str
    OpenStageName = str
    ActionName = str
    WeekdayName = str
else:
    StageName = Literal[STAGES]
    OpenStageName = Literal[OPEN_STAGES]
    ActionName = Literal[ACTIONS]
    WeekdayName = Literal[WEEKDAYS]


# --- text fields ---------------------------------------------------------------------

# Values that can end up in an email header (subject, To of a draft, mailto) must be one
# line: a CR or LF there is a header injection, a NUL breaks everything downstream.
ONE_LINE_FIELDS = ("company", "role", "url", "location", "source", "name", "email", "phone",
                   "social", "contact")
MAX_FIELD = 10_000

# One email-address rule: something@something, with none of the characters that would end
# an address in a header. `dana@localhost` is an address.
_EMAIL = re.compile(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+")


def is_email(text: str) -> bool:
    return _EMAIL.fullmatch(text) is not None


def breaks_line(value: str) -> bool:
    """The one-line rule: no CR, LF or NUL."""
    return "\r" in value or "\n" in value or "\x00" in value


def text_problem(name: str, value: str, *, one_line: bool) -> str | None:
    """What is wrong with a text field's value, in the user's words; None when nothing."""
    if "\x00" in value:
        return f"{name} contains a NUL character; remove it"
    if one_line and breaks_line(value):
        return (f"{name} {value[:40]!r} contains a line break; {name} must be one line "
                "(it can appear in an email subject)")
    if len(value) > MAX_FIELD:
        return f"{name} is {len(value)} characters long; the limit is {MAX_FIELD}"
    return None
