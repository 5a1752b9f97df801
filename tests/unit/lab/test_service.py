"""The lab service's core: observations, the error window, health, leaks and crashes."""

from __future__ import annotations

import asyncio

import pytest

from aiops.core.errors import UsageError
from aiops.lab.service import ErrorWindow, InferenceFailed, LabConfig, LabService, ObservationError


@pytest.fixture
def service(tmp_path):
    crashes = []
    svc = LabService(LabConfig(disk_path=str(tmp_path), memory_limit=1 << 40, synthetic_rps=0),
                     crash=lambda: crashes.append(True))
    svc.crashes = crashes
    yield svc
    svc.shutdown()


def test_an_unknown_model_is_a_usage_error():
    with pytest.raises(UsageError):
        LabService(LabConfig(model="nope"))


@pytest.mark.parametrize("payload, status, message", [
    ([0, 0, 0], 400, "JSON object"),
    ({}, 422, "missing field 'observation'"),
    ({"observation": "0,0,0"}, 422, "list of integers"),
    ({"observation": [0, 0.5, 0]}, 422, "list of integers"),
    ({"observation": [0, True, 0]}, 422, "list of integers"),
    ({"observation": [0, 0]}, 422, "has 2 value(s); the model has 3 modalities [4, 3, 2]"),
    ({"observation": [0, 3, 0]}, 422, "observation[1] = 3 is outside 0..2"),
    ({"observation": [-1, 0, 0]}, 422, "observation[0] = -1"),
])
def test_bad_observations_are_rejected_with_a_reason(service, payload, status, message):
    with pytest.raises(ObservationError) as err:
        service.check_observation(payload)
    assert err.value.status == status and message in str(err.value)


def test_infer_returns_action_and_beliefs(service):
    body = asyncio.run(service.infer([0, 0, 1], correlation_id="c-1", user_id="u"))
    assert body["correlation_id"] == "c-1" and body["model_id"].startswith("model-tmaze-")
    assert len(body["action"]) == 2 and len(body["qs"]) == 2
    assert abs(sum(body["qs"][0]) - 1) < 1e-9


def test_error_rate_fault_fails_that_fraction_of_inferences(service):
    service.faults.set("error-rate", 0.5)

    async def run():
        results = []
        for _ in range(10):
            try:
                await service.infer([0, 0, 0], correlation_id="c", user_id="u")
                results.append("ok")
            except InferenceFailed:
                results.append("fail")
        return results

    assert asyncio.run(run()).count("fail") == 5


def test_entropy_spike_raises_the_reported_entropy(service):
    base = asyncio.run(service.infer([0, 0, 0], correlation_id="c", user_id="u"))["entropy"]
    service.faults.set("entropy-spike", 2.5)
    spiked = asyncio.run(service.infer([0, 0, 0], correlation_id="c", user_id="u"))["entropy"]
    assert spiked == pytest.approx(base + 2.5)
    assert service.metrics.entropy._value.get() == pytest.approx(base + 2.5)


def test_error_window_counts_and_forgets():
    now = [100.0]
    window = ErrorWindow(10, clock=lambda: now[0])
    for i in range(20):
        window.record(error=i % 4 == 0)
    assert window.counts() == (20, 5)
    now[0] += 5
    window.record(error=True)
    assert window.counts() == (21, 6)
    now[0] += 6
    assert window.counts() == (1, 1)
    now[0] += 10
    assert window.counts() == (0, 0)


def test_health_is_healthy_then_unhealthy_on_errors(service):
    service.warm_up()
    status, body = service.health()
    assert status == 200 and body["status"] == "healthy"
    assert set(body["checks"]) == {"memory", "disk", "dependencies", "errors"}
    for i in range(20):
        service.errors.record(error=i % 2 == 0)
    status, body = service.health()
    assert status == 503 and body["status"] == "unhealthy" and body["checks"]["errors"] == "critical"
    assert body["details"]["errors"] == {"window_seconds": 60.0, "requests": 20, "errors": 10, "ratio": 0.5}


def test_a_few_errors_only_degrade(service):
    service.warm_up()
    for i in range(100):
        service.errors.record(error=i < 2)
    status, body = service.health()
    assert status == 200 and body["status"] == "degraded" and body["checks"]["errors"] == "warning"


def test_memory_over_the_limit_is_unhealthy(tmp_path):
    svc = LabService(LabConfig(disk_path=str(tmp_path), memory_limit=1 << 20))
    try:
        svc.warm_up()
        status, body = svc.health()
        assert status == 503 and body["checks"]["memory"] == "critical"
    finally:
        svc.shutdown()


def test_readiness_follows_warm_up_and_the_not_ready_fault(service):
    assert service.readiness()[0] == 503
    service.warm_up()
    assert service.readiness() == (200, {"status": "ready", "model_id": service.model_id})
    service.faults.set("not-ready", None)
    assert service.readiness()[0] == 503
    service.faults.clear("not-ready")
    assert service.readiness()[0] == 200


def test_memory_leak_grows_up_to_the_cap_and_clearing_releases_it(tmp_path):
    svc = LabService(LabConfig(disk_path=str(tmp_path), leak_cap_mb=3))
    svc.faults.set("memory-leak", 2.0)
    svc.tick(0.5)
    assert svc._leaked_bytes == 1024 * 1024
    svc.tick(5)
    assert svc._leaked_bytes == 3 * 1024 * 1024
    svc.faults.clear("memory-leak")
    assert svc._leaked_bytes == 0 and not svc._leak


def test_crash_fires_after_its_delay(tmp_path):
    now = [1000.0]
    crashes = []
    svc = LabService(LabConfig(disk_path=str(tmp_path)), clock=lambda: now[0],
                     crash=lambda: crashes.append(now[0]))
    svc.faults.set("crash", 2.0)
    svc.tick(0.25)
    assert not crashes
    now[0] += 2
    svc.tick(0.25)
    assert crashes == [1002.0]
