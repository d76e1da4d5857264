"""The Slack outbox: every outgoing call is recorded before it is attempted, keyed for dedup."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.storage.tables import OutboxRow
from monitor.storage.upsert import insert_ignore


@dataclass(frozen=True)
class OutboxItem:
    id: int
    key: str
    op: str
    channel: str
    payload: dict[str, Any]
    alert_id: int | None
    attempts: int
    created_at: datetime


def enqueue(
    session: Session,
    *,
    key: str,
    op: str,
    channel: str,
    payload: dict[str, Any],
    now: datetime,
    alert_id: int | None = None,
) -> bool:
    """Queue a Slack call; False when the same key was already queued (never twice)."""
    stmt = insert_ignore(
        session,
        OutboxRow,
        [
            {
                "key": key,
                "op": op,
                "channel": channel,
                "payload": payload,
                "alert_id": alert_id,
                "state": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
        ],
    ).returning(OutboxRow.id)
    return session.execute(stmt).first() is not None


def claim_due(session: Session, now: datetime, limit: int = 50) -> list[OutboxItem]:
    """Pending items whose time has come, oldest first, locked for this worker."""
    stmt = (
        select(OutboxRow)
        .where(OutboxRow.state == "pending", OutboxRow.next_attempt_at <= now)
        .order_by(OutboxRow.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return [
        OutboxItem(
            id=r.id,
            key=r.key,
            op=r.op,
            channel=r.channel,
            payload=dict(r.payload),
            alert_id=r.alert_id,
            attempts=r.attempts,
            created_at=r.created_at,
        )
        for r in session.execute(stmt).scalars()
    ]


def mark_attempt(session: Session, item_id: int) -> None:
    """Count an attempt *before* calling Slack, so a crash mid-call is known to need reconciling."""
    row = session.get(OutboxRow, item_id)
    if row is not None:
        row.attempts += 1


def mark_sent(session: Session, item_id: int, now: datetime, result_ts: str | None) -> None:
    row = session.get(OutboxRow, item_id)
    if row is not None:
        row.state = "sent"
        row.sent_at = now
        row.result_ts = result_ts
        row.last_error = None


def mark_failed(
    session: Session, item_id: int, error: str, retry_at: datetime | None
) -> None:
    """Record a failure; `retry_at=None` means give up (the item goes dead, visible in status)."""
    row = session.get(OutboxRow, item_id)
    if row is None:
        return
    row.last_error = error[:2000]
    if retry_at is None:
        row.state = "dead"
    else:
        row.next_attempt_at = retry_at


def pending_count(session: Session) -> int:
    return len(session.execute(select(OutboxRow.id).where(OutboxRow.state == "pending")).all())


def sent_result(session: Session, key: str) -> str | None:
    """The Slack ts of a sent item (threads and updates need their parent's ts)."""
    return session.execute(
        select(OutboxRow.result_ts).where(OutboxRow.key == key, OutboxRow.state == "sent")
    ).scalar_one_or_none()
