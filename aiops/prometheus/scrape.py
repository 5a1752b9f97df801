"""Degraded mode: read the targets' /metrics directly when Prometheus cannot answer.

``scrape_twice(targets, interval_s)`` fetches every target's ``/metrics`` concurrently, waits
``interval_s`` and fetches again, so counters give rates; ``evaluate(check, pairs)`` computes
a scorecard check from those two snapshots, or says why it cannot (checks that need a window
of history are unavailable without Prometheus).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

from aiops.core.redact import redact
from aiops.core.stats import histogram_quantile

Labels = frozenset  # of (label name, value) pairs


@dataclass
class Snapshot:
    """One scrape: ``samples`` maps a sample name to {labels: value}; ``error`` when it failed."""

    target: str
    at: float
    samples: dict[str, dict[Labels, float]] = field(default_factory=dict)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def series(self, name: str) -> dict[Labels, float]:
        """Samples of ``name``, accepting a counter written with or without ``_total``."""
        base = name[:-6] if name.endswith("_total") else name
        merged = dict(self.samples.get(base, {}))
        merged.update(self.samples.get(base + "_total", {}))
        return merged


def parse(text: str, target: str, at: float) -> Snapshot:
    """Text exposition -> Snapshot (prometheus_client's parser; bad text is a scrape error)."""
    from prometheus_client.parser import text_string_to_metric_families

    snap = Snapshot(target, at)
    try:
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                snap.samples.setdefault(sample.name, {})[frozenset(sample.labels.items())] = _number(sample.value)
    except (ValueError, TypeError, IndexError) as exc:
        return Snapshot(target, at, error=f"unparsable /metrics: {str(exc)[:120]}")
    return snap


def _number(value: Any) -> float:
    """A sample value as a float; an integer too large for one is +/-Inf, as Prometheus reads it."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


async def _scrape_all(http: Any, targets: list[str], timeout: float, max_body: int) -> list[Snapshot]:
    import asyncio

    from aiops.core.http import FetchError, fetch

    async def one(target: str) -> Snapshot:
        at = time.time()
        try:
            resp = await fetch(http, target.rstrip("/") + "/metrics", timeout=timeout, max_body=max_body)
        except FetchError as exc:
            return Snapshot(target, at, error=exc.reason)
        if resp.status != 200:
            return Snapshot(target, at, error=f"/metrics answered HTTP {resp.status}")
        return parse(resp.text(), target, at)

    return list(await asyncio.gather(*(one(t) for t in targets)))


def scrape_twice(targets: list[str], *, interval_s: float = 3.0, timeout: float = 10.0,
                 ca_bundle: str | None = None, insecure: bool = False,
                 max_body: int = 16 * 1024 * 1024) -> list[tuple[Snapshot, Snapshot]]:
    """(first, second) snapshots per target, ``interval_s`` apart."""
    import asyncio

    import aiohttp

    from aiops.core.http import aiohttp_tls

    async def run() -> list[tuple[Snapshot, Snapshot]]:
        connector = aiohttp.TCPConnector(ssl=aiohttp_tls(ca_bundle, insecure), limit=250)
        async with aiohttp.ClientSession(connector=connector, trust_env=False) as http:
            first = await _scrape_all(http, targets, timeout, max_body)
            await asyncio.sleep(interval_s)
            second = await _scrape_all(http, targets, timeout, max_body)
        return list(zip(first, second))

    return asyncio.run(run())


def _delta(first: dict[Labels, float], second: dict[Labels, float]) -> dict[Labels, float]:
    """Counter increase per series; a lower second value means a reset (count from zero)."""
    out = {}
    for labels, value in second.items():
        before = first.get(labels, 0.0)
        out[labels] = value - before if value >= before else value
    return out


def evaluate(check: Any, pairs: list[tuple[Snapshot, Snapshot]]) -> tuple[dict[str, float], str | None]:
    """{target: value} for one check from the scrapes, plus a note (why values are missing)."""
    values: dict[str, float] = {}
    notes: set[str] = set()
    for first, second in pairs:
        shown = redact(second.target)  # the instance as people see it
        if check.scrape == "up":
            values[shown] = 1.0 if second.ok else 0.0
            continue
        if not (first.ok and second.ok):
            notes.add(f"{shown}: {second.error or first.error}")
            continue
        value, note = _one(check, first, second)
        if note:
            notes.add(note)
        if value is not None:
            values[shown] = value
    return values, "; ".join(sorted(notes)) or None


def _one(check: Any, first: Snapshot, second: Snapshot) -> tuple[float | None, str | None]:
    elapsed = max(second.at - first.at, 1e-6)
    kind, name = check.scrape, check.metric
    if kind == "gauge":
        found = [v for v in second.series(name).values() if not math.isnan(v)]
        if not found:
            return None, None
        return (min(found) if check.worst == "min" else max(found)), None
    if kind == "memory_percent":
        from aiops.catalog.checks import MEMORY_LIMIT_METRIC

        used, limit = second.series(name), second.series(MEMORY_LIMIT_METRIC)
        if used and not limit:
            return None, f"no {MEMORY_LIMIT_METRIC} exported"
        ratios = [u / limit[k] * 100 for k, u in used.items() if limit.get(k)]
        return (max(ratios) if ratios else None), None
    if kind == "counter_rate":
        series = _delta(first.series(name), second.series(name))
        return (sum(series.values()) / elapsed * check.scale if series else None), None
    if kind in ("error_percent", "rate_5xx"):
        series = _delta(first.series("http_requests_total"), second.series("http_requests_total"))
        if not series:
            return None, None
        errors = {k: v for k, v in series.items() if dict(k).get("status", "").startswith("5")}
        if kind == "rate_5xx":
            return max(errors.values(), default=0.0) / elapsed, None
        total = sum(series.values())
        if total == 0:
            return None, "no requests between the two scrapes"
        return sum(errors.values()) / total * 100, None
    if kind == "histogram_p95":
        deltas = _delta(first.series(name + "_bucket"), second.series(name + "_bucket"))
        buckets: dict[float, float] = {}
        for labels, count in deltas.items():
            le = dict(labels).get("le")
            if le is not None:
                buckets[float(le)] = buckets.get(float(le), 0.0) + count
        if not deltas:
            return None, None
        value = histogram_quantile(0.95, list(buckets.items()))
        return value, None if value is not None else "no inferences between the two scrapes"
    return None, None
