"""Reply on Reddit as the brand's account: `comment.reply()` / `submission.reply()` via praw.

The collector reads with an app-only (client credentials) token; replying needs the brand's
own account (password grant of the same script app). praw would sleep on a short RATELIMIT;
`ratelimit_seconds=0` makes it raise instead, and the wait Reddit names is told to the user.
`find` reads the account's newest comments for one whose parent is the mention.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, TypeVar

import praw
import prawcore
import requests
from praw.exceptions import RedditAPIException

from sources.reddit_http import endpoints
from sources.reply_base import PostedReply, ReplyError, ReplyTarget

T = TypeVar("T")
RECENT_COMMENTS = 50
_WAIT = re.compile(r"(\d+)\s*(second|minute|hour)", re.IGNORECASE)
GONE = {"DELETED_COMMENT": "the comment was deleted", "DELETED_LINK": "the post was deleted",
        "THREAD_LOCKED": "the thread is locked", "TOO_OLD": "the thread is archived",
        "INVALID_PARENT": "the post no longer exists"}


def _wait(message: str) -> timedelta:
    found = _WAIT.search(message)
    if not found:
        return timedelta(minutes=10)
    amount, unit = int(found.group(1)), found.group(2).lower()
    return timedelta(**{unit + "s": amount})


def translate(exc: Exception, now: datetime) -> ReplyError:
    """Reddit's refusals in plain words (`definite=False` when it may have posted)."""
    if isinstance(exc, RedditAPIException):
        item = exc.items[0] if exc.items else None
        kind, message = (item.error_type, item.message or "") if item else ("", str(exc))
        if kind == "RATELIMIT":
            found = _WAIT.search(message)
            wait = f"{found.group(1)} {found.group(2)}s" if found else "a few minutes"
            return ReplyError("rate_limited", "Reddit says the brand account is doing that "
                              f"too much: wait {wait} and send again.",
                              retry_at=now + _wait(message))
        if kind in GONE:
            return ReplyError("gone", f"Reddit refused the reply: {GONE[kind]}.")
        return ReplyError("invalid", f"Reddit refused the reply: {kind} {message}".strip())
    if isinstance(exc, prawcore.OAuthException):
        return ReplyError("auth", "Reddit rejected the brand account's login: check "
                          "REDDIT_USERNAME/REDDIT_PASSWORD (docs/reply-from-slack.md).")
    if isinstance(exc, prawcore.Forbidden):
        return ReplyError("forbidden", "Reddit does not let the brand account comment there "
                          "(403: banned from the subreddit, or the post is restricted).")
    if isinstance(exc, prawcore.NotFound):
        return ReplyError("gone", "Reddit says the post no longer exists.")
    if isinstance(exc, prawcore.TooManyRequests):
        return ReplyError("rate_limited", "Reddit asked to slow down (429); send again in a "
                          "few minutes.", retry_at=now + timedelta(minutes=5))
    if isinstance(exc, prawcore.ServerError | prawcore.RequestException
                  | requests.RequestException):
        return ReplyError("uncertain", "Reddit did not answer properly; Vigía checks whether "
                          "the reply went out before trying again.", definite=False)
    if isinstance(exc, prawcore.ResponseException):
        return ReplyError("uncertain", f"Reddit answered HTTP {exc.response.status_code}",
                          definite=False)
    raise exc


class RedditReplier:
    """Posts as the brand's Reddit account."""

    source: ClassVar[str] = "reddit"
    limit: ClassVar[int] = 10_000

    def __init__(self, *, client_id: str, client_secret: str, username: str, password: str,
                 user_agent: str, api_base: str | None = None, auth_base: str | None = None,
                 timeout_s: float = 10.0,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        oauth_url, reddit_url = endpoints(api_base, auth_base)
        self.reddit = praw.Reddit(
            client_id=client_id, client_secret=client_secret, user_agent=user_agent,
            username=username, password=password, oauth_url=oauth_url, reddit_url=reddit_url,
            refresh_token=None, check_for_updates=False, check_for_async=False,
            ratelimit_seconds=0, timeout=max(1, round(timeout_s)))
        self.username = username
        self.now = now

    def _call(self, request: Callable[[], T]) -> T:
        try:
            return request()
        except (praw.exceptions.PRAWException, prawcore.PrawcoreException,
                requests.RequestException) as exc:
            raise translate(exc, self.now()) from None

    @staticmethod
    def fullname(external_id: str) -> str:
        """Stored ids are fullnames; a bare id is taken as a comment's."""
        return external_id if external_id.startswith(("t1_", "t3_")) else f"t1_{external_id}"

    @staticmethod
    def _thing(reddit: praw.Reddit, fullname: str) -> Any:
        short = fullname.split("_", 1)[-1]
        return reddit.submission(short) if fullname.startswith("t3_") else reddit.comment(short)

    def verify(self) -> str:
        me = self._call(lambda: self.reddit.user.me())
        return f"u/{me}"

    def post(self, target: ReplyTarget, text: str) -> PostedReply:
        thing = self._thing(self.reddit, target.external_id)
        comment = self._call(lambda: thing.reply(text))
        if comment is None:
            raise ReplyError("uncertain", "Reddit accepted the reply without returning it",
                             definite=False)
        return PostedReply(comment.id, "https://www.reddit.com" + comment.permalink,
                           self.username, self.now(), text)

    def find(self, target: ReplyTarget, since: datetime) -> PostedReply | None:
        def newest() -> list[Any]:
            return list(self.reddit.redditor(self.username).comments.new(limit=RECENT_COMMENTS))

        for comment in self._call(newest):
            if comment.parent_id != self.fullname(target.external_id):
                continue
            at = datetime.fromtimestamp(comment.created_utc, UTC)
            if at >= since - timedelta(seconds=1):
                return PostedReply(comment.id, "https://www.reddit.com" + comment.permalink,
                                   self.username, at, comment.body)
        return None

    def close(self) -> None:
        return None
