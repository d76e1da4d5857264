"""Plain records that leave storage: what the rest of the app reads about stored mentions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sentiment.base import Score
from sources.base import Mention


@dataclass(frozen=True)
class StoredMention:
    """A mention as stored, with its database id, score and first brand reply (if any)."""

    id: int
    mention: Mention
    fetched_at: datetime
    score: Score | None = None
    answered_at: datetime | None = None
    answered_by: str | None = None
    situation: str | None = None

    @property
    def first_response_minutes(self) -> float | None:
        if self.answered_at is None:
            return None
        return max(0.0, (self.answered_at - self.mention.created_at).total_seconds() / 60)


@dataclass(frozen=True)
class StoreResult:
    """What one stored page changed: only new rows count, re-deliveries are no-ops."""

    new_mentions: int
    duplicate_mentions: int
    new_replies: int
    new_reads: int


@dataclass(frozen=True)
class SourceHealth:
    source: str
    status: str
    last_poll_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    deferred_until: datetime | None
    consecutive_failures: int
    empty_polls: int
    productive_polls: int
    mentions_total: int
    silent: bool
