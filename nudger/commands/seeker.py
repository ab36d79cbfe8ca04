"""The seeker commands: seeker add, list, show, edit, enable, disable, remove, import."""

from __future__ import annotations

from nudger.commands import Command, Context, Option, flag

ORDER = 62

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

EMAIL = Option("email", metavar="EMAIL", help="the seeker's email address")
SCHEDULE = (
    Option("--timezone", metavar="ZONE",
           help="the seeker's IANA time zone, e.g. Europe/Paris (default: config.toml's)"),
    Option("--at", metavar="HH:MM",
           help="the seeker's local digest time (default: config.toml's [digest] time)"),
    Option("--days", metavar="DAYS",
           help="the seeker's digest days, e.g. mon,wed,fri (default: config.toml's "
           "[digest] days)"),
)


def _usage(ctx: Context) -> int:
    from nudger.errors import UsageError

    raise UsageError("say what to do: `nudger seeker add|list|show|edit|enable|disable|"
                     "remove|import ...`; `nudger seeker --help` lists them")


def _when(view: dict[str, Any]) -> str:
    """A seeker's next digest in its own words."""
    if not view["enabled"]:
        return f"no digests until `nudger seeker enable {view['email']}`"
    return f"next digest {view['next_digest_at']}" if view["next_digest_at"] else "no digest"


def cmd_seeker_add(ctx: Context) -> int:
    from nudger.track.seekers import add_seeker

    a = ctx.args
    seeker = add_seeker(ctx.db, ctx.settings, email=a.email, name=a.name, now=ctx.now(),
                        timezone=a.timezone or "", at=a.at or "", days=a.days or "")
    ctx.print(f"added seeker {seeker['email']} ({seeker['name']}); {_when(seeker)}")
    return 0


def cmd_seeker_list(ctx: Context) -> int:
    from nudger.track.seekers import list_seekers

    seekers = list_seekers(ctx.db)
    if ctx.args.json:
        ctx.print_json(seekers)
        return 0
    if not seekers:
        ctx.print("no seekers yet; add one with `nudger seeker add EMAIL --name NAME` or "
                  "many with `nudger seeker import FILE.csv`")
        return 0
    ctx.table(
        ["email", "name", "zone", "at", "days", "next digest (UTC)"],
        [[s["email"] or "(config.toml's profile)", s["name"], s["timezone"] or "-",
          s["at"] or "-", s["days"] or "-",
          ((s["next_digest_at"] or "-")[:16].replace("T", " ") if s["enabled"] else "disabled")
          + (" (address bouncing)" if s["bounced_at"] else "")]
         for s in seekers])
    return 0


def _print_seeker(ctx: Context, seeker: dict[str, Any]) -> None:
    labels = (("email", "email"), ("name", "name"), ("timezone", "time zone"),
              ("at", "digest at"), ("days", "digest days"), ("phone", "phone"),
              ("social", "social"), ("pitch", "pitch"), ("signature", "signature"))
    for key, label in labels:
        value = seeker[key]
        if key in ("timezone", "at", "days") and not value:
            value = "(config.toml's)"
        if value:
            ctx.print(f"{label + ':':13}{value}")
    ctx.print(f"{'digests:':13}{'enabled' if seeker['enabled'] else 'disabled'}")
    if seeker["next_digest_at"]:
        ctx.print(f"{'next digest:':13}{seeker['next_digest_at']}")
    if seeker["bounced_at"]:
        ctx.print(f"{'bouncing:':13}the relay refused this address on "
                  f"{seeker['bounced_at'][:16].replace('T', ' ')} UTC: "
                  f"{seeker['bounce_detail']} (fix it with `nudger seeker edit "
                  f"{seeker['email']} --email NEW`)")


def cmd_seeker_show(ctx: Context) -> int:
    from nudger.track.seekers import show_seeker

    seeker = show_seeker(ctx.db, ctx.args.email)
    if ctx.args.json:
        ctx.print_json(seeker)
    else:
        _print_seeker(ctx, seeker)
    return 0


def cmd_seeker_edit(ctx: Context) -> int:
    from nudger.track.seekers import edit_seeker

    a = ctx.args
    given = {"name": a.name, "email": a.new_email, "timezone": a.timezone,
             "digest_at": a.at, "digest_days": a.days, "phone": a.phone, "pitch": a.pitch,
             "signature": a.signature, "social": a.social}
    changes = {key: value for key, value in given.items() if value is not None}
    seeker = edit_seeker(ctx.db, ctx.settings, a.email, changes, ctx.now())
    said = {"digest_at": "at", "digest_days": "days"}
    ctx.print(f"changed seeker {seeker['email']}: "
              f"{', '.join(said.get(key, key) for key in changes)}; {_when(seeker)}")
    return 0


def _set_enabled(ctx: Context, enabled: bool) -> int:
    from nudger.track.seekers import set_enabled

    seeker, changed = set_enabled(ctx.db, ctx.settings, ctx.args.email, enabled, ctx.now())
    word = "enabled" if enabled else "disabled"
    ctx.print(f"seeker {seeker['email']} {word if changed else 'was already ' + word}; "
              f"{_when(seeker)}")
    return 0


def cmd_seeker_enable(ctx: Context) -> int:
    return _set_enabled(ctx, True)


def cmd_seeker_disable(ctx: Context) -> int:
    return _set_enabled(ctx, False)


def cmd_seeker_remove(ctx: Context) -> int:
    from nudger.track.seekers import removal

    email = ctx.args.email.strip().lower()
    counts = removal(ctx.db, email, really=ctx.args.yes)
    listed = ", ".join(f"{table} {n}" for table, n in counts.items())
    if not ctx.args.yes:
        ctx.warn(f"would delete seeker {email} and every row of theirs ({listed}); nothing "
                 f"was deleted. To delete: nudger seeker remove {email} --yes")
        return 1
    ctx.print(f"deleted seeker {email} and every row of theirs: {listed}")
    return 0


