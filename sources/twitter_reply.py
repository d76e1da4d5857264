"""Reply on X as the brand: `POST /2/tweets` with `reply.in_reply_to_tweet_id`, via tweepy.

Posting needs a *user-context* credential (the brand account's OAuth 2.0 user access token,
or its OAuth 1.0a consumer keys + access token/secret); the app-only bearer token used for
search cannot post, and X says so with a 403 "Unsupported Authentication" that is reported as
such. `find` reads the brand's own timeline after the mention (ids are time-ordered) for a
tweet that replies to it: the look-before-retry that keeps a retried send from posting twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

import requests
import tweepy

from sources.reply_base import PostedReply, ReplyError, ReplyTarget
from sources.twitter_http import (
    X_HOST,
    RoutingAdapter,
    TimeoutAdapter,
    _install_redaction,
    rate_reset,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
TIMELINE_PAGE = 100


@dataclass(frozen=True)
class XUserCredentials:
    """One of the two user-context forms; secrets come from the environment, never config."""

    user_token: str | None = None  # OAuth 2.0 user access token (scopes tweet.write, ...)
    consumer_key: str | None = None  # OAuth 1.0a: all four below
    consumer_secret: str | None = None
    access_token: str | None = None
    access_token_secret: str | None = None

    @property
    def oauth1(self) -> bool:
        return all((self.consumer_key, self.consumer_secret, self.access_token,
                    self.access_token_secret))

    @property
    def usable(self) -> bool:
        return bool(self.user_token) or self.oauth1


def _message(exc: tweepy.HTTPException) -> str:
    parts = [str(m) for m in exc.api_messages if m]
    try:
        body = exc.response.json()
        if isinstance(body, dict) and body.get("detail"):
            parts.append(str(body["detail"]))
    except ValueError:
        pass
    return " ".join(dict.fromkeys(parts))


def translate(exc: Exception, now: datetime) -> ReplyError:
    """X's answers in plain words; `definite=False` where the tweet may exist anyway."""
    if isinstance(exc, tweepy.TooManyRequests):
        reset = rate_reset(exc.response.headers, now)
        return ReplyError("rate_limited", "X says the brand account has posted too much for "
                          f"now (429). You can send again after {reset:%H:%M} UTC.",
                          retry_at=reset)
    if isinstance(exc, tweepy.Unauthorized):
        return ReplyError("auth", "X rejected the brand account's credential (401). Ask an "
                          "admin to renew the X user token (see docs/reply-from-slack.md).")
    if isinstance(exc, tweepy.Forbidden):
        detail = _message(exc)
        low = detail.lower()
        if "duplicate" in low:
            return ReplyError("duplicate", "X refused this text because the brand account "
                              "already posted exactly the same words. Change the text a little "
                              "and send again.")
        if "application-only" in low or "unsupported authentication" in low:
            return ReplyError("auth", "The X credential configured is app-only (the search "
                              "bearer token): it cannot post. Configure a user-context token "
                              "for the brand account (docs/reply-from-slack.md).")
        return ReplyError("forbidden", "X does not allow the brand account to reply to this "
                          "post (403): the author may have limited who can reply, or the "
                          f"account lacks write access. X said: {detail or 'Forbidden'}")
    if isinstance(exc, tweepy.NotFound):
        return ReplyError("gone", "X says the post no longer exists (deleted or hidden).")
    if isinstance(exc, tweepy.BadRequest):
        detail = _message(exc)
        if any(w in detail.lower() for w in ("deleted", "not visible", "does not exist")):
            return ReplyError("gone", "X says the post was deleted or is not visible to the "
                              "brand account.")
        return ReplyError("invalid", f"X refused the reply: {detail or 'bad request'}")
    if isinstance(exc, tweepy.TwitterServerError):
        return ReplyError("uncertain", f"X answered with a server error "
                          f"({exc.response.status_code}); Vigía checks whether the reply went "
                          "out before trying again.", definite=False)
    if isinstance(exc, requests.ConnectTimeout):
        return ReplyError("transient", "X could not be reached; nothing was posted.")
    if isinstance(exc, requests.RequestException):
        return ReplyError("uncertain", "X did not answer in time; Vigía checks whether the "
                          "reply went out before trying again.", definite=False)
    if isinstance(exc, tweepy.HTTPException):
        return ReplyError("uncertain", f"X answered HTTP {exc.response.status_code}",
                          definite=False)
    raise exc


