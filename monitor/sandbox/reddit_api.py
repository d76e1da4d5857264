"""Reddit API emulator: OAuth token endpoint plus the listings Vigía reads, in real shapes.

Listings follow the recorded payloads: `{"kind": "Listing", "data": {"after", "dist",
"children": [{"kind": "t3"|"t1", "data": {...}}]}}`, fullnames everywhere, `created_utc`
floats, `replies: ""` in flat listings, tiny error bodies (`{"message", "error"}`), and
`x-ratelimit-*` headers with a float `remaining` and `reset` in seconds.

Writes (replies from Slack): `POST /api/comment` needs a user token (password grant) and
answers like Reddit, `{"json": {"errors": [[TYPE, message, field]], "data": {"things": [...]}}}`:
`locked`/`archived`/deleted parents and `ratelimit_minutes` give THREAD_LOCKED, TOO_OLD,
DELETED_COMMENT/DELETED_LINK and RATELIMIT. Comments land in the world and in `posted`.
"""

from __future__ import annotations

import base64
import html
import itertools
import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from monitor.sandbox.http import Emulator, Request, Response
from monitor.sandbox.world import World, WorldPost

CLIENT_ID = "sandbox-reddit-id"  # what `vigia --sandbox` puts in the environment
CLIENT_SECRET = "sandbox-reddit-secret"
_SLUG = re.compile(r"[^a-z0-9]+")


