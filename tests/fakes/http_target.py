"""A real HTTP server on 127.0.0.1 that misbehaves on demand, for probing tests.

``TargetServer(mode)`` serves the four runbook endpoints. ``mode`` picks the behaviour:
healthy, status500, status503, html, invalid_json, missing_fields, oversized, redirect_loop,
hang (accepts, never answers), drip (a byte a second), not_ready, bad_metrics, delay:<seconds>,
chunked (bodies in chunked encoding), close_delimited (no length: the body ends when the
connection closes), moved:<base URL> (every path redirects there).
"""

from __future__ import annotations

import asyncio
import json
import ssl
import threading
from typing import Any

from aiohttp import web

HEALTHY_BODY = {"status": "healthy", "timestamp": "2026-01-28T10:00:00Z", "version": "0.1.0",
                "checks": {"memory": "ok", "disk": "ok", "dependencies": "ok"}}

METRICS_TEXT = "".join(
    f"# HELP {name} {name}\n# TYPE {name} gauge\n{name} 1.0\n"
    for name in ("ai_model_accuracy", "ai_belief_entropy", "ai_free_energy", "ai_training_loss",
                 "ai_convergence_time", "ai_sample_efficiency", "cpu_usage_percent",
                 "memory_usage_bytes", "disk_usage_percent")
) + (
    "# HELP ai_inference_duration_seconds Time taken for inference\n"
    "# TYPE ai_inference_duration_seconds histogram\n"
    'ai_inference_duration_seconds_bucket{le="0.1"} 3.0\n'
    'ai_inference_duration_seconds_bucket{le="+Inf"} 4.0\n'
    "ai_inference_duration_seconds_sum 0.5\nai_inference_duration_seconds_count 4.0\n"
    "# HELP ai_episodes_completed Training episodes\n# TYPE ai_episodes_completed counter\n"
    "ai_episodes_completed_total 12.0\n"
    "# HELP network_io_bytes Network traffic\n# TYPE network_io_bytes counter\n"
    "network_io_bytes_total 100.0\n"
)


class TargetServer:
    """Runs in its own thread and event loop; ``url`` is ready when the constructor returns."""

    def __init__(self, mode: str = "healthy", ssl_context: ssl.SSLContext | None = None) -> None:
        self.mode = mode
        self.requests = 0
        self.headers_seen: list[dict[str, str]] = []
        self.peers: list[Any] = []  # the client's (host, port) per request: one per connection used
        self._ssl = ssl_context
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("test server did not start")

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._start())
        self._ready.set()
        self._loop.run_forever()

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_route("GET", "/{path:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self._ssl)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.url = f"{'https' if self._ssl else 'http'}://127.0.0.1:{port}"

    async def _handle(self, request: web.Request) -> Any:
        self.requests += 1
        self.headers_seen.append(dict(request.headers))
        self.peers.append(request.transport.get_extra_info("peername") if request.transport else None)
        path, mode = "/" + request.match_info["path"], self.mode
        if mode.startswith("delay:"):
            await asyncio.sleep(float(mode.split(":", 1)[1]))
            mode = "healthy"
        if mode == "hang":
            await asyncio.sleep(3600)
        if mode == "drip":
            resp = web.StreamResponse(headers={"Content-Type": "application/json"})
            await resp.prepare(request)
            try:
                for _ in range(3600):
                    await resp.write(b" ")
                    await asyncio.sleep(1)
            except ConnectionError:  # the client gave up (that is what a drip test wants)
                return resp
        if mode in ("status500", "status503"):
            return web.Response(status=int(mode[-3:]), text="upstream failure")
        if mode == "redirect_loop":
            raise web.HTTPFound(path)
        if mode.startswith("moved:"):
            raise web.HTTPFound(mode.split(":", 1)[1] + path)
        if mode in ("chunked", "close_delimited"):
            body = json.dumps(HEALTHY_BODY) if path == "/health" else (METRICS_TEXT if path == "/metrics" else "ok")
            resp = web.StreamResponse(headers={"Content-Type": "application/json" if path == "/health" else "text/plain"})
            if mode == "chunked":
                resp.enable_chunked_encoding()
            else:
                resp.force_close()
            await resp.prepare(request)
            for i in range(0, len(body), 7):
                await resp.write(body[i:i + 7].encode())
            await resp.write_eof()
            return resp
        if mode == "oversized":
            return web.Response(body=b"x" * (8 * 1024 * 1024), content_type="application/json")
        if path == "/metrics":
            text = "this is { not prometheus" if mode == "bad_metrics" else METRICS_TEXT
            return web.Response(text=text, content_type="text/plain")
        if path == "/ready" and mode == "not_ready":
            return web.Response(status=503, text="not ready")
        if path != "/health":
            return web.Response(text="ok")
        if mode == "html":
            return web.Response(text="<html><body>Login</body></html>", content_type="text/html")
        if mode == "invalid_json":
            return web.Response(text='{"status": "healthy",', content_type="application/json")
        if mode == "missing_fields":
            return web.json_response({"status": "healthy"})
        return web.json_response(HEALTHY_BODY)

    def close(self) -> None:
        async def stop() -> None:
            await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

