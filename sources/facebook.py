"""Facebook collector (Graph API, no SDK): what people say on the Pages a brand manages.

Three query kinds per Page:
- `comments`: comments and replies (`filter=stream`, chronological) on the Page's recent
  posts, visitor posts included; the Page's own comments are brand replies, with a persisted
  mark per post (Graph's `since` + boundary ids), so each page of comments commits alone;
- `visitor_posts`: posts by others on the Page (`/feed` items whose `from.id` is not the Page);
- `tagged`: posts elsewhere that tag the Page (`/tagged`).
The last two are walked newest first with a resumable `NewestFirstWalk`.
Ratings/reviews are deprecated from v22 and deliberately not read.
An item without `from` may be the Page's own: it is kept as a mention flagged
`extra["author_unknown"]` (never lost, never to be alerted as a customer's).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from monitor.config import DEFAULT_BACKFILL_HOURS
from sources.base import (
    BrandAccounts,
    BrandReply,
    Cursor,
    Mention,
    Page,
    Query,
    Source,
)
from sources.facebook_http import (
    GraphClient,
    GraphNotFound,
    client_from_settings,
    data_list,
    next_params,
)
from sources.facebook_normalize import (
    FIELDS,
    POST_FIELDS,
    MalformedItem,
    item,
    to_mention,
    to_page_reply,
)
from sources.keyword_query import query_key
from sources.time_cursor import Mark, NewestFirstWalk

log = logging.getLogger(__name__)

FIRST_POLL_LOOKBACK = timedelta(hours=DEFAULT_BACKFILL_HOURS)  # sources.*.backfill_hours
POST_WINDOW = timedelta(days=7)  # posts whose comments are read on every poll


class FacebookSource:
    """Polls the Graph API for one set of Pages, with a Page token."""

    name: ClassVar[str] = "facebook"

    def __init__(
        self,
        client: GraphClient,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        include_visitor_posts: bool = True,
        lookback: timedelta = FIRST_POLL_LOOKBACK,
        post_window: timedelta = POST_WINDOW,
        max_posts: int = 25,
        max_pages: int = 10,
        page_size: int = 100,
    ) -> None:
        self.client = client
        self._now = now
        self.include_visitor_posts = include_visitor_posts
        self.lookback, self.post_window = lookback, post_window
        self.max_posts, self.max_pages, self.page_size = max_posts, max_pages, page_size

    def poll(self, query: Query, cursor: Cursor | None) -> Iterator[Page]:
        """One `Page` per Graph page; raises typed `SourceError`s (never sleeps)."""
        kind = query.options.get("kind")
        if kind == "comments":
            yield from self._poll_comments(query, cursor)
        elif kind in ("visitor_posts", "tagged"):
            yield from self._poll_edge(query, cursor, "feed" if kind == "visitor_posts" else kind)
        else:
            raise ValueError(f"unknown facebook query kind {kind!r}")

    # -- comments on recent posts ---------------------------------------------------------------
    def _recent_posts(self, page_id: str) -> list[tuple[str, str | None]]:
        """(post id, author id) of the Page's posts (and visitor posts) in the window."""
        edge = "feed" if self.include_visitor_posts else "posts"
        since = int((self._now() - self.post_window).timestamp())
        params = {"fields": "id,from,created_time", "limit": "25", "since": str(since)}
        posts: list[tuple[str, str | None]] = []
        resume: dict[str, str] | None = {}
        while resume is not None and len(posts) < self.max_posts:
            body = self.client.get(f"{page_id}/{edge}", {**params, **resume})
            for raw in data_list(body, "facebook", edge):
                if isinstance(raw, dict) and isinstance(raw.get("id"), str):
                    author = raw.get("from")
                    author_id = author.get("id") if isinstance(author, dict) else None
                    posts.append((raw["id"], str(author_id) if author_id else None))
            resume = next_params(body)
        return list(dict.fromkeys(posts[: self.max_posts]))

    def _poll_comments(self, query: Query, cursor: Cursor | None) -> Iterator[Page]:
        page_id = str(query.options["page_id"])
        state = dict(cursor.state) if cursor is not None else {}
        floor = state.get("floor")
        if not isinstance(floor, int | float):
            floor = (self._now() - self.lookback).timestamp()
        stored = state.get("posts")
        if not isinstance(stored, dict):
            stored = {}
        posts = self._recent_posts(page_id)
        marks = {pid: Mark.from_state(stored.get(pid), default=floor) for pid, _ in posts}
        seen: set[str] = set()
        for post_id, post_author in posts:
            params = {"filter": "stream", "order": "chronological", "fields": FIELDS,
                      "limit": str(self.page_size)}
            resume: dict[str, str] | None = {}
            since = {"since": str(int(marks[post_id].position or floor))}
            for _ in range(self.max_pages):
                if resume is None:
                    break
                mark = marks[post_id]
                try:
                    body = self.client.get(f"{post_id}/comments", {**params, **since, **resume})
                except GraphNotFound:
                    log.info("facebook: post %s is gone; its comments are skipped", post_id)
                    marks.pop(post_id, None)
                    break
                raw_items = data_list(body, "facebook", "comments")
                mentions: list[Mention] = []
                replies: list[BrandReply] = []
                parsed, skipped = _parse(raw_items, f"comment on {post_id}")
                for it in parsed:
                    ts = it.created.timestamp()
                    if not mark.admits(ts, it.id) or it.id in seen:
                        continue
                    seen.add(it.id)
                    mark = mark.merged(ts, it.id)
                    if it.author_id == page_id:
                        answered = it.parent_id or (post_id if post_author != page_id else None)
                        if answered:
                            replies.append(to_page_reply(
                                it, answered=answered, page_id=page_id, thread_id=post_id))
                        continue
                    mentions.append(
                        to_mention(it, kind="comment", page_id=page_id, thread_id=post_id))
                marks[post_id] = mark
                yield Page(mentions, replies, Cursor(_comments_state(floor, marks)),
                           items_read=len(raw_items), skipped=skipped)
                resume = next_params(body)

    # -- newest-first edges: visitor posts, tagged posts ------------------------------------
    def _poll_edge(self, query: Query, cursor: Cursor | None, edge: str) -> Iterator[Page]:
        page_id = str(query.options["page_id"])
        kind = "visitor_post" if edge == "feed" else "tagged"
        walk = NewestFirstWalk.start(cursor, floor=(self._now() - self.lookback).timestamp())
        since = {"since": str(int(walk.committed.position or 0))}
        params = {"fields": POST_FIELDS, "limit": "25", **since}
        for _ in range(self.max_pages):
            body = self.client.get(f"{page_id}/{edge}", {**params, **(walk.resume or {})})
            raw_items = data_list(body, "facebook", edge)
            mentions: list[Mention] = []
            parsed, skipped = _parse(raw_items, f"{edge} item")
            for it in parsed:
                if not walk.take(it.created.timestamp(), it.id) or it.author_id == page_id:
                    continue
                mentions.append(to_mention(it, kind=kind, page_id=page_id, thread_id=it.id))
            resume = next_params(body) if raw_items else None
            yield Page(mentions, cursor=walk.page_done(resume), items_read=len(raw_items),
                       skipped=skipped)
            if walk.finished:
                return

    def close(self) -> None:
        self.client.close()


