"""Degraded mode: panel values computed from successive scrapes of a target's /metrics."""

from __future__ import annotations

import collections

import pytest

from aiops.dashboards.scrape import History, _point
from aiops.prometheus.scrape import Snapshot, parse

T = "http://lab-1:8000"
FIRST = """
http_requests_total{path="/infer",status="200"} 100
http_requests_total{path="/infer",status="500"} 10
network_io_bytes{direction="sent"} 1000
ai_inference_cache_hits_total 90
ai_inference_cache_misses_total 10
ai_inference_duration_seconds_bucket{le="0.01"} 50
ai_inference_duration_seconds_bucket{le="0.1"} 100
ai_inference_duration_seconds_bucket{le="+Inf"} 100
memory_usage_bytes 200
memory_limit_bytes 1000
ai_model_accuracy NaN
"""
SECOND = """
http_requests_total{path="/infer",status="200"} 170
http_requests_total{path="/infer",status="500"} 40
network_io_bytes{direction="sent"} 3000
ai_inference_cache_hits_total 130
ai_inference_cache_misses_total 20
ai_inference_duration_seconds_bucket{le="0.01"} 60
ai_inference_duration_seconds_bucket{le="0.1"} 200
ai_inference_duration_seconds_bucket{le="+Inf"} 200
memory_usage_bytes 300
memory_limit_bytes 1000
ai_model_accuracy 0.9
"""


@pytest.fixture
def pair():
    return parse(FIRST, T, 100.0), parse(SECOND, T, 110.0)


def test_rates_errors_and_ratios(pair):
    a, b = pair
    assert _point("rate", ("http_requests_total",), a, b) == {(): 10.0}  # 100 requests in 10 s
    assert _point("rate", ("network_io_bytes", "direction"), a, b) == {(("direction", "sent"),): 200.0}
    assert _point("rate_per_hour", ("http_requests_total",), a, b) == {(): 36000.0}
    assert _point("error_percent", (), a, b) == {(): 30.0}
    assert _point("rate_5xx", (), a, b) == {(): 3.0}
    assert _point("ratio", ("ai_inference_cache_hits_total", "ai_inference_cache_misses_total"), a, b) == {(): 0.8}
    assert _point("gauge", ("ai_model_accuracy",), None, b) == {(): 0.9}
    assert _point("gauge", ("ai_model_accuracy",), None, a) == {}  # NaN is no value
    assert _point("percent_of", ("memory_usage_bytes", "memory_limit_bytes"), None, b) == {(): 30.0}


def test_histograms(pair):
    a, b = pair
    (p50,) = _point("quantile", ("0.5", "ai_inference_duration_seconds"), a, b).values()
    assert 0.01 < p50 <= 0.1  # 10 of 100 new inferences were under 10 ms
    buckets = _point("buckets", ("ai_inference_duration_seconds",), a, b)
    assert buckets == {(("le", "0.01"),): 10.0, (("le", "0.1"),): 100.0, (("le", "+Inf"),): 100.0}


def test_a_counter_reset_counts_from_zero():
    a, b = parse("x_total 500\n", T, 0.0), parse("x_total 20\n", T, 10.0)
    assert _point("rate", ("x_total",), a, b) == {(): 2.0}


def test_history_follows_failures_and_keeps_the_window():
    history = History([T, "http://lab-2:8000"], timeout=1, max_age_s=60)
    ok = [parse(FIRST, T, 0.0), parse(SECOND, T, 10.0)]
    history.snapshots[T] = collections.deque(ok)
    history.snapshots["http://lab-2:8000"] = collections.deque([Snapshot("http://lab-2:8000", 10.0, error="refused")])
    (down,), _ = history.evaluate(("down",), "down")
    assert down.current == 1.0
    series, note = history.evaluate(("up_percent",), "{{instance}}")
    assert {s.labels["instance"]: s.current for s in series} == {"lab-1:8000": 100.0, "lab-2:8000": 0.0}
    assert note == "lab-2:8000: refused"
    series, _ = history.evaluate(("rate", "network_io_bytes", "direction"), "{{instance}} {{direction}}")
    assert [(s.name, s.points) for s in series] == [("lab-1:8000 sent", [(10.0, 200.0)])]
    assert history.evaluate((), "x") == ([], "needs Prometheus's history")
