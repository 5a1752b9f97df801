"""PromQL from a configuration: what ``aiops prom query|range``, triage and post-mortems call.

``instant_query(cfg, "up")`` -> :class:`QueryResult`; ``range_query(cfg, expr, start, end)``
-> :class:`RangeResult`. An empty result has ``no_data`` set: no series is not zero.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from aiops.core.errors import UsageError
from aiops.prometheus.results import QueryResult, RangeResult, Series

__all__ = ["QueryResult", "RangeResult", "Series", "auto_step", "instant_query", "range_query"]

MAX_POINTS = 11_000  # Prometheus refuses range queries with more points per series


def auto_step(start: dt.datetime, end: dt.datetime, points: int = 120) -> float:
    """A step giving about ``points`` samples per series, in whole seconds (at least 1 s)."""
    return float(max(1, math.ceil((end - start).total_seconds() / points)))


def instant_query(cfg: Any, promql: str, *, at: dt.datetime | None = None,
                  timeout: float | None = None) -> QueryResult:
    """Evaluate ``promql`` at ``at`` (default: now) on ``cfg['prometheus.url']``."""
    from aiops.prometheus.client import connect, query

    if not promql.strip():
        raise UsageError("empty PromQL expression")
    with connect(cfg, timeout=timeout) as client:
        return query(client, promql, at=at)


def range_query(cfg: Any, promql: str, start: dt.datetime, end: dt.datetime, *,
                step_s: float | None = None, timeout: float | None = None) -> RangeResult:
    """Evaluate ``promql`` from ``start`` to ``end`` every ``step_s`` (default: ~120 points)."""
    from aiops.prometheus.client import connect, query_range

    if not promql.strip():
        raise UsageError("empty PromQL expression")
    step = step_s or auto_step(start, end)
    if (end - start).total_seconds() / step > MAX_POINTS:
        raise UsageError(f"--step {step:g}s gives more than {MAX_POINTS} points per series",
                         hint="use a larger --step or a shorter window")
    with connect(cfg, timeout=timeout, compress=True) as client:
        return query_range(client, promql, start, end, step)
