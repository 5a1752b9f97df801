"""The dashboards against the real lab and a real Prometheus scraping it.

Every panel of every dashboard must show data: a panel that can never show anything is a bug.
The same panels must also show data in degraded mode, scraped straight from the lab.
"""

from __future__ import annotations

import asyncio
import json
import urllib.parse

import pytest

from aiops.catalog.dashboards import DASHBOARDS
from aiops.dashboards.data import Feed
from aiops.lab.resources import Cgroup
from tests.fakes.prom_stack import get_json, start_prometheus, wait_for
from tests.fakes.json_contract import validate

CGROUP = Cgroup.discover()
# panels whose data the machine may not account (absent, not zero): what this machine has
MACHINE = {"container_cpu": CGROUP.cpu_seconds() is not None,
           "container_memory": CGROUP.memory_bytes() is not None}


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    from tests.fakes.lab import start_lab

    service = start_lab()
    prom = start_prometheus(tmp_path_factory.mktemp("prom"),
                            jobs={"active-inference": [service.url.split("://", 1)[1]]})
    wait_for(lambda: get_json(prom.url + "/api/v1/query?query=" + urllib.parse.quote(
        'rate(http_requests_total{job="active-inference"}[1m])'))["data"]["result"], timeout=60,
        what="two scrapes of the lab")
    yield service, prom
    prom.stop()
    service.close()


def frame(board, **kwargs):
    async def run():
        async with Feed(board, window_s=120, job="active-inference", **kwargs) as feed:
            return await feed.frame()

    return asyncio.run(run())


def missing(result) -> list[str]:
    return [f"{p.panel.key}: {p.note}" for p in result.panels if p.has_data != MACHINE.get(p.panel.key, True)]


@pytest.mark.parametrize("board", DASHBOARDS, ids=lambda b: b.name)
def test_every_panel_shows_data_from_prometheus(stack, board):
    service, prom = stack
    result = wait_for(lambda: (lambda f: f if not missing(f) else None)(
        frame(board, prometheus_url=prom.url, targets=[])), timeout=60, interval=2,
        what=f"data in every panel of {board.name}")
    assert result.source == "prometheus"
    assert all(p.note is None for p in result.panels if p.has_data)
    assert all(p.duration_ms is not None for p in result.panels)


@pytest.mark.parametrize("board", DASHBOARDS, ids=lambda b: b.name)
def test_every_panel_shows_data_scraped_from_the_lab(stack, board):
    service, _ = stack
    warnings = []
    result = frame(board, prometheus_url="http://127.0.0.1:9", targets=[service.url], warn=warnings.append)
    assert result.source == "scrape" and "connection refused" in warnings[0]
    assert missing(result) == []


def test_the_alerts_annotation_runs_in_prometheus(stack):
    from aiops.dashboards.grafana import alerts_expr

    _, prom = stack
    doc = get_json(prom.url + "/api/v1/query?query=" + urllib.parse.quote(alerts_expr()))
    assert doc["status"] == "success"


def test_dashboard_once_json_is_the_documented_frame(cli, stack):
    service, prom = stack
    result = cli("dashboard", "main", "--once", "--since", "2m", "-o", "json",
                 env={"AIOPS_PROMETHEUS_URL": prom.url})
    assert result.exit_code == 0, result.stderr
    doc = result.json()
    validate(doc, "aiops.dashboard/v1")
    assert doc["source"] == "prometheus" and doc["window_seconds"] == 120
    p95 = next(p for p in doc["panels"] if p["key"] == "response_time_p95")
    assert p95["series"][0]["band"] == "ok" and p95["series"][0]["labels"]["instance"] in service.url
    assert p95["queries"][0].startswith('histogram_quantile(0.95, sum by (instance, le) '
                                        '(rate(ai_inference_duration_seconds_bucket{job="active-inference"}')


def test_slow_inference_turns_the_latency_panel_critical(cli, stack):
    service, prom = stack
    service.set_fault("slow-inference=1.5")
    try:
        def critical():
            doc = cli("dashboard", "performance", "--once", "--since", "1m", "-o", "json",
                      env={"AIOPS_PROMETHEUS_URL": prom.url}).json()
            panel = next(p for p in doc["panels"] if p["key"] == "latency_quantiles")
            return panel["band"] == "critical"

        wait_for(critical, timeout=60, interval=2, what="p95 latency above 1 s on the dashboard")
    finally:
        service.clear_fault("slow-inference")


def test_an_unreachable_prometheus_without_targets_is_exit_5(cli):
    result = cli("dashboard", "main", "--once", "--timeout", "2", env={"AIOPS_PROMETHEUS_URL": "http://127.0.0.1:9"})
    assert result.exit_code == 5
    assert result.stderr.startswith("error: Prometheus at http://127.0.0.1:9") and "hint:" in result.stderr


def test_the_first_frame_does_not_load_aiohttp(stack, tmp_path):
    """Importing aiohttp costs ~200 ms (it builds two TLS contexts at import): more than half of
    the first frame's budget. The dashboard polls through aiops.core.wire instead."""
    import os
    import subprocess
    import sys

    _, prom = stack
    code = ("import sys\nfrom aiops.cli.main import main\n"
            "rc = main(['dashboard', 'main', '--once', '--since', '2m', '-o', 'json'])\n"
            "sys.stderr.write(f'rc={rc} aiohttp={\"aiohttp\" in sys.modules}\\n')\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIOPS_")}
    env.update(AIOPS_PROMETHEUS_URL=prom.url, XDG_CONFIG_HOME=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert "rc=0 aiohttp=False" in out.stderr, out.stderr
    assert json.loads(out.stdout)["source"] == "prometheus"
