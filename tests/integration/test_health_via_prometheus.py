"""`aiops health check --via prometheus` against a real Prometheus and a real blackbox exporter
probing real labs (one not ready, one address nobody listens on): it agrees with direct
probing on every target's verdict and on the exit code."""

from __future__ import annotations

import json
import re
import urllib.parse

import pytest

from aiops.prometheus.blackbox import export
from tests.conftest import free_port, wait_for
from tests.fakes.aiops_process import check_schema
from tests.fakes.lab import start_lab
from tests.fakes.prom_stack import get_json, start_blackbox, start_prometheus


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """Two healthy labs, one not ready, one address nobody listens on; the blackbox exporter
    probing all four as ``aiops alerts rules --blackbox`` says; Prometheus scraping both."""
    tmp_path = tmp_path_factory.mktemp("via-prometheus")
    healthy = [start_lab(), start_lab()]
    not_ready = start_lab(faults=("not-ready",))
    labs = [*healthy, not_ready]
    closed = f"http://127.0.0.1:{free_port()}"
    urls = [healthy[0].url, healthy[1].url, not_ready.url, closed]
    blackbox = start_blackbox(tmp_path, export("modules").text)
    import yaml

    job = yaml.safe_load(export("scrape-config", targets=urls, exporter=blackbox.extra["address"],
                                job="active-inference").text)["scrape_configs"][0]
    job.update(scrape_interval="2s", scrape_timeout="2s")  # the exporter keeps 0.5 s of it
    prom = start_prometheus(tmp_path, jobs={"active-inference": [u.split("//")[1] for u in urls]},
                            scrape_configs=[job])
    yield prom, urls
    prom.stop()
    blackbox.stop()
    for process in labs:
        process.close()


def _series(prom, promql):
    query = urllib.parse.urlencode({"query": promql})
    return get_json(f"{prom.url}/api/v1/query?{query}")["data"]["result"]


def test_via_prometheus_agrees_with_direct_probing(cli, stack, tmp_path):
    prom, urls = stack
    wait_for(lambda: len(_series(prom, 'probe_http_status_code{job="active-inference-blackbox"}')) == 16
             and len(_series(prom, 'up{job="active-inference"}')) == 4, 60, what="probes and scrapes of all four")
    config = tmp_path / "aiops.toml"
    config.write_text(f'[prometheus]\nurl = "{prom.url}"\n')

    direct = cli("--config", str(config), "health", "check", *urls, "--timeout", "3", "-o", "json")
    probed = direct.json()
    expected = {t["url"]: t["verdict"] for t in probed["targets"]}

    def read():  # the latest probe of a busy machine may have timed out: the next one counts
        result = cli("--config", str(config), "health", "check", "--via", "prometheus", "-o", "json")
        return result if {t["url"]: t["verdict"] for t in result.json()["targets"]} == expected else None

    via = wait_for(read, 30, interval=1, what="verdicts read from Prometheus to settle")
    doc = via.json()
    assert doc["schema"] == "aiops.health.probe/v1" and doc["source"] == "prometheus"
    assert doc["prometheus_url"] == prom.url and doc["job"] == "active-inference"
    assert probed["source"] == "probe"
    check_schema(doc)
    check_schema(probed)
    assert {t["url"]: t["verdict"] for t in doc["targets"]} == expected
    assert expected == {urls[0]: "healthy", urls[1]: "healthy", urls[2]: "unhealthy", urls[3]: "unreachable"}
    assert via.exit_code == direct.exit_code == 3
    not_ready = next(t for t in doc["targets"] if t["url"] == urls[2])
    assert not_ready["endpoints"]["/ready"]["status_code"] == 503
    assert "/ready: HTTP 503" in not_ready["reasons"]
    healthy = next(t for t in doc["targets"] if t["url"] == urls[0])
    assert all(ep["ok"] and ep["latency_ms"] >= 0 for ep in healthy["endpoints"].values())


def test_via_prometheus_table_names_the_source(cli, stack, tmp_path):
    prom, urls = stack
    wait_for(lambda: len(_series(prom, 'probe_success{job="active-inference-blackbox"}')) == 16, 60,
             what="all sixteen probes")
    result = cli("health", "check", "--via", "prometheus", tty=True,
                 env={"AIOPS_PROMETHEUS_URL": prom.url, "COLUMNS": "80"})
    assert result.exit_code == 3
    assert f"from Prometheus {prom.url}" in result.stdout
    assert "2 healthy target(s) not listed" in result.stdout
    assert urls[2] in result.stdout and urls[0] not in result.stdout
    plain = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout)
    assert max(len(line) for line in plain.splitlines()) <= 80


def test_unknown_job_is_a_usage_error(cli, stack):
    prom, _ = stack
    result = cli("health", "check", "--via", "prometheus", "--job", "nope", "-o", "json",
                 env={"AIOPS_PROMETHEUS_URL": prom.url})
    assert result.exit_code == 2
    assert "no series for job 'nope'" in result.stderr and "Traceback" not in result.stderr


def test_unreachable_prometheus_is_exit_5(cli):
    result = cli("health", "check", "--via", "prometheus", "-o", "json",
                 env={"AIOPS_PROMETHEUS_URL": f"http://127.0.0.1:{free_port()}"})
    assert result.exit_code == 5
    assert "connection refused" in result.stderr
    assert json.loads(result.stdout or "null") is None
