"""The real lab service on a loopback port: endpoints, metrics, logs and health verdicts."""

from __future__ import annotations

import threading
import time

import pytest

from aiops.catalog import METRICS
from aiops.lab.logs import FIELDS
from tests.fakes.lab import lab, start_lab  # noqa: F401 (fixture)


@pytest.fixture(scope="module")
def svc():
    process = start_lab()
    yield process
    process.close()


def test_health_body_has_the_runbook_shape(svc):
    status, body = svc.get("/health")
    assert status == 200
    assert body["status"] == "healthy" and body["version"] == "0.1.0"
    assert body["timestamp"].endswith("Z")
    assert body["checks"] == {"memory": "ok", "disk": "ok", "dependencies": "ok", "errors": "ok"}
    assert body["details"]["model_id"] == svc.info["model_id"]


def test_ready_live_and_index(svc):
    assert svc.get("/ready") == (200, {"status": "ready", "model_id": svc.info["model_id"]})
    status, body = svc.get("/live")
    assert status == 200 and body["status"] == "alive"
    status, body = svc.get("/")
    assert status == 200 and "/infer" in body["endpoints"]


def test_unknown_paths_and_methods_answer_json(svc):
    assert svc.get("/nope") == (404, {"error": "Not Found"})
    assert svc.get("/infer")[0] == 405


def test_infer_echoes_the_correlation_id_and_logs_it(svc):
    status, headers, _ = svc.request("POST", "/infer", {"observation": [0, 0, 1]},
                                     headers={"X-Correlation-ID": "req-it-42", "X-User-ID": "user-7"})
    assert status == 200 and headers["x-correlation-id"] == "req-it-42"
    status, body = svc.post("/infer", {"observation": [3, 0, 1]}, headers={"X-Correlation-ID": "req-it-43"})
    assert status == 200 and body["correlation_id"] == "req-it-43"
    assert body["model_id"] == svc.info["model_id"]
    assert len(body["action"]) == 2 and len(body["qs"]) == 2 and len(body["q_pi"]) == 4
    assert body["duration_ms"] > 0 and body["entropy"] >= 0
    record = svc.wait_for(lambda: next((r for r in svc.logs() if r["correlation_id"] == "req-it-42"), None),
                          what="log record of req-it-42")
    assert tuple(record) == FIELDS
    assert record["level"] == "INFO" and record["logger"] == "active_inference.core"
    assert record["message"] == "Inference completed successfully"
    assert record["user_id"] == "user-7" and record["model_id"] == svc.info["model_id"]
    assert record["duration_ms"] > 0
    assert {"episode", "step", "accuracy"} <= set(record["context"])
    assert isinstance(record["context"]["episode"], int)


def test_a_correlation_id_is_made_when_absent_or_unusable(svc):
    _, headers, _ = svc.request("POST", "/infer", {"observation": [0, 0, 0]})
    assert headers["x-correlation-id"].startswith("req-")
    _, headers, _ = svc.request("GET", "/health", headers={"X-Correlation-ID": "bad id with spaces"})
    assert headers["x-correlation-id"].startswith("req-")


BAD_BODIES = [
    (b"not json", 400, "invalid JSON"),
    (b"", 400, "empty body"),
    (b"[0, 0, 0]", 400, "JSON object"),
    (b"{}", 422, "missing field 'observation'"),
    (b'{"observation": [0, 0]}', 422, "3 modalities"),
    (b'{"observation": [0, 9, 0]}', 422, "outside 0..2"),
    (b'{"observation": ["a", 0, 0]}', 422, "list of integers"),
    (b'{"observation": [0, 0, 0]' + b" " * 70000 + b"}", 413, "larger than"),
]


@pytest.mark.parametrize("raw, status, message", BAD_BODIES)
def test_bad_infer_bodies_get_json_errors_and_are_counted(svc, raw, status, message):
    labels = {"method": "POST", "path": "/infer", "status": str(status)}
    before = svc.sample("http_requests_total", **labels) or 0
    got, headers, body = svc.request("POST", "/infer", raw=raw, headers={"Content-Type": "application/json"})
    assert got == status and headers["content-type"] == "application/json"
    assert message in body.decode()
    assert svc.sample("http_requests_total", **labels) == before + 1


