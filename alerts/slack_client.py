"""Building the slack-sdk WebClient in one place: token from env, base URL for the sandbox."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from monitor.config import SlackSettings

DEFAULT_TIMEOUT_S = 15


def make_web_client(
    settings: SlackSettings, env: Mapping[str, str] | None = None, *, retries: bool = True
) -> WebClient:
    """A WebClient for the configured workspace (or the sandbox emulator).

    Retry handlers are kept short (one retry): the outbox, not the HTTP client, owns the
    long waits, so a Slack outage never blocks a scheduler thread.
    """
    env = os.environ if env is None else env
    kwargs: dict[str, object] = {"token": env.get(settings.token_env, ""),
                                 "timeout": DEFAULT_TIMEOUT_S}
    if settings.api_base:
        kwargs["base_url"] = settings.api_base
    client = WebClient(**kwargs)  # type: ignore[arg-type]
    if retries:
        client.retry_handlers = [
            ConnectionErrorRetryHandler(max_retry_count=1),
            RateLimitErrorRetryHandler(max_retry_count=0),
        ]
    return client


CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{6,}$")
_LIST_PAGES = 20


def resolve_channel_id(client: WebClient, channel: str) -> str | None:
    """The id of a channel configured by name ("#alertas"), via conversations.list.

    chat.postMessage accepts names but conversations.history and .info need ids, so
    reconciling a crashed send and checking membership both go through here. Needs the
    channels:read (and groups:read for private channels) scopes; None when not found.
    """
    if CHANNEL_ID.match(channel):
        return channel
    wanted = channel.lstrip("#").lower()
    cursor: str | None = None
    for _ in range(_LIST_PAGES):
        resp = client.conversations_list(types="public_channel,private_channel",
                                         exclude_archived=True, limit=1000, cursor=cursor)
        for found in resp.get("channels") or []:
            if str(found.get("name", "")).lower() == wanted:
                return str(found["id"])
        cursor = (resp.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            break
    return None
