"""Probe /health, /ready, /live and /metrics of one or a thousand instances, concurrently.

``check(targets, ...)`` returns a :class:`HealthReport`: per endpoint the status code,
latency and reason; per target a verdict (healthy / degraded / unhealthy / unreachable).
"""

from __future__ import annotations

import datetime as dt
import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from aiops.catalog import APPLICATION_METRICS, METRICS
from aiops.core import errors
from aiops.core.errors import UsageError
from aiops.core.http import DEFAULT_MAX_BODY, FetchError, Response, fetch, normalise_url, ssl_context
from aiops.core.redact import redact
from aiops.health.rules import judge_health_body, judge_metrics

ENDPOINTS = ("/health", "/ready", "/live", "/metrics")
VERDICTS = ("healthy", "degraded", "unhealthy", "unreachable")
SCHEMA = "aiops.health.probe/v1"


@dataclass
class EndpointResult:
    path: str
    ok: bool = False
    status_code: int | None = None
    latency_ms: float | None = None
    reason: str | None = "not probed"
    severity: str = "unhealthy"  # what a failure here means: unhealthy or degraded
    transport_failed: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "ok": self.ok, "status_code": self.status_code,
                "latency_ms": None if self.latency_ms is None else round(self.latency_ms, 2),
                "reason": self.reason}


@dataclass
class TargetResult:
    target: str
    url: str | None
    endpoints: dict[str, EndpointResult] = field(default_factory=dict)
    health: dict[str, Any] | None = None
    metrics_present: list[str] = field(default_factory=list)
    metrics_missing: list[str] = field(default_factory=list)
    invalid: str | None = None  # why the target is not a usable URL

    @property
    def shown(self) -> str:
        """The target as people see it: its URL with any credentials masked."""
        return redact(self.url or self.target)

    @property
    def reasons(self) -> list[str]:
        if self.invalid:
            return [self.invalid]
        failed = [ep for ep in self.endpoints.values() if not ep.ok]
        if len(failed) == len(ENDPOINTS) and len({ep.reason for ep in failed}) == 1:
            return [f"all endpoints: {failed[0].reason}"]
        return [f"{ep.path}: {ep.reason}" for ep in failed]

    @property
    def verdict(self) -> str:
        eps = list(self.endpoints.values())
        if self.invalid or not eps or all(ep.transport_failed for ep in eps):
            return "unreachable"
        failed = [ep for ep in eps if not ep.ok]
        if any(ep.severity == "unhealthy" for ep in failed):
            return "unhealthy"
        return "degraded" if failed else "healthy"

    def to_dict(self) -> dict[str, Any]:
        return {"target": redact(self.target), "url": redact(self.url) if self.url else None,
                "verdict": self.verdict,
                "reasons": self.reasons,
                "endpoints": {p: ep.to_dict() for p, ep in self.endpoints.items()},
                "health": self.health,
                "metrics": {"present": self.metrics_present, "missing": self.metrics_missing}}


@dataclass
class HealthReport:
    checked_at: dt.datetime
    duration_ms: float
    timeout_s: float
    targets: list[TargetResult]

    @property
    def summary(self) -> dict[str, int]:
        counts = {v: 0 for v in VERDICTS}
        for t in self.targets:
            counts[t.verdict] += 1
        return {"targets": len(self.targets), **counts}

    @property
    def verdict(self) -> str:
        """The worst target verdict (unreachable counts as worst only when nothing is worse)."""
        verdicts = {t.verdict for t in self.targets}
        for v in ("unhealthy", "degraded", "unreachable"):
            if v in verdicts:
                return v
        return "healthy"

    def exit_code(self) -> int:
        """3 when any target is degraded or unhealthy; else 2 for a malformed target URL;
        else 5 when any is unreachable; else 0."""
        if any(t.verdict in ("degraded", "unhealthy") for t in self.targets):
            return errors.CHECK_FAILED
        if any(t.invalid for t in self.targets):
            return errors.USAGE
        if any(t.verdict == "unreachable" for t in self.targets):
            return errors.UNREACHABLE
        return errors.OK

    def problem(self) -> tuple[str, str] | None:
        """(one-line error, hint) when the exit code is 2 (malformed) or 5 (unreachable)."""
        code = self.exit_code()
        if code == errors.USAGE:
            bad = [t for t in self.targets if t.invalid]
            more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
            return (f"{len(bad)} of {len(self.targets)} target(s) malformed: {bad[0].invalid}{more}",
                    "a target is http[s]://host:port, or host:port for http")
        if code == errors.UNREACHABLE:
            down = [t for t in self.targets if t.verdict == "unreachable"]
            first = down[0]
            more = f" (and {len(down) - 1} more)" if len(down) > 1 else ""
            return (f"{len(down)} of {len(self.targets)} target(s) unreachable: "
                    f"{first.shown}: {'; '.join(first.reasons)}{more}",
                    "check the URL, the network and that the service is running")
        return None

    def to_dict(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "checked_at": self.checked_at, "verdict": self.verdict,
                "duration_ms": round(self.duration_ms, 1), "timeout_s": self.timeout_s,
                "summary": self.summary, "targets": [t.to_dict() for t in self.targets]}


