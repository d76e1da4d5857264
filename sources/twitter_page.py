"""One X search answer -> one `Page`: mentions or brand replies, reads, skips, position.

Bad items are logged (id and reason, never content) and counted; they never sink the page.
Every post X returned is a read for billing, whether it became a mention or not.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sources.base import BrandReply, Cursor, Mention, Page, Query, TransientError
from sources.twitter_normalize import (
    Includes,
    MalformedTweet,
    check,
    is_brand,
    is_retweet,
    normalise_ids,
    to_brand_reply,
    to_mention,
)

log = logging.getLogger(__name__)


@dataclass
class PageResult:
    mentions: list[Mention] = field(default_factory=list)
    brand_replies: list[BrandReply] = field(default_factory=list)
    read_ids: list[str] = field(default_factory=list)
    items_read: int = 0
    skipped: int = 0
    newest_id: str | None = None
    oldest_id: str | None = None
    next_token: str | None = None
    backfill: bool = False

    def page(self, cursor: Cursor | None) -> Page:
        return Page(
            mentions=self.mentions,
            brand_replies=self.brand_replies,
            cursor=cursor,
            items_read=self.items_read,
            read_ids=self.read_ids,
            skipped=self.skipped,
            backfill=self.backfill,
        )


def _position(result: PageResult, tweet_id: str) -> None:
    if result.newest_id is None or int(tweet_id) > int(result.newest_id):
        result.newest_id = tweet_id
    if result.oldest_id is None or int(tweet_id) < int(result.oldest_id):
        result.oldest_id = tweet_id


def read_page(body: dict[str, Any], query: Query, seen: set[str]) -> PageResult:
    """Normalise a search answer; `seen` (ids of this poll) drops re-delivered tweets."""
    data = body.get("data", [])
    meta = body.get("meta")
    if not isinstance(data, list) or not isinstance(meta, dict):
        raise TransientError("X sent a page without a data list or meta object")
    includes = Includes.parse(body.get("includes"))
    replies_only = query.options.get("kind") == "brand_replies"
    result = PageResult(items_read=len(data))
    token = meta.get("next_token")
    result.next_token = token if isinstance(token, str) and token else None
    for raw in map(normalise_ids, data):  # ids as strings before anything reads them
        raw_id = raw.get("id") if isinstance(raw, dict) else None
        if isinstance(raw_id, str) and raw_id.isdigit():
            result.read_ids.append(raw_id)
            _position(result, raw_id)
        try:
            tweet = check(raw)
            if tweet["id"] in seen or is_retweet(tweet):
                continue
            seen.add(tweet["id"])
            _classify(tweet, includes, query, replies_only, result)
        except MalformedTweet as exc:
            result.skipped += 1
            log.warning("x query %s: skipped malformed tweet %s: %s", query.key, raw_id, exc)
    return result


def _classify(tweet: dict[str, Any], includes: Includes, query: Query, replies_only: bool,
              result: PageResult) -> None:
    """Brand tweets become brand replies (or nothing); anyone else's, mentions."""
    reply = to_brand_reply(tweet, includes, query.accounts)
    if reply is not None:
        result.brand_replies.append(reply)
        return
    author = includes.users.get(tweet["author_id"])
    by_brand = author is not None and is_brand(author, query.accounts)
    if replies_only or by_brand or tweet["author_id"] in query.accounts.ids:
        return
    result.mentions.append(to_mention(tweet, includes))
