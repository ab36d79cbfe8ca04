"""The digest commands: `digest` (render a day's digest; `--send` delivers it) and `check`
(config, templates, database; `--smtp` the server too)."""

from __future__ import annotations

from nudger.commands import Command, Context, Option, flag
from nudger.errors import ConfigError, NudgerError, UsageError

# typing is not imported at run time: it costs ~4 ms on every `nudger` call. mypy
# treats any constant named TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from datetime import date
    from pathlib import Path

    from nudger.digest.compose import ComposedDigest


ORDER = 30


# --- digest --------------------------------------------------------------------------------

def digest_day(ctx: Context) -> date:
    """`--date` as a day (parse_date refuses one outside nudger's range of dates, near
    whose ends a digest would overflow computing its next date)."""
    from nudger.when.dates import parse_date

    return parse_date(ctx.args.date, ctx.today, what="--date")


def compose_for(ctx: Context, notices: tuple[str, ...] = ()) -> ComposedDigest:
    """The digest of the day `--date` names, as of now."""
    from nudger.digest.compose import compose_digest

    day = digest_day(ctx)
    with ctx.db.read_session() as session:
        return compose_digest(ctx.settings, session, ctx.calendar, day, ctx.now(),
                              notices=notices)


def write_outputs(ctx: Context, composed: ComposedDigest) -> None:
    """--html and --eml: each file written whole (a temporary file renamed into place)."""
    quiet = getattr(ctx.args, "quiet", False)
    if ctx.args.html:
        path = _write(ctx.args.html, composed.html.encode("utf-8"))
        if not quiet:
            ctx.print(f"wrote the HTML part of the digest of {composed.local_date} to {path}")
    if ctx.args.eml:
        path = _write(ctx.args.eml, composed.message.as_bytes())
        if not quiet:
            ctx.print(f"wrote the digest of {composed.local_date} as a message to {path}")


def _write(name: str, data: bytes) -> Path:
    from pathlib import Path

    from nudger.files import atomic_write

    path = Path(name).expanduser()
    try:
        atomic_write(path, data)
    except OSError as exc:
        raise NudgerError(f"cannot write {path}: {exc.strerror}") from None
    return path


def cmd_digest(ctx: Context) -> int:
    if ctx.args.force and not ctx.args.send:
        raise UsageError("--force goes with --send: nudger digest --send --force")
    if ctx.args.send:
        return send_today(ctx, digest_day(ctx), force=ctx.args.force)
    composed = compose_for(ctx)
    write_outputs(ctx, composed)
    if not (ctx.args.quiet or ctx.args.html or ctx.args.eml):
        # Output to a file: one line per file says where, not the whole text again.
        ctx.print(composed.text.rstrip("\n"))
    return 0


# --- check ---------------------------------------------------------------------------------

def check_config(ctx: Context) -> list[str]:
    location = ctx.config_location
    settings = ctx.settings  # raises ConfigError (exit 78) with file:line
    if settings.source is None:
        ctx.print(f"config: no file at {location.path}; using the built-in defaults")
    else:
        stages = ", ".join(c.stage for c in settings.cadence)
        ctx.print(f"config: {settings.source} is valid (cadence for {stages}; "
                  f"delivery by {settings.method})")
    from nudger.starter import leftover_examples

    return leftover_examples(settings.profile.model_dump(), settings.source)


def check_templates_step(ctx: Context) -> list[str]:
    from nudger.digest.check import check_templates
    from nudger.digest.render import packaged_dir

    problems = check_templates(ctx.settings)
    user = ctx.settings.templates_dir
    overrides = sorted(p.relative_to(user).as_posix() for p in user.rglob("*.j2")) \
        if user is not None and user.is_dir() else []
    if not problems:
        where = f"{packaged_dir()}" + (f", overrides in {user}: {', '.join(overrides)}"
                                       if overrides else "")
        ctx.print(f"templates: compiled and test-rendered ({where})")
    return problems


class ForeignProblem(str):
    """A database problem that is a wrong `database` setting (check exits 78)."""


def check_database(ctx: Context) -> list[str]:
    """Read-only: never creates or upgrades (store.db.inspect)."""
    from nudger.files import others_can_read
    from nudger.store.db import database_path
    from nudger.store.inspect import inspect

    exposed = ""
    if ctx.settings.is_postgres:
        from nudger.store.pg import PgDatabase, inspect_pg

        found = inspect_pg(PgDatabase.from_settings(ctx.settings, ctx.env))
    else:
        path = database_path(ctx.settings, ctx.env)
        found = inspect(path)
        exposed = others_can_read(path)
    if found.note:
        ctx.print(f"database: {found.note}")
    if exposed:
        ctx.warn(exposed)
    if found.foreign:
        return [ForeignProblem(p) for p in found.problems]
    return found.problems


