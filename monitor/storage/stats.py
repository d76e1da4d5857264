"""Aggregates for `vigia status`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from monitor.config import DEFAULT_THRESHOLD
from monitor.storage.mentions import first_reply_subquery
from monitor.storage.tables import AlertRow, MentionRow, ScoreRow


def volume(session: Session, since: datetime) -> list[tuple[str, str, int]]:
    """(source, label or 'unscored', count) of mentions created since `since`."""
    label = func.coalesce(ScoreRow.label, "unscored")
    stmt = (
        select(MentionRow.source, label, func.count())
        .outerjoin(ScoreRow, ScoreRow.mention_id == MentionRow.id)
        .where(MentionRow.created_at >= since)
        .group_by(MentionRow.source, label)
        .order_by(MentionRow.source)
    )
    return [(s, lab, int(n)) for s, lab, n in session.execute(stmt)]


def monitored_since(session: Session, brand: str) -> datetime | None:
    """When Vigía started watching `brand`: its first stored mention's collection time (not the
    post's time: a first poll's backfill reads days back, but nobody was watching then)."""
    stmt = select(func.min(MentionRow.fetched_at)).where(MentionRow.brand == brand)
    return session.execute(stmt).scalar_one_or_none()


def open_negatives(session: Session, thresholds: dict[str, float]) -> list[tuple[str, int]]:
    """(brand, count) of complaints (P(complaint) at the brand's threshold) with no brand
    reply and no case closed by a person."""
    first = first_reply_subquery()
    stmt = (
        select(MentionRow.brand, ScoreRow.complaint)
        .join(ScoreRow, ScoreRow.mention_id == MentionRow.id)
        .outerjoin(first, and_(first.c.source == MentionRow.source,
                               first.c.parent == MentionRow.external_id))
        .outerjoin(AlertRow, AlertRow.mention_id == MentionRow.id)
        .where(first.c.replied_at.is_(None), AlertRow.closed_at.is_(None))
    )
    counts: dict[str, int] = {}
    for brand, complaint in session.execute(stmt):
        if complaint >= thresholds.get(brand, DEFAULT_THRESHOLD):
            counts[brand] = counts.get(brand, 0) + 1
    return sorted(counts.items())
