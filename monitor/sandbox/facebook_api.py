"""Facebook Graph API emulator: a Page's posts, feed, tagged posts and comments.

Behaves like Graph where Vigía depends on it: only the requested `fields` come back (so a
client that forgets `from`/`parent` cannot tell the Page's replies apart), comments default to
`filter=toplevel`, `/posts` and `/feed` page by time (`next` with `until`/`__paging_token`)
while `/tagged` and `/comments` page by `cursors.after`, `next` URLs embed the access token,
errors are `{"error": {"message", "type", "code", "fbtrace_id"}}`, and every answer carries
`X-App-Usage` / `X-Business-Use-Case-Usage` headers.

Writes (replies from Slack): `POST /{id}/comments` (token in the form body, as Graph accepts)
adds a comment from the Page and returns `{"id"}`; `missing_permission` answers Graph's
(#200) error, an unknown object error 100. `GET /me` and `GET /{comment id}` serve the Page
and a comment's permalink. Comments posted land in the world and in `posted`.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from monitor.sandbox.http import Emulator, Request, Response
from monitor.sandbox.world import World, WorldPost

PAGE_TOKEN = "sandbox-fb-page-token"  # what `vigia --sandbox` puts in the environment
DEFAULT_PAGE_ID = "104000000000001"
_V = r"/(?P<version>v\d+\.\d+)"


def graph_error(code: int, message: str, *, status: int = 400, subcode: int | None = None,
                kind: str = "OAuthException") -> dict[str, Any]:
    """A Graph error body, for routes and for tests injecting faults."""
    error: dict[str, Any] = {"message": message, "type": kind, "code": code,
                             "fbtrace_id": "AsandboxTrace01"}
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": error}


def usage_header(percent: int, regain_minutes: int = 0, page_id: str = "0") -> dict[str, str]:
    """Headers reporting `percent` usage (what Graph sends as the limit approaches)."""
    app = {"call_count": percent, "total_time": percent, "total_cputime": percent}
    buc = {page_id: [{"type": "pages", **app, "estimated_time_to_regain_access": regain_minutes}]}
    return {"X-App-Usage": json.dumps(app), "X-Business-Use-Case-Usage": json.dumps(buc)}


def graph_time(at: datetime) -> str:
    """A time as Graph writes it (Facebook and Instagram alike)."""
    return at.strftime("%Y-%m-%dT%H:%M:%S+0000")


def encode_cursor(value: str) -> str:
    """An opaque paging cursor for an item id, shared by the Graph emulators."""
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def decode_cursor(value: str) -> str:
    """The item id behind `encode_cursor`; a forged or garbled cursor reads as ""."""
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
    except ValueError:
        return ""


class FacebookEmulator(Emulator):
    """Serves the `World`'s facebook posts for one Page (`page_id`)."""

    name = "facebook"

    def __init__(self, world: World, page_id: str | None = None, *, token: str = PAGE_TOKEN,
                 page_name: str = "Tienda Sandbox") -> None:
        super().__init__()
        self.world, self.token, self.page_name = world, token, page_name
        self.page_id = page_id or self._page_of(world)
        self.usage_percent = 3
        self._trace = itertools.count(1)
        self.route("GET", _V + r"/(?P<node>\d+)/(?P<edge>posts|feed|tagged)", self._edge)
        self.route("GET", _V + r"/(?P<node>[\d_]+)/comments", self._comments)
        self.route("POST", _V + r"/(?P<node>[\d_]+)/comments", self._create_comment)
        self.route("GET", _V + r"/me", self._me)
        self.route("GET", _V + r"/(?P<node>\d+_\d+)", self._object)
        self.posted: list[dict[str, Any]] = []
        self.missing_permission = False
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def replay(self, pattern: str, body: Any, *, status: int = 200,
               headers: dict[str, str] | None = None) -> None:
        """Answer GET `pattern` with a recorded payload, verbatim, ahead of emulated routes."""
        self.routes.insert(0, ("GET", re.compile(f"^{pattern}$"),
                               lambda _r, _m: Response(status, body, dict(headers or {}))))

    @staticmethod
    def _page_of(world: World) -> str:
        """The Page the world's posts live on: Graph post ids are `<page>_<post>`."""
        for post in world.posts("facebook"):
            for candidate in (post.thread_id, post.id):
                if candidate and "_" in candidate:
                    return candidate.split("_", 1)[0]
        return DEFAULT_PAGE_ID

    # helpers -----------------------------------------------------------------------------------
    def _headers(self) -> dict[str, str]:
        return usage_header(self.usage_percent, page_id=self.page_id)

    def _denied(self, request: Request) -> Response | None:
        token = request.arg("access_token")
        if token is None and request.method == "POST":
            token = request.form().get("access_token")
        if token == self.token:
            return None
        return Response(400, graph_error(190, "Invalid OAuth access token - Cannot parse "
                                              "access token"), self._headers())

    def posts(self) -> list[WorldPost]:
        """World posts plus a synthetic Page post for any thread only comments refer to."""
        items = self.world.posts("facebook")
        known = {p.id for p in items}
        extra: dict[str, WorldPost] = {}
        for p in items:
            thread = p.thread_id
            if p.kind == "comment" and thread and thread not in known and thread not in extra:
                extra[thread] = WorldPost(
                    "facebook", thread, self.page_id, "", self.page_name,
                    "Novedades de la tienda", p.created_at - timedelta(hours=2), kind="post")
        return items + list(extra.values())

    def _author(self, post: WorldPost) -> dict[str, str]:
        if post.by_brand or post.author_id == self.page_id:
            return {"id": self.page_id, "name": self.page_name}
        return {"id": post.author_id, "name": post.author_name}

    def _permalink(self, post: WorldPost) -> str:
        short = lambda v: v.rsplit("_", 1)[-1]  # noqa: E731
        if post.kind != "comment":
            return f"https://www.facebook.com/{self.page_id}/posts/{short(post.id)}"
        base = f"https://www.facebook.com/{self.page_id}/posts/{short(post.thread_id or '')}/"
        if post.parent_id:
            return f"{base}?comment_id={short(post.parent_id)}&reply_comment_id={short(post.id)}"
        return f"{base}?comment_id={short(post.id)}"

    def render(self, post: WorldPost, fields: set[str]) -> dict[str, Any]:
        """The post as Graph sends it. Variants real Graph answers show, per post `extra`:
        `created_time` (a raw string, e.g. without a UTC offset) and `withhold_from` (Graph
        omits `from` when it will not say who wrote an item)."""
        full: dict[str, Any] = {
            "id": post.id, "created_time": post.extra.get("created_time")
            or graph_time(post.created_at), "message": post.text,
            "permalink_url": self._permalink(post), "from": self._author(post),
        }
        if post.extra.get("withhold_from"):
            del full["from"]
        if post.kind == "comment":
            full["like_count"] = post.likes
            full["comment_count"] = post.replies
            parent = self.world.get("facebook", post.parent_id) if post.parent_id else None
            if parent is not None:
                full["parent"] = {"id": parent.id, "created_time": graph_time(parent.created_at),
                                  "from": self._author(parent), "message": parent.text}
        return {k: v for k, v in full.items() if k == "id" or k in fields}

    def _page(self, request: Request, items: list[WorldPost], *, time_paging: bool) -> Response:
        fields = set(filter(None, (request.arg("fields") or "").split(",")))
        since, until = request.arg("since"), request.arg("until")
        if since:
            items = [p for p in items if p.created_at.timestamp() >= int(since)]
        token = request.arg("__paging_token") if time_paging else request.arg("after")
        if token:
            ids = [p.id for p in items]
            last = decode_cursor(token)
            items = items[ids.index(last) + 1:] if last in ids else []
        elif until:
            items = [p for p in items if p.created_at.timestamp() <= int(until)]
        limit = min(int(request.arg("limit") or 25), 100)
        page, more = items[:limit], len(items) > limit
        body: dict[str, Any] = {"data": [self.render(p, fields) for p in page]}
        if page:
            query = {k: v[0] for k, v in request.query.items()}
            paging: dict[str, Any] = {}
            if not time_paging:
                paging["cursors"] = {"before": encode_cursor(page[0].id),
                                     "after": encode_cursor(page[-1].id)}
            if more:
                nxt = dict(query)
                if time_paging:
                    nxt.update(until=str(int(page[-1].created_at.timestamp())),
                               __paging_token=encode_cursor(page[-1].id))
                else:
                    nxt["after"] = encode_cursor(page[-1].id)
                paging["next"] = f"{self.base_url}{request.path}?{urlencode(nxt)}"
            body["paging"] = paging
        return Response(200, body, self._headers())

    # routes ------------------------------------------------------------------------------------
    def _edge(self, request: Request, m: re.Match[str]) -> Response:
        denied = self._denied(request)
        if denied is not None:
            return denied
        if m["node"] != self.page_id:
            return Response(400, graph_error(100, f"Unsupported get request. Object with ID "
                                                  f"'{m['node']}' does not exist", subcode=33))
        edge = m["edge"]
        posts = self.posts()
        if edge == "tagged":
            items = [p for p in posts if p.kind == "tagged"]
        else:
            items = [p for p in posts if p.kind == "post"]
            if edge == "posts":
                items = [p for p in items if self._author(p)["id"] == self.page_id]
        items.sort(key=lambda p: (p.created_at, p.id), reverse=True)
        return self._page(request, items, time_paging=edge != "tagged")

    def _me(self, request: Request, _m: re.Match[str]) -> Response:
        denied = self._denied(request)
        if denied is not None:
            return denied
        return Response(200, {"id": self.page_id, "name": self.page_name}, self._headers())

    def _object(self, request: Request, m: re.Match[str]) -> Response:
        denied = self._denied(request)
        if denied is not None:
            return denied
        post = next((p for p in self.posts() if p.id == m["node"]), None)
        if post is None:
            return Response(400, graph_error(100, f"Unsupported get request. Object with ID "
                                                  f"'{m['node']}' does not exist", subcode=33))
        fields = set(filter(None, (request.arg("fields") or "").split(",")))
        return Response(200, self.render(post, fields), self._headers())

    def _create_comment(self, request: Request, m: re.Match[str]) -> Response:
        denied = self._denied(request)
        if denied is not None:
            return denied
        if self.missing_permission:
            return Response(403, graph_error(200, "(#200) Permissions error"), self._headers())
        node = m["node"]
        parent = next((p for p in self.posts() if p.id == node), None)
        if parent is None:
            return Response(400, graph_error(100, f"Unsupported post request. Object with ID "
                                                  f"'{node}' does not exist, cannot be loaded "
                                                  "due to missing permissions, or does not "
                                                  "support this operation", subcode=33),
                            self._headers())
        message = request.form().get("message", "")
        thread = parent.thread_id if parent.kind == "comment" else parent.id
        with self._lock:
            comment_id = f"{(thread or node).split('_')[-1]}_{9500 + len(self.posted) + 1}"
            self.world.add(WorldPost(
                "facebook", comment_id, self.page_id, "", self.page_name, message,
                self.clock().replace(microsecond=0), thread_id=thread,
                parent_id=node if parent.kind == "comment" else None, kind="comment",
                by_brand=True))
            self.posted.append({"id": comment_id, "parent": node, "message": message})
        return Response(200, {"id": comment_id}, self._headers())

    def _comments(self, request: Request, m: re.Match[str]) -> Response:
        denied = self._denied(request)
        if denied is not None:
            return denied
        node = m["node"]
        posts = self.posts()
        if not any(p.id == node for p in posts):
            return Response(400, graph_error(100, f"Unsupported get request. Object with ID "
                                                  f"'{node}' does not exist, cannot be loaded "
                                                  "due to missing permissions", subcode=33))
        items = [p for p in posts if p.kind == "comment" and (p.thread_id == node
                                                               or p.parent_id == node)]
        if request.arg("filter", "toplevel") != "stream":
            items = [p for p in items if p.parent_id is None or p.parent_id == node]
        items.sort(key=lambda p: (p.created_at, p.id),
                   reverse=request.arg("order") == "reverse_chronological")
        return self._page(request, items, time_paging=False)


def at_second(post: WorldPost) -> WorldPost:
    """Graph times have whole seconds; tests build posts with these to compare cursors."""
    return replace(post, created_at=post.created_at.replace(microsecond=0))
