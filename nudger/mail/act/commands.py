"""Command mail: one-tap buttons and replies to the digest, read, checked and carried out.
One concept over 400 lines: the life of one command message, from candidate to result.

A message is a *candidate* when it is addressed to the command address (when that differs
from the owner's own), carries a token, or answers a digest. A candidate is carried out
only when every rule of docs/mailbox.md holds, checked in this order:

1. not auto-submitted (`Auto-Submitted` other than `no`, `X-Autoreply`, `Precedence:
   auto_reply/bulk/list`): robots never command;
2. From is the owner (`profile.email`, the parsed address, case-insensitive; exactly one
   From address);
3. no `Authentication-Results` header says dkim, dmarc or spf `fail` (a header an outsider
   adds can only make us refuse, never accept);
4. it answers a digest or a token authorises it: a reply whose In-Reply-To or References
   names the Message-ID of a digest nudger sent within the last 14 days (the outbox,
   `digest`; 96 random bits, so unguessable, and an inline forward does not carry it)
   allows every safe verb; a button's token only the very command it was made for
   (`tokens.py`), not older than 14 days. The digest prints no reply key (a forward
   would carry it), and an old digest's key line no longer authorises. A Done, Skip or
   Snooze button only while the step it was shown for (stage, step, due day: its pin) is
   the one next, and every button only once (`mailcommand_button`): otherwise it answers
   "already done" and records nothing;
5. its message key was not processed before (`mailcommand`, UNIQUE): recorded in the same
   transaction as the changes, so a crash or an IMAP failure between carrying out and
   marking seen never runs it twice.

A refusal is logged (why, and the Message-ID; never the token) and changes nothing. A
refused message from the owner (rules 1-3 hold, the token does not) is also recorded, with
why, and answered: what was wrong and what would work (`nudger status` lists them). A
stranger gets nothing back.
Commands are carried out through the same library calls as the CLI, each in its own
savepoint: one bad line is reported and the others still run. The owner — and only the
owner, `profile.email` — gets a confirmation (`confirm.py`).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage, Message
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, or_, select

from nudger.config import Settings
from nudger.errors import NudgerError, UsageError
from nudger.mail.act.buttons import command_address, commands_enabled, owner_address
from nudger.mail.act.commandlog import MailCommand, MailCommandButton, button_used
from nudger.mail.act.replytext import all_text, own_lines
from nudger.mail.act.sender import header_text, header_values, strict_from, verdict
from nudger.mail.act.tokens import (
    MARKERS,
    MAX_AGE_DAYS,
    Grant,
    Pin,
    Token,
    check,
    find_tokens,
)
from nudger.mail.imap.headers import MailHeader, parse_address_list
from nudger.store.db import Database
from nudger.store.models import Application, DigestRecord
from nudger.text import one_line as _one_line
from nudger.vocab import ACTIONS, OPEN_STAGES, STAGES, OutboxState
from nudger.when.business import Calendar
from nudger.when.dates import DATE_FORMS, parse_date, parse_datetime
from nudger.when.durations import VALID_FORMS, parse_duration
from nudger.when.times import as_utc

if TYPE_CHECKING:
    from nudger.mail.imap.inbox import MessageContext

log = logging.getLogger(__name__)

VERBS = ("done", "skip", "snooze", "log", "stage", "note", "add", "accept", "dismiss",
         "resume")
# The verbs of the buttons under a nudge: their tokens name the step (tokens.Pin).
PINNED_VERBS = frozenset({"done", "skip", "snooze"})
NEVER_BY_MAIL = ("rm", "remove", "delete", "del", "edit", "contact", "import", "init")
MAX_COMMAND_LINES = 50
MAX_LINE = 500
MAX_MESSAGE_BYTES = 2_000_000
SUBJECT_PREFIX = "nudger:"

USAGE = (
    "done ID, skip ID, snooze ID 3 days (or a date), "
    f"log ID ACTION [note] (ACTION one of {', '.join(ACTIONS)}), "
    "stage ID STAGE [DATE [TIME]], note ID TEXT, add Company / Role / email, "
    "accept S7, dismiss S7, resume ID"
)


# --- parsing -----------------------------------------------------------------------------

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
        subject = _one_line(header_text(msg, "Subject"))
        while re.match(r"^(re|aw|fwd?|sv|antw)\s*:\s*", subject, re.IGNORECASE):
            subject = re.sub(r"^\w+\s*:\s*", "", subject)
        if subject.lower().startswith(SUBJECT_PREFIX):
            result = parse_line(subject[len(SUBJECT_PREFIX):])
            if isinstance(result, Command):
                parsed.commands.append(result)
                parsed.ignored = []
    return parsed


# --- who may command ---------------------------------------------------------------------











MAX_RECIPIENT_HEADER = 16_384  # characters of one To/Cc read: a command needs no more


def _addresses(msg: Message, *names: str) -> list[str]:
    """The addresses in these fields, read from the raw values (the email package's own
    header parser recurses per nested comment: 2,000 `(` exhaust the stack), capped."""
    wanted = {name.lower() for name in names}
    found: list[str] = []
    for name, value in msg.raw_items():
        if name.lower() in wanted:
            found.extend(parse_address_list(str(value)[:MAX_RECIPIENT_HEADER]))
    return found


def is_candidate(settings: Settings, msg: Message) -> bool:
    """Is this message meant as a command (whether or not it may run)?"""
    cmd = command_address(settings).lower()
    if cmd and cmd != owner_address(settings) and cmd in _addresses(
            msg, "To", "Cc", "Delivered-To", "X-Original-To"):
        return True
    refs = " ".join(header_text(msg, h) for h in ("In-Reply-To", "References"))
    if "<nudger-digest." in refs:
        return True
    subject = header_text(msg, "Subject")
    text = subject + "\n" + all_text(msg)
    return any(marker in text for marker in MARKERS)


def auto_submitted(msg: Message) -> str:
    value = header_text(msg, "Auto-Submitted").strip().lower()
    if value and value != "no":
        return f"Auto-Submitted: {_one_line(value)[:40]}"
    if header_text(msg, "X-Autoreply") or header_text(msg, "X-Autorespond"):
        return "an auto-reply (X-Autoreply)"
    precedence = header_text(msg, "Precedence").strip().lower()
    if precedence in ("bulk", "list", "junk", "auto_reply"):
        return f"Precedence: {precedence}"
    return ""


_AUTH_FAIL = re.compile(r"\b(dkim|dmarc|spf)\s*=\s*(fail|permerror)\b", re.IGNORECASE)


def authentication_failed(msg: Message) -> str:
    for value in header_values(msg, "Authentication-Results"):
        found = _AUTH_FAIL.search(str(value))
        if found:
            return f"Authentication-Results says {found.group(1).lower()}={found.group(2).lower()}"
    return ""


def sender_refusal(settings: Settings, msg: Message) -> str:
    """Why this message may not command, or "" (the token is checked separately)."""
    why = auto_submitted(msg)
    if why:
        return why
    sender, why = strict_from(msg)
    if why:
        return why
    if sender != owner_address(settings):
        return "From is not the owner's address (profile.email)"
    failed = authentication_failed(msg)
    if failed:
        return failed
    vouched = verdict(settings, msg, sender)
    return "" if vouched.ok else vouched.why


# --- carrying out ------------------------------------------------------------------------

@dataclass(frozen=True)
class Run:
    """What executing needs; `today`/`now` are passed in (nothing here reads the clock)."""

    settings: Settings
    calendar: Calendar
    today: date
    now: datetime

    @property
    def zone(self) -> ZoneInfo:
        return self.settings.zone


@dataclass
class Outcome:
    line: str
    ok: bool
    text: str  # what was done (ok) or what was wrong
    next: str = ""  # what is next for that application
    verb: str = ""  # the command's verb; "already" when it had been done before


def _valid_ids(session: Session) -> str:
    rows = session.exec(select(Application.id, Application.company)
                        .where(col(Application.stage).in_(OPEN_STAGES))
                        .order_by(col(Application.id)).limit(30)).all()
    if not rows:
        return "you have no open applications"
    return "your open applications: " + ", ".join(f"#{i} {c}" for i, c in rows)


def _snooze_until(run: Run, text: str) -> date:
    value = text.strip()
    if value.lower() in ("off", "none", "wake"):
        return run.today
    try:
        return run.calendar.after(run.today, parse_duration(value))
    except ValueError:
        pass
    try:
        return parse_date(value, run.today, what="snooze")
    except UsageError:
        raise UsageError(
            f"{value!r} is neither a duration ({VALID_FORMS}) nor a date ({DATE_FORMS}); "
            "or 'off' to wake it") from None


def next_for(session: Session, run: Run, app_id: int) -> str:
    from nudger.track import tracker
    from nudger.track.progress import current_step

    app = session.get(Application, app_id)
    if app is None:
        return ""
    if app.stage not in OPEN_STAGES:
        return f"#{app_id} {app.company} is {app.stage}: no more nudges"
    until = tracker.snoozed_until(session, app_id)
    nudge = current_step(session, run.settings, run.calendar, app, run.today)
    if nudge is None:
        if app.stage == "interviewing" and app.interview_at is None:
            return (f"#{app_id} {app.company}: the thank-you waits for the interview's date "
                    f"(`stage {app_id} interviewing YYYY-MM-DD HH:MM`)")
        return f"#{app_id} {app.company}: nothing more is planned in {app.stage}"
    due = max(nudge.due, until) if until and until > run.today else nudge.due
    quiet = f" (snoozed until {until.isoformat()})" if until and until > run.today else ""
    return f"next for #{app_id} {app.company}: {nudge.label}, due {due:%a} {due.isoformat()}{quiet}"


def _ask_interview_time(session: Session, run: Run, app_id: int) -> str:
    """The line that records the interview's time: the one the mail stated (an open
    stage suggestion capture made from it), else an example to edit. No thank-you is due
    before it is known (cadence.py)."""
    from nudger.store.models import Suggestion

    stated = None
    for row in session.exec(select(Suggestion).where(
            Suggestion.application_id == app_id, Suggestion.kind == "stage",
            Suggestion.status == "open").order_by(col(Suggestion.id).desc())).all():
        try:
            value = json.loads(row.payload or "{}").get("interview_at")
            stated = datetime.fromisoformat(value) if value else None
        except (ValueError, TypeError, AttributeError):
            stated = None
        if stated is not None and stated.tzinfo is not None:
            break
        stated = None
    if stated is not None:
        local = stated.astimezone(run.zone)
        return (f". The mail says the interview is {local:%a} {local:%Y-%m-%d %H:%M}: "
                f"reply `stage {app_id} interviewing {local:%Y-%m-%d %H:%M}` to record it; "
                "the thank-you follows it (none is due before)")
    example = run.calendar.after(run.today, parse_duration("2 business days"))
    return (f". When is the interview? Reply with its date and time, like `stage {app_id} "
            f"interviewing {example.isoformat()} 10:00`; the thank-you follows it (none is "
            "due before)")


def execute(session: Session, run: Run, cmd: Command, *, pinned: bool = False) -> Outcome:
    """Carry out one authorised command with the command line's meaning; NudgerError for
    anything wrong (the caller rolls back its savepoint). `pinned`: a button already
    checked that the step it was shown for is the one next (`pin_problem`)."""
    from nudger.track import tracker
    from nudger.track.progress import complete_step, mail_logged, record_touch, skip_step

    settings, today = run.settings, run.today
    app_id = cmd.app_id
    if app_id is not None and session.get(Application, app_id) is None:
        raise UsageError(f"there is no application #{app_id}; {_valid_ids(session)}")
    note = cmd.args[0] if cmd.args else ""
    if cmd.verb == "done":
        assert app_id is not None
        already = None if pinned else mail_logged(session, app_id, today)
        if already is not None:
            # As `nudger done`: the follow-up found in Sent today is this one.
            step = f" (step {already.step})" if already.step else ""
            return Outcome(cmd.line, False,
                           f"#{app_id}: the email{step} of {today.isoformat()} was already "
                           "logged from your Sent folder; nothing new recorded",
                           next_for(session, run, app_id), verb="already")
        _touch, nudge = complete_step(session, settings, run.calendar, app_id, today,
                                      now=run.now, note=note)
        text = f"#{app_id}: done {nudge.label}"
    elif cmd.verb == "log":
        assert app_id is not None
        action = tracker.check_action(cmd.args[0])
        text_note = cmd.args[1] if len(cmd.args) > 1 else ""
        touch, label = record_touch(session, settings, run.calendar, today, app_id, action,
                                    today, now=run.now, note=text_note)
        if label and label.startswith("nothing new"):
            return Outcome(cmd.line, False, f"#{app_id}: {label} ({touch.action} on "
                           f"{touch.touched_on.isoformat()})", next_for(session, run, app_id),
                           verb="already")
        text = (f"#{app_id}: logged {action} on {today.isoformat()}"
                + (f" (completes {label})" if label else ""))
    elif cmd.verb == "skip":
        assert app_id is not None
        _touch, nudge = skip_step(session, settings, run.calendar, app_id, today,
                                  now=run.now, note=note)
        text = f"#{app_id}: skipped {nudge.label}"
    elif cmd.verb == "snooze":
        assert app_id is not None
        until = _snooze_until(run, cmd.args[0])
        tracker.snooze(session, app_id, until, now=run.now)
        text = (f"#{app_id} is awake: its nudges show again from today" if until <= today
                else f"#{app_id} snoozed: no nudges before {until:%a} {until.isoformat()}")
    elif cmd.verb == "stage":
        assert app_id is not None
        stage = cmd.args[0].lower()
        tracker.check_stage(stage)
        when = cmd.args[1] if len(cmd.args) > 1 else ""
        interview = None
        on = today
        if when and stage == "interviewing":
            interview = parse_datetime(when, today, run.zone, what="interview").astimezone(UTC)
        elif when:
            on = parse_date(when, today, what="date")
        current = tracker.get_application(session, app_id)
        if current.stage == stage and (interview is None or (current.interview_at is not None
                                       and as_utc(current.interview_at) == interview)):
            # Each change is recorded once: the Interviewing button after the suggestion
            # was accepted, or a stage already set on the command line, records nothing.
            return Outcome(cmd.line, False,
                           f"#{app_id} {current.company} is already {stage} (since "
                           f"{current.stage_since.isoformat()}); nothing recorded",
                           next_for(session, run, app_id), verb="already")
        if current.stage == stage:  # the interview's time, newly known: no new stage
            app = tracker.edit_application(session, app_id, {"interview_at": interview},
                                           now=run.now)
            text = f"#{app_id} {app.company} is {stage}"
        else:
            app = tracker.change_stage(session, app_id, stage, on, interview_at=interview,
                                       note="by mail", now=run.now)
            text = f"#{app_id} {app.company} is now {stage}"
        if interview is not None:
            local = interview.astimezone(run.zone)
            text += f", interview {local:%a} {local:%Y-%m-%d %H:%M}"
        elif stage == "interviewing" and app.interview_at is None:
            text += _ask_interview_time(session, run, app_id)
    elif cmd.verb == "note":
        assert app_id is not None
        app = tracker.get_application(session, app_id)
        line = f"{today.isoformat()}: {note}"
        tracker.edit_application(session, app_id,
                                 {"notes": f"{app.notes}\n{line}" if app.notes else line},
                                 now=run.now)
        text = f"#{app_id}: noted {note!r}"
    elif cmd.verb == "add":
        company, role = cmd.args[0], cmd.args[1]
        contacts = [tracker.parse_contact(cmd.args[2])] if len(cmd.args) > 2 else []
        app = tracker.add_application(session, company=company, role=role, today=today,
                                      contacts=contacts, now=run.now)
        session.flush()
        app_id = app.id
        text = f"added #{app_id} {app.company}, {app.role} (applied {today.isoformat()})"
    elif cmd.verb in ("accept", "dismiss"):
        text, app_id = _suggestion(session, run, cmd)
    elif cmd.verb == "resume":
        assert app_id is not None
        text = _resume(session, run, app_id)
    else:  # parse_line only makes the verbs above
        raise UsageError(f"unknown command {cmd.verb!r}; the commands: {USAGE}")
    session.flush()
    return Outcome(cmd.line, True, text, next_for(session, run, app_id) if app_id else "",
                   verb=cmd.verb)


def _suggestion(session: Session, run: Run, cmd: Command) -> tuple[str, int | None]:
    from nudger.mail.capture import suggestions

    number = int(cmd.target.lstrip("S"))
    if cmd.verb == "accept":
        outcomes = suggestions.accept(session, [number], today=run.today, now=run.now)
    else:
        outcomes = suggestions.dismiss(session, [number], now=run.now)
    if not outcomes:
        raise UsageError(f"there is no suggestion S{number}; `nudger suggestions` lists them")
    outcome = outcomes[0]
    if not outcome.ok:
        raise UsageError(outcome.detail)
    return outcome.detail, outcome.application_id if cmd.verb == "accept" else None


def _resume(session: Session, run: Run, app_id: int) -> str:
    from nudger.mail.imap.replies import resume

    app, was = resume(session, app_id, run.now)
    return (f"#{app_id} {app.company}: nudges run again" if was
            else f"#{app_id} {app.company} was not paused; nothing to resume")


# --- buttons: one step, one use ------------------------------------------------------------

def _when(at: datetime, zone: ZoneInfo) -> str:
    local = at.astimezone(zone) if at.tzinfo else at.replace(tzinfo=UTC).astimezone(zone)
    return f"{local:%a} {local:%Y-%m-%d %H:%M}"


def pin_problem(session: Session, run: Run, cmd: Command, pin: Pin | None) -> str:
    """Why a Done / Skip / Snooze button may not act now ("" when it may): the step it was
    shown for must still be the one next, at the same due day. Reads only."""
    from sqlmodel import col

    from nudger.store.models import MailMessage, Touch
    from nudger.track.progress import current_step

    app_id = cmd.app_id
    assert app_id is not None
    app = session.get(Application, app_id)
    if app is None:
        return f"there is no application #{app_id}; {_valid_ids(session)}"
    name = f"#{app_id} {app.company}"
    if pin is None:
        return (f"this button comes from a digest made before buttons named their step, so "
                f"nudger cannot tell which follow-up of {name} it meant; nothing recorded. "
                f"Tap the button in a recent digest, or reply to one with `{cmd.line}`")
    nudge = current_step(session, run.settings, run.calendar, app, run.today)
    if nudge is not None and (nudge.stage, nudge.step, nudge.due) == (pin.stage, pin.step,
                                                                       pin.due):
        return ""
    if app.stage == pin.stage:
        touch = session.exec(
            select(Touch).where(Touch.application_id == app_id, Touch.stage == pin.stage,
                                Touch.step == pin.step, Touch.touched_on >= app.stage_since)
            .order_by(col(Touch.id).desc())).first()
        if touch is not None:
            from_sent = touch.id is not None and session.exec(
                select(MailMessage.id).where(MailMessage.touch_id == touch.id)).first()
            how = ("skipped" if touch.skipped
                   else "logged from your Sent folder" if from_sent
                   else f"done ({touch.action})")
            return (f"already done: {name}, {pin.describe()}, was {how} on "
                    f"{touch.touched_on:%a} {touch.touched_on.isoformat()}; nothing recorded")
    if app.stage != pin.stage:
        return (f"{name} is now {app.stage} (since {app.stage_since.isoformat()}); this "
                f"button was for {pin.describe()}; nothing recorded")
    now_next = (f"its next step is now {nudge.label}, due {nudge.due:%a} "
                f"{nudge.due.isoformat()}" if nudge is not None
                else "nothing more is planned for it")
    return (f"this button was for {name}, {pin.describe()}, and {now_next} (something was "
            f"logged since that digest); nothing recorded. To act on the step now next, "
            f"reply to a recent digest with `{cmd.verb} {app_id}`")


def _run_button(session: Session, run: Run, command: Command, token: Token,
                row_id: int) -> Outcome:
    """A command a button authorised: once per button, and for its own step only."""
    earlier = button_used(session, token.use_key)
    if earlier is not None:
        line, at = earlier
        return Outcome(command.line, False,
                       f"already done: this button was carried out on "
                       f"{_when(at, run.zone)} ({line}); nothing recorded",
                       next_for(session, run, command.app_id) if command.app_id else "",
                       verb="already")
    if command.verb in PINNED_VERBS:
        problem = pin_problem(session, run, command, token.pin)
        if problem:
            return Outcome(command.line, False, problem,
                           next_for(session, run, command.app_id) if command.app_id else "",
                           verb="already" if problem.startswith("already") else "")
    outcome = _run_one(session, run, command, pinned=True)
    if outcome.ok:
        session.add(MailCommandButton(use_key=token.use_key, mailcommand_id=row_id,
                                      line=command.line, used_at=run.now))
    return outcome


def refusal_answer(reason: str, parsed: Parsed, tokens: Sequence[Token]) -> str:
    """What the owner is told about a refused message: what was wrong, what would work."""
    lines = [c.line for c in parsed.commands]
    example = f"`{lines[0]}`" if lines else "the command (one per line)"
    if "expired" in reason:
        issued = min((t.issued for t in tokens), default=None)
        when = f" of {issued.isoformat()}" if issued else ""
        return (f"the button{when} you tapped is too old: buttons work "
                f"for {MAX_AGE_DAYS} days. Tap the button in a recent digest, or "
                f"reply to today's digest with {example}")
    if reason == NOT_A_REPLY:
        return ("your message is not a reply to a digest nudger sent you (a forwarded or "
                "new message does not count, and digests no longer print a reply key). "
                f"Reply to a recent digest with {example}")
    if reason == OLD_DIGEST:
        return (f"the digest you answered is unknown or older than {MAX_AGE_DAYS} days: "
                f"replies work for {MAX_AGE_DAYS} days. Reply to today's digest with "
                f"{example}")
    return ("the button was changed before it was sent: a button carries out only the "
            "command it was made for. Send the button's message as it is, or reply to a "
            f"recent digest with {example}")


# --- one message, start to finish ----------------------------------------------------------

@dataclass
class Handled:
    """What became of one candidate message."""

    status: str  # "done" | "refused" | "duplicate"
    reason: str = ""
    outcomes: list[Outcome] = field(default_factory=list)
    row_id: int | None = None


def message_id_of(msg: Message) -> str:
    value = _one_line(header_text(msg, "Message-ID"))
    found = re.search(r"<[^<>\s]{1,250}>", value)
    return found.group(0) if found else ""


def refuse(reason: str, msg: Message) -> Handled:
    log.warning("command mail refused (%s): Message-ID %s", reason,
                message_id_of(msg) or "(none)")
    return Handled("refused", reason)


NOT_A_REPLY = "not a reply to a digest"
OLD_DIGEST = "a reply to an unknown or old digest"
_DIGEST_ID = re.compile(r"<nudger-digest\.[^<>\s]{1,200}>")
MAX_REFERENCED_DIGESTS = 50


def referenced_digests(msg: Message) -> list[str]:
    """The digest Message-IDs this message's In-Reply-To and References name (capped)."""
    refs = " ".join(_one_line(header_text(msg, h))[:20_000]
                    for h in ("In-Reply-To", "References"))
    return _DIGEST_ID.findall(refs)[-MAX_REFERENCED_DIGESTS:]


