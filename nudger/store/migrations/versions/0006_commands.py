"""Command mail: one row per command message carried out, and its confirmation's state;
drafts nudger put into the Drafts folder (one per application, stage and step).

Revision ID: 0006_commands
Revises: 0005_calendar
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_commands"
down_revision = "0005_calendar"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mailcommand",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("message_key", sa.String, nullable=False, unique=True),
        sa.Column("message_id", sa.String, nullable=False, server_default=""),
        sa.Column("subject", sa.String, nullable=False, server_default=""),
        sa.Column("processed_at", sa.DateTime, nullable=False),
        sa.Column("done", sa.String, nullable=False, server_default="[]"),
        sa.Column("outcome", sa.String, nullable=False, server_default="[]"),
        sa.Column("reply_state", sa.String, nullable=False, server_default="pending"),
        sa.Column("reply_attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("reply_next_at", sa.DateTime, nullable=True),
        sa.Column("reply_error", sa.String, nullable=False, server_default=""),
        sa.Column("seen_marked", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_mailcommand_processed_at", "mailcommand", ["processed_at"])
    op.create_table(
        "maildraft",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String, nullable=False, unique=True),
        sa.Column("application_id", sa.Integer, nullable=True, index=True),
        sa.Column("label", sa.String, nullable=False, server_default=""),
        sa.Column("message_id", sa.String, nullable=False),
        sa.Column("content_hash", sa.String, nullable=False),
        sa.Column("folder", sa.String, nullable=False, server_default=""),
        sa.Column("uidvalidity", sa.Integer, nullable=False, server_default="0"),
        sa.Column("uid", sa.Integer, nullable=True),
        sa.Column("state", sa.String, nullable=False, server_default="appending"),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("maildraft")
    op.drop_index("ix_mailcommand_processed_at", "mailcommand")
    op.drop_table("mailcommand")
