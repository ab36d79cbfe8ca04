"""The workers' command: worker [--concurrency N]."""

from __future__ import annotations

import argparse

from nudger.commands import Command, Context, Option

ORDER = 55


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= 1000:
        raise argparse.ArgumentTypeError(f"{value} is not between 1 and 1000")
    return value


def cmd_worker(ctx: Context) -> int:
    from nudger.workers.run import serve

    return serve(ctx.config_location, ctx.env, concurrency=ctx.args.concurrency)


COMMANDS = (
    Command(
        "worker", "one of many workers sending digests from a PostgreSQL database",
        "nudger worker\nnudger worker --concurrency 8",
        cmd_worker,
        description="Run one worker in the foreground (what nudger-worker@.service "
        "starts): it serves the task queue in the PostgreSQL database of config.toml "
        "together with any number of other workers on any machines. Every minute one of "
        "them finds what is due; each digest is sent exactly once, over one SMTP "
        "connection per worker (paced by smtp.max_per_minute). SIGTERM finishes the sends "
        "in progress (or gives them back) and exits 0 within 10 seconds. Needs "
        "PostgreSQL; on SQLite use `nudger run`.",
        options=(
            Option("--concurrency", type=_count, default=1, metavar="N",
                   help="queue jobs this worker runs at once (a job: a batch of up to 100 "
                   "seekers' digests), and digests of each batch in flight at once "
                   "(default 1)"),
        ),
    ),
)
