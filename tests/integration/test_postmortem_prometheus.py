"""A post-mortem from a real Prometheus with firing alerts, and from real log files."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest

from tests.conftest import require
from tests.fakes.exposition import ExpositionServer, exposition
from tests.fakes.prom_stack import get_json, shortened_rules, start_prometheus, wait_for

T0 = time.time()


def sick_service() -> str:
    """Error rate 10 %, accuracy 0.65, p95 between 1 and 2.5 s, memory at 60 % of its limit."""
    t = time.time() - T0
    return exposition(
        gauges={"ai_model_accuracy": 0.65, "memory_usage_bytes": 600.0, "memory_limit_bytes": 1000.0},
        histograms={"ai_inference_duration_seconds": {"0.5": 0.0, "1.0": 0.0, "2.5": 10.0 * t,
                                                      "+Inf": 10.0 * t}},
        labelled={"http_requests_total": {'status="200"': 18.0 * t, 'status="500"': 2.0 * t}})


class GrowingService(ExpositionServer):
    """Serves ``sick_service()`` fresh on every scrape: counters grow with time."""

    @property
    def text(self) -> str:
        return sick_service()

    @text.setter
    def text(self, value: str) -> None:
        pass


def firing(prom_url: str) -> set[str]:
    alerts = get_json(f"{prom_url}/api/v1/alerts")["data"]["alerts"]
    return {a["labels"]["alertname"] for a in alerts if a["state"] == "firing"}


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    require("prometheus", binary=True)
    tmp = tmp_path_factory.mktemp("pm-prom")
    target = GrowingService()
    rules = shortened_rules(tmp / "rules.yml", window="10s",
                            names=("HighErrorRate", "LowModelAccuracy"))
    start = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=5)
    prom = start_prometheus(tmp, jobs={"active-inference": [target.address]}, rule_files=[rules])
    wait_for(lambda: firing(prom.url) >= {"HighErrorRate", "LowModelAccuracy"}, timeout=60,
             what="HighErrorRate and LowModelAccuracy firing")
    time.sleep(3)  # a few more samples of ALERTS and the metrics
    yield prom, start
    prom.stop()
    target.stop()


def test_post_mortem_from_real_prometheus_and_log_files(cli, tmp_path, stack):
    prom, start = stack
    now = dt.datetime.now(dt.timezone.utc)
    logs = tmp_path / "service.jsonl"
    logs.write_text("\n".join(json.dumps({
        "timestamp": (start + dt.timedelta(seconds=i)).isoformat().replace("+00:00", "Z"),
        "level": "ERROR", "logger": "active_inference.api", "message": "inference failed",
        "correlation_id": f"req-{i}", "user_id": "user-67890"}) for i in range(3)) + "\n")
    result = cli("postmortem", "new", "--since", start.isoformat(), "--until", now.isoformat(),
                 "--title", "Error burst", "--no-charts", "-o", "json",
                 env={"AIOPS_PROMETHEUS_URL": prom.url, "AIOPS_LOGS_BACKEND": "file",
                      "AIOPS_LOGS_FILE": str(logs)})
    assert result.exit_code == 0, result.stderr
    doc = result.json()
    assert [g["source"] for g in doc["gaps"]] == ["pagerduty"]
    # HighErrorRate is a P1 alert, but a 10% error rate is no "Complete service outage": what was
    # measured (three metrics in their critical band) makes it P2, "Significant performance degradation"
    assert doc["severity"] == "P2"
    text = (tmp_path / doc["path"]).read_text()
    assert "- **Severity:** P2 (High: Significant performance degradation): measured: " in text
    assert "Complete service outage" not in text
    assert "| alerts | HighErrorRate on" in text and "firing (critical, P1) |" in text
    assert "| alerts | LowModelAccuracy on" in text and "firing (warning, P2) |" in text
    assert "| logs | 3x ERROR active_inference.api: inference failed" in text
    rows = {line.split("|")[1].strip(): [c.strip() for c in line.split("|")[2:-1]]
            for line in text.splitlines() if line.startswith("| ") and " | `" in line}
    assert rows["Model accuracy"][1] == "0.650" and rows["Model accuracy"][5] == "critical"
    assert rows["Memory usage of limit"][1] == "60.0 %"
    assert rows["Error rate (5xx share)"][5] == "critical"
    assert 9.0 <= float(rows["Error rate (5xx share)"][1].split()[0]) <= 11.0
    assert rows["Inference latency p95"][5] == "critical"
    assert "Alerts that fired: HighErrorRate (P1), LowModelAccuracy (P2)" in text or \
        "Alerts that fired: LowModelAccuracy (P2), HighErrorRate (P1)" in text


def test_png_charts_from_real_metrics(cli, tmp_path, stack):
    require("matplotlib")
    prom, start = stack
    result = cli("postmortem", "new", "--since", start.isoformat(), "--until", "now",
                 "--charts", "-o", "json", env={"AIOPS_PROMETHEUS_URL": prom.url})
    assert result.exit_code == 0, result.stderr
    charts = result.json()["charts"]
    assert len(charts) == 4
    for path in charts:
        assert (tmp_path / path).read_bytes()[:4] == b"\x89PNG"
