"""Facebook test rig: a Graph emulator for one Page and a source wired to it (no tests here)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from test_reddit_support import NOW, FakeClock

from monitor.sandbox.facebook_api import PAGE_TOKEN, FacebookEmulator
from monitor.sandbox.world import World, WorldPost
from sources.base import BrandAccounts, Cursor, Page, Query
from sources.facebook import FacebookSource
from sources.facebook_http import GraphClient

PAGE = "104000000000001"
POST = f"{PAGE}_5001"


def at(minutes_ago: float) -> Any:
    return (NOW - timedelta(minutes=minutes_ago)).replace(microsecond=0)


def page_post(pid: str, text: str, minutes_ago: float) -> WorldPost:
    return WorldPost("facebook", pid, PAGE, "", "Tienda Sol", text, at(minutes_ago), kind="post")


def visitor_post(pid: str, text: str, minutes_ago: float, author: str = "3902") -> WorldPost:
    return WorldPost("facebook", pid, author, "", "Luis Pérez", text, at(minutes_ago), kind="post")


def tagged(pid: str, text: str, minutes_ago: float) -> WorldPost:
    return WorldPost("facebook", pid, "3903", "", "Ana Gómez", text, at(minutes_ago),
                     kind="tagged")


def fb_comment(cid: str, text: str, minutes_ago: float, *, post: str = POST,
               parent: str | None = None, author: str = "3901", by_page: bool = False) -> WorldPost:
    return WorldPost("facebook", cid, PAGE if by_page else author, "",
                     "Tienda Sol" if by_page else "Carmen Ruiz", text, at(minutes_ago),
                     kind="comment", thread_id=post, parent_id=parent, by_brand=by_page)


@dataclass
class FacebookRig:
    emulator: FacebookEmulator
    clock: FakeClock
    source: FacebookSource
    world: World

    def query(self, kind: str = "comments") -> Query:
        return Query("Sol", f"test-{kind}", "", BrandAccounts((PAGE,), (PAGE,)),
                     {"source": "facebook", "kind": kind, "page_id": PAGE})

    def poll(self, query: Query, cursor: Cursor | None = None) -> list[Page]:
        return list(self.source.poll(query, cursor))

    def params(self, path_regex: str) -> list[dict[str, str]]:
        return [{k: v[0] for k, v in r.query.items()}
                for r in self.emulator.requests_to(path_regex)]


def make_facebook_rig(world: World, *, token: str = PAGE_TOKEN, page_size: int = 100,
                      **source_kwargs: Any) -> Iterator[FacebookRig]:
    clock = FakeClock()
    emulator = FacebookEmulator(world, PAGE)
    emulator.start()
    client = GraphClient(token=token, env_var="FB_PAGE_TOKEN", api_base=emulator.base_url,
                         version="v21.0", now=clock, timeout_s=0.3)
    source = FacebookSource(client, now=clock, page_size=page_size, **source_kwargs)
    try:
        yield FacebookRig(emulator, clock, source, world)
    finally:
        source.close()
        emulator.stop()


def ids(pages: list[Page]) -> list[str]:
    return [m.external_id for p in pages for m in p.mentions]
