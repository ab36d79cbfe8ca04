"""Workers: the outbox lease, and the task queue's tables on PostgreSQL.

`digest.lease_until` (both engines): a claim by a worker (`nudger worker`) holds its row
until then; a mark by a claimer whose lease ran out is refused, and another claimer may take
the row over (store/outbox.py). `claimed_by` already names the claimer.

On PostgreSQL this revision also creates procrastinate's schema (tables, types, functions,
triggers), from the SQL file the installed procrastinate ships (`procrastinate/sql/
schema.sql`), so one `nudger init` creates everything the workers need. SQLite has no
workers: nothing more happens there. A procrastinate release that ships a migration of its
own needs a nudger revision that applies it (pyproject.toml pins the release line).

Revision ID: 0010_workers
Revises: 0009_seeker_rows
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0010_workers"
down_revision = "0009_seeker_rows"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("digest") as batch:
        batch.add_column(sa.Column("lease_until", sa.DateTime, nullable=True))
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    from procrastinate.schema import SchemaManager

    # The whole file in one simple-protocol call on the driver's connection (inside the
    # migration's transaction): the file holds many statements and literal `%` and `:`
    # that SQLAlchemy's text() and a parametrised execute would misread.
    driver: Any = bind.connection.driver_connection
    driver.execute(SchemaManager.get_schema())


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        driver: Any = bind.connection.driver_connection
        for kind, sql in (
            ("TABLE", "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                      "AND tablename LIKE 'procrastinate%'"),
            ("FUNCTION", "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace "
                         "n ON n.oid = p.pronamespace WHERE n.nspname = current_schema() "
                         "AND p.proname LIKE 'procrastinate%'"),
            ("TYPE", "SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = "
                     "t.typnamespace WHERE n.nspname = current_schema() AND t.typname LIKE "
                     "'procrastinate%' AND t.typtype IN ('e', 'c')"),
        ):
            for (name,) in driver.execute(sql).fetchall():
                quoted = name if kind == "FUNCTION" else f'"{name}"'
                driver.execute(f"DROP {kind} IF EXISTS {quoted} CASCADE")
    with op.batch_alter_table("digest") as batch:
        batch.drop_column("lease_until")
