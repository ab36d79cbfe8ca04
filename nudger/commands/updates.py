"""Tracking commands, what happens to an application after it is added: log (a touch),
stage, snooze, contact; each a thin call into nudger.track. They follow the commands of
nudger/commands/tracking.py in --help (ORDER 11 after its 10)."""

from __future__ import annotations

from nudger.commands import Command, Context, Option
from nudger.commands._args import APP_ID, contact_id, interview_utc
from nudger.errors import UsageError

ORDER = 11


def cmd_log(ctx: Context) -> int:
    from nudger.track import tracker
    from nudger.track.progress import record_touch
    from nudger.when.dates import parse_date

    args = ctx.args
    on = parse_date(args.date, ctx.today, what="--date")
    with ctx.db.session() as session:
        app_id = tracker.app_id_of(session, ctx.args.id)
        touch, label = record_touch(session, ctx.settings, ctx.calendar, ctx.today,
                                    app_id, args.action, on, now=ctx.now(), note=args.note)
    if label and label.startswith("nothing new"):
        ctx.print(f"#{args.id}: {label} ({touch.action} on {touch.touched_on})")
        return 0
    done = f" (completes {label})" if label else ""
    ctx.print(f"logged {touch.action} on {touch.touched_on} for #{args.id}{done}")
    return 0


def cmd_stage(ctx: Context) -> int:
    from nudger.track import tracker
    from nudger.when.dates import parse_date

    args = ctx.args
    on = parse_date(args.date, ctx.today, what="--date")
    interview = interview_utc(ctx, args.interview) if args.interview else None
    with ctx.db.session() as session:
        app_id = tracker.app_id_of(session, ctx.args.id)
        app = tracker.change_stage(session, app_id, args.stage, on, now=ctx.now(),
                                   note=args.note,
                                   interview_at=interview)
    ctx.print(f"#{app.id} {app.company} is now {app.stage} (since {on})")
    if app.stage == "interviewing" and app.interview_at is None:
        ctx.print(f"the thank-you waits for the interview's date: nudger edit {app.id} "
                  "--interview 'YYYY-MM-DD HH:MM'")
    return 0


def cmd_snooze(ctx: Context) -> int:
    from nudger.track import tracker
    from nudger.when.dates import DateRangeError, check_range, parse_date
    from nudger.when.durations import parse_duration

    args = ctx.args
    text = " ".join(args.until).strip()
    if text.lower() in ("off", "none", "wake"):
        until = ctx.today
    else:
        try:
            until = check_range(ctx.calendar.after(ctx.today, parse_duration(text)),
                                "snooze", text)
        except ValueError:
            try:
                until = parse_date(text, ctx.today, what="snooze")
            except DateRangeError:
                raise
            except UsageError:
                raise UsageError(
                    f"{text!r} is neither a duration ('3 days', '2 business days', '1 week') "
                    "nor a date (YYYY-MM-DD, tomorrow); or 'off' to wake it"
                ) from None
    with ctx.db.session() as session:
        app_id = tracker.app_id_of(session, ctx.args.id)
        tracker.snooze(session, app_id, until, now=ctx.now())
    if until <= ctx.today:
        ctx.print(f"#{args.id} is awake: its nudges show again from today")
    else:
        ctx.print(f"#{args.id} snoozed: no nudges before {until}")
    return 0


