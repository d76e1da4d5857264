"""Aggregates for `vigia status`."""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class OpenComplaint:
    """A complaint nobody answered publicly and no person closed: what `status` lists."""

    brand: str
    source: str
    author: str
    created_at: datetime
    url: str
    alert_state: str | None  # None: no case yet (e.g. older than max_age_hours when seen)
    priority: str | None
    sla_deadline: datetime | None
    escalated: bool
    snoozed_until: datetime | None


def open_complaints(session: Session, thresholds: dict[str, float]) -> list[OpenComplaint]:
    """Open unanswered complaints, oldest first: P(complaint) at the brand's escalation
    threshold (what escalation decides on), no brand reply, no case closed by a person."""
    first = first_reply_subquery()
    stmt = (
        select(MentionRow, ScoreRow.complaint, AlertRow)
        .join(ScoreRow, ScoreRow.mention_id == MentionRow.id)
        .outerjoin(first, and_(first.c.source == MentionRow.source,
                               first.c.parent == MentionRow.external_id))
        .outerjoin(AlertRow, AlertRow.mention_id == MentionRow.id)
        .where(first.c.replied_at.is_(None), AlertRow.closed_at.is_(None))
        .order_by(MentionRow.created_at, MentionRow.id)
    )
    out = []
    for m, complaint, alert in session.execute(stmt):
        if complaint is None or complaint < thresholds.get(m.brand, DEFAULT_THRESHOLD):
            continue
        deadline = (alert.payload or {}).get("sla_deadline") if alert is not None else None
        out.append(OpenComplaint(
            brand=m.brand, source=m.source, author=m.author_handle or m.author_name,
            created_at=m.created_at, url=m.url,
            alert_state=alert.state if alert is not None else None,
            priority=alert.priority if alert is not None else None,
            sla_deadline=datetime.fromisoformat(deadline) if deadline else None,
            escalated=alert is not None and alert.escalated_at is not None,
            snoozed_until=alert.snoozed_until if alert is not None else None))
    return out


def monitored_since(session: Session, brand: str) -> datetime | None:
    """When Vigía started watching `brand`: its first stored mention's collection time (not the
    post's time: a first poll's backfill reads days back, but nobody was watching then)."""
    stmt = select(func.min(MentionRow.fetched_at)).where(MentionRow.brand == brand)
    return session.execute(stmt).scalar_one_or_none()


def open_negatives(session: Session, thresholds: dict[str, float]) -> list[tuple[str, int]]:
    """(brand, count) of `open_complaints`."""
    counts: dict[str, int] = {}
    for c in open_complaints(session, thresholds):
        counts[c.brand] = counts.get(c.brand, 0) + 1
    return sorted(counts.items())
