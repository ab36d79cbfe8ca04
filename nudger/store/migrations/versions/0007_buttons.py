"""Buttons are good for one use; refused command mail is recorded (and answered).

`mailcommand_button`: one row per button carried out (its use key, never the token), so
the same button tapped again answers "already done". `mailcommand.refusal`: why a command
message from the owner was refused (empty when it was carried out), for the answer and
for `nudger status`. `mailmessage.thread_refs`: a message's References, so that a
draft answering it carries the whole chain. `maildraft.render_hash`: what a draft says, so
that one rendered on an earlier day is replaced by the words of the digest it goes with.

Revision ID: 0007_buttons
Revises: 0006_commands
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_buttons"
down_revision = "0006_commands"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mailcommand_button",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("use_key", sa.String, nullable=False, unique=True),
        sa.Column("mailcommand_id", sa.Integer,
                  sa.ForeignKey("mailcommand.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("line", sa.String, nullable=False, server_default=""),
        sa.Column("used_at", sa.DateTime, nullable=False),
    )
    with op.batch_alter_table("mailcommand") as batch:
        batch.add_column(sa.Column("refusal", sa.String, nullable=False, server_default=""))
    with op.batch_alter_table("mailmessage") as batch:
        batch.add_column(sa.Column("thread_refs", sa.String, nullable=False,
                                   server_default=""))
    with op.batch_alter_table("maildraft") as batch:
        batch.add_column(sa.Column("render_hash", sa.String, nullable=False,
                                   server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("maildraft") as batch:
        batch.drop_column("render_hash")
    with op.batch_alter_table("mailmessage") as batch:
        batch.drop_column("thread_refs")
    with op.batch_alter_table("mailcommand") as batch:
        batch.drop_column("refusal")
    op.drop_table("mailcommand_button")
