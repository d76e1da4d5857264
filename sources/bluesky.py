"""Bluesky collector (AT Protocol `app.bsky.feed.searchPosts`, through the `atproto` client).

Two query kinds per brand:
- `mentions`: one search per keyword form (`sources.bluesky_query`), `sort=latest`, walked
  newest first with a resumable `NewestFirstWalk`; `since` is the committed mark (inclusive),
  and the mark's boundary ids keep posts sharing its timestamp from being lost or repeated;
- `brand_replies`: `from:<brand handle>` searches; a brand post whose `reply.parent.uri` is
  a mention marks it answered (a brand reply found by a keyword search counts too).
Search is free and open but needs a session: an app password (handle + password from the
environment). Rate limits come from the `ratelimit-*` headers and defer the source; nothing
here sleeps.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from monitor.config import DEFAULT_BACKFILL_HOURS
from sources.base import (
    AuthError,
    BrandAccounts,
    BrandReply,
    Cursor,
    Page,
    Query,
    Source,
    TransientError,
)
from sources.bluesky_http import BlueskyClient
from sources.bluesky_normalize import MalformedPost, Post, parse_post, to_brand_reply, to_mention
from sources.bluesky_query import compile_bluesky_queries, compile_bluesky_reply_queries
from sources.keyword_query import query_key
from sources.time_cursor import NewestFirstWalk

log = logging.getLogger(__name__)

FIRST_POLL_LOOKBACK = timedelta(hours=DEFAULT_BACKFILL_HOURS)  # sources.*.backfill_hours


class BlueskySource:
    """Polls Bluesky search for every brand's queries with one app-password session."""

    name: ClassVar[str] = "bluesky"

    def __init__(
        self,
        client: BlueskyClient,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        lookback: timedelta = FIRST_POLL_LOOKBACK,
        page_size: int = 100,
        max_pages: int = 10,
    ) -> None:
        self.client = client
        self._now = now
        self.lookback, self.page_size, self.max_pages = lookback, page_size, max_pages

    def poll(self, query: Query, cursor: Cursor | None) -> Iterator[Page]:
        """One `Page` per search page, newest first; raises typed `SourceError`s."""
        if not query.text:
            return
        kind = query.options.get("kind", "mentions")
        own = {a.lower().lstrip("@") for a in (*query.accounts.handles, *query.accounts.ids)}
        walk = NewestFirstWalk.start(cursor, floor=(self._now() - self.lookback).timestamp())
        since = _iso(walk.committed.position)
        for _ in range(self.max_pages):
            resume = (walk.resume or {}).get("cursor")
            body = self.client.search(query.text, since=since, cursor=resume,
                                      limit=self.page_size)
            raw_posts = body.get("posts")
            if not isinstance(raw_posts, list):
                raise TransientError("bluesky: searchPosts answer without a posts list")
            posts, skipped = _parse(raw_posts)
            mentions: list[Post] = []
            replies: list[BrandReply] = []
            for post in posts:
                if not walk.take(post.sort_at.timestamp(), post.uri):
                    continue
                if own & {post.handle.lower(), post.did.lower()}:
                    if post.parent_uri:
                        replies.append(to_brand_reply(post))
                    continue
                if kind == "mentions":
                    mentions.append(post)
            reach = self.client.followers([p.did for p in mentions]) if mentions else {}
            next_cursor = body.get("cursor")
            more = {"cursor": next_cursor} if isinstance(next_cursor, str) and raw_posts else None
            yield Page(
                [to_mention(p, followers=reach.get(p.did)) for p in mentions], replies,
                walk.page_done(more), items_read=len(raw_posts), skipped=skipped,
            )
            if walk.finished:
                return

    def close(self) -> None:
        self.client.close()


def _iso(position: float | None) -> str | None:
    """`since` for the API, whole seconds down (inclusive): boundary ids do the rest."""
    if position is None:
        return None
    return datetime.fromtimestamp(int(position), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(raw_posts: list[Any]) -> tuple[list[Post], int]:
    posts: list[Post] = []
    skipped = 0
    for raw in raw_posts:
        try:
            posts.append(parse_post(raw))
        except MalformedPost as exc:
            log.warning("bluesky: skipped malformed post: %s", exc)
            skipped += 1
    return posts, skipped


def build_queries(brand: Any, settings: Any) -> list[Query]:
    """Keyword searches (`mentions`) plus `from:` searches for the brand's own replies."""
    accounts = BrandAccounts(tuple(brand.accounts.bluesky))
    kw = brand.keywords.for_source("bluesky", brand.languages)
    languages = {} if kw.languages is None else {"languages": list(kw.languages)}
    texts = [("mentions", t) for t in compile_bluesky_queries(
        brand, language_filter=settings.language_filter)]
    texts += [("brand_replies", t) for t in compile_bluesky_reply_queries(brand)]
    return [
        Query(brand.name, query_key("bluesky", brand.name, text), text, accounts,
              {"kind": kind, "source": "bluesky", **(languages if kind == "mentions" else {})})
        for kind, text in texts
    ]


def create(settings: Any, env: Mapping[str, str]) -> Source:
    """A source from `[sources.bluesky]`; handle and app password only from the environment."""
    handle = env.get(settings.handle_env, "").strip()
    password = env.get(settings.app_password_env, "").strip()
    for var, value in ((settings.handle_env, handle), (settings.app_password_env, password)):
        if not value:
            raise AuthError(
                f"bluesky: environment variable {var} is not set (the account's handle and an "
                "app password from Settings → App passwords; never in config.toml)",
                env_var=var)
    client = BlueskyClient(
        handle=handle, password=password, handle_env=settings.handle_env,
        password_env=settings.app_password_env, api_base=settings.api_base,
        now=lambda: datetime.now(UTC), timeout_s=float(settings.request_timeout_s),
    )
    return BlueskySource(client, page_size=settings.page_size,
                         lookback=timedelta(hours=settings.backfill_hours))
