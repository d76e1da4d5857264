"""Source failures, cost guard and silence: recorded, shown in status, told to ops once."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor.config import Config, load_config
from monitor.pipeline import collect_source
from monitor.runtime import Runtime
from monitor.sandbox.http import Fault
from monitor.sandbox.runner import Sandbox
from monitor.sandbox.world import World, WorldPost, twitter_id
from monitor.status import render_status
from monitor.storage import health
from monitor.storage.db import open_database
from monitor.storage.tables import OutboxRow
from tests.clock import Clock

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Rig:
    box: Sandbox
    rt: Runtime
    clock: Clock

    def ops_notices(self) -> list[str]:
        with self.rt.db.transaction() as s:
            rows = s.execute(select(OutboxRow).where(OutboxRow.op == "ops")).scalars().all()
            return [r.payload["text"] for r in rows]

    def tweet(self, i: int, text: str = "Tienda Sol: mi pedido no llegó") -> None:
        at = self.clock.at - timedelta(minutes=30) + timedelta(seconds=i)
        self.box.world.add(WorldPost("twitter", twitter_id(at, i), f"{i}", f"user{i}",
                                     f"User {i}", f"{text} #{i}", at, lang="es"))


def _only_twitter(config: Config, **twitter: object) -> Config:
    sources = {name: s.model_copy(update={"enabled": name == "twitter"})
               for name, s in config.sources.items()}
    sources["twitter"] = sources["twitter"].model_copy(update=twitter)
    return config.model_copy(update={"sources": config.sources.model_copy(update=sources)})


@pytest.fixture
def rig(db_url: str) -> Iterator[Rig]:
    box = Sandbox(world=World()).start()
    clock = Clock(datetime.now(UTC).replace(microsecond=0))
    config = box.configure(load_config(REPO / "config.toml"), database_url=db_url)
    config = _only_twitter(config, max_results=10, monthly_read_budget=25)
    rt = Runtime(config=config, db=open_database(db_url), env=box.environment(config),
                 clock=clock)
    try:
        yield Rig(box, rt, clock)
    finally:
        rt.close()
        box.stop()


def test_auth_failure_tells_ops_once_per_episode(rig: Rig) -> None:
    rig.box.emulators["twitter"].inject(Fault(status=401, times=-1, body={
        "title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}))
    first = collect_source(rig.rt, "twitter")
    assert first.status == "failing" and "X_BEARER_TOKEN" in (first.error or "")
    assert collect_source(rig.rt, "twitter").status == "deferred"  # backing off, no request
    rig.clock.at += timedelta(hours=2)
    assert collect_source(rig.rt, "twitter").status == "failing"
    notices = rig.ops_notices()
    assert len(notices) == 1 and "twitter is failing" in notices[0]
    assert "sandbox-x-bearer" not in notices[0]

    rig.box.emulators["twitter"].clear_faults()
    rig.clock.at += timedelta(hours=2)
    assert collect_source(rig.rt, "twitter").status == "ok"
    rig.box.emulators["twitter"].inject(Fault(status=403, times=-1, body={
        "title": "Forbidden", "type": "about:blank", "status": 403, "detail": "Forbidden"}))
    rig.clock.at += timedelta(hours=2)
    assert collect_source(rig.rt, "twitter").status == "failing"
    assert len(rig.ops_notices()) == 2  # a new episode, a new notice


def test_rate_limit_defers_until_reset_without_notice(rig: Rig) -> None:
    reset = int((rig.clock.at + timedelta(minutes=7)).timestamp())
    rig.box.emulators["twitter"].inject(Fault(status=429, times=1, headers={
        "x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)}, body={
        "title": "Too Many Requests", "type": "about:blank", "status": 429,
        "detail": "Too Many Requests"}))
    assert collect_source(rig.rt, "twitter").status == "deferred"
    with rig.rt.db.transaction() as s:
        until = health.deferred_until(s, "twitter")
    assert until == datetime.fromtimestamp(reset, UTC)
    assert collect_source(rig.rt, "twitter").status == "deferred"
    rig.clock.at += timedelta(minutes=8)
    assert collect_source(rig.rt, "twitter").status == "ok"
    assert rig.ops_notices() == []


def test_cost_guard_stops_before_budget_and_status_shows_spend(rig: Rig) -> None:
    for i in range(40):
        rig.tweet(i)
    first = collect_source(rig.rt, "twitter")
    assert first.status in ("ok", "budget")
    for _ in range(5):
        rig.clock.at += timedelta(minutes=10)
        collect_source(rig.rt, "twitter")
    with rig.rt.db.transaction() as s:
        h = health.get_health(s, "twitter")
    assert h is not None and h.status == "budget"
    notices = rig.ops_notices()
    assert len(notices) == 1 and "budget" in notices[0]
    status = render_status(rig.rt.db, rig.rt.config, now=rig.clock.at)
    # X pages hold at least 10 posts: with 5 left, the next page could exceed the budget
    assert "X reads this month: 20 of 25 budget, estimated spend $0.10" in status


def test_silent_source_is_flagged(rig: Rig) -> None:
    for poll in range(3):
        rig.tweet(100 + poll)
        rig.clock.at += timedelta(minutes=10)
        assert collect_source(rig.rt, "twitter").new_mentions == 1
    for _ in range(6):
        rig.clock.at += timedelta(minutes=10)
        assert collect_source(rig.rt, "twitter").new_mentions == 0
    status = render_status(rig.rt.db, rig.rt.config, now=rig.clock.at)
    assert "SILENT: 6 polls in a row returned nothing" in status
