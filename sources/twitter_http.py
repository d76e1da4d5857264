"""HTTP plumbing for the X collector: routing, timeouts, token redaction and typed failures.

tweepy hard-codes https://api.twitter.com and sends no timeout, so both are added on its
`requests` session through a mounted transport adapter instead of patching tweepy. tweepy also
logs request headers (the bearer token included) at DEBUG; a logging filter redacts them.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import requests
import tweepy
from requests.adapters import HTTPAdapter

from sources.base import AuthError, RateLimited, SourceError, TransientError

log = logging.getLogger(__name__)

X_HOST = "https://api.twitter.com"
DEFAULT_TIMEOUT_S = 10.0
RATE_WINDOW = timedelta(minutes=15)  # X's rate-limit window, used when no reset header came
_BEARER = re.compile(r"(Bearer\s+)[^\s'\",}]+", re.IGNORECASE)
T = TypeVar("T")
Timeout = float | tuple[float, float] | tuple[float, None] | None
Cert = bytes | str | tuple[bytes | str, bytes | str] | None


class XRequestError(SourceError):
    """X refused the request as malformed (400/404): retrying the same request will not help."""

    def __init__(self, message: str, *, parameters: frozenset[str] = frozenset()) -> None:
        super().__init__(message)
        self.parameters = parameters  # the request parameters X named as invalid


def _bad_parameters(exc: tweepy.HTTPException) -> frozenset[str]:
    names: set[str] = set()
    for error in exc.api_errors:
        if isinstance(error, dict) and isinstance(error.get("parameters"), dict):
            names.update(str(k) for k in error["parameters"])
    return frozenset(names)


class _RedactBearer(logging.Filter):
    """Blank bearer tokens in tweepy's DEBUG dumps of request headers."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "Bearer" in message or "bearer" in message:
            record.msg = _BEARER.sub(r"\1[redacted]", message)
            record.args = None
        return True


_REDACTOR = _RedactBearer()


def _install_redaction() -> None:
    tweepy_log = logging.getLogger("tweepy.client")
    if _REDACTOR not in tweepy_log.filters:
        tweepy_log.addFilter(_REDACTOR)


class TimeoutAdapter(HTTPAdapter):
    """Gives every request a timeout (tweepy sets none) so a hung API cannot hang a poll."""

    def __init__(self, timeout: float) -> None:
        super().__init__(max_retries=0)
        self.timeout = timeout

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Timeout = None,
        verify: bool | str = True,
        cert: Cert = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        response = super().send(
            request, stream, self.timeout if timeout is None else timeout, verify, cert, proxies
        )
        if response.status_code >= 400:
            _make_error_readable(response)
        return response


def _make_error_readable(response: requests.Response) -> None:
    """tweepy builds its exception from the error body and crashes on one it does not expect
    (a proxy's HTML page, `{"error": 401}`); swap such a body for a problem document so the
    status code, which is what decides auth vs. outage, always reaches our error mapping."""
    try:
        body = response.json()
        readable = isinstance(body, dict) and all(
            isinstance(body.get(k, ""), str) for k in ("error", "detail", "title")
        ) and all(isinstance(e, dict) for e in body.get("errors", []))
    except ValueError:
        readable = False
    if not readable:
        problem = {"title": response.reason or "HTTP error",
                   "detail": f"HTTP {response.status_code}", "status": response.status_code}
        response._content = json.dumps(problem).encode()
        response.headers["content-type"] = "application/problem+json"


class RoutingAdapter(TimeoutAdapter):
    """Sends requests meant for api.twitter.com to `base` (a proxy or the sandbox)."""

    def __init__(self, base: str, timeout: float) -> None:
        super().__init__(timeout)
        self.base = base.rstrip("/")

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Timeout = None,
        verify: bool | str = True,
        cert: Cert = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        url = request.url or ""
        if url.startswith(X_HOST):
            request.url = self.base + url[len(X_HOST) :]
            # proxies were chosen for api.twitter.com; choose again for the real destination
            proxies = requests.utils.get_environ_proxies(request.url)
        return super().send(request, stream, timeout, verify, cert, proxies)


