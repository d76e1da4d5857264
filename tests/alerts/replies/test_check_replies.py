"""`vigia check` for replies: an app-only X token is named as unable to post, user-context
credentials are verified with a read-only call, secrets never printed."""

from __future__ import annotations

from pathlib import Path

from monitor.config import Config, parse_config
from monitor.sandbox.twitter_api import VALID_TOKEN, TwitterEmulator
from sources.replies import build_repliers, check_repliers
from tests.alerts.replies.conftest import USER_TOKEN


def x_config(base: str) -> Config:
    return parse_config({
        "sources": {"twitter": {"enabled": True, "api_base": base}},
        "brands": [{"name": "Sol", "keywords": {"terms": ["tienda sol"]},
                    "reply_from_slack": {"enabled": True, "allowed_users": ["U0CM12345"]}}],
    }, Path("config.toml"))


def test_app_only_bearer_is_said_to_be_unable_to_post(x_api: TwitterEmulator) -> None:
    repliers, problems = build_repliers(x_config(x_api.base_url),
                                        {"X_BEARER_TOKEN": VALID_TOKEN})
    assert repliers == {}
    (problem,) = problems
    assert "only the app-only bearer token X_BEARER_TOKEN is set, and it cannot post" in problem
    assert "X_USER_ACCESS_TOKEN" in problem and VALID_TOKEN not in problem


def test_user_token_verified_read_only(x_api: TwitterEmulator) -> None:
    fine, problems = check_repliers(x_config(x_api.base_url),
                                    {"X_USER_ACCESS_TOKEN": USER_TOKEN})
    assert (fine, problems) == (["replies.twitter: posts as @tiendasol"], [])
    assert [r.method for r in x_api.requests] == ["GET"]  # users/me only: nothing written


def test_bearer_in_the_user_variable_is_caught(x_api: TwitterEmulator) -> None:
    _fine, problems = check_repliers(x_config(x_api.base_url),
                                     {"X_USER_ACCESS_TOKEN": VALID_TOKEN})
    (problem,) = problems
    assert "app-only" in problem and VALID_TOKEN not in problem
