"""The lab's HTTP API: a starlette app over :class:`~aiops.lab.service.LabService`.

| method | path                  | what                                                  |
|--------|-----------------------|-------------------------------------------------------|
| GET    | /health               | the runbook's health body (503 when unhealthy)         |
| GET    | /ready                | 200 once the model is warmed up, else 503              |
| GET    | /live                 | 200 while the event loop answers                       |
| GET    | /metrics              | Prometheus text exposition                             |
| POST   | /infer                | ``{"observation": [..]}`` -> action and beliefs        |
| GET    | /admin/faults         | active and available faults (token)                    |
| POST   | /admin/faults         | ``{"fault": NAME, "value": V}`` or ``{"spec": "NAME=V"}`` |
| DELETE | /admin/faults[/NAME]  | clear one fault, or all                                |

Every response carries ``X-Correlation-ID`` (the request's, or a new ``req-...`` one).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import re
import uuid
from typing import Any

from aiops.core.errors import UsageError
from aiops.lab.faults import FAULTS, parse_fault
from aiops.lab.logs import _clean, event
from aiops.lab.service import InferenceFailed, LabService, ObservationError

MAX_BODY = 64 * 1024
TICK = 0.25
_ID = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,128}$")
PATHS = ("/", "/health", "/ready", "/live", "/metrics", "/infer", "/admin/faults")
METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS")  # others count as "other"
log_api = logging.getLogger("active_inference.api")


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Any:
    from starlette.responses import Response

    return Response(json.dumps(_clean(body), separators=(",", ":")), status_code=status,
                    media_type="application/json", headers=headers)


def _header_id(value: str | None) -> str | None:
    return value if value and _ID.match(value) else None


class RequestMetrics:
    """ASGI middleware: correlation IDs, ``http_requests_total``, bytes and the error window."""

    def __init__(self, app: Any, service: LabService) -> None:
        self.app, self.service = app, service

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]
                   if k in (b"x-correlation-id", b"x-user-id")}
        cid = _header_id(headers.get("x-correlation-id")) or f"req-{uuid.uuid4().hex[:16]}"
        state = scope.setdefault("state", {})
        state["correlation_id"] = cid
        state["user_id"] = _header_id(headers.get("x-user-id")) or "anonymous"
        self.service.tracing.annotate(cid)
        path = scope["path"]
        if self.service.restarting() and not path.startswith("/admin/"):
            await _restarting(send)  # as a restarting process: nothing counted, nothing logged
            return
        label = path if path in PATHS else "/admin/faults/{name}" if path.startswith("/admin/faults/") else "other"
        status, received, sent = 500, 0, 0

        async def counting_receive() -> dict:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            return message

        async def tagging_send(message: dict) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-correlation-id", cid.encode())]
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, counting_receive, tagging_send)
        except Exception as exc:
            status = 500
            event(log_api, logging.ERROR, "Unhandled error", correlation_id=cid, user_id=state["user_id"],
                  exc_info=exc, path=label, method=scope["method"], status=500)
            raise
        finally:
            m = self.service.metrics
            method = scope["method"] if scope["method"] in METHODS else "other"
            m.http_requests.labels(method, label, str(status)).inc()
            self.service.sessions.seen(state["user_id"])
            m.network.inc(received, direction="received")
            m.network.inc(sent, direction="sent")
            if label == "/infer":
                self.service.errors.record(status >= 500)


def create_app(service: LabService, *, base_url: str | None = None, on_shutdown: Any = None) -> Any:
    """The ASGI app. ``base_url`` (where it listens) lets it send its own synthetic traffic."""
    from starlette.applications import Starlette
    from starlette.exceptions import HTTPException
    from starlette.middleware import Middleware
    from starlette.responses import Response
    from starlette.routing import Route

    async def index(request: Any) -> Any:
        return _json({"service": "active-inference-sim-lab", "model": service.config.model,
                      "model_id": service.model_id, "endpoints": list(PATHS)})

    async def health(request: Any) -> Any:
        status, body = service.health()
        return _json(body, status)

    async def ready(request: Any) -> Any:
        status, body = service.readiness()
        return _json(body, status)

    async def live(request: Any) -> Any:
        lag = request.app.state.loop_lag_ms
        return _json({"status": "alive", "loop_lag_ms": round(lag, 2)})

    async def metrics(request: Any) -> Any:
        from aiops.lab.metrics import CONTENT_TYPE

        return Response(service.metrics.render(), media_type=None, headers={"Content-Type": CONTENT_TYPE})

    async def infer(request: Any) -> Any:
        cid, user = request.state.correlation_id, request.state.user_id
        try:
            payload = await _read_json(request)
            obs = service.check_observation(payload)
        except ObservationError as exc:
            event(log_api, logging.WARNING, f"Rejected observation: {exc}", correlation_id=cid,
                  user_id=user, path="/infer", status=exc.status)
            return _json({"error": str(exc), "correlation_id": cid}, exc.status)
        try:
            return _json(await service.infer(obs, correlation_id=cid, user_id=user))
        except InferenceFailed as exc:
            return _json({"error": f"inference failed: {exc}", "correlation_id": cid}, 500)

    async def admin_faults(request: Any) -> Any:
        denied = _authorise(request, service.config.admin_token)
        if denied is not None:
            return denied
        try:
            if request.method in ("POST", "PUT"):
                payload = await _read_json(request)
                for name, value in _fault_specs(payload):
                    service.faults.set(name, value)
            elif request.method == "DELETE":
                name = request.path_params.get("name")
                if name is not None and name not in {f.name for f in FAULTS}:
                    raise UsageError(f"unknown fault '{name}'")
                service.faults.clear(name)
        except (ObservationError, UsageError) as exc:
            return _json({"error": getattr(exc, "message", str(exc))}, 400)
        return _json({"active": [f.to_dict() for f in service.faults.snapshot()],
                      "available": [f.to_dict() for f in FAULTS]})

    async def http_error(request: Any, exc: Any) -> Any:
        return _json({"error": exc.detail}, exc.status_code, getattr(exc, "headers", None))

    async def server_error(request: Any, exc: Exception) -> Any:
        return _json({"error": "internal server error"}, 500)

    @contextlib.asynccontextmanager
    async def lifespan(app: Any):
        app.state.loop_lag_ms = 0.0
        loop = asyncio.get_running_loop()
        tasks = [asyncio.create_task(_ticker(app, service)),
                 asyncio.create_task(_warm_up(loop, service))]
        if base_url:
            from aiops.lab.synthetic import bad_clients, synthetic_traffic

            tasks.append(asyncio.create_task(bad_clients(base_url, service)))
            if service.config.synthetic_rps > 0:
                tasks.append(asyncio.create_task(synthetic_traffic(base_url, service)))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await loop.run_in_executor(None, service.shutdown)
            if on_shutdown:
                on_shutdown()

    admin_methods = ["GET", "POST", "PUT", "DELETE"]
    routes = [
        Route("/", index), Route("/health", health), Route("/ready", ready), Route("/live", live),
        Route("/metrics", metrics), Route("/infer", infer, methods=["POST"]),
        Route("/admin/faults", admin_faults, methods=admin_methods),
        Route("/admin/faults/{name}", admin_faults, methods=["DELETE"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan,
                     middleware=[*service.tracing.middleware(), Middleware(RequestMetrics, service=service)],
                     exception_handlers={HTTPException: http_error, Exception: server_error})


async def _read_json(request: Any) -> Any:
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > MAX_BODY:
        raise ObservationError(413, f"body larger than {MAX_BODY} bytes")
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise ObservationError(413, f"body larger than {MAX_BODY} bytes")
    if not raw.strip():
        raise ObservationError(400, "empty body; expected JSON like {\"observation\": [0, 0, 0]}")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ObservationError(400, f"invalid JSON: {exc}") from None


def _fault_specs(payload: Any) -> list[tuple[str, float | None]]:
    items = payload if isinstance(payload, list) else [payload]
    specs = []
    for item in items:
        if isinstance(item, str):
            specs.append(parse_fault(item))
        elif isinstance(item, dict) and isinstance(item.get("spec"), str):
            specs.append(parse_fault(item["spec"]))
        elif isinstance(item, dict) and isinstance(item.get("fault"), str):
            specs.append(parse_fault(item["fault"], item.get("value")))
        else:
            raise UsageError('expected {"fault": NAME, "value": V}, {"spec": "NAME=V"} or a list of them')
    return specs


def _authorise(request: Any, token: str | None) -> Any:
    if not token:
        return _json({"error": "admin endpoint disabled: start the lab with an admin token "
                               "(AIOPS_LAB_ADMIN_TOKEN or --admin-token)"}, 403)
    auth = request.headers.get("authorization", "")
    given = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
    if not given or not hmac.compare_digest(given.encode(), token.encode()):
        return _json({"error": "missing or invalid admin token"}, 401, {"WWW-Authenticate": "Bearer"})
    return None


async def _restarting(send: Any) -> None:
    body = b'{"status":"restarting"}'
    await send({"type": "http.response.start", "status": 503,
                "headers": [(b"content-type", b"application/json"), (b"retry-after", b"1"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


async def _ticker(app: Any, service: LabService) -> None:
    """Drive time-based faults and measure event-loop lag (reported by /live)."""
    loop = asyncio.get_running_loop()
    last = loop.time()
    while True:
        await asyncio.sleep(TICK)
        now = loop.time()
        app.state.loop_lag_ms = max(0.0, (now - last - TICK) * 1000)
        service.tick(now - last)
        last = now


async def _warm_up(loop: Any, service: LabService) -> None:
    await loop.run_in_executor(None, service.warm_up)
