"""The lines of a command message, read: each a `Command`, an error naming the line and
what would work, or not a command at all (a greeting). Pure: no database, no clock."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage, Message

from nudger.mail.act.replytext import own_lines
from nudger.mail.act.sender import header_text
from nudger.mail.act.tokens import MARKERS, Grant
from nudger.text import one_line
from nudger.vocab import ACTIONS

VERBS = ("done", "skip", "snooze", "log", "stage", "note", "add", "accept", "dismiss",
         "resume")
# The verbs of the buttons under a nudge: their tokens name the step (tokens.Pin).
PINNED_VERBS = frozenset({"done", "skip", "snooze"})
NEVER_BY_MAIL = ("rm", "remove", "delete", "del", "edit", "contact", "import", "init")
MAX_COMMAND_LINES = 50
MAX_LINE = 500
SUBJECT_PREFIX = "nudger:"

USAGE = (
    "done ID, skip ID, snooze ID 3 days (or a date), "
    f"log ID ACTION [note] (ACTION one of {', '.join(ACTIONS)}), "
    "stage ID STAGE [DATE [TIME]], note ID TEXT, add Company / Role / email, "
    "accept S7, dismiss S7, resume ID"
)



@dataclass(frozen=True)
class Command:
    verb: str
    target: str  # "12" for an application, "S7" for a suggestion, "" for add
    args: tuple[str, ...]
    line: str

    def grant(self) -> Grant:
        return Grant.command(self.verb, self.target, self.args)

    @property
    def app_id(self) -> int | None:
        return int(self.target) if self.target.isdigit() else None


@dataclass
class Parsed:
    commands: list[Command] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # one line each: the line and why
    ignored: list[str] = field(default_factory=list)  # lines that are not commands
    too_long: str = ""  # set when the message is refused as a whole for its size


_ID = re.compile(r"^#?(\d{1,9})$")
_SUGGESTION = re.compile(r"^[sS]?(\d{1,9})$")


def parse_line(line: str) -> Command | str | None:
    """A Command; an error (str) for a line that starts with a verb but is wrong; None for
    a line that is no command at all (a greeting, "Sent from my iPhone")."""
    text = " ".join(line.replace("\u00a0", " ").split())
    text = text.lstrip("-*•· ").strip()
    words = text.split(" ")
    verb = words[0].lower().rstrip(":") if words and words[0] else ""
    if verb in NEVER_BY_MAIL and words[0].endswith(":"):
        return None  # a label ("contact: Dana Lee, …" in a quoted digest), not a command
    if verb in NEVER_BY_MAIL:
        return (f"{text!r}: `{verb}` is not available by mail (only {', '.join(VERBS)}); "
                "run it on your computer")
    if verb not in VERBS:
        if len(words) > 1 and _ID.match(words[1]) and re.fullmatch(r"[a-z]+", verb):
            # `call 2`, `called 3 Sam`: meant as a command, with a verb nudger lacks.
            return f"{text!r}: `{verb}` is not a command; the commands: {USAGE}"
        return None
    if len(text) > MAX_LINE:
        return f"{text[:40]!r}…: a command line is at most {MAX_LINE} characters"
    rest = words[1:]
    if verb == "add":
        parts = [p.strip() for p in " ".join(rest).split("/")]
        if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
            return f"{text!r}: write it like `add Acme / Account Executive / dana@acme.example`"
        return Command(verb, "", tuple(parts), text)
    if verb in ("accept", "dismiss"):
        if len(rest) != 1 or not _SUGGESTION.match(rest[0]):
            return f"{text!r}: write it like `{verb} S7` (one suggestion per line)"
        return Command(verb, "S" + _SUGGESTION.match(rest[0]).group(1), (), text)  # type: ignore[union-attr]
    if not rest or not _ID.match(rest[0]):
        return f"{text!r}: `{verb}` needs an application ID, like `{verb} 12`"
    target = _ID.match(rest[0]).group(1)  # type: ignore[union-attr]
    args = rest[1:]
    if verb == "snooze" and not args:
        return f"{text!r}: say how long, like `snooze {target} 3 days` or a date (YYYY-MM-DD)"
    if verb == "stage" and not args:
        return f"{text!r}: say which stage, like `stage {target} interviewing`"
    if verb == "note" and not args:
        return f"{text!r}: write the note after the ID, like `note {target} called, voicemail`"
    if verb == "log":
        if not args:
            return (f"{text!r}: say what you did, like `log {target} call` or "
                    f"`log {target} visit met Sam at the fair`")
        return Command(verb, target, (args[0].lower(), " ".join(args[1:])) if args[1:]
                       else (args[0].lower(),), text)
    if verb == "resume":
        if args:
            return f"{text!r}: `resume` takes only the ID, like `resume {target}`"
        return Command(verb, target, (), text)
    if verb in ("snooze", "note", "done", "skip"):
        joined = " ".join(args)
        return Command(verb, target, (joined,) if joined else (), text)
    return Command(verb, target, (args[0], " ".join(args[1:])) if args[1:] else (args[0],),
                   text)


def parse_text(lines: Sequence[str]) -> Parsed:
    parsed = Parsed()
    if len(lines) > MAX_COMMAND_LINES:
        parsed.too_long = (f"your message has {len(lines)} lines of its own; nudger reads at "
                           f"most {MAX_COMMAND_LINES} command lines per message, so it did "
                           "nothing; send the commands in shorter messages")
        return parsed
    for line in lines:
        if any(marker in line for marker in MARKERS):
            continue  # the token line of a button
        result = parse_line(line)
        if isinstance(result, Command):
            parsed.commands.append(result)
        elif isinstance(result, str):
            parsed.errors.append(result)
        elif line:
            parsed.ignored.append(line[:80])
    return parsed


def parse_message(msg: EmailMessage | Message) -> Parsed:
    parsed = parse_text(own_lines(msg))
    if not parsed.commands and not parsed.errors and not parsed.too_long:
        subject = one_line(header_text(msg, "Subject"))
        while re.match(r"^(re|aw|fwd?|sv|antw)\s*:\s*", subject, re.IGNORECASE):
            subject = re.sub(r"^\w+\s*:\s*", "", subject)
        if subject.lower().startswith(SUBJECT_PREFIX):
            result = parse_line(subject[len(SUBJECT_PREFIX):])
            if isinstance(result, Command):
                parsed.commands.append(result)
                parsed.ignored = []
    return parsed


def message_id_of(msg: Message) -> str:
    value = one_line(header_text(msg, "Message-ID"))
    found = re.search(r"<[^<>\s]{1,250}>", value)
    return found.group(0) if found else ""

