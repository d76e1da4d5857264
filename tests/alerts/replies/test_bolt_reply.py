"""Reply through Bolt's dispatch: realistic block_actions and view_submission payloads, the
Slack emulator (views.open/update) and the X emulator behind tweepy."""

from __future__ import annotations

import json
from typing import Any

import pytest
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient

from alerts import engine
from monitor.config import Config
from monitor.sandbox.slack_api import SlackEmulator
from monitor.sandbox.twitter_api import TwitterEmulator
from monitor.sandbox.world import World as SandboxWorld
from monitor.sandbox.world import WorldPost
from monitor.storage.db import Database
from tests.alerts.conftest import World, make_config
from tests.alerts.replies.conftest import (
    BRAND_X_ID,
    OTHER,
    USER,
    Case,
    at,
    bolt,
    post_case,
    reply_click,
    reply_config,
    submission,
    text_block,
    x_replier,
)

NASTY = "<!channel> *gratis* @tiendasol mi pedido <https://evil.example|tiendasol.com> no llega"


@pytest.fixture
def config() -> Config:
    return reply_config()


@pytest.fixture
def case(db: Database, config: Config, world: World, client: WebClient,
         emulator: SlackEmulator, sandbox: SandboxWorld) -> Case:
    return post_case(db, config, world, client, emulator, sandbox, text=NASTY)


def dispatch(app: Any, body: dict[str, Any]) -> dict[str, Any]:
    response = app.dispatch(BoltRequest(body=body, mode="socket_mode"))
    assert response.status == 200
    return json.loads(response.body) if response.body else {}


def opened(emulator: SlackEmulator) -> tuple[str, dict[str, Any]]:
    view_id = sorted(emulator.views)[-1]
    return view_id, emulator.views[view_id]


def test_card_has_reply_button_only_when_enabled(db: Database, world: World,
                                                 client: WebClient, emulator: SlackEmulator,
                                                 sandbox: SandboxWorld) -> None:
    on = post_case(db, reply_config(), world, client, emulator, sandbox)
    assert "vigia_reply" in json.dumps(on.message.blocks)
    mid = world.mention("Otro pedido perdido", at=at(1))
    engine.run(db, make_config(), at(12))
    from alerts import delivery
    from tests.alerts.conftest import Sleeper

    delivery.deliver(db, client, make_config(), at(12), sleep=Sleeper())
    off = next(m for m in emulator.messages if f"mention:{mid}" in str(m.metadata))
    assert "vigia_reply" not in json.dumps(off.blocks)


def test_reply_click_opens_the_modal_escaped_with_suggestions(
        db: Database, config: Config, client: WebClient, emulator: SlackEmulator,
        case: Case, x_api: TwitterEmulator) -> None:
    app = bolt(db, config, client, {"twitter": x_replier(x_api)})
    dispatch(app, reply_click(case.key, case.message))
    assert emulator.opened == ["1234567.8901234.abcdef"]  # the click's trigger_id
    _view_id, view = opened(emulator)
    shown = json.dumps(view, ensure_ascii=False)
    assert "<!channel>" not in shown and "<https://evil" not in shown  # mention escaped
    assert "&lt;!channel&gt;" in shown
    select = next(b for b in view["blocks"] if b.get("block_id") == "vigia_reply_pick")
    options = select["elements"][0]["options"]
    assert 2 <= len(options) <= 3
    field = text_block(view)["element"]
    assert field["initial_value"].startswith(("Hola", "¡Hola", "Ana"))
    assert field["max_length"] == 280
    budget = next(b for b in view["blocks"] if b.get("block_id") == "vigia_reply_budget")
    assert "/ 280 characters" in budget["elements"][0]["text"]


def test_send_posts_once_closes_card_and_survives_slack_retry(
        db: Database, config: Config, world: World, client: WebClient,
        emulator: SlackEmulator, case: Case, x_api: TwitterEmulator) -> None:
    app = bolt(db, config, client, {"twitter": x_replier(x_api)})
    dispatch(app, reply_click(case.key, case.message))
    view_id, view = opened(emulator)
    typed = "Hola Ana & equipo <3 *gracias* por avisar; escríbenos por DM."
    body = submission(view_id, view, typed)
    first = dispatch(app, body)
    retry = dispatch(app, body)  # Slack re-sends when the ack is late
    assert first["response_action"] == "update" and "posted" in json.dumps(first["view"])
    assert retry["response_action"] == "update"
    assert [p["text"] for p in x_api.posted] == [typed]  # as typed: no &amp; or escapes
    assert world.alert(case.mention_id).state == "answered"
    shown = json.dumps(case.message.blocks, ensure_ascii=False)
    assert f"Respondido desde Slack por <@{USER}> en 14 min" in shown
    assert "vigia_reply" not in shown


