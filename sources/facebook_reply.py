"""Reply on Facebook as the Page: `POST /{comment-or-post-id}/comments` over httpx.

Needs a Page access token with `pages_manage_engagement`. Graph errors are mapped by code:
10/200 missing permission, 100 bad or deleted object, 190 token, 4/17/32/613 rate limits,
368 blocked. `find` reads the object's comments (newest first) for one from the Page itself.
The token travels as a form field, never in a URL that could be logged.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx

from sources.reply_base import PostedReply, ReplyError, ReplyTarget

GRAPH = "https://graph.facebook.com"
RATE_CODES = frozenset({4, 17, 32, 613})


def translate(error: dict[str, Any], now: datetime) -> ReplyError:
    """A Graph `{"error": {...}}` in plain words; Graph refusals are definite."""
    code = int(error.get("code") or 0)
    message = str(error.get("message") or "")
    if code in (10, 200) or 200 <= code < 300:
        return ReplyError("permission", "Facebook refused: the Page token lacks the "
                          "pages_manage_engagement permission (Graph error "
                          f"{code}). Ask an admin to renew it (docs/reply-from-slack.md).")
    if code == 190:
        return ReplyError("auth", "Facebook rejected the Page token (expired or revoked, "
                          "Graph error 190). Ask an admin to renew FB_PAGE_TOKEN.")
    if code in RATE_CODES:
        return ReplyError("rate_limited", "Facebook asked the Page to slow down (Graph error "
                          f"{code}); send again in a few minutes.",
                          retry_at=now + timedelta(minutes=5))
    if code == 100:
        return ReplyError("gone", "Facebook says the post or comment no longer exists or "
                          f"cannot be answered (Graph error 100): {message}")
    if code == 368:
        return ReplyError("forbidden", "Facebook blocked the Page from commenting for now "
                          "(Graph error 368).")
    return ReplyError("invalid", f"Facebook refused the reply (Graph error {code}): {message}")


class FacebookReplier:
    """Comments as the Page through the Graph API."""

    source: ClassVar[str] = "facebook"
    limit: ClassVar[int] = 8_000

    def __init__(self, page_token: str, *, api_base: str | None = None,
                 api_version: str = "v21.0", timeout_s: float = 10.0,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.base = f"{(api_base or GRAPH).rstrip('/')}/{api_version}"
        self.token = page_token
        self.http = httpx.Client(timeout=timeout_s)
        self.now = now
        self._page: tuple[str, str] | None = None

    def _send(self, method: str, path: str, **params: str) -> dict[str, Any]:
        try:
            if method == "POST":
                response = self.http.post(f"{self.base}/{path}",
                                          data={**params, "access_token": self.token})
            else:
                response = self.http.get(f"{self.base}/{path}",
                                         params={**params, "access_token": self.token})
        except httpx.ConnectError:
            raise ReplyError("transient", "Facebook could not be reached; nothing was "
                             "posted.") from None
        except httpx.HTTPError:
            raise ReplyError("uncertain", "Facebook did not answer in time; Vigía checks "
                             "whether the reply went out before trying again.",
                             definite=False) from None
        try:
            body = response.json()
        except ValueError:
            body = {}
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            raise translate(body["error"], self.now())
        if response.status_code >= 500 or not isinstance(body, dict):
            raise ReplyError("uncertain", f"Facebook answered HTTP {response.status_code}",
                             definite=False)
        return body

    def page(self) -> tuple[str, str]:
        """(id, name) of the Page the token speaks for (cached)."""
        if self._page is None:
            body = self._send("GET", "me", fields="id,name")
            self._page = (str(body.get("id", "")), str(body.get("name", "")))
        return self._page

    def verify(self) -> str:
        return self.page()[1] or self.page()[0]

    def post(self, target: ReplyTarget, text: str) -> PostedReply:
        page_id, _name = self.page()
        body = self._send("POST", f"{target.external_id}/comments", message=text)
        comment_id = str(body.get("id") or "")
        if not comment_id:
            raise ReplyError("uncertain", "Facebook accepted the reply without its id",
                             definite=False)
        link = f"https://www.facebook.com/{comment_id}"
        with suppress(ReplyError):  # posted is posted: a missing link must not look failed
            link = str(self._send("GET", comment_id, fields="permalink_url").get(
                "permalink_url") or link)
        return PostedReply(comment_id, link, page_id, self.now(), text)

    def find(self, target: ReplyTarget, since: datetime) -> PostedReply | None:
        page_id, _name = self.page()
        body = self._send("GET", f"{target.external_id}/comments", filter="stream",
                          order="reverse_chronological", limit="50",
                          fields="id,from,message,created_time,permalink_url")
        for item in body.get("data") or []:
            if str((item.get("from") or {}).get("id")) != page_id:
                continue
            created = item.get("created_time")
            at = datetime.strptime(created, "%Y-%m-%dT%H:%M:%S%z") if created else None
            if at is None or at >= since - timedelta(seconds=1):
                return PostedReply(str(item["id"]), str(item.get("permalink_url") or ""),
                                   page_id, at, str(item.get("message", "")))
        return None

    def close(self) -> None:
        self.http.close()