class RedditEmulator(Emulator):
    """Serves a `World`'s reddit posts; `prefix` mounts the API under a path (as proxies do)."""

    name = "reddit"

    def __init__(
        self,
        world: World,
        *,
        client_id: str = CLIENT_ID,
        client_secret: str = CLIENT_SECRET,
        users: dict[str, str] | None = None,  # username -> password for the password grant
        prefix: str = "",
        auth_prefix: str = "",
        ratelimit_budget: float = 996.0,
        ratelimit_reset: int = 300,
        escape_html: bool = False,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__()
        self.world = world
        self.client_id, self.client_secret = client_id, client_secret
        self.users = dict(users or {})
        self.ratelimit_budget = ratelimit_budget
        self.ratelimit_reset = ratelimit_reset
        self.escape_html = escape_html  # what Reddit does to text without raw_json=1
        self.tokens: set[str] = set()
        self.clock = clock  # when posted comments are created
        self.user_tokens: dict[str, str] = {}  # token -> username (password grant)
        self.posted: list[dict[str, Any]] = []
        self.locked: set[str] = set()  # fullnames whose thread is locked
        self.archived: set[str] = set()
        self.ratelimit_minutes: int | None = None  # RATELIMIT on the next comment
        self._used = 0
        self._counter = itertools.count(1)
        self._state_lock = threading.Lock()
        p, a = re.escape(prefix.rstrip("/")), re.escape(auth_prefix.rstrip("/"))
        self.route("POST", a + r"/api/v1/access_token", self._token)
        self.route("GET", p + r"/r/(?P<subs>[^/]+)/search/?", self._search)
        self.route("GET", p + r"/r/(?P<subs>[^/]+)/comments/?", self._sub_comments)
        self.route("GET", p + r"/r/(?P<subs>[^/]+)/new/?", self._sub_new)
        self.route("GET", p + r"/comments/(?P<id>\w+)(?:/[^/]*)?/?", self._thread)
        self.route("GET", p + r"/api/info/?", self._info)
        self.route("GET", p + r"/user/(?P<name>[\w-]+)/comments/?", self._user_comments)
        self.route("POST", p + r"/api/comment/?", self._comment)
        self.route("GET", p + r"/api/v1/me/?", self._me)

    def replay(self, method: str, pattern: str, body: Any, *, status: int = 200,
               headers: dict[str, str] | None = None) -> None:
        """Answer `pattern` with a recorded payload, verbatim, ahead of the emulated routes."""
        self.routes.insert(0, (method.upper(), re.compile(f"^{pattern}$"),
                               lambda _r, _m: Response(status, body, dict(headers or {}))))

    # auth ------------------------------------------------------------------------------------
    def _token(self, request: Request, _m: re.Match[str]) -> Response:
        auth = request.headers.get("authorization", "")
        try:
            user, _, secret = base64.b64decode(auth.removeprefix("Basic ")).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            user, secret = "", ""
        if (user, secret) != (self.client_id, self.client_secret):
            return Response(401, {"message": "Unauthorized", "error": 401}, {"connection": "close"})
        form = request.form()
        grant = form.get("grant_type")
        if grant == "password":
            if self.users.get(form.get("username", "")) != form.get("password"):
                return Response(200, {"error": "invalid_grant"})
        elif grant != "client_credentials":
            return Response(200, {"error": "unsupported_grant_type"})
        token = f"sbx-token-{next(self._counter)}"
        with self._state_lock:
            self.tokens.add(token)
            if grant == "password":
                self.user_tokens[token] = form.get("username", "")
        # prawcore asks "Connection: close" here; say so, or the client may reuse the socket
        return Response(200, {"access_token": token, "token_type": "bearer",
                              "expires_in": 86400, "scope": "*"}, {"connection": "close"})

    def _authorized(self, request: Request) -> Response | None:
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("bearer ") and auth[7:] in self.tokens:
            return None
        return Response(401, {"message": "Unauthorized", "error": 401},
                        {"www-authenticate": 'Bearer realm="reddit", error="invalid_token"'})

    def _rate_headers(self) -> dict[str, str]:
        with self._state_lock:
            self._used += 1
            remaining = max(0.0, self.ratelimit_budget - self._used)
            return {"x-ratelimit-remaining": f"{remaining:.1f}",
                    "x-ratelimit-used": str(self._used),
                    "x-ratelimit-reset": str(self.ratelimit_reset)}

    # listings ----------------------------------------------------------------------------------
    def _listing(self, request: Request, posts: list[WorldPost]) -> Response:
        denied = self._authorized(request)
        if denied is not None:
            return denied
        posts = sorted(posts, key=lambda p: (p.created_at, p.id), reverse=True)
        after = request.arg("after")
        if after:
            names = [self.fullname(p) for p in posts]
            posts = posts[names.index(after) + 1:] if after in names else []
        limit = min(int(request.arg("limit", "25") or 25), 100)
        page, more = posts[:limit], len(posts) > limit
        children = [self.thing(p) for p in page]
        data = {"after": self.fullname(page[-1]) if more and page else None, "dist": len(page),
                "modhash": "", "geo_filter": "", "before": None, "children": children}
        return Response(200, {"kind": "Listing", "data": data}, self._rate_headers())

    def _in_subs(self, subs: str, post: WorldPost) -> bool:
        wanted = {s.lower() for s in subs.split("+")}
        return "all" in wanted or post.subreddit.lower() in wanted

    def _search(self, request: Request, m: re.Match[str]) -> Response:
        q = request.arg("q", "") or ""
        posts = [p for p in self.world.posts("reddit") if p.kind == "submission"
                 and self._in_subs(m["subs"], p) and matches(q, p)]
        return self._listing(request, posts)

    def _sub_comments(self, request: Request, m: re.Match[str]) -> Response:
        posts = [p for p in self.world.posts("reddit")
                 if p.kind == "comment" and self._in_subs(m["subs"], p)]
        return self._listing(request, posts)

    def _sub_new(self, request: Request, m: re.Match[str]) -> Response:
        posts = [p for p in self.world.posts("reddit")
                 if p.kind == "submission" and self._in_subs(m["subs"], p)]
        return self._listing(request, posts)

    def _user_comments(self, request: Request, m: re.Match[str]) -> Response:
        name = m["name"].lower()
        posts = [p for p in self.world.posts("reddit")
                 if p.kind == "comment" and p.author_handle.lower() == name]
        return self._listing(request, posts)

    def _info(self, request: Request, _m: re.Match[str]) -> Response:
        wanted = (request.arg("id", "") or "").split(",")
        posts = [p for p in self.world.posts("reddit") if self.fullname(p) in wanted]
        return self._listing(request, posts)

    def _thread(self, request: Request, m: re.Match[str]) -> Response:
        denied = self._authorized(request)
        if denied is not None:
            return denied
        root = self.world.get("reddit", m["id"])
        if root is None or root.kind != "submission":
            return Response(404, {"message": "Not Found", "error": 404})
        comments = [p for p in self.world.posts("reddit")
                    if p.kind == "comment" and self.link_id(p) == self.fullname(root)]

        def tree(parent: str) -> list[dict[str, Any]]:
            out = []
            for c in sorted(comments, key=lambda p: p.created_at):
                if self.parent_fullname(c) == parent:
                    thing = self.thing(c)
                    kids = tree(self.fullname(c))
                    thing["data"]["replies"] = (
                        {"kind": "Listing", "data": {"after": None, "children": kids}}
                        if kids else "")
                    out.append(thing)
            return out

        body = [
            {"kind": "Listing", "data": {"after": None, "children": [self.thing(root)]}},
            {"kind": "Listing", "data": {"after": None, "children": tree(self.fullname(root))}},
        ]
        return Response(200, body, self._rate_headers())

    # writes ------------------------------------------------------------------------------------
    def _user(self, request: Request) -> str | None:
        auth = request.headers.get("authorization", "")
        return self.user_tokens.get(auth[7:]) if auth.lower().startswith("bearer ") else None

    def _me(self, request: Request, _m: re.Match[str]) -> Response:
        user = self._user(request)
        if user is None:
            return Response(403, {"message": "Forbidden", "error": 403})
        return Response(200, {"name": user, "id": f"sbx{user}", "is_suspended": False},
                        self._rate_headers())

    def _comment(self, request: Request, _m: re.Match[str]) -> Response:
        user = self._user(request)
        if user is None:
            return Response(403, {"message": "Forbidden", "error": 403})
        form = request.form()
        parent_name, text = form.get("thing_id", ""), form.get("text", "")
        parent = self.world.get("reddit", parent_name[3:]) or self.world.get("reddit",
                                                                             parent_name)
        error: list[str] | None = None
        if self.ratelimit_minutes is not None:
            minutes, self.ratelimit_minutes = self.ratelimit_minutes, None
            error = ["RATELIMIT", "Looks like you've been doing that a lot. Take a break for "
                     f"{minutes} minutes before trying again.", "ratelimit"]
        elif parent is None:
            kind = "DELETED_LINK" if parent_name.startswith("t3_") else "DELETED_COMMENT"
            error = [kind, "that comment has been deleted" if kind == "DELETED_COMMENT"
                     else "the link you are commenting on has been deleted", "parent"]
        elif parent_name in self.locked:
            error = ["THREAD_LOCKED", "Comments are locked.", "parent"]
        elif parent_name in self.archived:
            error = ["TOO_OLD", "that's a piece of history now; it's too late to reply to it",
                     "parent"]
        if error is not None:
            return Response(200, {"json": {"errors": [error]}}, self._rate_headers())
        assert parent is not None
        with self._state_lock:
            short = f"sbxr{len(self.posted) + 1:03d}"
            thread = self.link_id(parent) or self.fullname(parent)
            post = WorldPost("reddit", short, f"t2_sbx{user}", user, user, text,
                             self.clock(), parent_id=self.fullname(parent),
                             thread_id=thread, kind="comment", subreddit=parent.subreddit,
                             by_brand=True)
            self.world.add(post)
            self.posted.append({"id": short, "parent": self.fullname(parent), "text": text,
                                "user": user})
        thing = self.thing(post)
        return Response(200, {"json": {"errors": [], "data": {"things": [thing]}}},
                        self._rate_headers())

    # rendering ---------------------------------------------------------------------------------
    @staticmethod
    def fullname(post: WorldPost) -> str:
        if post.id.startswith(("t1_", "t3_")):
            return post.id
        return ("t3_" if post.kind == "submission" else "t1_") + post.id

    def parent_fullname(self, post: WorldPost) -> str | None:
        parent = post.parent_id or post.thread_id
        if parent is None or parent.startswith(("t1_", "t3_")):
            return parent
        found = self.world.get("reddit", parent)
        return self.fullname(found) if found else "t3_" + parent

    def link_id(self, post: WorldPost) -> str | None:
        if post.kind == "submission":
            return self.fullname(post)
        thread = post.thread_id
        if thread and not thread.startswith("t3_"):
            thread = "t3_" + thread
        return thread

    def _text(self, value: str) -> str:
        return html.escape(value, quote=False) if self.escape_html else value

    def thing(self, post: WorldPost) -> dict[str, Any]:
        short = self.fullname(post)[3:]
        author_id = post.author_id if post.author_id.startswith("t2_") else f"t2_{post.author_id}"
        created = float(int(post.created_at.timestamp()))  # Reddit: whole seconds
        common: dict[str, Any] = {
            "id": short, "name": self.fullname(post), "author": post.author_handle,
            "author_fullname": author_id, "subreddit": post.subreddit,
            "subreddit_name_prefixed": f"r/{post.subreddit}", "subreddit_type": "public",
            "created": created, "created_utc": created, "score": post.likes, "ups": post.likes,
            "downs": 0, "distinguished": post.extra.get("distinguished"), "stickied": False,
            "edited": False, "archived": False, "locked": False, "over_18": False,
        }
        if post.kind == "submission":
            title = post.extra.get("title") or post.text
            selftext = post.extra.get("selftext", "") if post.extra.get("title") else ""
            slug = _SLUG.sub("_", title.lower()).strip("_")[:50] or "post"
            permalink = f"/r/{post.subreddit}/comments/{short}/{slug}/"
            return {"kind": "t3", "data": {
                **common, "title": self._text(title), "selftext": self._text(selftext),
                "is_self": True, "domain": f"self.{post.subreddit}", "num_comments": post.replies,
                "permalink": permalink, "url": "https://www.reddit.com" + permalink}}
        link = self.link_id(post) or "t3_unknown"
        root = self.world.get("reddit", link[3:])
        permalink = f"/r/{post.subreddit}/comments/{link[3:]}/_/{short}/"
        return {"kind": "t1", "data": {
            **common, "body": self._text(post.text), "parent_id": self.parent_fullname(post),
            "link_id": link, "link_title": root.extra.get("title", root.text) if root else "",
            "num_comments": root.replies if root else 0, "replies": "",
            "is_submitter": bool(root and root.author_id == post.author_id),
            "permalink": permalink, "link_permalink": "https://www.reddit.com" + permalink}}


_TOKEN = re.compile(r'(NOT\s+)?(?:(author):)?("[^"]+"|[^\s()"]+)', re.IGNORECASE)


def matches(q: str, post: WorldPost) -> bool:
    """A small Lucene subset, enough for the compiled queries: terms/phrases OR'd, `NOT x`,
    `NOT author:x`, case-insensitive substring match on title + selftext."""
    text = f"{post.extra.get('title', '')} {post.extra.get('selftext', '')} {post.text}".lower()
    positive, hit = False, False
    for m in _TOKEN.finditer(q):
        negated, field, word = bool(m[1]), m[2], m[3].strip('"').lower()
        if word in ("or", "and") and not negated:
            continue
        if field:
            if negated and post.author_handle.lower() == word:
                return False
            continue
        if negated:
            if word in text:
                return False
            continue
        positive = True
        hit = hit or word in text
    return hit or not positive
