"""The alert buttons, over Slack Socket Mode (no public URL needed).

The decisions live in `apply_action` (plain function: database in, `ActionResult` out) so they
can be tested and reused without Bolt; `build_app` only wires Bolt to it: acknowledge at once,
ignore clicks from other apps, workspaces or channels, apply, then rewrite the card with
`chat.update` (queued in the outbox when Slack refuses, so the card is fixed later).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from alerts import reply_actions
from alerts.blocks import alert_message
from alerts.engine import card_for
from alerts.policy import BrandClock
from monitor.config import Config
from monitor.storage import alerts as store
from monitor.storage.db import Database
from monitor.storage.outbox import enqueue
from sources.reply_base import Replier

log = logging.getLogger(__name__)

SNOOZE = timedelta(hours=1)
ANSWERED, SNOOZE_ACTION, NOT_RELEVANT, ASSIGN, WRONG_SENTIMENT, CORRECT = (
    "vigia_answered", "vigia_snooze", "vigia_not_relevant", "vigia_assign",
    "vigia_wrong_sentiment", "vigia_correct")
ACTIONS = (ANSWERED, SNOOZE_ACTION, NOT_RELEVANT, ASSIGN, WRONG_SENTIMENT, CORRECT)
CLOSED = ("answered", "dismissed")
# What the "Correct" menu can say a mention is; complaints and questions keep the case open.
CORRECTIONS = ("complaint", "question", "praise", "other")
NEEDS_REPLY = ("complaint", "question")


def correction_value(category: str, alert_key: str) -> str:
    """The menu option's value: the corrected category and the case it is about."""
    return f"{category}|{alert_key}"


def parse_correction(value: str) -> tuple[str, str]:
    """(category, alert key) of a menu option; ValueError for anything else."""
    category, sep, key = value.partition("|")
    if not sep or category not in CORRECTIONS or not key:
        raise ValueError(f"not a correction: {value[:80]!r}")
    return category, key


@dataclass(frozen=True)
class ActionResult:
    """What a click changed, and the rewritten card to show (text/blocks None: nothing to show)."""

    ok: bool
    message: str
    alert_key: str
    state: str | None = None
    channel_id: str | None = None
    ts: str | None = None
    text: str | None = None
    blocks: list[dict[str, Any]] | None = None


def _changes(alert: store.AlertRecord, action_id: str, user_id: str,
             now: datetime) -> tuple[dict[str, Any], str]:
    """Column changes for the click and a short description; ValueError when it cannot apply."""
    if alert.state in CLOSED:
        raise ValueError(f"already {alert.state}")
    if action_id == ANSWERED:
        return ({"state": "answered", "closed_by": user_id, "close_reason": "marked_answered",
                 "closed_at": now, "snoozed_until": None}, "marked answered")
    if action_id == SNOOZE_ACTION:
        return ({"state": "snoozed", "snoozed_until": now + SNOOZE}, "snoozed for 1 h")
    if action_id == NOT_RELEVANT:
        return ({"state": "dismissed", "closed_by": user_id, "close_reason": "not_relevant",
                 "closed_at": now, "snoozed_until": None}, "dismissed as not relevant")
    if action_id == ASSIGN:
        return {"assigned_to": user_id}, "assigned"
    if action_id == WRONG_SENTIMENT:  # the Vigía 1 button, still on older cards
        return ({"state": "dismissed", "closed_by": user_id, "close_reason": "wrong_sentiment",
                 "closed_at": now, "snoozed_until": None}, "dismissed as not negative")
    raise ValueError(f"unknown action {action_id!r}")


def _correction_changes(alert: store.AlertRecord, category: str, user_id: str,
                        now: datetime) -> tuple[dict[str, Any], str]:
    """A complaint that is really a question (or the reverse) still needs its answer: the case
    stays open on the other track. Praise or anything else closes it."""
    if alert.state in CLOSED:
        raise ValueError(f"already {alert.state}")
    if category in NEEDS_REPLY:
        if category == alert.track:
            raise ValueError(f"already a {category}")
        return {"track": category}, f"corrected: it is a {category}"
    return ({"state": "dismissed", "closed_by": user_id, "close_reason": f"not_{alert.track}",
             "closed_at": now, "snoozed_until": None}, f"corrected: {category}, case closed")


def apply_action(db: Database, action_id: str, alert_key: str, user_id: str, now: datetime,
                 *, config: Config | None = None, new_label: str | None = None) -> ActionResult:
    """Apply one button click to the case `alert_key` and rebuild its card.

    For the "Correct" menu `alert_key` is the option's value (`correction_value`).
    Clicks on a closed case change nothing (a second correction adds no second row) but still
    return the current card, so a stale message gets refreshed.
    """
    category: str | None = None
    if action_id == CORRECT:
        try:
            category, alert_key = parse_correction(alert_key)
        except ValueError as exc:
            return ActionResult(False, str(exc), alert_key)
    elif action_id == WRONG_SENTIMENT:
        category = "other"
    with db.transaction() as session:
        alert = store.get_alert(session, alert_key, lock=True)
        if alert is None:
            return ActionResult(False, "unknown alert", alert_key)
        try:
            if action_id == CORRECT and category is not None:
                changes, message = _correction_changes(alert, category, user_id, now)
            else:
                changes, message = _changes(alert, action_id, user_id, now)
            ok = True
        except ValueError as exc:
            changes, message, ok = {}, str(exc), False
        if ok and category is not None and alert.mention_id is not None:
            store.add_correction(session, mention_id=alert.mention_id,
                                 scored=store.scored_as(session, alert.mention_id),
                                 new_category=category, new_label=new_label, user=user_id,
                                 now=now)
        if changes:
            alert = store.update_alert(session, alert.id, **changes)
    text = blocks = None
    if alert.kind == "mention" and "card" in alert.payload:
        clock = _clock(config, alert.brand)
        text, blocks = alert_message(card_for(alert, now, clock=clock))
    return ActionResult(ok, message, alert_key, alert.state, alert.slack_channel_id,
                        alert.slack_ts, text, blocks)


