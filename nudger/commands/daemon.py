"""The daemon commands: run [--once], service install."""

from __future__ import annotations

from nudger.commands import Command, Context, OneOf, Option, flag

ORDER = 50


def cmd_run(ctx: Context) -> int:
    from nudger.daemon.run import run

    env = ctx.env if ctx.seeker_email is None else {**ctx.env, "NUDGER_SEEKER": ctx.seeker_email}
    return run(ctx.config_location, env, once=ctx.args.once)


def _service_usage(ctx: Context) -> int:
    from nudger.errors import UsageError

    raise UsageError("say what to do: `nudger service install [--user|--system] [--dry-run]`")


def cmd_service_install(ctx: Context) -> int:
    import os

    from nudger.daemon.service import Kind, apply_plan, plan_install

    kind: Kind = ctx.args.kind or ("system" if os.geteuid() == 0 else "user")
    location = ctx.config_location
    config = location.path if location.explicit else None
    if kind == "system" and config is not None:
        ctx.warn(f"the system service reads /etc/nudger/config.toml, not {config}")
        config = None
    plan = plan_install(kind, ctx.env, config=config, workers=ctx.args.workers)
    if ctx.args.dry_run:
        ctx.print(plan.describe())
        return 0
    apply_plan(plan, ctx.print)
    return 0


# --- the commands ----------------------------------------------------------------------

COMMANDS = (
    Command(
        "run", "the daemon, in the foreground (what systemd starts)",
        "nudger run\nnudger run --once     # from cron, or to see what the daemon would do now",
        cmd_run,
        description="Run the daemon in the foreground: send the digest at digest.time on "
        "digest.days in the configured zone (on a database of several seekers, each "
        "seeker's at their own time), send a missed one on start when within "
        "digest.catch_up (otherwise record it as skipped), retry transient failures. "
        "SIGHUP reloads the config and templates (a broken one is logged and the old one "
        "kept); SIGTERM finishes the send in progress and exits 0. Only one daemon runs "
        "per database.",
        options=(
            flag("--once",
                 help="do what is due now (catch-up rules and retries included), then exit"),
        ),
    ),
    Command(
        "service", "install the systemd unit for this installation",
        "sudo nudger service install --system\nnudger service install --user --dry-run",
        _service_usage,
        actions=(
            Command(
                "install", "install and enable the systemd unit for this installation",
                "sudo nudger service install --system\n"
                "nudger service install --user --dry-run\n"
                "sudo nudger service install --system --workers 2 --dry-run",
                cmd_service_install,
                description="Write the systemd unit with this installation's nudger path, "
                "then run `systemctl daemon-reload` and `systemctl enable --now`. --system "
                "(the default as root) also creates the `nudger` user and group, "
                "/etc/nudger and /var/lib/nudger; --user (the default otherwise) installs "
                "into ~/.config/systemd/user. --workers N (system only) installs the "
                "workers' template nudger-worker@.service instead and enables N workers; "
                "/etc/nudger/config.toml must name a PostgreSQL database first. --dry-run "
                "prints every file and command instead.",
                options=(
                    OneOf(
                        Option("--system", dest="kind", action="store_const", const="system",
                               help="a system service with its own user (needs root)"),
                        Option("--user", dest="kind", action="store_const", const="user",
                               help="a service of your user manager (systemctl --user)"),
                    ),
                    Option("--workers", type=int, metavar="N",
                           help="install nudger-worker@.service and enable N workers on "
                           "this machine (PostgreSQL only)"),
                    flag("--dry-run",
                         help="print the files and commands without doing anything"),
                ),
            ),
        ),
    ),
)
