"""SIGKILL at random points of a cycle, many times in a row: nothing lost, nothing twice."""

from __future__ import annotations

import collections
import os
import random
import signal
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from monitor.config import load_config
from monitor.keywords import KNOWN_SOURCES
from monitor.pipeline import run_cycle
from monitor.runtime import Runtime
from monitor.sandbox.http import Fault
from monitor.sandbox.runner import Sandbox
from monitor.sandbox.world import World, WorldPost
from monitor.storage.db import open_database
from monitor.storage.tables import AlertRow, MentionRow, ScoreRow
from tests.process_harness import fast_scoring, vigia_process, write_config
from tests.reliability.stream import FIVE, stream_world

REPO = Path(__file__).resolve().parents[2]
KILLS = int(os.environ.get("VIGIA_KILL_ROUNDS", "50"))
KILLS_NEW_SOURCES = int(os.environ.get("VIGIA_KILL_ROUNDS_NEW_SOURCES", "12"))
ALERT_CHANNEL = "#tienda-sol-alertas"


def test_sigkill_mid_cycle_loses_nothing_and_sends_nothing_twice(
    tmp_path: Path, db_url: str
) -> None:
    _kill_rounds(tmp_path, db_url, stream_world(150, datetime.now(UTC)), KILLS)


def test_sigkill_on_instagram_and_bluesky_loses_nothing_and_sends_nothing_twice(
    tmp_path: Path, db_url: str
) -> None:
    """The same over five sources, weighted towards Instagram and Bluesky (comments under
    several media, Bluesky pages of 5), in a bounded number of rounds."""
    world = stream_world(80, datetime.now(UTC), seed=14, platforms=FIVE)
    _kill_rounds(tmp_path, db_url, world, KILLS_NEW_SOURCES, bluesky_page_size=5, delay=0.05,
                 progress=True)


def _wait_for_requests(box: Sandbox, seen: int, proc: subprocess.Popen[bytes]) -> None:
    """Until the new process has sent its first API request (start-up time varies with the
    machine's load), at most 60 s."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if sum(len(e.requests) for e in box.emulators.values()) > seen:
            return
        time.sleep(0.02)


def _kill_rounds(tmp_path: Path, db_url: str, stream: tuple[World, list[WorldPost]],
                 kills: int, *, bluesky_page_size: int = 100, delay: float = 0.01,
                 progress: bool = False) -> None:
    rng = random.Random(20261126)
    full, posts = stream
    arrivals = sorted((p for name in KNOWN_SOURCES for p in full.posts(name)),
                      key=lambda p: p.created_at)
    world = World(arrivals[:30])
    arrivals = arrivals[30:]
    box = Sandbox(world=world).start()
    try:
        config = box.configure(load_config(REPO / "config.toml"), database_url=db_url)
        # A tiny page size makes a cycle many transactions long: kills land between them.
        config = config.model_copy(update={"sources": config.sources.model_copy(update={
            "twitter": config.sources.twitter.model_copy(update={"max_results": 10,
                                                                  "page_budget": 100}),
            "bluesky": config.sources.bluesky.model_copy(
                update={"page_size": bluesky_page_size})})})
        brand = config.brands[0]
        calm = brand.escalation.model_copy(update={"crisis": brand.escalation.crisis.model_copy(
            update={"enabled": False})})  # individual alerts, not one crisis summary
        config = config.model_copy(update={"brands": [brand.model_copy(
            update={"escalation": calm})]})
        cfg = write_config(fast_scoring(config), tmp_path / "config.toml")
        env = box.environment(config)
        for emulator in box.emulators.values():  # slow enough that kills land mid-cycle
            emulator.inject(Fault(path=".", delay=delay, times=-1))

        db = open_database(db_url, migrate=False)
        mid_collect = 0
        per_round = max(1, len(arrivals) // kills)
        for round_ in range(kills):
            # the stream keeps flowing between runs, as it does between real polls
            world.add(*arrivals[round_ * per_round:(round_ + 1) * per_round])
            seen = sum(len(e.requests) for e in box.emulators.values())
            proc = vigia_process(["run", "--once", "--config", str(cfg)], env, tmp_path)
            if progress:  # kill at a random point after the cycle has started talking to APIs
                _wait_for_requests(box, seen, proc)
                time.sleep(rng.uniform(0.0, 2.5))
            else:
                time.sleep(rng.uniform(0.5, 3.0))
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            with db.transaction() as s:
                so_far = s.execute(select(func.count()).select_from(MentionRow)).scalar_one()
            mid_collect += 0 < so_far < sum(1 for p in posts if world.get(p.platform, p.id))
        world.add(*arrivals[kills * per_round:])
        # some kills landed in the middle of collecting, not all before or after it
        assert mid_collect >= min(kills, 3)

        for emulator in box.emulators.values():
            emulator.clear_faults()
        # The next cycle, a few minutes later: a Slack call killed mid-flight keeps its
        # in-flight lease for two minutes (a slow worker is not a dead one), then reconciles.
        later = datetime.now(UTC) + timedelta(minutes=3)
        rt = Runtime(config=load_config(cfg), db=open_database(db_url), env=env,
                     clock=lambda: later)
        run_cycle(rt, digests=False)
        run_cycle(rt, digests=False)
        rt.close()

        with db.transaction() as s:
            stored = s.execute(select(MentionRow.source, MentionRow.external_id)).all()
            unscored = s.execute(
                select(func.count()).select_from(MentionRow)
                .outerjoin(ScoreRow, ScoreRow.mention_id == MentionRow.id)
                .where(ScoreRow.mention_id.is_(None))
            ).scalar_one()
            alerted = s.execute(
                select(AlertRow.key).where(AlertRow.kind == "mention",
                                           AlertRow.sent_at.is_not(None))
            ).scalars().all()
        db.dispose()

        # every mention stored exactly once, none skipped by a cursor
        assert len(stored) == len(set(stored)) == len(posts)
        assert collections.Counter(source for source, _ in stored) == collections.Counter(
            p.platform for p in posts)
        assert unscored == 0
        # every alert reached Slack exactly once
        keys = [
            (m.metadata or {}).get("event_payload", {}).get("key")
            for m in box.slack.top_level(ALERT_CHANNEL)
        ]
        dupes = [k for k, n in collections.Counter(keys).items() if n > 1]
        assert not dupes, f"alerts sent twice: {dupes}"
        assert sorted(keys) == sorted(alerted) and alerted
    finally:
        box.stop()
