"""Degraded mode: the dashboard's panels from the targets' own /metrics, refresh after refresh.

Without Prometheus there is no stored history, so the dashboard keeps its own: every refresh
scrapes every target once, and each panel query's ``scrape`` spec (in the catalog) says how to
compute a point from two successive scrapes. The window fills while the dashboard runs.

| kind                      | a point per target from scrapes a, b                         |
|---------------------------|--------------------------------------------------------------|
| ``gauge M``               | b's value of M (summed over its series)                      |
| ``rate M [LABEL]``        | counter increase / seconds (by LABEL when given)             |
| ``rate_per_hour M``       | the same, per hour                                           |
| ``quantile Q M``          | histogram_quantile(Q) of M's bucket increases                |
| ``buckets M``             | M's bucket increases, by ``le`` (the latency distribution)   |
| ``error_percent``         | 5xx share of http_requests_total's increase, %               |
| ``rate_5xx``              | 5xx responses per second                                     |
| ``percent_of A B``        | A / B * 100 (gauges)                                          |
| ``ratio A B``             | rate(A) / (rate(A) + rate(B))                                |
| ``up_percent``            | share of this session's scrapes that succeeded, %            |
| ``down``                  | targets whose latest scrape failed                           |
"""

from __future__ import annotations

import asyncio
import collections
import math
import time
from typing import Any
from urllib.parse import urlsplit

from aiops.prometheus.scrape import Snapshot, parse

MAX_BODY = 16 * 1024 * 1024
GAUGES = ("gauge", "percent_of")


def instance(target: str) -> str:
    """The target as Prometheus labels it: ``host:port`` (never the URL's user-info)."""
    parts = urlsplit(target)
    return parts.netloc.rpartition("@")[2] or target


class History:
    """Successive scrapes of every target, pruned to ``max_age_s``."""

    def __init__(self, targets: list[str], *, timeout: float, max_age_s: float) -> None:
        self.targets, self.timeout, self.max_age_s = targets, timeout, max_age_s
        self.snapshots: dict[str, collections.deque[Snapshot]] = {t: collections.deque() for t in targets}
        self.interval_s = 0.0

    async def scrape(self, http: Any) -> None:
        """Read every target's /metrics once (concurrently) through ``http``, an
        :class:`aiops.core.wire.Reader` (see :func:`reader`)."""
        from aiops.core.http import FetchError

        async def one(target: str) -> Snapshot:
            at = time.time()
            try:
                answer = await http.get(target.rstrip("/") + "/metrics")
            except FetchError as exc:
                return Snapshot(target, at, error=exc.reason)
            if answer.status != 200:
                return Snapshot(target, at, error=f"/metrics answered HTTP {answer.status}")
            return parse(answer.body.decode("utf-8", errors="replace"), target, at)

        for snap in await asyncio.gather(*(one(t) for t in self.targets)):
            history = self.snapshots[snap.target]
            if history:
                self.interval_s = round(snap.at - history[-1].at, 3)
            history.append(snap)
            while history and history[0].at < snap.at - self.max_age_s:
                history.popleft()

    def reader(self, ca_bundle: str | None = None, insecure: bool = False) -> Any:
        """What :meth:`scrape` reads with: kept-alive connections to the targets, no credentials."""
        from aiops.core import wire
        from aiops.core.http import tls_loader

        return wire.Reader(timeout=self.timeout, tls=tls_loader(ca_bundle, insecure), max_body=MAX_BODY, size=64)

    def evaluate(self, spec: tuple[str, ...], legend_format: str) -> tuple[list[Any], str | None]:
        """Series for one panel query; a note when it cannot be computed from scrapes."""
        from aiops.dashboards.data import SeriesData

        if not spec:
            return [], "needs Prometheus's history"
        kind, args = spec[0], spec[1:]
        if kind == "down":
            down = sum(1 for h in self.snapshots.values() if h and not h[-1].ok)
            at = max((h[-1].at for h in self.snapshots.values() if h), default=time.time())
            return [SeriesData("down", {}, [(at, float(down))])], None
        series: dict[tuple, SeriesData] = {}
        errors = []
        for target, history in self.snapshots.items():
            if history and not history[-1].ok:
                errors.append(f"{instance(target)}: {history[-1].error}")
            if kind == "up_percent":
                ok = [1.0 if s.ok else 0.0 for s in history]
                points = [(s.at, 100.0 * sum(ok[: i + 1]) / (i + 1)) for i, s in enumerate(history)]
                self._add(series, target, {}, points, legend_format)
                continue
            snaps = list(history)
            # gauges need one scrape per point, everything else two successive ones
            pairs = [(None, s) for s in snaps] if kind in GAUGES else list(zip(snaps[:-1], snaps[1:]))
            for a, b in pairs:
                if not b.ok or (a is not None and not a.ok):
                    continue
                for labels, value in _point(kind, args, a, b).items():
                    self._add(series, target, dict(labels), [(b.at, value)], legend_format)
        return list(series.values()), "; ".join(errors) or None

    @staticmethod
    def _add(series: dict, target: str, labels: dict[str, str], points: list, legend_format: str) -> None:
        from aiops.dashboards.data import SeriesData, legend

        labels = {"instance": instance(target), **labels}
        key = tuple(sorted(labels.items()))
        if key not in series:
            series[key] = SeriesData(legend(legend_format, labels), labels)
        series[key].points += points


