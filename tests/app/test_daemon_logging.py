"""The daemon's log in normal operation: its start is news (INFO), not a warning, and a job
triggered while it runs (the normal case: a poll triggers scoring) warns about nothing."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest
from apscheduler.events import EVENT_JOB_MAX_INSTANCES, JobSubmissionEvent

from monitor.config import load_config
from monitor.runtime import Runtime
from monitor.scheduler import Daemon
from monitor.storage.db import open_database

REPO = Path(__file__).resolve().parents[2]


def _daemon(db_url: str) -> Daemon:
    config = load_config(REPO / "config.toml")  # every source disabled: no poll jobs
    config = config.model_copy(update={"database": config.database.model_copy(
        update={"url": db_url})})
    return Daemon(Runtime(config=config, db=open_database(db_url), env={}), role="collect")


def test_start_and_stop_are_info_not_warnings(db_url: str,
                                              caplog: pytest.LogCaptureFixture) -> None:
    daemon = _daemon(db_url)
    with caplog.at_level(logging.INFO):
        daemon.start()
        daemon.stop()
    daemon.rt.close()
    lines = {r.getMessage().split(" (")[0]: r.levelno for r in caplog.records
             if r.name == "monitor.scheduler"}
    assert lines.get("vigia daemon started") == logging.INFO
    assert lines.get("vigia daemon stopped cleanly") == logging.INFO
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_job_triggered_while_it_runs_warns_about_nothing(
        db_url: str, caplog: pytest.LogCaptureFixture) -> None:
    daemon = _daemon(db_url)
    started, release, refused = threading.Event(), threading.Event(), threading.Event()
    again = threading.Event()
    runs: list[int] = []

    def work() -> None:
        runs.append(1)
        (again if len(runs) > 1 else started).set()
        release.wait(30)

    def on_refused(_event: JobSubmissionEvent) -> None:
        refused.set()

    daemon.scheduler.add_job(daemon._guarded("slow", work), "interval", hours=1, id="slow",
                             next_run_time=daemon.rt.now())
    daemon.scheduler.add_listener(on_refused, EVENT_JOB_MAX_INSTANCES)
    with caplog.at_level(logging.INFO):
        daemon.scheduler.start()
        assert started.wait(30)
        daemon._trigger("slow")  # what a poll does to scoring when it stores new mentions
        assert refused.wait(30)  # APScheduler dropped the tick: the job was still running
        release.set()
        assert again.wait(30)  # the trigger was not lost: the job ran again after the first
        daemon.stop()
    daemon.rt.close()
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
