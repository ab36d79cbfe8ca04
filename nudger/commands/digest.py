"""The digest commands: `digest` (render a day's digest) and `check` (config, templates,
database). Each step is its own function so that delivery (`digest --send`, `check
--smtp`) can be added beside them."""

from __future__ import annotations

import argparse

from nudger.commands import Context, add_command
from nudger.commands.mail import add_send_options, check_smtp, send_today
from nudger.errors import ConfigError, NudgerError, UsageError

# typing is not imported at run time: it costs ~4 ms on every `nudger` call. mypy
# treats any constant named TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

    from nudger.digest import ComposedDigest


ORDER = 30


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = add_command(
        sub, common, "digest", cmd_digest, "render a day's digest to the terminal",
        "nudger digest\nnudger digest --date tomorrow --html /tmp/digest.html\n"
        "nudger digest --eml /tmp/digest.eml\nnudger digest --send",
        description="Render the digest of a day (default: today) and print its plain-text "
        "part. --html writes the HTML part to open in a browser, --eml the whole message "
        "as it would be sent. Nothing is sent or recorded, unless --send: that delivers "
        "the day's digest now, once (a second run sends nothing and says so).",
    )
    p.add_argument("--date", default="today", metavar="D",
                   help="the local date of the digest (default: today)")
    p.add_argument("--html", metavar="FILE", help="write the HTML part here")
    p.add_argument("--eml", metavar="FILE", help="write the whole message (.eml) here")
    p.add_argument("--quiet", "-q", action="store_true",
                   help="do not print the text part (with --html or --eml)")
    add_send_options(p)

    p = add_command(
        sub, common, "check", cmd_check, "validate config, templates and database",
        "nudger check\nnudger --config /etc/nudger/config.toml check\nnudger check --smtp\n"
        "nudger check --imap",
        description="Load the config, compile and test-render every template (yours in "
        "templates/ beside the config, and the packaged ones), and check the database's "
        "integrity and schema. Exit 78 on a config or template problem, 1 on a database "
        "problem.",
    )
    p.add_argument("--smtp", action="store_true",
                   help="also connect to the SMTP server, negotiate TLS, log in and quit "
                   "without sending")
    p.add_argument("--imap", action="store_true",
                   help="also connect to the IMAP server ([imap]), verify TLS, log in, find "
                   "INBOX/Sent/Drafts, and log out; prints what it verified")


# --- digest --------------------------------------------------------------------------------

def compose_for(ctx: Context, notices: tuple[str, ...] = ()) -> ComposedDigest:
    """The digest of the day `--date` names, as of now."""
    from nudger.dates import parse_date
    from nudger.digest import compose_digest

    day = parse_date(ctx.args.date, ctx.today, what="--date")
    with ctx.db.read_session() as session:
        return compose_digest(ctx.settings, session, ctx.calendar, day, ctx.now(),
                              notices=notices)


def write_outputs(ctx: Context, composed: ComposedDigest) -> None:
    """--html and --eml: each file written whole (a temporary file renamed into place)."""
    if ctx.args.html:
        _write(ctx.args.html, composed.html.encode("utf-8"))
        ctx.warn(f"wrote the HTML part to {ctx.args.html}")
    if ctx.args.eml:
        _write(ctx.args.eml, composed.message.as_bytes())
        ctx.warn(f"wrote the message to {ctx.args.eml}")


def _write(name: str, data: bytes) -> Path:
    import os
    from pathlib import Path

    path = Path(name).expanduser()
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        tmp.write_bytes(data)
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise NudgerError(f"cannot write {path}: {exc.strerror}") from None
    return path


def cmd_digest(ctx: Context) -> int:
    if ctx.args.force and not ctx.args.send:
        raise UsageError("--force goes with --send: nudger digest --send --force")
    if ctx.args.send:
        from nudger.dates import parse_date

        return send_today(ctx, parse_date(ctx.args.date, ctx.today, what="--date"),
                          force=ctx.args.force)
    composed = compose_for(ctx)
    write_outputs(ctx, composed)
    if not ctx.args.quiet:
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
    return []


def check_templates_step(ctx: Context) -> list[str]:
    from nudger.digest import check_templates
    from nudger.render import packaged_dir

    problems = check_templates(ctx.settings)
    user = ctx.settings.templates_dir
    overrides = sorted(p.relative_to(user).as_posix() for p in user.rglob("*.j2")) \
        if user is not None and user.is_dir() else []
    if not problems:
        where = f"{packaged_dir()}" + (f", overrides in {user}: {', '.join(overrides)}"
                                       if overrides else "")
        ctx.print(f"templates: compiled and test-rendered ({where})")
    return problems


def check_database(ctx: Context) -> list[str]:
    """Read-only: integrity_check and the schema revision. Never creates or upgrades."""
    import sqlite3
    from pathlib import Path

    from nudger.store.db import SCHEMA_HEAD, Database, database_path

    path = database_path(ctx.settings, ctx.env)
    if not path.exists():
        ctx.print(f"database: none yet at {path} (the first command that needs it creates it)")
        return []
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        try:
            rows = con.execute("PRAGMA integrity_check").fetchall()
        finally:
            con.close()
    except sqlite3.Error as exc:
        return [f"{path}: not a readable SQLite database: {exc}"]
    verdict = [str(r[0]) for r in rows]
    if verdict != ["ok"]:
        return [f"{path}: integrity check failed: {'; '.join(verdict[:5])}; restore it from a "
                "backup"]
    revision = Database(path).current_revision()
    if revision is None:
        return [f"{path}: has no nudger schema (no alembic_version); is it nudger's database?"]
    if revision == SCHEMA_HEAD:
        ctx.print(f"database: {path} passes the integrity check; schema {revision} is current")
        return []
    from nudger.store import db as db_module

    versions = Path(db_module.__file__).parent / "migrations" / "versions"
    if revision in {f.stem for f in versions.glob("*.py")}:
        ctx.print(f"database: {path} passes the integrity check; schema {revision} will be "
                  f"upgraded to {SCHEMA_HEAD} by the next command")
        return []
    return [f"{path}: schema {revision} is newer than this nudger knows ({SCHEMA_HEAD}); "
            "upgrade nudger"]


def cmd_check(ctx: Context) -> int:
    check_config(ctx)
    template_problems = check_templates_step(ctx)
    database_problems = check_database(ctx)
    for problem in template_problems + database_problems:
        ctx.warn(problem)
    if template_problems:
        raise ConfigError(f"{len(template_problems)} template problem(s); fix the file:line "
                          "named above and run `nudger check` again")
    if database_problems:
        raise NudgerError("the database check failed (see above)")
    if ctx.args.smtp:
        check_smtp(ctx)
    if ctx.args.imap:
        from nudger.commands.mailbox import check_imap

        check_imap(ctx)
    ctx.print("all checks passed")
    return 0
