"""The digest outbox: one row per recipient and local date, recorded before sending.

Revision ID: 0002_outbox
Revises: 0001_initial
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_outbox"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digest",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("recipient", sa.String, nullable=False),
        sa.Column("local_date", sa.Date, nullable=False),
        sa.Column("message_id", sa.String, nullable=False),
        sa.Column("state", sa.String, nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("nudges", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.String, nullable=False, server_default=""),
        sa.Column("last_code", sa.Integer, nullable=True),
        sa.Column("uncertain", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("next_attempt_at", sa.DateTime, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("sent_at", sa.DateTime, nullable=True),
        sa.UniqueConstraint("recipient", "local_date", name="uq_digest_day"),
    )


def downgrade() -> None:
    op.drop_table("digest")
