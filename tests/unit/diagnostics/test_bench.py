"""Latency distribution and the runbook band."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from aiops.core.errors import UsageError
from aiops.diagnostics import CoreStep, bench
from aiops.diagnostics.bench import percentile


def _clock(step_seconds: float):
    """A clock where every timed call takes ``step_seconds``."""
    ticks = itertools.count()
    return lambda: next(ticks) * step_seconds


@pytest.mark.parametrize("seconds,band,code", [
    (0.05, "target", 0), (0.2, "acceptable", 0), (0.7, "warning", 0), (1.2, "critical", 3),
])
def test_band_follows_the_runbook(seconds, band, code):
    report = bench(lambda: None, 20, warmup=2, clock=_clock(seconds))
    assert report.latency["p95_ms"] == pytest.approx(1000 * seconds)
    assert report.band == band and report.exit_code() == code
    data = json.loads(json.dumps(report.to_dict()))
    assert data["baseline"]["critical_ms"] == 1000 and data["critical"] is (band == "critical")


def test_core_bench_times_agent_infer_with_phases():
    seen = []
    report = bench(CoreStep("tmaze"), 50, progress=lambda n=1: seen.append(n))
    assert len(seen) == 50 and report.steps == 50
    lat = report.latency
    assert 0 < lat["p50_ms"] <= lat["p95_ms"] <= lat["p99_ms"] <= lat["max_ms"]
    assert set(report.phases) == {"infer_states", "infer_policies", "sample_action", "total"}
    assert report.band == "target"


def test_percentile_matches_numpy():
    rng = np.random.default_rng(0)
    for n in (1, 2, 7, 100):
        xs = rng.random(n).tolist()
        for q in (0, 50, 95, 99, 100):
            assert percentile(xs, q) == pytest.approx(np.percentile(xs, q))


def test_bad_steps_and_failing_targets():
    with pytest.raises(UsageError, match="steps must be a positive number"):
        bench(lambda: None, 0)

    def boom():
        raise KeyError("x")

    with pytest.raises(UsageError, match="target raised KeyError on step 1"):
        bench(boom, 3)