def answers_digest(db: Database, msg: Message, today: date) -> str:
    """"" when the message replies to a digest nudger sent (or may have sent: a lost
    reply after DATA) within the last MAX_AGE_DAYS days; else why not."""
    ids = referenced_digests(msg)
    if not ids:
        return NOT_A_REPLY
    oldest = today - timedelta(days=MAX_AGE_DAYS)
    with db.session() as session:
        found = session.exec(select(DigestRecord.id).where(
            col(DigestRecord.message_id).in_(ids),
            DigestRecord.local_date >= oldest, DigestRecord.local_date <= today,
            or_(col(DigestRecord.state) == OutboxState.SENT.value,
                col(DigestRecord.uncertain).is_(True)))).first()
    return "" if found is not None else OLD_DIGEST


def handle_message(settings: Settings, db: Database, calendar: Calendar, key: bytes,
                   message_key: str, msg: EmailMessage | Message, *, today: date,
                   now: datetime, record: Callable[[Session], object] | None = None
                   ) -> Handled | None:
    """Carry out a command message exactly once; None when it is not a command message.
    `record` runs inside the transaction that carries the commands out (the sync records
    the message as handled there, so both happen or neither). A message from the owner
    that neither answers a recent digest nor carries a button's token is recorded as
    refused and answered (status "refused", with a row); anyone else's is only logged."""
    if not is_candidate(settings, msg):
        return None
    why = sender_refusal(settings, msg)
    if why:
        return refuse(why, msg)
    tokens = find_tokens(_one_line(header_text(msg, "Subject")) + "\n" + all_text(msg))
    # Only a message whose From is exactly the owner's gets this far (a stranger's is
    # refused above, its body never parsed); the parse itself is capped and linear
    # (replytext: MAX_HTML_CHARS, linear_html, MAX_LINE_CHARS).
    parsed = parse_message(msg)
    not_reply = answers_digest(db, msg, today)
    # A typed line in a reply to a digest has the command line's meaning; a line only a
    # button's token allows is that button, with its pin and its one use.
    allowed: list[tuple[Command, Token | None]] = []
    denied: list[Command] = []
    for command in parsed.commands:
        if not not_reply:
            allowed.append((command, None))
            continue
        verdict = check(key, tokens, [command.grant()], today)
        if verdict.ok:
            allowed.append((command, verdict.token))
        else:
            denied.append(command)
    refusal = ""
    if not_reply and not allowed:
        # An old digest's reply key (Grant.digest) authorises nothing any more, and a
        # message with many tokens is a quoted or forwarded digest, not a tapped button
        # (which carries one): both are answered as "not a reply", never as a changed
        # button.
        old_key = check(key, tokens, [Grant.digest()], today)
        button = check(key, tokens, [c.grant() for c in parsed.commands], today)
        refusal = not_reply if old_key.ok or "expired" in old_key.reason \
            or not parsed.commands or len(tokens) > 1 or button.reason == "no token" \
            else button.reason
        refuse(refusal, msg)
    run = Run(settings, calendar, today, now)
    outcomes: list[Outcome] = []
    with db.session() as session:
        if session.exec(select(MailCommand.id)
                        .where(MailCommand.message_key == message_key)).first() is not None:
            log.info("command mail %s was carried out before; not again",
                     message_id_of(msg) or message_key)
            return Handled("duplicate")
        row = MailCommand(message_key=message_key, message_id=message_id_of(msg),
                          processed_at=now, refusal=refusal[:200],
                          subject=_one_line(header_text(msg, "Subject"))[:200])
        session.add(row)
        session.flush()
        assert row.id is not None
        if refusal:
            outcomes.append(Outcome("", False, refusal_answer(refusal, parsed, tokens),
                                    verb="refused"))
        elif parsed.too_long:
            outcomes.append(Outcome("", False, parsed.too_long))
        else:
            for command, token in allowed:
                outcomes.append(_run_one(session, run, command) if token is None
                                else _run_button(session, run, command, token, row.id))
            for command in denied:
                outcomes.append(Outcome(command.line, False,
                                        "not carried out: the button you tapped was made for "
                                        "another command; reply to the digest to do this"))
            outcomes.extend(Outcome(e, False, "") for e in parsed.errors)
            if not parsed.commands and not parsed.errors:
                outcomes.append(Outcome("", False, f"no command found; write one per line: "
                                        f"{USAGE}"))
        row.done = json.dumps([o.text for o in outcomes if o.ok])
        row.outcome = json.dumps([_outcome_json(o) for o in outcomes])
        session.add(row)
        row_id = row.id
        if record is not None:
            record(session)
    if refusal:
        return Handled("refused", refusal, outcomes, row_id)
    done = sum(o.ok for o in outcomes)
    log.info("command mail %s: %d of %d carried out", message_id_of(msg) or message_key,
             done, len(outcomes))
    return Handled("done", "", outcomes, row_id)


