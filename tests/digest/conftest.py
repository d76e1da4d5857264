"""Fixtures of the digest tests (helpers live in digest_fixture.py: unique module name)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from digest_fixture import SOL, HandWorkedWeek, load_hand_worked_week, make_config

from monitor.config import Config
from monitor.sandbox.slack_api import VALID_TOKEN, SlackEmulator
from monitor.storage.db import Database


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
