"""PostgreSQL: the same `Database` interface over psycopg 3, for `database =
"postgresql://USER@HOST:PORT/DBNAME"` (README, "Many seekers on PostgreSQL").

The password comes from `database_password_file` (mode 0600), else libpq's own PGPASSWORD or
password file (~/.pgpass, or $PGPASSFILE), read from the environment nudger was given; never
from the URL (`pgurl` refuses one). Sessions run in UTC (`timezone=UTC`), so the datetimes
stored in `timestamp` columns are UTC exactly as on SQLite. Schema upgrades run in one
transaction under an advisory lock: PostgreSQL's DDL is transactional, so a failed or killed
upgrade leaves the schema as it was, and a second process waits, then finds nothing to do.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nudger.errors import NudgerError
from nudger.store.db import (
    SCHEMA_HEAD,
    Database,
    ForeignDatabaseError,
    classify,
    database_path,
)
from nudger.store.inspect import Inspection
from nudger.store.pgurl import PgTarget, parse

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

    from nudger.config import Settings
    from nudger.secrets import Secret

# pg_advisory_xact_lock key of schema upgrades ("nudger" in ASCII, as a bigint).
UPGRADE_LOCK = 0x6E7564676572
CONNECT_TIMEOUT_S = 10
# What a user's role needs on every nudger table, and on the schema to upgrade it.
TABLE_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE")
FOREIGN_FIX = ("nothing was changed. Set `database` in config.toml to nudger's PostgreSQL "
               "database (or to an empty one, where nudger creates its tables)")
# libpq parameters naming files: a relative path is relative to config.toml's folder.
FILE_PARAMS = ("sslrootcert", "sslcert", "sslkey", "sslcrl")


class PgDatabase(Database):
    """One PostgreSQL database (its current schema): engine, sessions, schema upgrades."""

    engine_name = "postgresql"

    def __init__(self, target: PgTarget, anchor: Path, *, password: Secret | None = None,
                 passfile: Path | None = None, base_dir: Path | None = None) -> None:
        super().__init__(anchor)
        self.target = target
        self.password = password
        self.passfile = passfile
        self.base_dir = base_dir

    @classmethod
    def from_settings(cls, settings: Settings, env: Mapping[str, str]) -> PgDatabase:
        from nudger.secrets import Secret, read_secret_file

        assert settings.database is not None
        target = parse(settings.database)
        password: Secret | None = None
        if settings.database_password_file:
            password = read_secret_file(settings.resolve(settings.database_password_file),
                                  check_mode=True, key="database_password_file")
        elif env.get("PGPASSWORD"):
            password = Secret(env["PGPASSWORD"])
        passfile = Path(env["PGPASSFILE"]) if env.get("PGPASSFILE") else \
            Path(env.get("HOME") or Path.home()) / ".pgpass"
        return cls(target, database_path(settings, env), password=password,
                   passfile=passfile if passfile.exists() else None,
                   base_dir=settings.base_dir)

    # --- connecting -----------------------------------------------------------------

    @property
    def where(self) -> str:
        return self.target.display

    def connect_kwargs(self) -> dict[str, Any]:
        """libpq's connection parameters (the password among them, when nudger has it)."""
        t = self.target
        kwargs: dict[str, Any] = {"dbname": t.dbname, "connect_timeout": CONNECT_TIMEOUT_S,
                                  "application_name": "nudger",
                                  "options": "-c timezone=UTC"}
        if t.user:
            kwargs["user"] = t.user
        if t.host:
            kwargs["host"] = t.host
        if t.port is not None:
            kwargs["port"] = t.port
        for key, value in t.params:
            if key in FILE_PARAMS and self.base_dir is not None and value and \
                    not Path(value).expanduser().is_absolute():
                value = str(self.base_dir / value)
            kwargs[key] = value
        if self.password is not None:
            kwargs["password"] = self.password.reveal()
        elif self.passfile is not None:
            kwargs["passfile"] = str(self.passfile)
        return kwargs

    def connect(self, *, autocommit: bool = False, kind: Any = None) -> Any:
        """A psycopg connection (of class `kind`, psycopg's own by default); NudgerError
        (naming the server, never the password) when it cannot be made."""
        import psycopg

        try:
            return (kind or psycopg.Connection).connect(autocommit=autocommit,
                                                        **self.connect_kwargs())
        except psycopg.Error as exc:
            raise NudgerError(self.describe_error(str(exc), connecting=True)) from None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from sqlalchemy import create_engine

            from nudger.store import scope

            self._engine = create_engine("postgresql+psycopg://", creator=self.connect,
                                         pool_pre_ping=True)
            scope.install(self._engine)
        return self._engine

    def describe_error(self, detail: str, *, connecting: bool = False) -> str:
        """A PostgreSQL failure in the user's words, never with the password in it."""
        if not connecting:
            # The server's primary message; psycopg adds the statement ("LINE 1: ...")
            # and a caret under it, which say nothing to a user.
            detail = (detail.strip().splitlines() or [""])[0]
        text = " ".join(detail.split())
        if self.password is not None:
            text = self.password.redact(text)
        hint = ""
        if connecting:
            if "password authentication failed" in text or "no password supplied" in text:
                hint = ("; give the password through PGPASSWORD, ~/.pgpass, or "
                        "database_password_file (mode 0600)")
            elif "does not exist" in text:
                hint = "; create it (createdb) or fix `database` in config.toml"
            else:
                hint = "; check that the server runs and `database` in config.toml"
            return f"cannot connect to {self.where}: {text}{hint}"
        if "permission denied" in text:
            hint = "; grant the role nudger uses the privileges `nudger check` lists"
        return f"{self.where}: database error: {text}{hint}. Nothing was changed."

    # --- the Database interface -----------------------------------------------------

    def write_problem(self) -> str | None:
        return None  # privileges are the server's: `nudger check` reports them

    def exists(self) -> bool:
        return True  # the database itself is made by its administrator (createdb)

    def ensure(self, create: bool = True) -> None:
        """Create nudger's tables in an empty database, or upgrade them to head. Another
        application's schema is refused before anything is written."""
        self.read_only = None
        revision = self.identify()
        if revision is None and not create:
            raise NudgerError(f"{self.where}: no nudger tables yet; create them with "
                              "`nudger init`")
        if revision != SCHEMA_HEAD:
            self.upgrade()

    def _catalogue(self, con: Any) -> tuple[set[str], list[str]]:
        tables = {r[0] for r in con.execute(
            "SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = current_schema()")}
        versions = [str(r[0]) for r in con.execute(
            "SELECT version_num FROM alembic_version")] if "alembic_version" in tables else []
        return tables, versions

    def identify(self) -> str | None:
        """The schema revision; None for a database with no table in its schema. Raises
        ForeignDatabaseError for someone else's, reading it only."""
        import psycopg

        with self.connect() as con:
            try:
                con.read_only = True
                tables, versions = self._catalogue(con)
            except psycopg.Error as exc:
                raise NudgerError(self.describe_error(str(exc))) from None
        return classify(self.where, tables, versions, fix=FOREIGN_FIX)

    def current_revision(self) -> str | None:
        with self.connect() as con:
            _, versions = self._catalogue(con)
        return versions[0] if versions else None

    def upgrade(self, revision: str = "head") -> None:
        """Apply migrations up to `revision` in one transaction, one process at a time."""
        from alembic import command
        from alembic.script import ScriptDirectory
        from sqlalchemy.exc import DBAPIError

        import nudger.store.models  # noqa: F401  (env.py's import, done before the lock)
        from nudger.store.db import alembic_config

        config = alembic_config(self.path)
        script = ScriptDirectory.from_config(config)
        target = script.get_current_head() if revision == "head" else revision
        try:
            with self.engine.connect() as connection, connection.begin():
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({UPGRADE_LOCK})")
                tables, versions = self._catalogue(connection.connection.driver_connection)
                if classify(self.where, tables, versions, fix=FOREIGN_FIX) == target:
                    return
                config.attributes["connection"] = connection
                command.upgrade(config, revision)
        except DBAPIError as exc:
            raise NudgerError(self.describe_error(str(exc.orig))) from None

    @contextmanager
    def session(self, *, every_seeker: bool = False) -> Iterator[Session]:
        """A write session: commits on success, rolls back on error; scoped to the
        seeker (nudger/store/scope.py) unless `every_seeker`."""
        with self._scoped(self.engine, write=True, every_seeker=every_seeker) as session:
            yield session

    def _read_options(self, engine: Engine) -> Engine:
        return engine.execution_options(postgresql_readonly=True)

    def _begin_plain_write(self, driver: Any) -> None:
        pass  # psycopg opens a transaction with the first statement

    def _end_plain(self, driver: Any, *, commit: bool) -> None:
        if commit:
            driver.commit()
        else:
            driver.rollback()

    @contextmanager
    def read_session(self, *, every_seeker: bool = False) -> Iterator[Session]:
        with self._scoped(self._reading_engine(), write=False,
                          every_seeker=every_seeker) as session:
            yield session

    @contextmanager
    def read_connection(self) -> Iterator[Any]:
        """A plain psycopg connection in one read-only transaction (no SQLAlchemy)."""
        import psycopg

        from nudger.store import scope

        con = self.connect(kind=scope.scoped_pg_connection_class())
        try:
            con.read_only = True
            con.nudger_seeker_id = self._seeker_id if self._seeker_id is not None else \
                self._plain_seeker(con)
            con.nudger_guarded = self._several if self._several is not None else \
                scope.several_seekers(scope.plain_rows(con))
            yield con
        except psycopg.Error as exc:
            raise NudgerError(self.describe_error(str(exc))) from None
        finally:
            con.close()


