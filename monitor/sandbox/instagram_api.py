"""Instagram Graph API emulator: one professional account, its media, comments and tags.

Shaped on the recorded answers in tests/fixtures/instagram/ (sns-sdks/python-facebook):
comments come newest first with `replies{...}` nested chronologically when asked for, `user
{id}` appears only on the account's own comments, only requested `fields` come back, edges
page with `cursors.after` (the `next` URL embeds the token), errors are Graph's
`{"error": {...}}` with code 190 for a bad token, and answers carry the recorded
`X-Business-Use-Case-Usage` header (`type: instagram`).
World posts: kind `media` (the account's own), `comment` (`thread_id` = media id,
`parent_id` = the comment a reply sits under) and `tagged` (media by others).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode

from monitor.sandbox.facebook_api import decode_cursor, encode_cursor, graph_error, graph_time
from monitor.sandbox.http import Emulator, Request, Response
from monitor.sandbox.world import World, WorldPost

ACCESS_TOKEN = "sandbox-ig-access-token"  # what `vigia --sandbox` puts in the environment
DEFAULT_ACCOUNT = "17841400000000001"
_V = r"/(?P<version>v\d+\.\d+)"


def usage_header(percent: int, account: str = DEFAULT_ACCOUNT,
                 regain_minutes: int = 0) -> dict[str, str]:
    """The recorded `x-business-use-case-usage` shape at `percent` usage."""
    entry = {"type": "instagram", "call_count": percent, "total_cputime": percent,
             "total_time": percent, "estimated_time_to_regain_access": regain_minutes}
    return {"X-Business-Use-Case-Usage": json.dumps({account: [entry]})}


def split_fields(fields: str) -> dict[str, str]:
    """`a,b,replies{x,y}` -> {"a": "", "b": "", "replies": "x,y"}."""
    out: dict[str, str] = {}
    depth, start = 0, 0
    for i, ch in enumerate(fields + ","):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == "," and depth == 0:
            part = fields[start:i].strip()
            start = i + 1
            if part:
                name, _, sub = part.partition("{")
                out[name] = sub.rstrip("}")
    return out


class InstagramEmulator(Emulator):
    """Serves the `World`'s instagram posts for one account (`account_id`)."""

    name = "instagram"

    def __init__(self, world: World, account_id: str = DEFAULT_ACCOUNT, *,
                 username: str = "tiendasandbox", token: str = ACCESS_TOKEN) -> None:
        super().__init__()
        self.world, self.account, self.username, self.token = world, account_id, username, token
        self.usage_percent = 12  # the recorded call_count
        self.route("GET", _V + r"/(?P<node>\d+)/(?P<edge>media|tags)", self._edge)
        self.route("GET", _V + r"/(?P<node>\d+)/comments", self._comments)
        self.route("GET", _V + r"/(?P<node>\d+)", self._node)
        self.route("GET", _V + r"/me", self._me)

    def _headers(self) -> dict[str, str]:
        return usage_header(self.usage_percent, self.account)

    def _denied(self, request: Request) -> Response | None:
        if request.arg("access_token") == self.token:
            return None
        return Response(400, graph_error(190, "Invalid OAuth access token - Cannot parse "
                                              "access token"), self._headers())

    def _missing(self, node: str) -> Response:
        return Response(400, graph_error(100, f"Unsupported get request. Object with ID "
                                              f"'{node}' does not exist", subcode=33),
                        self._headers())

    def render(self, post: WorldPost, fields: dict[str, str]) -> dict[str, Any]:
        own = post.by_brand or post.author_id == self.account
        full: dict[str, Any] = {
            "id": post.id, "timestamp": graph_time(post.created_at),
            "username": self.username if own else post.author_handle,
            "like_count": post.likes,
        }
        if post.kind == "comment":
            full["text"] = post.text
            full["from"] = {"id": self.account if own else post.author_id,
                            "username": full["username"]}
            if own:
                full["user"] = {"id": self.account}
            if "replies" in fields and post.parent_id is None:
                sub = split_fields(fields["replies"] or "id,text,timestamp")
                kids = sorted((p for p in self.world.posts("instagram")
                               if p.kind == "comment" and p.parent_id == post.id),
                              key=lambda p: (p.created_at, p.id))
                if kids:
                    full["replies"] = {"data": [self.render(k, sub) for k in kids]}
        else:
            full["caption"] = post.text
            full["permalink"] = f"https://www.instagram.com/p/{encode_cursor(post.id)[:11]}/"
            full["comments_count"] = sum(
                1 for p in self.world.posts("instagram")
                if p.kind == "comment" and p.thread_id == post.id)
            full["media_type"] = "IMAGE"
        return {k: v for k, v in full.items() if k == "id" or k in fields}

    def _page(self, request: Request, items: list[WorldPost]) -> Response:
        fields = split_fields(request.arg("fields") or "id")
        after = request.arg("after")
        if after:
            ids = [p.id for p in items]
            last = decode_cursor(after)
            items = items[ids.index(last) + 1:] if last in ids else []
        limit = min(int(request.arg("limit") or 25), 100)
        page, more = items[:limit], len(items) > limit
        body: dict[str, Any] = {"data": [self.render(p, fields) for p in page]}
        if page:
            paging: dict[str, Any] = {"cursors": {"before": encode_cursor(page[0].id),
                                                  "after": encode_cursor(page[-1].id)}}
            if more:
                query = {k: v[0] for k, v in request.query.items()}
                query["after"] = encode_cursor(page[-1].id)
                paging["next"] = f"{self.base_url}{request.path}?{urlencode(query)}"
            body["paging"] = paging
        return Response(200, body, self._headers())

    def _node(self, request: Request, m: re.Match[str]) -> Response:
        denied = self._denied(request)
        if denied is not None:
            return denied
        if m["node"] != self.account:
            return self._missing(m["node"])
        return Response(200, {"id": self.account, "username": self.username}, self._headers())

    def _me(self, request: Request, _m: re.Match[str]) -> Response:
        """`/me` with an Instagram-login token is the professional account itself."""
        denied = self._denied(request)
        if denied is not None:
            return denied
        fields = split_fields(request.arg("fields") or "id")
        full = {"id": self.account, "username": self.username}
        return Response(200, {k: v for k, v in full.items() if k == "id" or k in fields},
                        self._headers())

    def _edge(self, request: Request, m: re.Match[str]) -> Response:
        denied = self._denied(request)
        if denied is not None:
            return denied
        if m["node"] != self.account:
            return self._missing(m["node"])
        kind = "media" if m["edge"] == "media" else "tagged"
        items = [p for p in self.world.posts("instagram") if p.kind == kind]
        items.sort(key=lambda p: (p.created_at, p.id), reverse=True)
        return self._page(request, items)

    def _comments(self, request: Request, m: re.Match[str]) -> Response:
        denied = self._denied(request)
        if denied is not None:
            return denied
        node = m["node"]
        posts = self.world.posts("instagram")
        if not any(p.id == node and p.kind == "media" for p in posts):
            return self._missing(node)
        items = [p for p in posts if p.kind == "comment" and p.thread_id == node
                 and p.parent_id is None]
        items.sort(key=lambda p: (p.created_at, p.id), reverse=True)
        return self._page(request, items)