class TwitterReplier:
    """Posts as the brand account on X through tweepy's v2 client."""

    source: ClassVar[str] = "twitter"
    limit: ClassVar[int] = 280

    def __init__(self, credentials: XUserCredentials, *, api_base: str | None = None,
                 timeout_s: float = 10.0,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        if not credentials.usable:
            raise ValueError("X replies need an OAuth 2.0 user token or OAuth 1.0a user keys")
        _install_redaction()
        self._user_auth = not credentials.user_token
        if credentials.user_token:
            self.client = tweepy.Client(bearer_token=credentials.user_token,
                                        return_type=requests.Response, wait_on_rate_limit=False)
        else:
            self.client = tweepy.Client(
                consumer_key=credentials.consumer_key,
                consumer_secret=credentials.consumer_secret,
                access_token=credentials.access_token,
                access_token_secret=credentials.access_token_secret,
                return_type=requests.Response, wait_on_rate_limit=False)
        adapter = RoutingAdapter(api_base, timeout_s) if api_base else TimeoutAdapter(timeout_s)
        self.client.session.mount(X_HOST + "/", adapter)
        self.now = now
        self._me: tuple[str, str] | None = None

    def _call(self, request: Callable[[], T]) -> T:
        try:
            return request()
        except (tweepy.TweepyException, requests.RequestException) as exc:
            raise translate(exc, self.now()) from None

    def _json(self, response: Any) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            raise ReplyError("uncertain", "X sent an unreadable answer", definite=False) from None
        return body if isinstance(body, dict) else {}

    def me(self) -> tuple[str, str]:
        """(user id, username) of the account the credential posts as (cached)."""
        if self._me is None:
            body = self._json(self._call(lambda: self.client.get_me(user_auth=self._user_auth)))
            data = body.get("data") or {}
            if not data.get("id"):
                raise ReplyError("auth", "X did not say which account the credential belongs to")
            self._me = (str(data["id"]), str(data.get("username", "")))
        return self._me

    def verify(self) -> str:
        return "@" + self.me()[1]

    def _link(self, tweet_id: str) -> str:
        return f"https://x.com/{self.me()[1]}/status/{tweet_id}"

    def post(self, target: ReplyTarget, text: str) -> PostedReply:
        self.me()  # read-only first: a bad credential fails before anything is written
        response = self._call(lambda: self.client.create_tweet(
            text=text, in_reply_to_tweet_id=target.external_id, user_auth=self._user_auth))
        data = self._json(response).get("data") or {}
        if not data.get("id"):
            raise ReplyError("uncertain", "X accepted the reply without saying its id",
                             definite=False)
        tweet_id = str(data["id"])
        return PostedReply(tweet_id, self._link(tweet_id), "@" + self.me()[1], self.now(),
                           str(data.get("text", text)))

    def find(self, target: ReplyTarget, since: datetime) -> PostedReply | None:
        user_id, _name = self.me()
        response = self._call(lambda: self.client.get_users_tweets(
            user_id, since_id=target.external_id, max_results=TIMELINE_PAGE,
            tweet_fields=["referenced_tweets", "created_at"], user_auth=self._user_auth))
        for tweet in self._json(response).get("data") or []:
            refs = tweet.get("referenced_tweets") or []
            if any(r.get("type") == "replied_to" and str(r.get("id")) == target.external_id
                   for r in refs):
                posted = tweet.get("created_at")
                at = datetime.fromisoformat(posted.replace("Z", "+00:00")) if posted else None
                if at is None or at >= since:
                    return PostedReply(str(tweet["id"]), self._link(str(tweet["id"])),
                                       "@" + self.me()[1], at, str(tweet.get("text", "")))
        return None

    def close(self) -> None:
        self.client.session.close()