def check(targets: list[str], *, timeout: float = 10.0, concurrency: int = 250,
          deadline: float | None = None, max_body: int = DEFAULT_MAX_BODY,
          ca_bundle: str | None = None, insecure: bool = False,
          progress: Callable[..., None] | None = None,
          clock: Callable[[], dt.datetime] | None = None) -> HealthReport:
    """Probe every target's four endpoints; never takes longer than ``deadline`` (+ a little).

    ``deadline`` defaults to the time ``concurrency``-sized waves of ``timeout`` need.
    ``progress(n)`` is called as each target finishes.
    """
    import asyncio

    if not targets:
        raise UsageError("no targets to probe",
                         hint="pass URLs, --target URL, or --env NAME with targets in the config")
    if timeout <= 0 or concurrency <= 0:
        raise UsageError("--timeout and --concurrency must be positive")
    if deadline is None:
        deadline = timeout * math.ceil(len(targets) / concurrency) + 1.0
    now = (clock or (lambda: dt.datetime.now(dt.timezone.utc)))()
    start = time.perf_counter()
    results = [_new_target(t) for t in targets]
    tls = ssl_context(ca_bundle, insecure)
    asyncio.run(_probe_all(results, timeout, concurrency, deadline, max_body, tls, progress))
    return HealthReport(now, (time.perf_counter() - start) * 1000, timeout, results)


def _new_target(raw: str) -> TargetResult:
    try:
        return TargetResult(raw, normalise_url(raw))
    except UsageError as exc:
        return TargetResult(raw, None, invalid=exc.message)


async def _probe_all(results: list[TargetResult], timeout: float, concurrency: int,
                     deadline: float, max_body: int, tls: Any,
                     progress: Callable[..., None] | None) -> None:
    import asyncio

    import aiohttp

    gate = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=0, ssl=tls, force_close=True, ttl_dns_cache=300)
    # fetch() bounds each request with its own timeout; aiohttp's default timer is redundant
    async with aiohttp.ClientSession(connector=connector, trust_env=False,
                                     timeout=aiohttp.ClientTimeout(total=None),
                                     headers={"User-Agent": "aiops-health"}) as session:

        async def one(target: TargetResult) -> None:
            async with gate:
                await _probe_target(session, target, timeout, max_body)
            if progress:
                progress(1)

        tasks = [asyncio.create_task(one(t)) for t in results if not t.invalid]
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=deadline)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
    for target in results:
        for ep in target.endpoints.values():
            if ep.reason == "not probed":
                ep.reason = f"overall deadline of {deadline:g}s reached"


async def _probe_target(session: Any, target: TargetResult, timeout: float, max_body: int) -> None:
    import asyncio

    for path in ENDPOINTS:
        target.endpoints[path] = EndpointResult(path)
    await asyncio.gather(*(_probe_endpoint(session, target, p, timeout, max_body)
                           for p in ENDPOINTS))


async def _probe_endpoint(session: Any, target: TargetResult, path: str, timeout: float,
                          max_body: int) -> None:
    ep = target.endpoints[path]
    try:
        resp = await fetch(session, target.url + path, timeout=timeout, max_body=max_body)
    except FetchError as exc:
        ep.reason, ep.latency_ms, ep.status_code = exc.reason, exc.latency_s * 1000, exc.status
        ep.transport_failed = exc.status is None
        ep.severity = "degraded" if path == "/metrics" else "unhealthy"
        return
    ep.transport_failed = False
    ep.status_code, ep.latency_ms = resp.status, resp.latency_s * 1000
    _judge(target, ep, resp)


def _judge(target: TargetResult, ep: EndpointResult, resp: Response) -> None:
    """Decide ok/reason/severity for one answered endpoint."""
    ep.severity = "degraded" if ep.path == "/metrics" else "unhealthy"
    if ep.path == "/health":
        target.health, problems, severity = judge_health_body(resp)
        ep.ok, ep.severity = not problems, severity
        ep.reason = "; ".join(problems) if problems else None
        return
    if not 200 <= resp.status < 300:
        ep.ok, ep.reason = False, f"HTTP {resp.status}"
        return
    if ep.path == "/metrics":
        present, missing, problem = judge_metrics(resp.text(), [m.name for m in METRICS])
        target.metrics_present, target.metrics_missing = present, missing
        app_missing = [m.name for m in APPLICATION_METRICS if m.name in missing]
        if problem or app_missing:
            ep.ok = False
            ep.reason = problem or f"missing runbook metrics: {', '.join(app_missing)}"
            return
    ep.ok, ep.reason = True, None
