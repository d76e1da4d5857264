"""Per-source health: last success, failure episodes, deferrals, silence detection."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.records import SourceHealth
from monitor.storage.tables import SourceHealthRow

SILENT_AFTER_EMPTY_POLLS = 6
NORMALLY_PRODUCTIVE_POLLS = 3


def _row(session: Session, source: str) -> SourceHealthRow:
    row = session.get(SourceHealthRow, source, with_for_update=True)
    if row is None:
        row = SourceHealthRow(
            source=source,
            status="ok",
            consecutive_failures=0,
            episode_notified=False,
            empty_polls=0,
            productive_polls=0,
            mentions_total=0,
        )
        session.add(row)
        session.flush()
    return row


def record_success(session: Session, source: str, new_mentions: int, now: datetime) -> None:
    row = _row(session, source)
    row.last_poll_at = now
    row.last_success_at = now
    row.status = "ok"
    row.consecutive_failures = 0
    row.episode_notified = False
    row.deferred_until = None
    row.mentions_total += new_mentions
    if new_mentions > 0:
        row.productive_polls += 1
        row.empty_polls = 0
    else:
        row.empty_polls += 1


def record_failure(
    session: Session,
    source: str,
    *,
    status: str,
    error: str,
    now: datetime,
    deferred_until: datetime | None = None,
) -> bool:
    """Record a failed poll. Returns True only for the first failure of an episode that
    has not been announced yet, so ops hear about it once, not at every poll."""
    row = _row(session, source)
    row.last_poll_at = now
    row.last_error = error[:2000]
    row.last_error_at = now
    row.status = status
    row.consecutive_failures += 1
    row.deferred_until = deferred_until
    first = not row.episode_notified
    row.episode_notified = True
    return first


def deferred_until(session: Session, source: str) -> datetime | None:
    row = session.get(SourceHealthRow, source)
    return None if row is None else row.deferred_until


def _to_record(row: SourceHealthRow) -> SourceHealth:
    return SourceHealth(
        source=row.source,
        status=row.status,
        last_poll_at=row.last_poll_at,
        last_success_at=row.last_success_at,
        last_error=row.last_error,
        last_error_at=row.last_error_at,
        deferred_until=row.deferred_until,
        consecutive_failures=row.consecutive_failures,
        empty_polls=row.empty_polls,
        productive_polls=row.productive_polls,
        mentions_total=row.mentions_total,
        silent=row.empty_polls >= SILENT_AFTER_EMPTY_POLLS
        and row.productive_polls >= NORMALLY_PRODUCTIVE_POLLS,
    )


def get_health(session: Session, source: str) -> SourceHealth | None:
    row = session.get(SourceHealthRow, source)
    return None if row is None else _to_record(row)


def all_health(session: Session) -> list[SourceHealth]:
    rows = session.execute(select(SourceHealthRow).order_by(SourceHealthRow.source)).scalars()
    return [_to_record(r) for r in rows]
