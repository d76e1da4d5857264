"""Reddit collector: newest submissions matching the brand, newest comments, brand replies.

Three query kinds per brand:
- `submissions`: `/r/<subs>/search?sort=new` with the compiled keyword query (Reddit search
  does not search comments);
- `comments`: `/r/<subs>/comments`, unfiltered (the pipeline's matcher filters them); comments
  by a brand account found there are brand replies;
- `brand_comments`: `/user/<account>/comments`, the brand's own answers anywhere, so a reply
  in a subreddit we do not stream still closes the complaint it answers.

Each is walked newest first with a persisted `NewestFirstWalk` cursor (created_utc + boundary
fullnames), because praw's stream dedup lives in memory and is lost on restart.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import praw

from monitor.config import DEFAULT_BACKFILL_HOURS
from sources.base import (
    AuthError,
    BrandAccounts,
    BrandReply,
    Cursor,
    Mention,
    Page,
    Query,
    Source,
    TransientError,
)
from sources.keyword_query import query_key
from sources.reddit_http import build_reddit, translate
from sources.reddit_normalize import (
    MalformedItem,
    is_brand,
    item,
    parse_listing,
    to_brand_reply,
    to_mention,
)
from sources.reddit_query import compile_reddit_queries
from sources.reddit_rate import RateGuard, TokenBucket
from sources.time_cursor import NewestFirstWalk

log = logging.getLogger(__name__)

PAGE_LIMIT = 100  # Reddit's maximum listing page
FIRST_POLL_LOOKBACK = timedelta(hours=DEFAULT_BACKFILL_HOURS)  # sources.*.backfill_hours


class RedditSource:
    """Polls Reddit through praw (read-only client credentials)."""

    name: ClassVar[str] = "reddit"

    def __init__(
        self,
        *,
        client_factory: Callable[[RateGuard], praw.Reddit],
        queries_per_minute: int,
        env_var: str,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        max_pages: int = 10,
        page_limit: int = PAGE_LIMIT,
        lookback: timedelta = FIRST_POLL_LOOKBACK,
    ) -> None:
        self._factory = client_factory
        self._now = now
        self.guard = RateGuard(now)
        self.bucket = TokenBucket(queries_per_minute, now)
        self.env_var = env_var
        self.max_pages = max_pages
        self.page_limit = page_limit
        self.lookback = lookback
        self._reddit: praw.Reddit | None = None

    # -- HTTP -------------------------------------------------------------------------------
    def _client(self) -> praw.Reddit:
        if self._reddit is None:
            self._reddit = self._factory(self.guard)
        return self._reddit

    def _get(self, path: str, params: dict[str, str]) -> Any:
        try:
            return self._client().request(method="GET", path=path, params=dict(params))
        except AuthError:
            self._reddit = None  # the next poll asks for a fresh token
            raise
        except Exception as exc:
            error = translate(exc, env_var=self.env_var, now=self._now())
            if isinstance(error, AuthError):
                self._reddit = None
            raise error from None

    # -- polling ----------------------------------------------------------------------------
    def poll(self, query: Query, cursor: Cursor | None) -> Iterator[Page]:
        """Walk the query's listing newest first down to the cursor, one `Page` per API page.

        Stops early (cursor consistent, walk resumable) when our per-minute budget is spent;
        raises `RateLimited` rather than waiting when Reddit's own budget is nearly out.
        """
        path, params = listing_request(query, self.page_limit)
        floor = (self._now() - self.lookback).timestamp()
        walk = NewestFirstWalk.start(cursor, floor=floor)
        for _ in range(self.max_pages):
            if not self.bucket.take():
                log.info("reddit: per-minute budget spent; %s resumes next poll", query.key)
                return
            body = self._get(path, {**params, **(walk.resume or {})})
            try:
                children, after = parse_listing(body)
            except MalformedItem as exc:
                raise TransientError(f"reddit: unexpected answer from {path}: {exc}") from None
            page = self._page(query, children, walk)
            cursor_after = {"after": after} if after and children else None
            yield Page(
                mentions=page.mentions,
                brand_replies=page.brand_replies,
                cursor=walk.page_done(cursor_after),
                items_read=len(children),
                skipped=page.skipped,
            )
            if walk.finished:
                return

    def _page(self, query: Query, children: list[Any], walk: NewestFirstWalk) -> Page:
        """Normalise one listing page: new items only, brand comments as replies."""
        mentions: list[Mention] = []
        replies: list[BrandReply] = []
        skipped = 0
        for child in children:
            try:
                it = item(child)
            except MalformedItem as exc:
                log.warning("reddit: skipped malformed item in %s: %s", query.key, exc)
                skipped += 1
                continue
            if not walk.take(it.created, it.fullname):
                continue
            if is_brand(it.author, query.accounts.handles):
                reply = to_brand_reply(it)
                if reply is not None:
                    replies.append(reply)
            elif query.options.get("kind") != "brand_comments":
                mentions.append(to_mention(it))
        return Page(mentions, replies, skipped=skipped)

    def close(self) -> None:
        self._reddit = None


def listing_request(query: Query, page_limit: int = PAGE_LIMIT) -> tuple[str, dict[str, str]]:
    """(path, params) of the listing a query walks."""
    kind = query.options.get("kind")
    subs = "+".join(query.options.get("subreddits") or ["all"])
    limit = {"limit": str(page_limit)}
    if kind == "submissions":
        return f"r/{subs}/search", {
            "q": query.text,
            "sort": "new",
            "restrict_sr": "on",
            "syntax": "lucene",
            "t": "all",
            "type": "link",
            "include_over_18": "on",
            **limit,
        }
    if kind == "comments":
        return f"r/{subs}/comments", limit
    if kind == "brand_comments":
        return f"user/{query.options['account']}/comments", {"sort": "new", **limit}
    raise ValueError(f"unknown reddit query kind {kind!r}")


def build_queries(brand: Any, settings: Any) -> list[Query]:
    """Search queries (one per compiled keyword query), one comment stream, and one stream of
    each brand account's own comments. Keys change when subreddits change: a new cursor."""
    subs = [s.removeprefix("r/") for s in settings.subreddits] or ["all"]
    comment_subs = [s.removeprefix("r/") for s in settings.comment_subreddits] or subs
    accounts = BrandAccounts(handles=tuple(brand.accounts.reddit))
    kw = brand.keywords.for_source("reddit", brand.languages)
    base: dict[str, Any] = {"source": "reddit"}
    if kw.languages is not None:
        base["languages"] = list(kw.languages)
    queries: list[Query] = []
    for text in compile_reddit_queries(brand):
        key = query_key("reddit", brand.name, f"submissions r/{'+'.join(subs)} {text}")
        options = {**base, "kind": "submissions", "subreddits": subs}
        queries.append(Query(brand.name, key, text, accounts, options))
    if queries:
        key = query_key("reddit", brand.name, f"comments r/{'+'.join(comment_subs)}")
        options = {**base, "kind": "comments", "subreddits": comment_subs}
        queries.append(Query(brand.name, key, "", accounts, options))
    for account in dict.fromkeys(brand.accounts.reddit):
        key = query_key("reddit", brand.name, f"brand_comments u/{account}")
        options = {**base, "kind": "brand_comments", "account": account}
        queries.append(Query(brand.name, key, "", accounts, options))
    return queries


def create(settings: Any, env: Mapping[str, str]) -> Source:
    """A source from `[sources.reddit]` and the environment (secrets only from env vars)."""
    client_id = env.get(settings.client_id_env, "")
    client_secret = env.get(settings.client_secret_env, "")
    for var, value in ((settings.client_id_env, client_id),
                       (settings.client_secret_env, client_secret)):
        if not value:
            raise AuthError(f"reddit: environment variable {var} is not set", env_var=var)
    timeout_s = float(settings.request_timeout_s)

    def factory(guard: RateGuard) -> praw.Reddit:
        return build_reddit(
            client_id=client_id,
            client_secret=client_secret,
            user_agent=settings.user_agent,
            api_base=settings.api_base,
            auth_base=settings.auth_base,
            guard=guard,
            env_var=settings.client_id_env,
            timeout_s=timeout_s,
        )

    return RedditSource(
        client_factory=factory,
        queries_per_minute=settings.queries_per_minute,
        env_var=settings.client_id_env,
        lookback=timedelta(hours=settings.backfill_hours),
    )
