"""Emulators misbehaving on demand: storms of 429/5xx/timeouts/resets/truncation, Slack down.

Whatever the weather, once it clears every mention is stored once, scored once, and every due
alert reaches Slack exactly once, in order.
"""

from __future__ import annotations

import collections
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor.config import Config, load_config
from monitor.pipeline import run_cycle
from monitor.runtime import Runtime
from monitor.sandbox.bluesky_api import xrpc_error
from monitor.sandbox.facebook_api import graph_error
from monitor.sandbox.http import Fault
from monitor.sandbox.instagram_api import usage_header
from monitor.sandbox.runner import Sandbox
from monitor.storage.db import open_database
from monitor.storage.tables import AlertRow, MentionRow, OutboxRow, ScoreRow
from tests.clock import Clock
from tests.reliability.stream import FIVE, THREE, stream_world

REPO = Path(__file__).resolve().parents[2]
CHANNEL = "#tienda-sol-alertas"


@dataclass
class Storm:
    box: Sandbox
    rt: Runtime
    clock: Clock
    expected: int

    def cycles(self, n: int, step: timedelta) -> None:
        for _ in range(n):
            run_cycle(self.rt, digests=False)
            self.clock.at += step

    def alert_keys(self) -> list[str]:
        return [(m.metadata or {}).get("event_payload", {}).get("key", "")
                for m in self.box.slack.top_level(CHANNEL)]

    def db_counts(self) -> tuple[int, int, int]:
        with self.rt.db.transaction() as s:
            mentions = s.execute(select(func.count()).select_from(MentionRow)).scalar_one()
            scores = s.execute(select(func.count()).select_from(ScoreRow)).scalar_one()
            sent = s.execute(select(func.count()).select_from(AlertRow).where(
                AlertRow.kind == "mention", AlertRow.sent_at.is_not(None))).scalar_one()
        return mentions, scores, sent


def _calm(config: Config) -> Config:
    brand = config.brands[0]
    esc = brand.escalation.model_copy(update={
        "crisis": brand.escalation.crisis.model_copy(update={"enabled": False})})
    tw = config.sources.twitter.model_copy(update={"max_results": 10, "page_budget": 50,
                                                   "request_timeout_s": 0.3})
    others = {n: s.model_copy(update={"request_timeout_s": 0.3})
              for n, s in config.sources.items() if n != "twitter"}
    return config.model_copy(update={
        "brands": [brand.model_copy(update={"escalation": esc})],
        "sources": config.sources.model_copy(update={"twitter": tw, **others}),
    })


@pytest.fixture
def storm(db_url: str) -> Iterator[Storm]:
    yield from _storm(db_url, THREE)


@pytest.fixture
def storm5(db_url: str) -> Iterator[Storm]:
    """Five sources, weighted towards Instagram and Bluesky."""
    yield from _storm(db_url, FIVE)


def _storm(db_url: str, platforms: tuple[str, ...]) -> Iterator[Storm]:
    clock = Clock(datetime.now(UTC).replace(microsecond=0))
    world, posts = stream_world(60, clock.at, platforms=platforms)
    box = Sandbox(world=world).start()
    config = _calm(box.configure(load_config(REPO / "config.toml"), database_url=db_url))
    rt = Runtime(config=config, db=open_database(db_url), env=box.environment(config),
                 clock=clock)
    try:
        yield Storm(box, rt, clock, len(posts))
    finally:
        rt.close()
        box.stop()


def _random_fault(rng: random.Random) -> Fault:
    kind = rng.choice(["429", "500", "503", "timeout", "truncate", "reset"])
    if kind == "429":
        reset = str(int((datetime.now(UTC) + timedelta(minutes=1)).timestamp()))
        return Fault(status=429, times=1, headers={"Retry-After": "60",
                                                   "x-rate-limit-remaining": "0",
                                                   "x-rate-limit-reset": reset,
                                                   "x-ratelimit-remaining": "0",
                                                   "x-ratelimit-reset": "60"},
                     body={"ok": False, "error": "ratelimited"})
    if kind in ("500", "503"):
        return Fault(status=int(kind), times=1, body="upstream trouble")
    if kind == "timeout":
        return Fault(delay=0.5, times=1)
    if kind == "truncate":
        return Fault(truncate=True, times=1)
    return Fault(reset=True, times=1)


