"""The tracker: applications, contacts, touches, stage history, snoozes.

Revision ID: 0001_initial
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def _fk() -> sa.Column:
    return sa.Column(
        "application_id",
        sa.Integer,
        sa.ForeignKey("application.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )


def upgrade() -> None:
    op.create_table(
        "application",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("company", sa.String, nullable=False),
        sa.Column("role", sa.String, nullable=False),
        sa.Column("url", sa.String, nullable=False, server_default=""),
        sa.Column("location", sa.String, nullable=False, server_default=""),
        sa.Column("address", sa.String, nullable=False, server_default=""),
        sa.Column("source", sa.String, nullable=False, server_default=""),
        sa.Column("applied_on", sa.Date, nullable=True),
        sa.Column("stage", sa.String, nullable=False, index=True),
        sa.Column("stage_since", sa.Date, nullable=False),
        sa.Column("deadline", sa.Date, nullable=True),
        sa.Column("interview_at", sa.DateTime, nullable=True),
        sa.Column("notes", sa.String, nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "contact",
        sa.Column("id", sa.Integer, primary_key=True),
        _fk(),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("email", sa.String, nullable=False, server_default=""),
        sa.Column("phone", sa.String, nullable=False, server_default=""),
        sa.Column("social", sa.String, nullable=False, server_default=""),
        sa.Column("kind", sa.String, nullable=False, server_default="hiring-manager"),
        sa.Column("notes", sa.String, nullable=False, server_default=""),
    )
    op.create_table(
        "touch",
        sa.Column("id", sa.Integer, primary_key=True),
        _fk(),
        sa.Column("action", sa.String, nullable=False),
        sa.Column("touched_on", sa.Date, nullable=False, index=True),
        sa.Column("note", sa.String, nullable=False, server_default=""),
        sa.Column("stage", sa.String, nullable=False),
        sa.Column("step", sa.Integer, nullable=True),
        sa.Column("skipped", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "stagechange",
        sa.Column("id", sa.Integer, primary_key=True),
        _fk(),
        sa.Column("stage", sa.String, nullable=False),
        sa.Column("changed_on", sa.Date, nullable=False),
        sa.Column("note", sa.String, nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "snooze",
        sa.Column("id", sa.Integer, primary_key=True),
        _fk(),
        sa.Column("until", sa.Date, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    for table in ("snooze", "stagechange", "touch", "contact", "application"):
        op.drop_table(table)
