"""`aiops metrics check` and `aiops capacity check` against a real Prometheus, and degraded mode."""

from __future__ import annotations

import time

import pytest

from tests.conftest import free_port
from tests.fakes.exposition import ExpositionServer, exposition
from tests.fakes.prom_stack import get_json, start_prometheus, wait_for

T0 = time.time()


def sick_service() -> str:
    """A service in trouble; counters grow with time so rates are known exactly."""
    t = time.time() - T0
    return exposition(
        gauges={"ai_model_accuracy": 0.65, "ai_belief_entropy": 2.5, "ai_free_energy": 4.0,
                "ai_training_loss": 0.7, "cpu_usage_percent": 50.0, "memory_usage_bytes": 600.0,
                "memory_limit_bytes": 1000.0, "disk_usage_percent": 90.0, "ai_convergence_time": 12.0,
                "ai_sample_efficiency": 300.0, "process_resident_memory_bytes": 5e7},
        counters={"ai_episodes_completed": 100 + 1.0 * t, "network_io_bytes": 1000.0 * t},
        # 10 inferences a second, all between 1 s and 2.5 s
        histograms={"ai_inference_duration_seconds": {"0.5": 0.0, "1.0": 0.0, "2.5": 10.0 * t,
                                                      "+Inf": 10.0 * t}},
        labelled={"http_requests_total": {'status="200"': 18.0 * t, 'status="500"': 2.0 * t}})


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    target = ExpositionServer(sick_service)
    prom = start_prometheus(tmp_path_factory.mktemp("prom"), jobs={"active-inference": [target.address]})
    count = "count_over_time(ai_model_accuracy[1m])"
    wait_for(lambda: (r := get_json(f"{prom.url}/api/v1/query?query={count}")["data"]["result"])
             and float(r[0]["value"][1]) >= 7, timeout=30, what="seven scrapes")
    yield prom, target
    prom.stop()
    target.stop()


def check(cli, prom_url, *args):
    return cli("metrics", "check", "-o", "json", *args, env={"AIOPS_PROMETHEUS_URL": prom_url})


def test_scorecard_judges_every_row_against_the_runbook(cli, stack):
    prom, _ = stack
    result = check(cli, prom.url, "--window", "5s")
    assert result.exit_code == 3, result.stderr
    doc = result.json()
    assert doc["schema"] == "aiops.metrics/v1" and doc["source"] == "prometheus"
    rows = {r["key"]: r for r in doc["rows"]}
    verdicts = {k: r["verdict"] for k, r in rows.items()}
    assert verdicts == {
        "availability": "ok", "inference_latency_p95": "critical", "model_accuracy": "critical",
        "belief_entropy": "warning", "free_energy_spike": "no_data", "training_loss_change": "warning",
        "cpu_utilization": "ok", "memory_usage": "ok", "disk_usage": "warning",
        "error_rate": "critical", "errors_per_second": "critical", "memory_growth": "ok",
        "network_io_anomaly": "no_data", "episodes_per_hour": "ok", "convergence_time": "reported",
        "sample_efficiency": "reported"}
    # seconds of history: the last minute cannot be compared with the window before it yet
    assert rows["free_energy_spike"]["note"] == "judged once a series has 1m plus the window of history"
    assert rows["model_accuracy"]["band"] == "critical" and rows["model_accuracy"]["value"] == 0.65
    assert rows["error_rate"]["value"] == pytest.approx(10.0, rel=0.05)
    assert rows["errors_per_second"]["value"] == pytest.approx(2.0, rel=0.1)
    assert 1.0 < rows["inference_latency_p95"]["value"] <= 2.5
    assert rows["memory_usage"]["value"] == pytest.approx(60.0) and rows["memory_usage"]["band"] == "acceptable"
    assert rows["episodes_per_hour"]["value"] == pytest.approx(3600, rel=0.1)
    assert rows["memory_growth"]["value"] == 0.0  # a value of zero, not "no data"
    assert rows["model_accuracy"]["query"] == 'min by (instance) (ai_model_accuracy{job="active-inference"})'
    assert rows["cpu_utilization"]["instance"] == stack[1].address


