"""Mailbox commands (docs/mailbox.md): `mail sync`, `suggestions`, `accept`, `dismiss`, `resume`.
(`nudger check --imap` lives with `check` in nudger/commands/digest.py.)"""

from __future__ import annotations

from nudger.commands import Command, Context, Option, flag
from nudger.commands._args import APP_ID, JSON
from nudger.errors import NudgerError

# typing is not imported at run time: it costs ~4 ms on every `nudger` call. mypy
# treats any constant named TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


ORDER = 45


def _mail_usage(ctx: Context) -> int:
    from nudger.errors import UsageError

    raise UsageError("say what to do: `nudger mail sync` (see `nudger mail sync --help`)")


# --- suggestions -----------------------------------------------------------------------------

def cmd_suggestions(ctx: Context) -> int:
    from nudger.mail.capture.suggestions import as_json, open_suggestions

    with ctx.db.read_session() as session:
        found = open_suggestions(session)
    if ctx.args.json:
        ctx.print_json([as_json(s) for s in found])
        return 0
    if not found:
        ctx.print("no open suggestions")
        return 0
    for s in found:
        app = f" #{s.application_id}" if s.application_id else ""
        ctx.print(f"S{s.id}  {s.kind}{app}: {s.summary}")
        if s.reason:
            ctx.print(f"      why: {s.reason} (confidence {s.confidence:.0%})")
    ctx.print("\naccept: nudger accept S<id>    dismiss: nudger dismiss S<id>")
    return 0


def cmd_accept(ctx: Context) -> int:
    from nudger.mail.capture.suggestions import accept, parse_ids

    ids = parse_ids(ctx.args.ids)
    with ctx.db.session() as session:
        outcomes = accept(session, ids, today=ctx.today, now=ctx.now())
    return _report(ctx, outcomes)


def cmd_dismiss(ctx: Context) -> int:
    from nudger.mail.capture.suggestions import dismiss, parse_ids

    ids = parse_ids(ctx.args.ids)
    with ctx.db.session() as session:
        outcomes = dismiss(session, ids, now=ctx.now())
    return _report(ctx, outcomes)


def _report(ctx: Context, outcomes: list[Any]) -> int:
    if ctx.args.json:
        ctx.print_json([o.as_json() for o in outcomes])
    else:
        for outcome in outcomes:
            ctx.print(outcome.detail)
    return 0


def cmd_resume(ctx: Context) -> int:
    from nudger.mail.imap.replies import resume
    from nudger.track.tracker import app_id_of

    with ctx.db.session() as session:
        app, was = resume(session, app_id_of(session, ctx.args.id), ctx.now())
    if was:
        ctx.print(f"#{app.number} {app.company}: nudges resumed")
    else:
        ctx.print(f"#{app.number} {app.company} was not paused; nothing changed")
    return 0


# --- mail sync and check --imap --------------------------------------------------------------

def _imap_or_fail(ctx: Context) -> Any:
    settings = ctx.settings
    if settings.imap is None:
        raise NudgerError("no [imap] table in the config: add one (see README, \"Reading "
                          "your mailbox\") to let nudger read your mailbox")
    return settings.imap


def cmd_mail_sync(ctx: Context) -> int:
    from nudger.mail.handlers import inbox_handlers
    from nudger.mail.imap.sync import run_sync
    from nudger.secrets import imap_password

    _imap_or_fail(ctx)
    password = imap_password(ctx.settings, ctx.env)
    report = run_sync(ctx.settings, ctx.db, password, now=ctx.now(),
                      handlers=inbox_handlers(), dry_run=ctx.args.dry_run,
                      record_failure=not ctx.args.dry_run)
    # act: confirmations of command mail and the Drafts folder, after the mailbox work.
    confirmations: list[str] = []
    if not ctx.args.dry_run:
        import asyncio

        from nudger.mail.imap.afterpass import after_pass

        confirmations = asyncio.run(after_pass(ctx.settings, ctx.db, ctx.env, password,
                                               ctx.now(), mailbox_ok=not report.error))
    if ctx.args.json:
        ctx.print_json({**report.as_json(), "confirmations": confirmations})
    else:
        for line in report.lines(ctx.zone):
            ctx.print(line)
        for line in confirmations:
            ctx.print(f"  {line}")
    if report.error:
        raise NudgerError(report.error)
    return 0


# --- the commands ----------------------------------------------------------------------


COMMANDS = (
    Command(
        "mail", "read the mailbox now: `nudger mail sync`",
        "nudger mail sync\nnudger mail sync --dry-run --json",
        _mail_usage,
        actions=(
            Command(
                "sync", "one pass over the mailbox now",
                "nudger mail sync\nnudger mail sync --dry-run --json",
                cmd_mail_sync,
                description="One pass over the [imap] mailbox: follow-ups you sent (Sent) "
                "become touches, replies from contacts are recorded (and pause the "
                "nudges), bounces mark a contact's address, commands and captured mail "
                "are handled. Read-only on the server. --dry-run reads and reports "
                "without recording anything. Exit 1 with one line naming the server and "
                "what to do when the mailbox cannot be read.",
                options=(
                    flag("--dry-run",
                         help="report what would be recorded; change nothing"),
                    JSON,
                ),
            ),
        ),
    ),
    Command(
        "suggestions",
        "what nudger found in your mail and proposes (applications, stages, contacts, "
        "possible replies)",
        "nudger suggestions\nnudger suggestions --json\nnudger accept S3",
        cmd_suggestions,
        description="List the open suggestions, each with its short id (S7), what it "
        "would do, and why nudger proposes it. Accept with `nudger accept S7`, dismiss "
        "with `nudger dismiss S7`; a dismissed suggestion is never proposed again.",
        options=(JSON,),
    ),
    Command(
        "accept", "apply suggestions by their short id",
        "nudger accept S7\nnudger accept S7 S9 12",
        cmd_accept,
        description="Apply each named suggestion (S7 or 7): add the application, change "
        "the stage, add the contact, or record the possible reply as a reply. All or "
        "nothing: when one cannot be applied, none is.",
        options=(Option("ids", nargs="+", metavar="S", help="suggestion ids, like S7"),
                 JSON),
    ),
    Command(
        "dismiss", "drop suggestions by their short id (never proposed again)",
        "nudger dismiss S8\nnudger dismiss S8 S10",
        cmd_dismiss,
        options=(Option("ids", nargs="+", metavar="S", help="suggestion ids, like S8"),
                 JSON),
    ),
    Command(
        "resume", "un-pause an application's nudges after a reply",
        "nudger resume 12",
        cmd_resume,
        description="A reply found in the mailbox pauses the application's nudges "
        "([mailbox] replies = \"pause\"). A stage change or a touch logged after the "
        "reply also ends the pause; this ends it now.",
        options=(APP_ID,),
    ),
)
