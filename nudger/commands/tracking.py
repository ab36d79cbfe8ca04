"""Tracking commands, the applications themselves: init, add, list, show, edit, rm, each a
thin call into nudger.track. What happens to an application afterwards (log, stage,
snooze, contact) is nudger/commands/updates.py."""

from __future__ import annotations

from nudger.commands import Command, Context, Option, flag
from nudger.commands._args import APP_ID, JSON, interview_utc
from nudger.errors import ConfigError, NudgerError, UsageError

# typing is not imported at run time: it costs ~4 ms on every `nudger` call. mypy
# treats any constant named TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


ORDER = 10
# For --help without importing nudger.vocab (typing) on every call; tests/test_cli_firstrun.py
# checks it against vocab.STAGES.
STAGE_NAMES = ("wishlist", "applied", "interviewing", "offer", "accepted", "rejected",
               "withdrawn", "ghosted")


# --- init ------------------------------------------------------------------------------

def cmd_init(ctx: Context) -> int:
    from nudger.config import parse_settings
    from nudger.starter import starter_config
    from nudger.track.demo import add_demo_applications

    args = ctx.args
    path = ctx.config_location.path
    if path.exists() and not args.force:
        ctx.warn(f"{path} exists; keeping it (use --force to overwrite)")
        text = None
    else:
        text = starter_config(name=args.name, email=args.email, database=args.database,
                              demo=args.demo)
        parse_settings(text, path)  # never write a config we could not read back
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise NudgerError(f"cannot write {path}: {exc.strerror}") from None
        ctx.print(f"wrote {path}")
    try:
        settings = ctx.settings
    except ConfigError:
        raise
    db = ctx.db
    ctx.print(f"database {db.where}")
    from nudger.mail.act.tokens import load_or_create_key

    load_or_create_key(db.path.parent)  # the key of the digest's buttons (mode 0600)
    if args.demo:
        with db.session() as session:
            added = add_demo_applications(session, ctx.today, ctx.now(), settings)
        ctx.print(f"added {added} demo applications; try `nudger list` and `nudger digest`")
    elif text is not None:
        if not args.email:
            ctx.warn("no --email given: the digest would go to you@localhost; set "
                     f"profile.email in {path}")
        ctx.print(f"next: add your phone, pitch and signature in {path} (commented "
                  "examples there), then `nudger add COMPANY ROLE` and `nudger due`")
    return 0


# --- add / edit ------------------------------------------------------------------------

def _common_changes(ctx: Context) -> dict[str, Any]:
    from nudger.when.dates import parse_date, parse_datetime

    args = ctx.args
    changes: dict[str, Any] = {}
    for name in ("url", "location", "address", "source", "notes"):
        value = getattr(args, name, None)
        if value is not None:
            changes[name] = value
    if args.deadline is not None:
        changes["deadline"] = parse_date(args.deadline, ctx.today, what="--deadline")
    if args.interview is not None:
        changes["interview_at"] = interview_utc(ctx, args.interview)
    if getattr(args, "applied", None) is not None:
        changes["applied_on"] = parse_date(args.applied, ctx.today, what="--applied")
    del parse_datetime
    return changes


def cmd_add(ctx: Context) -> int:
    from nudger.track import tracker

    args = ctx.args
    changes = _common_changes(ctx)
    contacts = [tracker.parse_contact(spec) for spec in args.contact]
    stage = args.stage or "applied"
    with ctx.db.session() as session:
        app = tracker.add_application(
            session, company=args.company, role=args.role, today=ctx.today, now=ctx.now(),
            stage=stage,
            contacts=contacts, **changes,
        )
        app_id = app.number
    if args.json:
        ctx.print_json(_app_json(app, []))
    else:
        ctx.print(f"added #{app_id} {app.company} — {app.role} ({app.stage})")
    return 0


def cmd_edit(ctx: Context) -> int:
    from nudger.track import tracker

    args = ctx.args
    changes = _common_changes(ctx)
    for name in ("company", "role"):
        if getattr(args, name) is not None:
            changes[name] = getattr(args, name)
    if not changes:
        raise UsageError("nothing to change; see `nudger edit --help` for the options")
    with ctx.db.session() as session:
        app_id = tracker.app_id_of(session, ctx.args.id)
        app = tracker.edit_application(session, app_id, changes, now=ctx.now())
    ctx.print(f"updated #{app.number} {app.company} — {app.role}: {', '.join(sorted(changes))}")
    return 0


def cmd_rm(ctx: Context) -> int:
    from nudger.track import tracker

    with ctx.db.session() as session:
        app_id = tracker.app_id_of(session, ctx.args.id)
        removed = tracker.remove_application(session, app_id)
    app = removed.app
    ctx.print(f"removed #{app.number} {app.company} — {app.role} "
              f"({removed.touches} touches, {removed.contacts} contacts)")
    return 0


# --- list / show -----------------------------------------------------------------------

def _app_json(app: Any, contacts: list[Any]) -> dict[str, Any]:
    data = _in_field_order(app)
    data["contacts"] = [_in_field_order(c, exclude="application_id") for c in contacts]
    return data


