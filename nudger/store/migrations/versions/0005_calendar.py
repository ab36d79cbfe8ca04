"""Calendar events nudger exports and pushes: stable UIDs, versions, CalDAV copies.

calendar_event: one row per event (interview or follow-up) with its UID, the SEQUENCE and
DTSTAMP of its current version, the version a digest announced, and the href of the copy
on the CalDAV server. calendar_sync: how the last write of the file and push to CalDAV
went, for `nudger status`.

Revision ID: 0005_calendar
Revises: 0004_mailbox
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_calendar"
down_revision = "0004_mailbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_event",
        sa.Column("uid", sa.String, primary_key=True),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("application_id", sa.Integer, nullable=False, index=True),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("stage", sa.String, nullable=False, server_default=""),
        sa.Column("fingerprint", sa.String, nullable=False),
        sa.Column("starts_at", sa.DateTime, nullable=False),
        sa.Column("ends_at", sa.DateTime, nullable=False),
        sa.Column("sequence", sa.Integer, nullable=False, server_default="0"),
        sa.Column("stamp", sa.DateTime, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("gone_at", sa.DateTime, nullable=True),
        sa.Column("announced_sequence", sa.Integer, nullable=True),
        sa.Column("caldav_href", sa.String, nullable=True),
        sa.Column("caldav_sequence", sa.Integer, nullable=True),
        sa.Column("caldav_etag", sa.String, nullable=True),
    )
    op.create_table(
        "calendar_sync",
        sa.Column("target", sa.String, primary_key=True),
        sa.Column("last_attempt_at", sa.DateTime, nullable=True),
        sa.Column("last_ok_at", sa.DateTime, nullable=True),
        sa.Column("error_kind", sa.String, nullable=False, server_default=""),
        sa.Column("last_error", sa.String, nullable=False, server_default=""),
        sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
        sa.Column("detail", sa.String, nullable=False, server_default=""),
    )


def downgrade() -> None:
    op.drop_table("calendar_sync")
    op.drop_table("calendar_event")
