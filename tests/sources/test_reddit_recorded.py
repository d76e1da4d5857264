"""Real recorded Reddit listings, replayed verbatim through praw, normalise as expected."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

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


def _flatten(children: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A comment tree as the flat newest-first list a /comments listing serves."""
    flat: list[dict[str, Any]] = []
    for child in children:
        flat.append(child)
        replies = child["data"].get("replies")
        if isinstance(replies, dict):
            flat.extend(_flatten(replies["data"]["children"]))
    return sorted(flat, key=lambda c: c["data"]["created_utc"], reverse=True)


def test_recorded_2016_comments_without_permalink_keep_every_item(rig: RedditRig) -> None:
    # The 2016 field set has `permalink: null` and no `author_fullname` on comments: each
    # item used to be skipped as malformed ("no permalink"), so the whole page was lost.
    body = recorded("reddit", "submission_comments.json")["body"]
    comments = _flatten(body[1]["data"]["children"])
    assert [c["data"].get("permalink") for c in comments] == [None, None]
    listing = {"kind": "Listing", "data": {"after": None, "children": comments}}
    newest = max(c["data"]["created_utc"] for c in comments)
    rig.clock.at = datetime.fromtimestamp(newest + 60, UTC)
    rig.source.lookback = rig.clock.at - datetime(2010, 1, 1, tzinfo=UTC)
    rig.emulator.replay("GET", r"/r/redditdev/comments/?", listing)

    pages = rig.poll(rig.query("comments", "", subs=("redditdev",)))

    got = {m.external_id: m for p in pages for m in p.mentions}
    assert sum(p.skipped for p in pages) == 0
    assert set(got) == {c["data"]["name"] for c in comments}
    first = got["t1_cklfmye"]
    assert first.url == "https://www.reddit.com/r/redditdev/comments/2gmzqe/_/cklfmye/"
    assert first.author_handle == "paneer_burrito" and first.author_id == ""
    assert (first.thread_id, first.parent_id) == ("t3_2gmzqe", "t3_2gmzqe")


def test_missing_author_and_subreddit_lose_only_those_fields(rig: RedditRig) -> None:
    body = recorded("reddit", "submission_comments.json")["body"]
    [raw] = [c for c in _flatten(body[1]["data"]["children"])
             if c["data"]["name"] == "t1_cklfmye"]
    data = {k: v for k, v in raw["data"].items() if k not in ("author", "subreddit")}
    listing = {"kind": "Listing", "data": {"after": None,
                                           "children": [{"kind": "t1", "data": data}]}}
    rig.clock.at = datetime.fromtimestamp(data["created_utc"] + 60, UTC)
    rig.emulator.replay("GET", r"/r/redditdev/comments/?", listing)

    pages = rig.poll(rig.query("comments", "", subs=("redditdev",)))

    [got] = [m for p in pages for m in p.mentions]
    assert got.url == "https://www.reddit.com/comments/2gmzqe/_/cklfmye/"
    assert (got.author_handle, got.author_id) == ("", "")
    assert got.text == data["body"]
