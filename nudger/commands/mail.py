"""Delivery commands: test-email and status; `send_today` and `check_smtp` serve the
`digest --send` and `check --smtp` options of nudger/commands/digest.py."""

from __future__ import annotations

import argparse

from nudger.commands import Context, add_command
from nudger.errors import NudgerError, UsageError

# typing is not imported at run time: it costs ~4 ms on every `nudger` call. mypy
# treats any constant named TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from datetime import date, datetime
    from typing import Any


ORDER = 40


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    add_command(
        sub, common, "test-email", cmd_test_email,
        "send a short test message through the configured delivery method",
        "nudger test-email",
        description="Send a short test message to profile.email through the configured "
        "delivery method (smtp, sendmail or maildir) and say where it went. Exits 1 with "
        "the server and the reason when it cannot be delivered.",
    )
    p = add_command(
        sub, common, "status", cmd_status,
        "next digest time, last digest sent, anything waiting to retry or failed",
        "nudger status\nnudger status --json",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")


def _data_dir(ctx: Context) -> Any:
    from nudger.store.db import database_path

    return database_path(ctx.settings, ctx.env).parent


def cmd_test_email(ctx: Context) -> int:
    import asyncio

    from nudger.delivery import open_transport, probe_message

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
    from nudger.delivery import describe_method
    from nudger.outbox import outbox_status
    from nudger.schedule import next_digest_at

    settings = ctx.settings
    now = ctx.now()
    status = outbox_status(settings, ctx.db, now)
    upcoming = next_digest_at(settings, now)
    method = describe_method(settings, ctx.env, ctx.db.path.parent)
    if ctx.args.json:
        ctx.print_json({"now": now.isoformat(), "next_digest_at": upcoming.isoformat(),
                        "recipient": settings.recipient, "delivery": method,
                        **status.as_json()})
        return 0

    zone = settings.zone

    def at(moment: datetime | None) -> str:
        return moment.astimezone(zone).strftime("%a %Y-%m-%d %H:%M %Z") if moment else "-"

    ctx.print(f"next digest:  {at(upcoming)} to {settings.recipient}")
    ctx.print(f"delivery:     {method}")
    today = status.today
    if today is None:
        ctx.print("today:        not sent yet")
    else:
        ctx.print(f"today:        {_line(today, at)}")
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
    if not status.retrying and not status.failed and not status.sending:
        ctx.print("problems:     none")
    return 0


def _line(info: Any, at: Any) -> str:
    if info.state == "sent":
        return f"sent at {at(info.sent_at)} ({info.nudges} nudges)"
    if info.state == "retry":
        return f"waiting to retry at {at(info.next_attempt_at)}: {info.error}"
    if info.state == "failed":
        return f"failed: {info.error}"
    if info.state == "skipped":
        return f"skipped: {info.error}"
    return f"{info.state} since {at(info.updated_at)}"


# --- for nudger/commands/digest.py -----------------------------------------------------

def add_send_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--send", action="store_true",
                        help="deliver the digest now, once per day (a second run sends "
                        "nothing and says so)")
    parser.add_argument("--force", action="store_true",
                        help="with --send: send again a day already sent (same Message-ID)")


def send_today(ctx: Context, local_date: date, *, force: bool = False) -> int:
    """`nudger digest --send [--force]`: deliver `local_date`'s digest now, once."""
    import asyncio

    from nudger.delivery import maildir_path
    from nudger.outbox import Outcome, send_digest

    settings = ctx.settings
    if local_date > ctx.today:
        raise UsageError(f"--send delivers today's digest (or an earlier day's), not "
                         f"{local_date}'s: it would keep the daemon from sending that day's "
                         "digest when it comes")
    result = asyncio.run(send_digest(settings, ctx.db, ctx.calendar, local_date, ctx.now(),
                                     force=force, env=ctx.env))
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


def check_smtp(ctx: Context) -> int:
    """`nudger check --smtp`: connect, negotiate TLS, log in, QUIT without sending."""
    import asyncio

    from nudger.delivery import verify_smtp
    from nudger.secrets import password_source

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
