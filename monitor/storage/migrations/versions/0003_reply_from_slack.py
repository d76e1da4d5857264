"""reply from Slack: the platform reply outbox

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04

One row per reply sent from a Slack modal, keyed by the case (`reply:<alert key>`), written
before the platform call so a crash between the call and the commit is reconciled against the
brand's own recent replies instead of posting twice.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import monitor.storage.tables

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "platform_replies",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("brand", sa.String(length=128), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("parent_external_id", sa.String(length=128), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("slack_user", sa.String(length=64), nullable=False),
        sa.Column("slack_user_name", sa.String(length=128), nullable=False),
        sa.Column("view_id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("uncertain", sa.Boolean(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_until", monitor.storage.tables.UTCDateTime(), nullable=True),
        sa.Column("error_kind", sa.String(length=32), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", monitor.storage.tables.UTCDateTime(), nullable=False),
        sa.Column("sent_at", monitor.storage.tables.UTCDateTime(), nullable=True),
        sa.Column("external_id", sa.String(length=128), nullable=True),
        sa.Column("permalink", sa.Text(), nullable=True),
        sa.Column("account", sa.String(length=256), nullable=True),
        sa.Column("response_minutes", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index("ix_platform_replies_state", "platform_replies",
                    ["state", "lease_until"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_platform_replies_state", table_name="platform_replies")
    op.drop_table("platform_replies")
