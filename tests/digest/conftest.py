"""Fixtures of the digest tests: a config, a mention factory and the hand-worked week."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from digest_fixture import HandWorkedWeek, load_hand_worked_week

from monitor.config import Config, parse_config
from monitor.sandbox.slack_api import VALID_TOKEN, SlackEmulator
from monitor.storage.db import Database


def make_config(tmp_path: Path, brands: list[dict[str, Any]], **slack: Any) -> Config:
    """A validated Config whose file lives in tmp_path (so reports_dir resolves there)."""
    data: dict[str, Any] = {
        "database": {"url": "sqlite:///" + str(tmp_path / "cli.db")},
        "brands": [{"keywords": {"terms": [b["name"].lower()]}, **b} for b in brands],
    }
    if slack:
        data["slack"] = slack
    return parse_config(data, tmp_path / "config.toml")


SOL = {"name": "Sol", "timezone": "Europe/Madrid", "marketing_channel": "#marketing",
       "languages": ["es", "en", "pt"]}


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path, [SOL])


@pytest.fixture
def week47(db: Database) -> HandWorkedWeek:
    return load_hand_worked_week(db)


@pytest.fixture
def slack_emulator() -> Iterator[SlackEmulator]:
    emulator = SlackEmulator()
    emulator.start()
    yield emulator
    emulator.stop()


@pytest.fixture
def slack_config(tmp_path: Path, slack_emulator: SlackEmulator) -> Config:
    return make_config(tmp_path, [SOL], api_base=slack_emulator.base_url + "/api/")


@pytest.fixture
def slack_env() -> dict[str, str]:
    return {"SLACK_BOT_TOKEN": VALID_TOKEN}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


AS_OF = utc(2026, 11, 23, 8, 0)  # Monday 09:00 in Madrid: W47's digest is due
HOUR = timedelta(hours=1)
