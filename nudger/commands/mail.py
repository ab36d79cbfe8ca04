"""Delivery commands: test-email and status."""

from __future__ import annotations

from nudger.commands import Command, Context, flag
from nudger.commands._args import JSON

# typing is not imported at run time: it costs ~4 ms on every `nudger` call. mypy
# treats any constant named TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from datetime import datetime
    from typing import Any


ORDER = 40


def _data_dir(ctx: Context) -> Any:
    from nudger.store.db import database_path

    return database_path(ctx.settings, ctx.env).parent


def cmd_test_email(ctx: Context) -> int:
    import asyncio

    from nudger.send.delivery import open_transport
    from nudger.send.message import probe_message

    settings = ctx.settings
    message = probe_message(settings, ctx.now())

    async def deliver() -> Any:
        transport = open_transport(settings, ctx.env, data_dir=_data_dir(ctx))
        async with transport:
            return await transport.send(message), transport.how_to_read()

    delivered, how = asyncio.run(deliver())
    ctx.print(f"sent a test message to {settings.recipient} ({settings.method})")
    if delivered.path is not None:
        ctx.print(f"  written to {delivered.path}")
        ctx.print(f"  read it with: {how}")
    else:
        ctx.print(f"  accepted by {delivered.where}: {delivered.detail}")
    return 0


def cmd_status(ctx: Context) -> int:
    if ctx.args.workers:
        return _workers_status(ctx)
    from nudger.send.delivery import describe_method
    from nudger.send.status import outbox_status, status_line
    from nudger.when.schedule import next_digest_at

    settings = ctx.settings
    now = ctx.now()
    status = outbox_status(settings, ctx.db, now)
    upcoming = next_digest_at(settings, now)
    method = describe_method(settings, ctx.env, ctx.db.path.parent)
    from nudger.mail.imap.status import mailbox_status

    mailbox = mailbox_status(settings, ctx.db, now)
    if ctx.args.json:
        ctx.print_json({"now": now.isoformat(), "next_digest_at": upcoming.isoformat(),
                        "recipient": settings.recipient, "delivery": method,
                        **status.as_json(), "mailbox": mailbox,
                        "calendars": _calendar_json(ctx)})
        return 0

    zone = settings.zone

    def at(moment: datetime | None) -> str:
        from nudger.when.times import local

        found = local(moment, zone)  # None too for a stored moment past the supported range
        return found.strftime("%a %Y-%m-%d %H:%M %Z") if found else "-"

    ctx.print(f"next digest:  {at(upcoming)} to {settings.recipient}")
    ctx.print(f"delivery:     {method}")
    today = status.today
    if today is None:
        ctx.print("today:        not sent yet")
    else:
        ctx.print(f"today:        {status_line(today, at)}")
    last = status.last_sent
    ctx.print("last sent:    " + (f"the digest of {last.local_date} at {at(last.sent_at)} "
                                  f"({last.nudges} nudges), Message-ID {last.message_id}"
                                  if last else "never"))
    for info in status.sending:
        ctx.print(f"sending:      the digest of {info.local_date} since {at(info.updated_at)}"
                  " (left by a stopped process, it is resent by the daemon)")
    for info in status.retrying:
        uncertain = " (uncertain: it may have arrived)" if info.uncertain else ""
        ctx.print(f"retrying:     the digest of {info.local_date}, attempt {info.attempts}, "
                  f"next at {at(info.next_attempt_at)}: {info.error}{uncertain}")
    for info in status.failed:
        code = f"{info.code} " if info.code and not info.error.startswith(str(info.code)) \
            else ""
        ctx.print(f"failed:       the digest of {info.local_date}: {code}{info.error}")
    if mailbox is not None:
        _print_mailbox(ctx, mailbox, at)
    problems = status.retrying or status.failed or status.sending or \
        (mailbox is not None and (mailbox["error"] or mailbox["skipped"]))
    if not problems:
        ctx.print("problems:     none")
    _calendar_status(ctx, at)
    return 0


def _workers_status(ctx: Context) -> int:
    """`status --workers`: the workers alive, the queue's backlog, today's digests per hour
    and the oldest pending one (nudger/workers/status.py). PostgreSQL only, as the workers."""
    from nudger.when.schedule import local_date
    from nudger.workers.app import require_postgres
    from nudger.workers.status import STALLED_AFTER_S, duration, workers_status

    settings = ctx.settings
    require_postgres(settings, "nudger status --workers")
    now = ctx.now()
    zone = settings.zone
    found = workers_status(ctx.db, zone, local_date(now, settings), now)
    if ctx.args.json:
        ctx.print_json({"now": now.isoformat(), **found.as_json()})
        return 0

    def at(moment: datetime) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z")

    alive = found.alive
    ctx.print(f"workers:      {len(alive)} alive" + ("" if alive else
                                                    " (start one with `nudger worker`)"))
    for worker in alive:
        ctx.print(f"  worker {worker.id}: heartbeat {duration(worker.age)} ago, "
                  f"{worker.running} job(s) running")
    for worker in found.stalled:
        ctx.print(f"  worker {worker.id}: stopped responding (no heartbeat for "
                  f"{duration(worker.age)}, more than {STALLED_AFTER_S:g} s); its jobs are "
                  "retried by the workers alive")
    if not found.backlog:
        ctx.print("queue:        empty")
    for task, counts in found.backlog.items():
        ctx.print(f"queue:        {task}: {counts['todo']} waiting, {counts['doing']} running")
    totals = found.totals()
    ctx.print(f"digests of {found.today}: {totals['sent']} sent, {totals['failed']} failed, "
              f"{totals['pending']} pending")
    for hour in found.hours:
        ctx.print(f"  {hour.hour.strftime('%H:%M')}  {hour.sent:>7} sent  "
                  f"{hour.failed:>7} failed  {hour.pending:>7} pending")
    oldest = found.oldest_pending
    if oldest is None:
        ctx.print("oldest pending: none")
    else:
        error = f": {oldest.error}" if oldest.error else ""
        ctx.print(f"oldest pending: the digest of {oldest.local_date} ({oldest.state}, "
                  f"attempt {oldest.attempts}), waiting {duration(oldest.waited)} since "
                  f"{at(oldest.since)}{error}")
    return 0