def _clock(config: Config | None, brand: str) -> BrandClock | None:
    if config is None:
        return None
    try:
        return BrandClock.of(config.brand(brand))
    except KeyError:
        return None


# Bolt wiring --------------------------------------------------------------------------------


def _configured_channels(config: Config) -> set[str]:
    names = {config.slack.ops_channel}
    for brand in config.brands:
        names.add(brand.slack_channel)
        if brand.marketing_channel:
            names.add(brand.marketing_channel)
    return names


class _Origin:
    """Which clicks are ours: our app, our workspace, one of our channels."""

    def __init__(self, db: Database, config: Config, client: WebClient, team_id: str | None,
                 app_id: str | None) -> None:
        self.db, self.client, self._team_id, self.app_id = db, client, team_id, app_id
        self.channels = _configured_channels(config)

    def team_id(self) -> str | None:
        """Our workspace, from auth.test once (so a Slack hiccup at start-up is no problem)."""
        if self._team_id is None:
            try:
                self._team_id = self.client.auth_test().get("team_id")
            except (SlackApiError, OSError) as exc:
                log.warning("auth.test failed (%s): click ignored", type(exc).__name__)
        return self._team_id

    def channel_ids(self) -> set[str]:
        ids = {c for c in self.channels if not c.startswith("#")}
        with self.db.transaction() as session:
            for name in self.channels:
                known = store.known_channel_id(session, name)
                if known:
                    ids.add(known)
        return ids

    def accepts(self, body: dict[str, Any]) -> bool:
        if self.app_id and body.get("api_app_id") != self.app_id:
            return False
        team = (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id")
        ours = self.team_id()
        if ours is None or team != ours:
            return False
        channel = body.get("channel") or {}
        cid = channel.get("id") or (body.get("container") or {}).get("channel_id")
        name = channel.get("name")
        if name and ("#" + name in self.channels or name in self.channels):
            return True
        return bool(cid) and cid in self.channel_ids()


def build_app(db: Database, config: Config, client: WebClient, *,
              now: Callable[[], datetime] = lambda: datetime.now(UTC),
              team_id: str | None = None, app_id: str | None = None,
              listener_executor: Executor | None = None,
              repliers: Mapping[str, Replier] | None = None) -> App:
    """A Bolt app handling the five alert buttons; `team_id` defaults to the token's workspace
    (auth.test, on the first click) and `app_id` to `slack.app_id` in config.toml."""
    origin = _Origin(db, config, client, team_id, app_id or config.slack.app_id)
    if origin.app_id is None:
        log.info("slack.app_id not configured: button clicks are not checked for their app id")
    kwargs: dict[str, Any] = {"client": client, "request_verification_enabled": False,
                              "token_verification_enabled": False}
    if listener_executor is not None:
        kwargs["listener_executor"] = listener_executor
    app = App(**kwargs)

    def handle(ack: Callable[[], None], body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        if not origin.accepts(body):
            log.warning("ignored a %s click from outside Vigía's app/workspace/channels",
                        action.get("action_id"))
            return
        user = (body.get("user") or {}).get("id", "")
        value = action.get("value") or (action.get("selected_option") or {}).get("value", "")
        result = apply_action(db, action["action_id"], str(value), user, now(), config=config)
        log.info("%s on %s by %s: %s", action["action_id"], result.alert_key, user,
                 result.message)
        _refresh(db, client, body, result, now())

    for action_id in ACTIONS:
        app.action(action_id)(handle)
    reply_actions.register(app, db, config, client, origin, now, repliers or {})
    return app


def _refresh(db: Database, client: WebClient, body: dict[str, Any], result: ActionResult,
             now: datetime) -> None:
    """Rewrite the card now; if Slack refuses, queue the update so delivery fixes it later."""
    if result.blocks is None:
        return
    container = body.get("container") or {}
    channel = result.channel_id or container.get("channel_id")
    ts = result.ts or container.get("message_ts")
    if not channel or not ts:
        return
    try:
        client.chat_update(channel=channel, ts=ts, text=result.text or "", blocks=result.blocks)
    except (SlackApiError, OSError) as exc:
        log.warning("chat.update after a click failed (%s); queued for delivery",
                    type(exc).__name__)
        with db.transaction() as session:
            alert = store.get_alert(session, result.alert_key)
            enqueue(session, key=f"click:{result.alert_key}:{now:%Y%m%dT%H%M%S.%f}",
                    op="update", channel=alert.channel if alert else channel,
                    payload={"target_key": result.alert_key, "text": result.text or "",
                             "blocks": result.blocks}, now=now,
                    alert_id=alert.id if alert else None)


def start_socket_mode(app: App, app_token: str) -> SocketModeHandler:
    """Connect to Slack over Socket Mode without blocking; the caller closes the handler."""
    handler = SocketModeHandler(app, app_token)
    handler.connect()
    return handler
