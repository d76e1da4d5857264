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
from monitor.sandbox.slack_api import TEAM_ID, SlackEmulator, SlackMessage
from monitor.sandbox.twitter_api import TwitterEmulator
from monitor.sandbox.world import World as SandboxWorld
from monitor.sandbox.world import WorldPost
from monitor.storage.db import Database
from monitor.storage.tables import MentionRow
from sources.twitter_reply import TwitterReplier, XUserCredentials
from tests.alerts.conftest import (
    CHANNEL,
    MONDAY_NOON,
    Sleeper,
    SyncExecutor,
    World,
    make_config,
    minutes,
)

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


APP_ID = "A0VIGIA01"


def reply_click(key: str, message: SlackMessage, *, user: str = USER,
                trigger: str = "1234567.8901234.abcdef") -> dict[str, Any]:
    """The block_actions payload Slack sends over Socket Mode when Reply is pressed."""
    return {
        "type": "block_actions",
        "user": {"id": user, "username": "ana", "name": "ana", "team_id": TEAM_ID},
        "api_app_id": APP_ID, "token": "verification-token-unused",
        "container": {"type": "message", "message_ts": message.ts,
                      "channel_id": message.channel, "is_ephemeral": False},
        "trigger_id": trigger, "team": {"id": TEAM_ID, "domain": "acme"},
        "enterprise": None, "is_enterprise_install": False,
        "channel": {"id": message.channel, "name": "alerts-sol"},
        "message": {"type": "message", "ts": message.ts, "text": message.text,
                    "blocks": message.blocks, "bot_id": "B02P8CPE143"},
        "state": {"values": {}},
        "response_url": "https://hooks.slack.com/actions/T1234567890/1/abc",
        "actions": [{"action_id": "vigia_reply", "block_id": "vigia_actions", "value": key,
                     "type": "button", "text": {"type": "plain_text", "text": "↩️ Reply"},
                     "action_ts": "1700000000.000100"}],
    }


def text_block(view: dict[str, Any]) -> dict[str, Any]:
    return next(b for b in view["blocks"] if str(b.get("block_id", "")).startswith(
        "vigia_reply_text_"))


def submission(view_id: str, view: dict[str, Any], text: str, *, user: str = USER,
               confirm: bool = False) -> dict[str, Any]:
    """The view_submission payload for the modal `view` (as opened) with `text` typed."""
    values: dict[str, Any] = {text_block(view)["block_id"]: {
        "vigia_reply_text": {"type": "plain_text_input", "value": text}}}
    if confirm:
        values["vigia_reply_confirm"] = {"confirm": {
            "type": "checkboxes",
            "selected_options": [{"text": {"type": "plain_text", "text": "Yes, send it"},
                                  "value": "yes"}]}}
    return {
        "type": "view_submission",
        "team": {"id": TEAM_ID, "domain": "acme"},
        "user": {"id": user, "username": "ana" if user == USER else "leo",
                 "name": "ana" if user == USER else "leo", "team_id": TEAM_ID},
        "api_app_id": APP_ID, "token": "verification-token-unused",
        "trigger_id": "7654321.1098765.fedcba",
        "view": {**{k: v for k, v in view.items() if k != "_rev"}, "id": view_id,
                 "team_id": TEAM_ID, "state": {"values": values}, "hash": f"{view_id}.0",
                 "root_view_id": view_id, "app_id": APP_ID, "bot_id": "B02P8CPE143",
                 "previous_view_id": None, "external_id": "", "app_installed_team_id": TEAM_ID},
        "response_urls": [], "is_enterprise_install": False, "enterprise": None,
    }


def bolt(db: Database, config: Config, client: WebClient, repliers: dict[str, Any],
         now: datetime = NOW) -> Any:
    from alerts.interactive import build_app

    return build_app(db, config, client, now=lambda: now, listener_executor=SyncExecutor(),
                     repliers=repliers)
