"""Planning commands: due (a day's nudges, or the plan for the next days), done, skip."""

from __future__ import annotations

from nudger.commands import Command, Context, Option
from nudger.commands._args import APP_ID, JSON, MAX_DAYS, days
from nudger.errors import UsageError

# typing is not imported at run time: it costs ~4 ms on every `nudger` call. mypy
# treats any constant named TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from datetime import date
    from typing import Any

    from nudger.track.cadence import Cold, Nudge


ORDER = 20
# Far enough from date.min and date.max that ten-year durations cannot overflow.
EARLIEST_DAY = (1900, 1, 1)
LATEST_DAY = (9000, 12, 31)


# --- due -------------------------------------------------------------------------------

def _nudge_json(nudge: Nudge, names: dict[int, tuple[str, str, int]]) -> dict[str, Any]:
    company, role, number = names.get(nudge.app_id, ("", "", nudge.app_id))
    data: dict[str, Any] = {
        "id": number,
        "company": company,
        "role": role,
        "stage": nudge.stage,
        "step": nudge.step,
        "of": nudge.steps,
        "action": nudge.action,
        "template": nudge.template,
        "label": nudge.label,
        "due": nudge.due.isoformat(),
        "overdue_days": nudge.overdue_days,
        "repeat": nudge.repeat,
        "deadline": nudge.deadline.isoformat() if nudge.deadline else None,
        "command": f"nudger done {number}",
    }
    if nudge.shows is not None:
        data["shows"] = nudge.shows.isoformat()
    return data


def _cold_json(entry: Cold, names: dict[int, tuple[str, str, int]]) -> dict[str, Any]:
    company, role, number = names.get(entry.app_id, ("", "", entry.app_id))
    return {"id": number, "company": company, "role": role, "stage": entry.stage,
            "since": entry.since.isoformat(), "days": entry.days,
            "auto_ghost": entry.auto_ghost}


def _late(days: int) -> str:
    """`3 days`, `1 day`, or nothing for zero."""
    if days <= 0:
        return ""
    return "1 day" if days == 1 else f"{days} days"


def cmd_due(ctx: Context) -> int:
    from nudger.store.read import load_states
    from nudger.track.cadence import due_on, plan
    from nudger.track.tracker import app_numbers
    from nudger.when.dates import parse_date

    args = ctx.args
    day = parse_date(args.date, ctx.today, what="--date")
    if not LATEST_DAY >= (day.year, day.month, day.day) >= EARLIEST_DAY:
        raise UsageError(f"--date {args.date!r} is out of range; give a date between "
                         "1900-01-01 and 9000-12-31")
    settings = ctx.settings
    with ctx.db.read_session() as session:
        states = load_states(session, zone=settings.zone)
        numbers = app_numbers(session)  # the seeker's #numbers, by internal id
    names = {s.id: (s.company, s.role, numbers.get(s.id, s.id)) for s in states}
    if args.days is not None:
        entries = plan(states, settings.cadence, ctx.calendar, day, args.days)
        return _print_plan(ctx, day, args.days, entries, names)
    report = due_on(states, settings.cadence, ctx.calendar, day)
    if args.json:
        ctx.print_json({
            "date": day.isoformat(),
            "nudges": [_nudge_json(n, names) for n in report.nudges],
            "cold": [_cold_json(c, names) for c in report.cold],
        })
        return 0
    when = "today" if day == ctx.today else day.isoformat()
    if not report.nudges:
        ctx.print(f"nothing due {when}" if day == ctx.today else f"nothing due on {when}")
    else:
        ctx.print(f"due {when}: {len(report.nudges)} follow-up"
                  f"{'' if len(report.nudges) == 1 else 's'}"
                  + (f", {len(report.overdue)} overdue" if report.overdue else ""))
        ctx.table(
            ["ID", "COMPANY", "ROLE", "STEP", "DUE", "LATE", "LOG IT"],
            [[names[n.app_id][2], names[n.app_id][0], names[n.app_id][1], n.label, n.due,
              _late(n.overdue_days), f"nudger done {names[n.app_id][2]}"]
             for n in report.nudges],
        )
    if report.cold:
        ctx.print("\ngoing cold (no stage change for a long time; close them with "
                  "`nudger stage ID ghosted`):")
        ctx.table(
            ["ID", "COMPANY", "ROLE", "STAGE", "SINCE", "DAYS", ""],
            [[names[c.app_id][2], names[c.app_id][0], names[c.app_id][1], c.stage, c.since,
              c.days,
              "auto_ghost: closed by the next digest" if c.auto_ghost else ""]
             for c in report.cold],
        )
    return 0


