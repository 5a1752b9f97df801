"""`aiops triage` against a real Prometheus and Alertmanager: the firing alert chooses the playbook.

One lab per runbook alert's fault, each in its own scrape job, the runbook's rules with short
``for:`` and 20 s windows so every alert fires within seconds; then every triage runs at once
with ``prometheus.job`` set to its lab's job.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import free_port
from tests.fakes.aiops_process import check_triage_schema, run_aiops
from tests.fakes.lab import start_lab
from tests.fakes.prom_stack import get_json, shortened_rules, start_alertmanager, start_prometheus, wait_for

# job -> (fault, alert, playbook). ApplicationDown's rule names job="active-inference".
JOBS = {
    "active-inference": ("crash", "ApplicationDown", "application-down"),
    "lab-errors": ("error-rate", "HighErrorRate", "high-error-rate"),
    "lab-leak": ("memory-leak=10", "MemoryLeak", "memory-leak"),
    "lab-slow": ("slow-inference", "HighResponseTime", "high-response-time"),
    "lab-accuracy": ("accuracy-drop", "LowModelAccuracy", "low-model-accuracy"),
    "lab-stall": ("training-stall", "TrainingStalled", "training-stalled"),
    "lab-healthy": (None, None, None),
}


def _firing(prom_url: str) -> set[tuple[str, str]]:
    alerts = get_json(prom_url + "/api/v1/alerts")["data"]["alerts"]
    return {(a["labels"]["alertname"], a["labels"].get("job", "")) for a in alerts if a["state"] == "firing"}


def test_sources_down_end_within_the_timeout(tmp_path):
    """Nothing answers (a black-holed Prometheus, closed ports): findings, and within timeout + 1 s.
    Defined first, so it runs before the module's seven labs start: it measures triage's own time
    budget, not a machine busy with the other tests' servers."""
    import socket

    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    hole.listen(0)  # accepts into the backlog, never answers
    try:
        env = {"AIOPS_PROMETHEUS_URL": f"http://127.0.0.1:{hole.getsockname()[1]}",
               "AIOPS_ALERTMANAGER_URL": f"http://127.0.0.1:{hole.getsockname()[1]}",
               "AIOPS_LOGS_URL": f"http://127.0.0.1:{free_port()}", "AIOPS_TIMEOUT": "3"}
        started = time.monotonic()
        result = run_aiops("triage", "--target", f"http://127.0.0.1:{hole.getsockname()[1]}", "-o", "json",
                           env=env, tmp=tmp_path)
        wall = time.monotonic() - started
    finally:
        hole.close()
    doc = json.loads(result.stdout)
    check_triage_schema(doc)
    assert wall < 3 + 1 + 2.5, wall  # + interpreter start-up, which the budget does not cover
    assert doc["duration_ms"] <= 4000, doc["duration_ms"]
    unavailable = {f["source"] for f in doc["findings"] if f["status"] == "unavailable"}
    assert {"metrics", "alerts", "logs"} <= unavailable, unavailable
    assert doc["verdict"] == "critical" and doc["playbook"]["name"] == "application-down"


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("triage-prom")
    with ThreadPoolExecutor(len(JOBS)) as pool:
        labs = dict(zip(JOBS, pool.map(lambda job: start_lab(
            (JOBS[job][0],) if JOBS[job][0] not in (None, "crash") else (), fast=False), JOBS)))
    am = prom = None
    try:
        am = start_alertmanager(tmp)
        rules = shortened_rules(tmp / "rules.json", for_="1s", window="20s")
        prom = start_prometheus(tmp, jobs={job: [lab.url.split("://")[1]] for job, lab in labs.items()},
                                rule_files=[rules], alertmanager=am.url)
        labs["active-inference"].set_fault("crash")
        expected = {(alert, job) for job, (_, alert, _) in JOBS.items() if alert}
        wait_for(lambda: expected <= _firing(prom.url), timeout=60, interval=1,
                 what=f"{sorted(expected)} firing (firing: {sorted(_firing(prom.url))})")

        def triage(job: str) -> dict:
            lab = labs[job]
            env = {"AIOPS_PROMETHEUS_URL": prom.url, "AIOPS_ALERTMANAGER_URL": am.url,
                   "AIOPS_PROMETHEUS_JOB": job, "AIOPS_LOGS_BACKEND": "file",
                   "AIOPS_LOGS_FILE": str(lab.log_file)}
            started = time.monotonic()
            result = run_aiops("triage", "--target", lab.url, "-o", "json", env=env, tmp=tmp)
            return {"code": result.returncode, "doc": json.loads(result.stdout or "null"),
                    "stderr": result.stderr, "wall": time.monotonic() - started}

        with ThreadPoolExecutor(len(JOBS)) as pool:
            yield dict(zip(JOBS, pool.map(triage, JOBS)))
    finally:
        for server in (prom, am):
            if server is not None:
                server.stop()
        for lab in labs.values():
            lab.stop()


@pytest.mark.parametrize("job", [j for j, case in JOBS.items() if case[1]])
def test_the_firing_alert_chooses_the_playbook_and_tops_the_findings(reports, job):
    _, alert, playbook = JOBS[job]
    report = reports[job]
    doc = report["doc"]
    assert report["code"] == 3, report["stderr"]
    check_triage_schema(doc)
    assert doc["metrics_source"] == "prometheus"
    assert doc["playbook"]["name"] == playbook and doc["playbook"]["chosen_by"] == "firing_alert", doc["playbook"]
    top = doc["findings"][0]
    assert top["alert"] == alert and top["status"] == "problem", (top, [f["title"] for f in doc["findings"]])
    # one finding per problem: the firing alert is merged into its finding, one of its sources
    assert any("alerts" in f["sources"] and f["alert"] == alert for f in doc["findings"])
    assert len([f for f in doc["findings"] if f["alert"] == alert]) == 1
    assert not any(f["source"] == "alerts" and f["alert"] not in (None, alert) and f["related"] is False
                   and f["title"].startswith("Alert firing") and job not in " ".join(f["evidence"])
                   for f in doc["findings"]), "alerts of other jobs leaked in"
    prom_steps = [s for s in doc["steps"] if s["action"] == "prom.query"]
    assert prom_steps and all(s["status"] in ("passed", "failed") for s in prom_steps), prom_steps


def test_a_healthy_service_is_ok_with_every_source_answering(reports):
    report = reports["lab-healthy"]
    doc = report["doc"]
    assert report["code"] == 0, [f["title"] for f in doc["findings"]]
    check_triage_schema(doc)
    assert doc["verdict"] == "ok" and doc["metrics_source"] == "prometheus"
    statuses = {s["name"]: s["status"] for s in doc["sources"]}
    assert statuses["health"] == statuses["metrics"] == statuses["alerts"] == statuses["logs"] == "ok"