def cmd_seeker_import(ctx: Context) -> int:
    from pathlib import Path

    from nudger.track.seekers import SHOWN_PROBLEMS, import_seekers

    report = import_seekers(ctx.db, ctx.settings, Path(ctx.args.file).expanduser(),
                            ctx.now())
    if ctx.args.json:
        ctx.print_json(report.as_json())
        return 1 if report.problems else 0
    ctx.print(f"read {report.path}: {report.rows} rows; added {report.added} seekers")
    if report.present:
        ctx.print(f"{len(report.present)} already there, left as they are:")
        for line in report.present[:SHOWN_PROBLEMS]:
            ctx.print(f"  {line}")
        if len(report.present) > SHOWN_PROBLEMS:
            ctx.print(f"  ... and {len(report.present) - SHOWN_PROBLEMS} more")
    if report.problems:
        ctx.warn(f"{len(report.problems)} row(s) not imported; fix them and import the file "
                 "again (the seekers added are reported as already there then):")
        for line in report.problems[:SHOWN_PROBLEMS]:
            ctx.warn(f"  {line}")
        if len(report.problems) > SHOWN_PROBLEMS:
            ctx.warn(f"  ... and {len(report.problems) - SHOWN_PROBLEMS} more")
        return 1
    return 0


JSON = flag("--json", help="print JSON")

COMMANDS = (
    Command(
        "seeker", "the job seekers a shared database serves: add, list, edit, remove, import",
        "nudger seeker add dana@example.com --name \"Dana Reyes\" --timezone Europe/Paris\n"
        "nudger seeker list",
        _usage,
        description="Many seekers in one database (README, \"Many seekers on PostgreSQL\"): "
        "each seeker has their own name, address, time zone, digest time and days; "
        "config.toml gives the organisation's defaults for what a seeker leaves empty.",
        actions=(
            Command(
                "add", "add a seeker",
                "nudger seeker add dana@example.com --name \"Dana Reyes\" "
                "--timezone Europe/Paris --at 08:00 --days mon,wed,fri",
                cmd_seeker_add,
                description="Add a seeker, digests enabled. --timezone, --at and --days "
                "default to config.toml's timezone and [digest] time and days.",
                options=(EMAIL, Option("--name", required=True, help="the seeker's name"),
                         *SCHEDULE),
            ),
            Command(
                "list", "list the seekers", "nudger seeker list\nnudger seeker list --json",
                cmd_seeker_list,
                description="Every seeker by email, with their time zone, digest time and "
                "days (- for config.toml's) and their next digest in UTC. --json prints "
                "a list of objects: email, name, timezone, at, days, enabled, "
                "next_digest_at, phone, pitch, signature, social, created_at, updated_at "
                "(moments in ISO 8601, UTC).",
                options=(JSON,),
            ),
            Command(
                "show", "show one seeker", "nudger seeker show dana@example.com",
                cmd_seeker_show, options=(EMAIL, JSON),
            ),
            Command(
                "edit", "change a seeker's details or schedule",
                "nudger seeker edit dana@example.com --at 07:45 --days mon,tue,wed,thu\n"
                "nudger seeker edit dana@example.com --email dana.reyes@example.org",
                cmd_seeker_edit,
                description="Change the fields given; an empty value (--at \"\") goes back "
                "to config.toml's. The next digest is worked out again.",
                options=(
                    EMAIL, Option("--name", help="the seeker's name"),
                    Option("--email", dest="new_email", metavar="NEW",
                           help="a new email address for the seeker"),
                    *SCHEDULE,
                    Option("--phone", help="the seeker's phone number"),
                    Option("--pitch", help="the seeker's one-paragraph pitch"),
                    Option("--signature", help="the signature under the seeker's drafts"),
                    Option("--social", help="the seeker's profile URL or handle"),
                ),
            ),
            Command(
                "disable", "stop a seeker's digests (their data stays)",
                "nudger seeker disable dana@example.com", cmd_seeker_disable,
                options=(EMAIL,),
            ),
            Command(
                "enable", "resume a seeker's digests", "nudger seeker enable dana@example.com",
                cmd_seeker_enable, description="Resume a seeker's digests from the next "
                "digest time on (none are sent for the days they were disabled).",
                options=(EMAIL,),
            ),
            Command(
                "remove", "delete a seeker and every row of theirs",
                "nudger seeker remove dana@example.com --yes", cmd_seeker_remove,
                description="Delete the seeker and every row of theirs in every table "
                "(applications, contacts, touches, the outbox, ...), in one transaction; "
                "nobody else's. Without --yes, say what would be deleted, delete nothing "
                "and exit 1.",
                options=(EMAIL, flag("--yes", help="really delete")),
            ),
            Command(
                "import", "add many seekers from a CSV file",
                "nudger seeker import students.csv\n"
                "where students.csv is:\n"
                "  email,name,timezone,at,days\n"
                "  dana@example.com,Dana Reyes,Europe/Paris,08:00,\"mon,wed,fri\"\n"
                "  lee@example.org,Lee Park,,,",
                cmd_seeker_import,
                description="Add the seekers of a CSV file whose first line names the "
                "columns: email and name (required), timezone, at, days (empty: "
                "config.toml's). A bad row is reported by file:line with its column and "
                "what would be valid, and left out; the good rows are added. A seeker "
                "already in the database is left as it is and reported, so the same file "
                "can be imported again once its bad rows are fixed. Exit status 1 when a "
                "row was not imported.",
                options=(Option("file", metavar="FILE.csv", help="the CSV file"), JSON),
            ),
        ),
    ),
)
