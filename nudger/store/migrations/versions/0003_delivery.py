"""Outbox columns for delivery: who claimed a send, and which digest reported a failure.

claimed_by: "host:pid" of the process that marked the record 'sending', so a restart can
tell at once that the sender died (a dead pid on this host) instead of waiting for the
stale-claim timeout. reported_in: the local date of the digest that told the user this
one failed, so each failure is reported exactly once.

Revision ID: 0003_delivery
Revises: 0002_outbox
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_delivery"
down_revision = "0002_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("digest") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String, nullable=False, server_default=""))
        batch.add_column(sa.Column("reported_in", sa.Date, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("digest") as batch:
        batch.drop_column("reported_in")
        batch.drop_column("claimed_by")
