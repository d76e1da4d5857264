"""reply decision: score categories, alert track, category corrections

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04

Scores stored by Vigía 1 only knew sentiment. Their categories are read off it the way
`sentiment.base.categories_from_sentiment` does for any sentiment-only model (negative →
complaint, positive → praise, neutral → other), so stored cases keep their meaning; new
mentions get the reply head's calibrated probabilities.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("scores") as batch:
        batch.add_column(sa.Column("category", sa.String(16), nullable=False,
                                   server_default="other"))
        for name, default in (("complaint", "0"), ("question", "0"), ("praise", "0"),
                              ("other", "1")):
            batch.add_column(sa.Column(name, sa.Float(), nullable=False,
                                       server_default=default))
    op.execute(
        "UPDATE scores SET complaint = negative, question = 0, praise = positive, "
        "other = neutral, category = CASE label WHEN 'negative' THEN 'complaint' "
        "WHEN 'positive' THEN 'praise' ELSE 'other' END"
    )
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("track", sa.String(16), nullable=False,
                                   server_default="complaint"))
    with op.batch_alter_table("corrections") as batch:
        batch.add_column(sa.Column("old_category", sa.String(16), nullable=True))
        batch.add_column(sa.Column("new_category", sa.String(16), nullable=True))
        batch.add_column(sa.Column("model", sa.String(256), nullable=True))
        batch.add_column(sa.Column("model_version", sa.String(128), nullable=True))
    op.execute(
        "UPDATE corrections SET old_category = CASE old_label WHEN 'negative' THEN "
        "'complaint' WHEN 'positive' THEN 'praise' ELSE 'other' END"
    )


def downgrade() -> None:
    with op.batch_alter_table("corrections") as batch:
        for name in ("model_version", "model", "new_category", "old_category"):
            batch.drop_column(name)
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("track")
    with op.batch_alter_table("scores") as batch:
        for name in ("other", "praise", "question", "complaint", "category"):
            batch.drop_column(name)