def _delta(first: dict, second: dict) -> dict:
    """Counter increase per series; a lower second value is a reset (count from zero)."""
    out = {}
    for labels, value in second.items():
        before = first.get(labels, 0.0)
        out[labels] = value - before if value >= before else value
    return out


def _by(values: dict, label: str | None) -> dict[tuple, float]:
    """Sum values by one label (or all together)."""
    out: dict[tuple, float] = {}
    for labels, value in values.items():
        key = ((label, dict(labels).get(label, "")),) if label else ()
        out[key] = out.get(key, 0.0) + value
    return out


def _point(kind: str, args: tuple[str, ...], a: Snapshot | None, b: Snapshot) -> dict[tuple, float]:
    """{extra labels: value} for one target from scrapes a (older; None for gauges) and b."""
    from aiops.core.stats import histogram_quantile

    if kind == "gauge":
        found = [v for v in b.series(args[0]).values() if not math.isnan(v)]
        return {(): sum(found)} if found else {}
    if kind == "percent_of":
        used, limit = sum(b.series(args[0]).values()), sum(b.series(args[1]).values())
        return {(): used / limit * 100} if b.series(args[0]) and limit else {}
    assert a is not None
    elapsed = max(b.at - a.at, 1e-6)
    if kind in ("rate", "rate_per_hour"):
        deltas = _delta(a.series(args[0]), b.series(args[0]))
        if not deltas:
            return {}
        scale = 3600.0 if kind == "rate_per_hour" else 1.0
        return {k: v / elapsed * scale for k, v in _by(deltas, args[1] if len(args) > 1 else None).items()}
    if kind in ("error_percent", "rate_5xx"):
        deltas = _delta(a.series("http_requests_total"), b.series("http_requests_total"))
        errors = sum(v for k, v in deltas.items() if dict(k).get("status", "").startswith("5"))
        if kind == "rate_5xx":
            return {(): errors / elapsed} if deltas else {}
        total = sum(deltas.values())
        return {(): errors / total * 100} if total else {}
    if kind == "ratio":
        hits = sum(_delta(a.series(args[0]), b.series(args[0])).values())
        misses = sum(_delta(a.series(args[1]), b.series(args[1])).values())
        return {(): hits / (hits + misses)} if hits + misses else {}
    if kind in ("quantile", "buckets"):
        name = args[-1] + "_bucket"
        buckets: dict[float, float] = {}
        for labels, count in _delta(a.series(name), b.series(name)).items():
            le = dict(labels).get("le")
            if le is not None:
                buckets[float(le)] = buckets.get(float(le), 0.0) + count
        if kind == "buckets":
            return {(("le", _le_text(le)),): count for le, count in buckets.items()}
        value = histogram_quantile(float(args[0]), list(buckets.items())) if buckets else None
        return {(): value} if value is not None else {}
    raise ValueError(f"unknown scrape kind '{kind}'")


def _le_text(le: float) -> str:
    return "+Inf" if math.isinf(le) else f"{le:g}"