def _run_one(session: Session, run: Run, command: Command, *, pinned: bool = False
             ) -> Outcome:
    savepoint = session.begin_nested()
    try:
        outcome = execute(session, run, command, pinned=pinned)
    except NudgerError as exc:
        savepoint.rollback()
        return Outcome(command.line, False, str(exc), verb=command.verb)
    savepoint.commit()
    return outcome


def _outcome_json(o: Outcome) -> dict[str, Any]:
    return {"line": o.line, "ok": o.ok, "text": o.text, "next": o.next, "verb": o.verb}


def outcomes_of(row: MailCommand) -> list[Outcome]:
    return [Outcome(d["line"], d["ok"], d["text"], d.get("next", ""), d.get("verb", ""))
            for d in json.loads(row.outcome or "[]")]


# --- the sync's hook (MAILSPEC: step 1 of each new INBOX message) ---------------------------

_REPLY_PREFIXES = re.compile(r"^((re|aw|fwd?|sv|antw)\s*:\s*)+", re.IGNORECASE)


def header_candidate(settings: Settings, header: MailHeader) -> bool:
    """Headers only (a body is read only for a message that matched): addressed to a
    command address of its own, answering a digest, or a button's subject."""
    cmd = command_address(settings).lower()
    if cmd and cmd != owner_address(settings) and cmd in header.recipients:
        return True
    if any(t.startswith("nudger-digest.") for t in header.thread_ids):
        return True
    subject = _REPLY_PREFIXES.sub("", header.subject.strip())
    return subject.lower().startswith(SUBJECT_PREFIX)


