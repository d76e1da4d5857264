"""Building the slack-sdk WebClient in one place: token from env, base URL for the sandbox."""

from __future__ import annotations

import os
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