def _calendar_json(ctx: Context) -> list[dict[str, Any]]:
    """The [ics] file and [caldav] targets as `status --json` lists them."""
    from nudger.calendar.sync import sync_status

    with ctx.db.read_session() as session:
        rows = sync_status(session)
    return [{"target": r.target, "ok": not r.error_kind, "error_kind": r.error_kind or None,
             "error": r.last_error or None, "failures": r.failures,
             "last_attempt_at": r.last_attempt_at, "last_ok_at": r.last_ok_at,
             "detail": r.detail} for r in rows]


def _calendar_status(ctx: Context, at: Any) -> None:
    """The [ics] file and [caldav] push: how the last attempt went (nudger/calsync.py)."""
    settings = ctx.settings
    if settings.ics.path is None and settings.caldav is None:
        return
    from nudger.calendar.sync import sync_status

    with ctx.db.read_session() as session:
        rows = {row.target: row for row in sync_status(session)}
    for target, label, configured in (("file", "calendar:    ", settings.ics.path),
                                      ("caldav", "caldav:      ", settings.caldav)):
        if configured is None:
            continue
        row = rows.get(target)
        if row is None:
            ctx.print(f"{label} not updated yet (the daemon does it after each pass)")
        elif row.error_kind:
            since = f"; last worked {at(row.last_ok_at)}" if row.last_ok_at else ""
            ctx.print(f"{label} failing ({row.error_kind}, {row.failures} attempt"
                      f"{'' if row.failures == 1 else 's'}, last {at(row.last_attempt_at)}): "
                      f"{row.last_error}{since}; retried at the next pass")
        else:
            ctx.print(f"{label} ok at {at(row.last_ok_at)}: {row.detail}")


def _print_mailbox(ctx: Context, mailbox: dict[str, Any], at: Any) -> None:
    from nudger.mail.imap.status import SKIPPED_DAYS

    server = f"{mailbox['server']}, every {mailbox['poll']}"
    if mailbox["last_attempt_at"] is None:
        ctx.print(f"mailbox:      {server}; not read yet (the daemon reads it, or run "
                  "`nudger mail sync`)")
    elif mailbox["error"]:
        since = at(mailbox["last_ok_at"]) if mailbox["last_ok_at"] else "never read"
        ctx.print(f"mailbox:      {server}; FAILING ({mailbox['failures']} pass(es) in a row, "
                  f"last good: {since}): {mailbox['error']}")
    else:
        ctx.print(f"mailbox:      {server}; last read {at(mailbox['last_ok_at'])}")
    if mailbox["skipped"]:
        ctx.print(f"skipped mail: {mailbox['skipped']} message(s) in the last "
                  f"{SKIPPED_DAYS} days could not be handled and were left alone (the "
                  "passes went on); the newest:")
        for line in mailbox["skipped_latest"]:
            ctx.print(f"              {line}")
    if mailbox["open_suggestions"]:
        ctx.print(f"suggestions:  {mailbox['open_suggestions']} open (nudger suggestions)")
    for refused in mailbox["refused"]:
        subject = f" {refused['subject']!r}" if refused["subject"] else ""
        ctx.print(f"refused:      command mail{subject} at {at(refused['at'])}: "
                  f"{refused['why']} (answered: {refused['answer']})")


# --- the commands ----------------------------------------------------------------------

COMMANDS = (
    Command(
        "test-email", "send a short test message through the configured delivery method",
        "nudger test-email",
        cmd_test_email,
        description="Send a short test message to profile.email through the configured "
        "delivery method (smtp, sendmail or maildir) and say where it went. Exits 1 with "
        "the server and the reason when it cannot be delivered.",
    ),
    Command(
        "status", "next digest time, last digest sent, anything waiting to retry or failed",
        "nudger status\nnudger status --json\nnudger status --workers",
        cmd_status,
        options=(JSON, flag("--workers", help="on PostgreSQL: the workers alive, the "
                            "queue's backlog, today's digests sent, failed and pending per "
                            "hour, and the oldest pending one")),
    ),
)
