"""Each fault moves exactly the signal its runbook alert (or probe) watches, on the real service."""

from __future__ import annotations

import math
import time

import pytest

from tests.fakes.lab import lab  # noqa: F401 (fixture)

INFER = {"method": "POST", "path": "/infer"}


def _quantile(q: float, buckets: dict[float, float]) -> float:
    """Prometheus's histogram_quantile over cumulative bucket counts."""
    bounds = sorted(buckets)
    total = buckets[math.inf]
    if total == 0:
        return math.nan
    rank = q * total
    lower, below = 0.0, 0.0
    for bound in bounds:
        if buckets[bound] >= rank:
            if bound == math.inf:
                return lower
            return lower + (bound - lower) * (rank - below) / max(buckets[bound] - below, 1e-12)
        lower, below = bound, buckets[bound]
    return math.nan


def _buckets(svc) -> dict[float, float]:
    family = svc.metrics()["ai_inference_duration_seconds"]
    return {float(s.labels["le"]): s.value for s in family.samples if s.name.endswith("_bucket")}


def test_memory_leak_grows_resident_memory_and_clearing_releases_it(lab):
    svc = lab(faults=("memory-leak=50",))
    rss = lambda: svc.sample("process_resident_memory_bytes")  # noqa: E731
    start = rss()
    svc.wait_for(lambda: rss() > start + 60e6, what="60 MB more resident memory")
    grown = rss()
    assert svc.sample("memory_usage_bytes") > start + 60e6
    svc.clear_fault("memory-leak")
    svc.wait_for(lambda: rss() < grown - 30e6, what="leaked memory released")


def test_slow_inference_pushes_p95_over_one_second(lab):
    svc = lab(faults=("slow-inference=1.5",), extra_args=("--synthetic-rps", "5"))
    svc.wait_for(lambda: _buckets(svc)[math.inf] >= 10, what="10 slow inferences")
    assert _quantile(0.95, _buckets(svc)) > 1.0
    status, body = svc.post("/infer", {"observation": [0, 0, 0]})
    assert status == 200 and body["duration_ms"] >= 1500


def test_error_rate_makes_5xx_rate_exceed_the_alert_threshold_at_default_traffic(lab, cli):
    svc = lab(faults=("error-rate=0.5",), extra_args=("--synthetic-rps", "5"))
    errors = lambda: svc.sample("http_requests_total", status="500", **INFER)  # noqa: E731
    svc.wait_for(lambda: errors() >= 1, what="first 500")
    first, t0 = errors(), time.monotonic()
    time.sleep(2.0)
    rate = (errors() - first) / (time.monotonic() - t0)
    assert rate > 0.1  # HighErrorRate: rate(http_requests_total{status=~"5.."}[5m]) > 0.1
    ok = svc.sample("http_requests_total", status="200", **INFER)
    assert 0.3 < errors() / (errors() + ok) < 0.7
    # half of /infer fails; the lab's own traffic shares the fault, so ours need not alternate
    answers = [svc.post("/infer", {"observation": [0, 0, 0]}) for _ in range(12)]
    assert {status for status, _ in answers} == {200, 500}
    failed = next(body for status, body in answers if status == 500)
    assert failed["error"].startswith("inference failed")
    assert any(r["level"] == "ERROR" and r["context"].get("status") == 500 for r in svc.logs())
    svc.wait_for(lambda: svc.get("/health")[0] == 503, what="/health 503")
    health = svc.get("/health")[1]
    assert health["status"] == "unhealthy" and health["checks"]["errors"] == "critical"
    result = cli("health", "check", svc.url, "-o", "json")
    assert result.exit_code == 3
    target = result.json()["targets"][0]
    assert target["verdict"] == "unhealthy"
    assert any("errors=critical" in reason for reason in target["reasons"])


def test_accuracy_drop_pushes_accuracy_below_0_8(lab):
    svc = lab(faults=("accuracy-drop",))
    svc.wait_for(lambda: (svc.sample("ai_model_accuracy") or 1) < 0.8, what="accuracy < 0.8")
    svc.clear_fault("accuracy-drop")
    svc.wait_for(lambda: svc.sample("ai_model_accuracy") >= 0.9, what="accuracy recovered")


def test_entropy_spike_pushes_belief_entropy_over_2(lab):
    svc = lab()
    assert svc.sample("ai_belief_entropy") < 2.0
    svc.set_fault("entropy-spike")
    svc.wait_for(lambda: svc.sample("ai_belief_entropy") > 2.0, what="entropy > 2")
    status, body = svc.post("/infer", {"observation": [0, 0, 0]})
    assert body["entropy"] > 2.0


def test_training_stall_stops_the_episode_counter(lab):
    svc = lab()
    episodes = lambda: svc.sample("ai_episodes_completed_total")  # noqa: E731
    svc.wait_for(lambda: episodes() > 2, what="episodes")
    svc.set_fault("training-stall")
    readings = [episodes()]

    def settled():  # the episode in progress when the fault arrived may still finish
        time.sleep(0.3)
        readings.append(episodes())
        return readings[-1] == readings[-2]

    svc.wait_for(settled, what="the episode counter to stop")
    stalled = readings[-1]
    time.sleep(1.0)
    assert episodes() == stalled
    svc.clear_fault("training-stall")
    svc.wait_for(lambda: episodes() > stalled, what="episodes again")


def test_not_ready_makes_ready_503_and_health_check_unhealthy(lab, cli):
    svc = lab(faults=("not-ready",))
    status, body = svc.get("/ready")
    assert status == 503 and body["status"] == "not ready"
    assert svc.get("/live")[0] == 200
    result = cli("health", "check", svc.url, "-o", "json")
    assert result.exit_code == 3
    target = result.json()["targets"][0]
    assert target["verdict"] == "unhealthy" and "/ready: HTTP 503" in target["reasons"]
    svc.clear_fault("not-ready")
    assert svc.get("/ready")[0] == 200
    assert cli("health", "check", svc.url, "-o", "json").exit_code == 0


def test_crash_from_the_admin_endpoint_exits_with_status_1(lab):
    svc = lab()
    svc.set_fault("crash")
    assert svc.proc.wait(10) == 1
    assert any(r["level"] == "FATAL" for r in svc.logs())


def test_crash_at_start_after_a_delay(lab):
    svc = lab(faults=("crash=3",))  # three seconds after ready: room for a loaded machine to see it up
    assert svc.get("/ready")[0] == 200
    assert svc.proc.wait(10) == 1
    with pytest.raises(OSError):
        svc.request("GET", "/live", timeout=1)
