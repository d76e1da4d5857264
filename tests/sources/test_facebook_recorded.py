"""Real recorded Graph payloads, replayed verbatim, normalise as expected."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from test_facebook_support import FacebookRig, make_facebook_rig
from test_reddit_support import recorded

from monitor.sandbox.facebook_api import PAGE_TOKEN
from monitor.sandbox.world import World
from sources.facebook_normalize import ids_from_permalink, item, to_mention

RECORDED_POST = "19292868552_10158407654328553"


@pytest.fixture
def rig() -> Iterator[FacebookRig]:
    yield from make_facebook_rig(World(), max_pages=2)


def test_recorded_stream_comments_rebuild_ids_and_parents(rig: FacebookRig) -> None:
    body = recorded("facebook", "post_comments_with_replies_p1.json")["body"]
    rig.clock.at = datetime(2021, 8, 13, tzinfo=UTC)
    rig.source.lookback = rig.clock.at - datetime(2021, 8, 1, tzinfo=UTC)
    rig.emulator.replay(r"/v21\.0/\d+/feed", {"data": [{"id": RECORDED_POST}]})
    rig.emulator.replay(rf"/v21\.0/{RECORDED_POST}/comments", body)

    pages = rig.poll(rig.query())

    # the recorded `next` (cursors.after = "after") is followed once and re-delivers the same
    # ten comments: they must not become duplicate mentions
    assert len(pages) == 2 and pages[1].mentions == []
    got = pages[0].mentions
    assert len(got) == 10 and pages[0].skipped == 0
    first = got[0]
    assert first.external_id == "10158407654328553_10158407835073553"
    assert first.parent_id == RECORDED_POST and first.thread_id == RECORDED_POST
    assert first.created_at == datetime(2021, 8, 10, 18, 45, 3, tzinfo=UTC)
    assert first.replies == 1 and first.author_id == ""  # `from` was not requested then
    answer = got[5]
    assert answer.external_id == "10158407654328553_10158409983033553"
    assert answer.parent_id == "10158407654328553_10158407903973553" == got[1].external_id
    assert rig.params(r"/comments$")[1]["after"] == "after"


def test_recorded_feed_items_normalise() -> None:
    body = recorded("facebook", "page_feed_default_fields_p1.json")["body"]
    raw = body["data"][0]
    mention = to_mention(item(raw), kind="tagged", page_id="19292868552", thread_id=raw["id"])
    assert mention.external_id == "19292868552_10158349356748553"
    assert mention.url == raw["permalink_url"]
    assert mention.text == raw["message"]
    assert mention.shares == raw["shares"]["count"]
    assert mention.likes == raw["reactions"]["summary"]["total_count"]
    assert mention.created_at.tzinfo is not None


def test_recorded_ids_match_the_permalink_rule() -> None:
    for name in ("comment_single.json",):
        raw = recorded("facebook", name)["body"]
        rebuilt = ids_from_permalink(raw["permalink_url"])
        assert rebuilt == (raw["id"], None)
    single = recorded("facebook", "comment_single.json")["body"]
    it = item(single)
    assert (it.author_id, it.author_name) == ("2711636948859886", "Kun Liu")


def test_recorded_time_paged_posts_follow_next_without_token(rig: FacebookRig) -> None:
    body = recorded("facebook", "page_posts_fields_p1.json")["body"]
    rig.clock.at = datetime(2021, 7, 5, tzinfo=UTC)
    rig.source.lookback = rig.clock.at - datetime(2021, 6, 1, tzinfo=UTC)
    rig.emulator.replay(r"/v21\.0/\d+/feed", body)

    pages = rig.poll(rig.query("visitor_posts"))

    assert [m.external_id for m in pages[0].mentions][:2] == [
        "4_10113477241177441", "4_10113449068715281"]
    followed = rig.params(r"/feed$")[1]
    assert followed["until"] == "1624385168" and followed["access_token"] == PAGE_TOKEN
    assert followed["since"] != ""  # the recorded `next` has a blank since: ours is kept
    assert "access_token" not in str(pages[0].cursor.state if pages[0].cursor else {})
