"""Instagram collector (Graph API over httpx, the `GraphClient` Facebook uses).

Two query kinds per Instagram professional account (`brands.accounts.instagram`, IG user ids):
- `comments`: comments and their replies on the account's media of the last
  `media_window_days`. On its own media every comment is addressed to the brand (as on the
  Facebook Page), and a reply by the account marks the comment it sits under answered.
  Comments come newest first with replies nested, so each media has its own resumable
  `NewestFirstWalk`, plus the `comments_count` last seen: a media whose count has not moved
  is not asked again, and when it moved the walk goes on past the old mark until as many new
  items were found (a late reply under an old comment is not missed).
- `tagged`: media by others that tag the account (`/{ig-user-id}/tags`), newest first.
A query's first poll reads back `backfill_hours` (72 h by default, as on the other sources);
a media older than that is walked once and then only when its comment count moves.
Captions that @mention the account reach apps only through webhooks (`mentioned_media`), so
they are not polled here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
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
from sources.instagram_normalize import (
    COMMENT_FIELDS,
    MEDIA_FIELDS,
    TAGGED_FIELDS,
    Item,
    MalformedItem,
    brand_reply,
    comment_mention,
    item,
    replies_of,
    tagged_mention,
)
from sources.keyword_query import query_key
from sources.time_cursor import NewestFirstWalk

log = logging.getLogger(__name__)

FIRST_POLL_LOOKBACK = timedelta(hours=DEFAULT_BACKFILL_HOURS)  # sources.*.backfill_hours


@dataclass(frozen=True)
class Media:
    id: str
    permalink: str
    comments: int


class InstagramSource:
    """Polls the Graph API for the brand's Instagram professional accounts."""

    name: ClassVar[str] = "instagram"

    def __init__(
        self,
        client: GraphClient,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        lookback: timedelta = FIRST_POLL_LOOKBACK,
        media_window: timedelta = timedelta(days=7),
        max_media: int = 25,
        max_pages: int = 10,
        page_size: int = 50,
    ) -> None:
        self.client = client
        self._now = now
        self.lookback, self.media_window = lookback, media_window
        self.max_media, self.max_pages, self.page_size = max_media, max_pages, page_size
        self._usernames: dict[str, str] = {}

    def poll(self, query: Query, cursor: Cursor | None) -> Iterator[Page]:
        kind = query.options.get("kind")
        if kind == "comments":
            yield from self._poll_comments(query, cursor)
        elif kind == "tagged":
            yield from self._poll_tagged(query, cursor)
        else:
            raise ValueError(f"unknown instagram query kind {kind!r}")

    # -- the account --------------------------------------------------------------------------
    def _username(self, account: str) -> str:
        if account not in self._usernames:
            body = self.client.get(account, {"fields": "id,username"})
            name = body.get("username")
            self._usernames[account] = name if isinstance(name, str) else ""
        return self._usernames[account]

    def _recent_media(self, account: str) -> list[Media]:
        """The account's media in the window, newest first (the listing's own order)."""
        oldest = self._now() - self.media_window
        found: list[Media] = []
        resume: dict[str, str] | None = {}
        while resume is not None and len(found) < self.max_media:
            body = self.client.get(f"{account}/media",
                                   {"fields": MEDIA_FIELDS, "limit": "25", **resume})
            for raw in data_list(body, "instagram", "media"):
                try:
                    it = item(raw)
                except MalformedItem as exc:
                    log.warning("instagram: skipped malformed media: %s", exc)
                    continue
                if it.created < oldest:
                    return found
                link = raw.get("permalink")
                count = raw.get("comments_count")
                found.append(Media(it.id, link if isinstance(link, str) else "",
                                   count if isinstance(count, int) else -1))
            resume = next_params(body)
        return found[: self.max_media]

    # -- comments on the account's media ------------------------------------------------------
    def _poll_comments(self, query: Query, cursor: Cursor | None) -> Iterator[Page]:
        account = str(query.options["ig_user_id"])
        state = dict(cursor.state) if cursor is not None else {}
        floor = state.get("floor")
        if not isinstance(floor, int | float):
            floor = (self._now() - self.lookback).timestamp()
        stored = state.get("media") if isinstance(state.get("media"), dict) else {}
        assert isinstance(stored, dict)
        username = self._username(account)
        recent = self._recent_media(account)
        media_state: dict[str, Any] = {m.id: stored[m.id] for m in recent if m.id in stored}
        for media in recent:
            before = media_state.get(media.id) or {}
            if before.get("count") == media.comments and "pending" not in before:
                continue  # nothing new under this media since the last poll
            delta = media.comments - before["count"] if isinstance(before.get("count"), int) \
                else None
            walk = NewestFirstWalk.start(Cursor(before), floor=floor)
            found = 0
            for _ in range(self.max_pages):
                try:
                    body = self.client.get(f"{media.id}/comments", {
                        "fields": COMMENT_FIELDS, "limit": str(self.page_size),
                        **(walk.resume or {})})
                except GraphNotFound:
                    log.info("instagram: media %s is gone; its comments are skipped", media.id)
                    media_state.pop(media.id, None)
                    break
                raw_items = data_list(body, "instagram", "comments")
                mentions: list[Mention] = []
                replies: list[BrandReply] = []
                parsed, skipped = _parse(raw_items)
                for it in parsed:
                    if not walk.take(it.created.timestamp(), it.id):
                        continue
                    found += 1
                    if it.own or (username and it.username == username) or it.user_id == account:
                        if it.parent_id:
                            replies.append(brand_reply(it, account=account, username=username,
                                                       media_id=media.id))
                        continue
                    mentions.append(comment_mention(it, media_id=media.id,
                                                    permalink=media.permalink, account=account))
                more = next_params(body) if raw_items else None
                if more is not None and delta is not None and found < delta:
                    walk.reached_old = False  # new replies may sit under older comments
                page_cursor = walk.page_done(more)
                count = media.comments if walk.finished else before.get("count")
                media_state[media.id] = {**page_cursor.state, "count": count}
                yield Page(mentions, replies,
                           Cursor({"floor": floor, "media": dict(media_state)}),
                           items_read=len(parsed) + skipped, skipped=skipped)
                if walk.finished:
                    break

    # -- media that tag the account -----------------------------------------------------------
    def _poll_tagged(self, query: Query, cursor: Cursor | None) -> Iterator[Page]:
        account = str(query.options["ig_user_id"])
        walk = NewestFirstWalk.start(cursor, floor=(self._now() - self.lookback).timestamp())
        params = {"fields": TAGGED_FIELDS, "limit": "25"}
        for _ in range(self.max_pages):
            body = self.client.get(f"{account}/tags", {**params, **(walk.resume or {})})
            raw_items = data_list(body, "instagram", "tags")
            mentions: list[Mention] = []
            skipped = 0
            for raw in raw_items:
                try:
                    it = item(raw)
                except MalformedItem as exc:
                    log.warning("instagram: skipped malformed tagged media: %s", exc)
                    skipped += 1
                    continue
                if walk.take(it.created.timestamp(), it.id):
                    mentions.append(tagged_mention(it, account=account))
            more = next_params(body) if raw_items else None
            yield Page(mentions, cursor=walk.page_done(more), items_read=len(raw_items),
                       skipped=skipped)
            if walk.finished:
                return

    def close(self) -> None:
        self.client.close()


