"""Slack Web API emulator: the methods Vigía calls, answering in Slack's recorded shapes."""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from monitor.sandbox.http import Emulator, Request, Response

TEAM_ID = "T1234567890"
BOT_USER_ID = "U02PY3HA48G"
BOT_ID = "B02P8CPE143"
VALID_TOKEN = "xoxb-sandbox-token"


def channel_id_for(name: str) -> str:
    """A channel's id, derived from its name: stable from one run to the next, so messages a
    previous sandbox run stored (alert cards, their threads) are found in the same channel."""
    return "C0" + hashlib.sha1(name.lstrip("#").encode()).hexdigest()[:9].upper()


@dataclass
class SlackMessage:
    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    thread_ts: str | None = None
    metadata: dict[str, Any] | None = None
    updates: int = 0
    files: list[dict[str, Any]] = field(default_factory=list)


class SlackEmulator(Emulator):
    """Keeps every message per channel so tests assert on what a person would see."""

    name = "slack"

    def __init__(self, *, channels: dict[str, str] | None = None, strict_channels: bool = False,
                 token: str = VALID_TOKEN) -> None:
        super().__init__()
        self.token = token
        self.channels: dict[str, str] = dict(channels or {})  # name (no #) -> id
        self.strict_channels = strict_channels
        self.messages: list[SlackMessage] = []
        self.uploads: dict[str, dict[str, Any]] = {}
        self.views: dict[str, dict[str, Any]] = {}  # view id -> the modal as last set
        self.opened: list[str] = []  # trigger ids used by views.open (each works once)
        self.groups: dict[str, list[str]] = {}  # user group id -> member user ids
        self._ts = itertools.count(1)
        self._ts_lock = threading.Lock()
        api = "/api/"
        self.route("POST", api + "auth.test", self._auth_test)
        self.route("POST", api + "chat.postMessage", self._post)
        self.route("POST", api + "chat.update", self._update)
        self.route("POST", api + "conversations.history", self._history)
        self.route("GET", api + "conversations.history", self._history)
        self.route("POST", api + "conversations.replies", self._replies)
        self.route("GET", api + "conversations.replies", self._replies)
        self.route("POST", api + "conversations.info", self._info)
        self.route("POST", api + "conversations.list", self._list)
        self.route("GET", api + "conversations.list", self._list)
        self.route("POST", api + "files.getUploadURLExternal", self._upload_url)
        self.route("POST", r"/upload/(?P<file_id>F\w+)", self._upload_bytes)
        self.route("POST", api + "files.completeUploadExternal", self._complete_upload)
        self.route("POST", api + "views.open", self._views_open)
        self.route("POST", api + "views.update", self._views_update)
        self.route("POST", api + "usergroups.users.list", self._group_users)
        self.route("GET", api + "usergroups.users.list", self._group_users)

    # helpers -------------------------------------------------------------------------
    def _authed(self, request: Request) -> bool:
        auth = request.headers.get("authorization", "")
        form_token = request.form().get("token") if request.body else None
        return auth == f"Bearer {self.token}" or form_token == self.token

    def _channel_id(self, name: str) -> str | None:
        if re.fullmatch(r"[CGD][A-Z0-9]{6,}", name):
            return name
        key = name.lstrip("#")
        if key not in self.channels:
            if self.strict_channels:
                return None
            self.channels[key] = channel_id_for(key)
        return self.channels[key]

    def _next_ts(self) -> str:
        with self._ts_lock:
            return f"{int(time.time())}.{next(self._ts):06d}"

    def state(self) -> dict[str, Any]:
        """The workspace as JSON-able data: channels and messages, to be restored later."""
        with self._lock:
            return {"channels": dict(self.channels),
                    "messages": [asdict(m) for m in self.messages]}

    def restore(self, state: dict[str, Any]) -> None:
        """Start from a saved workspace, as a real one keeps its messages between runs."""
        with self._lock:
            self.channels.update(state.get("channels", {}))
            self.messages = [SlackMessage(**m) for m in state.get("messages", [])]
            self._ts = itertools.count(len(self.messages) + 1)

    def channel_name(self, channel_id: str) -> str:
        return next((n for n, i in self.channels.items() if i == channel_id), channel_id)

    def channel_messages(self, channel: str) -> list[SlackMessage]:
        cid = self._channel_id(channel)
        return [m for m in self.messages if m.channel == cid]

    def top_level(self, channel: str | None = None) -> list[SlackMessage]:
        msgs = self.messages if channel is None else self.channel_messages(channel)
        return [m for m in msgs if m.thread_ts is None]

    def thread(self, parent: SlackMessage) -> list[SlackMessage]:
        return [m for m in self.messages
                if m.thread_ts == parent.ts and m.channel == parent.channel]

    def _error(self, error: str, status: int = 200) -> Response:
        return Response(status, {"ok": False, "error": error})

    def _guard(self, request: Request) -> Response | None:
        if not self._authed(request):
            return self._error("invalid_auth")
        return None

    # methods -------------------------------------------------------------------------
    def _auth_test(self, request: Request, _m: re.Match[str]) -> Response:
        return self._guard(request) or Response(200, {
            "ok": True, "url": "https://example.slack.com/", "team": "Acme Corp",
            "user": "vigia_bot", "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": BOT_ID,
            "is_enterprise_install": False,
        })

    def _post(self, request: Request, _m: re.Match[str]) -> Response:
        if (denied := self._guard(request)) is not None:
            return denied
        form = request.form()
        cid = self._channel_id(form.get("channel", ""))
        if cid is None:
            return self._error("channel_not_found")
        blocks = json.loads(form["blocks"]) if form.get("blocks") else []
        metadata = json.loads(form["metadata"]) if form.get("metadata") else None
        if len(blocks) > 50:
            return self._error("invalid_blocks")
        message = SlackMessage(cid, self._next_ts(), form.get("text", ""), blocks,
                               form.get("thread_ts") or None, metadata)
        with self._lock:
            self.messages.append(message)
        return Response(200, {"ok": True, "channel": cid, "ts": message.ts, "message": {
            "bot_id": BOT_ID, "type": "message", "text": message.text, "user": BOT_USER_ID,
            "ts": message.ts, "blocks": blocks, **({"metadata": metadata} if metadata else {}),
        }})

    def _find(self, cid: str | None, ts: str) -> SlackMessage | None:
        return next((m for m in self.messages if m.channel == cid and m.ts == ts), None)

    def _update(self, request: Request, _m: re.Match[str]) -> Response:
        if (denied := self._guard(request)) is not None:
            return denied
        form = request.form()
        cid = self._channel_id(form.get("channel", ""))
        message = self._find(cid, form.get("ts", ""))
        if message is None:
            return self._error("message_not_found")
        message.text = form.get("text", message.text)
        if form.get("blocks"):
            message.blocks = json.loads(form["blocks"])
        message.updates += 1
        return Response(200, {"ok": True, "channel": cid, "ts": message.ts, "text": message.text})

    def _render(self, m: SlackMessage, include_metadata: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "message", "user": BOT_USER_ID, "bot_id": BOT_ID,
                               "text": m.text, "ts": m.ts, "blocks": m.blocks}
        if m.thread_ts:
            out["thread_ts"] = m.thread_ts
            out["parent_user_id"] = BOT_USER_ID
        if include_metadata and m.metadata:
            out["metadata"] = m.metadata
        return out

    def _params(self, request: Request) -> dict[str, str]:
        params = {k: v[0] for k, v in request.query.items()}
        if request.body:
            params.update(request.form())
        return params

    def _history(self, request: Request, _m: re.Match[str]) -> Response:
        if (denied := self._guard(request)) is not None:
            return denied
        params = self._params(request)
        if not re.fullmatch(r"[CGD][A-Z0-9]{6,}", params.get("channel", "")):
            return self._error("channel_not_found")  # like Slack: history needs the id
        cid = self._channel_id(params.get("channel", ""))
        if cid is None:
            return self._error("channel_not_found")
        oldest = float(params.get("oldest") or 0)
        limit = int(params.get("limit") or 100)
        include = params.get("include_all_metadata") in ("true", "1", "True")
        msgs = [m for m in self.messages
                if m.channel == cid and m.thread_ts is None and float(m.ts) >= oldest]
        msgs = sorted(msgs, key=lambda m: float(m.ts), reverse=True)[:limit]
        return Response(200, {"ok": True, "messages": [self._render(m, include) for m in msgs],
                              "has_more": False, "response_metadata": {"next_cursor": ""}})

    def _replies(self, request: Request, _m: re.Match[str]) -> Response:
        if (denied := self._guard(request)) is not None:
            return denied
        params = self._params(request)
        cid = self._channel_id(params.get("channel", ""))
        parent = self._find(cid, params.get("ts", ""))
        if parent is None:
            return self._error("thread_not_found")
        msgs = [parent, *self.thread(parent)]
        return Response(200, {"ok": True, "has_more": False,
                              "messages": [self._render(m, True) for m in msgs]})

    def _list(self, request: Request, _m: re.Match[str]) -> Response:
        """Channels the workspace has, paged two at a time so callers must follow cursors."""
        if (denied := self._guard(request)) is not None:
            return denied
        params = self._params(request)
        names = sorted(self.channels)
        start = int(params.get("cursor") or 0)
        page = names[start:start + 2]
        nxt = str(start + 2) if start + 2 < len(names) else ""
        return Response(200, {"ok": True, "channels": [
            {"id": self.channels[n], "name": n, "is_channel": True, "is_member": True,
             "is_archived": False} for n in page], "response_metadata": {"next_cursor": nxt}})

    def _info(self, request: Request, _m: re.Match[str]) -> Response:
        if (denied := self._guard(request)) is not None:
            return denied
        name = self._params(request).get("channel", "")
        if not re.fullmatch(r"[CGD][A-Z0-9]{6,}", name):
            return self._error("channel_not_found")  # like Slack: ids only, names are unknown
        cid = self._channel_id(name)
        if cid is None:
            return self._error("channel_not_found")
        name = next((n for n, i in self.channels.items() if i == cid), cid)
        return Response(200, {"ok": True, "channel": {"id": cid, "name": name, "is_member": True}})

    def _upload_url(self, request: Request, _m: re.Match[str]) -> Response:
        if (denied := self._guard(request)) is not None:
            return denied
        form = self._params(request)
        file_id = f"F{len(self.uploads) + 1:08d}"
        self.uploads[file_id] = {"filename": form.get("filename", ""),
                                 "length": int(form.get("length") or 0), "content": b""}
        return Response(200, {"ok": True, "file_id": file_id,
                              "upload_url": f"{self.base_url}/upload/{file_id}"},
                        {"x-oauth-scopes": "chat:write,files:read,files:write",
                         "x-accepted-oauth-scopes": "files:write"})

    def _upload_bytes(self, request: Request, m: re.Match[str]) -> Response:
        upload = self.uploads.get(m["file_id"])
        if upload is None:
            return Response(404, "Not Found")
        upload["content"] = request.body
        return Response(200, f"OK - {len(request.body)}",
                        {"content-type": "text/plain; charset=utf-8"})

    def _complete_upload(self, request: Request, _m: re.Match[str]) -> Response:
        if (denied := self._guard(request)) is not None:
            return denied
        form = self._params(request)
        files = json.loads(form.get("files", "[]"))
        cid = self._channel_id(form["channel_id"]) if form.get("channel_id") else None
        out = []
        for f in files:
            upload = self.uploads.get(f["id"])
            if upload is None:
                return self._error("file_not_found")
            upload["title"] = f.get("title", upload["filename"])
            upload["channel"] = cid
            out.append({"id": f["id"], "name": upload["filename"], "title": upload["title"],
                        "size": len(upload["content"]), "mimetype": "image/png"})
        if cid is not None:
            msg = SlackMessage(cid, self._next_ts(), form.get("initial_comment", ""),
                               thread_ts=form.get("thread_ts") or None, files=out)
            with self._lock:
                self.messages.append(msg)
        return Response(200, {"ok": True, "files": out})

    # modals and user groups ----------------------------------------------------------
    def _view_body(self, view_id: str) -> dict[str, Any]:
        view = self.views[view_id]
        return {"ok": True, "view": {**view, "id": view_id, "team_id": TEAM_ID,
                                     "hash": f"{view_id}.{view.get('_rev', 0)}",
                                     "state": {"values": {}}}}

    def _views_open(self, request: Request, _m: re.Match[str]) -> Response:
        if (denied := self._guard(request)) is not None:
            return denied
        form = self._params(request)
        trigger = form.get("trigger_id", "")
        if not trigger or trigger in self.opened:
            return self._error("invalid_trigger_id")  # triggers expire and work once
        view = json.loads(form.get("view") or "{}")
        if view.get("type") != "modal" or len(view.get("blocks") or []) > 100:
            return self._error("invalid_arguments")
        with self._lock:
            self.opened.append(trigger)
            view_id = f"V{len(self.views) + 1:08d}"
            self.views[view_id] = view
        return Response(200, self._view_body(view_id))

    def _views_update(self, request: Request, _m: re.Match[str]) -> Response:
        if (denied := self._guard(request)) is not None:
            return denied
        form = self._params(request)
        view_id = form.get("view_id", "")
        if view_id not in self.views:
            return self._error("not_found")
        with self._lock:
            current = self.views[view_id]
            if form.get("hash") and form["hash"] != f"{view_id}.{current.get('_rev', 0)}":
                return self._error("hash_conflict")
            view = json.loads(form.get("view") or "{}")
            view["_rev"] = int(current.get("_rev", 0)) + 1
            self.views[view_id] = view
        return Response(200, self._view_body(view_id))

    def _group_users(self, request: Request, _m: re.Match[str]) -> Response:
        if (denied := self._guard(request)) is not None:
            return denied
        group = self._params(request).get("usergroup", "")
        if group not in self.groups:
            return self._error("no_such_subteam")
        return Response(200, {"ok": True, "users": list(self.groups[group])})
