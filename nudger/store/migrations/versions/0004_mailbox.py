"""The mailbox (docs/mailbox.md): mail messages nudger acted on, per-folder sync state, the last
pass, suggestions; the pause an application gets from a reply; bouncing contact addresses.

Every existing row is kept: new tables, and nullable columns (or columns with defaults)
added to application and contact.

Revision ID: 0004_mailbox
Revises: 0003_delivery
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_mailbox"
down_revision = "0003_delivery"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("application") as batch:
        batch.add_column(sa.Column("paused_since", sa.DateTime, nullable=True))
        batch.add_column(sa.Column("paused_by", sa.Integer, nullable=True))
    with op.batch_alter_table("contact") as batch:
        batch.add_column(sa.Column("bounced_at", sa.DateTime, nullable=True))
        batch.add_column(sa.Column("bounce_detail", sa.String, nullable=False,
                                   server_default=""))
    op.create_table(
        "mailmessage",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String, nullable=False, unique=True),
        sa.Column("message_id", sa.String, nullable=False, server_default=""),
        sa.Column("direction", sa.String, nullable=False),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("folder", sa.String, nullable=False, server_default=""),
        sa.Column("date", sa.DateTime, nullable=False),
        sa.Column("from_addr", sa.String, nullable=False, server_default=""),
        sa.Column("from_name", sa.String, nullable=False, server_default=""),
        sa.Column("to_addrs", sa.String, nullable=False, server_default=""),
        sa.Column("subject", sa.String, nullable=False, server_default=""),
        sa.Column("snippet", sa.String, nullable=False, server_default=""),
        sa.Column("application_id", sa.Integer,
                  sa.ForeignKey("application.id", ondelete="SET NULL"), nullable=True),
        sa.Column("touch_id", sa.Integer, sa.ForeignKey("touch.id", ondelete="SET NULL"),
                  nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_mailmessage_message_id", "mailmessage", ["message_id"])
    op.create_index("ix_mailmessage_application_id", "mailmessage", ["application_id"])
    op.create_table(
        "mailfolder",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("account", sa.String, nullable=False),
        sa.Column("folder", sa.String, nullable=False),
        sa.Column("uidvalidity", sa.Integer, nullable=False),
        sa.Column("highest_uid", sa.Integer, nullable=False, server_default="0"),
        sa.Column("synced_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("account", "folder", name="uq_mailfolder"),
    )
    op.create_table(
        "mailsync",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("account", sa.String, nullable=False, unique=True),
        sa.Column("last_ok_at", sa.DateTime, nullable=True),
        sa.Column("last_attempt_at", sa.DateTime, nullable=True),
        sa.Column("last_error", sa.String, nullable=False, server_default=""),
        sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_table(
        "suggestion",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("application_id", sa.Integer,
                  sa.ForeignKey("application.id", ondelete="CASCADE"), nullable=True),
        sa.Column("summary", sa.String, nullable=False),
        sa.Column("reason", sa.String, nullable=False, server_default=""),
        sa.Column("confidence", sa.Float, nullable=False, server_default="0.5"),
        sa.Column("payload", sa.String, nullable=False, server_default="{}"),
        sa.Column("source", sa.String, nullable=False, server_default=""),
        sa.Column("fingerprint", sa.String, nullable=False, unique=True),
        sa.Column("status", sa.String, nullable=False, server_default="open"),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("decided_at", sa.DateTime, nullable=True),
    )
    op.create_index("ix_suggestion_status", "suggestion", ["status"])
    op.create_index("ix_suggestion_application_id", "suggestion", ["application_id"])


def downgrade() -> None:
    op.drop_table("suggestion")
    op.drop_table("mailsync")
    op.drop_table("mailfolder")
    op.drop_table("mailmessage")
    with op.batch_alter_table("contact") as batch:
        batch.drop_column("bounce_detail")
        batch.drop_column("bounced_at")
    with op.batch_alter_table("application") as batch:
        batch.drop_column("paused_by")
        batch.drop_column("paused_since")