def _print_plan(ctx: Context, start: date, days: int, entries: list[Nudge],
                names: dict[int, tuple[str, str, int]]) -> int:
    from datetime import timedelta

    end = start + timedelta(days=days - 1)
    if ctx.args.json:
        ctx.print_json({"start": start.isoformat(), "end": end.isoformat(), "days": days,
                        "plan": [_nudge_json(n, names) for n in entries]})
        return 0
    span = start.isoformat() if days == 1 else f"{start} to {end}"
    if not entries:
        ctx.print(f"nothing comes due from {span} (if you do nothing)")
        return 0
    ctx.print(f"plan for {span}, if you do nothing: {len(entries)} follow-up"
              f"{'' if len(entries) == 1 else 's'}")
    ctx.table(
        ["DAY", "ID", "COMPANY", "ROLE", "STEP", "DUE", "LATE"],
        [[n.shows, names[n.app_id][2], names[n.app_id][0], names[n.app_id][1], n.label, n.due,
          _late(n.overdue_days)] for n in entries],
    )
    return 0


# --- done / skip -----------------------------------------------------------------------

def cmd_done(ctx: Context) -> int:
    return _pass_step(ctx, done=True)


def cmd_skip(ctx: Context) -> int:
    return _pass_step(ctx, done=False)


def _pass_step(ctx: Context, *, done: bool) -> int:
    """`done` completes the step next, `skip` passes over it; both restart the clock."""
    from nudger.track.progress import complete_step, mail_logged, skip_step
    from nudger.track.tracker import app_id_of
    from nudger.when.dates import parse_date

    args = ctx.args
    on = parse_date(args.date, ctx.today, what="--date")
    record = complete_step if done else skip_step
    with ctx.db.session() as session:
        app_id = app_id_of(session, args.id)
        already = mail_logged(session, app_id, on) if done else None
        if already is not None:
            # The follow-up found in Sent today is this one (docs/mailbox.md: exactly once).
            step = f" (step {already.step})" if already.step else ""
            ctx.print(f"#{args.id}: the email{step} of {on} was already logged from your "
                      "Sent folder; nothing new recorded")
            return 0
        _touch, nudge = record(session, ctx.settings, ctx.calendar, app_id, on,
                               now=ctx.now(), note=args.note)
    if done:
        ctx.print(f"#{args.id}: done {nudge.label} on {on}{_timing(nudge, on)}")
    else:
        ctx.print(f"#{args.id}: skipped {nudge.label} on {on}")
    return 0


def _timing(nudge: Nudge, on: date) -> str:
    if nudge.due > on:
        return f" ({_late((nudge.due - on).days)} early; it was due {nudge.due})"
    if nudge.due < on:
        return f" ({_late((on - nudge.due).days)} late)"
    return ""


# --- the commands ----------------------------------------------------------------------


def _step_options(note: str, when: str) -> tuple[Option, ...]:
    """The options of `done` and `skip`: the application, a note and the day."""
    return (APP_ID, Option("--note", default="", help=note),
            Option("--date", default="today", help=when))


COMMANDS = (
    Command(
        "due", "what is due on a day, or the plan for the next N days",
        "nudger due\nnudger due --date 2026-12-01 --json\nnudger due --days 14",
        cmd_due,
        description="List the follow-ups due on a day (default: today), overdue ones first "
        "with how many days late, and the applications going cold. With --days N: every "
        "follow-up that will come due from that day through the next N-1 days if you do "
        "nothing, on the day it first shows.",
        options=(
            Option("--date", default="today", help="the day to ask about (default: today)"),
            Option("--days", type=days, metavar="N",
                   help=f"the plan for N days from --date (1-{MAX_DAYS})"),
            JSON,
        ),
    ),
    Command(
        "done", "log the step now next for an application as done",
        'nudger done 12\nnudger done 12 --note "left a voicemail for Dana" --date yesterday',
        cmd_done,
        description="Record that you did the step that is next for application ID (whatever "
        "its action: email, call, ...). It completes that step and restarts the clock: the "
        "step after it waits its own wait from this date. Exit status 2 when nothing is "
        "next (closed stage, or the cadence is finished).",
        options=_step_options("what happened", "when you did it (default: today)"),
    ),
    Command(
        "skip", "move past the step now next without doing it",
        'nudger skip 12\nnudger skip 12 --note "no phone number listed"',
        cmd_skip,
        description="Pass over the step that is next for application ID without doing it "
        "(no touch is counted). Like a touch, a skip restarts the clock: the step after "
        "it waits its own wait from the day of the skip.",
        options=_step_options("why", "the day of the skip (default: today)"),
    ),
)
