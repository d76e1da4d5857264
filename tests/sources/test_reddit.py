"""Reddit collector through real praw against the loopback emulator: fetch, cursor, replies."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from test_reddit_support import (
    NOW,
    RedditRig,
    comment,
    make_reddit_rig,
    mentions,
    submission,
)

from monitor.config import BrandSettings, RedditSettings
from monitor.sandbox.http import Request, Response
from monitor.sandbox.reddit_api import CLIENT_ID, CLIENT_SECRET
from monitor.sandbox.world import World
from sources import reddit
from sources.base import Cursor


@pytest.fixture
def world() -> World:
    return World([
        submission("s1", "Sol me cobró dos veces y no contestan", 50, title="Sol cobro doble"),
        submission("s2", "Pedido de Sol llegó roto", 30),
        submission("s3", "Nada que ver con la marca", 20),
        comment("c1", "A mí también, Sol no responde", 25, link="s1"),
    ])


@pytest.fixture
def rig(world: World) -> Iterator[RedditRig]:
    yield from make_reddit_rig(world)


def test_first_poll_normalises_submissions_and_asks_for_newest(rig: RedditRig) -> None:
    pages = rig.poll(rig.query())

    assert mentions(pages) == ["t3_s2", "t3_s1"]  # newest first; s3 does not match q
    first = pages[0].mentions[1]
    assert first.url == "https://www.reddit.com/r/compras/comments/s1/sol_cobro_doble/"
    assert first.author_handle == "pedro_pt" and first.author_id == "t2_pedro_"
    assert first.text == "Sol cobro doble\n\nSol me cobró dos veces y no contestan"
    assert first.created_at == (NOW - timedelta(minutes=50)).replace(microsecond=0)
    assert first.created_at.tzinfo is UTC
    assert (first.thread_id, first.parent_id, first.likes, first.replies) == ("t3_s1", None, 5, 2)
    [params] = rig.listing_requests()
    assert rig.emulator.requests[-1].path == "/r/compras/search"
    assert params["q"] == "Sol" and params["sort"] == "new" and params["restrict_sr"] == "on"
    assert params["limit"] == "100" and "after" not in params
    assert pages[-1].cursor is not None
    assert pages[-1].cursor.state == {
        "position": (NOW - timedelta(minutes=30)).timestamp(), "boundary_ids": ["t3_s2"]}


def test_incremental_poll_skips_stored_items_but_keeps_same_second_newcomers(
        rig: RedditRig) -> None:
    first = rig.poll(rig.query())
    cursor = first[-1].cursor
    # same second as the newest stored item (s2), plus a newer one
    rig.world.add(submission("s4", "Sol otra vez tarde", 30), submission("s5", "Sol genial", 5))

    second = rig.poll(rig.query(), cursor)

    assert mentions(second) == ["t3_s5", "t3_s4"]
    assert second[-1].cursor is not None
    assert second[-1].cursor.state["boundary_ids"] == ["t3_s5"]
    assert len(rig.listing_requests()) == 2  # stopped at the old mark: no page walk
    assert "after" not in rig.listing_requests()[1]
    third = rig.poll(rig.query(), second[-1].cursor)
    assert mentions(third) == []


def test_first_poll_does_not_backfill_beyond_the_72_hour_lookback(rig: RedditRig) -> None:
    rig.world.add(submission("old", "Sol hace tres días y pico", 60 * 80))
    assert "t3_old" not in mentions(rig.poll(rig.query()))


def test_pagination_spends_budget_then_resumes_from_pending_cursor() -> None:
    world = World([submission(f"p{i}", f"Sol número {i}", 10 + i) for i in range(5)])
    rig_iter = make_reddit_rig(world, per_minute=2, page_limit=2)
    rig = next(rig_iter)
    try:
        first = rig.poll(rig.query())
        assert mentions(first) == ["t3_p0", "t3_p1", "t3_p2", "t3_p3"]
        pending = first[-1].cursor
        assert pending is not None and pending.state["pending"]["resume"] == {"after": "t3_p3"}
        assert pending.state["position"] == (NOW - timedelta(hours=72)).timestamp()  # not moved

        rig.clock.advance(60)
        second = rig.poll(rig.query(), pending)

        assert mentions(second) == ["t3_p4"]
        assert rig.listing_requests()[2]["after"] == "t3_p3"
        final = second[-1].cursor
        assert final is not None and "pending" not in final.state
        assert final.state["boundary_ids"] == ["t3_p0"]
    finally:
        rig_iter.close()


def test_crash_after_first_page_resumes_without_skipping() -> None:
    world = World([submission(f"p{i}", f"Sol número {i}", 10 + i) for i in range(5)])
    rig_iter = make_reddit_rig(world, page_limit=2)
    rig = next(rig_iter)
    try:
        poll = rig.source.poll(rig.query(), None)
        stored = next(poll)  # the pipeline commits this page, then the process dies
        poll.close()
        rest = rig.poll(rig.query(), stored.cursor)
        assert mentions([stored]) + mentions(rest) == [f"t3_p{i}" for i in range(5)]
        assert rest[-1].cursor is not None
        assert rest[-1].cursor.state["boundary_ids"] == ["t3_p0"]
    finally:
        rig_iter.close()


def test_duplicate_delivery_across_pages_yields_one_mention(rig: RedditRig) -> None:
    def listing(names: list[str], after: str | None) -> dict[str, Any]:
        children = [rig.emulator.thing(rig.world.get("reddit", n)) for n in names]  # type: ignore[arg-type]
        return {"kind": "Listing", "data": {"after": after, "children": children}}

    def pages(request: Request, _m: re.Match[str]) -> Response:
        if request.arg("after") is None:
            return Response(200, listing(["s2", "s1"], "t3_s1"))
        return Response(200, listing(["s1", "s3"], None))  # s1 delivered again

    rig.emulator.routes.insert(0, ("GET", re.compile(r"^/r/compras/search$"), pages))
    got = rig.poll(rig.query())
    assert mentions(got) == ["t3_s2", "t3_s1", "t3_s3"]


def test_brand_comment_is_a_reply_with_the_mention_id_form(rig: RedditRig) -> None:
    rig.world.add(comment("b1", "Hola, te escribimos por DM", 10, link="s1", parent="t1_c1",
                          author="TiendaSol"))
    pages = rig.poll(rig.query("comments", ""))

    assert mentions(pages) == ["t1_c1"]
    [reply] = [r for p in pages for r in p.brand_replies]
    assert reply.parent_external_id == pages[0].mentions[0].external_id == "t1_c1"
    assert (reply.external_id, reply.account, reply.thread_id) == ("t1_b1", "TiendaSol", "t3_s1")
    assert reply.replied_at == (NOW - timedelta(minutes=10)).replace(microsecond=0)
    assert rig.emulator.requests[-1].path == "/r/compras/comments"
    comment_mention = pages[0].mentions[0]
    assert (comment_mention.thread_id, comment_mention.parent_id) == ("t3_s1", "t3_s1")


def test_brand_comments_anywhere_come_from_the_user_listing(rig: RedditRig) -> None:
    rig.world.add(comment("b2", "Lo revisamos", 5, link="s2", author="TiendaSol", sub="otros"))
    query = rig.query("brand_comments", "", account="TiendaSol")
    pages = rig.poll(query)
    assert [r.parent_external_id for p in pages for r in p.brand_replies] == ["t3_s2"]
    assert mentions(pages) == []
    assert rig.emulator.requests[-1].path == "/user/TiendaSol/comments"


def test_html_entities_are_unescaped() -> None:
    world = World([submission("h1", "Sol: envío 5 < 7 & más", 3)])
    rig_iter = make_reddit_rig(world, escape_html=True)
    rig = next(rig_iter)
    try:
        [mention] = [m for p in rig.poll(rig.query()) for m in p.mentions]
        assert mention.text == "Sol: envío 5 < 7 & más"
    finally:
        rig_iter.close()


def test_create_honours_prefixed_endpoints_and_ignores_praw_ini(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Any, world: World) -> None:
    """api_base with a path keeps its prefix (praw needs the trailing slash); a praw.ini in
    the working directory cannot send the credentials elsewhere."""
    import praw.config

    (tmp_path / "praw.ini").write_text(
        "[DEFAULT]\noauth_url=http://127.0.0.1:9\nreddit_url=http://127.0.0.1:9\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(praw.config.Config, "CONFIG", None)
    rig_iter = make_reddit_rig(world, prefix="/reddit-api", auth_prefix="/reddit-auth")
    rig = next(rig_iter)
    try:
        base = rig.emulator.base_url
        settings = RedditSettings(api_base=f"{base}/reddit-api", auth_base=f"{base}/reddit-auth/",
                                  user_agent="python:vigia:0.1.0 (by /u/vigia_ci)")
        env = {"REDDIT_CLIENT_ID": CLIENT_ID, "REDDIT_CLIENT_SECRET": CLIENT_SECRET}
        source = reddit.create(settings, env)
        with pytest.warns(UserWarning, match="praw.ini"):  # praw warns; our endpoints win
            got = list(source.poll(rig.query(), None))
        assert len(got) == 1  # (the real clock puts the sample posts before the lookback)
        paths = [r.path for r in rig.emulator.requests]
        assert paths == ["/reddit-auth/api/v1/access_token", "/reddit-api/r/compras/search"]
    finally:
        rig_iter.close()


def test_endpoint_slash_rules() -> None:
    from sources.reddit_http import endpoints

    assert endpoints(None, None) == ("https://oauth.reddit.com", "https://www.reddit.com")
    assert endpoints("http://127.0.0.1:8080/r-api", "http://127.0.0.1:8080/auth/") == (
        "http://127.0.0.1:8080/r-api/", "http://127.0.0.1:8080/auth")


def test_create_without_credentials_names_the_variable() -> None:
    from sources.base import AuthError

    with pytest.raises(AuthError) as err:
        reddit.create(RedditSettings(), {"REDDIT_CLIENT_ID": "x"})
    assert err.value.env_var == "REDDIT_CLIENT_SECRET"


def _brand(**accounts: list[str]) -> BrandSettings:
    return BrandSettings.model_validate({
        "name": "Sol", "accounts": accounts,
        "keywords": {"terms": ["Tienda Sol"], "exclude": ["trabajo"]},
    })


def test_build_queries_kinds_keys_and_options() -> None:
    settings = RedditSettings(subreddits=["r/compras", "argentina"],
                              comment_subreddits=["compras"])
    queries = reddit.build_queries(_brand(reddit=["TiendaSol"]), settings)

    kinds = [q.options["kind"] for q in queries]
    assert kinds == ["submissions", "comments", "brand_comments"]
    search = queries[0]
    assert search.options["subreddits"] == ["compras", "argentina"]
    assert '"Tienda Sol"' in search.text and "NOT author:TiendaSol" in search.text
    assert queries[1].options["subreddits"] == ["compras"] and queries[1].text == ""
    assert queries[2].options["account"] == "TiendaSol"
    assert len({q.key for q in queries}) == 3
    assert all(q.accounts.handles == ("TiendaSol",) for q in queries)
    moved = reddit.build_queries(_brand(reddit=["TiendaSol"]), RedditSettings(subreddits=["mx"]))
    assert moved[0].key != search.key  # other subreddits: a fresh cursor


def test_walk_state_round_trips_through_json() -> None:
    import json

    from sources.time_cursor import NewestFirstWalk

    walk = NewestFirstWalk.start(None, floor=100.0)
    assert walk.take(150.0, "a") and walk.take(150.0, "b") and not walk.take(150.0, "a")
    cursor = walk.page_done({"after": "b"})
    state = json.loads(json.dumps(cursor.state))
    resumed = NewestFirstWalk.start(Cursor(state), floor=999.0)
    assert resumed.resume == {"after": "b"} and resumed.committed.position == 100.0
    assert not resumed.take(90.0, "old") and resumed.reached_old
    done = resumed.page_done(None)
    assert done.state == {"position": 150.0, "boundary_ids": ["a", "b"]}
    assert datetime.fromtimestamp(done.state["position"], UTC).year == 1970
