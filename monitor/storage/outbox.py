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


def mark_attempt(session: Session, item_id: int) -> None:
    """Count an attempt *before* calling Slack, so a crash mid-call is known to need reconciling."""
    row = session.get(OutboxRow, item_id)
    if row is not None:
        row.attempts += 1


def pending_count(session: Session) -> int:
    return len(session.execute(select(OutboxRow.id).where(OutboxRow.state == "pending")).all())
