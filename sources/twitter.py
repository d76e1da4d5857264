"""X (Twitter) API v2 collector: recent search for mentions and for the brand's own replies.

The cursor never skips. Recent search pages arrive newest first, so a poll reads a *window*
(since_id, newest] downwards; `since_id` only advances once the whole window was read. When
the page budget, the read budget or the rate limit stops a poll mid-window, the last page
carries a pending window {since_id, pending_until_id, pending_newest_id} and the next poll
finishes it (`until_id`) before opening a new one above `pending_newest_id`.

Cost: X bills every post read, so each page reports what it read, no page may ask for more
posts than the pipeline's `read_budget_left`, and a finished window is never read again.
A query's first poll reads back `backfill_hours` (`start_time`), within the same budgets; its
pages are marked `backfill` so the first run can say what the backfill read and cost.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import requests

from monitor.config import BrandSettings, TwitterSettings
from sources.base import (
    AuthError,
    BrandAccounts,
    BudgetExhausted,
    Cursor,
    Page,
    Query,
    RateLimited,
    Source,
)
from sources.keyword_query import query_key
from sources.twitter_cursor import PollBudget, Window
from sources.twitter_http import (
    XRequestError,
    call,
    json_body,
    make_client,
    rate_remaining,
    rate_reset,
)
from sources.twitter_page import read_page
from sources.twitter_query import compile_twitter_queries, compile_twitter_reply_queries

log = logging.getLogger(__name__)

TWEET_FIELDS = [
    "created_at", "lang", "conversation_id", "in_reply_to_user_id", "referenced_tweets",
    "public_metrics", "author_id",
]
EXPANSIONS = ["author_id", "referenced_tweets.id"]
USER_FIELDS = ["username", "name", "public_metrics", "verified"]
SEARCH_REACH = timedelta(days=7) - timedelta(minutes=1)  # what recent search still serves

__all__ = ["TwitterSource", "build_queries", "create"]


class TwitterSource:
    """Polls X recent search; one instance serves every brand's queries."""

    name: ClassVar[str] = "twitter"

    def __init__(
        self,
        settings: TwitterSettings,
        token: str,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.settings = settings
        self._now = now
        self._client = make_client(
            token, api_base=settings.api_base, timeout=settings.request_timeout_s
        )

    def poll(self, query: Query, cursor: Cursor | None) -> Iterator[Page]:
        """Finish a pending window, then read the new one, within page/read/rate budgets."""
        if not query.text:
            return
        budget = PollBudget(
            pages_left=self.settings.page_budget,
            max_results=self.settings.max_results,
            reads_left=_read_budget(query),
        )
        if budget.page_size() is None:
            raise BudgetExhausted(
                f"X read budget left ({budget.reads_left} posts) is below one page of "
                f"{budget.min_results}; polling stops until the budget resets"
            )
        window = Window.load(cursor)
        if window.since_id is None and window.start_time is None:
            start = self._now() - timedelta(hours=self.settings.backfill_hours)
            window = replace(window, start_time=_iso(start))
        seen: set[str] = set()
        if window.pending:
            window = yield from self._read_window(query, window, budget, seen)
            if window.pending or not budget.can_fetch():
                return
        yield from self._read_window(query, window, budget, seen)

    def _read_window(
        self, query: Query, window: Window, budget: PollBudget, seen: set[str]
    ) -> Generator[Page, None, Window]:
        bounds = (window.since_id, window.pending_until_id)  # fixed while next_token pages
        start_time = window.start_time if window.since_id is None else None
        token: str | None = None
        while True:
            size = budget.page_size()
            assert size is not None  # callers check can_fetch() first
            try:
                response = self._search(query.text, bounds, token, size, start_time)
            except XRequestError as exc:
                stale = token is None and bool(exc.parameters & {"since_id", "until_id"})
                if not stale or bounds == (None, None):
                    raise
                # the cursor fell out of X's 7-day search reach (a long outage): what is older
                # can no longer be fetched, so restart from the newest posts rather than stall
                log.warning(
                    "x query %s: cursor %s is older than recent search reaches; restarting "
                    "(posts X no longer serves are lost)", query.key, bounds,
                )
                window, bounds = Window(start_time=start_time), (None, None)
                continue
            body = json_body(response)
            result = read_page(body, query, seen)
            result.backfill = window.backfill
            budget.spend_page(result.items_read)
            window = window.extend(result.newest_id, result.oldest_id)
            token = result.next_token
            remaining = rate_remaining(response.headers)
            budget.rate_spent = remaining == 0
            if token is None:
                done = window.complete()
                yield result.page(done.dump())
                return done
            if budget.can_fetch():
                yield result.page(None)
                continue
            yield result.page(window.dump_pending())
            if budget.rate_spent:
                reset_at = rate_reset(response.headers, self._now())
                raise RateLimited(
                    "X rate limit spent mid-window; the rest is read after the reset",
                    reset_at=reset_at,
                )
            log.info(
                "x query %s: budget stopped the poll mid-window (pending until_id %s)",
                query.key, window.pending_until_id,
            )
            return window

    def _search(
        self, text: str, bounds: tuple[str | None, str | None], token: str | None, size: int,
        start_time: str | None = None,
    ) -> requests.Response:
        params: dict[str, Any] = {
            "max_results": size,
            "tweet_fields": TWEET_FIELDS,
            "expansions": EXPANSIONS,
            "user_fields": USER_FIELDS,
        }
        since_id, until_id = bounds
        if since_id:
            params["since_id"] = since_id
        if until_id:
            params["until_id"] = until_id
        if token:
            params["next_token"] = token
        if start_time:
            # recent search reaches 7 days back: a backfill (or one resumed after an
            # outage) never asks for more, or X refuses the whole request
            reach = _iso(self._now() - SEARCH_REACH)
            params["start_time"] = max(start_time, reach)
        response: requests.Response = call(
            lambda: self._client.search_recent_tweets(text, **params),
            env_var=self.settings.bearer_token_env,
            now=self._now,
        )
        return response

    def close(self) -> None:
        self._client.session.close()


def _iso(at: datetime) -> str:
    """X's time format (RFC 3339, UTC, seconds)."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _read_budget(query: Query) -> int | None:
    value = query.options.get("read_budget_left")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"read_budget_left must be an int, got {value!r}")
    if value <= 0:
        raise BudgetExhausted("X monthly read budget exhausted; polling stops until it resets")
    return value


def create(settings: TwitterSettings, env: Mapping[str, str]) -> Source:
    """Build the collector; the bearer token comes only from the variable the config names."""
    token = env.get(settings.bearer_token_env, "").strip()
    if not token:
        raise AuthError(
            f"the environment variable {settings.bearer_token_env} is not set: put the X app's "
            "Bearer Token there (never in config.toml)",
            env_var=settings.bearer_token_env,
        )
    return TwitterSource(settings, token)


def build_queries(brand: BrandSettings, settings: TwitterSettings) -> list[Query]:
    """The brand's mention searches plus the searches for its own replies (`kind` option)."""
    accounts = BrandAccounts(tuple(brand.accounts.twitter), tuple(brand.accounts.twitter_ids))
    kw = brand.keywords.for_source("twitter", brand.languages)
    languages = {} if kw.languages is None else {"languages": list(kw.languages)}
    texts = [
        ("mentions", t)
        for t in compile_twitter_queries(brand, exclude_retweets=settings.exclude_retweets)
    ]
    texts += [("brand_replies", t) for t in compile_twitter_reply_queries(brand)]
    return [
        Query(
            brand=brand.name,
            key=query_key("twitter", brand.name, text),
            text=text,
            accounts=accounts,
            options={
                "kind": kind,
                "source": "twitter",
                **(languages if kind == "mentions" else {}),
            },
        )
        for kind, text in texts
    ]
