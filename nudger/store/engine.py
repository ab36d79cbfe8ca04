"""Which database the config names: an SQLite file (`store/db.py`, the default) or
PostgreSQL (`store/pg.py`, imported only for a postgresql:// URL). The one place that
knows both engines, so neither engine's module imports the other's."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from nudger.store.db import Database, database_path

if TYPE_CHECKING:
    from nudger.config import Settings


def open_database(settings: Settings, env: Mapping[str, str]) -> Database:
    """The configured database: an SQLite file (`Database`), or PostgreSQL (`PgDatabase`,
    imported only then) for a postgresql:// URL."""
    if settings.is_postgres:
        from nudger.store.pg import PgDatabase

        return PgDatabase.from_settings(settings, env)
    return Database(database_path(settings, env))
