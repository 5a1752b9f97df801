"""What servers answer: /health bodies, /metrics exposition, Prometheus and Alertmanager JSON.

Every example goes through the parser (``judge_health_body``, ``judge_metrics``, the scrape
parser) or the real command against a real HTTP server answering the mutated body: exit 0, 3
(the check failed) or 5 (the server answered garbage), with one ``error:`` line for 5, never
exit 1 and never a traceback.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.fakes.http_target import HEALTHY_BODY, METRICS_TEXT
from tests.fakes.scripted_http import ALERTMANAGER, PROMETHEUS, ScriptedServer
from tests.fuzz.conftest import examples
from tests.fuzz.strategies import DEEP, TEXT, body_of, nested

# hypothesis warns when a generated example is large to print (10 MB bodies are the point)
pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")

CONTENT_TYPES = st.sampled_from(["application/json", "text/html", "text/plain", "", "application/x-www-form-urlencoded",
                                 "application/json; charset=latin-1", "image/png"])


def assert_documented(result, codes=(0, 3, 5)) -> None:
    assert "Traceback" not in result.stderr
    assert result.exit_code in codes, (result.exit_code, result.stderr[-500:])
    if result.exit_code == 5:
        assert len([line for line in result.stderr.splitlines() if line.startswith("error:")]) == 1


@pytest.fixture(scope="module")
def target():
    with ScriptedServer() as server:
        server.answer("/health", json.dumps(HEALTHY_BODY).encode())
        server.answer("/ready", b'{"status": "ready"}')
        server.answer("/live", b'{"status": "alive"}')
        server.answer("/metrics", METRICS_TEXT.encode(), content_type="text/plain")
        yield server


@examples(400)
@given(body_of(HEALTHY_BODY), st.sampled_from([200, 200, 503, 500, 204, 301, 404]), CONTENT_TYPES)
@example(nested(5000).encode(), 200, "application/json")
@example(b'{"status": "healthy", "checks": ' + nested(900).encode() + b"}", 200, "application/json")
def test_health_bodies(cli, target, door, body, status, content_type):
    from aiops.core.http import Response
    from aiops.health.rules import judge_health_body

    door("/health bodies (parser)")()
    parsed, problems, severity = judge_health_body(Response("u", status, {}, body, 0.01, content_type))
    assert severity in ("degraded", "unhealthy") and all(isinstance(p, str) for p in problems)
    if status == 200 and problems == [] and parsed is not None:
        assert parsed.get("status") in (None, "healthy")
    if not door.sample("/health bodies (health check over HTTP)", body, one_in=5, cap=25):
        return
    target.answer("/health", body, status=status, content_type=content_type)
    result = cli("health", "check", target.url, "--timeout", "2", "-o", "json")
    assert_documented(result)
    assert json.loads(result.stdout)["targets"][0]["verdict"] in ("healthy", "degraded", "unhealthy")


LINE = st.one_of(
    st.sampled_from(["# TYPE ai_model_accuracy gauge", "# TYPE x counter", "# TYPE x histogram",
                     "# HELP x \\n\\\\ help", "# TYPE x summary", "# EOF", "# TYPE x untyped",
                     "# TYPE x gaugehistogram", "# UNIT x seconds", "#", ""]),
    st.builds(lambda name, labels, value, ts: f"{name}{labels} {value}{ts}",
              st.sampled_from(["ai_model_accuracy", "x", "x_total", "x_bucket", "x_count", "1x",
                               "ai_inference_duration_seconds_bucket", "é", "a:b"]),
              st.one_of(st.just(""), st.just('{le="+Inf"}'), st.just('{a="b",a="c"}'),
                        st.just('{a="\\"}'), st.just("{"), TEXT.map(lambda t: "{a=" + json.dumps(t) + "}")),
              st.one_of(st.sampled_from(["NaN", "+Inf", "-Inf", "1e309", "-0", "0x10", "1_000", "",
                                         "9" * 400]), st.floats().map(repr)),
              st.sampled_from(["", " 1769594400000", " -1", " 1e30", " x"])),
    TEXT)
EXPOSITION = st.one_of(st.lists(LINE, max_size=30).map("\n".join),
                       st.builds(lambda a, b: a + b, st.just(METRICS_TEXT), st.lists(LINE, max_size=5).map("\n".join)),
                       st.binary(max_size=400).map(lambda b: b.decode("utf-8", "replace")))


@examples(400)
@given(EXPOSITION)
@example("x " + "1" * 100_000)
@example(METRICS_TEXT * 200)
def test_metrics_exposition(cli, target, door, text):
    from aiops.catalog import METRICS
    from aiops.health.rules import judge_metrics
    from aiops.prometheus.scrape import parse

    door("/metrics exposition (parsers)")()
    present, missing, problem = judge_metrics(text, [m.name for m in METRICS])
    assert set(present) | set(missing) == {m.name for m in METRICS} and (problem is None or problem)
    snapshot = parse(text, "http://t", 0.0)
    assert snapshot.ok or snapshot.error.startswith("unparsable /metrics")
    data = text.encode("utf-8", "surrogatepass")
    if not door.sample("/metrics exposition (health check over HTTP)", data, one_in=5, cap=25):
        return
    target.answer("/health", json.dumps(HEALTHY_BODY).encode(), status=200)
    target.answer("/metrics", data, content_type="text/plain; version=0.0.4")
    assert_documented(cli("health", "check", target.url, "--timeout", "2", "-o", "json"))


# Prometheus and Alertmanager: each command against a server answering one mutated document.
PROM_COMMANDS = {
    "/api/v1/query": [("prom", "query", "up"), ("metrics", "check", "--source", "prometheus")],
    "/api/v1/query_range": [("prom", "range", "up", "--since", "1h")],
    "/api/v1/alerts": [("alerts", "list", "--source", "prometheus")],
    "/api/v1/targets": [("health", "check", "--discover", "active-inference")],
}
AM_COMMANDS = {
    "/api/v2/alerts": [("alerts", "list", "--source", "alertmanager")],
    "/api/v2/silences": [("alerts", "silence", "list")],
}


@pytest.fixture(scope="module")
def prometheus():
    with ScriptedServer(PROMETHEUS) as server:
        yield server


@pytest.fixture(scope="module")
def alertmanager():
    with ScriptedServer(ALERTMANAGER) as server:
        yield server


def _env(prometheus, alertmanager):
    return {"AIOPS_PROMETHEUS_URL": prometheus.url, "AIOPS_ALERTMANAGER_URL": alertmanager.url,
            "AIOPS_TIMEOUT": "2"}


def test_the_seeds_are_answers_aiops_understands(cli, prometheus, alertmanager):
    """Unmutated, every command succeeds: the fuzzing starts from documents that work."""
    env = _env(prometheus, alertmanager)
    for commands in (*PROM_COMMANDS.values(), *AM_COMMANDS.values()):
        for args in commands:
            result = cli(*args, "-o", "json", env=env)
            expected = (5,) if "--discover" in args else (0, 3)  # the discovered target is closed
            assert result.exit_code in expected, (args, result.stderr)
            assert "unexpected answer" not in result.stderr and "rejected" not in result.stderr


SERVERS = {"Prometheus": (PROMETHEUS, PROM_COMMANDS, "prometheus"),
           "Alertmanager": (ALERTMANAGER, AM_COMMANDS, "alertmanager")}


@pytest.mark.parametrize("name", sorted(SERVERS))
@examples(40)
@given(data=st.data())
def test_server_answers(cli, prometheus, alertmanager, door, name, data):
    seeds, commands, which = SERVERS[name]
    server = {"prometheus": prometheus, "alertmanager": alertmanager}[which]
    door(f"{name} JSON answers")()
    path = data.draw(st.sampled_from(sorted(commands)))
    body = data.draw(body_of(seeds[path]))
    status = data.draw(st.sampled_from([200, 200, 200, 400, 422, 500, 503]))
    server.answer(path, body, status=status, content_type=data.draw(CONTENT_TYPES))
    try:
        for args in commands[path]:
            assert_documented(cli(*args, "-o", "json", env=_env(prometheus, alertmanager)), (0, 2, 3, 5))
    finally:
        server.answer(path, json.dumps(seeds[path]).encode())


@given(DEEP)
@examples(5)
def test_deep_answers_everywhere(cli, prometheus, alertmanager, door, text):
    """Deep nesting from every JSON server at once (a RecursionError anywhere is exit 1)."""
    door("deeply nested JSON from every server")()
    for server, seeds in ((prometheus, PROMETHEUS), (alertmanager, ALERTMANAGER)):
        for path in seeds:
            server.answer(path, b'{"status": "success", "data": ' + text.encode() + b"}")
    try:
        for commands in (*PROM_COMMANDS.values(), *AM_COMMANDS.values()):
            for args in commands:
                assert_documented(cli(*args, "-o", "json", env=_env(prometheus, alertmanager)), (0, 2, 3, 5))
    finally:
        for server, seeds in ((prometheus, PROMETHEUS), (alertmanager, ALERTMANAGER)):
            for path, doc in seeds.items():
                server.answer(path, json.dumps(doc).encode())