def _parse(raw_items: list[Any]) -> tuple[list[Item], int]:
    """Comments and their nested replies that parse, and how many did not (skipped, logged)."""
    parsed: list[Item] = []
    skipped = 0
    for raw in raw_items:
        try:
            comment = item(raw)
        except MalformedItem as exc:
            log.warning("instagram: skipped malformed comment: %s", exc)
            skipped += 1
            continue
        parsed.append(comment)
        for reply in replies_of(comment.data):
            try:
                parsed.append(item(reply, parent_id=comment.id))
            except MalformedItem as exc:
                log.warning("instagram: skipped malformed reply: %s", exc)
                skipped += 1
    return parsed, skipped


def build_queries(brand: Any, settings: Any) -> list[Query]:
    """Per Instagram account: comments on its media, plus media that tag it when enabled."""
    kw = brand.keywords.for_source("instagram", brand.languages)
    if not kw.watches_anything:
        return []
    languages = {} if kw.languages is None else {"languages": list(kw.languages)}
    kinds = ["comments"] + (["tagged"] if settings.include_tagged else [])
    queries: list[Query] = []
    for account in brand.accounts.instagram:
        for kind in kinds:
            key = query_key("instagram", brand.name, f"{kind}:{account}")
            queries.append(Query(brand.name, key, "", BrandAccounts(ids=(account,)), {
                "kind": kind, "ig_user_id": account, "source": "instagram", **languages}))
    return queries


def create(settings: Any, env: Mapping[str, str]) -> Source:
    """A source from `[sources.instagram]` and the access token in the environment."""
    var = settings.access_token_env
    client = client_from_settings(settings, env.get(var, "").strip(), var,
                                  platform="instagram", token_name="Instagram access token")
    return InstagramSource(client, media_window=timedelta(days=settings.media_window_days),
                           max_media=settings.max_media,
                           lookback=timedelta(hours=settings.backfill_hours))
