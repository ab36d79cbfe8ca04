"""Seekers: the people whose applications the database keeps.

One row per seeker (a single user's database gets one when a later revision scopes the
rows by seeker). `next_digest_at` is indexed: the daemon finds who is due by a range on it.

Revision ID: 0008_seekers
Revises: 0007_buttons
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_seekers"
down_revision = "0007_buttons"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "seeker",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String, nullable=False, unique=True),
        sa.Column("name", sa.String, nullable=False, server_default=""),
        sa.Column("phone", sa.String, nullable=False, server_default=""),
        sa.Column("pitch", sa.String, nullable=False, server_default=""),
        sa.Column("signature", sa.String, nullable=False, server_default=""),
        sa.Column("social", sa.String, nullable=False, server_default=""),
        sa.Column("timezone", sa.String, nullable=False, server_default=""),
        sa.Column("digest_at", sa.String, nullable=False, server_default=""),
        sa.Column("digest_days", sa.String, nullable=False, server_default=""),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("next_digest_at", sa.DateTime, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_seeker_next_digest_at", "seeker", ["next_digest_at"])


def downgrade() -> None:
    op.drop_index("ix_seeker_next_digest_at", table_name="seeker")
    op.drop_table("seeker")
