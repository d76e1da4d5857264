"""Bluesky (AT Protocol XRPC) emulator: app-password sessions, post search, profiles.

Shaped on recorded answers (tests/fixtures/bluesky/): `createSession` returns the recorded
fields (`did`, `didDoc` whose PDS `serviceEndpoint` is this emulator, `handle`, JWTs),
`searchPosts` returns `postView`s with `record`, `indexedAt` and counts, and every answer
carries `RateLimit-Limit/-Remaining/-Reset/-Policy` headers. Like the AppView, `sort=latest`
is newest first by `min(createdAt, indexedAt)`, `since` is inclusive, the `cursor` is opaque,
and a request without a valid bearer token gets 401 `AuthenticationRequired`.
Search semantics are the documented subset: words and "quoted phrases" (all must appear,
case-insensitive), `#tag`, `from:handle`, `mentions:handle`, `lang:xx`.
"""

from __future__ import annotations

import base64
import json
import re
import shlex
import time
from datetime import UTC, datetime
from typing import Any

from monitor.sandbox.http import Emulator, Request, Response
from monitor.sandbox.world import World, WorldPost

HANDLE = "vigia-sandbox.bsky.social"
APP_PASSWORD = "sandbox-bsky-app-pass"  # what `vigia --sandbox` puts in the environment
ACCOUNT_DID = "did:plc:vigiasandbox00000000000"
RATE_LIMIT = 3000
_X = "/xrpc/"


def at_uri(did: str, rkey: str) -> str:
    return f"at://{did}/app.bsky.feed.post/{rkey}"


def xrpc_error(error: str, message: str) -> dict[str, str]:
    return {"error": error, "message": message}


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _jwt(sub: str, scope: str, ttl_s: int) -> str:
    now = int(time.time())
    header = _b64({"typ": "at+jwt", "alg": "ES256K"})
    return f"{header}.{_b64({'scope': scope, 'sub': sub, 'iat': now, 'exp': now + ttl_s})}.c2ln"


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


