"""A tiny threaded HTTP server with a route table, a request log and injectable faults.

Faults let tests make an API misbehave on demand (429 storms, 5xx, slow answers, truncated
JSON, reset connections) without any knowledge of the fault living in production code.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    """A request as the emulator saw it (auth headers kept so tests can assert on them)."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def form(self) -> dict[str, str]:
        """Form or JSON body flattened to single values (Slack accepts both)."""
        ctype = self.headers.get("content-type", "")
        if "json" in ctype:
            data = json.loads(self.body or b"{}")
            return {k: v if isinstance(v, str) else json.dumps(v) for k, v in data.items()}
        parsed = parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)
        return {k: v[0] for k, v in parsed.items()}

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Response:
    status: int = 200
    body: Any = None  # dict/list -> JSON; str/bytes sent as is
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> tuple[bytes, str]:
        if isinstance(self.body, bytes):
            return self.body, self.headers.get("content-type", "application/octet-stream")
        if isinstance(self.body, str):
            return self.body.encode(), self.headers.get("content-type", "text/plain")
        return json.dumps(self.body).encode(), "application/json; charset=utf-8"


@dataclass
class Fault:
    """Misbehaviour for requests whose path matches `path` (regex), `times` times (-1 = forever)."""

    path: str = ".*"
    status: int | None = None  # answer this status instead of the real one
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (timeouts)
    truncate: bool = False  # send half of the real JSON body
    reset: bool = False  # close the connection without an answer
    times: int = 1


Handler = Callable[[Request, re.Match[str]], Response]


class Emulator:
    """Route table + server lifecycle. Subclasses register routes in `__init__`."""

    name = "emulator"

    def __init__(self) -> None:
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self.requests: list[Request] = []
        self.faults: list[Fault] = []
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._serve_thread: threading.Thread | None = None

    # routing -----------------------------------------------------------------
    def route(self, method: str, pattern: str, handler: Handler) -> None:
        self.routes.append((method.upper(), re.compile(f"^{pattern}$"), handler))

    def inject(self, fault: Fault) -> None:
        with self._lock:
            self.faults.append(fault)

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    def requests_to(self, pattern: str) -> list[Request]:
        regex = re.compile(pattern)
        with self._lock:
            return [r for r in self.requests if regex.search(r.path)]

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if re.search(fault.path, path):
                    if fault.times > 0:
                        fault.times -= 1
                        if fault.times == 0:
                            self.faults.remove(fault)
                    return fault
        return None

    def dispatch(self, request: Request) -> Response:
        for method, pattern, handler in self.routes:
            if method == request.method:
                match = pattern.match(request.path)
                if match:
                    return handler(request, match)
        return Response(404, {"error": "not_found", "path": request.path})

    # lifecycle ---------------------------------------------------------------
    @property
    def port(self) -> int:
        assert self._server is not None, "emulator not started"
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, port: int = 0) -> Emulator:
        emulator = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # no 40 ms stall between headers and body

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                request = Request(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query, keep_blank_values=True),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                with emulator._lock:
                    emulator.requests.append(request)
                fault = emulator._take_fault(parts.path)
                if fault and fault.delay:
                    time.sleep(fault.delay)
                if fault and fault.reset:
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                    )
                    self.close_connection = True
                    return
                if fault and fault.status is not None:
                    response = Response(fault.status, fault.body, dict(fault.headers))
                else:
                    try:
                        response = emulator.dispatch(request)
                    except Exception as exc:  # an emulator bug must be visible, not a hang
                        response = Response(500, {"error": f"emulator: {exc!r}"})
                    if fault:
                        response.headers.update(fault.headers)
                payload, ctype = response.encoded()
                if fault and fault.truncate:
                    payload = payload[: max(1, len(payload) // 2)]
                self.send_response(response.status)
                self.send_header("content-type", ctype)
                for key, value in response.headers.items():
                    if key.lower() != "content-type":
                        self.send_header(key, value)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        self._server.daemon_threads = True
        self._serve_thread = threading.Thread(
            target=self._server.serve_forever, name=f"{self.name}-emulator", daemon=True,
            kwargs={"poll_interval": 0.05},  # stop() waits one poll interval: keep tests fast
        )
        self._serve_thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
