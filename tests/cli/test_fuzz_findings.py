"""The defects the fuzz suite (tests/fuzz/) found, each pinned by one plain example.

Every one was an exit 1 (internal error) or a hang on input a server or a user controls.
"""

from __future__ import annotations

import time

import pytest

from tests.fakes.pagerduty_sim import pagerduty_sim  # noqa: F401 (fixture)
from tests.fakes.scripted_http import ALERTMANAGER, PROMETHEUS, ScriptedServer
from tests.fuzz.strategies import nested

ALIAS_BOMB = ('a: &a ["x","x","x","x","x","x","x","x","x"]\n' + "".join(
    f"{n}: &{n} [{','.join(['*' + p] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi")))


@pytest.mark.parametrize("text", [ALIAS_BOMB, "steps: &x [*x]\n", "steps: " + nested(990) + "\n"],
                         ids=["alias bomb (hung)", "alias loop", "990 levels"])
def test_hostile_playbooks_are_exit_2_quickly(cli, tmp_path, text):
    path = tmp_path / "p.yaml"
    path.write_text(text)
    start = time.monotonic()
    result = cli("playbook", "validate", str(path), "-o", "json")
    assert result.exit_code == 2 and "internal error" not in result.stderr
    assert time.monotonic() - start < 10


def test_log_lines_nested_deeply_are_invalid_json_not_a_crash(cli, tmp_path):
    path = tmp_path / "app.jsonl"
    path.write_text('{"correlation_id": "req-1", "timestamp": "2026-01-28T10:00:00Z", "context": '
                    + nested(3000) + "}\n")
    result = cli("logs", "trace", "req-1", "--file", str(path), "--since", "2026-01-01T00:00:00Z",
                 "--until", "2026-02-01T00:00:00Z", "-o", "json")
    assert result.exit_code == 0, result.stderr
    assert result.json()["summary"]["skipped"]["invalid_json"] == 1


def test_a_metric_value_too_large_for_a_float_is_infinite():
    from aiops.prometheus.scrape import parse

    assert parse("ai_model_accuracy " + "9" * 400 + "\n", "t", 0).samples == {
        "ai_model_accuracy": {frozenset(): float("inf")}}


def test_a_deeply_nested_health_body_is_a_finding(cli):
    with ScriptedServer() as server:
        server.answer("/health", nested(5000).encode())
        for path in ("/ready", "/live", "/metrics"):
            server.answer(path, b"ok", content_type="text/plain")
        result = cli("health", "check", server.url, "--timeout", "2", "-o", "json")
    assert result.exit_code == 3, result.stderr
    assert "nested deeper than 64 levels" in result.json()["targets"][0]["reasons"][0]


@pytest.mark.parametrize("server, path, body, args", [
    ("alertmanager", "/api/v2/alerts", b"[null]", ("alerts", "list", "--source", "alertmanager")),
    ("alertmanager", "/api/v2/silences", b'[{"matchers": 7}]', ("alerts", "silence", "list")),
    ("prometheus", "/api/v1/query", b'{"status": "success", "data": {"resultType": "vector", '
                                    b'"result": [null]}}', ("prom", "query", "up")),
    ("prometheus", "/api/v1/query", nested(2000).encode(), ("prom", "query", "up")),
    ("prometheus", "/api/v1/alerts", b'{"status": "success", "data": {"alerts": [{"labels": 1}]}}',
     ("alerts", "list", "--source", "prometheus")),
])
def test_garbage_from_prometheus_or_alertmanager_is_exit_5(cli, server, path, body, args):
    with ScriptedServer(PROMETHEUS) as prom, ScriptedServer(ALERTMANAGER) as am:
        {"prometheus": prom, "alertmanager": am}[server].answer(path, body)
        result = cli(*args, "-o", "json", env={"AIOPS_PROMETHEUS_URL": prom.url,
                                               "AIOPS_ALERTMANAGER_URL": am.url, "AIOPS_TIMEOUT": "2"})
    assert result.exit_code == 5, result.stderr
    assert "internal error" not in result.stderr


def test_garbage_from_pagerduty_is_exit_5(cli, pagerduty_sim):
    sim = pagerduty_sim
    inc = sim.create_incident()
    sim.mutate("GET", "/incidents", lambda body: {"incidents": [{"id": 7, "status": []}]})
    listed = cli("incident", "list", "-o", "json", env=sim.env())
    assert listed.exit_code == 5 and "malformed body" in listed.stderr, listed.stderr
    sim.mutate("GET", "/incidents/.+/notes", lambda body: nested(3000).encode())
    shown = cli("incident", "show", inc["id"], "-o", "json", env=sim.env())
    assert shown.exit_code == 5 and "internal error" not in shown.stderr, shown.stderr