def test_unknown_job_is_no_data_everywhere_not_zero(cli, stack):
    prom, _ = stack
    result = check(cli, prom.url, "--job", "no-such-job")
    assert result.exit_code == 0, result.stderr
    doc = result.json()
    assert {r["verdict"] for r in doc["rows"]} == {"no_data"}
    assert all(r["value"] is None for r in doc["rows"])
    assert "no series for job 'no-such-job'" in result.stderr and doc["warnings"]


def test_table_output_shows_value_verdict_and_threshold_and_wide_the_promql(cli, stack):
    prom, _ = stack
    env = {"AIOPS_PROMETHEUS_URL": prom.url, "COLUMNS": "100"}
    result = cli("metrics", "check", "--window", "5s", "-o", "table", env=env)
    assert result.exit_code == 3
    assert "CRITICAL" in result.stdout and "Model accuracy" in result.stdout and "< 0.7" in result.stdout
    assert "histogram_quantile(0.95" not in result.stdout  # PromQL is a -o wide column
    assert len(result.stdout.rstrip().splitlines()) <= 25
    wide = cli("metrics", "check", "--window", "5s", "-o", "wide", env=env)
    assert wide.exit_code == 3 and "histogram_quantile(0.95" in wide.stdout


def test_degraded_mode_scrapes_the_targets_twice(cli, stack):
    prom, target = stack
    before = target.scrapes
    result = check(cli, prom.url, "--source", "scrape", "--target", target.url, "--scrape-interval", "1")
    assert result.exit_code == 3, result.stderr
    doc = result.json()
    assert doc["source"] == "scrape" and doc["targets"] == [target.url]
    rows = {r["key"]: r for r in doc["rows"]}
    assert rows["error_rate"]["value"] == pytest.approx(10.0, rel=0.05)
    assert rows["errors_per_second"]["value"] == pytest.approx(2.0, rel=0.1)
    assert rows["model_accuracy"]["verdict"] == "critical"
    assert 1.0 < rows["inference_latency_p95"]["value"] <= 2.5
    assert rows["episodes_per_hour"]["value"] == pytest.approx(3600, rel=0.15)
    assert {k for k, r in rows.items() if r["verdict"] == "unavailable"} == {
        "free_energy_spike", "training_loss_change", "memory_growth", "network_io_anomaly"}
    assert target.scrapes - before >= 2


def test_auto_falls_back_to_scraping_when_prometheus_is_down(cli, stack):
    _, target = stack
    down = f"http://127.0.0.1:{free_port()}"
    result = check(cli, down, "--target", target.url, "--scrape-interval", "1")
    assert result.exit_code == 3
    assert result.json()["source"] == "scrape"
    assert "connection refused" in result.stderr and "scraping 1 target" in result.stderr


def test_unreachable_prometheus_without_targets_exits_5_fast(cli):
    start = time.monotonic()
    result = check(cli, f"http://127.0.0.1:{free_port()}", "--timeout", "2")
    assert result.exit_code == 5 and time.monotonic() - start < 2
    assert "connection refused" in result.stderr and "--target" in result.stderr
    forced = check(cli, f"http://127.0.0.1:{free_port()}", "--source", "prometheus",
                   "--target", "http://127.0.0.1:1")
    assert forced.exit_code == 5


def test_capacity_without_history_or_queue_metric(cli, stack):
    prom, _ = stack
    result = cli("capacity", "check", "-o", "json", env={"AIOPS_PROMETHEUS_URL": prom.url})
    assert result.exit_code == 0, result.stderr
    recs = {r["action"]: r for r in result.json()["recommendations"]}
    assert recs["scale_up"]["status"] == "not_needed"  # CPU 50%: below 70
    evidence = next(iter(recs["scale_up"]["evidence"].values()))
    assert evidence["now"] == 50.0 and evidence["covered"] is False
    assert recs["scale_out"]["status"] == "no_data"
    assert "request_queue_length" in recs["scale_out"]["note"]
