"""SIGKILL at random points of a cycle, many times in a row: nothing lost, nothing twice."""

from __future__ import annotations

import collections
import os
import random
import signal
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from monitor.config import load_config
from monitor.sandbox.http import Fault
from monitor.sandbox.runner import Sandbox
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
    world, posts = stream_world(120, now)
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
        progress = []
        for _ in range(KILLS):
            proc = vigia_process(["run", "--once", "--config", str(cfg)], env, tmp_path)
            time.sleep(rng.uniform(0.3, 2.5))
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            with db.transaction() as s:
                progress.append(s.execute(select(func.count()).select_from(MentionRow))
                                .scalar_one())
        # the kills landed at different points of the work, not all before or after it
        assert len(set(progress)) >= min(KILLS, 3), progress

        for emulator in box.emulators.values():
            emulator.clear_faults()
        final = vigia_process(["run", "--once", "--config", str(cfg)], env, tmp_path)
        out, _ = final.communicate(timeout=300)
        assert final.returncode == 0, out.decode()

        with db.transaction() as s:
            stored = s.execute(select(MentionRow.source, MentionRow.external_id)).all()
            unscored = s.execute(
                select(func.count()).select_from(MentionRow)
                .outerjoin(ScoreRow, ScoreRow.mention_id == MentionRow.id)
                .where(ScoreRow.mention_id.is_(None))
            ).scalar_one()
            alerted = s.execute(
                select(AlertRow.key).where(AlertRow.kind == "mention", AlertRow.sent_at.is_not(None))
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
