"""Bluesky collector through the real `atproto` client against the XRPC emulator."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from test_reddit_support import NOW, FakeClock, recorded

from monitor.config import BlueskySettings, BrandSettings
from monitor.sandbox.bluesky_api import APP_PASSWORD, HANDLE, BlueskyEmulator, at_uri
from monitor.sandbox.http import Fault, Request, Response
from monitor.sandbox.world import World, WorldPost
from sources import bluesky
from sources.base import (
    AuthError,
    BrandAccounts,
    Cursor,
    Page,
    Query,
    RateLimited,
    TransientError,
)
from sources.bluesky import BlueskySource
from sources.bluesky_http import BlueskyClient
from sources.bluesky_normalize import parse_post, to_mention
from sources.bluesky_query import compile_bluesky_queries

BRAND_DID = "did:plc:tiendasol"
SEARCH = r"searchPosts$"


def post(rkey: str, text: str, minutes: float, *, parent: str | None = None,
         by_brand: bool = False) -> WorldPost:
    did = BRAND_DID if by_brand else f"did:plc:u{rkey}"
    return WorldPost("bluesky", at_uri(did, rkey), did,
                     "tiendasol.bsky.social" if by_brand else f"u{rkey}.bsky.social",
                     "Tienda Sol" if by_brand else f"User {rkey}", text,
                     NOW - timedelta(minutes=minutes), followers=7, lang="es",
                     parent_id=parent, thread_id=parent)


class Rig:
    def __init__(self, world: World, password: str = APP_PASSWORD, page_size: int = 100) -> None:
        self.world, self.clock = world, FakeClock()
        self.emulator = BlueskyEmulator(world)
        self.emulator.start()
        client = BlueskyClient(handle=HANDLE, password=password, handle_env="BLUESKY_HANDLE",
                               password_env="BLUESKY_APP_PASSWORD", api_base=self.emulator.base_url,
                               now=self.clock, timeout_s=0.3)
        self.source = BlueskySource(client, now=self.clock, page_size=page_size)

    def query(self, text: str = "sol", kind: str = "mentions") -> Query:
        return Query("Sol", "k", text, BrandAccounts(("tiendasol.bsky.social",)),
                     {"kind": kind, "source": "bluesky"})

    def poll(self, query: Query, cursor: Cursor | None = None) -> list[Page]:
        return list(self.source.poll(query, cursor))

    def params(self) -> list[dict[str, str]]:
        return [{k: v[0] for k, v in r.query.items()} for r in self.emulator.requests_to(SEARCH)]

    def close(self) -> None:
        self.source.close()
        self.emulator.stop()


@pytest.fixture
def rig() -> Iterator[Rig]:
    r = Rig(World([post("a1", "Sol no me devuelve el dinero", 50),
                   post("a2", "Sol, ¿dónde está mi pedido?", 40)]))
    yield r
    r.close()


def ids(pages: list[Page]) -> list[str]:
    return [m.external_id.rsplit("/", 1)[-1] for p in pages for m in p.mentions]


def test_first_poll_searches_latest_since_the_lookback(rig: Rig) -> None:
    pages = rig.poll(rig.query())
    assert ids(pages) == ["a2", "a1"]
    [params] = rig.params()
    assert params["q"] == "sol" and params["sort"] == "latest"
    # the default backfill_hours (72 h, as on X, Reddit and Facebook)
    assert params["since"] == (NOW - timedelta(hours=72)).strftime("%Y-%m-%dT%H:%M:%SZ")
    mention = pages[0].mentions[0]
    assert mention.url == "https://bsky.app/profile/ua2.bsky.social/post/a2"
    assert mention.author_reach == 7 and mention.lang == "es"
    assert rig.emulator.requests_to(r"createSession$")[0].method == "POST"


def test_incremental_poll_sends_the_mark_and_keeps_same_instant_newcomers(rig: Rig) -> None:
    cursor = rig.poll(rig.query())[-1].cursor
    rig.world.add(post("a3", "Sol mismo instante", 40), post("a4", "Sol otra vez", 5))
    again = rig.poll(rig.query(), cursor)
    assert sorted(ids(again)) == ["a3", "a4"]
    assert rig.params()[-1]["since"] == (NOW - timedelta(minutes=40)).strftime(
        "%Y-%m-%dT%H:%M:%SZ")
    assert ids(rig.poll(rig.query(), again[-1].cursor)) == []


def test_pages_follow_the_cursor_and_resume_after_a_crash() -> None:
    r = Rig(World([post(f"p{i}", f"Sol queja {i}", 30 - i) for i in range(5)]), page_size=2)
    try:
        poll = r.source.poll(r.query(), None)
        first = next(poll)
        poll.close()
        assert first.cursor is not None and first.cursor.state["pending"]["resume"] == {
            "cursor": "2"}
        rest = r.poll(r.query(), first.cursor)
        assert sorted(ids([first]) + ids(rest)) == sorted(f"p{i}" for i in range(5))
        assert r.params()[-1]["cursor"] in {"2", "4"}
    finally:
        r.close()


def test_brand_reply_marks_the_parent_answered(rig: Rig) -> None:
    asked = at_uri("did:plc:ua1", "a1")
    rig.world.add(post("b1", "Hola, te escribimos por DM", 30, parent=asked, by_brand=True))
    pages = rig.poll(rig.query("from:tiendasol.bsky.social", "brand_replies"))
    [reply] = [r for p in pages for r in p.brand_replies]
    assert reply.parent_external_id == asked and reply.account == "tiendasol.bsky.social"
    assert ids(pages) == []
    assert rig.params()[-1]["q"] == "from:tiendasol.bsky.social"


def test_revoked_app_password_is_an_auth_error_naming_the_variable() -> None:
    r = Rig(World(), password="revoked-app-pass")
    try:
        with pytest.raises(AuthError) as err:
            r.poll(r.query())
        assert err.value.env_var == "BLUESKY_APP_PASSWORD"
        assert "revoked-app-pass" not in str(err.value)
    finally:
        r.close()


def test_expired_session_logs_in_again_once(rig: Rig) -> None:
    rig.poll(rig.query())
    rig.emulator.sessions.clear()  # the server forgot the access token
    assert ids(rig.poll(rig.query())) == ["a2", "a1"]
    assert len(rig.emulator.requests_to(r"createSession$")) == 2


def test_429_defers_until_the_reset_header(rig: Rig) -> None:
    reset = int(NOW.timestamp()) + 300
    rig.emulator.inject(Fault(path=SEARCH, status=429, body={"error": "RateLimitExceeded"},
                              headers={"RateLimit-Limit": "3000", "RateLimit-Remaining": "0",
                                       "RateLimit-Reset": str(reset)}))
    with pytest.raises(RateLimited) as err:
        rig.poll(rig.query())
    assert err.value.reset_at == datetime.fromtimestamp(reset, UTC)


def test_nearly_spent_window_yields_the_page_then_defers(rig: Rig) -> None:
    reset = int(NOW.timestamp()) + 120
    rig.emulator.inject(Fault(path=SEARCH, headers={
        "RateLimit-Limit": "3000", "RateLimit-Remaining": "20", "RateLimit-Reset": str(reset)}))
    assert ids(rig.poll(rig.query())) == ["a2", "a1"]
    with pytest.raises(RateLimited):
        rig.poll(rig.query())
    assert len(rig.params()) == 1  # deferred without asking


@pytest.mark.parametrize("fault", [Fault(path=SEARCH, status=502, body="Bad Gateway"),
                                   Fault(path=SEARCH, status=500, body={"error": "Internal"}),
                                   Fault(path=SEARCH, delay=0.6)], ids=["502", "500", "timeout"])
def test_outages_are_transient(rig: Rig, fault: Fault) -> None:
    rig.emulator.inject(fault)
    with pytest.raises(TransientError):
        rig.poll(rig.query())


def _replace_search(rig: Rig, answer: Any) -> None:
    rig.emulator.routes.insert(0, ("GET", re.compile(r"^/xrpc/app\.bsky\.feed\.searchPosts$"),
                                   answer))


def test_malformed_post_is_skipped_and_the_page_kept(rig: Rig) -> None:
    good = recorded("bluesky", "search_posts_latest.json")["body"]["posts"]
    bad = [{"uri": "not-an-at-uri"}, "garbage", {**good[0], "record": {"text": "no date"}}]
    _replace_search(rig, lambda _r, _m: Response(200, {"posts": [*bad, *good]}))
    rig.source.lookback = timedelta(days=3650)
    [page] = rig.poll(rig.query())
    assert len(page.mentions) == 3 and page.skipped == 3 and page.items_read == 6


def test_duplicate_delivery_across_pages_yields_one_mention(rig: Rig) -> None:
    posts = recorded("bluesky", "search_posts_latest.json")["body"]["posts"]

    def answer(request: Request, _m: re.Match[str]) -> Response:
        if request.arg("cursor") is None:
            return Response(200, {"posts": posts[:2], "cursor": "next"})
        return Response(200, {"posts": posts[1:]})

    _replace_search(rig, answer)
    rig.source.lookback = timedelta(days=3650)
    assert ids(rig.poll(rig.query())) == ["3lpk2u6qo222m", "3lpjraovchc2x", "3lpjqrblspk2n"]


def test_recorded_posts_normalise() -> None:
    raw = recorded("bluesky", "search_posts_latest.json")["body"]["posts"]
    first, reply, _ = (parse_post(p) for p in raw)
    mention = to_mention(first, followers=None)
    assert mention.lang is None and mention.extra["reach_unknown"] is True
    assert mention.url == "https://bsky.app/profile/socpaperbot.bsky.social/post/3lpk2u6qo222m"
    assert mention.created_at == datetime(2025, 5, 19, 17, 10, 9, 561858, tzinfo=UTC)
    assert reply.parent_uri == "at://did:plc:mniyp6wfqt2e6gmqjpk2pnlj/app.bsky.feed.post/3lpjqmiends2v"
    assert to_mention(reply, followers=3).shares == 1


def _brand(**kw: Any) -> BrandSettings:
    return BrandSettings.model_validate({"name": "Sol", "languages": ["es"], "accounts": {
        "bluesky": ["tiendasol.bsky.social"]}, "keywords": kw})


def test_keywords_compile_to_one_search_per_form() -> None:
    brand = _brand(terms=["Tienda Sol"], phrases=["envío gratis"], hashtags=["TiendaSol"],
                   handles=["tiendasol.bsky.social"], exclude=["sol de verano"])
    assert compile_bluesky_queries(brand) == [
        '"Tienda Sol"', "TiendaSol", '"envío gratis"', "#TiendaSol",
        "mentions:tiendasol.bsky.social"]
    assert compile_bluesky_queries(brand, language_filter=True)[0] == '"Tienda Sol" lang:es'
    queries = bluesky.build_queries(brand, BlueskySettings())
    assert [q.options["kind"] for q in queries][-1] == "brand_replies"
    assert queries[-1].text == "from:tiendasol.bsky.social" and len({q.key for q in queries}) == 6


def test_create_needs_both_variables() -> None:
    with pytest.raises(AuthError) as err:
        bluesky.create(BlueskySettings(), {"BLUESKY_HANDLE": "x.bsky.social"})
    assert err.value.env_var == "BLUESKY_APP_PASSWORD"


def test_backfill_hours_bounds_the_first_poll() -> None:
    """`[sources.bluesky] backfill_hours` is how far back a query's first search reads."""
    now = datetime.now(UTC).replace(microsecond=0)
    world = World([WorldPost("bluesky", at_uri("did:plc:u1", "old"), "did:plc:u1",
                             "u1.bsky.social", "U1", "Sol llegó roto", now - timedelta(hours=7)),
                   WorldPost("bluesky", at_uri("did:plc:u2", "new"), "did:plc:u2",
                             "u2.bsky.social", "U2", "Sol no contesta", now - timedelta(hours=5))])
    emulator = BlueskyEmulator(world).start()
    settings = BlueskySettings(api_base=emulator.base_url, backfill_hours=6)
    source = bluesky.create(settings, {"BLUESKY_HANDLE": HANDLE,
                                       "BLUESKY_APP_PASSWORD": APP_PASSWORD})
    try:
        pages = list(source.poll(Query("Sol", "k", "sol", BrandAccounts(), {}), None))
        assert [m.external_id.rsplit("/", 1)[-1] for p in pages for m in p.mentions] == ["new"]
        since = datetime.strptime(emulator.requests_to(SEARCH)[0].query["since"][0],
                                  "%Y-%m-%dT%H:%M:%S%z")
        assert abs(since - (now - timedelta(hours=6))) < timedelta(minutes=5)
    finally:
        source.close()
        emulator.stop()
