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
from monitor.sandbox.runner import Sandbox
from monitor.sandbox.twitter_api import TwitterEmulator
from monitor.sandbox.world import World, twitter_id
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
