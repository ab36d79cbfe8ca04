"""Transfer commands: import, export, stats."""

from __future__ import annotations

import sys

from nudger.commands import Command, Context, Option, flag
from nudger.commands._args import JSON
from nudger.errors import NudgerError

# typing is not imported at run time: it costs ~4 ms on every `nudger` call. mypy
# treats any constant named TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


ORDER = 60


# --- import ------------------------------------------------------------------------------

def cmd_import(ctx: Context) -> int:
    from nudger.transfer.importing import import_file
    from nudger.transfer.options import ImportOptions, parse_pairs

    args = ctx.args
    options = ImportOptions(
        dry_run=args.dry_run, date_format=args.date_format,
        columns=parse_pairs(args.column, "--column"),
        stage_map=parse_pairs(args.stage_map, "--stage-map"), skip_bad=args.skip_bad,
    )
    from pathlib import Path

    path = Path(args.file).expanduser()
    with ctx.db.session() as session:
        report = import_file(session, path, options, today=ctx.today, now=ctx.now())
        if options.dry_run:
            session.rollback()
    if args.json:
        ctx.print_json(report.as_json())
        return 0
    _print_report(ctx, report)
    return 0


def _print_report(ctx: Context, report: Any) -> None:
    if report.kind == "csv":
        ctx.print(f"read {report.path}: {report.encoding}, {report.delimiter}-separated, "
                  f"{report.rows} rows")
        ctx.print("columns: " + ", ".join(f"{h} → {f}" for f, h in report.used.items()))
        if report.ignored:
            ctx.print("ignored columns: " + ", ".join(report.ignored))
    else:
        ctx.print(f"read {report.path}: nudger JSON, {report.rows} applications")
    for title, listed in (("add", report.added), ("update", report.updated),
                          ("skip", report.skipped)):
        if report.dry_run or title != "add":
            for item in listed.items:
                ctx.print(f"  {title}: {item}")
            if listed.count > len(listed.items):
                ctx.print(f"  ... and {listed.count - len(listed.items)} more to {title}")
    if report.bad.count:
        ctx.warn(f"{report.bad.count} bad row(s) skipped (--skip-bad):")
        from nudger.text import visible

        for item in report.bad.items:
            sys.stderr.write(f"  {visible(str(item))}\n")
        if report.bad.count > len(report.bad.items):
            sys.stderr.write(f"  ... and {report.bad.count - len(report.bad.items)} more\n")
    extra = f" with {report.contacts} contacts" if report.contacts else ""
    if report.touches:
        extra += f" and {report.touches} follow-ups"
    added = "would add" if report.dry_run else "added"
    updated, skipped = ("would update", "would skip") if report.dry_run else ("updated",
                                                                             "skipped")
    ctx.print(f"{added} {report.added.count} applications{extra}; {updated} "
              f"{report.updated.count}; {skipped} {report.skipped.count}"
              + ("; nothing was changed (--dry-run)" if report.dry_run else ""))


# --- export ------------------------------------------------------------------------------

def cmd_export(ctx: Context) -> int:
    import json

    from nudger.transfer.csv_out import write_csv
    from nudger.transfer.json_io import export_data

    args = ctx.args
    with ctx.db.read_session() as session:
        data = export_data(session, ctx.now())
    count = len(data["applications"])
    if args.output is None:
        if args.format == "json":
            ctx.print_json(data)  # escapes what a terminal would act on; JSON all the same
        elif sys.stdout.isatty():
            import io

            from nudger.text import visible

            buffer = io.StringIO()
            write_csv(data, buffer)
            sys.stdout.write(visible(buffer.getvalue().replace("\r\n", "\n")))
        else:
            write_csv(data, sys.stdout)  # to a file or a pipe: the data exactly
        return 0
    from pathlib import Path

    from nudger.files import atomic_open

    target = Path(args.output).expanduser()
    if target.is_dir():
        raise NudgerError(f"{target} is a directory; name a file to write")
    try:
        if args.format == "json":
            with atomic_open(target, perms=0o600) as f:
                json.dump(data, f, indent=2, ensure_ascii=False)
                f.write("\n")
        else:
            with atomic_open(target, encoding="utf-8-sig", newline="", perms=0o600) as f:
                write_csv(data, f)
    except OSError as exc:
        raise NudgerError(f"cannot write {target}: {exc.strerror}") from None
    ctx.print(f"wrote {count} applications to {target} ({args.format})")
    return 0


# --- stats -------------------------------------------------------------------------------

