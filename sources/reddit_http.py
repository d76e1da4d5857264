"""praw wiring: endpoints pinned, a timeout that is honoured, no hidden sleeps, typed errors.

prawcore sleeps in three places a scheduler must not: its rate limiter paces requests from
the `x-ratelimit-*` headers, and its retry strategy waits 0-4 s before retrying 5xx, resets and
401s. The requestor below (praw's documented `requestor_class` hook) reads the headers into a
`RateGuard` and hides them from prawcore, and turns retryable failures into our typed errors
before prawcore can retry: the pipeline's backoff owns retries. prawcore also ignores the
requestor's own timeout (it passes its 16 s default on every call); ours is enforced here.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import praw
import prawcore
import requests

from sources.base import AuthError, RateLimited, SourceError, TransientError
from sources.reddit_rate import RATE_HEADERS, RateGuard, reset_after

log = logging.getLogger(__name__)

OAUTH_URL = "https://oauth.reddit.com"
REDDIT_URL = "https://www.reddit.com"
DEFAULT_TIMEOUT_S = 10.0


def endpoints(api_base: str | None, auth_base: str | None) -> tuple[str, str]:
    """praw's (oauth_url, reddit_url): the API one keeps a trailing slash when it has a path
    (else urljoin drops the prefix), the login one must not have one (praw appends paths)."""
    oauth_url = api_base or OAUTH_URL
    if oauth_url.rstrip("/").count("/") > 2:  # has a path beyond scheme://host
        oauth_url = oauth_url.rstrip("/") + "/"
    else:
        oauth_url = oauth_url.rstrip("/")
    if auth_base is None and api_base and _is_loopback(api_base):
        auth_base = api_base  # a local emulator or proxy serves the token endpoint too
    reddit_url = (auth_base or REDDIT_URL).rstrip("/")
    return oauth_url, reddit_url


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host == "localhost" or host.startswith("127.") or host == "::1"


class GuardedRequestor(prawcore.Requestor):
    """A prawcore requestor that never lets prawcore sleep and reports failures typed."""

    def __init__(self, *, guard: RateGuard, env_var: str, timeout_s: float, **kwargs: Any) -> None:
        super().__init__(timeout=timeout_s, **kwargs)
        self.guard = guard
        self.env_var = env_var
        self.timeout_s = timeout_s

    def request(self, *args: Any, timeout: float | None = None, **kwargs: Any) -> requests.Response:
        self.guard.check()
        try:
            response = super().request(*args, timeout=self.timeout_s, **kwargs)
        except prawcore.RequestException as exc:
            original = exc.original_exception
            detail = f"{type(original).__name__}: {original}"[:200]  # no secrets: token in header
            raise TransientError(f"reddit: request failed ({detail})") from None
        self.guard.observe(response.headers)
        reset = reset_after(response.headers)
        for name in RATE_HEADERS:  # prawcore would otherwise pace (sleep) from these
            response.headers.pop(name, None)
        status = response.status_code
        if status == 401:
            raise AuthError(
                "reddit: credentials rejected (401): check the script app's client id in "
                f"{self.env_var} and its secret",
                env_var=self.env_var,
            )
        if status == 429:
            raise RateLimited(
                "reddit: too many requests (429)",
                reset_at=self.guard.now() + reset,
            )
        if status >= 500 or status == 408:
            raise TransientError(f"reddit: server error {status}")
        return response


def build_reddit(
    *,
    client_id: str,
    client_secret: str,
    user_agent: str,
    api_base: str | None,
    auth_base: str | None,
    guard: RateGuard,
    env_var: str,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> praw.Reddit:
    """A read-only (client-credentials) praw client; every endpoint setting passed explicitly
    so a stray praw.ini or praw_* environment variable cannot redirect the credentials."""
    oauth_url, reddit_url = endpoints(api_base, auth_base)
    return praw.Reddit(
        client_id=client_id,
        client_secret=client_secret,
        user_agent=user_agent,
        oauth_url=oauth_url,
        reddit_url=reddit_url,
        username=None,
        password=None,
        refresh_token=None,
        check_for_updates=False,
        check_for_async=False,
        requestor_class=GuardedRequestor,
        requestor_kwargs={"guard": guard, "env_var": env_var, "timeout_s": timeout_s},
    )


def translate(exc: Exception, *, env_var: str, now: datetime) -> SourceError:
    """Map what praw/prawcore raise to the pipeline's failure types."""
    if isinstance(exc, SourceError):
        return exc
    if isinstance(exc, prawcore.TooManyRequests):
        return RateLimited(
            "reddit: too many requests (429)", reset_at=now + reset_after(exc.response.headers)
        )
    if isinstance(exc, prawcore.OAuthException):
        return AuthError(
            f"reddit: OAuth refused ({exc.error}): check {env_var} and the client secret",
            env_var=env_var,
        )
    if isinstance(exc, prawcore.InvalidToken | prawcore.Forbidden | prawcore.InsufficientScope):
        status = exc.response.status_code
        return AuthError(
            f"reddit: access refused ({status}): the app in {env_var} may be suspended or lack "
            "access to a configured subreddit (private, banned or quarantined)",
            env_var=env_var,
        )
    if isinstance(exc, prawcore.BadJSON):
        return TransientError("reddit: unparseable response")
    if isinstance(exc, prawcore.ServerError):
        return TransientError(f"reddit: server error {exc.response.status_code}")
    if isinstance(exc, prawcore.Redirect | prawcore.NotFound):
        return TransientError(
            "reddit: a configured subreddit does not exist or was renamed "
            f"({exc.response.status_code})"
        )
    if isinstance(exc, prawcore.ResponseException):
        status = exc.response.status_code
        if status in (401, 403):
            return AuthError(f"reddit: credentials rejected ({status})", env_var=env_var)
        return TransientError(f"reddit: unexpected response {status}")
    if isinstance(exc, prawcore.RequestException):
        return TransientError(f"reddit: request failed ({type(exc.original_exception).__name__})")
    if isinstance(exc, ValueError):  # token endpoint answered non-JSON (requests' JSONDecodeError)
        return TransientError("reddit: unparseable response")
    raise exc