def on_inbox_message(ctx: MessageContext) -> bool:
    """The sync's command step: True when the message was a command (carried out, refused
    or a duplicate), so replies and capture leave it alone."""
    settings, header = ctx.settings, ctx.header
    if not commands_enabled(settings) or not header_candidate(settings, header):
        return False  # most mail: decided before anything is imported or fetched
    from email import message_from_bytes
    from email.policy import default as default_policy

    from nudger.mail.act.tokens import load_or_create_key

    raw, size = ctx.imap.fetch_message(header.uid, MAX_MESSAGE_BYTES)
    parsed = message_from_bytes(raw, policy=default_policy)
    if size > MAX_MESSAGE_BYTES:
        log.warning("command mail refused (larger than %d bytes): Message-ID %s",
                    MAX_MESSAGE_BYTES, message_id_of(parsed) or header.key)
        ctx.found("command", None, "refused: too large")
        return True
    if ctx.dry_run:
        ctx.found("command", None, "a command message (dry run: not carried out)")
        return True
    key = load_or_create_key(ctx.db.path.parent)
    today = ctx.now.astimezone(settings.zone).date()
    handled = handle_message(
        settings, ctx.db, Calendar.from_settings(settings), key, header.key, parsed,
        today=today, now=ctx.now,
        record=lambda session: ctx.claim("command", session=session))
    if handled is None:
        return False
    if handled.status == "done":
        done = sum(o.ok for o in handled.outcomes)
        ctx.found("command", None, f"{done} of {len(handled.outcomes)} carried out")
    else:
        ctx.found("command", None, handled.status)
    return True


__all__ = ["STAGES", "Command", "Handled", "Outcome", "Parsed", "Run", "handle_message",
           "parse_line", "parse_message"]
