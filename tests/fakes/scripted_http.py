"""A real HTTP server on 127.0.0.1 whose answers a test scripts per path (for fuzzing clients).

    with ScriptedServer(PROMETHEUS) as server:          # documented answers by path
        server.answer("/api/v1/alerts", b"{not json", status=200)
        ... aiops alerts list against server.url ...

``PROMETHEUS`` and ``ALERTMANAGER`` hold well-formed answers in the shapes the Prometheus and
Alertmanager HTTP APIs document (``/api/v1/query``, ``/api/v1/alerts``, ``/api/v1/rules``,
``/api/v1/targets``, ``/api/v2/alerts``, ``/api/v2/silences``, ``/api/v2/status``): the seeds the
fuzz tests mutate. A path without an answer is a 404 like the real servers' (for a GET with a
query string, the path alone is matched).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

_LABELS = {"alertname": "HighErrorRate", "job": "active-inference", "instance": "10.0.0.7:8000",
           "severity": "critical"}
PROMETHEUS: dict[str, Any] = {
    "/api/v1/query": {"status": "success", "data": {"resultType": "vector", "result": [
        {"metric": {"__name__": "up", "job": "active-inference", "instance": "10.0.0.7:8000"},
         "value": [1769594400.0, "1"]}]}},
    "/api/v1/query_range": {"status": "success", "data": {"resultType": "matrix", "result": [
        {"metric": {"job": "active-inference", "instance": "10.0.0.7:8000"},
         "values": [[1769594400.0, "0.12"], [1769594460.0, "0.5"]]}]}},
    "/api/v1/alerts": {"status": "success", "data": {"alerts": [
        {"labels": _LABELS, "annotations": {"summary": "High error rate detected"},
         "state": "firing", "activeAt": "2026-01-28T10:00:00.000Z", "value": "2.5e-01"}]}},
    "/api/v1/rules": {"status": "success", "data": {"groups": [
        {"name": "active-inference", "file": "rules.yml", "interval": 15, "rules": [
            {"name": "HighErrorRate", "query": 'rate(http_requests_total{status=~"5.."}[5m]) > 0.1',
             "duration": 120, "labels": {"severity": "critical"}, "health": "ok",
             "type": "alerting", "state": "firing", "alerts": []}]}]}},
    "/api/v1/targets": {"status": "success", "data": {"activeTargets": [
        {"discoveredLabels": {"__metrics_path__": "/metrics"},
         "labels": {"job": "active-inference", "instance": "127.0.0.1:9"},
         "scrapePool": "active-inference", "scrapeUrl": "http://127.0.0.1:9/metrics",
         "health": "up", "lastError": ""}], "droppedTargets": []}},
}
ALERTMANAGER: dict[str, Any] = {
    "/api/v2/alerts": [
        {"labels": _LABELS, "annotations": {"summary": "High error rate detected"},
         "startsAt": "2026-01-28T10:00:00.000Z", "endsAt": "2026-01-28T11:00:00.000Z",
         "updatedAt": "2026-01-28T10:00:30.000Z", "fingerprint": "4f5a9c1b2d3e6f70",
         "receivers": [{"name": "pagerduty"}],
         "status": {"state": "active", "silencedBy": [], "inhibitedBy": []}}],
    "/api/v2/silences": [
        {"id": "8c2f6e2a-7c6a-4e8e-9a51-3f0a8b3e1c2d",
         "status": {"state": "active"}, "updatedAt": "2026-01-28T10:05:00.000Z",
         "matchers": [{"name": "alertname", "value": "HighErrorRate", "isRegex": False,
                       "isEqual": True}],
         "startsAt": "2026-01-28T10:05:00.000Z", "endsAt": "2026-01-28T12:05:00.000Z",
         "createdBy": "oncall", "comment": "deploy rollback in progress"}],
    "/api/v2/status": {"cluster": {"status": "disabled", "peers": []},
                       "versionInfo": {"version": "0.25.0"}, "uptime": "2026-01-28T09:00:00.000Z",
                       "config": {"original": ""}},
}


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up mid-answer (the probe stops reading at its body cap) is
        normal here; anything else is still printed."""
        import sys

        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


class ScriptedServer:
    """Answers ``{path: (status, content type, body bytes)}``; JSON seeds are encoded for you."""

    def __init__(self, seeds: dict[str, Any] | None = None) -> None:
        self.answers: dict[str, tuple[int, str, bytes]] = {}
        for path, doc in (seeds or {}).items():
            self.answer(path, json.dumps(doc).encode())
        self.requests: list[tuple[str, str]] = []
        self._server = _Server(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def answer(self, path: str, body: bytes, *, status: int = 200,
               content_type: str = "application/json") -> None:
        self.answers[path] = (status, content_type, body)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "ScriptedServer":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _handler(server: ScriptedServer) -> type:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            path = urlsplit(self.path).path
            server.requests.append((self.command, self.path))
            status, content_type, body = server.answers.get(
                path, (404, "text/plain", b"404 page not found\n"))
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve

    return Handler
