"""One authorised command carried out with the command line's meaning, through the same
library calls as the CLI (`execute`), and what is next for its application (`next_for`).
`today` and `now` are passed in: nothing here reads the clock."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from nudger.config import Settings
from nudger.errors import UsageError
from nudger.mail.act.commandlog import MailCommand
from nudger.mail.act.commands.parse import USAGE, Command
from nudger.store.models import Application
from nudger.vocab import OPEN_STAGES
from nudger.when.business import Calendar
from nudger.when.dates import DATE_FORMS, parse_date, parse_datetime
from nudger.when.durations import VALID_FORMS, parse_duration
from nudger.when.times import as_utc


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


def internal_id(session: Session, number: int | None) -> int | None:
    """The internal id of the application a command names by its number (#12: the
    seeker's own numbering, which the digest, its buttons and typed commands use); None
    when the seeker has no such application."""
    if number is None:
        return None
    found: int | None = session.exec(select(Application.id)
                                     .where(Application.number == number)).first()
    return found


def next_for_number(session: Session, run: Run, number: int | None) -> str:
    """`next_for` the application the seeker calls #number ("" when there is none)."""
    app_id = internal_id(session, number)
    return next_for(session, run, app_id) if app_id else ""


def valid_ids(session: Session) -> str:
    rows = session.exec(select(Application.number, Application.company)
                        .where(col(Application.stage).in_(OPEN_STAGES))
                        .order_by(col(Application.number)).limit(30)).all()
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
        return f"#{app.number} {app.company} is {app.stage}: no more nudges"
    until = tracker.snoozed_until(session, app_id)
    nudge = current_step(session, run.settings, run.calendar, app, run.today)
    if nudge is None:
        if app.stage == "interviewing" and app.interview_at is None:
            return (f"#{app.number} {app.company}: the thank-you waits for the interview's date "
                    f"(`stage {app.number} interviewing YYYY-MM-DD HH:MM`)")
        return f"#{app.number} {app.company}: nothing more is planned in {app.stage}"
    due = max(nudge.due, until) if until and until > run.today else nudge.due
    quiet = f" (snoozed until {until.isoformat()})" if until and until > run.today else ""
    return (f"next for #{app.number} {app.company}: {nudge.label}, due {due:%a} "
            f"{due.isoformat()}{quiet}")


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
    app_id = internal_id(session, cmd.app_id)
    if cmd.app_id is not None and app_id is None:
        raise UsageError(f"there is no application #{cmd.app_id}; {valid_ids(session)}")
    note = cmd.args[0] if cmd.args else ""
    if cmd.verb == "done":
        assert app_id is not None
        already = None if pinned else mail_logged(session, app_id, today)
        if already is not None:
            # As `nudger done`: the follow-up found in Sent today is this one.
            step = f" (step {already.step})" if already.step else ""
            return Outcome(cmd.line, False,
                           f"#{cmd.app_id}: the email{step} of {today.isoformat()} was already "
                           "logged from your Sent folder; nothing new recorded",
                           next_for(session, run, app_id), verb="already")
        _touch, nudge = complete_step(session, settings, run.calendar, app_id, today,
                                      now=run.now, note=note)
        text = f"#{cmd.app_id}: done {nudge.label}"
    elif cmd.verb == "log":
        assert app_id is not None
        action = tracker.check_action(cmd.args[0])
        text_note = cmd.args[1] if len(cmd.args) > 1 else ""
        touch, label = record_touch(session, settings, run.calendar, today, app_id, action,
                                    today, now=run.now, note=text_note)
        if label and label.startswith("nothing new"):
            return Outcome(cmd.line, False, f"#{cmd.app_id}: {label} ({touch.action} on "
                           f"{touch.touched_on.isoformat()})", next_for(session, run, app_id),
                           verb="already")
        text = (f"#{cmd.app_id}: logged {action} on {today.isoformat()}"
                + (f" (completes {label})" if label else ""))
    elif cmd.verb == "skip":
        assert app_id is not None
        _touch, nudge = skip_step(session, settings, run.calendar, app_id, today,
                                  now=run.now, note=note)
        text = f"#{cmd.app_id}: skipped {nudge.label}"
    elif cmd.verb == "snooze":
        assert app_id is not None
        until = _snooze_until(run, cmd.args[0])
        tracker.snooze(session, app_id, until, now=run.now)
        text = (f"#{cmd.app_id} is awake: its nudges show again from today" if until <= today
                else f"#{cmd.app_id} snoozed: no nudges before {until:%a} {until.isoformat()}")
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
                           f"#{cmd.app_id} {current.company} is already {stage} (since "
                           f"{current.stage_since.isoformat()}); nothing recorded",
                           next_for(session, run, app_id), verb="already")
        if current.stage == stage:  # the interview's time, newly known: no new stage
            app = tracker.edit_application(session, app_id, {"interview_at": interview},
                                           now=run.now)
            text = f"#{cmd.app_id} {app.company} is {stage}"
        else:
            app = tracker.change_stage(session, app_id, stage, on, interview_at=interview,
                                       note="by mail", now=run.now)
            text = f"#{cmd.app_id} {app.company} is now {stage}"
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
        text = f"#{cmd.app_id}: noted {note!r}"
    elif cmd.verb == "add":
        company, role = cmd.args[0], cmd.args[1]
        contacts = [tracker.parse_contact(cmd.args[2])] if len(cmd.args) > 2 else []
        app = tracker.add_application(session, company=company, role=role, today=today,
                                      contacts=contacts, now=run.now)
        session.flush()
        app_id = app.id
        text = f"added #{app.number} {app.company}, {app.role} (applied {today.isoformat()})"
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
    return (f"#{app.number} {app.company}: nudges run again" if was
            else f"#{app.number} {app.company} was not paused; nothing to resume")



def outcome_json(o: Outcome) -> dict[str, Any]:
    return {"line": o.line, "ok": o.ok, "text": o.text, "next": o.next, "verb": o.verb}


def outcomes_of(row: MailCommand) -> list[Outcome]:
    return [Outcome(d["line"], d["ok"], d["text"], d.get("next", ""), d.get("verb", ""))
            for d in json.loads(row.outcome or "[]")]

