"""Loopback emulator of the X API v2 endpoints Vigía reads, in the shapes X really answers.

Behaviour copied from the API (and from the recordings in tests/fixtures/twitter/):
- only `id`, `text`, `edit_history_tweet_ids` unless `tweet.fields` asks for more; users carry
  `id`, `name`, `username` unless `user.fields` asks; includes only for requested expansions;
- text has `&`, `<`, `>` escaped as HTML entities; `lang` is "und" when unknown;
- results newest first; `since_id`/`until_id` exclusive; `meta.next_token` while more remain;
- `x-rate-limit-*` headers on every authorised answer, a 429 problem when the window is spent;
- 401 problem for a wrong bearer token, 400 invalid-request problem for bad parameters.
`replay()` serves a recorded body verbatim (real payloads through the real client), and
`overlap` makes consecutive pages share items, as X occasionally does.

Writes (replies from Slack): `POST /2/tweets` and `GET /2/users/me` need a user-context
credential (`user_tokens`: an OAuth 2.0 user token, or the OAuth 1.0a access token in the
`OAuth` header); the app-only bearer gets X's 403 "Unsupported Authentication". Replies land in
the world as brand posts (so the timeline shows them) and in `posted`; identical text from the
same account is refused as duplicate content, and `reply_restricted` ids refuse replies.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from monitor.sandbox.http import Emulator, Request, Response
from monitor.sandbox.twitter_search import QueryError, compile_query, is_quote, is_retweet
from monitor.sandbox.world import World, WorldPost

TWEET_FIELDS = frozenset(
    {
        "article", "attachments", "author_id", "card_uri", "context_annotations",
        "conversation_id", "created_at", "display_text_range", "edit_controls",
        "edit_history_tweet_ids", "entities", "geo", "id", "in_reply_to_user_id", "lang",
        "media_metadata", "non_public_metrics", "note_tweet", "organic_metrics",
        "possibly_sensitive", "promoted_metrics", "public_metrics", "referenced_tweets",
        "reply_settings", "scopes", "source", "text", "withheld",
    }
)
USER_FIELDS = frozenset(
    {
        "affiliation", "connection_status", "created_at", "description", "entities", "id",
        "location", "most_recent_tweet_id", "name", "pinned_tweet_id", "profile_banner_url",
        "profile_image_url", "protected", "public_metrics", "receives_your_dm",
        "subscription_type", "url", "username", "verified", "verified_type", "withheld",
    }
)
EXPANSIONS = frozenset(
    {
        "attachments.poll_ids", "attachments.media_keys", "author_id", "edit_history_tweet_ids",
        "entities.mentions.username", "geo.place_id", "in_reply_to_user_id",
        "referenced_tweets.id", "referenced_tweets.id.author_id",
    }
)
_COMMON = {"tweet.fields", "user.fields", "expansions", "media.fields", "place.fields",
           "poll.fields", "max_results", "since_id", "until_id", "start_time", "end_time"}
SEARCH_PARAMS = _COMMON | {"query", "next_token", "pagination_token", "sort_order"}
TIMELINE_PARAMS = _COMMON | {"pagination_token", "exclude"}
# per 15 minutes, as recorded
LIMITS = {"search": 450, "timeline": 1500, "users": 300, "post": 200, "me": 75}
WINDOW_S = 900
RECENT_S = 7 * 24 * 3600  # recent search only reaches back seven days
TWEPOCH_MS = 1288834974657
PROBLEM = "https://api.twitter.com/2/problems/"
VALID_TOKEN = "sandbox-x-bearer"  # what monitor.sandbox.runner puts in the bearer variable


class _BadRequest(Exception):
    def __init__(self, message: str, parameter: str | None = None, value: str = "") -> None:
        super().__init__(message)
        self.parameters = {parameter: [value]} if parameter else {}


@dataclass
class _Replay:
    path: re.Pattern[str]
    response: Response
    times: int


@dataclass
class _Window:
    limit: int
    remaining: int
    reset: int


def snowflake_time(tweet_id: int) -> float:
    """Epoch seconds an X id was minted at (ids are time-ordered snowflakes)."""
    return ((tweet_id >> 22) + TWEPOCH_MS) / 1000


def iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def problem(status: int, title: str, detail: str, kind: str = "about:blank") -> dict[str, Any]:
    return {"title": title, "detail": detail, "type": kind, "status": status}


class TwitterEmulator(Emulator):
    """Serves search/recent, users/:id/tweets and users/by/username from a `World`."""

    name = "twitter"

    def __init__(
        self,
        world: World,
        *,
        bearer_token: str = VALID_TOKEN,
        limits: dict[str, int] | None = None,
        overlap: int = 0,
        clock: Callable[[], float] = time.time,
        user_tokens: dict[str, tuple[str, str]] | None = None,
    ) -> None:
        super().__init__()
        self.world = world
        self.bearer_token = bearer_token
        self.user_tokens = dict(user_tokens or {})  # token -> (user id, username)
        self.posted: list[dict[str, Any]] = []  # every tweet created, as received
        self.reply_restricted: set[str] = set()  # tweet ids whose author limits replies
        self.limits = {**LIMITS, **(limits or {})}
        self.overlap = overlap
        self.clock = clock
        self._windows: dict[str, _Window] = {}
        self._replays: list[_Replay] = []
        self.route("GET", r"/2/tweets/search/recent", self._search)
        self.route("GET", r"/2/users/(?P<id>\d+)/tweets", self._timeline)
        self.route("GET", r"/2/users/by/username/(?P<name>\w+)", self._user_by_name)
        self.route("GET", r"/2/users/me", self._me)
        self.route("POST", r"/2/tweets", self._create)

    # test controls -----------------------------------------------------------
    def replay(
        self,
        path: str,
        body: Any,
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` requests matching `path` with a recorded body, verbatim."""
        with self._lock:
            self._replays.append(
                _Replay(re.compile(path), Response(status, body, dict(headers or {})), times)
            )

    def search_queries(self) -> list[dict[str, str]]:
        """Query strings of the search requests received, flattened, in order."""
        return [
            {k: v[0] for k, v in r.query.items()} for r in self.requests_to(r"/search/recent$")
        ]

    # dispatch ----------------------------------------------------------------
    def user_of(self, request: Request) -> tuple[str, str] | None:
        """The user a user-context request acts as (OAuth 2.0 user token or OAuth 1.0a)."""
        auth = request.headers.get("authorization", "")
        if auth.startswith("Bearer "):
            return self.user_tokens.get(auth[7:])
        found = re.search(r'oauth_token="([^"]+)"', auth)
        return self.user_tokens.get(unquote(found.group(1))) if found else None

    def dispatch(self, request: Request) -> Response:
        auth = request.headers.get("authorization", "")
        user = self.user_of(request)
        if auth != f"Bearer {self.bearer_token}" and user is None:
            return Response(401, problem(401, "Unauthorized", "Unauthorized"))
        if user is None and (request.path == "/2/users/me" or request.method == "POST"):
            return Response(403, problem(
                403, "Unsupported Authentication",
                "Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint."
                "  Supported authentication types are [OAuth 1.0a User Context, OAuth 2.0 User "
                "Context].", PROBLEM + "unsupported-authentication"))
        bucket = self._bucket(request.path)
        window = self._spend(bucket)
        headers = {
            "x-rate-limit-limit": str(window.limit),
            "x-rate-limit-remaining": str(max(window.remaining, 0)),
            "x-rate-limit-reset": str(window.reset),
        }
        if window.remaining < 0:
            body = problem(429, "Too Many Requests", "Too Many Requests")
            return Response(429, body, headers)
        replayed = self._take_replay(request.path)
        if replayed is not None:
            return Response(replayed.status, replayed.body, {**headers, **replayed.headers})
        try:
            response = super().dispatch(request)
        except (_BadRequest, QueryError) as exc:
            parameters = exc.parameters if isinstance(exc, _BadRequest) else {}
            body = {
                "errors": [{"parameters": parameters, "message": str(exc)}],
                "title": "Invalid Request",
                "detail": "One or more parameters to your request was invalid.",
                "type": PROBLEM + "invalid-request",
            }
            response = Response(400, body)
        response.headers.update(headers)
        return response

    def _bucket(self, path: str) -> str:
        if path == "/2/tweets":
            return "post"
        if path == "/2/users/me":
            return "me"
        if path.endswith("/search/recent"):
            return "search"
        return "timeline" if path.endswith("/tweets") else "users"

    def _spend(self, bucket: str) -> _Window:
        now = int(self.clock())
        with self._lock:
            window = self._windows.get(bucket)
            if window is None or now >= window.reset:
                limit = self.limits[bucket]
                window = _Window(limit, limit, now + WINDOW_S)
                self._windows[bucket] = window
            window.remaining -= 1
            return _Window(window.limit, window.remaining, window.reset)

    def _take_replay(self, path: str) -> Response | None:
        with self._lock:
            for replay in self._replays:
                if replay.path.search(path):
                    replay.times -= 1
                    if replay.times == 0:
                        self._replays.remove(replay)
                    return replay.response
        return None

    # endpoints ---------------------------------------------------------------
    def _search(self, request: Request, match: re.Match[str]) -> Response:
        _check_params(request, SEARCH_PARAMS)
        predicate = compile_query(request.arg("query") or "")
        oldest = self.clock() - RECENT_S
        for name in ("since_id", "until_id"):
            value = _id_arg(request, name)
            if value is not None and snowflake_time(value) < oldest:
                raise _BadRequest(
                    f"Invalid '{name}':'{value}'. '{name}' must be a tweet id created after "
                    f"{datetime.fromtimestamp(oldest, UTC):%Y-%m-%dT%H:%MZ}.",
                    name, str(value),
                )
        posts = [
            p for p in self.world.posts("twitter")
            if p.created_at.timestamp() >= oldest and predicate(p)
        ]
        return self._page(request, posts, low=10, token_param="next_token")

    def _timeline(self, request: Request, match: re.Match[str]) -> Response:
        _check_params(request, TIMELINE_PARAMS)
        excluded = set(filter(None, (request.arg("exclude") or "").split(",")))
        posts = [
            p
            for p in self.world.posts("twitter")
            if p.author_id == match["id"]
            and not ("retweets" in excluded and is_retweet(p))
            and not ("replies" in excluded and p.parent_id is not None)
        ]
        return self._page(request, posts, low=5, token_param="pagination_token")

    def _user_by_name(self, request: Request, match: re.Match[str]) -> Response:
        _check_params(request, {"user.fields", "expansions", "tweet.fields"})
        user_fields = _fields(request, "user.fields", USER_FIELDS)
        for post in reversed(self.world.posts("twitter")):
            if post.author_handle.casefold() == match["name"].casefold():
                return Response(200, {"data": self._user(post, user_fields)})
        name = match["name"]
        error = {
            "value": name, "detail": f"Could not find user with username: [{name}].",
            "title": "Not Found Error", "resource_type": "user", "parameter": "username",
            "resource_id": name, "type": PROBLEM + "resource-not-found",
        }
        return Response(200, {"errors": [error]})

    def _me(self, request: Request, match: re.Match[str]) -> Response:
        user = self.user_of(request)
        assert user is not None  # dispatch refused app-only callers
        return Response(200, {"data": {"id": user[0], "name": user[1], "username": user[1]}})

    def _create(self, request: Request, match: re.Match[str]) -> Response:
        user = self.user_of(request)
        assert user is not None
        body = request.json() if request.body else {}
        text = str((body or {}).get("text") or "")
        parent_id = str(((body or {}).get("reply") or {}).get("in_reply_to_tweet_id") or "")
        if not text or len(text) > 280:
            raise _BadRequest("Your Tweet text is empty or too long.", "text", text[:20])
        parent = self.world.get("twitter", parent_id) if parent_id else None
        if parent_id and parent is None:
            raise _BadRequest("Your Tweet could not be created because the Tweet you are "
                              "replying to has been deleted or is not visible to you.",
                              "reply.in_reply_to_tweet_id", parent_id)
        with self._lock:
            mine = [p for p in self.world.posts("twitter") if p.author_id == user[0]]
            if any(p.text == text for p in mine):
                return Response(403, problem(403, "Forbidden", "You are not allowed to create "
                                             "a Tweet with duplicate content."))
            if parent_id in self.reply_restricted:
                return Response(403, problem(
                    403, "Forbidden", "Reply to this conversation is not allowed because you "
                    "have not been mentioned or otherwise engaged by the author of the post "
                    "you are replying to."))
            at = datetime.fromtimestamp(self.clock(), UTC)
            tweet_id = str(((int(at.timestamp() * 1000) - TWEPOCH_MS) << 22)
                           + (len(self.posted) + 1) % 4096)
            self.world.add(WorldPost(
                "twitter", tweet_id, user[0], user[1], user[1], text, at, by_brand=True,
                parent_id=parent_id or None,
                thread_id=(parent.thread_id or parent.id) if parent else tweet_id,
                extra={"in_reply_to_user_id": parent.author_id} if parent else {}))
            self.posted.append({"id": tweet_id, "text": text, "in_reply_to": parent_id,
                                "user": user[1]})
        return Response(201, {"data": {"id": tweet_id, "text": text,
                                       "edit_history_tweet_ids": [tweet_id]}})

    # rendering ---------------------------------------------------------------
    def _page(self, request: Request, posts: list[WorldPost], *, low: int,
              token_param: str) -> Response:
        since, until = _id_arg(request, "since_id"), _id_arg(request, "until_id")
        start, end = _time_arg(request, "start_time"), _time_arg(request, "end_time")
        below = _token(request.arg(token_param))
        size = _int_arg(request, "max_results", 10, low, 100)
        tweet_fields = _fields(request, "tweet.fields", TWEET_FIELDS)
        user_fields = _fields(request, "user.fields", USER_FIELDS)
        expansions = _fields(request, "expansions", EXPANSIONS)
        selected = sorted(
            (
                p for p in posts
                if (since is None or int(p.id) > since)
                and (until is None or int(p.id) < until)
                and (below is None or int(p.id) < below)
                and (start is None or p.created_at >= start)
                and (end is None or p.created_at < end)
            ),
            key=lambda p: int(p.id),
            reverse=True,
        )
        page, rest = selected[:size], selected[size:]
        if not page:
            return Response(200, {"meta": {"result_count": 0}})
        meta: dict[str, Any] = {
            "newest_id": page[0].id, "oldest_id": page[-1].id, "result_count": len(page),
        }
        if rest:
            anchor = page[-1 - self.overlap] if len(page) > self.overlap else page[-1]
            meta["next_token"] = f"b26v{int(anchor.id):x}"
        body: dict[str, Any] = {"data": [self._tweet(p, tweet_fields) for p in page]}
        includes = self._includes(page, tweet_fields, user_fields, expansions)
        if includes:
            body["includes"] = includes
        body["meta"] = meta
        return Response(200, body)

    def _includes(self, page: list[WorldPost], tweet_fields: set[str], user_fields: set[str],
                  expansions: set[str]) -> dict[str, Any]:
        referenced: list[WorldPost] = []
        if "referenced_tweets.id" in expansions:
            ids = [ref["id"] for p in page for ref in self._references(p)]
            found = (self.world.get("twitter", i) for i in dict.fromkeys(ids))
            referenced = [p for p in found if p is not None]
        authors: list[WorldPost] = []
        if "author_id" in expansions:
            authors += page
        if "referenced_tweets.id.author_id" in expansions:
            authors += referenced
        if "in_reply_to_user_id" in expansions:
            authors += [p for p in (self._parent(x) for x in page) if p is not None]
        includes: dict[str, Any] = {}
        users = {p.author_id: self._user(p, user_fields) for p in reversed(authors)}
        if users:
            includes["users"] = list(users.values())
        if referenced:
            includes["tweets"] = [self._tweet(p, tweet_fields) for p in referenced]
        return includes

    def _parent(self, post: WorldPost) -> WorldPost | None:
        return self.world.get("twitter", post.parent_id) if post.parent_id else None

    def _references(self, post: WorldPost) -> list[dict[str, str]]:
        refs: list[dict[str, str]] = []
        if is_retweet(post) and post.extra.get("retweeted_id"):
            refs.append({"type": "retweeted", "id": str(post.extra["retweeted_id"])})
        if is_quote(post) and post.extra.get("quoted_id"):
            refs.append({"type": "quoted", "id": str(post.extra["quoted_id"])})
        if post.parent_id and not is_retweet(post):
            refs.append({"type": "replied_to", "id": post.parent_id})
        return refs

    def _tweet(self, post: WorldPost, fields: set[str]) -> dict[str, Any]:
        parent = self._parent(post)
        full: dict[str, Any] = {
            "author_id": post.author_id,
            "created_at": iso(post.created_at),
            "conversation_id": post.thread_id or post.id,
            "lang": post.lang or "und",
            "public_metrics": {
                "retweet_count": post.shares, "reply_count": post.replies,
                "like_count": post.likes, "quote_count": int(post.extra.get("quotes", 0)),
                "bookmark_count": 0, "impression_count": 0,
            },
            "possibly_sensitive": False,
            "reply_settings": "everyone",
            "entities": _entities(post.text),
        }
        reply_to = post.extra.get("in_reply_to_user_id") or (parent.author_id if parent else None)
        if reply_to and post.parent_id:
            full["in_reply_to_user_id"] = str(reply_to)
        refs = self._references(post)
        if refs:
            full["referenced_tweets"] = refs
        tweet: dict[str, Any] = {
            "edit_history_tweet_ids": [post.id],
            "id": post.id,
            "text": html.escape(post.text, quote=False),
        }
        tweet.update({k: v for k, v in full.items() if k in fields})
        return tweet

    def _user(self, post: WorldPost, fields: set[str]) -> dict[str, Any]:
        full: dict[str, Any] = {
            "created_at": "2015-03-02T10:00:00.000Z",
            "description": "",
            "protected": False,
            "public_metrics": {
                "followers_count": post.followers, "following_count": 0,
                "tweet_count": 0, "listed_count": 0,
            },
            "verified": bool(post.extra.get("verified", False)),
        }
        user: dict[str, Any] = {
            "id": post.author_id, "name": post.author_name, "username": post.author_handle,
        }
        user.update({k: v for k, v in full.items() if k in fields})
        return user