class BlueskyEmulator(Emulator):
    """Serves the `World`'s bluesky posts (`WorldPost.id` is the post's AT URI)."""

    name = "bluesky"

    def __init__(self, world: World, *, handle: str = HANDLE,
                 password: str = APP_PASSWORD) -> None:
        super().__init__()
        self.world, self.handle, self.password = world, handle, password
        self.remaining = RATE_LIMIT
        self.sessions: set[str] = set()
        self.refresh_tokens: set[str] = set()
        self.route("POST", _X + r"com\.atproto\.server\.createSession", self._create_session)
        self.route("POST", _X + r"com\.atproto\.server\.refreshSession", self._refresh)
        self.route("GET", _X + r"app\.bsky\.feed\.searchPosts", self._search)
        self.route("GET", _X + r"app\.bsky\.actor\.getProfiles", self._profiles)

    # helpers -----------------------------------------------------------------------------------
    def _headers(self) -> dict[str, str]:
        self.remaining = max(0, self.remaining - 1)
        reset = int(time.time()) + 300
        return {"RateLimit-Limit": str(RATE_LIMIT), "RateLimit-Remaining": str(self.remaining),
                "RateLimit-Reset": str(reset), "RateLimit-Policy": f"{RATE_LIMIT};w=300"}

    def _session_body(self) -> dict[str, Any]:
        access = _jwt(ACCOUNT_DID, "com.atproto.appPass", 7200)
        refresh = _jwt(ACCOUNT_DID, "com.atproto.refresh", 86400 * 60)
        self.sessions.add(access)
        self.refresh_tokens.add(refresh)
        return {
            "did": ACCOUNT_DID,
            "didDoc": {
                "@context": ["https://www.w3.org/ns/did/v1"], "id": ACCOUNT_DID,
                "alsoKnownAs": [f"at://{self.handle}"],
                "service": [{"id": "#atproto_pds", "type": "AtprotoPersonalDataServer",
                             "serviceEndpoint": self.base_url}],
            },
            "handle": self.handle, "email": "ops@example.com", "emailConfirmed": True,
            "emailAuthFactor": False, "accessJwt": access, "refreshJwt": refresh, "active": True,
        }

    def _authorised(self, request: Request) -> bool:
        auth = request.headers.get("authorization", "")
        return auth.startswith("Bearer ") and auth[7:] in self.sessions

    def _denied(self) -> Response:
        return Response(401, xrpc_error("AuthenticationRequired", "Authentication Required"),
                        self._headers())

    def posts(self) -> list[WorldPost]:
        items = self.world.posts("bluesky")
        return sorted(items, key=lambda p: (p.created_at, p.id), reverse=True)

    def render(self, post: WorldPost) -> dict[str, Any]:
        record: dict[str, Any] = {"$type": "app.bsky.feed.post",
                                  "createdAt": _iso(post.created_at), "text": post.text}
        if post.lang:
            record["langs"] = [post.lang]
        if post.parent_id:
            parent = {"cid": "bafyreisandboxparent", "uri": post.parent_id}
            root = {"cid": "bafyreisandboxroot", "uri": post.thread_id or post.parent_id}
            record["reply"] = {"parent": parent, "root": root}
        return {
            "uri": post.id, "cid": "bafyreisandbox" + post.id.rsplit("/", 1)[-1],
            "author": {"did": post.author_id, "handle": post.author_handle,
                       "displayName": post.author_name, "viewer": {"muted": False,
                                                                   "blockedBy": False},
                       "labels": []},
            "record": record, "replyCount": post.replies, "repostCount": post.shares,
            "likeCount": post.likes, "quoteCount": 0, "indexedAt": _iso(post.created_at),
            "viewer": {"threadMuted": False, "embeddingDisabled": False}, "labels": [],
        }

    @staticmethod
    def matches(post: WorldPost, q: str) -> bool:
        try:
            tokens = shlex.split(q)
        except ValueError:
            tokens = q.split()
        text = post.text.casefold()
        for token in tokens:
            low = token.casefold()
            if low.startswith("from:"):
                if low[5:] not in (post.author_handle.casefold(), post.author_id.casefold()):
                    return False
            elif low.startswith("mentions:"):
                if f"@{low[9:]}" not in text:
                    return False
            elif low.startswith("lang:"):
                if (post.lang or "") != low[5:]:
                    return False
            elif low not in text:
                return False
        return True

    # routes ------------------------------------------------------------------------------------
    def _create_session(self, request: Request, _m: re.Match[str]) -> Response:
        data = request.json() or {}
        if data.get("identifier") != self.handle or data.get("password") != self.password:
            return Response(401, xrpc_error("AuthenticationRequired",
                                            "Invalid identifier or password"), self._headers())
        return Response(200, self._session_body(), self._headers())

    def _refresh(self, request: Request, _m: re.Match[str]) -> Response:
        auth = request.headers.get("authorization", "")
        if auth[7:] not in self.refresh_tokens:
            return Response(400, xrpc_error("ExpiredToken", "Token has expired"), self._headers())
        return Response(200, self._session_body(), self._headers())

    def _search(self, request: Request, _m: re.Match[str]) -> Response:
        if not self._authorised(request):
            return self._denied()
        q = request.arg("q") or ""
        if not q:
            return Response(400, xrpc_error("InvalidRequest", 'Error: Params must have the '
                                                              'property "q"'), self._headers())
        items = [p for p in self.posts() if self.matches(p, q)]
        since = request.arg("since")
        if since:
            floor = datetime.fromisoformat(since.replace("Z", "+00:00"))
            items = [p for p in items if p.created_at >= floor]
        offset = int(request.arg("cursor") or 0)
        limit = min(int(request.arg("limit") or 25), 100)
        page = items[offset:offset + limit]
        body: dict[str, Any] = {"posts": [self.render(p) for p in page]}
        if offset + limit < len(items):
            body["cursor"] = str(offset + limit)
        return Response(200, body, self._headers())

    def _profiles(self, request: Request, _m: re.Match[str]) -> Response:
        if not self._authorised(request):
            return self._denied()
        wanted = request.query.get("actors", [])
        seen: dict[str, dict[str, Any]] = {}
        if ACCOUNT_DID in wanted or self.handle in wanted:  # the logged-in account itself
            seen[ACCOUNT_DID] = {"did": ACCOUNT_DID, "handle": self.handle, "followsCount": 0,
                                 "followersCount": 0, "postsCount": 0, "labels": []}
        for post in self.world.posts("bluesky"):
            if post.author_id in wanted or post.author_handle in wanted:
                seen[post.author_id] = {
                    "did": post.author_id, "handle": post.author_handle,
                    "displayName": post.author_name, "followsCount": 0,
                    "followersCount": post.followers, "postsCount": 0,
                    "indexedAt": _iso(post.created_at), "labels": []}
        return Response(200, {"profiles": list(seen.values())}, self._headers())
