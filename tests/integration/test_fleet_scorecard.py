"""A thousand instances in a real Prometheus: the scorecard names the worst per check and counts
the rest on the server; health --via prometheus reads the fleet's probes; triage names them."""

from __future__ import annotations

import urllib.parse

import pytest

from tests.conftest import wait_for
from tests.fakes.aiops_process import check_schema
from tests.fakes.prom_stack import get_json, start_prometheus
from tests.fakes.synthetic_fleet import SyntheticFleet

N = 1000


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    synthetic = SyntheticFleet(N, unhealthy={5}, unreachable={9}, body_failed={11})
    prom = start_prometheus(tmp_path_factory.mktemp("fleet"), scrape_configs=synthetic.scrape_configs("2s"))

    def ready():
        q = urllib.parse.urlencode({"query": 'count(count_over_time(ai_free_energy{job="fleet"}[1m]) >= 4)'})
        result = get_json(f"{prom.url}/api/v1/query?{q}")["data"]["result"]
        return result and result[0]["value"][1] == str(N)

    wait_for(ready, 90, interval=1, what="four scrapes of the synthetic fleet")
    yield prom
    prom.stop()
    synthetic.close()


def _env(prom):
    return {"AIOPS_PROMETHEUS_URL": prom.url, "AIOPS_PROMETHEUS_JOB": "fleet", "AIOPS_TIMEOUT": "30"}


def test_scorecard_names_the_worst_and_counts_the_rest(cli, fleet):
    result = cli("metrics", "check", "--source", "prometheus", "-o", "json", env=_env(fleet))
    assert result.exit_code == 3, result.stderr
    check_schema(result.json())
    rows = {r["key"]: r for r in result.json()["rows"]}
    accuracy = rows["model_accuracy"]
    assert accuracy["verdict"] == "critical" and accuracy["instance"] == "host-0017:8000"
    assert [w["instance"] for w in accuracy["worst"][:3]] == ["host-0017:8000", "host-0018:8000", "host-0019:8000"]
    assert len(accuracy["worst"]) == 5
    assert accuracy["instance_counts"] == {"measured": N, "warning": 2, "critical": 1}
    assert rows["cpu_utilization"]["instance"] == "host-0042:8000"
    assert rows["cpu_utilization"]["instance_counts"]["critical"] == 1
    assert rows["inference_latency_p95"]["instance"] == "host-0099:8000"
    assert rows["inference_latency_p95"]["verdict"] == "critical"
    assert rows["error_rate"]["instance"] == "host-0123:8000"
    assert rows["belief_entropy"]["instance"] == "host-0007:8000"
    assert rows["belief_entropy"]["instance_counts"] == {"measured": N, "warning": 1}
    spike = rows["free_energy_spike"]  # judged once the series have a minute plus the window
    assert spike["verdict"] == "ok" or spike["verdict"] == "no_data" and "judged once" in spike["note"], spike
    assert rows["free_energy_spike"]["instance_counts"]["measured"] == N
    assert all(r["verdict"] != "error" for r in rows.values()), [r["note"] for r in rows.values()]


def test_top_and_table(cli, fleet):
    result = cli("metrics", "check", "--source", "prometheus", "--top", "2", tty=True,
                 env={**_env(fleet), "COLUMNS": "120"})
    assert result.exit_code == 3
    assert "host-0017:8000" in result.stdout
    doc = cli("metrics", "check", "--top", "2", "-o", "json", env=_env(fleet)).json()
    assert all(len(r["worst"]) <= 2 for r in doc["rows"])


def test_health_via_prometheus_over_the_fleet(cli, fleet):
    result = cli("health", "check", "--via", "prometheus", "-o", "json", env=_env(fleet))
    doc = result.json()
    check_schema(doc)
    assert doc["summary"] == {"targets": N, "healthy": N - 3, "degraded": 1, "unhealthy": 1, "unreachable": 1}
    bad = {t["url"]: t["verdict"] for t in doc["targets"] if t["verdict"] != "healthy"}
    assert bad == {"http://host-0005:8000": "unhealthy", "http://host-0009:8000": "unreachable",
                   "http://host-0011:8000": "degraded"}
    # a 2xx answer that failed: the body check is asked, and names the cause
    body = next(t for t in doc["targets"] if t["url"] == "http://host-0011:8000")
    assert body["reasons"] == ["/metrics: body failed the probe's check"]
    assert result.exit_code == 3


def test_triage_names_the_worst_instances(cli, fleet):
    # the time budget of a machine shared with other work (quiet: about a second; see benchmarks/)
    result = cli("triage", "-o", "json", env={**_env(fleet), "AIOPS_TIMEOUT": "60"})
    doc = result.json()
    assert doc["metrics_source"] == "prometheus"
    accuracy = next(f for f in doc["findings"] if f.get("signal") == "metrics.model_accuracy")
    assert any("worst: host-0017:8000 (0.5)" in line and "of 1000 instances" in line
               for line in accuracy["evidence"]), accuracy["evidence"]
