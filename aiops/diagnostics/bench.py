"""Latency distribution of the step, scored against the runbook's inference baseline."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from aiops.catalog import BASELINES
from aiops.core.errors import CHECK_FAILED, OK
from aiops.diagnostics.targets import check_steps, run_step

BASELINE = next(b for b in BASELINES if b.name == "inference_latency_p95")


def percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile (numpy's default method), ``q`` in [0, 100]."""
    xs = sorted(values)
    if not xs:
        return math.nan
    pos = (len(xs) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def summary_ms(seconds: list[float]) -> dict[str, float]:
    """p50, p95, p99, max and mean in milliseconds."""
    return {"p50_ms": 1000 * percentile(seconds, 50), "p95_ms": 1000 * percentile(seconds, 95),
            "p99_ms": 1000 * percentile(seconds, 99), "max_ms": 1000 * max(seconds),
            "mean_ms": 1000 * sum(seconds) / len(seconds)}


@dataclass
class BenchReport:
    """Latency of ``steps`` timed calls; ``band`` is the runbook verdict for p95."""

    target: str
    steps: int
    warmup: int
    latency: dict[str, float]
    band: str
    phases: dict[str, dict[str, float]] = field(default_factory=dict)

    def exit_code(self) -> int:
        """3 when p95 is past the runbook's critical bound."""
        return CHECK_FAILED if self.band == "critical" else OK

    def to_dict(self) -> dict:
        """JSON-safe dict (the ``-o json`` contract)."""
        return {"schema": "aiops.diagnose.bench/v1", "target": self.target, "steps": self.steps, "warmup": self.warmup, **self.latency,
                "band": self.band, "critical": self.band == "critical",
                "baseline": {"metric": BASELINE.name, "target_ms": 1000 * BASELINE.target,
                             "acceptable_ms": 1000 * BASELINE.acceptable,
                             "critical_ms": 1000 * BASELINE.critical, "runbook": list(BASELINE.text)},
                "phases": self.phases}


def bench(step: Any, steps: int, *, label: str = "", warmup: int = 5,
          progress: Callable[..., None] | None = None,
          clock: Callable[[], float] = time.perf_counter) -> BenchReport:
    """Time ``steps`` calls (after ``warmup`` untimed ones) and score p95 against the runbook.

    A step with a ``timed(clock)`` method (the core) is timed by it: ``Agent.infer``
    alone, with per-phase timings; any other callable is timed around the call.
    """
    check_steps(steps)
    if warmup < 0:
        warmup = 0
    timed = getattr(step, "timed", None)
    samples: list[float] = []
    phases: dict[str, list[float]] = {}
    for i in range(warmup + steps):
        if timed is not None:
            try:
                elapsed, parts = timed(clock)
            except Exception as exc:
                from aiops.core.errors import UsageError

                raise UsageError(f"target raised {type(exc).__name__} on step {i + 1}: {exc}") from None
        else:
            t0 = clock()
            run_step(step, i)
            elapsed, parts = clock() - t0, {}
        if i < warmup:
            continue
        samples.append(elapsed)
        for key, value in parts.items():
            phases.setdefault(key, []).append(value)
        if progress:
            progress(1)
    latency = summary_ms(samples)
    band = BASELINE.band(latency["p95_ms"] / 1000)
    return BenchReport(label, steps, warmup, latency, band,
                       {k: {"p50_ms": 1000 * percentile(v, 50), "p95_ms": 1000 * percentile(v, 95)}
                        for k, v in phases.items()})
