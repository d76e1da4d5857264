"""Typed cursor state and per-poll budgets of the X collector.

State (JSON in `Cursor.state`): `since_id` is the newest id of the last *complete* window;
`pending_until_id`/`pending_newest_id` describe a window a budget interrupted: everything in
(pending_until_id, pending_newest_id] was read, (since_id, pending_until_id) was not yet.
Ids are compared as integers (snowflakes): as strings "999" > "1000".
A first poll (no since_id) has no id to start from: `start_time` (ISO 8601 UTC) bounds it to
the configured backfill, and stays in the state until that first window is complete.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sources.base import Cursor

MIN_RESULTS = 10  # X's lower bound of max_results on recent search


def _id(value: Any) -> str | None:
    text = str(value) if isinstance(value, int | str) else ""
    return text if text.isdigit() else None


def _time(value: Any) -> str | None:
    return value if isinstance(value, str) and value.endswith("Z") else None


def _max(a: str | None, b: str | None) -> str | None:
    if a is None or b is None:
        return a or b
    return a if int(a) >= int(b) else b


def _min(a: str | None, b: str | None) -> str | None:
    if a is None or b is None:
        return a or b
    return a if int(a) <= int(b) else b


@dataclass(frozen=True)
class Window:
    """Where a query stands: the last complete `since_id` and, maybe, a pending window."""

    since_id: str | None = None
    pending_until_id: str | None = None
    pending_newest_id: str | None = None
    start_time: str | None = None  # first window only: how far back the backfill reads

    @property
    def pending(self) -> bool:
        return self.pending_until_id is not None

    @property
    def backfill(self) -> bool:
        """The first window of a query: everything it reads is backfill."""
        return self.since_id is None

    @classmethod
    def load(cls, cursor: Cursor | None) -> Window:
        """Read a stored state; unknown or corrupt values fall back to "no cursor" parts."""
        state = cursor.state if cursor is not None else {}
        window = cls(
            since_id=_id(state.get("since_id")),
            pending_until_id=_id(state.get("pending_until_id")),
            pending_newest_id=_id(state.get("pending_newest_id")),
            start_time=_time(state.get("start_time")),
        )
        if window.pending and window.pending_newest_id is None:
            window = replace(window, pending_newest_id=window.pending_until_id)
        return window

    def extend(self, newest: str | None, oldest: str | None) -> Window:
        """Record a page read inside this window (ids of the page's items)."""
        return replace(
            self,
            pending_newest_id=_max(self.pending_newest_id, newest),
            pending_until_id=_min(self.pending_until_id, oldest),
        )

    def complete(self) -> Window:
        """The window was read down to `since_id`: advance to its newest id."""
        return Window(since_id=_max(self.since_id, self.pending_newest_id))

    def dump(self) -> Cursor:
        state: dict[str, Any] = {"since_id": self.since_id}
        if self.pending:
            state["pending_until_id"] = self.pending_until_id
            state["pending_newest_id"] = self.pending_newest_id
        if self.since_id is None and self.start_time is not None:
            state["start_time"] = self.start_time
        return Cursor(state)

    def dump_pending(self) -> Cursor | None:
        """Cursor for a window interrupted by a budget; None (keep the old) if nothing was read.

        A first poll (no since_id) bounded by a backfill `start_time` keeps its window
        pending, so the next polls finish the backfill (each within its page and read
        budgets). Without a bound, rather than walking back seven days of history, page by
        page and post by post billed, it starts from the newest post read.
        """
        if self.since_id is None and self.start_time is None:
            return self.complete().dump()
        return self.dump() if self.pending else None


@dataclass
class PollBudget:
    """What one poll may still spend: pages (settings), posts (monthly budget), rate limit."""

    pages_left: int
    max_results: int
    reads_left: int | None = None
    rate_spent: bool = False
    min_results: int = MIN_RESULTS

    def page_size(self) -> int | None:
        """max_results for the next page, or None when a full-size request would overspend."""
        size = self.max_results
        if self.reads_left is not None:
            size = min(size, self.reads_left)
        return size if size >= self.min_results else None

    def can_fetch(self) -> bool:
        return self.pages_left > 0 and not self.rate_spent and self.page_size() is not None

    def spend_page(self, posts_read: int) -> None:
        """Charge a page: one of the page budget, and the posts X returned (what it bills)."""
        self.pages_left -= 1
        if self.reads_left is not None:
            self.reads_left -= posts_read
