"""The sandbox's transport: a threaded TLS HTTP/1.1 server, recorded exchanges, faults.

``make_handler(sim)`` serves every request through ``sim.handle(...)`` after applying the first
matching :class:`Fault` (answer a status, drop the connection, delay, or break the JSON) and
records an :class:`Exchange` for assertions and contract checks.
"""

from __future__ import annotations

import http.server
import json
import logging
import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiops.core import safejson
from aiops.incidents.client import SANDBOX_HEADER  # the client looks for it
from aiops.lab.pagerduty.state import ApiError, invalid

# Every answer says plainly that this is not PagerDuty (``aiops incident`` repeats it).
SANDBOX_NOTICE = "aiops lab pagerduty: a local sandbox, not PagerDuty"
log = logging.getLogger("aiops.lab.pagerduty")
MAX_EXCHANGES = 10_000
MAX_BODY = 1024 * 1024  # far above any real request (a 250-incident bulk update is about 30 KB)


@dataclass
class BadBody:
    """A request body that is not JSON (bytes, NaN, nesting past ``safejson.MAX_DEPTH``):
    ``sim.handle`` answers 400 for it, never an exception."""

    problem: str


@dataclass
class Fault:
    """One injected misbehaviour for requests matching ``method`` and the ``path`` regex."""

    method: str
    path: str
    kind: str                     # status | drop | delay | malformed | mutate
    times: int = 1
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    apply: bool = False           # process the request first (the change happens), then misbehave
    seconds: float = 0.0
    skip: int = 0                 # let this many matching requests through first

    def matches(self, method: str, path: str) -> bool:
        return self.times > 0 and method == self.method and re.fullmatch(self.path, path) is not None


@dataclass
class Exchange:
    method: str
    path: str
    query: dict[str, list[str]]
    request_headers: dict[str, str]
    request_body: Any
    status: int | None = None     # None: the connection was dropped
    body: Any = None
    raw: bytes = b""
    injected: bool = False
    mutated: bool = False  # the answer was deliberately changed (fuzzing): not the sim's own
    at: float = field(default_factory=time.monotonic)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False


def make_handler(sim: Any) -> type:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out separately: no 40 ms stalls

        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            self._serve("GET")

        def do_PUT(self) -> None:
            self._serve("PUT")

        def do_POST(self) -> None:
            self._serve("POST")

        def _serve(self, method: str) -> None:
            parts = urlsplit(self.path)
            query = parse_qs(parts.query, keep_blank_values=True)
            try:
                raw_body = self._read_body()
            except ApiError as err:  # no usable length, or too large: answered, connection closed
                self.close_connection = True
                x = Exchange(method, parts.path, query, dict(self.headers.items()), None)
                sim.exchanges.append(x)
                x.status, x.body, x.raw = err.status, err.body, json.dumps(err.body).encode()
                self._send(err.status, x.raw, {})
                return
            try:
                body = safejson.loads(raw_body, strict=True) if raw_body else None
            except ValueError as exc:  # UnicodeDecodeError included
                body = BadBody(str(exc)[:200])
            x = Exchange(method, parts.path, query, dict(self.headers.items()),
                         "<invalid json>" if isinstance(body, BadBody) else body)
            sim.exchanges.append(x)
            if len(sim.exchanges) > MAX_EXCHANGES:  # a long-running sandbox keeps only the recent ones
                del sim.exchanges[:len(sim.exchanges) - MAX_EXCHANGES]
            fault = sim._take_fault(method, parts.path)
            if fault and fault.kind == "delay":
                time.sleep(fault.seconds)
            token = str(self.headers.get("Authorization", ""))
            headers, limited = sim._rate_headers(token)
            try:
                if limited:
                    raise ApiError(429, "Rate Limit Exceeded", 2020)
                if fault and fault.kind in ("status", "drop") and not fault.apply:
                    status, payload = None, None
                else:
                    status, payload = sim.handle(method, parts.path, query, self.headers, body)
            except ApiError as err:
                status, payload = err.status, err.body
            except Exception:  # a bug in the sandbox: PagerDuty's 500, never a dropped connection
                log.exception("sandbox: %s %s failed", method, parts.path)
                status, payload = 500, fault_body(500)
            if fault and fault.kind == "drop":
                x.injected = True
                self.close_connection = True
                return
            if fault and fault.kind == "status":
                status, x.injected = fault.status, True
                payload = fault.body if fault.body is not None else fault_body(fault.status)
                headers.update(fault.headers)
            if fault and fault.kind == "mutate":  # body(payload) -> any JSON value, or raw bytes
                payload, x.injected, x.mutated = fault.body(payload), True, True
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            if fault and fault.kind == "malformed":
                data, x.injected = data[: max(1, len(data) // 2)], True
            x.status, x.body, x.raw = status, payload, data
            if method != "GET" and status is not None and status < 400:
                sim.persist()
            self._send(status, data, headers)

        def _read_body(self) -> bytes:
            """The request body by its Content-Length; ApiError (400, 411, 413) without one
            that can be trusted."""
            if "chunked" in str(self.headers.get("Transfer-Encoding", "")).lower():
                raise ApiError(411, "Length Required", 2001)
            length = str(self.headers.get("Content-Length") or "0").strip()
            if not length.isdigit():
                raise invalid(f"Content-Length must be a number of bytes, got {length[:40]!r}")
            if int(length) > MAX_BODY:
                self._discard(int(length))
                raise ApiError(413, "Request Entity Too Large", 2001,
                               [f"the body may be at most {MAX_BODY} bytes"])
            return self.rfile.read(int(length))

        def _discard(self, length: int, limit: int = 64 * MAX_BODY) -> None:
            """Read and drop a body of up to ``limit`` bytes, so that the client reads the
            answer instead of a reset connection (a larger one: the connection just closes)."""
            while 0 < length <= limit:
                chunk = self.rfile.read(min(length, 65536))
                if not chunk:
                    return
                length -= len(chunk)

        def _send(self, status: int, data: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("X-Request-Id", sim.account.new_id("", 20))
            self.send_header(SANDBOX_HEADER, SANDBOX_NOTICE)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

    return Handler


def fault_body(status: int) -> dict:
    if status == 429:
        return {"error": {"message": "Rate Limit Exceeded", "code": 2020}}
    if status >= 500:
        return {"error": {"message": "Internal Server Error", "code": 2000}}
    return {"error": {"message": "Invalid Input Provided", "code": 2001}}
