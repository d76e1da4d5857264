"""The contract every collector honours: plain data out, typed failures, resumable cursors.

A source fetches raw platform items and normalises them into `Mention` and `BrandReply`.
It never touches the database: it yields `Page`s, and the pipeline stores each page's items
together with the cursor that covers them in one transaction, so a crash between pages can
re-deliver items (a no-op thanks to the unique key) but never skip any.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol


@dataclass(frozen=True)
class Mention:
    """A post, comment or reply that talks about a brand, normalised across platforms."""

    source: str
    external_id: str
    url: str
    author_id: str
    author_handle: str
    author_name: str
    text: str
    created_at: datetime  # timezone-aware UTC
    author_reach: int = 0  # followers / subscribers where the platform tells
    author_verified: bool = False
    lang: str | None = None  # ISO 639-1 as given by the platform, None when it gives none
    thread_id: str | None = None  # conversation / submission / post the item belongs to
    parent_id: str | None = None  # item this one replies to, if any
    in_reply_to_user_id: str | None = None
    likes: int = 0
    replies: int = 0
    shares: int = 0
    brand: str = ""  # filled by the pipeline from the keyword match
    keyword: str = ""  # the keyword that matched, filled by the pipeline
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BrandReply:
    """A post by one of the brand's own accounts answering an item (`parent_external_id`)."""

    source: str
    external_id: str
    parent_external_id: str
    account: str  # the brand account handle that answered
    replied_at: datetime
    thread_id: str | None = None


@dataclass(frozen=True)
class Cursor:
    """Where a (source, query) left off: a position plus the ids already seen at it.

    `state` is opaque to everybody but the source that wrote it (a since_id, a created_utc
    with its boundary ids, a pending pagination window...). It is JSON-serialisable.
    """

    state: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Page:
    """One unit of progress: items plus the cursor to persist with them (None = keep the old)."""

    mentions: list[Mention] = field(default_factory=list)
    brand_replies: list[BrandReply] = field(default_factory=list)
    cursor: Cursor | None = None
    items_read: int = 0  # raw posts read from the API (billing for X)
    read_ids: list[str] = field(default_factory=list)  # ids read, for per-day billing dedup
    skipped: int = 0  # malformed items logged and skipped
    backfill: bool = False  # read by a first poll looking back `backfill_hours`


@dataclass(frozen=True)
class BrandAccounts:
    """The brand's own identities on one platform (handles and, where known, numeric ids)."""

    handles: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Query:
    """What to fetch for one brand on one source; `key` identifies its cursor."""

    brand: str
    key: str  # stable id of the compiled query; a changed query gets a fresh cursor
    text: str  # platform query string (X search query, Reddit search query, or "" when unused)
    accounts: BrandAccounts = field(default_factory=BrandAccounts)
    options: dict[str, Any] = field(default_factory=dict)  # subreddits, page ids, languages...


class SourceError(Exception):
    """Base class of failures a source reports to the pipeline."""


class AuthError(SourceError):
    """Credentials rejected (401/403, Graph 190): mark the source failing and tell ops once."""

    def __init__(self, message: str, *, env_var: str | None = None) -> None:
        super().__init__(message)
        self.env_var = env_var


class RateLimited(SourceError):
    """The platform asked us to wait: defer the source until `reset_at` (never sleep)."""

    def __init__(self, message: str, *, reset_at: datetime) -> None:
        super().__init__(message)
        self.reset_at = reset_at


class TransientError(SourceError):
    """5xx, timeout, reset connection, unparseable page: retry later with backoff."""


class BudgetExhausted(SourceError):
    """A cost guard stopped polling before the configured budget would be exceeded."""


class Source(Protocol):
    """A collector for one platform. Implementations are registered in `sources.REGISTRY`."""

    name: ClassVar[str]

    def poll(self, query: Query, cursor: Cursor | None) -> Iterator[Page]:
        """Yield pages of new items after `cursor`, oldest progress first.

        Raises a `SourceError` subclass on failure; pages already yielded stay stored.
        """
        ...

    def close(self) -> None:
        """Release HTTP sessions."""
        ...
