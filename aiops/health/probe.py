"""Probe /health, /ready, /live and /metrics of one or ten thousand instances, concurrently.

``check(targets, ...)`` returns a :class:`HealthReport`: per endpoint the status code,
latency and reason; per target a verdict (healthy / degraded / unhealthy / unreachable).

How it scales (measured against a raw-asyncio client doing the same requests,
``benchmarks/bench_health_fanout.py``):

- one kept-alive connection per target carries its four requests one after another
  (:mod:`aiops.core.wire`); a request still unanswered after a quarter of the timeout sends
  the target's remaining endpoints on connections of their own, sharing that request's
  deadline, so a hung endpoint costs one ``timeout``, not four;
- ``workers`` processes (default: the CPU count) each probe an interleaved share of the
  targets; their results are merged back in target order;
- ``/metrics`` pages in the canonical text format are read without building prometheus_client
  objects (:mod:`aiops.health.exposition`); any other page is judged by its parser;
- the open-file limit is raised to what the concurrency needs when the hard limit allows it;
  when it does not, fewer targets are probed at once and the report says so.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from aiops.core import errors
from aiops.core.errors import UsageError
from aiops.core.http import DEFAULT_MAX_BODY, normalise_url
from aiops.core.redact import redact

ENDPOINTS = ("/health", "/ready", "/live", "/metrics")
VERDICTS = ("healthy", "degraded", "unhealthy", "unreachable")
SOURCES = ("probe", "prometheus")
SCHEMA = "aiops.health.probe/v1"
MIN_SHARE = 100  # fewer targets than this per worker process are not worth a fork
FD_RESERVE = 64  # descriptors kept for everything that is not a probe connection


@dataclass(slots=True)
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


@dataclass(slots=True)
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
        if self.invalid or not self.endpoints:
            return "unreachable"
        transport, failed, unhealthy = True, False, False
        for ep in self.endpoints.values():
            transport = transport and ep.transport_failed
            if not ep.ok:
                failed = True
                unhealthy = unhealthy or ep.severity == "unhealthy"
        if transport:
            return "unreachable"
        return "unhealthy" if unhealthy else ("degraded" if failed else "healthy")

    def to_dict(self) -> dict[str, Any]:
        shown = redact(self.target)
        url = (shown if self.url == self.target else redact(self.url)) if self.url else None
        return {"target": shown, "url": url,
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
    source: str = "probe"  # probe: aiops asked the targets; prometheus: read from Prometheus
    prometheus_url: str | None = None
    job: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def summary(self) -> dict[str, int]:
        counts = {v: 0 for v in VERDICTS}
        for t in self.targets:
            counts[t.verdict] += 1
        return {"targets": len(self.targets), **counts}

    @property
    def verdict(self) -> str:
        """The worst target verdict (unreachable counts as worst only when nothing is worse)."""
        counts = self.summary
        return next((v for v in ("unhealthy", "degraded", "unreachable") if counts[v]), "healthy")

    def exit_code(self) -> int:
        """3 when any target is degraded or unhealthy; else 2 for a malformed target URL;
        else 5 when any is unreachable; else 0."""
        counts = self.summary
        verdicts = {v for v in VERDICTS if counts[v]}
        if verdicts & {"degraded", "unhealthy"}:
            return errors.CHECK_FAILED
        if any(t.invalid for t in self.targets):
            return errors.USAGE
        if "unreachable" in verdicts:
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

    def head(self) -> dict[str, Any]:
        """The document's keys known before any target is probed (JSON streams from here)."""
        return {"schema": SCHEMA, "source": self.source, "checked_at": self.checked_at,
                "timeout_seconds": self.timeout_s,
                "prometheus_url": redact(self.prometheus_url) if self.prometheus_url else None, "job": self.job}

    def tail(self) -> dict[str, Any]:
        """The keys known only at the end."""
        summary = self.summary
        verdict = next((v for v in ("unhealthy", "degraded", "unreachable") if summary[v]), "healthy")
        return {"verdict": verdict, "duration_ms": round(self.duration_ms, 1),
                "summary": summary, "warnings": self.warnings}

    def to_dict(self) -> dict[str, Any]:
        return {**self.head(), **self.tail(), "targets": [t.to_dict() for t in self.targets]}


