"""Graph API over httpx: versioned URLs, a redacted token, usage headers, typed failures.

The Page token travels as the `access_token` query parameter, so every URL we log is redacted
and a filter blanks it in httpx's own INFO line ("HTTP Request: GET <url>"). Paging `next`
URLs embed the token too: only their query parameters, minus the token, are ever kept.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from sources.base import AuthError, RateLimited, SourceError, TransientError

log = logging.getLogger(__name__)

GRAPH_URL = "https://graph.facebook.com"
DEFAULT_TIMEOUT_S = 10.0
USAGE_LIMIT = 90  # percent of call_count / total_time / total_cputime at which we back off
DEFAULT_BACKOFF = timedelta(minutes=10)
RATE_CODES = frozenset({4, 17, 32, 613, 80001, 80002, 80005, 80006, 80008})
AUTH_CODE = 190
PERMISSION_CODES = frozenset({10, *range(200, 300)})
USAGE_HEADERS = ("x-app-usage", "x-page-usage", "x-business-use-case-usage")
_TOKEN = re.compile(r"(access_token=)[^&\s'\"]+", re.IGNORECASE)
_PERMISSION = re.compile(r"'([a-z_]+)' permission|permission[s]?[: ]+\(?([a-z_]+)", re.IGNORECASE)


def redact(text: str) -> str:
    """Blank `access_token=` values in a URL or message."""
    return _TOKEN.sub(r"\1[redacted]", text)


class _RedactToken(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "access_token=" in message:
            record.msg, record.args = redact(message), None
        return True


_FILTER = _RedactToken()
for _name in ("httpx", "httpcore"):
    if _FILTER not in logging.getLogger(_name).filters:
        logging.getLogger(_name).addFilter(_FILTER)


class GraphNotFound(SourceError):
    """The object is gone (deleted post/comment: code 100 subcode 33); skip it, not fatal."""


class GraphClient:
    """GET on `<base>/<version>/<path>` returning JSON dicts, or raising typed errors."""

    def __init__(
        self,
        *,
        token: str,
        env_var: str,
        api_base: str | None,
        version: str,
        now: Callable[[], datetime],
        timeout_s: float = DEFAULT_TIMEOUT_S,
        transport: httpx.BaseTransport | None = None,
        platform: str = "facebook",
        token_name: str = "Page token",
    ) -> None:
        self.platform, self.token_name = platform, token_name  # Instagram reuses this client
        self._token = token
        self.env_var = env_var
        self.base = f"{(api_base or GRAPH_URL).rstrip('/')}/{version}"
        self._now = now
        self._http = httpx.Client(timeout=timeout_s, transport=transport)
        self.backoff_until: datetime | None = None  # set when usage headers near the limit

    def get(self, path: str, params: Mapping[str, str]) -> dict[str, Any]:
        """One request; raises `RateLimited` up front while the usage headers say back off."""
        now = self._now()
        if self.backoff_until is not None and now < self.backoff_until:
            raise RateLimited(f"{self.platform}: API usage above 90%, backing off",
                              reset_at=self.backoff_until)
        url = f"{self.base}/{path.lstrip('/')}"
        try:
            response = self._http.get(url, params={**params, "access_token": self._token})
        except httpx.TimeoutException:
            raise TransientError(f"{self.platform}: timeout on GET {redact(url)}") from None
        except httpx.TransportError as exc:
            raise TransientError(
                f"{self.platform}: connection failed on GET {url} ({type(exc).__name__})"
            ) from None
        self._note_usage(response.headers)
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            if response.status_code >= 500 or response.status_code < 400:
                raise TransientError(
                    f"{self.platform}: unparseable answer ({response.status_code}) from GET {url}"
                ) from None
            body = None
        if response.status_code >= 400 or (isinstance(body, dict) and "error" in body):
            raise self._error(response, body, url)
        if not isinstance(body, dict):
            raise TransientError(f"{self.platform}: expected a JSON object from GET {url}")
        return body

    def _note_usage(self, headers: Mapping[str, str]) -> None:
        peak, regain = usage(headers)
        if peak >= USAGE_LIMIT:
            wait = timedelta(minutes=regain) if regain > 0 else DEFAULT_BACKOFF
            self.backoff_until = self._now() + wait
            log.warning("%s: API usage at %d%%: backing off for %s", self.platform, peak, wait)

    def _error(self, response: httpx.Response, body: Any, url: str) -> SourceError:
        error = body.get("error") if isinstance(body, dict) else None
        status = response.status_code
        if not isinstance(error, dict):
            if status >= 500:
                return TransientError(f"{self.platform}: server error {status} on GET {url}")
            if status in (401, 403):
                return AuthError(
                    f"{self.platform}: the {self.token_name} was refused ({status}); set "
                    f"{self.env_var} to a valid {self.token_name}", env_var=self.env_var)
            return TransientError(f"{self.platform}: unexpected {status} on GET {url}")
        code, sub = error.get("code"), error.get("error_subcode")
        message = redact(str(error.get("message", "")))[:300]
        if code == AUTH_CODE or status == 401:
            return AuthError(
                f"{self.platform}: token expired or invalid: set {self.env_var} to a fresh "
                f"{self.token_name} "
                f"({message})", env_var=self.env_var)
        if code in RATE_CODES or status == 429:
            _, regain = usage(response.headers)
            wait = timedelta(minutes=regain) if regain > 0 else DEFAULT_BACKOFF
            return RateLimited(f"{self.platform}: rate limited (code {code})",
                               reset_at=self._now() + wait)
        if code == 100 and sub == 33:
            return GraphNotFound(f"{self.platform}: object not found ({message})")
        lowered = message.lower()
        if code in PERMISSION_CODES or (
                code == 100 and ("permission" in lowered or "access" in lowered)):
            found = _PERMISSION.search(message)
            needed = (found[1] or found[2]) if found else "see the message"
            return AuthError(
                f"{self.platform}: the {self.token_name} in {self.env_var} lacks a permission "
                f"({needed}): {message}", env_var=self.env_var)
        if status >= 500 or code in (1, 2):
            return TransientError(f"{self.platform}: temporary Graph error {code}: {message}")
        return TransientError(
            f"{self.platform}: Graph error {code} ({status}) on GET {url}: {message}")

    def close(self) -> None:
        self._http.close()


def usage(headers: Mapping[str, str]) -> tuple[int, int]:
    """(highest usage percent, minutes to regain access) over the three usage headers."""
    peak, regain = 0, 0
    for name in USAGE_HEADERS:
        raw = headers.get(name)
        if not raw:
            continue
        try:
            data = json.loads(raw)
        except ValueError:
            continue
        entries: list[Any] = [data]
        if name == "x-business-use-case-usage" and isinstance(data, dict):
            entries = [e for v in data.values() if isinstance(v, list) for e in v]
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            for key in ("call_count", "total_time", "total_cputime"):
                value = entry.get(key)
                if isinstance(value, int | float):
                    peak = max(peak, int(value))
            value = entry.get("estimated_time_to_regain_access")
            if isinstance(value, int | float):
                regain = max(regain, int(value))
    return peak, regain


def next_params(body: Mapping[str, Any]) -> dict[str, str] | None:
    """Params for the following page: `cursors.after` when there is a `next`, else the
    paging params of `next` itself (time-based `until`/`__paging_token`), token dropped."""
    paging = body.get("paging")
    if not isinstance(paging, dict) or not isinstance(paging.get("next"), str):
        return None
    cursors = paging.get("cursors")
    if isinstance(cursors, dict) and isinstance(cursors.get("after"), str):
        return {"after": cursors["after"]}
    query = dict(parse_qsl(urlsplit(paging["next"]).query, keep_blank_values=True))
    keep = {k: v for k, v in query.items()
            if k in ("until", "since", "__paging_token", "after") and v}
    return keep or None


def data_list(body: Mapping[str, Any], platform: str, what: str) -> list[Any]:
    """An edge's `data` list; an answer without one is a Graph hiccup, retried next poll."""
    data = body.get("data")
    if not isinstance(data, list):
        raise TransientError(f"{platform}: {what} answer without a data list")
    return data


def client_from_settings(settings: Any, token: str, env_var: str, *, platform: str,
                         token_name: str) -> GraphClient:
    """The client Facebook and Instagram build from their `[sources.*]` table and a token
    read from `env_var`; an empty token is an `AuthError` naming the variable."""
    if not token:
        raise AuthError(f"{platform}: environment variable {env_var} is not set",
                        env_var=env_var)
    return GraphClient(
        token=token, env_var=env_var, api_base=settings.api_base, version=settings.api_version,
        now=lambda: datetime.now(UTC), timeout_s=float(settings.request_timeout_s),
        platform=platform, token_name=token_name,
    )
