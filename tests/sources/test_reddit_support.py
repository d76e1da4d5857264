"""Helpers shared by the Reddit and Facebook tests (tests dirs are not packages: unique name).

No tests here. A fake clock drives token buckets, rate-limit resets and first-poll floors.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from monitor.sandbox.reddit_api import CLIENT_ID, CLIENT_SECRET, RedditEmulator
from monitor.sandbox.world import World, WorldPost
from sources.base import BrandAccounts, Cursor, Page, Query
from sources.reddit import RedditSource
from sources.reddit_http import build_reddit
from sources.reddit_rate import RateGuard

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
NOW = datetime(2025, 3, 10, 12, 0, 0, tzinfo=UTC)
USER_AGENT = "python:vigia-tests:0.1.0 (by /u/vigia_ci)"


@dataclass
class FakeClock:
    at: datetime = NOW

    def __call__(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


def recorded(platform: str, name: str) -> dict[str, Any]:
    """A recorded envelope copied from shared/data/api (see tests/fixtures/<platform>/README)."""
    data: dict[str, Any] = json.loads((FIXTURES / platform / name).read_text(encoding="utf-8"))
    return data


def ago(minutes: float, *, at: datetime = NOW) -> datetime:
    return at - timedelta(minutes=minutes)


def submission(sid: str, text: str, minutes_ago: float, *, sub: str = "compras",
               author: str = "pedro_pt", title: str | None = None) -> WorldPost:
    extra = {"title": title, "selftext": text} if title else {}
    return WorldPost("reddit", sid, f"t2_{author[:6]}", author, author, text,
                     ago(minutes_ago).replace(microsecond=0), kind="submission", subreddit=sub,
                     replies=2, likes=5, extra=extra)


def comment(cid: str, text: str, minutes_ago: float, *, link: str, parent: str | None = None,
            sub: str = "compras", author: str = "lucia_ar") -> WorldPost:
    return WorldPost("reddit", cid, f"t2_{author[:6]}", author, author, text,
                     ago(minutes_ago).replace(microsecond=0), kind="comment", subreddit=sub,
                     thread_id=f"t3_{link}", parent_id=parent or f"t3_{link}", likes=3)


@dataclass
class RedditRig:
    """An emulator, a source wired to it through real praw, and the fake clock."""

    emulator: RedditEmulator
    clock: FakeClock
    source: RedditSource
    world: World = field(default_factory=World)

    def query(self, kind: str = "submissions", text: str = "Sol", *,
              subs: tuple[str, ...] = ("compras",), accounts: tuple[str, ...] = ("TiendaSol",),
              **options: Any) -> Query:
        opts = {"source": "reddit", "kind": kind, "subreddits": list(subs), **options}
        return Query("Sol", f"test-{kind}", text, BrandAccounts(handles=accounts), opts)

    def poll(self, query: Query, cursor: Cursor | None = None) -> list[Page]:
        return list(self.source.poll(query, cursor))

    def listing_requests(self) -> list[dict[str, str]]:
        return [{k: v[0] for k, v in r.query.items()}
                for r in self.emulator.requests if r.method == "GET"]


def make_reddit_rig(world: World, *, timeout_s: float = 0.3, per_minute: int = 90,
                    page_limit: int = 100, client_secret: str = CLIENT_SECRET,
                    **emulator_kwargs: Any) -> Iterator[RedditRig]:
    clock = FakeClock()
    emulator = RedditEmulator(world, **emulator_kwargs)
    emulator.start()

    def factory(guard: RateGuard) -> Any:
        return build_reddit(client_id=CLIENT_ID, client_secret=client_secret,
                            user_agent=USER_AGENT, api_base=emulator.base_url,
                            auth_base=emulator.base_url, guard=guard,
                            env_var="REDDIT_CLIENT_ID", timeout_s=timeout_s)

    source = RedditSource(client_factory=factory, queries_per_minute=per_minute,
                          env_var="REDDIT_CLIENT_ID", now=clock, page_limit=page_limit)
    try:
        yield RedditRig(emulator, clock, source, world)
    finally:
        source.close()
        emulator.stop()


def mentions(pages: list[Page]) -> list[str]:
    return [m.external_id for p in pages for m in p.mentions]
