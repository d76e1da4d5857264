"""`vigia run` as a daemon: alerts flow, keyword edits reload live, SIGTERM stops cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.config import load_config
from monitor.keywords.editing import add_keyword
from monitor.sandbox.runner import Sandbox
from monitor.sandbox.world import WorldPost, twitter_id
from tests.e2e.conftest import e2e_world
from tests.process_harness import vigia_process, write_config

REPO = Path(__file__).resolve().parents[2]
CHANNEL = "#tienda-sol-alertas"


def _wait(predicate: Callable[[], bool], timeout: float = 40.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_daemon_alerts_reloads_keywords_and_stops_cleanly(tmp_path: Path, db_url: str) -> None:
    now = datetime.now(UTC)
    box = Sandbox(world=e2e_world(now)).start()
    proc: subprocess.Popen[bytes] | None = None
    try:
        config = box.configure(load_config(REPO / "config.toml"), database_url=db_url)
        fast = {name: getattr(config.sources, name).model_copy(update={"interval_minutes": 0.05})
                for name, _ in config.sources.items()}
        config = config.model_copy(update={"sources": config.sources.model_copy(update=fast)})
        cfg = write_config(config, tmp_path / "config.toml")
        proc = vigia_process(["-v", "run", "--config", str(cfg)], box.environment(config),
                             tmp_path)

        assert _wait(lambda: len(box.slack.top_level(CHANNEL)) == 1), "no alert from daemon"

        if db_url.startswith("sqlite"):  # single-process: a second daemon is refused
            second = vigia_process(["run", "--config", str(cfg)], box.environment(config),
                                   tmp_path)
            out, _ = second.communicate(timeout=60)
            assert second.returncode != 0
            assert "another vigia daemon is already running" in out.decode()

        # A post naming a keyword we do not watch yet, then the keyword is added live.
        at = now - timedelta(minutes=20)
        box.world.add(WorldPost("twitter", twitter_id(at, 9), "1600", "rosa_cl", "Rosa",
                                "Hace un mes que el envío de SolMarket no llega, pésimo", at,
                                followers=50, lang="es"))
        time.sleep(1)
        assert len(box.slack.top_level(CHANNEL)) == 1
        add_keyword(cfg, "Tienda Sol", "terms", "SolMarket")
        assert _wait(lambda: any('"SolMarket"' in q.get("query", "") or "SolMarket" in
                                 q.get("query", "") for q in box.emulators["twitter"]
                                 .search_queries())), "new query never sent"  # type: ignore[attr-defined]
        assert _wait(lambda: len(box.slack.top_level(CHANNEL)) == 2), "reloaded keyword unused"

        # SIGHUP reloads even when the file's mtime did not move (e.g. restored by a deploy)
        stat = cfg.stat()
        add_keyword(cfg, "Tienda Sol", "terms", "SolOutlet")
        os.utime(cfg, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        proc.send_signal(signal.SIGHUP)
        assert _wait(lambda: any(
            "SolOutlet" in q.get("query", "")
            for q in box.emulators["twitter"].search_queries())  # type: ignore[attr-defined]
        ), "SIGHUP did not reload"

        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
        log = out.decode()
        assert proc.returncode == 0, log
        assert "config reloaded" in log and "SolMarket" in log
        assert "stopped cleanly" in log
        assert "Traceback" not in log
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
        box.stop()
