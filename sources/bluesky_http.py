"""Bluesky over the `atproto` client: app-password session, typed failures, rate-limit headers.

Only `atproto_client` (part of the `atproto` distribution) is imported: the firehose and DNS
parts of `atproto` need libraries a collector has no use for. Raw XRPC answers are kept
(`invoke_query`), so one malformed post is skipped by the normaliser instead of failing the
whole page in the SDK's strict models, and the `ratelimit-*` headers stay readable.
The app password never leaves this module; messages name the environment variables only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
from atproto_client import Client, models
from atproto_client import exceptions as atx
from atproto_client.request import Request

from sources.base import AuthError, RateLimited, SourceError, TransientError

log = logging.getLogger(__name__)

BSKY_URL = "https://bsky.social"
DEFAULT_BACKOFF = timedelta(minutes=5)
LOW_WATERMARK = 0.05  # back off once fewer than 5 % of the window's requests are left
_AUTH_ERRORS = {"AuthenticationRequired", "ExpiredToken", "InvalidToken", "AccountTakedown",
                "AuthFactorTokenRequired", "AccountDeactivated"}


class BlueskyClient:
    """Search and profile lookups for one app-password session, logged in on first use."""

    def __init__(
        self,
        *,
        handle: str,
        password: str,
        handle_env: str,
        password_env: str,
        api_base: str | None,
        now: Callable[[], datetime],
        timeout_s: float = 10.0,
    ) -> None:
        self._handle, self._password = handle, password
        self.handle_env, self.password_env = handle_env, password_env
        self._base = (api_base or BSKY_URL).rstrip("/")
        self._now = now
        self._timeout = timeout_s
        self._client: Client | None = None
        self.backoff_until: datetime | None = None

    # session -------------------------------------------------------------------------------
    def _session(self) -> Client:
        if self._client is not None:
            return self._client
        client = Client(base_url=self._base, request=Request(timeout=self._timeout))
        try:
            client.login(self._handle, self._password, fetch_bsky_profile=False)
        except (atx.UnauthorizedError, atx.BadRequestError) as exc:
            client.request.close()
            if _is_auth(exc):
                raise AuthError(
                    f"bluesky: login refused for the handle in {self.handle_env}: set "
                    f"{self.password_env} to a valid app password (Settings → App passwords)"
                    f" ({_error_name(exc)})", env_var=self.password_env) from None
            raise self._failure(exc, "login") from None
        except atx.AtProtocolError as exc:
            client.request.close()
            raise self._failure(exc, "login") from None
        except ValueError:
            client.request.close()
            raise TransientError("bluesky: unparseable answer to login") from None
        except httpx.TransportError as exc:  # what atproto does not map (reset, protocol)
            client.request.close()
            raise TransientError(f"bluesky: connection failed on login ({exc})") from None
        self._client = client
        return client

    def _call(self, nsid: str, params: Any, what: str) -> dict[str, Any]:
        now = self._now()
        if self.backoff_until is not None and now < self.backoff_until:
            raise RateLimited("bluesky: rate-limit window nearly used, waiting for its reset",
                              reset_at=self.backoff_until)
        for attempt in (1, 2):
            client = self._session()
            try:
                response = client.invoke_query(nsid, params=params)
            except (atx.UnauthorizedError, atx.BadRequestError) as exc:
                if _is_auth(exc) and attempt == 1:
                    log.info("bluesky: session refused on %s; logging in again", what)
                    self.close()
                    continue
                if _is_auth(exc):
                    raise AuthError(
                        f"bluesky: the session for {self.handle_env} is refused: check "
                        f"{self.password_env} ({_error_name(exc)})",
                        env_var=self.password_env) from None
                raise self._failure(exc, what) from None
            except atx.AtProtocolError as exc:
                raise self._failure(exc, what) from None
            except ValueError:  # pydantic_core.from_json on a cut answer
                raise TransientError(f"bluesky: unparseable answer to {what}") from None
            except httpx.TransportError as exc:  # what atproto does not map (reset, protocol)
                raise TransientError(
                    f"bluesky: connection failed on {what} ({type(exc).__name__})") from None
            self._note_limits(response.headers)
            body = response.content
            if not isinstance(body, dict):
                raise TransientError(f"bluesky: {what} answered without a JSON object")
            return body
        raise AssertionError("unreachable")  # pragma: no cover

    def _failure(self, exc: atx.AtProtocolError, what: str) -> SourceError:
        if isinstance(exc, atx.RateLimitExceededError):
            reset = exc.reset_at
            if reset is None and exc.retry_after is not None:
                reset = self._now() + timedelta(seconds=exc.retry_after)
            now = self._now()
            reset_at = max(reset or now + DEFAULT_BACKOFF, now + timedelta(seconds=1))
            return RateLimited(f"bluesky: rate limited on {what}", reset_at=reset_at)
        if isinstance(exc, atx.InvokeTimeoutError):
            return TransientError(f"bluesky: timeout on {what}")
        if isinstance(exc, atx.NetworkError):
            return TransientError(f"bluesky: connection failed on {what} ({exc})")
        status = exc.response.status_code if isinstance(exc, atx.RequestErrorBase) and \
            exc.response is not None else None
        return TransientError(f"bluesky: {what} failed ({status}: {_error_name(exc)})")

    def _note_limits(self, headers: dict[str, Any]) -> None:
        """Defer before the window runs out: `ratelimit-remaining` under 5 % of the limit."""
        try:
            limit = int(headers.get("ratelimit-limit", ""))
            remaining = int(headers.get("ratelimit-remaining", ""))
            reset = int(headers.get("ratelimit-reset", ""))
        except ValueError:
            return
        if remaining <= limit * LOW_WATERMARK:
            self.backoff_until = datetime.fromtimestamp(reset, self._now().tzinfo)
            log.warning("bluesky: %d of %d requests left in the window; waiting until %s",
                        remaining, limit, self.backoff_until.isoformat(timespec="seconds"))

    # queries -------------------------------------------------------------------------------
    def search(self, q: str, *, since: str | None, cursor: str | None,
               limit: int) -> dict[str, Any]:
        """One `app.bsky.feed.searchPosts` page, newest first (`sort=latest`)."""
        params = models.AppBskyFeedSearchPosts.Params(
            q=q, sort="latest", since=since, cursor=cursor, limit=limit)
        return self._call("app.bsky.feed.searchPosts", params, "searchPosts")

    def followers(self, dids: list[str]) -> dict[str, int]:
        """Followers per DID from `app.bsky.actor.getProfiles` (25 per call); {} on failure:
        reach is a nice-to-have, never a reason to lose a page of mentions."""
        out: dict[str, int] = {}
        unique = list(dict.fromkeys(dids))
        for start in range(0, len(unique), 25):
            params = models.AppBskyActorGetProfiles.Params(actors=unique[start:start + 25])
            try:
                body = self._call("app.bsky.actor.getProfiles", params, "getProfiles")
            except (TransientError, RateLimited) as exc:
                log.info("bluesky: author reach unknown for this page: %s", exc)
                return out
            for profile in body.get("profiles") or []:
                if isinstance(profile, dict) and isinstance(profile.get("followersCount"), int):
                    out[str(profile.get("did"))] = profile["followersCount"]
        return out

    def close(self) -> None:
        if self._client is not None:
            self._client.request.close()
            self._client = None


def _is_auth(exc: atx.AtProtocolError) -> bool:
    if isinstance(exc, atx.UnauthorizedError):
        return True
    return _error_name(exc) in _AUTH_ERRORS


def _error_name(exc: atx.AtProtocolError) -> str:
    response = exc.response if isinstance(exc, atx.RequestErrorBase) else None
    content = response.content if response is not None else None
    error = getattr(content, "error", None)
    if isinstance(error, str):
        return error
    return type(exc).__name__
