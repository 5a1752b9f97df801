"""The lab's noise faults move what they say they move, stay benign, and clear themselves."""

from __future__ import annotations

import time

from tests.fakes.lab import lab  # noqa: F401 (fixture)


def _count(svc, status):
    return svc.sample("http_requests_total", method="POST", path="/infer", status=status) or 0.0


def test_client_errors_are_4xx_only_and_health_stays_ok(lab):
    svc = lab(faults=("client-errors=40",))
    svc.wait_for(lambda: _count(svc, "422") >= 20, what="bad clients' 422s")
    assert _count(svc, "500") == 0
    status, body = svc.get("/health")
    assert status == 200 and body["checks"]["errors"] == "ok"
    assert any(r["message"].startswith("Rejected observation") and r["level"] == "WARN" for r in svc.logs())


def test_cpu_burst_reads_95_then_clears_itself(lab):
    svc = lab()
    svc.set_fault("cpu-burst=1.5")
    assert svc.sample("cpu_usage_percent") == 95.0
    svc.wait_for(lambda: not svc.admin("GET")[1]["active"], what="cpu-burst to clear")
    svc.wait_for(lambda: svc.sample("cpu_usage_percent") < 95.0, what="CPU reading back to the process's")


def test_restart_answers_503_everywhere_then_comes_back(lab):
    svc = lab()
    svc.set_fault("restart=1.5")
    for path in ("/metrics", "/health", "/ready", "/live"):
        status, body = svc.get(path)
        assert (status, body) == (503, {"status": "restarting"}), path
    svc.wait_for(lambda: svc.get("/ready")[0] == 200, what="the end of the restart")
    assert not svc.admin("GET")[1]["active"]
    messages = [r["message"] for r in svc.logs()]
    assert "Service restarting" in messages and "Service started after restart" in messages


def test_log_noise_is_warnings_only(lab):
    svc = lab()
    svc.set_fault("log-noise=200")
    time.sleep(1.0)
    noise = [r for r in svc.logs() if r["logger"] == "active_inference.cache"]
    assert len(noise) >= 50 and {r["level"] for r in noise} == {"WARN"}
    assert not [r for r in svc.logs() if r["level"] in ("ERROR", "FATAL")]