def test_every_runbook_metric_has_its_exact_name_and_type(svc):
    families = svc.metrics()
    for metric in METRICS:
        assert metric.name in families, metric.name
        assert families[metric.name].type == metric.type, metric.name
    assert families["http_requests"].type == "counter"
    assert "process_resident_memory_bytes" in families
    assert families["request_queue_length"].type == "gauge"  # the capacity rule's queue
    text = svc.metrics_text()
    assert "\nai_episodes_completed " in text  # the bare name the TrainingStalled alert queries
    assert 'http_requests_total{method="POST",path="/infer",status="200"}' in text


def test_training_moves_the_business_metrics(svc):
    first = svc.sample("ai_episodes_completed_total")  # the parser's name for the bare counter
    svc.wait_for(lambda: svc.sample("ai_episodes_completed_total") > first + 3, what="more episodes")
    assert svc.sample("ai_model_accuracy") >= 0.9
    assert svc.sample("ai_sample_efficiency") >= 1
    assert svc.sample("ai_convergence_time") >= 0
    assert svc.sample("ai_training_loss") >= 0


def test_synthetic_traffic_counts_as_requests(svc):
    count = lambda: svc.sample("http_requests_total", method="POST", path="/infer", status="200")  # noqa: E731
    before = count()
    svc.wait_for(lambda: count() >= before + 5, what="synthetic /infer traffic")


def test_every_log_record_has_the_runbook_fields(svc):
    records = svc.logs()
    assert len(records) > 5
    levels = {"DEBUG", "INFO", "WARN", "ERROR", "FATAL"}
    for record in records:
        assert tuple(record) == FIELDS
        assert record["level"] in levels
        assert record["logger"].startswith("active_inference.")
        assert {"episode", "step", "accuracy"} <= set(record["context"])
    episodes = [r for r in records if r["message"] == "Training episode completed"]
    assert episodes and all(isinstance(r["context"]["accuracy"], float) for r in episodes)


def test_health_check_command_reports_the_lab_healthy(svc, cli):
    result = cli("health", "check", svc.url, "-o", "json")
    assert result.exit_code == 0, result.stdout + result.stderr
    report = result.json()
    assert report["verdict"] == "healthy"
    assert report["targets"][0]["metrics"]["missing"] == []


def test_live_answers_while_a_slow_inference_runs(lab):
    svc = lab(faults=("slow-inference=3",), extra_args=("--synthetic-rps", "0"))
    done = []
    worker = threading.Thread(target=lambda: done.append(svc.post("/infer", {"observation": [0, 0, 0]})))
    worker.start()
    time.sleep(0.3)
    status, _ = svc.get("/live", timeout=2)
    assert status == 200 and worker.is_alive()  # answered while the inference was still running
    worker.join(10)
    assert done[0][0] == 200 and done[0][1]["duration_ms"] >= 3000


def test_aiops_logs_reads_the_lab_log_file(svc, cli):
    svc.post("/infer", {"observation": [0, 0, 0]}, headers={"X-Correlation-ID": "req-trace-me"})
    svc.wait_for(lambda: any(r["correlation_id"] == "req-trace-me" for r in svc.logs()), what="record")
    result = cli("logs", "trace", "req-trace-me", "--file", str(svc.log_file), "--require", "-o", "json")
    assert result.exit_code == 0, result.stderr
    assert "Inference completed successfully" in result.stdout


def test_unknown_paths_and_methods_do_not_grow_label_sets(svc):
    for i in range(3):
        svc.request("GET", f"/scan/{i}")
    svc.request("PROPFIND", "/health")  # a WebDAV method: known to HTTP parsers, not to the lab
    assert svc.sample("http_requests_total", method="GET", path="other", status="404") >= 3
    assert svc.sample("http_requests_total", method="other", path="/health", status="405") == 1
    paths = {s.labels["path"] for s in svc.metrics()["http_requests"].samples}
    assert not any(p.startswith("/scan") for p in paths)