def cmd_contact(ctx: Context) -> int:
    from nudger.track import tracker

    args = ctx.args
    if args.rm is not None:
        with ctx.db.session() as session:
            app_id = tracker.app_id_of(session, ctx.args.id)
            contact = tracker.remove_contact(session, app_id, args.rm)
        ctx.print(f"removed contact {contact.name} from #{args.id}")
        return 0
    given = {name: value for name, value in (
        ("phone", args.phone), ("social", args.social), ("kind", args.kind),
        ("name", args.name), ("email", args.email)) if value is not None}
    if args.edit is not None:
        if args.spec:
            raise UsageError("--edit takes the changes as options (--name, --email, --phone, "
                             "--social, --kind), not a contact")
        if not given:
            raise UsageError("say what to change: --name, --email, --phone, --social, --kind")
        with ctx.db.session() as session:
            app_id = tracker.app_id_of(session, ctx.args.id)
            contact = tracker.edit_contact(session, app_id, args.edit, given)
        ctx.print(f"updated contact [{contact.id}] {contact.name} of #{args.id}: "
                  + ", ".join(f"{k} {v!r}" for k, v in given.items()))
        return 0
    if not args.spec:
        raise UsageError('give a contact like "Dana Lee <dana@acme.example>", or --rm ID, '
                         "or --edit ID")
    if args.name is not None or args.email is not None:
        raise UsageError("--name and --email go with --edit; a new contact is "
                         '"NAME <EMAIL>"')
    spec = tracker.parse_contact(args.spec, phone=args.phone or "", social=args.social or "",
                                 kind=args.kind or "hiring-manager")
    with ctx.db.session() as session:
        app_id = tracker.app_id_of(session, ctx.args.id)
        known = tracker.contact_with_address(session, app_id, spec.email)
        if known is None:
            contact = tracker.add_contact(session, app_id, spec)
            ctx_line = f"added contact [{contact.id}] {contact.name} to #{args.id}"
        else:
            # One contact per address: the same address again updates what was given.
            # (Its name stays: `--edit ID --name` renames.)
            changes = {k: v for k, v in given.items() if k in ("phone", "social", "kind")}
            assert known.id is not None
            contact = tracker.edit_contact(session, app_id, known.id, changes)
            ctx_line = (f"#{args.id} already has {contact.email} as contact [{contact.id}] "
                        f"{contact.name}; " + ("updated " + ", ".join(
                            f"{k} {v!r}" for k, v in changes.items()) if changes
                            else "nothing changed"))
    ctx.print(ctx_line)
    return 0


# --- the commands ----------------------------------------------------------------------

COMMANDS = (
    Command(
        "log", "record a follow-up you did",
        'nudger log 12 call --note "spoke to Dana, interviews next week"\n'
        "nudger log 12 email --date yesterday",
        cmd_log,
        description="Record a follow-up you did (a touch). Any touch resets the cadence "
        "clock; a touch whose action is the step now due also completes that step.",
        options=(
            APP_ID,
            Option("action",
                   help="email, call, visit, social, network, pitch, thank-you, apply"),
            Option("--note", default="", help="what happened"),
            Option("--date", default="today", help="when (default: today)"),
        ),
    ),
    Command(
        "stage", "move an application to another stage",
        'nudger stage 12 interviewing --interview "2026-12-01 14:30"\n'
        "nudger stage 12 rejected",
        cmd_stage,
        description="Move an application to another stage; that stage's cadence starts from "
        "the change date. Stages: wishlist, applied, interviewing, offer (open) and "
        "accepted, rejected, withdrawn, ghosted (closed: no more nudges).",
        options=(
            APP_ID,
            Option("stage"),
            Option("--date", default="today", help="when it changed (default: today)"),
            Option("--note", default=""),
            Option("--interview", metavar="WHEN", help="the interview's date and time"),
        ),
    ),
    Command(
        "snooze", "quiet an application until a date",
        "nudger snooze 12 3 days\nnudger snooze 12 2026-12-15\nnudger snooze 12 off",
        cmd_snooze,
        description="Hide an application's nudges until a date (DURATION like '3 days' or "
        "'2 business days' from today, a DATE, or 'off' to wake it now).",
        # nargs="+": `nudger snooze 12 3 days` as people type it, quotes or not.
        options=(APP_ID, Option("until", metavar="DURATION_OR_DATE", nargs="+")),
    ),
    Command(
        "contact", "add, change or remove a contact of an application",
        'nudger contact 12 "Dana Lee <dana@acme.example>" --phone "+1 312 555 0199" '
        "--kind recruiter\nnudger contact 12 --edit 3 --phone \"+1 312 555 0100\"\n"
        "nudger contact 12 --rm 3",
        cmd_contact,
        options=(
            APP_ID,
            Option("spec", nargs="?", metavar='"NAME <EMAIL>"'),
            Option("--phone"),
            Option("--social", help="a handle or profile URL"),
            Option("--kind",
                   help="hiring-manager (the default), hr, recruiter, referral, mutual, "
                        "other"),
            Option("--rm", type=contact_id, metavar="CONTACT_ID",
                   help="remove this contact"),
            Option("--edit", type=contact_id, metavar="CONTACT_ID",
                   help="change this contact (with --name, --email, --phone, --social, "
                        "--kind)"),
            Option("--name", help="with --edit: the contact's new name"),
            Option("--email", help="with --edit: the contact's new address"),
        ),
    ),
)
