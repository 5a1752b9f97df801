"""`aiops prom query|range` against a real Prometheus scraping a static exposition server."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from tests.conftest import free_port
from tests.fakes.exposition import ExpositionServer, exposition
from tests.fakes.http_target import TargetServer
from tests.fakes.prom_stack import get_json, start_prometheus, wait_for


def _stored_by(url: str, at: int) -> int | None:
    """``at`` when the minute up to it holds four samples, 3 s of them (never changes after)."""
    result = get_json(f"{url}/api/v1/query?query=count_over_time(ai_model_accuracy[1m])&time={at}")
    return at if result["data"]["result"] and float(result["data"]["result"][0]["value"][1]) >= 4 else None


@pytest.fixture(scope="module")
def prom(tmp_path_factory):
    """Prometheus scraping one target every second, with a few samples already stored.

    ``extra["until"]``: a past whole second whose preceding minute is known to hold four
    samples. Range tests end there, not at the wall clock's now: the client rounds a range's
    start and end to whole seconds, so "the last minute" right after the third scrape could
    end before it and hold two points; a 1 s grid over 3 s of samples always holds three.
    """
    target = ExpositionServer(exposition(gauges={"ai_model_accuracy": 0.91, "zero_gauge": 0.0}))
    server = start_prometheus(tmp_path_factory.mktemp("prom"), jobs={"active-inference": [target.address]})
    server.extra["until"] = wait_for(lambda: _stored_by(server.url, int(time.time()) - 1),
                                     timeout=30, what="four scrapes")
    server.extra["target"] = target
    yield server
    server.stop()
    target.stop()


def run(cli, prom_url, *args):
    return cli("prom", *args, "-o", "json", env={"AIOPS_PROMETHEUS_URL": prom_url})


def test_instant_query_returns_series_with_labels(cli, prom):
    result = run(cli, prom.url, "query", 'ai_model_accuracy{job="active-inference"}')
    assert result.exit_code == 0, result.stderr
    doc = result.json()
    assert doc["result_type"] == "vector" and doc["no_data"] is False
    (series,) = doc["series"]
    assert series["value"] == 0.91
    assert series["labels"]["__name__"] == "ai_model_accuracy"
    assert series["labels"]["job"] == "active-inference"


def test_zero_is_a_value_and_an_empty_result_is_no_data(cli, prom):
    zero = run(cli, prom.url, "query", "zero_gauge").json()
    assert zero["no_data"] is False and zero["series"][0]["value"] == 0.0
    empty = run(cli, prom.url, "query", "no_such_metric")
    assert empty.exit_code == 0
    assert empty.json()["no_data"] is True and empty.json()["series"] == []
    table = cli("prom", "query", "no_such_metric", "-o", "table", env={"AIOPS_PROMETHEUS_URL": prom.url})
    assert "no data" in table.stdout


def test_scalar_and_matrix_results(cli, prom):
    scalar = run(cli, prom.url, "query", "1 + 1").json()
    assert scalar["result_type"] == "scalar" and scalar["series"][0]["value"] == 2.0
    matrix = run(cli, prom.url, "query", "ai_model_accuracy[30s]").json()
    assert matrix["result_type"] == "matrix" and len(matrix["series"][0]["values"]) >= 3


def test_query_at_a_time_before_any_data_is_no_data(cli, prom):
    result = run(cli, prom.url, "query", "ai_model_accuracy", "--time", "2h")
    assert result.exit_code == 0 and result.json()["no_data"] is True


def test_range_query_json_and_sparkline(cli, prom):
    until = dt.datetime.fromtimestamp(prom.extra["until"], dt.timezone.utc)
    window = ("--since", (until - dt.timedelta(minutes=1)).isoformat(), "--until", until.isoformat())
    result = run(cli, prom.url, "range", "ai_model_accuracy", *window, "--step", "1s")
    assert result.exit_code == 0, result.stderr
    doc = result.json()
    assert doc["step_seconds"] == 1 and doc["no_data"] is False
    assert len(doc["series"][0]["values"]) >= 3
    assert all(v == 0.91 for _, v in doc["series"][0]["values"])
    table = cli("prom", "range", "ai_model_accuracy", *window, "-o", "table",
                env={"AIOPS_PROMETHEUS_URL": prom.url})
    assert table.exit_code == 0 and "▁" in table.stdout  # a flat sparkline


def test_invalid_promql_exits_2_with_prometheus_message(cli, prom):
    result = run(cli, prom.url, "query", "rate(up[5")
    assert result.exit_code == 2
    assert "bad_data" in result.stderr and "parse error" in result.stderr
    assert "Traceback" not in result.stderr
    too_many = run(cli, prom.url, "range", "up", "--since", "2d", "--step", "1s")
    assert too_many.exit_code == 2 and "11000 points" in too_many.stderr


@pytest.mark.parametrize("args", [("query", "up"), ("range", "up", "--since", "5m")])
def test_refused_connection_exits_5_fast(cli, args):
    start = time.monotonic()
    result = cli("prom", *args, "--timeout", "2", env={"AIOPS_PROMETHEUS_URL": f"http://127.0.0.1:{free_port()}"})
    assert result.exit_code == 5
    assert "connection refused" in result.stderr
    assert time.monotonic() - start < 1.5  # no hidden retries


def test_silent_server_exits_5_within_the_timeout(cli):
    silent = TargetServer("hang")
    try:
        start = time.monotonic()
        result = cli("prom", "query", "up", "--timeout", "1", env={"AIOPS_PROMETHEUS_URL": silent.url})
        elapsed = time.monotonic() - start
    finally:
        silent.close()
    assert result.exit_code == 5 and "timed out after 1s" in result.stderr
    assert elapsed < 2.5


def test_a_server_that_is_not_prometheus_is_not_a_crash(cli):
    other = ExpositionServer("")
    try:
        result = cli("prom", "query", "up", env={"AIOPS_PROMETHEUS_URL": other.url})
    finally:
        other.stop()
    assert result.exit_code == 2 and "HTTP 404" in result.stderr


def test_health_check_discovers_its_targets_from_prometheus(cli, prom):
    env = {"AIOPS_PROMETHEUS_URL": prom.url}
    result = cli("health", "check", "--discover", "active-inference", "-o", "json", env=env)
    assert [t["url"] for t in result.json()["targets"]] == [prom.extra["target"].url]
    unknown = cli("health", "check", "--discover", "nope", env=env)
    assert unknown.exit_code == 2 and "no active targets for job 'nope'" in unknown.stderr
    down = cli("health", "check", "--discover", "active-inference", "--timeout", "1",
               env={"AIOPS_PROMETHEUS_URL": f"http://127.0.0.1:{free_port()}"})
    assert down.exit_code == 5 and "connection refused" in down.stderr
