"""Hostile and broken payloads through the real client, storage, model and Slack: handled,
nothing lost, nobody pinged."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.config import load_config
from monitor.pipeline import run_cycle
from monitor.runtime import Runtime
from monitor.sandbox.http import Fault
from monitor.sandbox.runner import Sandbox
from monitor.sandbox.twitter_api import TwitterEmulator
from monitor.sandbox.world import World, WorldPost, twitter_id
from monitor.storage.db import open_database
from monitor.storage.mentions import load_mentions

REPO = Path(__file__).resolve().parents[2]
CHANNEL = "#tienda-sol-alertas"
NOW = datetime.now(UTC).replace(microsecond=0)


def _iso(minutes_ago: int) -> str:
    return (NOW - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _tweet(i: int, text: str, **fields: Any) -> dict[str, Any]:
    tid = twitter_id(NOW - timedelta(minutes=60 - i), i)
    tweet = {"id": tid, "text": text, "author_id": f"77{i}", "created_at": _iso(60 - i),
             "lang": "es", "conversation_id": tid, "edit_history_tweet_ids": [tid],
             "public_metrics": {"retweet_count": 0, "reply_count": 0, "like_count": 0,
                                "quote_count": 0}}
    tweet.update(fields)
    return tweet


HOSTILE = [
    _tweet(1, "Tienda Sol " + "estafa total, nunca llegó mi pedido. " * 2800),  # ~100 KB
    _tweet(2, "\u202eTienda Sol\u202c \u200b\u200dpésimo servicio \u200f! ‏مرحبا Tienda Sol"),
    _tweet(3, "Tienda Sol &lt;!channel&gt; &lt;!here&gt; &lt;https://evil.example|tu banco&gt; "
              "&amp;amp; estafa, nadie responde"),
    _tweet(4, "Tienda Sol pésimo, no responden", lang=None, public_metrics=None),
    _tweet(5, "Tienda Sol horrible servicio \ud83d sin respuesta"),  # lone surrogate
    {"id": int(twitter_id(NOW - timedelta(minutes=40), 6)), "text": "Tienda Sol id numérico: "
     "mi pedido nunca llegó, pésimo", "author_id": 776, "created_at": _iso(40)},
    {"text": "Tienda Sol sin id: se descarta", "author_id": "778", "created_at": _iso(39)},
    {"id": twitter_id(NOW - timedelta(minutes=38), 8), "text": None, "author_id": "779"},
]
USERS = [{"id": f"77{i}", "username": f"user{i}", "name": f"User {i}",
          "public_metrics": {"followers_count": 10}} for i in range(1, 10)]


@pytest.fixture
def rig(db_url: str) -> Iterator[tuple[Sandbox, Runtime]]:
    box = Sandbox(world=World()).start()
    config = box.configure(load_config(REPO / "config.toml"), database_url=db_url)
    rt = Runtime(config=config, db=open_database(db_url), env=box.environment(config))
    try:
        yield box, rt
    finally:
        rt.close()
        box.stop()


def _body(raw: bytes | None = None) -> bytes:
    body = {"data": HOSTILE, "includes": {"users": USERS},
            "meta": {"result_count": len(HOSTILE)}}
    text = json.dumps(body)
    return text.encode("utf-8", "surrogatepass") if raw is None else raw


def test_hostile_payload_is_stored_scored_and_escaped(rig: tuple[Sandbox, Runtime]) -> None:
    box, rt = rig
    twitter = box.emulators["twitter"]
    assert isinstance(twitter, TwitterEmulator)
    twitter.replay(r"/2/tweets/search/recent", _body(),
                   headers={"content-type": "application/json"})
    report = run_cycle(rt, digests=False)
    tw = next(c for c in report.collected if c.source == "twitter")
    assert tw.status == "ok", tw.error
    with rt.db.transaction() as s:
        stored = load_mentions(s)
    texts = {m.mention.external_id: m.mention.text for m in stored}
    assert len(stored) == 6  # the two items without id / text are logged and skipped
    assert tw.skipped == 2
    assert all(m.score is not None for m in stored)
    long_text = max(texts.values(), key=len)
    assert len(long_text) > 100_000
    assert any(t.startswith("\u202eTienda Sol\u202c \u200b\u200d") for t in texts.values())
    assert any("<!channel>" in t for t in texts.values())  # entities unescaped once
    numeric = str(HOSTILE[5]["id"])
    assert numeric in texts  # numeric ids normalised to strings, not lost

    payload = json.dumps([m.blocks for m in box.slack.messages] +
                         [m.text for m in box.slack.messages])
    assert box.slack.top_level(CHANNEL), "negative mentions must be alerted"
    assert "<!channel>" not in payload and "<!here>" not in payload
    assert "<https://evil.example|" not in payload
    for m in box.slack.messages:
        for block in m.blocks:
            text = block.get("text", {}).get("text", "") if isinstance(block, dict) else ""
            assert len(text) <= 3000


def test_non_utf8_bytes_do_not_lose_the_page(rig: tuple[Sandbox, Runtime]) -> None:
    box, rt = rig
    twitter = box.emulators["twitter"]
    assert isinstance(twitter, TwitterEmulator)
    tid = twitter_id(NOW - timedelta(minutes=30), 1)
    raw = (b'{"data":[{"id":"' + tid.encode() + b'","text":"Tienda Sol caf\xe9 fr\xeda, '
           b'p\xe9simo servicio","author_id":"771","created_at":"' + _iso(30).encode() +
           b'"}],"includes":{"users":[{"id":"771","username":"u1","name":"U"}]},'
           b'"meta":{"result_count":1}}')
    twitter.replay(r"/2/tweets/search/recent", raw, headers={"content-type": "application/json"})
    run_cycle(rt, digests=False)
    with rt.db.transaction() as s:
        [m] = load_mentions(s)
    assert m.mention.external_id == tid
    assert m.mention.text.startswith("Tienda Sol caf")
    assert m.score is not None


IG_MEDIA = "17900000000000777"


def _ig_comment(i: int, text: Any, **fields: Any) -> dict[str, Any]:
    comment = {"id": f"181000000000000{i:02d}", "text": text, "username": f"cliente{i}",
               "from": {"id": f"178415550{i:05d}", "username": f"cliente{i}"},
               "timestamp": (NOW - timedelta(minutes=60 - i)).strftime("%Y-%m-%dT%H:%M:%S+0000"),
               "like_count": 0}
    comment.update(fields)
    return comment


def _bsky_post(i: int, text: str, **fields: Any) -> dict[str, Any]:
    at = (NOW - timedelta(minutes=60 - i)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    post = {"uri": f"at://did:plc:hostile{i:04d}/app.bsky.feed.post/3lhostile{i:04d}",
            "cid": f"bafyreihostile{i:04d}",
            "author": {"did": f"did:plc:hostile{i:04d}", "handle": f"h{i}.bsky.social",
                       "displayName": f"H {i}", "labels": []},
            "record": {"$type": "app.bsky.feed.post", "createdAt": at, "text": text,
                       "langs": ["es"]},
            "replyCount": 0, "repostCount": 0, "likeCount": 0, "quoteCount": 0,
            "indexedAt": at, "labels": []}
    post.update(fields)
    return post


LONG = "Tienda Sol " + "estafa total, nunca llegó mi pedido. " * 2800  # ~100 KB
BIDI = "\u202eTienda Sol\u202c \u200b\u200dpésimo servicio \u200f! ‏مرحبا Tienda Sol"
MARKUP = ("Tienda Sol <!channel> <!here> <https://evil.example|tu banco> &amp; estafa, "
          "nadie responde")


def test_hostile_instagram_and_bluesky_payloads_are_stored_scored_and_escaped(
    rig: tuple[Sandbox, Runtime],
) -> None:
    """The same hostile texts on the two newest sources, with broken items beside them: each
    bad item is skipped alone, the rest of its page is stored, scored and escaped for Slack."""
    box, rt = rig
    box.world.add(WorldPost("instagram", IG_MEDIA, box.instagram_account, "tiendasol",
                            "Tienda Sol", "Novedades", NOW - timedelta(hours=5), kind="media"))
    box.emulators["instagram"].inject(Fault(path=rf"/{IG_MEDIA}/comments$", status=200, body={
        "data": [
            _ig_comment(1, LONG), _ig_comment(2, BIDI), _ig_comment(3, MARKUP),
            _ig_comment(4, "Tienda Sol horrible servicio \ud83d sin respuesta"),  # lone surrogate
            {"id": "18100000000000099", "text": "Tienda Sol sin fecha"},  # skipped
            "garbage",  # skipped
            _ig_comment(5, "Tienda Sol nunca contesta, pésimo", replies={"data": [
                {"id": "no-time", "text": "x"},  # skipped
                _ig_comment(6, "A mí tampoco me devolvieron el dinero, estafa"),
            ]}),
        ]}))
    box.emulators["bluesky"].inject(Fault(path=r"searchPosts$", status=200, body={"posts": [
        _bsky_post(1, LONG), _bsky_post(2, BIDI), _bsky_post(3, MARKUP),
        _bsky_post(4, "Tienda Sol pésimo, no responden", record={"text": "sin fecha"}),
        _bsky_post(5, "Tienda Sol sin autor, pésimo", author={"handle": "x.bsky.social"}),
        "garbage",
        _bsky_post(6, "Tienda Sol: mi pedido nunca llegó, una vergüenza"),
    ]}))
    report = run_cycle(rt, digests=False)
    collected = {c.source: c for c in report.collected}
    for source, skipped in (("instagram", 3), ("bluesky", 3)):
        assert collected[source].status == "ok", collected[source].error
        assert collected[source].skipped == skipped
    with rt.db.transaction() as s:
        stored = load_mentions(s)
    by_source = {src: {m.mention.external_id: m.mention.text for m in stored
                       if m.mention.source == src} for src in ("instagram", "bluesky")}
    assert sorted(by_source["instagram"]) == [f"181000000000000{i:02d}" for i in range(1, 7)]
    assert sorted(k.rsplit("hostile", 1)[-1] for k in by_source["bluesky"]) == [
        "0001", "0002", "0003", "0006"]
    assert all(m.score is not None for m in stored)
    for texts in by_source.values():
        assert max(len(t) for t in texts.values()) > 100_000
        assert any(t.startswith("\u202eTienda Sol\u202c \u200b\u200d") for t in texts.values())
        assert any("<!channel>" in t for t in texts.values())  # stored as written
    # half an emoji (Graph gives no language, so it is detected) made the language detector
    # fail the whole page; it is now a "?", as storage writes it
    assert "Tienda Sol horrible servicio ? sin respuesta" in by_source["instagram"].values()

    payload = json.dumps([m.blocks for m in box.slack.messages] +
                         [m.text for m in box.slack.messages])
    assert "https://www.instagram.com/p/" in payload and "https://bsky.app/profile/" in payload
    assert "<!channel>" not in payload and "<!here>" not in payload
    assert "<https://evil.example|" not in payload
    for m in box.slack.messages:
        for block in m.blocks:
            text = block.get("text", {}).get("text", "") if isinstance(block, dict) else ""
            assert len(text) <= 3000