def _platform_fault(name: str, rng: random.Random) -> Fault:
    """What Instagram and Bluesky do when they misbehave their own way, else a generic fault."""
    if name == "instagram" and rng.random() < 0.4:
        return rng.choice([
            Fault(status=400, times=1, body=graph_error(613, "Calls to this api have exceeded "
                                                             "the rate limit."),
                  headers=usage_header(60)),  # 613 itself defers; no usage backoff, as
            # that one runs on the client's wall clock while this storm's clock runs ahead
            Fault(status=500, times=1, body=graph_error(2, "Service temporarily unavailable")),
        ])
    if name == "bluesky" and rng.random() < 0.4:
        reset = str(int((datetime.now(UTC) + timedelta(minutes=1)).timestamp()))
        return rng.choice([
            Fault(path="searchPosts", status=429, times=1,
                  body=xrpc_error("RateLimitExceeded", "Rate Limit Exceeded"),
                  headers={"ratelimit-limit": "3000", "ratelimit-remaining": "0",
                           "ratelimit-reset": reset}),
            Fault(path="searchPosts", status=400, times=1,
                  body=xrpc_error("ExpiredToken", "Token has expired")),  # logs in again
            Fault(path="getProfiles", status=502, times=1, body="Bad Gateway"),  # reach only
        ])
    return _random_fault(rng)


def test_fault_storm_loses_nothing_and_duplicates_nothing(storm: Storm) -> None:
    _weather(storm, random.Random(8))


def test_fault_storm_on_instagram_and_bluesky_loses_nothing_and_duplicates_nothing(
    storm5: Storm,
) -> None:
    counts = _weather(storm5, random.Random(14))
    with storm5.rt.db.transaction() as s:
        per_source = dict(s.execute(select(MentionRow.source, func.count())
                                    .group_by(MentionRow.source)).all())
    assert per_source.get("instagram", 0) > 5 and per_source.get("bluesky", 0) > 5
    assert counts["instagram"] and counts["bluesky"]  # the storm did hit the new sources


def _weather(storm: Storm, rng: random.Random) -> collections.Counter[str]:
    """12 stormy cycles (0-3 faults per emulator each), then calm until every deferral is
    past; asserts nothing lost, nothing twice. Returns the faults injected per emulator."""
    injected: collections.Counter[str] = collections.Counter()
    for _ in range(12):
        for name, emulator in storm.box.emulators.items():
            for _ in range(rng.randint(0, 3)):
                emulator.inject(_platform_fault(name, rng))
                injected[name] += 1
        storm.cycles(1, timedelta(minutes=3))
    for emulator in storm.box.emulators.values():
        emulator.clear_faults()
    storm.cycles(15, timedelta(minutes=10))  # past every backoff and deferral

    mentions, scores, sent = storm.db_counts()
    assert mentions == scores == storm.expected
    keys = storm.alert_keys()
    assert [k for k, n in collections.Counter(keys).items() if n > 1] == []
    assert len(keys) == sent > 0
    return injected


def test_slack_down_ten_minutes_then_everything_in_order(storm: Storm) -> None:
    slack = storm.box.slack
    slack.inject(Fault(path="/api/", status=503, body="Service Unavailable", times=-1))
    start = storm.clock.at
    while storm.clock.at < start + timedelta(minutes=10):
        storm.cycles(1, timedelta(minutes=1))
    assert slack.top_level(CHANNEL) == []
    _mentions, _scores, sent_during_outage = storm.db_counts()
    assert sent_during_outage == 0

    slack.clear_faults()
    storm.cycles(12, timedelta(minutes=5))
    keys = storm.alert_keys()
    assert len(keys) == len(set(keys)) > 0
    with storm.rt.db.transaction() as s:
        queued = s.execute(select(OutboxRow.key).where(OutboxRow.op == "post",
                                                       OutboxRow.channel == CHANNEL)
                           .order_by(OutboxRow.id)).scalars().all()
    assert keys == list(queued), "alerts queued during the outage were sent out of order"
    assert storm.db_counts()[2] == len(keys)
