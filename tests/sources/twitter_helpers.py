"""Shared pieces of the X collector tests: a World of tweets, the emulator and the real client."""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from monitor.config import BrandAccountsSettings, BrandSettings, TwitterSettings
from monitor.keywords import KeywordSet
from monitor.sandbox.twitter_api import TwitterEmulator
from monitor.sandbox.world import World, WorldPost, twitter_id
from sources.base import Cursor, Page, Query
from sources.twitter import TwitterSource, build_queries

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "twitter"
TOKEN = "test-bearer-0123456789abcdef"
T0 = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
BRAND = "Tienda Sol"
HANDLE = "tiendasol"
BRAND_ID = "9001"


def recorded(name: str) -> dict[str, Any]:
    """The envelope of a recorded payload (`body`, `headers`, `_source`)."""
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return data


def brand() -> BrandSettings:
    return BrandSettings(
        name=BRAND,
        languages=["es", "en"],
        accounts=BrandAccountsSettings(twitter=[HANDLE], twitter_ids=[BRAND_ID]),
        keywords=KeywordSet(terms=["Tienda Sol"]),
    )


_seq = iter(range(1, 10**9))


def tweet(
    text: str,
    *,
    minutes: float = 0,
    author: str = "cliente",
    author_id: str | None = None,
    **kwargs: Any,
) -> WorldPost:
    """A tweet `minutes` after T0 with a snowflake id, so since_id ordering is real."""
    at = T0 + timedelta(minutes=minutes)
    number = next(_seq)
    return WorldPost(
        platform="twitter",
        id=kwargs.pop("id", None) or twitter_id(at),
        author_id=author_id or str(5000 + zlib.crc32(author.encode()) % 1000),
        author_handle=author,
        author_name=author.title(),
        text=text,
        created_at=at,
        followers=kwargs.pop("followers", 100 + number),
        lang=kwargs.pop("lang", "es"),
        **kwargs,
    )


def brand_tweet(text: str, *, minutes: float, parent: WorldPost) -> WorldPost:
    return tweet(
        text, minutes=minutes, author=HANDLE, author_id=BRAND_ID, parent_id=parent.id,
        thread_id=parent.thread_id or parent.id, by_brand=True,
    )


def complaints(count: int, *, start: float = 0) -> list[WorldPost]:
    return [tweet(f"Tienda Sol no me devuelve el dinero #{i}", minutes=start + i)
            for i in range(count)]


@dataclass
class Harness:
    world: World
    emulator: TwitterEmulator
    source: TwitterSource

    def mentions_query(self, **options: Any) -> Query:
        query = next(q for q in build_queries(brand(), self.source.settings)
                     if q.options["kind"] == "mentions")
        return Query(query.brand, query.key, query.text, query.accounts,
                     {**query.options, **options})

    def replies_query(self) -> Query:
        return next(q for q in build_queries(brand(), self.source.settings)
                    if q.options["kind"] == "brand_replies")

    def poll(self, query: Query, cursor: Cursor | None) -> list[Page]:
        return list(self.source.poll(query, cursor))


@contextmanager
def harness(posts: list[WorldPost] | None = None, *, overlap: int = 0,
            limits: dict[str, int] | None = None, now: datetime = T0,
            **settings: Any) -> Iterator[Harness]:
    world = World(posts or [])
    emulator = TwitterEmulator(world, bearer_token=TOKEN, overlap=overlap, limits=limits,
                               clock=lambda: (now + timedelta(hours=2)).timestamp())
    emulator.start()
    config = TwitterSettings(
        enabled=True, api_base=emulator.base_url, **{"request_timeout_s": 2.0, **settings}
    )
    source = TwitterSource(config, TOKEN, now=lambda: now)
    try:
        yield Harness(world, emulator, source)
    finally:
        source.close()
        emulator.stop()


def last_cursor(pages: list[Page]) -> Cursor | None:
    cursors = [p.cursor for p in pages if p.cursor is not None]
    return cursors[-1] if cursors else None


def mention_ids(pages: list[Page]) -> list[str]:
    return [m.external_id for p in pages for m in p.mentions]
