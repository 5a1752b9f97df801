"""`aiops alerts list` and `aiops alerts silence ...` against real Prometheus and Alertmanager."""

from __future__ import annotations

import time
import uuid

import pytest

from tests.conftest import free_port
from tests.fakes.exposition import ExpositionServer, exposition
from tests.fakes.http_target import TargetServer
from tests.fakes.prom_stack import get_json, shortened_rules, start_alertmanager, start_prometheus, wait_for


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """A target with low accuracy, Prometheus with short-`for:` rules, Alertmanager receiving."""
    tmp = tmp_path_factory.mktemp("alerts")
    target = ExpositionServer(exposition(gauges={"ai_model_accuracy": 0.5}))
    am = start_alertmanager(tmp)
    rules = shortened_rules(tmp / "rules.yml", names=("LowModelAccuracy", "ApplicationDown"))
    prom = start_prometheus(tmp, jobs={"active-inference": [target.address]}, rule_files=[rules],
                            alertmanager=am.url)
    wait_for(lambda: any(a["labels"]["alertname"] == "LowModelAccuracy"
                         for a in get_json(am.url + "/api/v2/alerts")),
             timeout=40, what="LowModelAccuracy in Alertmanager")
    env = {"AIOPS_PROMETHEUS_URL": prom.url, "AIOPS_ALERTMANAGER_URL": am.url}
    yield env, prom, am, target
    prom.stop()
    am.stop()
    target.stop()


def test_list_merges_prometheus_and_alertmanager(cli, stack):
    env, prom, am, target = stack
    result = cli("alerts", "list", "-o", "json", env=env)
    assert result.exit_code == 0, result.stderr
    doc = result.json()
    assert doc["schema"] == "aiops.prometheus.alerts/v1"
    assert [s["ok"] for s in doc["sources"]] == [True, True]
    (alert,) = [a for a in doc["alerts"] if a["name"] == "LowModelAccuracy"]
    assert alert["state"] == "firing" and alert["sources"] == ["prometheus", "alertmanager"]
    assert (alert["severity"], alert["priority"]) == ("warning", "P2")
    assert alert["summary"] == "Model accuracy has dropped below threshold"
    assert alert["labels"]["instance"] == target.address and alert["since"]
    assert alert["alertmanager_state"] == "active" and alert["fingerprint"]


def test_list_one_source_and_the_table(cli, stack):
    env = stack[0]
    only_am = cli("alerts", "list", "--source", "alertmanager", "-o", "json", env=env).json()
    assert [s["name"] for s in only_am["sources"]] == ["alertmanager"]
    assert only_am["alerts"][0]["sources"] == ["alertmanager"]
    table = cli("alerts", "list", "-o", "table", env=env)
    assert table.exit_code == 0 and "LowModelAccuracy" in table.stdout and "P2" in table.stdout


def test_silence_lifecycle(cli, stack):
    env = stack[0]
    add = ["alerts", "silence", "add", "alertname=LowModelAccuracy", "-d", "10m", "-o", "json"]
    missing = cli(*add, "--author", "alice", env=env)
    assert missing.exit_code == 2 and "--comment" in missing.stderr
    dry = cli(*add, "-c", "INC-7 model retraining", "-a", "alice", "--dry-run", env=env)
    assert dry.exit_code == 0, dry.stderr
    assert dry.json()["done"] is False and dry.json()["silence"]["id"] is None
    assert [a["name"] for a in dry.json()["affected_alerts"]] == ["LowModelAccuracy"]
    assert cli("alerts", "silence", "list", "-o", "json", env=env).json()["silences"] == []

    created = cli(*add, "-c", "INC-7 model retraining", "-a", "alice", env=env)
    assert created.exit_code == 0, created.stderr
    sid = created.json()["silence"]["id"]
    listed = cli("alerts", "silence", "list", "-o", "json", env=env).json()["silences"]
    assert [(s["id"], s["state"], s["created_by"]) for s in listed] == [(sid, "active", "alice")]
    assert listed[0]["matchers"] == ['alertname="LowModelAccuracy"']

    def silenced():
        doc = cli("alerts", "list", "-o", "json", env=env).json()
        return [a for a in doc["alerts"] if a["state"] == "silenced" and sid in a["silenced_by"]]
    wait_for(silenced, timeout=15, what="the alert to show as silenced")

    dry_expire = cli("alerts", "silence", "expire", sid, "--dry-run", "-o", "json", env=env)
    assert dry_expire.exit_code == 0 and dry_expire.json()["silence"]["state"] == "active"
    expired = cli("alerts", "silence", "expire", sid, "-o", "json", env=env)
    assert expired.exit_code == 0 and expired.json()["silence"]["state"] == "expired"
    assert cli("alerts", "silence", "list", "-o", "json", env=env).json()["silences"] == []
    assert sid in {s["id"] for s in cli("alerts", "silence", "list", "--expired", "-o", "json",
                                        env=env).json()["silences"]}
    again = cli("alerts", "silence", "expire", sid, env=env)
    assert again.exit_code == 2 and "already expired" in again.stderr