def make_client(token: str, *, api_base: str | None, timeout: float) -> tweepy.Client:
    """A tweepy v2 client that returns raw responses (headers kept) and never sleeps."""
    _install_redaction()
    client = tweepy.Client(
        bearer_token=token, return_type=requests.Response, wait_on_rate_limit=False
    )
    adapter = RoutingAdapter(api_base, timeout) if api_base else TimeoutAdapter(timeout)
    client.session.mount(X_HOST + "/", adapter)
    return client


def rate_reset(headers: Mapping[str, str], now: datetime) -> datetime:
    """When the current rate-limit window ends, from `x-rate-limit-reset` (epoch seconds)."""
    value = headers.get("x-rate-limit-reset")
    if value and value.strip().isdigit():
        return datetime.fromtimestamp(int(value), UTC)
    return now + RATE_WINDOW


def rate_remaining(headers: Mapping[str, str]) -> int | None:
    value = headers.get("x-rate-limit-remaining")
    return int(value) if value and value.strip().isdigit() else None


def _api_message(exc: tweepy.HTTPException) -> str:
    messages = "; ".join(str(m) for m in exc.api_messages if m)
    return f": {messages}" if messages else ""


def call(request: Callable[[], T], *, env_var: str, now: Callable[[], datetime]) -> T:
    """Run one tweepy call, turning every failure into the `SourceError` the pipeline expects."""
    try:
        return request()
    except tweepy.TooManyRequests as exc:
        if exc.reset_time is not None:
            reset_at = datetime.fromtimestamp(exc.reset_time, UTC)
        else:
            reset_at = rate_reset(exc.response.headers, now())
        raise RateLimited(
            f"X rate limit reached; requests resume at {reset_at:%Y-%m-%d %H:%M:%S} UTC",
            reset_at=reset_at,
        ) from None
    except tweepy.Unauthorized as exc:
        raise AuthError(
            "X rejected the bearer token (401 Unauthorized)"
            f"{_api_message(exc)}. Check the environment variable {env_var}: it must hold the "
            "app's Bearer Token from the X developer portal.",
            env_var=env_var,
        ) from None
    except tweepy.Forbidden as exc:
        raise AuthError(
            "X refused access (403 Forbidden)"
            f"{_api_message(exc)}. The app behind {env_var} may lack access to recent search "
            "(API plan) or belong to a suspended project.",
            env_var=env_var,
        ) from None
    except tweepy.TwitterServerError as exc:
        raise TransientError(f"X server error {exc.response.status_code}") from None
    except (tweepy.BadRequest, tweepy.NotFound) as exc:
        raise XRequestError(
            f"X rejected the request ({exc.response.status_code}){_api_message(exc)}",
            parameters=_bad_parameters(exc),
        ) from None
    except tweepy.HTTPException as exc:
        raise TransientError(f"X answered HTTP {exc.response.status_code}") from None
    except requests.Timeout:
        raise TransientError("X did not answer in time") from None
    except requests.RequestException as exc:
        raise TransientError(f"X connection failed: {type(exc).__name__}") from None
    except (AttributeError, TypeError) as exc:
        # tweepy builds its error from the body and trips on a non-object JSON error body
        log.warning("unreadable error answer from X: %r", exc)
        raise TransientError("unreadable error answer from X") from None


def json_body(response: requests.Response) -> dict[str, Any]:
    """The page as a JSON object; a truncated or non-object body is a transient failure."""
    try:
        body = response.json()
    except ValueError:
        raise TransientError(
            f"X sent an unparseable page ({len(response.content)} bytes)"
        ) from None
    if not isinstance(body, dict):
        raise TransientError(f"X sent a {type(body).__name__} instead of a JSON object")
    return body