def _entities(text: str) -> dict[str, Any]:
    entities: dict[str, Any] = {}
    mentions = [
        {"start": m.start(), "end": m.end(), "username": m.group(1)}
        for m in re.finditer(r"@(\w+)", text)
    ]
    tags = [
        {"start": m.start(), "end": m.end(), "tag": m.group(1)}
        for m in re.finditer(r"#(\w+)", text)
    ]
    if mentions:
        entities["mentions"] = mentions
    if tags:
        entities["hashtags"] = tags
    return entities


def _check_params(request: Request, allowed: set[str]) -> None:
    unknown = sorted(set(request.query) - allowed)
    if unknown:
        raise _BadRequest(f"The query parameter {unknown} is not one of {sorted(allowed)}")


def _fields(request: Request, name: str, allowed: frozenset[str]) -> set[str]:
    values = {v for v in (request.arg(name) or "").split(",") if v}
    bad = sorted(values - allowed)
    if bad:
        raise _BadRequest(f"The `{name}` query parameter value {bad} is not one of the allowed")
    return values


def _id_arg(request: Request, name: str) -> int | None:
    value = request.arg(name)
    if value is None:
        return None
    if not value.isdigit():
        raise _BadRequest(f"The `{name}` query parameter value [{value}] is not valid")
    return int(value)


def _int_arg(request: Request, name: str, default: int, low: int, high: int) -> int:
    value = request.arg(name)
    if value is None:
        return default
    if not value.isdigit() or not low <= int(value) <= high:
        raise _BadRequest(
            f"The `{name}` query parameter value [{value}] is not between {low} and {high}"
        )
    return int(value)


def _time_arg(request: Request, name: str) -> datetime | None:
    value = request.arg(name)
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _BadRequest(f"The `{name}` query parameter value [{value}] is not valid") from None


def _token(value: str | None) -> int | None:
    if value is None:
        return None
    if not value.startswith("b26v"):
        raise _BadRequest(f"The `next_token` query parameter value [{value}] is not valid")
    try:
        return int(value[4:], 16)
    except ValueError:
        raise _BadRequest(f"The `next_token` value [{value}] is not valid") from None