def check_delivery(ctx: Context) -> list[str]:
    """What delivery will need that can be checked without sending: for a Maildir, that
    it is (or can become) a Maildir this user may write into."""
    if ctx.settings.method != "maildir":
        return []
    from nudger.send.delivery import maildir_path, maildir_problem
    from nudger.store.db import database_path

    path = maildir_path(ctx.settings, database_path(ctx.settings, ctx.env).parent)
    problem = maildir_problem(path)
    if problem is not None:
        return [f"delivery.maildir: {problem}"]
    ctx.print(f"delivery: Maildir {path} is writable")
    return []


def cmd_check(ctx: Context) -> int:
    warnings = check_config(ctx)
    for warning in warnings:
        ctx.warn(warning)
    template_problems = check_templates_step(ctx)
    delivery_problems = check_delivery(ctx)
    database_problems = check_database(ctx)
    for problem in template_problems + delivery_problems + database_problems:
        ctx.warn(problem)
    if template_problems:
        raise ConfigError(f"{len(template_problems)} template problem(s); fix the file:line "
                          "named above and run `nudger check` again")
    if delivery_problems:
        raise ConfigError("delivery cannot work (see above); fix delivery.maildir in "
                          f"{ctx.settings.source or ctx.config_location.path} and run "
                          "`nudger check` again")
    if any(isinstance(p, ForeignProblem) for p in database_problems):
        raise ConfigError("the database is not nudger's (see above); nothing was changed")
    if database_problems:
        raise NudgerError("the database check failed (see above)")
    if ctx.args.smtp:
        check_smtp(ctx)
    if ctx.args.caldav:
        check_caldav(ctx)
    if ctx.args.imap:
        check_imap(ctx)
    ctx.print("all checks passed" + (f", with {len(warnings)} warning(s) above"
                                      if warnings else ""))
    return 0


# --- digest --send, check --smtp -------------------------------------------------------

def send_today(ctx: Context, local_date: date, *, force: bool = False) -> int:
    """`nudger digest --send [--force]`: deliver `local_date`'s digest now, once."""
    import asyncio

    from nudger.send.delivery import maildir_path
    from nudger.send.outbox import Outcome, send_digest
    from nudger.store.outbox import Outbox
    from nudger.track.progress import close_gone_cold

    settings = ctx.settings
    if local_date > ctx.today:
        raise UsageError(f"--send delivers today's digest (or an earlier day's), not "
                         f"{local_date}'s: it would keep the daemon from sending that day's "
                         "digest when it comes")
    # auto_ghost closes what went cold before the digest that says so is sent (not when
    # this day's digest is recorded already and no --force sends it again).
    closed = []
    if force or Outbox(ctx.db, settings.recipient).state_of(local_date) is None:
        closed = close_gone_cold(ctx.db, settings, ctx.calendar, local_date, ctx.now())
    if settings.imap is not None and settings.mailbox.drafts:
        # The day's drafts first, in the digest's words: "Draft ready" is then true.
        from nudger.mail.imap.afterpass import drafts_for_digest
        from nudger.secrets import imap_password

        try:
            password = imap_password(settings, ctx.env)
        except NudgerError as exc:  # the digest goes out all the same
            ctx.warn(f"drafts not updated before the digest: {exc}")
        else:
            for line in drafts_for_digest(settings, ctx.db, password, ctx.now(), local_date):
                ctx.print(line)
    result = asyncio.run(send_digest(settings, ctx.db, ctx.calendar, local_date, ctx.now(),
                                     force=force, env=ctx.env, notices=closed))
    day = result.local_date.isoformat()
    if result.outcome == Outcome.SENT:
        ctx.print(f"sent the digest of {day} to {settings.recipient}: {result.detail}")
        if settings.method == "maildir":
            path = maildir_path(settings, ctx.db.path.parent)
            ctx.print(f"read it with: mutt -f {path}   (or open the file above)")
        return 0
    if result.outcome == Outcome.ALREADY:
        ctx.print(f"nothing sent: {result.detail}")
        return 0
    if result.outcome == Outcome.EMPTY:
        ctx.print(f"nothing sent: nothing is due on {day} (digest.send_when_empty is "
                  "false); recorded, so the daemon will not send it either")
        return 0
    if result.outcome == Outcome.RETRY:
        when = result.next_attempt_at.astimezone(settings.zone).strftime("%H:%M") \
            if result.next_attempt_at else "later"
        raise NudgerError(f"{result.detail}; the daemon retries it at {when} (see "
                          "`nudger status`), or run `nudger digest --send --force`")
    raise NudgerError(result.detail)


