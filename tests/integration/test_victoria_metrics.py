"""The Prometheus commands through a Prometheus-compatible engine behind an auth proxy.

Real Debian packages: VictoriaMetrics scrapes two labs, an address nobody listens on and the
blackbox exporter's probes of all three; vmalert evaluates the shipped rule file (and a copy
with short ``for:`` so an alert fires within seconds) and notifies Alertmanager; vmauth demands
a bearer token and serves VictoriaMetrics under ``/prometheus`` and Alertmanager under
``/alertmanager``. aiops is configured with the prefixed URLs and the token only.
"""

from __future__ import annotations

import json

import pytest

from aiops.prometheus.blackbox import export
from aiops.prometheus.rules import RULES_FILE, shipped_dir
from tests.conftest import free_port, wait_for
from tests.fakes.lab import start_lab
from tests.fakes.prom_stack import shortened_rules, start_blackbox
from tests.fakes.vm_stack import start_vm_stack

TOKEN = "vm-test-token-0123456789"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    import yaml

    tmp = tmp_path_factory.mktemp("vm")
    labs = [start_lab(), start_lab()]
    closed = f"http://127.0.0.1:{free_port()}"
    urls = [labs[0].url, labs[1].url, closed]
    blackbox = start_blackbox(tmp, export("modules").text)
    probes = yaml.safe_load(export("scrape-config", targets=urls, exporter=blackbox.extra["address"],
                                   job="active-inference").text)["scrape_configs"][0]
    probes.update(scrape_interval="2s", scrape_timeout="2s")
    service = {"job_name": "active-inference", "static_configs": [{"targets": [u.split("//")[1] for u in urls]}]}
    short = shortened_rules(tmp / "short.rules.yml", names=("ApplicationDown",))
    stack = start_vm_stack(tmp, [service, probes], [shipped_dir() / RULES_FILE, short], TOKEN)
    stack.extra.append(blackbox)
    yield stack, urls
    stack.stop()
    for lab in labs:
        lab.close()


def _config(tmp_path, stack, *, token: str = TOKEN, token_file: bool = False, urls=()) -> str:
    path = tmp_path / "aiops.toml"
    secret = f'bearer_token_file = "{tmp_path / "token"}"' if token_file else f'bearer_token = "{token}"'
    if token_file:
        (tmp_path / "token").write_text(token + "\n")
    path.write_text(f'targets = {json.dumps(list(urls))}\ntimeout = 8\n'
                    f'[prometheus]\nurl = "{stack.prometheus_url}"\n{secret}\n'
                    f'[alertmanager]\nurl = "{stack.alertmanager_url}"\n{secret}\n')
    path.chmod(0o600)
    return str(path)


def _up(cli, config):
    result = cli("--config", config, "prom", "query", 'up{job="active-inference"}', "-o", "json")
    return result if result.exit_code == 0 and len(result.json()["series"]) == 3 else None


def test_prom_query_and_range(cli, stack, tmp_path):
    vm, urls = stack
    config = _config(tmp_path, vm)
    result = wait_for(lambda: _up(cli, config), 60, interval=1, what="three up series through vmauth")
    values = sorted(s["value"] for s in result.json()["series"])
    assert values == [0, 1, 1]
    ranged = cli("--config", config, "prom", "range", "ai_model_accuracy", "--since", "2m", "--step", "1s",
                 "-o", "json")
    assert ranged.exit_code == 0, ranged.stderr
    assert len(ranged.json()["series"]) == 2
    assert TOKEN not in result.stdout + result.stderr + ranged.stdout + ranged.stderr


def test_metrics_check(cli, stack, tmp_path):
    vm, _ = stack
    config = _config(tmp_path, vm)
    wait_for(lambda: _up(cli, config), 60, interval=1, what="scrapes")
    result = cli("--config", config, "metrics", "check", "--source", "prometheus", "-o", "json")
    doc = result.json()
    assert doc["source"] == "prometheus" and doc["prometheus_url"] == vm.prometheus_url
    rows = {r["key"]: r for r in doc["rows"]}
    assert rows["availability"]["verdict"] == "critical" and rows["availability"]["value"] == 1
    assert rows["model_accuracy"]["verdict"] not in ("no_data", "error")
    assert result.exit_code == 3


def test_alerts_list_reads_vmalert_and_alertmanager(cli, stack, tmp_path):
    vm, urls = stack
    config = _config(tmp_path, vm)

    def firing():
        result = cli("--config", config, "alerts", "list", "-o", "json")
        if result.exit_code != 0:
            return None
        down = [a for a in result.json()["alerts"] if a["name"] == "ApplicationDown" and a["state"] == "firing"]
        return result if down and set(down[0]["sources"]) == {"prometheus", "alertmanager"} else None

    result = wait_for(firing, 90, interval=2, what="ApplicationDown firing in vmalert and Alertmanager")
    doc = result.json()
    assert all(s["ok"] for s in doc["sources"])
    assert {s["url"] for s in doc["sources"]} == {vm.prometheus_url, vm.alertmanager_url}
    rules = cli("--config", config, "prom", "query", 'ALERTS{alertname="ApplicationDown"}', "-o", "json")
    assert rules.exit_code == 0


