"""Probing one target: its four endpoints over one kept-alive connection (a :class:`Lane`),
hedged when an endpoint is slow, each answer judged against the runbook.

:class:`Probe` holds what one process needs for every target it probes (timeout, body cap,
TLS, a DNS cache, the count of open connections); see :mod:`aiops.health.probe` for the policy.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any
from urllib.parse import urlsplit

from aiops.catalog import APPLICATION_METRICS, METRICS
from aiops.core import wire
from aiops.core.http import FetchError, tls_loader
from aiops.health.probe import ENDPOINTS, EndpointResult, TargetResult, hedge_delay
from aiops.health.rules import judge_health_body, judge_metrics

_REDIRECTS = (301, 302, 303, 307, 308)
_EXPECTED = [m.name for m in METRICS]
_APP_METRICS = [m.name for m in APPLICATION_METRICS]


class Probe:
    """What one process needs to probe targets: timeout, body cap, TLS, a DNS cache, and the
    count of open connections (kept under the open-file budget)."""

    def __init__(self, timeout: float, max_body: int, ca_bundle: str | None = None,
                 insecure: bool = False) -> None:
        self.timeout, self.max_body = timeout, max_body
        self._tls = tls_loader(ca_bundle, insecure)
        if ca_bundle and not insecure:  # a user's bundle is read now: a bad one stops the run before any probe
            self._tls()
        self.hedge = hedge_delay(timeout)
        self.hedging = 0  # targets whose remaining endpoints run on connections of their own
        self.hedge_cap = 16  # at most this many at once (set per process: 5 % of its concurrency)
        self.open = 0
        self.fd_cap = 1 << 30
        self.resolver: Any = None

    @property
    def tls(self) -> Any:
        """The TLS context, loaded the first time an https URL needs it; False when
        verification is off."""
        return self._tls()

    async def target(self, target: TargetResult) -> None:
        """Probe one target's endpoints (see the module docstring for the connection policy)."""
        if self.resolver is None:
            self.resolver = wire.Resolver()
        target.endpoints = {p: EndpointResult(p) for p in ENDPOINTS}
        origin = wire.Origin.of(target.url, self.tls if target.url.startswith("https") else None)
        prefix = wire.request_path(urlsplit(target.url).path.rstrip("/"), "")
        lane = Lane(self, origin)
        todo = list(ENDPOINTS)
        extra: list[Any] = []
        loop = asyncio.get_running_loop()
        timers: list[Any] = [None]
        deadline = [0.0]

        def hedge(due: float) -> None:
            if loop.time() - due > self.hedge / 2:  # our own loop is late, not the target
                if todo:
                    timers[0] = loop.call_later(self.hedge, hedge, loop.time() + self.hedge)
                return
            # A few hung targets are hedged; when most of them are slow the whole fleet (or this
            # machine) is, and doubling the connections would only slow everything further.
            if todo and self.open + len(todo) <= self.fd_cap and self.hedging < self.hedge_cap:
                self.hedging += 1  # they share the slow request's deadline: the target ends with it
                extra.extend(asyncio.ensure_future(self._alone(target, origin, prefix, p, deadline[0]))
                             for p in todo)
                extra[-1].add_done_callback(lambda _: setattr(self, "hedging", self.hedging - 1))
                todo.clear()

        try:
            while todo:
                path = todo.pop(0)
                timers[0] = loop.call_later(self.hedge, hedge, loop.time() + self.hedge) if todo else None
                deadline[0] = loop.time() + self.timeout
                try:
                    answer = await lane.get(prefix + path, close=not todo, deadline=deadline[0])
                except FetchError as exc:
                    self._failed(target, path, exc)
                    if exc.extra.get("phase") == "connect" and exc.kind != "timeout":
                        for other in todo:  # the target refuses connections: say so once per endpoint
                            self._failed(target, other, exc)
                        todo.clear()
                else:
                    self._judge(target, path, answer)
                finally:
                    if timers[0] is not None:
                        timers[0].cancel()
            if extra:
                await asyncio.gather(*extra)
        finally:
            lane.close()
            for task in extra:
                task.cancel()
            hedge = None  # noqa: F841 (it names itself: left alone, it and its closure are a cycle)

    async def _alone(self, target: TargetResult, origin: Any, prefix: str, path: str, deadline: float) -> None:
        lane = Lane(self, origin)
        try:
            self._judge(target, path, await lane.get(prefix + path, close=True, deadline=deadline))
        except FetchError as exc:
            self._failed(target, path, exc)
        finally:
            lane.close()

    @staticmethod
    def _failed(target: TargetResult, path: str, exc: FetchError) -> None:
        ep = target.endpoints[path]
        ep.reason, ep.latency_ms, ep.status_code = exc.reason, exc.latency_s * 1000, exc.status
        ep.transport_failed = exc.status is None
        ep.severity = "degraded" if path == "/metrics" else "unhealthy"

    @staticmethod
    def _judge(target: TargetResult, path: str, resp: Any) -> None:
        """Decide ok/reason/severity for one answered endpoint."""
        ep = target.endpoints[path]
        ep.transport_failed = False
        ep.status_code, ep.latency_ms = resp.status, resp.latency_s * 1000
        ep.severity = "degraded" if path == "/metrics" else "unhealthy"
        if path == "/health":
            target.health, problems, severity = judge_health_body(resp)
            ep.ok, ep.severity = not problems, severity
            ep.reason = "; ".join(problems) if problems else None
            return
        if not 200 <= resp.status < 300:
            ep.ok, ep.reason = False, f"HTTP {resp.status}"
            return
        if path == "/metrics":
            present, missing, problem = judge_metrics(resp.body.decode("utf-8", "replace"), _EXPECTED)
            target.metrics_present, target.metrics_missing = present, missing
            app_missing = [m for m in _APP_METRICS if m in missing]
            if problem or app_missing:
                ep.ok = False
                ep.reason = problem or f"missing runbook metrics: {', '.join(app_missing)}"
                return
        ep.ok, ep.reason = True, None


