"""The sandbox's transport: a threaded TLS HTTP/1.1 server, recorded exchanges, faults.

``make_handler(sim)`` serves every request through ``sim.handle(...)`` after applying the first
matching :class:`Fault` (answer a status, drop the connection, delay, or break the JSON) and
records an :class:`Exchange` for assertions and contract checks.
"""

from __future__ import annotations

import http.server
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiops.incidents.client import SANDBOX_HEADER  # the client looks for it
from aiops.lab.pagerduty.state import ApiError

# Every answer says plainly that this is not PagerDuty (``aiops incident`` repeats it).
SANDBOX_NOTICE = "aiops lab pagerduty: a local sandbox, not PagerDuty"
MAX_EXCHANGES = 10_000


@dataclass
class Fault:
    """One injected misbehaviour for requests matching ``method`` and the ``path`` regex."""

    method: str
    path: str
    kind: str                     # status | drop | delay | malformed
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
            raw_body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                body = json.loads(raw_body) if raw_body else None
            except ValueError:
                body = "<invalid json>"
            x = Exchange(method, parts.path, query, dict(self.headers.items()), body)
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
            if fault and fault.kind == "drop":
                x.injected = True
                self.close_connection = True
                return
            if fault and fault.kind == "status":
                status, x.injected = fault.status, True
                payload = fault.body if fault.body is not None else fault_body(fault.status)
                headers.update(fault.headers)
            data = json.dumps(payload).encode()
            if fault and fault.kind == "malformed":
                data, x.injected = data[: max(1, len(data) // 2)], True
            x.status, x.body, x.raw = status, payload, data
            if method != "GET" and status is not None and status < 400:
                sim.persist()
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
