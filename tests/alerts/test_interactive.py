"""The five buttons: their effect on the database and on the Slack message, directly and
through the Bolt app with realistic Socket Mode `block_actions` payloads."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient
from sqlalchemy import select

from alerts import delivery, engine
from alerts.interactive import apply_action, build_app
from monitor.config import Config
from monitor.sandbox.slack_api import TEAM_ID, SlackEmulator, SlackMessage
from monitor.storage import alerts as store
from monitor.storage.db import Database
from monitor.storage.tables import CorrectionRow
from tests.alerts.conftest import (
    CHANNEL,
    MONDAY_NOON,
    Sleeper,
    SyncExecutor,
    World,
    make_config,
    minutes,
)

APP_ID = "A0VIGIA01"
USER = "U0CM12345"
NOW = MONDAY_NOON + minutes(20)


@pytest.fixture
def config() -> Config:
    return make_config(slack={"app_id": APP_ID})


@pytest.fixture
def posted(db: Database, config: Config, world: World, emulator: SlackEmulator,
           client: WebClient) -> tuple[str, SlackMessage]:
    """One alert, delivered: (alert key, the Slack message)."""
    mid = world.mention("No me devuelven el dinero del reembolso", at=MONDAY_NOON)
    engine.run(db, config, MONDAY_NOON + minutes(10))
    delivery.deliver(db, client, config, MONDAY_NOON + minutes(10), sleep=Sleeper())
    (message,) = emulator.top_level(CHANNEL)
    return f"mention:{mid}", message


def shown(blocks: list[dict[str, Any]] | None) -> str:
    return json.dumps(blocks or [], ensure_ascii=False)


def has_buttons(blocks: list[dict[str, Any]] | None) -> bool:
    return any(b["type"] == "actions" for b in blocks or [])


def click_body(action_id: str, key: str, message: SlackMessage, *, app_id: str = APP_ID,
               team: str = TEAM_ID, channel: dict[str, str] | None = None) -> dict[str, Any]:
    """A block_actions payload shaped like the one Slack sends over Socket Mode."""
    channel = channel or {"id": message.channel, "name": "alerts-sol"}
    return {
        "type": "block_actions",
        "user": {"id": USER, "username": "ana", "name": "ana", "team_id": team},
        "api_app_id": app_id,
        "token": "verification-token-unused",
        "container": {"type": "message", "message_ts": message.ts,
                      "channel_id": channel["id"], "is_ephemeral": False},
        "trigger_id": "1234567.8901234.abcdef",
        "team": {"id": team, "domain": "acme"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": channel,
        "message": {"type": "message", "ts": message.ts, "text": message.text,
                    "blocks": message.blocks, "bot_id": "B02P8CPE143"},
        "state": {"values": {}},
        "response_url": "https://hooks.slack.com/actions/T1234567890/1/abc",
        "actions": [{"action_id": action_id, "block_id": "vigia_actions", "value": key,
                     "type": "button", "text": {"type": "plain_text", "text": "x"},
                     "action_ts": "1700000000.000100"}],
    }


# apply_action, called directly ----------------------------------------------------------


def test_answered(db: Database, world: World, posted: tuple[str, SlackMessage]) -> None:
    key, _ = posted
    result = apply_action(db, "vigia_answered", key, USER, NOW)
    assert result.ok and result.state == "answered"
    alert = world.alerts(key=key)[0]
    assert (alert.closed_by, alert.close_reason) == (USER, "marked_answered")
    assert not has_buttons(result.blocks) and f"<@{USER}>" in shown(result.blocks)


def test_snooze_one_hour(db: Database, world: World, posted: tuple[str, SlackMessage]) -> None:
    key, _ = posted
    result = apply_action(db, "vigia_snooze", key, USER, NOW)
    alert = world.alerts(key=key)[0]
    assert (alert.state, alert.snoozed_until) == ("snoozed", NOW + timedelta(hours=1))
    assert "Pospuesta" in shown(result.blocks) and has_buttons(result.blocks)


def test_not_relevant(db: Database, world: World, posted: tuple[str, SlackMessage]) -> None:
    key, _ = posted
    result = apply_action(db, "vigia_not_relevant", key, USER, NOW)
    alert = world.alerts(key=key)[0]
    assert (alert.state, alert.close_reason, alert.closed_by) == (
        "dismissed", "not_relevant", USER)
    assert not has_buttons(result.blocks)


def test_assign_to_me(db: Database, world: World, posted: tuple[str, SlackMessage]) -> None:
    key, _ = posted
    result = apply_action(db, "vigia_assign", key, USER, NOW)
    alert = world.alerts(key=key)[0]
    assert (alert.state, alert.assigned_to) == ("open", USER)
    assert f"Asignada a <@{USER}>" in shown(result.blocks) and has_buttons(result.blocks)


def test_wrong_sentiment_records_one_correction(db: Database, world: World,
                                                posted: tuple[str, SlackMessage]) -> None:
    """The Vigía 1 button, still on cards posted before the upgrade."""
    key, _ = posted
    result = apply_action(db, "vigia_wrong_sentiment", key, USER, NOW)
    assert result.ok and not has_buttons(result.blocks)
    again = apply_action(db, "vigia_wrong_sentiment", key, "U0OTHER01", NOW)
    assert not again.ok and again.message == "already dismissed"
    with db.transaction() as s:
        rows = list(s.execute(select(CorrectionRow)).scalars())
        found = [(r.old_label, r.new_label, r.lang, r.user, r.old_category, r.new_category)
                 for r in rows]
    assert found == [("negative", None, "es", USER, "complaint", "other")]
    alert = world.alerts(key=key)[0]
    assert (alert.state, alert.close_reason) == ("dismissed", "wrong_sentiment")


def test_not_a_complaint_closes_and_stores_a_training_example(
        db: Database, world: World, posted: tuple[str, SlackMessage]) -> None:
    key, _ = posted
    result = apply_action(db, "vigia_correct", f"other|{key}", USER, NOW)
    assert result.ok and not has_buttons(result.blocks)
    alert = world.alerts(key=key)[0]
    assert (alert.state, alert.close_reason) == ("dismissed", "not_complaint")
    with db.transaction() as s:
        exported = store.corrections(s)
    assert len(exported) == 1
    row = exported[0]
    assert (row["category"], row["was_category"], row["lang"], row["model"]) == (
        "other", "complaint", "es", "test")
    assert row["text"] == "No me devuelven el dinero del reembolso"


def test_it_is_a_question_keeps_the_case_open_on_the_question_track(
        db: Database, world: World, posted: tuple[str, SlackMessage]) -> None:
    key, _ = posted
    result = apply_action(db, "vigia_correct", f"question|{key}", USER, NOW)
    assert result.ok and has_buttons(result.blocks)
    alert = world.alerts(key=key)[0]
    assert (alert.state, alert.track) == ("open", "question")
    again = apply_action(db, "vigia_correct", f"question|{key}", USER, NOW)
    assert not again.ok and "already a question" in again.message
    with db.transaction() as s:
        assert [r["category"] for r in store.corrections(s)] == ["question"]


def test_a_forged_correction_value_is_refused(db: Database,
                                             posted: tuple[str, SlackMessage]) -> None:
    result = apply_action(db, "vigia_correct", f"spam|{posted[0]}", USER, NOW)
    assert not result.ok and "not a correction" in result.message


def test_unknown_alert_and_action(db: Database, posted: tuple[str, SlackMessage]) -> None:
    assert not apply_action(db, "vigia_answered", "mention:999999", USER, NOW).ok
    result = apply_action(db, "vigia_explode", posted[0], USER, NOW)
    assert not result.ok and "unknown action" in result.message


# through the Bolt app ---------------------------------------------------------------------


def bolt(db: Database, config: Config, client: WebClient) -> Any:
    return build_app(db, config, client, now=lambda: NOW, listener_executor=SyncExecutor())


@pytest.mark.parametrize(("action_id", "state", "buttons"), [
    ("vigia_answered", "answered", False),
    ("vigia_snooze", "snoozed", True),
    ("vigia_not_relevant", "dismissed", False),
    ("vigia_assign", "open", True),
    ("vigia_wrong_sentiment", "dismissed", False),
    ("vigia_correct", "dismissed", False),
])
def test_click_through_socket_mode_updates_db_and_message(
        db: Database, config: Config, world: World, client: WebClient,
        posted: tuple[str, SlackMessage], action_id: str, state: str, buttons: bool) -> None:
    key, message = posted
    app = bolt(db, config, client)
    body = click_body(action_id, key, message)
    if action_id == "vigia_correct":  # an overflow menu sends the chosen option, no value
        body["actions"][0] = {"action_id": action_id, "block_id": "vigia_actions",
                              "type": "overflow", "action_ts": "1700000000.000100",
                              "selected_option": {"text": {"type": "plain_text", "text": "x"},
                                                  "value": f"other|{key}"}}
    response = app.dispatch(BoltRequest(body=body, mode="socket_mode"))
    assert response.status == 200
    assert world.alerts(key=key)[0].state == state
    assert message.updates == 1
    assert has_buttons(message.blocks) is buttons


def test_click_by_channel_id_only_is_accepted(db: Database, config: Config, world: World,
                                              client: WebClient,
                                              posted: tuple[str, SlackMessage]) -> None:
    key, message = posted
    body = click_body("vigia_assign", key, message, channel={"id": message.channel})
    bolt(db, config, client).dispatch(BoltRequest(body=body, mode="socket_mode"))
    assert world.alerts(key=key)[0].assigned_to == USER


@pytest.mark.parametrize("foreign", [
    {"app_id": "A0SOMEONE1"},
    {"team": "T0OTHER999"},
    {"channel": {"id": "C0RANDOM01", "name": "random"}},
], ids=["other-app", "other-team", "other-channel"])
def test_clicks_from_elsewhere_are_ignored(db: Database, config: Config, world: World,
                                           client: WebClient, posted: tuple[str, SlackMessage],
                                           foreign: dict[str, Any]) -> None:
    key, message = posted
    response = bolt(db, config, client).dispatch(
        BoltRequest(body=click_body("vigia_answered", key, message, **foreign),
                    mode="socket_mode"))
    assert response.status == 200  # acknowledged, then ignored
    assert world.alerts(key=key)[0].state == "open"
    assert message.updates == 0


def test_failed_card_update_is_queued_for_delivery(
        db: Database, config: Config, world: World, emulator: SlackEmulator,
        client: WebClient, posted: tuple[str, SlackMessage]) -> None:
    from monitor.sandbox.http import Fault

    key, message = posted
    emulator.inject(Fault(path=r"chat\.update$", status=503, body="down"))
    bolt(db, config, client).dispatch(
        BoltRequest(body=click_body("vigia_answered", key, message), mode="socket_mode"))
    assert world.alerts(key=key)[0].state == "answered" and message.updates == 0
    (queued,) = [o for o in world.outbox(op="update") if o.key.startswith("click:")]
    delivery.deliver(db, client, config, NOW, sleep=Sleeper())
    assert message.updates == 1 and not has_buttons(message.blocks)
    assert world.outbox(id=queued.id)[0].state == "sent"