class Lane:
    """A target's kept-alive connection: requests one at a time, redirects followed, every
    request (connect and redirects included) bounded by the probe's timeout."""

    def __init__(self, probe: Probe, origin: Any) -> None:
        self.probe, self.origin = probe, origin
        self.conn: Any = None

    async def get(self, path: str, close: bool, deadline: float | None = None) -> Any:
        """The answer to ``GET path``, by loop time ``deadline`` (default: the timeout from now)."""
        started = time.perf_counter()
        timeout = self.probe.timeout
        if deadline is None:
            deadline = asyncio.get_running_loop().time() + timeout
        conn = self.conn
        try:
            if conn is not None and conn.reusable:  # the common case: no connect, no redirect
                try:
                    answer = await conn.send(path, close, deadline, timeout)
                except BaseException:
                    self._drop(conn)
                    raise
                if not conn.reusable:
                    self._drop(conn)
                if answer.status not in _REDIRECTS or not answer.location:
                    answer.latency_s = time.perf_counter() - started
                    return answer
            async with asyncio.timeout_at(deadline):
                answer = await self._follow(path, close, deadline)
        except TimeoutError:
            self.close()
            raise FetchError("timeout", f"timed out after {timeout:g}s", time.perf_counter() - started,
                             extra={} if self.conn else {"phase": "connect"}) from None
        except FetchError as exc:
            exc.latency_s = time.perf_counter() - started
            raise
        answer.latency_s = time.perf_counter() - started
        return answer

    async def _follow(self, path: str, close: bool, deadline: float) -> Any:
        origin = self.origin
        for _ in range(wire.MAX_REDIRECTS + 1):
            home = origin is self.origin
            conn = await self._connection(origin)
            try:
                answer = await conn.send(path, close or not home, deadline, self.probe.timeout)
            except BaseException:  # failed, timed out or cancelled: the connection is done
                self._drop(conn)
                raise
            if not conn.reusable or not home:
                self._drop(conn)
            if answer.status not in _REDIRECTS or not answer.location:
                return answer
            url = wire.redirect_target(f"{origin.scheme}://{origin.authority}{path}", answer.location)
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise FetchError("transport", f"redirected to an unusable URL: {url[:200]}", status=answer.status)
            nxt = wire.Origin.of(url, self.probe.tls if parts.scheme == "https" else None)
            origin = self.origin if nxt.key == self.origin.key else nxt
            path = wire.request_path(parts.path, parts.query)
        raise FetchError("transport", "too many redirects (redirect loop)")

    async def _connection(self, origin: Any) -> Any:
        if origin is self.origin and self.conn is not None and self.conn.reusable:
            return self.conn
        if origin is self.origin:
            self.close()
        self.probe.open += 1
        try:
            conn = await wire.connect(origin, self.probe.resolver, self.probe.max_body)
        except BaseException:
            self.probe.open -= 1
            raise
        if origin is self.origin:
            self.conn = conn
        return conn

    def _drop(self, conn: Any) -> None:
        conn.close()
        if not conn.released:
            conn.released = True
            self.probe.open -= 1
        if conn is self.conn:
            self.conn = None

    def close(self) -> None:
        if self.conn is not None:
            self._drop(self.conn)