def test_shipped_rule_file_is_evaluated(stack):
    vm, _ = stack
    from tests.fakes.prom_stack import get_json

    groups = get_json(vm.vmalert.url + "/api/v1/rules")["data"]["groups"]
    shipped = next(g for g in groups if g["name"] == "active-inference")
    names = {r["name"] for r in shipped["rules"]}
    assert names == {"ApplicationDown", "HighErrorRate", "MemoryLeak", "HighResponseTime",
                     "LowModelAccuracy", "TrainingStalled"}
    def evaluated():
        groups = get_json(vm.vmalert.url + "/api/v1/rules")["data"]["groups"]
        rules = next(g for g in groups if g["name"] == "active-inference")["rules"]
        return all(r.get("lastEvaluation", "").startswith("20") and not r.get("lastError") for r in rules)

    wait_for(evaluated, 30, what="every shipped rule evaluated without error")


def test_health_via_prometheus(cli, stack, tmp_path):
    vm, urls = stack
    config = _config(tmp_path, vm, token_file=True)

    def read():
        result = cli("--config", config, "health", "check", "--via", "prometheus", "-o", "json")
        if result.exit_code not in (3, 5) or not result.stdout:
            return None
        verdicts = {t["url"]: t["verdict"] for t in result.json()["targets"]}
        return result if verdicts == {urls[0]: "healthy", urls[1]: "healthy", urls[2]: "unreachable"} else None

    result = wait_for(read, 60, interval=2, what="the blackbox probes through VictoriaMetrics")
    assert result.exit_code == 5 and result.json()["prometheus_url"] == vm.prometheus_url


def test_triage(cli, stack, tmp_path):
    vm, urls = stack
    config = _config(tmp_path, vm, urls=urls[:2])
    wait_for(lambda: _up(cli, config), 60, interval=1, what="scrapes")
    result = cli("--config", config, "triage", "-o", "json")
    doc = result.json()
    assert doc["metrics_source"] == "prometheus"
    sources = {s["name"]: s["status"] for s in doc["sources"]}
    assert sources["metrics"] == "ok" and sources["alerts"] == "ok", doc["sources"]
    assert TOKEN not in result.stdout + result.stderr


def test_dashboard(cli, stack, tmp_path):
    vm, _ = stack
    config = _config(tmp_path, vm)
    wait_for(lambda: _up(cli, config), 60, interval=1, what="scrapes")
    result = cli("--config", config, "dashboard", "main", "--once", "--since", "5m", "--source", "prometheus",
                 "-o", "json")
    assert result.exit_code == 0, result.stderr
    doc = result.json()
    assert doc["source"] == "prometheus"
    shown = {p["key"]: p for p in doc["panels"]}
    assert shown["request_rate"]["series"], "no request rate through vmauth"
    assert TOKEN not in result.stdout + result.stderr


@pytest.mark.parametrize("command", [("prom", "query", "up"), ("metrics", "check", "--source", "prometheus"),
                                     ("alerts", "list", "--source", "prometheus"),
                                     ("dashboard", "main", "--once", "--source", "prometheus")])
def test_wrong_token_is_exit_4_naming_the_endpoint(cli, stack, tmp_path, command):
    vm, _ = stack
    config = _config(tmp_path, vm, token="wrong-token-0000000000")
    result = cli("--config", config, *command, "-o", "json")
    assert result.exit_code == 4, (result.stdout, result.stderr)
    # vmauth answers an unknown token with 400 "cannot find the provided auth token"
    assert f"Prometheus at {vm.prometheus_url}: HTTP 400: cannot find the provided auth token" in result.stderr
    assert "wrong-token-0000000000" not in result.stderr + result.stdout  # vmauth echoes it
    assert "Traceback" not in result.stderr


def test_wrong_token_for_alertmanager_is_exit_4(cli, stack, tmp_path):
    vm, _ = stack
    config = _config(tmp_path, vm, token="wrong-token-0000000000")
    result = cli("--config", config, "alerts", "list", "--source", "alertmanager", "-o", "json")
    assert result.exit_code == 4
    assert f"Alertmanager at {vm.alertmanager_url}: HTTP 400" in result.stderr


def test_missing_token_is_exit_4(cli, stack, tmp_path):
    vm, _ = stack
    result = cli("prom", "query", "up", "-o", "json", env={"AIOPS_PROMETHEUS_URL": vm.prometheus_url})
    assert result.exit_code == 4
    assert f"Prometheus at {vm.prometheus_url}: HTTP 401" in result.stderr
    assert "hint: check prometheus.bearer_token" in result.stderr