def test_answered_meanwhile_needs_confirmation(
        db: Database, config: Config, client: WebClient, emulator: SlackEmulator,
        case: Case, x_api: TwitterEmulator) -> None:
    app = bolt(db, config, client, {"twitter": x_replier(x_api)})
    dispatch(app, reply_click(case.key, case.message, user=USER, trigger="t.1"))
    dispatch(app, reply_click(case.key, case.message, user=OTHER, trigger="t.2"))
    (ana_id, ana_view), (leo_id, leo_view) = sorted(emulator.views.items())
    dispatch(app, submission(ana_id, ana_view, "Hola, escríbenos por DM por favor."))
    answer = dispatch(app, submission(leo_id, leo_view, "Hola, ¿nos pasas tu pedido?",
                                      user=OTHER))
    assert answer["response_action"] == "update"
    shown = json.dumps(answer["view"], ensure_ascii=False)
    assert "already answered" in shown and "vigia_reply_confirm" in shown
    assert "¿nos pasas tu pedido?" in shown  # the text is kept
    assert len(x_api.posted) == 1
    again = dispatch(app, submission(leo_id, answer["view"], "Hola, ¿nos pasas tu pedido?",
                                     user=OTHER, confirm=True))
    assert again["response_action"] == "update" and len(x_api.posted) == 2


def test_refused_user_gets_plain_refusal_and_nothing_is_sent(
        db: Database, client: WebClient, emulator: SlackEmulator, world: World,
        sandbox: SandboxWorld, x_api: TwitterEmulator) -> None:
    config = reply_config(allowed_users=[OTHER])
    case = post_case(db, config, world, client, emulator, sandbox)
    app = bolt(db, config, client, {"twitter": x_replier(x_api)})
    dispatch(app, reply_click(case.key, case.message, user=USER))
    _view_id, view = opened(emulator)
    assert "not on the list" in json.dumps(view) and "vigia_reply_text" not in json.dumps(view)
    allowed_view = reply_config()  # a modal opened while USER was allowed, submitted after
    dispatch(bolt(db, allowed_view, client, {"twitter": x_replier(x_api)}),
             reply_click(case.key, case.message, user=USER, trigger="t.3"))
    view_id, form = opened(emulator)
    answer = dispatch(app, submission(view_id, form, "Hola"))
    assert "not on the list" in json.dumps(answer["view"]) and x_api.posted == []


def test_user_group_membership_allows(db: Database, client: WebClient,
                                      emulator: SlackEmulator, world: World,
                                      sandbox: SandboxWorld, x_api: TwitterEmulator) -> None:
    config = reply_config(allowed_users=[], allowed_groups=["S0CMTEAM1"])
    emulator.groups["S0CMTEAM1"] = [USER]
    case = post_case(db, config, world, client, emulator, sandbox)
    app = bolt(db, config, client, {"twitter": x_replier(x_api)})
    dispatch(app, reply_click(case.key, case.message))
    view_id, view = opened(emulator)
    answer = dispatch(app, submission(view_id, view, "Hola, escríbenos por DM."))
    assert answer["response_action"] == "update" and len(x_api.posted) == 1


def test_platform_error_shown_in_modal_with_text_kept(
        db: Database, config: Config, client: WebClient, emulator: SlackEmulator,
        case: Case, x_api: TwitterEmulator, sandbox: SandboxWorld) -> None:
    text = "Hola Ana, lo sentimos. Escríbenos por DM."
    sandbox.add(WorldPost("twitter", "1", BRAND_X_ID, "tiendasol", "Sol", text, at(-60),
                          by_brand=True))
    app = bolt(db, config, client, {"twitter": x_replier(x_api)})
    dispatch(app, reply_click(case.key, case.message))
    view_id, view = opened(emulator)
    answer = dispatch(app, submission(view_id, view, text))
    assert answer["response_action"] == "errors"  # Slack keeps the modal and its text
    (message,) = answer["errors"].values()
    assert "exactly the same words" in message and x_api.posted == []


def test_too_long_for_x_is_refused_before_sending(
        db: Database, config: Config, client: WebClient, emulator: SlackEmulator,
        case: Case, x_api: TwitterEmulator) -> None:
    app = bolt(db, config, client, {"twitter": x_replier(x_api)})
    dispatch(app, reply_click(case.key, case.message))
    view_id, view = opened(emulator)
    answer = dispatch(app, submission(view_id, view, "á" * 275))  # + "@cliente " > 280
    assert answer["response_action"] == "errors"
    assert "Too long" in next(iter(answer["errors"].values())) and x_api.posted == []


def test_picking_a_suggestion_refills_the_text(
        db: Database, config: Config, client: WebClient, emulator: SlackEmulator,
        case: Case, x_api: TwitterEmulator) -> None:
    app = bolt(db, config, client, {"twitter": x_replier(x_api)})
    dispatch(app, reply_click(case.key, case.message))
    view_id, view = opened(emulator)
    options = next(b for b in view["blocks"] if b.get("block_id") == "vigia_reply_pick"
                   )["elements"][0]["options"]
    body = {"type": "block_actions", "user": {"id": USER, "team_id": "T1234567890"},
            "api_app_id": "A0VIGIA01", "team": {"id": "T1234567890"},
            "container": {"type": "view", "view_id": view_id},
            "trigger_id": "t.9", "view": {**view, "id": view_id, "hash": f"{view_id}.0"},
            "actions": [{"action_id": "vigia_reply_pick", "block_id": "vigia_reply_pick",
                         "type": "static_select", "selected_option": options[1],
                         "action_ts": "1700000001.000100"}]}
    dispatch(app, body)
    updated = emulator.views[view_id]
    field = text_block(updated)
    assert field["block_id"] == "vigia_reply_text_1"  # new block: Slack takes the new text
    assert field["element"]["initial_value"] != text_block(view)["element"]["initial_value"]
