"""SIGKILL at random points of a cycle, many times in a row: nothing lost, nothing twice."""

from __future__ import annotations

import collections
import os
import random
import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from monitor.config import load_config
from monitor.pipeline import run_cycle
from monitor.runtime import Runtime
from monitor.sandbox.http import Fault
from monitor.sandbox.runner import Sandbox
from monitor.sandbox.world import World
from monitor.storage.db import open_database
from monitor.storage.tables import AlertRow, MentionRow, ScoreRow
from tests.process_harness import vigia_process, write_config
from tests.reliability.stream import stream_world

REPO = Path(__file__).resolve().parents[2]
KILLS = int(os.environ.get("VIGIA_KILL_ROUNDS", "50"))
ALERT_CHANNEL = "#tienda-sol-alertas"


def test_sigkill_mid_cycle_loses_nothing_and_sends_nothing_twice(
    tmp_path: Path, db_url: str
) -> None:
    rng = random.Random(20261126)
    now = datetime.now(UTC)
    full, posts = stream_world(150, now)
    arrivals = sorted((p for name in ("twitter", "reddit", "facebook") for p in full.posts(name)),
                      key=lambda p: p.created_at)
    world = World(arrivals[:30])
    arrivals = arrivals[30:]
    box = Sandbox(world=world).start()
    try:
        config = box.configure(load_config(REPO / "config.toml"), database_url=db_url)
        # A tiny page size makes a cycle many transactions long: kills land between them.
        config = config.model_copy(update={"sources": config.sources.model_copy(update={
            "twitter": config.sources.twitter.model_copy(update={"max_results": 10,
                                                                  "page_budget": 100})})})
        brand = config.brands[0]
        calm = brand.escalation.model_copy(update={"crisis": brand.escalation.crisis.model_copy(
            update={"enabled": False})})  # individual alerts, not one crisis summary
        config = config.model_copy(update={"brands": [brand.model_copy(
            update={"escalation": calm})]})
        cfg = write_config(config, tmp_path / "config.toml")
        env = box.environment(config)
        for emulator in box.emulators.values():  # slow enough that kills land mid-cycle
            emulator.inject(Fault(path=".", delay=0.01, times=-1))

        db = open_database(db_url, migrate=False)
        mid_collect = 0
        per_round = max(1, len(arrivals) // KILLS)
        for round_ in range(KILLS):
            # the stream keeps flowing between runs, as it does between real polls
            world.add(*arrivals[round_ * per_round:(round_ + 1) * per_round])
            proc = vigia_process(["run", "--once", "--config", str(cfg)], env, tmp_path)
            time.sleep(rng.uniform(0.5, 3.0))
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            with db.transaction() as s:
                stored = s.execute(select(func.count()).select_from(MentionRow)).scalar_one()
            mid_collect += 0 < stored < sum(1 for p in posts if world.get(p.platform, p.id))
        world.add(*arrivals[KILLS * per_round:])
        # some kills landed in the middle of collecting, not all before or after it
        assert mid_collect >= min(KILLS, 3)

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
