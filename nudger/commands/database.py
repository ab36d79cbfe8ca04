"""The database command: db copy."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nudger.commands import Command, Context, Option

if TYPE_CHECKING:
    from nudger.store.db import Database

ORDER = 65


def _db_usage(ctx: Context) -> int:
    from nudger.errors import UsageError

    raise UsageError("say what to do: `nudger db copy --to postgresql://USER@HOST:PORT/DBNAME`")


def cmd_db_copy(ctx: Context) -> int:
    from nudger.store.copy import copy_database
    from nudger.store.db import Database, database_path
    from nudger.store.pgurl import is_url

    settings = ctx.settings
    to = ctx.args.to
    if ctx.args.as_seeker is not None:
        from nudger.errors import UsageError
        from nudger.track.seekers import check_email

        try:
            ctx.args.as_seeker = check_email(ctx.args.as_seeker, "--as")
        except ValueError as exc:
            raise UsageError(f"--as: {exc}") from None
    if settings.is_postgres:
        from nudger.store.pg import PgDatabase

        source: Database = PgDatabase.from_settings(settings, ctx.env)
    else:
        source = Database(database_path(settings, ctx.env))
        if not source.exists():
            from nudger.errors import NudgerError

            raise NudgerError(f"{source.where}: no database to copy yet")
    if is_url(to):
        from nudger.errors import UsageError
        from nudger.store import pgurl
        from nudger.store.pg import PgDatabase

        try:
            pgurl.parse(to)
        except ValueError as exc:
            raise UsageError(f"--to {pgurl.redact(to)}: {exc}") from None
        # The destination's password: PGPASSWORD or ~/.pgpass (libpq's own places).
        dest: Database = PgDatabase.from_settings(
            settings.model_copy(update={"database": to, "database_password_file": None}),
            ctx.env)
    else:
        from pathlib import Path

        dest = Database(Path(to).expanduser().resolve())
    if dest.where == source.where:
        from nudger.errors import UsageError

        raise UsageError("--to names the database being copied; give another one")
    try:
        if ctx.args.as_seeker is not None:
            copied = _copy_as(ctx, source, dest)
        else:
            copied = copy_database(source, dest)
    finally:
        source.dispose()
        dest.dispose()
    as_seeker = ctx.args.as_seeker
    if as_seeker is not None:
        copied.pop("seeker")
    total = sum(copied.values())
    ctx.print(f"copied {total} rows from {source.where} to {dest.where}:")
    ctx.print("  " + ", ".join(f"{name} {n}" for name, n in copied.items() if n) or "  (none)")
    if as_seeker is not None:
        ctx.print(f"counts checked; {source.where} is unchanged. They belong to the new "
                  f"seeker {as_seeker} of {dest.where}: `nudger --seeker {as_seeker} list` "
                  "there shows them")
        return 0
    ctx.print(f"counts checked; {source.where} is unchanged. To use the copy, set in "
              f'config.toml: database = "{dest.where}"')
    return 0


def _copy_as(ctx: Context, source: Database, dest: Database) -> dict[str, int]:
    """`--as EMAIL`: the source's only seeker becomes a new seeker of `dest`, with this
    config.toml's profile, zone and digest time where the seeker has none of its own."""
    from datetime import UTC, datetime

    from nudger.store.copy import copy_as_seeker
    from nudger.store.models import Seeker
    from nudger.when.next_digest import next_digest_at

    settings = ctx.settings
    email = ctx.args.as_seeker
    profile = settings.profile
    defaults = {"name": profile.name, "phone": profile.phone, "pitch": profile.pitch,
                "signature": profile.signature, "social": profile.social,
                "timezone": settings.timezone or "",
                "digest_at": settings.digest.time.strftime("%H:%M"),
                "digest_days": ",".join(settings.digest.days)}
    now = datetime.now(UTC)

    def schedule(row: dict[str, Any]) -> datetime:
        return next_digest_at(settings, Seeker(**row), now)

    return copy_as_seeker(source, dest, email, defaults, schedule)


COMMANDS = (
    Command(
        "db", "copy the database into another one (SQLite into PostgreSQL)",
        "nudger db copy --to postgresql://nudger@db.example:5432/nudger",
        _db_usage,
        actions=(
            Command(
                "copy", "copy every row into another, empty database",
                "nudger db copy --to postgresql://nudger@db.example:5432/nudger",
                cmd_db_copy,
                description="Copy every row of the configured database into another, "
                "empty nudger database: a PostgreSQL URL (its password from PGPASSWORD or "
                "~/.pgpass, never in the URL) or an SQLite file path. The destination's "
                "schema is created, the rows are copied in one transaction and counted "
                "before it commits; the source is only read. Then point `database` in "
                "config.toml at the copy. With --as EMAIL, a single user's database goes "
                "into one that already serves other seekers, as the new seeker EMAIL.",
                options=(
                    Option("--to", required=True, metavar="URL",
                           help="postgresql://USER@HOST:PORT/DBNAME, or a new SQLite file"),
                    Option("--as", dest="as_seeker", metavar="EMAIL",
                           help="copy a single user's database into one that serves other "
                           "seekers already, as the new seeker EMAIL (its profile, zone and "
                           "digest time from this config.toml)"),
                ),
            ),
        ),
    ),
)
