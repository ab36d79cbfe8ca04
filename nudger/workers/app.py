"""procrastinate's App on nudger's PostgreSQL database, and who a worker is.

The queue's tables live in nudger's own database (migration 0010_workers creates them), so
the App connects with the same parameters as the store (`PgDatabase.connect_kwargs`: the
password from database_password_file, PGPASSWORD or ~/.pgpass, never from the URL). SQLite
is refused: workers on several machines share one database, which a file cannot be.
"""

from __future__ import annotations

import os
import secrets
import socket
from typing import TYPE_CHECKING

from nudger.errors import ConfigError

if TYPE_CHECKING:
    from procrastinate import App

    from nudger.config import Settings
    from nudger.store.pg import PgDatabase


def require_postgres(settings: Settings, command: str = "nudger worker") -> None:
    """ConfigError (exit 78) unless the database is PostgreSQL."""
    if not settings.is_postgres:
        raise ConfigError(
            f"`{command}` needs PostgreSQL: workers on several machines share one "
            "database, which an SQLite file cannot be. Set `database = "
            "\"postgresql://USER@HOST/DBNAME\"` in config.toml (README, \"Running for many "
            "seekers\"), or run the single-process daemon, `nudger run`, on SQLite")


def worker_id() -> str:
    """`host:pid:random`: unique even when a restarted container reuses the pid."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def make_app(db: PgDatabase, *, pool_size: int) -> App:
    """An App (not yet opened) whose connection pool holds up to `pool_size` connections,
    with nudger's tasks registered (workers/tasks.py)."""
    from procrastinate import App, PsycopgConnector

    from nudger.workers.tasks import register

    kwargs = {**db.connect_kwargs(), "application_name": "nudger-worker"}
    connector = PsycopgConnector(kwargs=kwargs, min_size=1, max_size=max(pool_size, 2))
    app = App(connector=connector)
    register(app)
    return app