def _in_field_order(row: Any, exclude: str = "") -> dict[str, Any]:
    """A row as JSON, keys in the order its model declares them: a row loaded from SQLite
    fills its attributes in an order that changes from run to run, and scripts diff and
    cache this output."""
    data = row.model_dump(mode="json")
    if "number" in data:  # an application: its "id" is the number the seeker knows it by
        data["id"] = data["number"]
    return {name: data[name] for name in type(row).model_fields
            if name in data and name != exclude}


def cmd_list(ctx: Context) -> int:
    from nudger.track.upcoming import next_steps

    if ctx.args.json:
        from nudger.track import tracker

        with ctx.db.read_session() as session:
            rows = tracker.list_applications(session, ctx.args.stage)
            upcoming = next_steps(session, ctx.settings, ctx.calendar, ctx.today,
                                  [r.app for r in rows])
        out = []
        for row in rows:
            data = _app_json(row.app, row.contacts)
            data["last_touch"] = row.last_touch.isoformat() if row.last_touch else None
            data["touches"] = row.touches
            data["next_step"] = upcoming.get(row.app.id or 0)
            out.append(data)
        ctx.print_json(out)
        return 0
    # The table reads plain rows through a plain sqlite3 connection: no ORM import (a
    # person waits for `list`; bench/b_cli.py).
    from nudger.store.states import list_summary

    with ctx.db.read_connection() as con:
        summary = list_summary(con, ctx.args.stage)
        upcoming = next_steps(con, ctx.settings, ctx.calendar, ctx.today)
    if not summary:
        if ctx.args.stage:
            ctx.print(f"no applications in stage {ctx.args.stage}")
        else:
            ctx.print("no applications yet; add one with `nudger add COMPANY ROLE`")
        return 0
    table = []
    for app_id, company, role, stage, applied, last, number in summary:
        step = upcoming.get(app_id)
        table.append([number, company, role, stage, applied or "", last or "",
                      _next_cell(step)])
    ctx.table(["ID", "COMPANY", "ROLE", "STAGE", "APPLIED", "LAST TOUCH", "NEXT STEP"], table)
    return 0


def _next_cell(step: dict[str, Any] | None) -> str:
    """What the digest will do: a paused application gets nothing, a snoozed one shows on
    the day its snooze ends."""
    if not step:
        return ""
    if step["held"] == "paused":
        return f"{step['action']}: paused (a reply)"
    if step["held"] == "snoozed":
        return f"{step['action']} {step['shows']} (snoozed)"
    return f"{step['action']} {step['due']}"


def cmd_show(ctx: Context) -> int:
    from nudger.track import tracker
    from nudger.track.upcoming import next_steps

    with ctx.db.read_session() as session:
        app_id = tracker.app_id_of(session, ctx.args.id)
        app = tracker.get_application(session, app_id)
        contacts = tracker.contacts_of(session, app_id)
        events = tracker.timeline(session, app)
        snoozed = tracker.snoozed_until(session, app_id)
        upcoming = next_steps(session, ctx.settings, ctx.calendar, ctx.today, [app])
        mail = _mail_of(session, app_id)
    step = upcoming.get(app.id or 0)
    if ctx.args.json:
        data = _app_json(app, contacts)
        data["timeline"] = [
            {"date": e.on.isoformat(), "kind": e.kind, "text": e.text} for e in events
        ]
        data["snoozed_until"] = snoozed.isoformat() if snoozed and snoozed > ctx.today else None
        data["next_step"] = step
        data["paused_since"] = app.paused_since.isoformat() if app.paused_since else None
        data["mail"] = [{"direction": m.direction, "kind": m.kind,
                         "date": m.date.isoformat(), "from": m.from_addr,
                         "subject": m.subject, "snippet": m.snippet} for m in mail]
        ctx.print_json(data)
        return 0
    ctx.print(f"#{app.number} {app.company} — {app.role}")
    fields = [
        ("stage", f"{app.stage} since {app.stage_since}"),
        ("applied", app.applied_on or "not yet"),
        ("url", app.url), ("location", app.location), ("address", app.address),
        ("source", app.source), ("deadline", app.deadline or ""),
        ("interview", _local(app.interview_at, ctx.zone, with_time=True)
         if app.interview_at else ""),
        ("snoozed until", snoozed if snoozed and snoozed > ctx.today else ""),
        ("paused", f"since a reply on {_local(app.paused_since, ctx.zone)} (nudger resume "
                   f"{app.number} to un-pause)" if app.paused_since else ""),
        ("notes", app.notes),
    ]
    for label, value in fields:
        if value:
            ctx.print(f"  {label + ':':<15}{value}")
    ctx.print("\ncontacts:")
    if not contacts:
        ctx.print(f'  none (add one: nudger contact {app.number} "Name <email>")')
    for c in contacts:
        extra = ", ".join(v for v in (c.email, c.phone, c.social) if v)
        bounce = (f"  (address bouncing since {_local(c.bounced_at, ctx.zone)}"
                  + (f": {c.bounce_detail}" if c.bounce_detail else "") + ")") if c.bounced_at \
            else ""
        ctx.print(f"  [{c.id}] {c.name} ({c.kind})" + (f": {extra}" if extra else "") + bounce)
    if mail:
        ctx.print("\nmail:")
        for m in mail:
            arrow = "from" if m.direction == "in" else "to"
            who = m.from_addr if m.direction == "in" else m.to_addrs
            ctx.print(f"  {_local(m.date, ctx.zone, True)}  {m.kind} {arrow} {who}: "
                      f"{m.subject or '(no subject)'}")
            if m.snippet:
                ctx.print(f"      \"{m.snippet}\"")
    ctx.print("\ntimeline:")
    for event in events:
        ctx.print(f"  {event.on}  {event.text}")
    ctx.print("\nnext step:")
    if step and step["held"] == "paused":
        ctx.print(f"  {step['label']}, due {step['due']}: paused by a reply, so the digest "
                  f"shows nothing until you answer it (nudger stage {app.number} STAGE, or "
                  f"nudger resume {app.number})")
    elif step and step["held"] == "snoozed":
        ctx.print(f"  {step['label']}, due {step['due']}: snoozed, the digest shows it from "
                  f"{step['shows']}  (log it: nudger done {app.number})")
    elif step:
        ctx.print(f"  {step['label']}, due {step['due']}  (log it: nudger done {app.number})")
    else:
        ctx.print("  none (closed stage, or the cadence is finished)")
    return 0