def check_caldav(ctx: Context) -> None:
    """`nudger check --caldav`: log in, find the calendar, say what was verified."""
    from nudger.calendar.caldav import CaldavError, verify

    settings = ctx.settings
    if settings.caldav is None:
        raise NudgerError("--caldav: no [caldav] table in the config; add url and username "
                          "(see config.example.toml)")
    try:
        lines = verify(settings, ctx.env)
    except CaldavError as exc:
        raise NudgerError(f"caldav {settings.caldav.url}: {exc}") from None
    ctx.print(f"caldav {settings.caldav.url}: ok")
    for line in lines:
        ctx.print(f"  {line}")


def check_smtp(ctx: Context) -> int:
    """`nudger check --smtp`: connect, negotiate TLS, log in, QUIT without sending."""
    import asyncio

    from nudger.secrets import password_source
    from nudger.send.delivery import verify_smtp

    settings = ctx.settings
    if settings.smtp is None:
        raise NudgerError(f"--smtp: no [smtp] table in the config; delivery is "
                          f"{settings.method}, which needs no server check")
    verified = asyncio.run(verify_smtp(settings, ctx.env))
    source = password_source(settings, ctx.env)
    ctx.print(f"smtp {settings.smtp.host}:{settings.smtp.effective_port}: ok")
    for line in verified:
        ctx.print(f"  {line}")
    if settings.smtp.username and source:
        ctx.print(f"  password from {source}")
    return 0


def check_imap(ctx: Context) -> int:
    """`nudger check --imap`: connect, verify TLS, log in, find the folders, log out."""
    from nudger.mail.imap.verify import verify
    from nudger.secrets import imap_password, imap_password_source

    settings = ctx.settings
    imap = settings.imap
    if imap is None:
        raise NudgerError("--imap: no [imap] table in the config; add one (README, "
                          "\"Reading your mailbox\") to let nudger read your mailbox")
    lines = verify(settings, imap_password(settings, ctx.env))
    ctx.print(f"imap {imap.host}:{imap.effective_port}: ok")
    for line in lines:
        ctx.print(f"  {line}")
    source = imap_password_source(settings, ctx.env)
    if source:
        ctx.print(f"  password from {source}")
    return 0


# --- the commands ----------------------------------------------------------------------

COMMANDS = (
    Command(
        "digest", "render a day's digest to the terminal",
        "nudger digest\nnudger digest --date tomorrow --html /tmp/digest.html\n"
        "nudger digest --eml /tmp/digest.eml\nnudger digest --send",
        cmd_digest,
        description="Render the digest of a day (default: today) and print its plain-text "
        "part. --html writes the HTML part to open in a browser, --eml the whole message "
        "as it would be sent; either prints one line saying where instead of the text. "
        "Nothing is sent or recorded, unless --send: that delivers the day's digest now, "
        "once (a second run sends nothing and says so).",
        options=(
            Option("--date", default="today", metavar="D",
                   help="the local date of the digest (default: today)"),
            Option("--html", metavar="FILE", help="write the HTML part here"),
            Option("--eml", metavar="FILE", help="write the whole message (.eml) here"),
            flag("--quiet", "-q",
                 help="print nothing (with --html or --eml: not even where they went)"),
            flag("--send",
                 help="deliver the digest now, once per day (a second run sends nothing "
                 "and says so)"),
            flag("--force",
                 help="with --send: send a day already sent again, as a new message "
                 "(a new Message-ID)"),
        ),
    ),
    Command(
        "check", "validate config, templates and database",
        "nudger check\nnudger --config /etc/nudger/config.toml check\nnudger check --smtp\n"
        "nudger check --imap\nnudger check --caldav",
        cmd_check,
        description="Load the config, compile and test-render every template (yours in "
        "templates/ beside the config, and the packaged ones), and check the database's "
        "integrity and schema. Exit 78 on a config or template problem, 1 on a database "
        "problem.",
        options=(
            flag("--smtp",
                 help="also connect to the SMTP server, negotiate TLS, log in and quit "
                 "without sending"),
            flag("--caldav",
                 help="also log in to the CalDAV server and find the calendar ([caldav]); "
                 "nothing is written"),
            flag("--imap",
                 help="also connect to the IMAP server ([imap]), verify TLS, log in, find "
                 "INBOX/Sent/Drafts, and log out; prints what it verified"),
        ),
    ),
)
