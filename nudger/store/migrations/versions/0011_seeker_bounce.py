"""A seeker's address that the relay refused: `seeker.bounced_at` (UTC) and
`seeker.bounce_detail` (the relay's words), as a contact's bounce is kept. Set when a
digest to the seeker is refused for their address (send/leased.py), cleared when their
email changes or the next digest is accepted; `nudger seeker list` and `show` say so.

Revision ID: 0011_seeker_bounce
Revises: 0010_workers
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_seeker_bounce"
down_revision = "0010_workers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("seeker") as batch:
        batch.add_column(sa.Column("bounced_at", sa.DateTime, nullable=True))
        batch.add_column(sa.Column("bounce_detail", sa.String, nullable=False,
                                   server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("seeker") as batch:
        batch.drop_column("bounce_detail")
        batch.drop_column("bounced_at")
