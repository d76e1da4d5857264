"""A single transient error is retried once within about a minute, not after an interval.

Through the real pipeline and tweepy against the X emulator, with a fault injected once.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.config import load_config
from monitor.pipeline import QUICK_RETRY, collect_source
from monitor.runtime import Runtime
from monitor.sandbox.http import Fault
from monitor.sandbox.runner import Sandbox
from monitor.sandbox.world import World, WorldPost, twitter_id
from monitor.storage.db import open_database
from tests.clock import Clock

REPO = Path(__file__).resolve().parents[2]
SEARCH = r"/2/tweets/search/recent"
UNAVAILABLE = {"title": "Service Unavailable", "detail": "Service Unavailable",
               "type": "about:blank", "status": 503}


@pytest.fixture
def rig(db_url: str) -> Iterator[tuple[Sandbox, Runtime, Clock]]:
    box = Sandbox(world=World()).start()
    clock = Clock(datetime.now(UTC).replace(microsecond=0))
    config = box.configure(load_config(REPO / "config.toml"), database_url=db_url)
    sources = {name: s.model_copy(update={"enabled": name == "twitter"})
               for name, s in config.sources.items()}
    config = config.model_copy(update={"sources": config.sources.model_copy(update=sources)})
    rt = Runtime(config=config, db=open_database(db_url), env=box.environment(config),
                 clock=clock)
    at = clock.at - timedelta(minutes=10)
    box.world.add(WorldPost("twitter", twitter_id(at, 1), "1", "ana", "Ana",
                            "Tienda Sol: mi pedido no llegó", at, lang="es"))
    try:
        yield box, rt, clock
    finally:
        rt.close()
        box.stop()


def test_one_transient_error_is_retried_quickly_then_polling_goes_on(
        rig: tuple[Sandbox, Runtime, Clock]) -> None:
    box, rt, clock = rig
    box.emulators["twitter"].inject(Fault(path=SEARCH, status=503, body=UNAVAILABLE, times=1))

    first = collect_source(rt, "twitter")

    assert first.status == "retry" and first.retry_at is not None
    assert clock.at + QUICK_RETRY * 0.5 <= first.retry_at <= clock.at + QUICK_RETRY * 1.5
    clock.at += QUICK_RETRY * 2  # the daemon's one-off retry job runs about then
    second = collect_source(rt, "twitter")
    assert second.status == "ok", second.error
    assert second.new_mentions == 1


def test_a_second_transient_error_backs_off_for_the_interval(
        rig: tuple[Sandbox, Runtime, Clock]) -> None:
    box, rt, clock = rig
    box.emulators["twitter"].inject(Fault(path=SEARCH, status=503, body=UNAVAILABLE, times=2))

    assert collect_source(rt, "twitter").status == "retry"
    clock.at += QUICK_RETRY * 2
    again = collect_source(rt, "twitter")

    assert again.status == "backoff" and again.retry_at is None
    clock.at += QUICK_RETRY * 2
    assert collect_source(rt, "twitter").status == "deferred"  # no retry storm
