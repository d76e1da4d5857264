"""Reply modules per platform, built from config and the environment (secrets by name only).

`build_repliers` returns the platforms Vigía can post on and, for the others, why not (which
variable to set); `check_repliers` verifies each credential with a read-only call for
`vigia check`. Nothing here is built unless some brand enables reply_from_slack.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from monitor.config import Config
from sources.facebook_reply import FacebookReplier
from sources.reddit_reply import RedditReplier
from sources.reply_base import Replier, ReplyError
from sources.twitter_reply import TwitterReplier, XUserCredentials

REPLIERS: dict[str, type] = {"twitter": TwitterReplier, "reddit": RedditReplier,
                             "facebook": FacebookReplier}


def wanted(config: Config) -> bool:
    """True when at least one brand lets people reply from Slack."""
    return any(brand.reply_from_slack.enabled for brand in config.brands)


def build_repliers(config: Config, env: Mapping[str, str] | None = None
                   ) -> tuple[dict[str, Replier], list[str]]:
    """(repliers by source, problems) for the enabled sources; problems name key and variable."""
    env = os.environ if env is None else env
    timeout = config.replies.timeout_s
    built: dict[str, Replier] = {}
    problems: list[str] = []
    sources = config.sources
    if sources.twitter.enabled:
        keys = config.replies.twitter
        creds = XUserCredentials(env.get(keys.user_token_env), env.get(keys.consumer_key_env),
                                 env.get(keys.consumer_secret_env),
                                 env.get(keys.access_token_env),
                                 env.get(keys.access_token_secret_env))
        if creds.usable:
            built["twitter"] = TwitterReplier(creds, api_base=sources.twitter.api_base,
                                              timeout_s=timeout)
        else:
            only_bearer = (" (only the app-only bearer token "
                           f"{sources.twitter.bearer_token_env} is set, and it cannot post)"
                           if env.get(sources.twitter.bearer_token_env) else "")
            problems.append(
                f"replies.twitter: X cannot be answered from Slack{only_bearer}: set "
                f"{keys.user_token_env} (OAuth 2.0 user token of the brand account) or "
                f"{keys.consumer_key_env}, {keys.consumer_secret_env}, {keys.access_token_env} "
                f"and {keys.access_token_secret_env} (OAuth 1.0a)")
    if sources.reddit.enabled:
        keys_r = config.replies.reddit
        names = [sources.reddit.client_id_env, sources.reddit.client_secret_env,
                 keys_r.username_env, keys_r.password_env]
        missing = [n for n in names if not env.get(n)]
        if missing:
            problems.append(f"replies.reddit: Reddit cannot be answered from Slack: set "
                            f"{', '.join(missing)}")
        else:
            built["reddit"] = RedditReplier(
                client_id=env[names[0]], client_secret=env[names[1]], username=env[names[2]],
                password=env[names[3]], user_agent=sources.reddit.user_agent,
                api_base=sources.reddit.api_base, auth_base=sources.reddit.auth_base,
                timeout_s=timeout)
    if sources.facebook.enabled:
        var = config.replies.facebook.page_token_env
        if env.get(var):
            built["facebook"] = FacebookReplier(env[var], api_base=sources.facebook.api_base,
                                                api_version=sources.facebook.api_version,
                                                timeout_s=timeout)
        else:
            problems.append(f"replies.facebook.page_token_env: environment variable {var} is "
                            "not set (a Page token with pages_manage_engagement)")
    return built, problems


def check_repliers(config: Config, env: Mapping[str, str] | None = None
                   ) -> tuple[list[str], list[str]]:
    """(fine, problems) after a read-only call per credential; token values never shown."""
    repliers, problems = build_repliers(config, env)
    fine: list[str] = []
    for source, replier in repliers.items():
        try:
            fine.append(f"replies.{source}: posts as {replier.verify()}")
        except ReplyError as exc:
            problems.append(f"replies.{source}: {exc.message}")
        finally:
            replier.close()
    return fine, problems
