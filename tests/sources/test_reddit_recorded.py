"""Real recorded Reddit listings, replayed verbatim through praw, normalise as expected."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from test_reddit_support import RedditRig, make_reddit_rig, recorded

from monitor.sandbox.world import World


@pytest.fixture
def rig() -> Iterator[RedditRig]:
    yield from make_reddit_rig(World())


def test_recorded_comment_stream(rig: RedditRig) -> None:
    envelope = recorded("reddit", "subreddit_new_comments.json")
    body = envelope["body"]
    newest = max(c["data"]["created_utc"] for c in body["data"]["children"])
    rig.clock.at = datetime.fromtimestamp(newest + 60, UTC)  # the recording's "now"
    body = {**body, "data": {**body["data"], "after": None}}
    headers = {k: v for k, v in envelope["headers"].items() if k.startswith("x-ratelimit")}
    rig.emulator.replay("GET", r"/r/[^/]+/comments/?", body, headers=headers)

    pages = rig.poll(rig.query("comments", "", subs=("<TEST_SUBREDDIT>",)))

    got = [m for p in pages for m in p.mentions]
    assert len(got) + pages[0].skipped == 100
    first = got[0]
    assert first.external_id == "t1_k3yrfii"
    assert first.author_handle == "Acceptable-Bread-566" and first.author_id == "t2_puq6r71y"
    assert (first.parent_id, first.thread_id) == ("t1_k3u4rtt", "t3_agi5zf")
    assert first.url == ("https://www.reddit.com/r/<TEST_SUBREDDIT>/comments/agi5zf/"
                         "<TEST_SUBREDDIT>/k3yrfii/")
    assert first.text == "Did it work?"
    assert first.created_at == datetime(2023, 10, 8, 8, 46, 8, tzinfo=UTC)
    assert first.replies == 0  # num_comments in a flat comment listing is the submission's
    assert len({m.external_id for m in got}) == len(got)
    assert rig.source.guard.remaining == 599.0  # the recorded float-string header was read
    assert rig.emulator.requests[-1].query["raw_json"] == ["1"]


def test_recorded_search_from_2016_without_author_fullname(rig: RedditRig) -> None:
    body = recorded("reddit", "subreddit_search.json")["body"]
    children = body["data"]["children"]
    newest = max(c["data"]["created_utc"] for c in children)
    rig.clock.at = datetime.fromtimestamp(newest + 60, UTC)
    rig.source.lookback = rig.clock.at - datetime(2010, 1, 1, tzinfo=UTC)
    rig.emulator.replay("GET", r"/r/all/search/?", body)

    pages = rig.poll(rig.query("submissions", "praw oauth search", subs=("all",)))

    got = [m for p in pages for m in p.mentions]
    assert len(got) == len(children) == 6
    sample = next(m for m in got if m.external_id == children[0]["data"]["name"])
    data = children[0]["data"]
    assert sample.author_id == ""  # the 2016 field set has no author_fullname
    assert sample.author_handle == data["author"]
    assert sample.text.startswith(data["title"])
    assert sample.url == "https://www.reddit.com" + data["permalink"]
    assert sample.thread_id == sample.external_id and sample.parent_id is None
    assert sample.replies == data["num_comments"] and sample.likes == data["score"]
    assert rig.emulator.requests[-1].path == "/r/all/search"
