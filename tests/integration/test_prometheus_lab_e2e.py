"""End to end: faults injected into the real lab reach Prometheus, Alertmanager and aiops.

Prometheus scrapes the lab every second as job "active-inference" and evaluates the runbook's
rules with short `for:` durations and range windows (the shipped file keeps the runbook's).
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.fakes.lab import lab  # noqa: F401 (fixture)
from tests.fakes.prom_stack import get_json, shortened_rules, start_alertmanager, start_prometheus, wait_for


@pytest.fixture
def stack(tmp_path, lab):  # noqa: F811
    service = lab()
    am = start_alertmanager(tmp_path)
    prom = start_prometheus(tmp_path, jobs={"active-inference": [service.url.split("://", 1)[1]]},
                            rule_files=[shortened_rules(tmp_path / "rules.yml", window="10s")],
                            alertmanager=am.url)
    yield service, prom, am, {"AIOPS_PROMETHEUS_URL": prom.url, "AIOPS_ALERTMANAGER_URL": am.url}
    prom.stop()
    am.stop()


def firing_in_prometheus(prom, name):
    return [a for a in get_json(prom.url + "/api/v1/alerts")["data"]["alerts"]
            if a["labels"]["alertname"] == name and a["state"] == "firing"]


def in_alertmanager(am, name):
    return [a for a in get_json(am.url + "/api/v2/alerts") if a["labels"]["alertname"] == name]


def test_injected_faults_fire_alerts_that_aiops_lists(cli, stack):
    service, prom, am, env = stack
    started = dt.datetime.now(dt.timezone.utc)
    wait_for(lambda: get_json(prom.url + '/api/v1/query?query=up{job="active-inference"}')["data"]["result"],
             timeout=30, what="the first scrape of the lab")
    assert not firing_in_prometheus(prom, "LowModelAccuracy")

    service.set_fault("accuracy-drop")
    wait_for(lambda: firing_in_prometheus(prom, "LowModelAccuracy"), timeout=30,
             what="LowModelAccuracy firing in Prometheus")
    wait_for(lambda: in_alertmanager(am, "LowModelAccuracy"), timeout=20,
             what="LowModelAccuracy in Alertmanager")

    result = cli("alerts", "list", "-o", "json", env=env)
    assert result.exit_code == 0, result.stderr
    (alert,) = [a for a in result.json()["alerts"] if a["name"] == "LowModelAccuracy"]
    assert alert["state"] == "firing" and alert["sources"] == ["prometheus", "alertmanager"]
    assert (alert["severity"], alert["priority"]) == ("warning", "P2")
    assert alert["labels"]["job"] == "active-inference"

    scorecard = cli("metrics", "check", "--window", "10s", "-o", "json", env=env)
    assert scorecard.exit_code == 3, scorecard.stderr  # accuracy is below the critical 0.7
    rows = {r["key"]: r for r in scorecard.json()["rows"]}
    assert rows["model_accuracy"]["verdict"] in ("warning", "critical")
    assert rows["availability"]["value"] == 0 and rows["availability"]["verdict"] == "ok"

    from aiops.core.config import load
    from aiops.prometheus.alerts import alert_history

    cfg = load(flags={"prometheus.url": prom.url})

    def states() -> set[tuple[str, str]]:
        # the ALERTS sample of the evaluation that fired can be stamped after a range ending now
        history = alert_history(cfg, started, dt.datetime.now(dt.timezone.utc), step_s=1)
        found = {(i.name, i.state) for i in history}
        return found if ("LowModelAccuracy", "firing") in found else set()

    assert ("LowModelAccuracy", "firing") in wait_for(states, timeout=15, what="the firing ALERTS sample")

    service.set_fault("error-rate=0.5")
    wait_for(lambda: firing_in_prometheus(prom, "HighErrorRate"), timeout=30,
             what="HighErrorRate firing in Prometheus")
    wait_for(lambda: in_alertmanager(am, "HighErrorRate"), timeout=20, what="HighErrorRate in Alertmanager")
    listed = cli("alerts", "list", "-o", "json", env=env).json()["alerts"]
    assert listed[0]["name"] == "HighErrorRate" and listed[0]["priority"] == "P1"  # P1 sorts first
    assert listed[0]["labels"]["status"] == "500"


def test_discovered_targets_and_a_crash(cli, stack):
    service, prom, am, env = stack
    wait_for(lambda: get_json(prom.url + "/api/v1/targets")["data"]["activeTargets"], timeout=30,
             what="an active target")
    health = cli("health", "check", "--discover", "active-inference", "-o", "json", env=env)
    assert health.stdout, health.stderr
    assert [t["url"] for t in health.json()["targets"]] == [service.url]
    assert health.exit_code == 0, health.stderr

    service.set_fault("crash")
    wait_for(lambda: firing_in_prometheus(prom, "ApplicationDown"), timeout=30,
             what="ApplicationDown firing after the crash")
    wait_for(lambda: in_alertmanager(am, "ApplicationDown"), timeout=20, what="ApplicationDown in Alertmanager")
    alerts = cli("alerts", "list", "-o", "json", env=env).json()["alerts"]
    down = next(a for a in alerts if a["name"] == "ApplicationDown")
    assert (down["severity"], down["priority"], down["state"]) == ("critical", "P1", "firing")
    card = cli("metrics", "check", "--window", "10s", "-o", "json", env=env)
    assert card.exit_code == 3
    assert next(r for r in card.json()["rows"] if r["key"] == "availability")["instance"] == \
        service.url.split("://", 1)[1]