def _parse(raw_items: list[Any], what: str) -> tuple[list[Any], int]:
    """Items that parse, and how many did not (logged and skipped, the rest kept)."""
    parsed: list[Any] = []
    skipped = 0
    for raw in raw_items:
        try:
            parsed.append(item(raw))
        except MalformedItem as exc:
            log.warning("facebook: skipped malformed %s: %s", what, exc)
            skipped += 1
    return parsed, skipped


def _comments_state(floor: float, marks: Mapping[str, Mark]) -> dict[str, Any]:
    positions = [m.position for m in marks.values() if m.position is not None]
    return {
        "floor": floor,
        "position": max(positions, default=floor),
        "posts": {pid: m.to_state() for pid, m in marks.items()},
    }


def build_queries(brand: Any, settings: Any) -> list[Query]:
    """Per managed Page: comments, plus visitor posts and tagged posts when enabled."""
    kw = brand.keywords.for_source("facebook", brand.languages)
    if not kw.watches_anything:
        return []
    pages = tuple(dict.fromkeys(str(p) for p in brand.accounts.facebook))
    accounts = BrandAccounts(handles=pages, ids=pages)
    kinds = ["comments"]
    if settings.include_visitor_posts:
        kinds.append("visitor_posts")
    if settings.include_tagged:
        kinds.append("tagged")
    queries = []
    for page_id in pages:
        for kind in kinds:
            options: dict[str, Any] = {"source": "facebook", "kind": kind, "page_id": page_id}
            if kw.languages is not None:
                options["languages"] = list(kw.languages)
            key = query_key("facebook", brand.name, f"{kind} {page_id}")
            queries.append(Query(brand.name, key, "", accounts, options))
    return queries


def create(settings: Any, env: Mapping[str, str]) -> Source:
    """A source from `[sources.facebook]` and the Page token in the environment."""
    var = settings.page_token_env
    client = client_from_settings(settings, env.get(var, ""), var,
                                  platform="facebook", token_name="Page token")
    return FacebookSource(client, include_visitor_posts=settings.include_visitor_posts,
                          lookback=timedelta(hours=settings.backfill_hours))
