"""One cheap authenticated call per enabled source, for `vigia check`.

A token that is set is not a token that works: `check` used to say "ok" for made-up tokens.
Each probe goes through the source's own client (tweepy, praw, the Graph client, atproto) and
its typed errors, reads no post (nothing billed on X), and is reported in plain words.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any

from monitor.config import Config
from sources.base import AuthError, RateLimited, SourceError


def _twitter(source: Any, config: Config) -> str:
    from sources.twitter_http import call

    handle = next((h for b in config.brands for h in b.accounts.twitter), "XDevelopers")
    env_var = config.sources.twitter.bearer_token_env
    call(lambda: source._client.get_user(username=handle.lstrip("@")), env_var=env_var,
         now=lambda: datetime.now(UTC))
    return f"token accepted (looked up @{handle.lstrip('@')})"


def _reddit(source: Any, _config: Config) -> str:
    source._get("/api/info", {"id": "t3_0"})  # fetches an OAuth token first
    return "client id and secret accepted (OAuth token obtained)"


def _facebook(source: Any, _config: Config) -> str:
    body = source.client.get("me", {"fields": "id,name"})
    return f"Page token accepted (Page {body.get('name') or body.get('id')})"


def _instagram(source: Any, config: Config) -> str:
    account = next((a for b in config.brands for a in b.accounts.instagram), "me")
    body = source.client.get(account, {"fields": "id,username"})
    return f"access token accepted (account @{body.get('username') or body.get('id')})"


def _bluesky(source: Any, _config: Config) -> str:
    source.client._session()  # logs in with the app password
    return "app password accepted (logged in)"


PROBES: dict[str, Callable[[Any, Config], str]] = {
    "twitter": _twitter, "reddit": _reddit, "facebook": _facebook,
    "instagram": _instagram, "bluesky": _bluesky,
}


def probe_source(name: str, config: Config, env: Mapping[str, str]) -> tuple[bool, str]:
    """(works, what happened in plain words) for one enabled source."""
    from sources import registry

    probe = PROBES.get(name)
    if probe is None:
        return True, "no check for this source"
    source = None
    try:
        source = registry()[name].create(getattr(config.sources, name), env)
        return True, probe(source, config)
    except AuthError as exc:
        return False, f"credentials rejected: {_first_line(exc)}"
    except RateLimited as exc:
        return True, f"credentials not verified: rate limited right now ({_first_line(exc)})"
    except SourceError as exc:
        return False, f"could not be verified: {_first_line(exc)}"
    except Exception as exc:  # an unexpected answer: say what, never a traceback
        return False, f"could not be verified: {type(exc).__name__}: {_first_line(exc)}"
    finally:
        close = getattr(source, "close", None)
        if callable(close):
            with suppress(Exception):  # closing a probe's connection is best effort
                close()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
