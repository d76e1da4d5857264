"""Reply-from-Slack fixtures: a delivered alert whose mention also lives on the platform's
emulator, and the X emulator with a user-context token for the brand account."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import select

from alerts import delivery, engine
from monitor.config import Config
from monitor.sandbox.slack_api import SlackEmulator, SlackMessage
from monitor.sandbox.twitter_api import TwitterEmulator
from monitor.sandbox.world import World as SandboxWorld
from monitor.sandbox.world import WorldPost
from monitor.storage.db import Database
from monitor.storage.tables import MentionRow
from sources.twitter_reply import TwitterReplier, XUserCredentials
from tests.alerts.conftest import CHANNEL, MONDAY_NOON, Sleeper, World, make_config, minutes

USER = "U0CM12345"
OTHER = "U0CM67890"
BRAND_X_ID = "9001"
USER_TOKEN = "sandbox-x-user-token"
NOW = MONDAY_NOON + minutes(14)


def reply_config(**brand: Any) -> Config:
    settings = {"enabled": True, "allowed_users": [USER, OTHER], **brand}
    return make_config(brand={"reply_from_slack": settings}, slack={"app_id": "A0VIGIA01"})


@dataclass
class Case:
    key: str
    mention_id: int
    external_id: str
    message: SlackMessage


def post_case(db: Database, config: Config, world: World, client: WebClient,
              emulator: SlackEmulator, sandbox: SandboxWorld, *, source: str = "twitter",
              text: str = "Mi pedido no llega, ¡llevo dos semanas esperando!") -> Case:
    """Store a negative mention, mirror it on the platform emulator, alert and deliver it."""
    mid = world.mention(text, at=MONDAY_NOON, source=source)
    with db.transaction() as s:
        ext = s.execute(select(MentionRow.external_id).where(MentionRow.id == mid)).scalar_one()
    sandbox.add(WorldPost(source, ext, "1501", "cliente", "Ana Pérez", text, MONDAY_NOON,
                          thread_id=ext))
    engine.run(db, config, MONDAY_NOON + minutes(10))
    delivery.deliver(db, client, config, MONDAY_NOON + minutes(10), sleep=Sleeper())
    message = next(m for m in emulator.top_level(CHANNEL)
                   if f"mention:{mid}" in str(m.metadata))
    return Case(f"mention:{mid}", mid, ext, message)


@pytest.fixture
def sandbox() -> SandboxWorld:
    return SandboxWorld()


@pytest.fixture
def x_api(sandbox: SandboxWorld) -> Iterator[TwitterEmulator]:
    emu = TwitterEmulator(sandbox, user_tokens={USER_TOKEN: (BRAND_X_ID, "tiendasol")},
                          clock=lambda: NOW.timestamp())
    emu.start()
    yield emu
    emu.stop()


def x_replier(x_api: TwitterEmulator, *, token: str = USER_TOKEN,
              timeout_s: float = 5.0) -> TwitterReplier:
    return TwitterReplier(XUserCredentials(user_token=token), api_base=x_api.base_url,
                          timeout_s=timeout_s, now=lambda: NOW)


def at(minute: float) -> datetime:
    return MONDAY_NOON + minutes(minute)
