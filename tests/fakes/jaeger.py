"""A Jaeger-compatible trace store on 127.0.0.1: OTLP/HTTP ingest and the query API v3.

No Jaeger (or Tempo, or OpenTelemetry Collector) binary can be installed here, so this real
HTTP server stands in for one:

- ``POST /v1/traces``: OTLP/HTTP ingest, protobuf or JSON, optionally gzip, decoded with
  ``opentelemetry-proto`` (what the lab's ``OTLPSpanExporter`` sends);
- ``GET /api/v3/traces/{traceId}``, ``GET /api/v3/traces`` (search), ``GET /api/v3/services``:
  Jaeger's query API v3, answering OTLP JSON ``TracesData`` (hex IDs, integer enums, 64-bit
  integers as strings) and ``google.rpc.Status`` errors, as the published OpenAPI spec says;
- ``GET /api/v2/traces/{traceId}`` and ``GET /api/search``: the two Tempo endpoints aiops
  reads (Tempo's JSON marshals IDs as base64: kept, so the client's decoding is exercised).

Every query response is kept in ``responses`` (path template, status, body) so a test can
check each one against the spec (``tests/fakes/jaeger_openapi.py``).
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import gzip
import re
import threading
from typing import Any

from aiohttp import web

_GO_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)$")
_UNITS = {"ns": 1, "us": 1e3, "µs": 1e3, "ms": 1e6, "s": 1e9, "m": 60e9, "h": 3600e9}


def _nanos(text: str) -> int:
    match = _GO_DURATION.match(text or "")
    if not match:
        raise ValueError(f"invalid duration {text!r}")
    return int(float(match.group(1)) * _UNITS[match.group(2)])


def _time(text: str) -> int:
    when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return int(when.timestamp() * 1e9)


class JaegerServer:
    """Runs in its own thread and event loop; ``url`` is ready when the constructor returns."""

    def __init__(self, *, token: str | None = None) -> None:
        self.token = token
        self.resource_spans: list[Any] = []  # opentelemetry.proto ResourceSpans, as received
        self.responses: list[tuple[str, int, Any]] = []
        self.ingested = 0  # spans
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="jaeger-fake")
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the Jaeger test server did not start")

    # -- server plumbing --------------------------------------------------------------------

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application(middlewares=[self._auth])
        app.router.add_post("/v1/traces", self._ingest)
        app.router.add_get("/api/v3/traces/{traceId}", self._get_trace)
        app.router.add_get("/api/v3/traces", self._find_traces)
        app.router.add_get("/api/v3/services", self._services)
        app.router.add_get("/api/v2/traces/{traceId}", self._tempo_trace)
        app.router.add_get("/api/search", self._tempo_search)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        port = site._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self._ready.set()
        self._loop.run_forever()

    def close(self) -> None:
        async def stop() -> None:
            await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    @web.middleware
    async def _auth(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if self.token and request.path.startswith("/api/") and \
                request.headers.get("Authorization") != f"Bearer {self.token}":
            return self._status(request, 401, 16, "unauthenticated")
        return await handler(request)

    def _answer(self, request: web.Request, status: int, body: Any) -> web.Response:
        route = request.match_info.route.resource.canonical if request.match_info.route.resource else request.path
        with self._lock:
            self.responses.append((route, status, body))
        return web.json_response(body, status=status)

    def _status(self, request: web.Request, http: int, code: int, message: str) -> web.Response:
        return self._answer(request, http, {"code": code, "message": message})

    # -- OTLP/HTTP ingest ---------------------------------------------------------------------

    async def _ingest(self, request: web.Request) -> web.Response:
        from google.protobuf import json_format
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
            ExportTraceServiceRequest,
            ExportTraceServiceResponse,
        )

        raw = await request.read()
        if request.headers.get("Content-Encoding", "").lower() == "gzip":
            raw = gzip.decompress(raw)
        message = ExportTraceServiceRequest()
        if request.content_type == "application/json":
            json_format.Parse(raw, message)
            reply_type, reply = "application/json", b"{}"
        else:
            message.ParseFromString(raw)
            reply_type, reply = "application/x-protobuf", ExportTraceServiceResponse().SerializeToString()
        with self._lock:
            for rs in message.resource_spans:
                self.resource_spans.append(rs)
                self.ingested += sum(len(ss.spans) for ss in rs.scope_spans)
        return web.Response(body=reply, content_type=reply_type)

    # -- the store ----------------------------------------------------------------------------

    def _select(self, keep: Any) -> dict[str, Any]:
        """OTLP JSON TracesData of the spans ``keep(span, resource_spans)`` accepts."""
        from google.protobuf import json_format

        out = []
        with self._lock:
            batches = list(self.resource_spans)
        for rs in batches:
            scopes = []
            for ss in rs.scope_spans:
                spans = [s for s in ss.spans if keep(s, rs)]
                if spans:
                    scope = json_format.MessageToDict(ss, use_integers_for_enums=True)
                    scope["spans"] = [_hex_ids(json_format.MessageToDict(s, use_integers_for_enums=True))
                                      for s in spans]
                    scopes.append(scope)
            if scopes:
                doc = json_format.MessageToDict(rs, use_integers_for_enums=True)
                doc["scopeSpans"] = scopes
                out.append(doc)
        return {"resourceSpans": out}

    @staticmethod
    def _service(rs: Any) -> str:
        return next((a.value.string_value for a in rs.resource.attributes if a.key == "service.name"), "")

    def _traces(self) -> dict[bytes, list[tuple[Any, Any]]]:
        by_trace: dict[bytes, list[tuple[Any, Any]]] = {}
        with self._lock:
            for rs in self.resource_spans:
                for ss in rs.scope_spans:
                    for span in ss.spans:
                        by_trace.setdefault(span.trace_id, []).append((span, rs))
        return by_trace

    # -- Jaeger query API v3 ------------------------------------------------------------------

    async def _get_trace(self, request: web.Request) -> web.Response:
        text = request.match_info["traceId"]
        if not re.fullmatch(r"[0-9a-fA-F]{32}", text):
            return self._status(request, 400, 3, f"malformed trace ID: {text[:40]}")
        wanted = bytes.fromhex(text)
        try:
            lo = _time(request.query["startTime"]) if "startTime" in request.query else 0
            hi = _time(request.query["endTime"]) if "endTime" in request.query else 2 ** 63
        except ValueError as exc:
            return self._status(request, 400, 3, str(exc))
        doc = self._select(lambda s, rs: s.trace_id == wanted and lo <= s.start_time_unix_nano <= hi)
        if not doc["resourceSpans"]:
            return self._status(request, 404, 5, "trace not found")
        return self._answer(request, 200, doc)

    async def _find_traces(self, request: web.Request) -> web.Response:
        q = request.query
        service = q.get("query.serviceName") or q.get("query.service_name")
        if not service:
            return self._status(request, 400, 3, "service name must not be empty")
        try:
            lo, hi = _time(q["query.startTimeMin"]), _time(q["query.startTimeMax"])
            min_ns = _nanos(q["query.durationMin"]) if "query.durationMin" in q else 0
            depth = int(q.get("query.searchDepth", "20"))
        except (KeyError, ValueError) as exc:
            return self._status(request, 400, 3, f"invalid query: {exc}")
        chosen = []
        for trace_id, items in self._traces().items():
            if not any(self._service(rs) == service for _, rs in items):
                continue
            if not any(lo <= s.start_time_unix_nano <= hi for s, _ in items):
                continue
            if not any(s.end_time_unix_nano - s.start_time_unix_nano >= min_ns for s, _ in items):
                continue
            chosen.append(trace_id)
        chosen = set(chosen[-depth:])
        return self._answer(request, 200, self._select(lambda s, rs: s.trace_id in chosen))

    async def _services(self, request: web.Request) -> web.Response:
        with self._lock:
            names = sorted({self._service(rs) for rs in self.resource_spans})
        return self._answer(request, 200, {"services": names})

    # -- Tempo --------------------------------------------------------------------------------

    async def _tempo_trace(self, request: web.Request) -> web.Response:
        text = request.match_info["traceId"]
        if not re.fullmatch(r"[0-9a-fA-F]{1,32}", text):
            return web.json_response({"error": "invalid trace id"}, status=400)
        wanted = bytes.fromhex(text.rjust(32, "0"))
        doc = self._select(lambda s, rs: s.trace_id == wanted)
        if not doc["resourceSpans"]:
            return web.Response(status=404, text="trace not found")
        for rs in doc["resourceSpans"]:  # Tempo's JSON: IDs as base64
            for ss in rs["scopeSpans"]:
                for span in ss["spans"]:
                    for key in ("traceId", "spanId", "parentSpanId"):
                        if span.get(key):
                            span[key] = base64.b64encode(bytes.fromhex(span[key])).decode()
        return web.json_response({"trace": doc})

    async def _tempo_search(self, request: web.Request) -> web.Response:
        q = request.query
        match = re.fullmatch(r'\{ resource\.service\.name = "((?:[^"\\]|\\.)*)"( && status = error)? \}',
                             q.get("q", ""))
        if not match:
            return web.json_response({"error": "unsupported TraceQL in this test server"}, status=400)
        service, errors = match.group(1), bool(match.group(2))
        lo, hi = int(q.get("start", "0")) * 10 ** 9, int(q.get("end", str(2 ** 32))) * 10 ** 9
        min_ns = _nanos(q["minDuration"]) if "minDuration" in q else 0
        found = []
        for trace_id, items in self._traces().items():
            spans = [s for s, _ in items]
            start = min(s.start_time_unix_nano for s in spans)
            duration = max(s.end_time_unix_nano for s in spans) - start
            if not any(self._service(rs) == service for _, rs in items) or not lo <= start <= hi:
                continue
            if duration < min_ns or (errors and not any(s.status.code == 2 for s in spans)):
                continue
            root = min(spans, key=lambda s: s.start_time_unix_nano)
            found.append({"traceID": trace_id.hex(), "rootServiceName": service, "rootTraceName": root.name,
                          "startTimeUnixNano": str(start), "durationMs": duration // 10 ** 6})
        return web.json_response({"traces": found[: int(q.get("limit", "20"))]})


def _hex_ids(span: dict[str, Any]) -> dict[str, Any]:
    """protobuf's JSON gives bytes as base64; OTLP JSON (and Jaeger) give IDs as hex."""
    for key in ("traceId", "spanId", "parentSpanId"):
        if span.get(key):
            span[key] = base64.b64decode(span[key]).hex()
    for link in span.get("links", []):
        for key in ("traceId", "spanId"):
            if link.get(key):
                link[key] = base64.b64decode(link[key]).hex()
    return span
