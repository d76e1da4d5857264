"""`vigia run --once --sandbox`: answer one X complaint from its Slack card, as a person would.

The Reply click and the modal's Send go through Bolt's dispatch with the payloads Slack sends
over Socket Mode; the reply goes out through tweepy to the X emulator with a user-context
token, and the card closes. The summary shows it, so the whole path is visible in one run.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, Future
from datetime import datetime
from typing import Any

from slack_bolt.request import BoltRequest
from slack_sdk import WebClient

from alerts.interactive import build_app
from monitor.config import Config
from monitor.sandbox.runner import SANDBOX_USER
from monitor.sandbox.slack_api import TEAM_ID, SlackEmulator
from monitor.sandbox.twitter_api import TwitterEmulator
from monitor.storage import platform_replies as replies
from monitor.storage.db import Database
from monitor.summary import clip
from sources.twitter_reply import TwitterReplier, XUserCredentials

SANDBOX_X_USER_TOKEN = "sandbox-x-user-token"
BRAND_X_ID = "9001"  # the brand account's id in the sample world


class _Inline(Executor):
    """Runs Bolt listeners in the caller's thread: the summary waits for the whole click."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_result(fn(*args, **kwargs))
        return future


def _click(key: str, channel: str, ts: str) -> dict[str, Any]:
    return {"type": "block_actions", "team": {"id": TEAM_ID},
            "user": {"id": SANDBOX_USER, "username": "ana", "team_id": TEAM_ID},
            "container": {"type": "message", "message_ts": ts, "channel_id": channel},
            "channel": {"id": channel}, "trigger_id": "sandbox.trigger.1",
            "actions": [{"action_id": "vigia_reply", "block_id": "vigia_actions",
                         "value": key, "type": "button"}]}


def _submission(view_id: str, view: dict[str, Any]) -> dict[str, Any]:
    block = next(b for b in view["blocks"]
                 if str(b.get("block_id", "")).startswith("vigia_reply_text_"))
    text = block["element"].get("initial_value", "")
    return {"type": "view_submission", "team": {"id": TEAM_ID},
            "user": {"id": SANDBOX_USER, "username": "ana", "team_id": TEAM_ID},
            "view": {**view, "id": view_id, "hash": f"{view_id}.0",
                     "state": {"values": {block["block_id"]: {
                         "vigia_reply_text": {"type": "plain_text_input", "value": text}}}}}}


def simulate_reply(db: Database, config: Config, slack: SlackEmulator, x_api: TwitterEmulator,
                   client: WebClient, now: datetime) -> list[str]:
    """Answer the newest open X complaint from Slack; lines for the run summary."""
    with db.transaction() as session:
        case = replies.open_case(session, "twitter")
    if case is None:
        return ["reply from Slack: no open X case to answer"]
    handle = next(iter(config.brand(case.brand).accounts.twitter), "brand")
    x_api.user_tokens[SANDBOX_X_USER_TOKEN] = (BRAND_X_ID, handle)
    replier = TwitterReplier(XUserCredentials(user_token=SANDBOX_X_USER_TOKEN),
                             api_base=x_api.base_url, timeout_s=config.replies.timeout_s)
    app = build_app(db, config, client, now=lambda: now, repliers={"twitter": replier},
                    listener_executor=_Inline())
    before = set(slack.views)
    app.dispatch(BoltRequest(body=_click(case.alert_key, case.channel_id, case.ts),
                             mode="socket_mode"))
    opened = sorted(set(slack.views) - before)
    if not opened:
        return ["reply from Slack: the modal did not open"]
    response = app.dispatch(BoltRequest(body=_submission(opened[0], slack.views[opened[0]]),
                                        mode="socket_mode"))
    posted = x_api.posted[-1] if x_api.posted else None
    if posted is None:
        return [f"reply from Slack: nothing posted ({response.body[:200]})"]
    return [f"reply from Slack (simulated modal, {SANDBOX_USER} on {case.alert_key}): posted "
            f"as @{posted['user']} in reply to tweet {posted['in_reply_to']}: "
            f"{clip(posted['text'], 120)}",
            f"    https://x.com/{posted['user']}/status/{posted['id']}"]
