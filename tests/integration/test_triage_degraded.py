"""`aiops triage` end to end without Prometheus: each runbook alert's fault in a real lab.

Every lab starts at once and every triage runs as its own `python -m aiops` process at once,
so the module costs about one lab start plus one triage. Prometheus and Alertmanager point at
closed ports: the scorecard comes from scraping (degraded mode) and alerts are unavailable.
"""

from __future__ import annotations

import json
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import free_port
from tests.fakes.aiops_process import check_triage_schema as validate
from tests.fakes.aiops_process import run_aiops as aiops
from tests.fakes.lab import start_lab

# fault -> (runbook alert, the playbook triage must choose)
CASES = {
    "crash": ("ApplicationDown", "application-down"),
    "error-rate": ("HighErrorRate", "high-error-rate"),
    "memory-leak": ("MemoryLeak", "memory-leak"),
    "slow-inference": ("HighResponseTime", "high-response-time"),
    "accuracy-drop": ("LowModelAccuracy", "low-model-accuracy"),
    "training-stall": ("TrainingStalled", "training-stalled"),
}


def _slow_inferences(lab) -> bool:
    total = lab.sample("ai_inference_duration_seconds_count") or 0
    fast = lab.sample("ai_inference_duration_seconds_bucket", le="1.0") or 0
    return total - fast >= 3


# What each fault must have done before triage runs (a loaded machine can be slow to show it).
SYMPTOM = {
    "error-rate": lambda lab: (lab.sample("http_requests_total", method="POST", path="/infer",
                                          status="500") or 0) >= 3,
    "slow-inference": _slow_inferences,
    "accuracy-drop": lambda lab: (lab.sample("ai_model_accuracy") or 1.0) < 0.7,
}


def closed_endpoints() -> dict[str, str]:
    return {"AIOPS_PROMETHEUS_URL": f"http://127.0.0.1:{free_port()}",
            "AIOPS_ALERTMANAGER_URL": f"http://127.0.0.1:{free_port()}"}


@pytest.fixture(scope="module")
def triaged(tmp_path_factory):
    """{fault or "none": (CompletedProcess, lab)} for every case, triaged concurrently."""
    tmp = tmp_path_factory.mktemp("triage")
    faults = ["none", *CASES]
    with ThreadPoolExecutor(len(faults)) as pool:
        labs = dict(zip(faults, pool.map(
            lambda f: start_lab(() if f in ("none", "crash") else (f,), fast=False), faults)))
    try:
        labs["crash"].set_fault("crash")
        labs["crash"].wait_for(lambda: labs["crash"].proc.poll() is not None, what="the crash")
        for fault, shown in SYMPTOM.items():
            labs[fault].wait_for(lambda: shown(labs[fault]), timeout=30, what=f"the {fault} symptom")

        def run(fault: str) -> subprocess.CompletedProcess:
            lab = labs[fault]
            env = {**closed_endpoints(), "AIOPS_LOGS_BACKEND": "file", "AIOPS_LOGS_FILE": str(lab.log_file)}
            return aiops("triage", "--target", lab.url, "-o", "json", env=env, tmp=tmp)

        with ThreadPoolExecutor(len(faults)) as pool:
            results = dict(zip(faults, pool.map(run, faults)))
        yield {f: (results[f], labs[f]) for f in faults}
    finally:
        for lab in labs.values():
            lab.stop()


@pytest.mark.parametrize("fault", list(CASES))
def test_each_runbook_alert_leads_to_its_playbook_and_names_the_cause(triaged, fault):
    alert, playbook = CASES[fault]
    result, _ = triaged[fault]
    doc = json.loads(result.stdout)
    assert result.returncode == 3, (result.stderr, doc["sources"], [f["title"] for f in doc["findings"]])
    validate(doc)
    assert doc["metrics_source"] == "scrape"
    assert doc["playbook"]["name"] == playbook, doc["playbook"]
    assert doc["playbook"]["chosen_by"] == "findings"
    top = doc["findings"][0]
    assert top["status"] == "problem" and top["related"], top
    assert top["alert"] == alert, (top, [f["title"] for f in doc["findings"]])
    assert doc["verdict"] in ("warning", "critical")
    assert doc["steps"] and doc["steps"][0]["status"] in ("failed", "passed")


def test_no_fault_is_ok_and_says_which_sources_were_missing(triaged):
    result, lab = triaged["none"]
    assert result.returncode == 0, result.stdout + result.stderr
    doc = json.loads(result.stdout)
    validate(doc)
    assert doc["verdict"] == "ok" and doc["playbook"]["name"] is None
    assert not [f for f in doc["findings"] if f["status"] == "problem"]
    unavailable = {f["source"] for f in doc["findings"] if f["status"] == "unavailable"}
    assert {"alerts", "metrics"} <= unavailable  # Prometheus down: scorecard scraped, alerts unknown
    statuses = {s["name"]: s["status"] for s in doc["sources"]}
    assert statuses["health"] == statuses["logs"] == statuses["metrics"] == "ok"


def test_memory_leak_evidence_is_the_measured_growth(triaged):
    doc = json.loads(triaged["memory-leak"][0].stdout)
    top = doc["findings"][0]
    assert top["source"] == "trend" and top["signal"] == "metrics.memory_growth"
    assert "process_resident_memory_bytes" in top["evidence"][0]
    trend_step = next(s for s in doc["steps"] if s["action"] == "metrics.trend")
    assert trend_step["status"] == "failed" and trend_step["values"]["per_hour"] > 100_000_000


def test_error_rate_reads_the_logs_and_traces_a_failed_request(triaged):
    doc = json.loads(triaged["error-rate"][0].stdout)
    logs = next(f for f in doc["findings"] if f["source"] == "logs")
    assert "Inference failed" in logs["title"]
    trace = next(s for s in doc["steps"] if s["action"] == "logs.trace")
    assert trace["status"] == "passed" and trace["values"]["errors"] >= 1, trace


def test_alert_flag_chooses_the_playbook_and_an_unknown_alert_is_exit_2(triaged, tmp_path):
    result, lab = triaged["none"]
    env = {**closed_endpoints(), "AIOPS_TIMEOUT": "5"}
    ok = aiops("triage", "--alert", "LowModelAccuracy", "--target", lab.url, "-o", "json", env=env, tmp=tmp_path)
    doc = json.loads(ok.stdout)
    assert doc["playbook"]["name"] == "low-model-accuracy" and doc["playbook"]["chosen_by"] == "alert"
    assert doc["alert"] == "LowModelAccuracy"
    bad = aiops("triage", "--alert", "DiskFull", "--target", lab.url, env=env, tmp=tmp_path)
    assert bad.returncode == 2 and bad.stdout == ""
    assert "unknown alert 'DiskFull'" in bad.stderr
    for name in ("ApplicationDown", "HighErrorRate", "MemoryLeak", "HighResponseTime", "LowModelAccuracy",
                 "TrainingStalled"):
        assert name in bad.stderr


def test_markdown_is_ready_to_paste(triaged, tmp_path):
    _, lab = triaged["memory-leak"]
    env = {**closed_endpoints(), "AIOPS_LOGS_BACKEND": "file", "AIOPS_LOGS_FILE": str(lab.log_file)}
    result = aiops("triage", "--target", lab.url, "-o", "markdown", env=env, tmp=tmp_path)
    assert result.returncode == 3
    assert result.stdout.startswith("## Triage: ")
    assert "### Findings" in result.stdout and "### Playbook steps (memory-leak)" in result.stdout
    assert "| 1 | Resident memory growth now" in result.stdout
