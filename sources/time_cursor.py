"""Persisted time cursors with boundary ids, for APIs that page by time (Reddit, Graph).

A position alone is not enough: several items can share the newest second, and an item that
arrives later in that same second must still be fetched while the ones already stored must
not be emitted again. So a mark is `position` (unix seconds) plus the ids seen at it.

Listings that come newest first (Reddit, Graph feeds) are walked top-down. The mark can only
move once the walk has reached the old mark: a crash after yielding the newest page must not
skip the older pages not yet read. Until then, each page's cursor keeps the old mark and
records a *pending* resume token plus the newest item seen, so the next poll resumes the walk
where it stopped instead of restarting it (which could starve under a tight rate limit).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sources.base import Cursor


@dataclass(frozen=True)
class Mark:
    """Everything at or before `position` is stored, except ids at `position` not listed."""

    position: float | None = None
    boundary_ids: tuple[str, ...] = ()

    def admits(self, created: float, item_id: str) -> bool:
        """True when the item is after the mark (so it was never emitted)."""
        if self.position is None or created > self.position:
            return True
        return created == self.position and item_id not in self.boundary_ids

    def passed(self, created: float, item_id: str) -> bool:
        """True when the item is at or before the mark: a newest-first walk can stop there."""
        return not self.admits(created, item_id)

    def merged(self, created: float, item_id: str) -> Mark:
        """The mark moved forward to cover this item too."""
        if self.position is None or created > self.position:
            return Mark(created, (item_id,))
        if created == self.position and item_id not in self.boundary_ids:
            return Mark(self.position, (*self.boundary_ids, item_id))
        return self

    def to_state(self) -> dict[str, Any]:
        return {"position": self.position, "boundary_ids": list(self.boundary_ids)}

    @classmethod
    def from_state(cls, state: Any, default: float | None = None) -> Mark:
        """Tolerant of a missing or hand-edited state: anything odd falls back to `default`."""
        if not isinstance(state, dict):
            return cls(default)
        position = state.get("position")
        if not isinstance(position, int | float) or isinstance(position, bool):
            return cls(default)
        ids = state.get("boundary_ids")
        ids = tuple(str(i) for i in ids) if isinstance(ids, list) else ()
        return cls(float(position), ids)


@dataclass
class NewestFirstWalk:
    """One poll's walk down a newest-first listing, producing the cursor for each page."""

    committed: Mark
    top: Mark
    resume: dict[str, str] | None = None  # API params that continue an unfinished walk
    finished: bool = False
    reached_old: bool = False
    seen: set[str] = field(default_factory=set)

    @classmethod
    def start(cls, cursor: Cursor | None, *, floor: float) -> NewestFirstWalk:
        """Resume a pending walk, or start a new one from the committed mark.

        `floor` (unix seconds) bounds a first poll, so enabling a brand does not backfill
        years of history as fresh complaints.
        """
        state = cursor.state if cursor is not None else {}
        committed = Mark.from_state(state, default=floor)
        pending = state.get("pending")
        if isinstance(pending, dict) and isinstance(pending.get("resume"), dict):
            top = Mark.from_state(
                {"position": pending.get("top"), "boundary_ids": pending.get("top_ids")},
                default=committed.position,
            )
            if top.position == committed.position and not top.boundary_ids:
                top = committed
            resume = {str(k): str(v) for k, v in pending["resume"].items()}
            return cls(committed=committed, top=top, resume=resume)
        return cls(committed=committed, top=committed)

    def take(self, created: float, item_id: str) -> bool:
        """Whether to emit this item: new since the mark and not yet emitted in this poll."""
        if self.committed.passed(created, item_id):
            self.reached_old = True
            return False
        self.top = self.top.merged(created, item_id)
        if item_id in self.seen:
            return False
        self.seen.add(item_id)
        return True

    def page_done(self, next_params: dict[str, str] | None) -> Cursor:
        """Cursor for the page just read; finishes the walk at the old mark or the last page."""
        if next_params is None or self.reached_old:
            self.finished = True
            self.committed, self.resume = self.top, None
            return Cursor(self.committed.to_state())
        self.resume = next_params
        state = self.committed.to_state()
        state["pending"] = {
            "resume": dict(next_params),
            "top": self.top.position,
            "top_ids": list(self.top.boundary_ids),
        }
        return Cursor(state)
