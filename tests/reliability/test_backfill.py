"""First poll: each source reads back `backfill_hours` (72 h by default), X within its budgets.

Through the real pipeline, the real clients (tweepy, praw, httpx) and the loopback emulators.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.config import Config, load_config
from monitor.pipeline import CycleReport, collect_source
from monitor.runtime import Runtime
from monitor.sandbox.runner import Sandbox
from monitor.sandbox.world import World, WorldPost, twitter_id
from monitor.storage.db import open_database
from monitor.storage.mentions import load_mentions
from monitor.summary import format_cycle
from tests.clock import Clock

REPO = Path(__file__).resolve().parents[2]
PAGE_ID = "104000000000001"
POST = f"{PAGE_ID}_5001"


@dataclass
class Rig:
    box: Sandbox
    rt: Runtime
    now: datetime

    def stored(self) -> set[str]:
        with self.rt.db.transaction() as session:
            return {sm.mention.external_id for sm in load_mentions(session)}

    def hours_ago(self, hours: float) -> datetime:
        return self.now - timedelta(hours=hours)


def _only(config: Config, source: str, **settings: Any) -> Config:
    sources = {name: s.model_copy(update={"enabled": name == source})
               for name, s in config.sources.items()}
    sources[source] = sources[source].model_copy(update=settings)
    return config.model_copy(update={"sources": config.sources.model_copy(update=sources)})


@pytest.fixture
def make_rig(db_url: str) -> Iterator[Any]:
    made: list[Rig] = []

    def make(source: str, **settings: Any) -> Rig:
        box = Sandbox(world=World(), facebook_page_id=PAGE_ID).start()
        now = datetime.now(UTC).replace(microsecond=0)
        config = _only(box.configure(load_config(REPO / "config.toml"), database_url=db_url),
                       source, **settings)
        rt = Runtime(config=config, db=open_database(db_url), env=box.environment(config),
                     clock=Clock(now))
        made.append(Rig(box, rt, now))
        return made[-1]

    yield make
    for rig in made:
        rig.rt.close()
        rig.box.stop()


def test_default_backfill_is_72_hours_on_every_source() -> None:
    config = load_config(REPO / "config.toml")
    assert {s.backfill_hours for _, s in config.sources.items()
            if hasattr(s, "backfill_hours")} == {72}
    for name in ("twitter", "reddit", "facebook"):
        assert getattr(config.sources, name).backfill_hours == 72


def test_facebook_first_poll_sees_a_30_hour_old_complaint(make_rig: Any) -> None:
    rig = make_rig("facebook")
    rig.box.world.add(
        WorldPost("facebook", f"{POST}_1", "3901", "", "Carmen", "Tienda Sol no contesta",
                  rig.hours_ago(30), kind="comment", thread_id=POST),
        WorldPost("facebook", f"{POST}_2", "3902", "", "Luis", "Tienda Sol, ¿y mi pedido?",
                  rig.hours_ago(80), kind="comment", thread_id=POST),
    )

    report = collect_source(rig.rt, "facebook")

    assert report.status == "ok", report.error
    assert rig.stored() == {f"{POST}_1"}  # 30 h: within the weekend; 80 h: before it


def test_reddit_first_poll_follows_its_backfill_setting(make_rig: Any) -> None:
    rig = make_rig("reddit", backfill_hours=48)
    for sid, hours in (("bf1", 6), ("bf2", 30), ("bf3", 60)):
        rig.box.world.add(WorldPost(
            "reddit", sid, "t2_ana", "ana", "ana", f"Tienda Sol no me devuelve el dinero {sid}",
            rig.hours_ago(hours), kind="submission", subreddit="all"))

    report = collect_source(rig.rt, "reddit")

    assert report.status == "ok", report.error
    assert {"t3_bf1", "t3_bf2"} <= rig.stored() and "t3_bf3" not in rig.stored()


def test_x_backfill_is_bounded_by_start_time_and_the_summary_says_its_cost(
        make_rig: Any) -> None:
    rig = make_rig("twitter", max_results=10, cost_per_read_usd=0.005)
    for i, hours in enumerate((2, 30, 60, 100)):
        at = rig.hours_ago(hours)
        rig.box.world.add(WorldPost("twitter", twitter_id(at, i), f"{i}", f"user{i}",
                                    f"User {i}", f"Tienda Sol: mi pedido no llegó #{i}", at,
                                    lang="es"))

    first = collect_source(rig.rt, "twitter")

    assert first.status == "ok", first.error
    assert len(rig.stored()) == 3  # 2, 30 and 60 hours old; not the 100-hour-old one
    searches = rig.box.emulators["twitter"].requests_to(r"/2/tweets/search/recent")
    start = datetime.fromisoformat(searches[0].arg("start_time").replace("Z", "+00:00"))
    assert abs((rig.now - start) - timedelta(hours=72)) < timedelta(minutes=5)
    assert first.backfill_reads == first.reads >= 3
    text = format_cycle(CycleReport(collected=[first]))
    assert f"first poll looked back 72 h: {first.reads} posts read" in text
    assert f"${first.reads * 0.005:.2f}" in text

    asked = len(searches)
    later = collect_source(rig.rt, "twitter")
    assert later.backfill_reads == 0
    resumed = rig.box.emulators["twitter"].requests_to(r"/2/tweets/search/recent")[asked:]
    assert any("since_id" in r.query for r in resumed)
    assert all("start_time" not in r.query for r in resumed if "since_id" in r.query)
    assert "looked back" not in format_cycle(CycleReport(collected=[later]))


def test_x_backfill_interrupted_by_its_budget_resumes_next_poll(make_rig: Any) -> None:
    rig = make_rig("twitter", max_results=10, page_budget=2, monthly_read_budget=1000)
    for i in range(30):
        at = rig.hours_ago(1 + i)
        rig.box.world.add(WorldPost("twitter", twitter_id(at, i), f"{i}", f"user{i}",
                                    f"User {i}", f"Tienda Sol: queja {i}", at, lang="es"))

    first = collect_source(rig.rt, "twitter")
    assert first.backfill_reads == 20  # two pages: the page budget stopped the backfill
    asked = len(rig.box.emulators["twitter"].requests_to(r"/2/tweets/search/recent"))
    second = collect_source(rig.rt, "twitter")

    resumed = rig.box.emulators["twitter"].requests_to(r"/2/tweets/search/recent")[asked]
    assert "until_id" in resumed.query and "start_time" in resumed.query
    assert second.backfill_reads == 10 and len(rig.stored()) == 30