def inspect_pg(db: PgDatabase) -> Inspection:
    """`nudger check` on PostgreSQL, read-only: the connection, the schema revision, and the
    privileges nudger needs on its tables (and, to create or upgrade them, on the schema)."""
    try:
        revision = db.identify()
    except ForeignDatabaseError as exc:
        return Inspection(problems=[str(exc)], foreign=True)
    except NudgerError as exc:
        return Inspection(problems=[str(exc)])
    with db.connect() as con:
        con.read_only = True
        server = con.info.parameter_status("server_version") or "?"
        user = con.execute("SELECT current_user").fetchone()[0]
        schema_ok = con.execute(
            "SELECT has_schema_privilege(current_schema(), 'CREATE')").fetchone()[0]
        tables, _ = db._catalogue(con)
        missing: list[str] = []
        for table in sorted(tables):
            for privilege in TABLE_PRIVILEGES:
                if not con.execute("SELECT has_table_privilege(%s, %s)",
                                   (f'"{table}"', privilege)).fetchone()[0]:
                    missing.append(f"{privilege} on {table}")
    where = f"{db.where} (PostgreSQL {server}, as {user})"
    if missing:
        shown = ", ".join(missing[:6]) + (f" and {len(missing) - 6} more"
                                          if len(missing) > 6 else "")
        return Inspection(problems=[f"{where}: the role {user} lacks {shown}; grant them: "
                                    f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN "
                                    f"SCHEMA public TO {user}"])
    if revision != SCHEMA_HEAD and not schema_ok:
        return Inspection(problems=[
            f"{where}: schema {revision or '(none)'} needs "
            f"{'creating' if revision is None else 'an upgrade'}, and the role {user} may "
            f"not create tables in the schema; GRANT CREATE ON SCHEMA public TO {user} (or "
            "run `nudger init` once as the database's owner)"])
    if revision is None:
        return Inspection(f"{where} is empty; `nudger init` (or the first command that "
                          "needs it) creates nudger's tables in it")
    if revision == SCHEMA_HEAD:
        return Inspection(f"{where}: schema {revision} is current; privileges ok")
    return Inspection(f"{where}: schema {revision} will be upgraded to {SCHEMA_HEAD} by "
                      "the next command; privileges ok")