def check(targets: list[str], *, timeout: float = 10.0, concurrency: int = 1000,
          deadline: float | None = None, max_body: int = DEFAULT_MAX_BODY,
          ca_bundle: str | None = None, insecure: bool = False, workers: int | None = None,
          progress: Callable[..., None] | None = None,
          stream: "JsonStream | None" = None,
          clock: Callable[[], dt.datetime] | None = None) -> HealthReport:
    """Probe every target's four endpoints; never takes longer than ``deadline`` (+ a little).

    ``workers`` processes (default: the CPU count, fewer for small fleets) share the
    targets; ``concurrency`` targets are probed at once in all. ``deadline`` defaults to what
    the waves of targets need when every one is as slow as ``timeout`` allows.
    ``progress(n)`` is called as targets finish; ``stream`` (a :class:`JsonStream`) is given
    the document's head at once and every target in target order as soon as it and all
    before it are done; the caller finishes it with the report.
    """
    from aiops.health import workers as fleet

    if not targets:
        raise UsageError("no targets to probe",
                         hint="pass URLs, --target URL, or --env NAME with targets in the config")
    if timeout <= 0 or concurrency <= 0 or (workers is not None and workers <= 0):
        raise UsageError("--timeout, --concurrency and --workers must be positive")
    now = (clock or (lambda: dt.datetime.now(dt.timezone.utc)))()
    start = time.perf_counter()
    results = [_new_target(t) for t in targets]
    todo = [i for i, t in enumerate(results) if not t.invalid]
    plan = fleet.plan(len(todo), concurrency, workers)
    if deadline is None:
        waves = math.ceil(len(todo) / max(1, plan.per_worker * plan.workers))
        deadline = waves * (timeout + 3 * hedge_delay(timeout)) + 1.0
    from aiops.health.lane import Probe

    probe = Probe(timeout, max_body, ca_bundle, insecure)
    if stream is not None:
        stream.head(HealthReport(now, 0.0, timeout, []).head())
    fleet.run(results, todo, plan, probe, deadline, progress, stream.target if stream else None)
    return HealthReport(now, (time.perf_counter() - start) * 1000, timeout, results,
                        warnings=plan.warnings)


class JsonStream:
    """A health report written as one JSON document while it is made: the head first, then
    one target per line in target order, then verdict, summary and warnings (the keys of
    :meth:`HealthReport.to_dict`). Nothing is held back: ten thousand targets stream."""

    def __init__(self, write: Callable[[str], Any]) -> None:
        self.write = write
        self.sep = "\n  "

    def head(self, head: dict[str, Any]) -> None:
        self.write(_dumps(head)[:-1] + ', "targets": [')

    def target(self, target: TargetResult) -> None:
        self.write(self.sep + _dumps(target.to_dict()))
        self.sep = ",\n  "

    def finish(self, report: HealthReport) -> None:
        self.write("\n], " + _dumps(report.tail())[1:] + "\n")

    def whole(self, report: HealthReport) -> None:
        """Write a finished report the same way."""
        self.head(report.head())
        for target in report.targets:
            self.target(target)
        self.finish(report)


def _default(value: Any) -> Any:
    from aiops.core.timewindow import rfc3339

    return rfc3339(value) if isinstance(value, dt.datetime) else str(value)


# one encoder for every call: a report of ten thousand targets is ten thousand calls
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_default, allow_nan=False)


def _dumps(obj: Any) -> str:
    """Compact JSON; times as RFC 3339 UTC; a NaN or infinity (a server's JSON may carry
    them) as null, since JSON has neither."""
    try:
        return _ENCODER.encode(obj)
    except ValueError:
        return _ENCODER.encode(_finite(obj))


def _finite(obj: Any) -> Any:
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_finite(v) for v in obj]
    return obj


def hedge_delay(timeout: float) -> float:
    """How long a request may go unanswered before the target's remaining endpoints are sent on
    connections of their own (with what is left of its timeout). (When the prober's own event loop is the bottleneck every answer is late;
    :meth:`aiops.health.lane.Probe.target` does not hedge then: more connections would only add to the load.)"""
    return timeout / 4


def _new_target(raw: str) -> TargetResult:
    try:
        return TargetResult(raw, normalise_url(raw))
    except UsageError as exc:
        return TargetResult(raw, None, invalid=exc.message)


def parallelism() -> int:
    """The default number of worker processes: the CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1
