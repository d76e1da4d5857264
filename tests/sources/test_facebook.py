"""Facebook collector over httpx against the Graph emulator: comments, visitor and tagged posts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from test_facebook_support import (
    PAGE,
    POST,
    FacebookRig,
    at,
    fb_comment,
    ids,
    make_facebook_rig,
    page_post,
    tagged,
    visitor_post,
)
from test_reddit_support import NOW

from monitor.config import BrandSettings, FacebookSettings
from monitor.sandbox.facebook_api import PAGE_TOKEN
from monitor.sandbox.http import Request, Response
from monitor.sandbox.world import World
from sources import facebook
from sources.base import AuthError
from sources.facebook_normalize import FIELDS


@pytest.fixture
def world() -> World:
    return World([
        page_post(POST, "¡Nueva colección de Sol!", 120),
        fb_comment(f"{POST}_9101", "Sol me cobró dos veces", 50),
        fb_comment(f"{POST}_9102", "Hola Carmen, te escribimos por privado", 40, by_page=True,
                   parent=f"{POST}_9101"),
        fb_comment(f"{POST}_9103", "Sigo esperando, Sol", 30, parent=f"{POST}_9101"),
        fb_comment(f"{POST}_9104", "¡Gracias a todos!", 20, by_page=True),
    ])


@pytest.fixture
def rig(world: World) -> Iterator[FacebookRig]:
    yield from make_facebook_rig(world)


def test_first_poll_reads_stream_comments_with_explicit_fields(rig: FacebookRig) -> None:
    pages = rig.poll(rig.query())

    assert ids(pages) == [f"{POST}_9101", f"{POST}_9103"]
    first, reply = pages[0].mentions
    assert (first.author_id, first.author_name, first.author_handle) == ("3901", "Carmen Ruiz", "")
    assert first.created_at == at(50) and first.thread_id == POST and first.parent_id == POST
    assert first.url == f"https://www.facebook.com/{PAGE}/posts/5001/?comment_id=9101"
    assert reply.parent_id == f"{POST}_9101"
    [brand_reply] = pages[0].brand_replies  # the Page's top-level comment answers nobody
    assert brand_reply.parent_external_id == first.external_id
    assert (brand_reply.external_id, brand_reply.account) == (f"{POST}_9102", PAGE)
    assert brand_reply.replied_at == at(40) and brand_reply.thread_id == POST
    [params] = rig.params(r"/comments$")
    assert rig.emulator.requests_to(r"/comments$")[0].path == f"/v21.0/{POST}/comments"
    assert params["filter"] == "stream" and params["fields"] == FIELDS
    assert {"from", "parent", "created_time", "message", "permalink_url", "id"} == set(
        FIELDS.split(","))
    assert params["since"] == str(int((NOW - timedelta(hours=72)).timestamp()))
    [feed] = rig.params(r"/feed$")
    assert feed["since"] == str(int((NOW - timedelta(days=7)).timestamp()))


def test_incremental_poll_sends_since_and_keeps_same_second_newcomers(rig: FacebookRig) -> None:
    cursor = rig.poll(rig.query())[-1].cursor
    assert cursor is not None
    assert cursor.state["posts"][POST]["boundary_ids"] == [f"{POST}_9104"]
    rig.world.add(fb_comment(f"{POST}_9105", "Mismo segundo, Sol", 20),
                  fb_comment(f"{POST}_9106", "Sol nunca responde", 5))

    pages = rig.poll(rig.query(), cursor)

    assert ids(pages) == [f"{POST}_9105", f"{POST}_9106"]
    assert rig.params(r"/comments$")[-1]["since"] == str(int(at(20).timestamp()))
    again = rig.poll(rig.query(), pages[-1].cursor)
    assert ids(again) == []


def test_comment_pages_each_carry_their_cursor_and_resume_after_a_crash(world: World) -> None:
    rig_iter = make_facebook_rig(world, page_size=2)
    rig = next(rig_iter)
    try:
        poll = rig.source.poll(rig.query(), None)
        first = next(poll)
        poll.close()  # stored, then the worker died
        assert [p["after"] for p in rig.params(r"/comments$") if "after" in p] == []
        rest = rig.poll(rig.query(), first.cursor)
        assert ids([first]) + ids(rest) == [f"{POST}_9101", f"{POST}_9103"]
        assert rig.params(r"/comments$")[-1].get("after")  # second page via cursors.after
    finally:
        rig_iter.close()


def test_duplicate_delivery_across_pages_yields_one_mention(rig: FacebookRig) -> None:
    def item(cid: str, minutes: float) -> dict[str, Any]:
        return {"id": cid, "created_time": at(minutes).strftime("%Y-%m-%dT%H:%M:%S+0000"),
                "message": f"Sol {cid}", "from": {"id": "7", "name": "Eva"}}

    def comments(request: Request, _m: re.Match[str]) -> Response:
        if request.arg("after") is None:
            return Response(200, {"data": [item("c1", 9), item("c2", 8)],
                                  "paging": {"cursors": {"after": "x"}, "next": "http://n"}})
        return Response(200, {"data": [item("c2", 8), item("c3", 7)]})

    rig.emulator.routes.insert(0, ("GET", re.compile(r"^/v21\.0/[\d_]+/comments$"), comments))
    assert ids(rig.poll(rig.query())) == ["c1", "c2", "c3"]


def test_visitor_posts_are_mentions_and_page_comment_on_them_is_a_reply(world: World) -> None:
    world.add(visitor_post(f"{PAGE}_7001", "Sol, mi pedido no llegó", 60),
              fb_comment(f"{PAGE}_7001_1", "Lo sentimos, escríbenos", 30, post=f"{PAGE}_7001",
                         by_page=True))
    rig_iter = make_facebook_rig(world)
    rig = next(rig_iter)
    try:
        posts = rig.poll(rig.query("visitor_posts"))
        assert ids(posts) == [f"{PAGE}_7001"]  # the Page's own post is not a mention
        mention = posts[0].mentions[0]
        assert (mention.author_id, mention.thread_id, mention.extra["kind"]) == (
            "3902", f"{PAGE}_7001", "visitor_post")
        comments = rig.poll(rig.query("comments"))
        replies = [r.parent_external_id for p in comments for r in p.brand_replies]
        assert f"{PAGE}_7001" in replies
    finally:
        rig_iter.close()


def test_feed_time_paging_resumes_without_storing_the_token(world: World) -> None:
    world.add(*[visitor_post(f"{PAGE}_80{i}", f"Sol queja {i}", 10 + i) for i in range(30)])
    rig_iter = make_facebook_rig(world, max_pages=1)
    rig = next(rig_iter)
    try:
        first = rig.poll(rig.query("visitor_posts"))
        cursor = first[-1].cursor
        assert cursor is not None and "pending" in cursor.state
        assert PAGE_TOKEN not in str(cursor.state)
        resume = cursor.state["pending"]["resume"]
        assert {"until", "__paging_token"} <= set(resume) and "access_token" not in resume
        rest = rig.poll(rig.query("visitor_posts"), cursor)
        assert sorted(ids(first) + ids(rest)) == sorted(f"{PAGE}_80{i}" for i in range(30))
        assert rig.params(r"/feed$")[-1]["__paging_token"]
        assert rest[-1].cursor is not None and "pending" not in rest[-1].cursor.state
    finally:
        rig_iter.close()


def test_tagged_posts_incremental_with_since(world: World) -> None:
    world.add(tagged("9_1", "Gracias @Tienda Sol", 40),
              tagged("9_2", "Tienda Sol, ¿y mi envío?", 30))
    rig_iter = make_facebook_rig(world)
    rig = next(rig_iter)
    try:
        first = rig.poll(rig.query("tagged"))
        assert ids(first) == ["9_2", "9_1"]
        rig.world.add(tagged("9_3", "Sol otra vez", 10))
        second = rig.poll(rig.query("tagged"), first[-1].cursor)
        assert ids(second) == ["9_3"]
        assert rig.params(r"/tagged$")[-1]["since"] == str(int(at(30).timestamp()))
        assert second[0].mentions[0].extra["kind"] == "tagged"
    finally:
        rig_iter.close()


def _brand(**accounts: list[str]) -> BrandSettings:
    return BrandSettings.model_validate(
        {"name": "Sol", "accounts": accounts, "keywords": {"terms": ["Tienda Sol"]}})


def test_build_queries_per_page_and_kind() -> None:
    queries = facebook.build_queries(_brand(facebook=[PAGE]), FacebookSettings())
    assert [q.options["kind"] for q in queries] == ["comments", "visitor_posts", "tagged"]
    assert all(q.options["page_id"] == PAGE and q.accounts.handles == (PAGE,) for q in queries)
    assert len({q.key for q in queries}) == 3
    only = facebook.build_queries(_brand(facebook=[PAGE]),
                                  FacebookSettings(include_tagged=False,
                                                   include_visitor_posts=False))
    assert [q.options["kind"] for q in only] == ["comments"]
    assert facebook.build_queries(_brand(), FacebookSettings()) == []


def test_create_reads_the_token_from_env_only() -> None:
    with pytest.raises(AuthError) as err:
        facebook.create(FacebookSettings(), {})
    assert err.value.env_var == "FB_PAGE_TOKEN"
    source = facebook.create(FacebookSettings(api_version="v22.0"), {"FB_PAGE_TOKEN": "t"})
    try:
        assert source.client.base == "https://graph.facebook.com/v22.0"  # type: ignore[attr-defined]
    finally:
        source.close()