def _mail_of(session: Any, app_id: int) -> list[Any]:
    from sqlmodel import col, select

    from nudger.store.models import MailMessage

    return list(session.exec(select(MailMessage).where(
        MailMessage.application_id == app_id).order_by(col(MailMessage.date))).all())


def _local(moment: Any, zone: Any, with_time: bool = False) -> str:
    from nudger.when.times import local

    found = local(moment, zone)  # None: a stored moment outside the supported range
    return found.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d") if found \
        else "(no date)"


# --- the commands ----------------------------------------------------------------------

# What `add` and `edit` both set.
APPLICATION_OPTIONS = (
    Option("--url", help="the job posting"),
    Option("--location", help="city, or Remote"),
    Option("--address", help="street address, for visit plans"),
    Option("--source", help="where you found it (LinkedIn, referral, ...)"),
    Option("--deadline", metavar="DATE", help="a posting's or an offer's deadline"),
    Option("--interview", metavar="WHEN", help='next interview, e.g. "2026-12-01 14:30"'),
    Option("--notes"),
)

COMMANDS = (
    Command(
        "init", "write a starter config and create the database",
        'nudger init --name "Alex Rivera" --email alex@example.com\n'
        "nudger --config ./demo/config.toml init --demo --database nudger.db",
        cmd_init,
        description="Write a starter config.toml (the documented config.example.toml, with "
        "your name and email filled in; phone, pitch and signature stay commented examples "
        "until you write yours) and create the database. --demo adds a sample person and "
        "sample applications so you can see a digest straight away.",
        options=(
            flag("--demo", help="add sample applications"),
            Option("--name", default="", help="your name, for drafts and the digest"),
            Option("--email", default="", help="where the digest goes"),
            Option("--database", metavar="PATH",
                   help="database file to write into the config (relative to the config)"),
            flag("--force", help="overwrite an existing config file"),
        ),
    ),
    Command(
        "add", "add an application (applied today unless told)",
        'nudger add Acme "Account Executive" --applied 2026-11-20 \\\n'
        '    --contact "Dana Lee <dana@acme.example>" --url https://acme.example/jobs/12',
        cmd_add,
        options=(
            Option("company"),
            Option("role"),
            Option("--applied", metavar="DATE", help="date applied (default: today)"),
            Option("--stage", default=None, metavar="STAGE",
                   help=f"stage to start in: {', '.join(STAGE_NAMES)} (default: applied)"),
            Option("--contact", action="append", default=[], metavar='"NAME <EMAIL>"',
                   help="a contact (repeatable)"),
            *APPLICATION_OPTIONS,
            flag("--json", help="print the new application as JSON"),
        ),
    ),
    Command(
        "list", "applications, with stage, last touch and next step",
        "nudger list\nnudger list --stage interviewing --json",
        cmd_list,
        options=(Option("--stage", help="only this stage"), JSON),
    ),
    Command(
        "show", "one application: contacts, timeline of touches, next steps",
        "nudger show 12", cmd_show, options=(APP_ID, JSON),
    ),
    Command(
        "edit", "change an application's details",
        'nudger edit 12 --role "Senior Account Executive" --interview "2026-12-01 14:30"',
        cmd_edit,
        options=(APP_ID, Option("--company"), Option("--role"),
                 Option("--applied", metavar="DATE"), *APPLICATION_OPTIONS),
    ),
    Command("rm", "remove an application and its history", "nudger rm 12", cmd_rm,
            options=(APP_ID,)),

)