def test_expire_unknown_or_malformed_id_exits_2(cli, stack):
    env = stack[0]
    unknown = cli("alerts", "silence", "expire", str(uuid.uuid4()), env=env)
    assert unknown.exit_code == 2 and "has no silence" in unknown.stderr
    malformed = cli("alerts", "silence", "expire", "not-a-uuid!", env=env)
    assert malformed.exit_code == 2 and "UUID" in malformed.stderr
    no_match = cli("alerts", "silence", "expire", "abc", env=env)
    assert no_match.exit_code == 2 and "no active silence matches 'abc'" in no_match.stderr


def test_expire_by_a_unique_prefix_and_an_ambiguous_one_lists_the_candidates(cli, stack):
    env = stack[0]
    add = ["alerts", "silence", "add", "alertname=NeverFires", "-d", "10m", "-c", "prefix test", "-a", "alice",
           "-o", "json"]
    ids = [cli(*add, env=env).json()["silence"]["id"] for _ in range(17)]  # two share a first digit
    try:
        listed = cli("alerts", "silence", "list", "-o", "table", env={**env, "COLUMNS": "120"})
        assert ids[0][:8] in listed.stdout and ids[0] not in listed.stdout  # a short, unique prefix
        first = {}
        for sid in ids:
            first.setdefault(sid[0], []).append(sid)
        shared = next(group for group in first.values() if len(group) > 1)
        ambiguous = cli("alerts", "silence", "expire", shared[0][0], env=env)
        assert ambiguous.exit_code == 2 and "ambiguous" in ambiguous.stderr
        assert all(sid in ambiguous.stderr for sid in shared)
        done = cli("alerts", "silence", "expire", shared[0][:13], "-o", "json", env=env)
        assert done.exit_code == 0, done.stderr
        assert done.json()["silence"]["id"] == shared[0] and done.json()["silence"]["state"] == "expired"
    finally:
        for sid in ids:
            cli("alerts", "silence", "expire", sid, env=env)


def test_bad_matcher_is_refused_before_alertmanager(cli, stack):
    env = stack[0]
    result = cli("alerts", "silence", "add", "alertname", "-c", "x", "-a", "y", env=env)
    assert result.exit_code == 2 and "invalid matcher" in result.stderr


def test_alertmanager_down_still_lists_prometheus_alerts_and_exits_5(cli, stack):
    env = dict(stack[0], AIOPS_ALERTMANAGER_URL=f"http://127.0.0.1:{free_port()}")
    result = cli("alerts", "list", "-o", "json", env=env)
    assert result.exit_code == 5
    doc = result.json()
    assert [a["name"] for a in doc["alerts"]] == ["LowModelAccuracy"]
    am = next(s for s in doc["sources"] if s["name"] == "alertmanager")
    assert am["ok"] is False and "connection refused" in am["error"]
    assert "alertmanager: " in result.stderr


@pytest.mark.parametrize("command", [
    ("alerts", "list"), ("alerts", "silence", "list"),
    ("alerts", "silence", "add", "alertname=X", "-c", "why", "-a", "me"),
    ("alerts", "silence", "expire", "6b4f4c4e-5e0c-4d4b-9f8e-2d1c0a6b7c3e"),
])
def test_unreachable_servers_exit_5_within_the_timeout(cli, command):
    silent = TargetServer("hang")
    env = {"AIOPS_PROMETHEUS_URL": f"http://127.0.0.1:{free_port()}", "AIOPS_ALERTMANAGER_URL": silent.url}
    try:
        start = time.monotonic()
        result = cli(*command, "--timeout", "1", env=env)
        elapsed = time.monotonic() - start
    finally:
        silent.close()
    assert result.exit_code == 5, result.stderr
    assert elapsed < 2.5 and "Traceback" not in result.stderr


def test_rules_and_targets_api_report_what_prometheus_loaded(stack):
    from aiops.core.config import load
    from aiops.prometheus import api, http

    env, prom, am, target = stack
    server = http.Server.from_config(load(flags={"prometheus.url": prom.url}), "prometheus.url")

    async def read():
        async with http.session(server) as session:
            return (await api.prometheus_rules(session, server),
                    await api.prometheus_targets(session, server))

    groups, targets = http.run(read())
    rules = {r["name"]: r for g in groups for r in g["rules"]}
    assert set(rules) == {"LowModelAccuracy", "ApplicationDown"}
    assert rules["LowModelAccuracy"]["state"] == "firing" and rules["ApplicationDown"]["state"] == "inactive"
    assert [t["labels"]["job"] for t in targets] == ["active-inference"]
