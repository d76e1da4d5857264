"""Instagram collector over httpx (the Graph client Facebook uses) against the IG emulator."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from test_reddit_support import NOW, FakeClock, recorded

from monitor.config import BrandSettings, InstagramSettings
from monitor.sandbox.facebook_api import graph_error
from monitor.sandbox.http import Fault, Request, Response
from monitor.sandbox.instagram_api import ACCESS_TOKEN, InstagramEmulator, usage_header
from monitor.sandbox.world import World, WorldPost
from sources import instagram
from sources.base import AuthError, BrandAccounts, Cursor, Page, Query, RateLimited, TransientError
from sources.facebook_http import GraphClient
from sources.instagram import InstagramSource
from sources.instagram_normalize import COMMENT_FIELDS, item, replies_of

IG = "17841400000000001"
MEDIA = "17900000000000001"
COMMENTS = r"/comments$"


def at(minutes: float) -> Any:
    return (NOW - timedelta(minutes=minutes)).replace(microsecond=0)


def comment(cid: str, text: str, minutes: float, *, parent: str | None = None,
            by_brand: bool = False) -> WorldPost:
    return WorldPost("instagram", cid, IG if by_brand else "1784555", "tiendasol" if by_brand
                     else "carmen.r", "carmen.r", text, at(minutes), kind="comment",
                     thread_id=MEDIA, parent_id=parent, by_brand=by_brand, likes=2)


class Rig:
    def __init__(self, world: World, token: str = ACCESS_TOKEN, page_size: int = 50) -> None:
        self.world, self.clock = world, FakeClock()
        self.emulator = InstagramEmulator(world, IG, username="tiendasol")
        self.emulator.start()
        client = GraphClient(token=token, env_var="IG_ACCESS_TOKEN",
                             api_base=self.emulator.base_url, version="v21.0", now=self.clock,
                             timeout_s=0.3, platform="instagram",
                             token_name="Instagram access token")
        self.source = InstagramSource(client, now=self.clock, page_size=page_size)

    def query(self, kind: str = "comments") -> Query:
        return Query("Sol", kind, "", BrandAccounts(ids=(IG,)),
                     {"kind": kind, "ig_user_id": IG, "source": "instagram"})

    def poll(self, query: Query, cursor: Cursor | None = None) -> list[Page]:
        return list(self.source.poll(query, cursor))

    def params(self, path: str) -> list[dict[str, str]]:
        return [{k: v[0] for k, v in r.query.items()} for r in self.emulator.requests_to(path)]

    def close(self) -> None:
        self.source.close()
        self.emulator.stop()


def base_world() -> World:
    return World([
        WorldPost("instagram", MEDIA, IG, "tiendasol", "Tienda Sol", "Novedades", at(300),
                  kind="media"),
        comment("c1", "¿Y mi pedido?", 50),
        comment("c2", "Me cobraron dos veces", 40),
        comment("r1", "@carmen.r te escribimos por DM", 30, parent="c1", by_brand=True),
    ])


@pytest.fixture
def rig() -> Iterator[Rig]:
    r = Rig(base_world())
    yield r
    r.close()


def ids(pages: list[Page]) -> list[str]:
    return [m.external_id for p in pages for m in p.mentions]


def test_first_poll_reads_comments_with_replies_and_the_brand_reply(rig: Rig) -> None:
    pages = rig.poll(rig.query())
    assert ids(pages) == ["c2", "c1"]
    [reply] = [r for p in pages for r in p.brand_replies]
    assert (reply.parent_external_id, reply.account, reply.external_id) == ("c1", "tiendasol",
                                                                            "r1")
    first = pages[0].mentions[1]
    assert first.author_handle == "carmen.r" and first.url.startswith("https://www.instagram.com/p/")
    assert first.thread_id == MEDIA and first.parent_id == MEDIA
    [params] = rig.params(COMMENTS)
    assert params["fields"] == COMMENT_FIELDS and "access_token" in params
    assert rig.emulator.requests_to(COMMENTS)[0].path == f"/v21.0/{MEDIA}/comments"


def test_unchanged_media_is_not_asked_again_and_new_reply_under_old_comment_is_found(
        rig: Rig) -> None:
    cursor = rig.poll(rig.query())[-1].cursor
    assert ids(rig.poll(rig.query(), cursor)) == []
    assert len(rig.params(COMMENTS)) == 1  # comments_count unchanged: no comment request
    rig.world.add(comment("r2", "Sigo esperando", 10, parent="c1"))
    again = rig.poll(rig.query(), cursor)
    assert ids(again) == ["r2"] and again[0].mentions[0].parent_id == "c1"


def test_pages_follow_after_and_a_crash_resumes_the_walk() -> None:
    world = base_world()
    world.add(*[comment(f"n{i}", f"queja {i}", 20 - i) for i in range(4)])
    r = Rig(world, page_size=2)
    try:
        poll = r.source.poll(r.query(), None)
        first = next(poll)
        poll.close()
        rest = r.poll(r.query(), first.cursor)
        assert sorted(ids([first]) + ids(rest)) == sorted(["c1", "c2", "n0", "n1", "n2", "n3"])
        assert r.params(COMMENTS)[-1].get("after")
    finally:
        r.close()


def test_tagged_media_incremental(rig: Rig) -> None:
    rig.world.add(WorldPost("instagram", "18000000000000001", "1784666", "ana.g", "ana.g",
                            "Mi look de @tiendasol", at(40), kind="tagged"))
    first = rig.poll(rig.query("tagged"))
    assert ids(first) == ["18000000000000001"] and first[0].mentions[0].text.endswith("tiendasol")
    rig.world.add(WorldPost("instagram", "18000000000000002", "1784667", "leo", "leo",
                            "Otra vez @tiendasol", at(5), kind="tagged"))
    assert ids(rig.poll(rig.query("tagged"), first[-1].cursor)) == ["18000000000000002"]


def test_bad_token_names_the_variable_never_the_token() -> None:
    r = Rig(base_world(), token="IGQ-secret-revoked")
    try:
        with pytest.raises(AuthError) as err:
            r.poll(r.query())
        assert err.value.env_var == "IG_ACCESS_TOKEN" and "instagram:" in str(err.value)
        assert "IGQ-secret-revoked" not in str(err.value)
    finally:
        r.close()


def test_missing_permission_is_named(rig: Rig) -> None:
    rig.emulator.inject(Fault(path=COMMENTS, status=403, body=graph_error(
        10, "(#10) Application does not have permission for this action: "
            "'instagram_manage_comments' permission")))
    with pytest.raises(AuthError, match="instagram_manage_comments"):
        rig.poll(rig.query())


def test_usage_limit_defers_with_the_regain_estimate(rig: Rig) -> None:
    rig.emulator.inject(Fault(path=COMMENTS, status=400, body=graph_error(
        32, "(#32) Page request limit reached"), headers=usage_header(100, IG, 25)))
    with pytest.raises(RateLimited) as err:
        rig.poll(rig.query())
    assert err.value.reset_at == NOW + timedelta(minutes=25)


def test_recorded_usage_header_is_read() -> None:
    from sources.facebook_http import usage

    headers = recorded("instagram", "usage_headers.json")["headers"]
    assert usage(headers) == (29, 0)


@pytest.mark.parametrize("fault", [Fault(path=COMMENTS, status=500, body="down"),
                                   Fault(path=COMMENTS, delay=0.6),
                                   Fault(path=COMMENTS, truncate=True)],
                         ids=["500", "timeout", "truncated"])
def test_outages_are_transient(rig: Rig, fault: Fault) -> None:
    rig.emulator.inject(fault)
    with pytest.raises(TransientError):
        rig.poll(rig.query())


def _replace_comments(rig: Rig, answer: Any) -> None:
    rig.emulator.routes.insert(0, ("GET", re.compile(r"^/v21\.0/\d+/comments$"), answer))


def test_malformed_comment_is_skipped_and_the_page_kept(rig: Rig) -> None:
    recorded_comment = recorded("instagram", "comment_with_replies.json")["body"]
    fresh = {**recorded_comment, "timestamp": at(20).strftime("%Y-%m-%dT%H:%M:%S+0000"),
             "replies": {"data": [{**r, "timestamp": at(10 - i).strftime(
                 "%Y-%m-%dT%H:%M:%S+0000")} for i, r in enumerate(replies_of(recorded_comment))]}}
    _replace_comments(rig, lambda _r, _m: Response(200, {"data": [
        {"id": "no-time", "text": "x"}, "garbage", fresh]}))
    [page] = rig.poll(rig.query())
    assert ids([page]) == ["17984127178281340", "17846106427692294"]
    assert [r.external_id for r in page.brand_replies] == ["18107567341036926",
                                                           "18025866040229880"]
    assert page.skipped == 2


def test_duplicate_delivery_across_pages_yields_one_mention(rig: Rig) -> None:
    def c(cid: str, minutes: float) -> dict[str, Any]:
        return {"id": cid, "text": "Sol", "username": "eva",
                "timestamp": at(minutes).strftime("%Y-%m-%dT%H:%M:%S+0000")}

    def answer(request: Request, _m: re.Match[str]) -> Response:
        if request.arg("after") is None:
            return Response(200, {"data": [c("d1", 9), c("d2", 8)],
                                  "paging": {"cursors": {"after": "x"}, "next": "http://n"}})
        return Response(200, {"data": [c("d2", 8), c("d3", 7)]})

    _replace_comments(rig, answer)
    assert ids(rig.poll(rig.query())) == ["d1", "d2", "d3"]


def test_recorded_brand_reply_is_told_apart_by_user() -> None:
    raw = recorded("instagram", "comment_with_replies.json")["body"]
    replies = [item(r, parent_id=raw["id"]) for r in replies_of(raw)]
    assert [r.own for r in replies] == [True, False, True]


def test_build_queries_and_create() -> None:
    brand = BrandSettings.model_validate({"name": "Sol", "accounts": {"instagram": [IG]},
                                          "keywords": {"terms": ["Tienda Sol"]}})
    queries = instagram.build_queries(brand, InstagramSettings())
    assert [q.options["kind"] for q in queries] == ["comments", "tagged"]
    assert len({q.key for q in queries}) == 2
    with pytest.raises(AuthError) as err:
        instagram.create(InstagramSettings(), {})
    assert err.value.env_var == "IG_ACCESS_TOKEN"


def test_backfill_hours_bounds_the_first_poll_and_old_media_are_walked_once() -> None:
    """`[sources.instagram] backfill_hours` bounds the first poll; a media older than the
    look-back is walked once, then asked again only when its comment count moves."""
    now = datetime.now(UTC).replace(microsecond=0)
    old_media, new_media = "17900000000000011", "17900000000000012"

    def c(cid: str, media: str, hours: float) -> WorldPost:
        return WorldPost("instagram", cid, "1784555", "carmen.r", "carmen.r", f"queja {cid}",
                         now - timedelta(hours=hours), kind="comment", thread_id=media)

    world = World([
        WorldPost("instagram", old_media, IG, "tiendasol", "Sol", "Rebajas",
                  now - timedelta(days=5), kind="media"),
        WorldPost("instagram", new_media, IG, "tiendasol", "Sol", "Novedades",
                  now - timedelta(hours=3), kind="media"),
        c("o1", old_media, 100), c("o2", old_media, 7), c("o3", old_media, 5),
        c("n1", new_media, 2),
    ])
    emulator = InstagramEmulator(world, IG, username="tiendasol").start()
    settings = InstagramSettings(api_base=emulator.base_url, backfill_hours=6)
    source = instagram.create(settings, {"IG_ACCESS_TOKEN": ACCESS_TOKEN})
    query = Query("Sol", "comments", "", BrandAccounts(ids=(IG,)),
                  {"kind": "comments", "ig_user_id": IG, "source": "instagram"})
    try:
        pages = list(source.poll(query, None))
        assert sorted(ids(pages)) == ["n1", "o3"]
        walked = [r.path for r in emulator.requests_to(COMMENTS)]
        assert sorted(walked) == [f"/v21.0/{old_media}/comments", f"/v21.0/{new_media}/comments"]
        cursor = pages[-1].cursor
        for _ in range(2):
            assert ids(list(source.poll(query, cursor))) == []
        assert len(emulator.requests_to(COMMENTS)) == 2  # nothing moved: no media walked again
    finally:
        source.close()
        emulator.stop()
