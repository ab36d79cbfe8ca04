"""The calendar command: `calendar` writes the iCalendar file of interviews and coming
follow-ups (nudger/ics.py, nudger/calsync.py)."""

from __future__ import annotations

from nudger.commands import Command, Context, Option, flag
from nudger.commands._args import days

ORDER = 35


def cmd_calendar(ctx: Context) -> int:
    import sys
    from pathlib import Path

    from nudger.calendar.sync import refresh, write_atomic

    args = ctx.args
    settings = ctx.settings
    followups = False if args.no_followups else None
    with ctx.db.session() as session:
        snapshot = refresh(session, settings, ctx.calendar, ctx.now(), days=args.days,
                           followups=followups)
    data = snapshot.to_ical()
    interviews = sum(1 for spec, _v in snapshot.events if spec.kind == "interview")
    follow = len(snapshot.events) - interviews
    if args.output:
        path = Path(args.output).expanduser()
        write_atomic(path, data)
        ctx.print(f"wrote {interviews} interview{'' if interviews == 1 else 's'} and "
                  f"{follow} follow-up{'' if follow == 1 else 's'} to {path}")
    else:
        sys.stdout.write(data.decode("utf-8"))
    return 0


COMMANDS = (
    Command(
        "calendar", "write your interviews and coming follow-ups as an iCalendar (.ics) file",
        "nudger calendar -o ~/public_html/nudger.ics\nnudger calendar --days 14 > week.ics\n"
        "nudger calendar --no-followups -o interviews.ics",
        cmd_calendar,
        description="Write an iCalendar file: each upcoming interview as a timed event in "
        "your zone (company, role, contact, address or meeting link, an alarm [ics] alarm "
        "before), and each follow-up coming due in the next N days as an all-day event "
        "with the draft's first lines and the command that logs it. Events keep their UID "
        "from one export to the next (a moved interview is the same event, its SEQUENCE "
        "raised), so a calendar subscribed to the file stays in step. Without -o the "
        "calendar goes to standard output.",
        options=(
            Option("-o", "--output", metavar="FILE",
                   help="write the file here (replaced whole, atomically)"),
            Option("--days", type=days, metavar="N",
                   help="follow-ups coming due in the next N days (default: [ics] days, 30)"),
            flag("--no-followups",
                 help="interviews only (as [ics] followups = false)"),
        ),
    ),
)