def cmd_stats(ctx: Context) -> int:
    from nudger.store.read import load_history
    from nudger.track.stats import compute
    from nudger.when.dates import parse_date

    args = ctx.args
    since = parse_date(args.since, ctx.today, what="--since") if args.since else None
    with ctx.db.read_session() as session:
        history = load_history(session, ctx.settings.zone)
    stats = compute(history, ctx.settings, ctx.calendar, ctx.today, since)
    if args.json:
        ctx.print_json(stats.as_json())
        return 0
    ctx.print(f"stats for {ctx.today}" + (f", since {since}" if since else ""))
    ctx.print("\npipeline: " + ", ".join(f"{stage} {n}" for stage, n in stats.pipeline.items()
                                         if n) if any(stats.pipeline.values())
              else "\npipeline: no applications yet")
    ctx.print(f"follow-up rate: {stats.follow_up.text()} applications followed up at least "
              "once" if stats.follow_up.whole else "follow-up rate: no applications yet")
    from_mail = sum(1 for r in stats.replies if r.source == "mail")
    mail = f" ({from_mail} answered by mail, found in your mailbox)" if from_mail else ""
    ctx.print(f"replies: {stats.reply_rate.text()} applications got a reply (moved past "
              f"applied, or answered by mail){mail}"
              if stats.reply_rate.whole else "replies: no applications sent yet")
    if stats.median_days is not None:
        ctx.print(f"median days from applying to a reply: {stats.median_days:g}")
    from nudger.track.stats import streak_words

    streak = stats.streak
    ctx.print(f"streak: {streak_words(streak.days, capped=streak.capped)}"
              + (f" (since {streak.since})" if streak.since else ""))
    if stats.by_action:
        ctx.print("\nreplies by the last follow-up before them:")
        ctx.table(["AFTER", "REPLIES"], [[k, v] for k, v in stats.by_action.items()])
    if stats.per_action:
        ctx.print("\nfollow-ups by action:")
        ctx.table(["ACTION", "COUNT"], [[k, v] for k, v in stats.per_action.items()])
    if stats.per_week:
        ctx.print("\nfollow-ups per week:")
        weeks = stats.per_week[-12:]
        top = max(n for _, n in weeks) or 1
        for monday, n in weeks:
            ctx.print(f"  {monday}  {'#' * round(20 * n / top):<20} {n}")
    return 0


# --- the commands ----------------------------------------------------------------------

COMMANDS = (
    Command(
        "import",
        "bring applications in from a spreadsheet, another tracker, or a nudger export",
        "nudger import applications.csv --dry-run\n"
        "nudger import huntr-export.csv --date-format mdy\n"
        "nudger import bewerbungen.csv --date-format %d.%m.%Y --column 'Firma=company' "
        "--stage-map 'Entretien=interviewing'\n"
        "nudger import backup.json",
        cmd_import,
        description="Import a CSV (from a spreadsheet or a tracker such as JobSync or Huntr) "
        "or the JSON `nudger export --format json` writes. Columns are matched by name "
        "(Company, Position, Date Applied, Status, Link, Contact, Email, Notes, ...); "
        "--column maps any other. All or nothing: a bad row changes nothing unless "
        "--skip-bad. Importing the same file again adds nothing.",
        options=(
            Option("file", metavar="FILE", help="a .csv or .json file"),
            flag("--dry-run",
                 help="show what would be added, updated and skipped; change nothing"),
            Option("--date-format", metavar="FMT",
                   help="how day/month dates are written: dmy, mdy, or a strptime format "
                   "like %%d.%%m.%%Y (ISO dates, month names and spreadsheet numbers are "
                   "always read)"),
            Option("--column", action="append", default=[], metavar="HEADER=FIELD",
                   help="read the column HEADER as FIELD (company, role, stage, applied, "
                   "url, location, address, source, deadline, contact, email, phone, notes, "
                   "or ignore); repeatable"),
            Option("--stage-map", action="append", default=[], metavar="FROM=TO",
                   help="read the status word FROM as the stage TO; repeatable"),
            flag("--skip-bad",
                 help="import the good rows and list the bad ones"),
            flag("--json", help="print the report as JSON"),
        ),
    ),
    Command(
        "export", "write every application out as CSV or JSON",
        "nudger export -o applications.csv\nnudger export --format json -o backup.json",
        cmd_export,
        description="Write the job hunt out. CSV (the default) opens cleanly in a "
        "spreadsheet: one row per application, cells that a spreadsheet would run as a "
        "formula are prefixed with '. JSON holds everything (contacts, touches, stage "
        "history, snoozes) and `nudger import` reads it back.",
        options=(
            Option("--format", choices=("csv", "json"), default="csv"),
            Option("-o", "--output", metavar="FILE",
                   help="write here (default: standard output); CSV files get a UTF-8 BOM "
                   "so spreadsheets read accents right"),
        ),
    ),
    Command(
        "stats", "effort and results: follow-up rate, replies by channel, pipeline",
        "nudger stats\nnudger stats --since 2026-10-01 --json",
        cmd_stats,
        options=(
            Option("--since", metavar="DATE",
                   help="only applications started and follow-ups done since DATE"),
            JSON,
        ),
    ),
)
