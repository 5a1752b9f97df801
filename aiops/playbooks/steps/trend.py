"""``metrics.trend``: how fast a metric grows, from two direct scrapes of the targets' /metrics.

Degraded mode's answer to "is memory leaking?" when no Prometheus keeps history: read
``process_resident_memory_bytes`` twice a few seconds apart and project the increase to an
hour (the MemoryLeak rule's ``increase(...[1h])``). An increase below ``noise`` (1 MiB by
default; an idle service's resident memory moves by a few hundred KiB) counts as none.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from aiops.core.errors import UsageError
from aiops.playbooks.steps.runner import Context, Outcome


@dataclass
class TargetTrend:
    """One target's two readings of the metric, ``elapsed_s`` apart (or why it has none)."""

    target: str
    first: float | None = None
    last: float | None = None
    elapsed_s: float = 0.0
    error: str | None = None

    @property
    def increase(self) -> float | None:
        return None if self.first is None or self.last is None else self.last - self.first

    def per_hour(self, noise: float) -> float | None:
        if self.increase is None:
            return None
        return 0.0 if self.increase < noise else self.increase / max(self.elapsed_s, 1e-6) * 3600

    def to_dict(self) -> dict[str, Any]:
        return {"target": self.target, "first": self.first, "last": self.last,
                "elapsed_s": round(self.elapsed_s, 3), "increase": self.increase, "error": self.error}


@dataclass
class Trend:
    """Every target's readings; ``per_hour`` is the fastest growth, noise counted as none."""

    metric: str
    noise: float
    targets: list[TargetTrend] = field(default_factory=list)
    cancelled: bool = False

    @property
    def per_hour(self) -> float | None:
        values = [v for t in self.targets if (v := t.per_hour(self.noise)) is not None]
        return max(values) if values else None

    @property
    def increase(self) -> float | None:
        values = [t.increase for t in self.targets if t.increase is not None]
        return max(values) if values else None

    @property
    def value(self) -> float | None:
        values = [t.last for t in self.targets if t.last is not None]
        return max(values) if values else None

    def evidence(self) -> list[str]:
        lines = []
        for t in self.targets:
            if t.error:
                lines.append(f"{t.target}: {self.metric}: {t.error}")
            elif t.increase is not None:
                lines.append(f"{t.target}: {self.metric} {_bytes(t.first)} -> {_bytes(t.last)} in "
                             f"{t.elapsed_s:.1f}s ({'+' if t.increase >= 0 else ''}{_bytes(t.increase)}; "
                             f"projected {_bytes(t.increase / max(t.elapsed_s, 1e-6) * 3600)}/h)")
        return lines


def _bytes(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return str(value)
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if abs(value) >= size:
            return f"{value / size:.1f} {unit}"
    return f"{value:.0f} B"


def measure(targets: list[str], *, metric: str = "process_resident_memory_bytes", seconds: float = 2.0,
            noise: float = 1048576.0, timeout: float = 10.0, ca_bundle: str | None = None,
            insecure: bool = False, cancel: threading.Event | None = None) -> Trend:
    """Scrape every target twice ``seconds`` apart (concurrently); ``cancel`` stops the wait."""
    import asyncio

    import aiohttp

    from aiops.core.http import aiohttp_tls

    trend = Trend(metric, noise, [TargetTrend(t) for t in targets])

    async def run() -> None:
        connector = aiohttp.TCPConnector(ssl=aiohttp_tls(ca_bundle, insecure), limit=250)
        async with aiohttp.ClientSession(connector=connector, trust_env=False) as http:
            first = await asyncio.gather(*(_read(http, t.target, metric, timeout) for t in trend.targets))
            until = time.monotonic() + seconds
            while time.monotonic() < until:
                if cancel is not None and cancel.is_set():
                    trend.cancelled = True
                    return
                await asyncio.sleep(min(0.05, max(0.0, until - time.monotonic())))
            second = await asyncio.gather(*(_read(http, t.target, metric, timeout) for t in trend.targets))
        for t, (v1, at1, e1), (v2, at2, e2) in zip(trend.targets, first, second):
            t.error = e1 or e2
            if t.error is None:
                t.first, t.last, t.elapsed_s = v1, v2, at2 - at1

    asyncio.run(run())
    return trend


async def _read(http: Any, target: str, metric: str, timeout: float) -> tuple[float | None, float, str | None]:
    from aiops.core.http import FetchError, fetch
    from aiops.prometheus.scrape import parse

    at = time.monotonic()
    try:
        resp = await fetch(http, target.rstrip("/") + "/metrics", timeout=timeout)
    except FetchError as exc:
        return None, at, exc.reason
    if resp.status != 200:
        return None, at, f"/metrics answered HTTP {resp.status}"
    snap = parse(resp.text(), target, at)
    if not snap.ok:
        return None, at, snap.error
    found = [v for v in snap.series(metric).values() if not math.isnan(v)]
    return (max(found) if found else None), at, None if found else "not exported"


def run(ctx: Context, action: str, params: dict[str, Any]) -> Outcome:
    """Measure (or reuse triage's measurement of) the metric's growth on the targets."""
    if not ctx.targets:
        raise UsageError("no targets to scrape", hint="pass --target URL or configure targets")
    cfg = ctx.cfg
    key = ("trend", params["metric"], params["seconds"], params["noise"], tuple(ctx.targets))
    trend = ctx.cached(key, lambda: measure(
        ctx.targets, metric=params["metric"], seconds=params["seconds"], noise=params["noise"],
        timeout=ctx.timeout, ca_bundle=cfg.get("tls.ca_bundle"), insecure=bool(cfg.get("tls.insecure"))))
    values = {"per_hour": trend.per_hour, "increase": trend.increase, "value": trend.value}
    return Outcome(values, trend.evidence())
