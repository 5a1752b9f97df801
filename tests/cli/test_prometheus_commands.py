"""The Prometheus command groups' flags, help and rendering, without servers."""

from __future__ import annotations

import math

import pytest

from aiops.cli.tables import fmt
from aiops.cli.tables import spark as sparkline
from tests.conftest import free_port

DOWN = {"AIOPS_PROMETHEUS_URL": "http://127.0.0.1:1", "AIOPS_ALERTMANAGER_URL": "http://127.0.0.1:1"}


def test_sparkline_scales_gaps_and_compresses():
    assert sparkline([0, 1, 2, 3, 4, 5, 6, 7]) == "▁▂▃▄▅▆▇█"
    assert sparkline([3.0, 3.0, 3.0]) == "▁▁▁"
    assert sparkline([1.0, math.nan, 2.0]) == "▁ █"
    assert len(sparkline(list(range(500)), width=40)) == 40
    assert sparkline([]) == ""


def test_fmt():
    assert (fmt(None), fmt(0.0), fmt(123456.0), fmt(math.inf), fmt(math.nan)) == ("-", "0", "1.235e+05", "inf", "nan")


@pytest.mark.parametrize("command", [
    ("prom", "query"), ("prom", "range"), ("metrics", "check"), ("alerts", "rules"),
    ("alerts", "test"), ("alerts", "list"), ("alerts", "silence", "add"),
    ("alerts", "silence", "list"), ("alerts", "silence", "expire"), ("capacity", "check")])
def test_every_command_has_help_with_an_example(cli, command):
    result = cli(*command, "--help")
    assert result.exit_code == 0
    assert "Example" in result.stdout and "aiops " + " ".join(command) in result.stdout


def test_silence_without_comment_or_author_exits_2_before_any_request(cli):
    no_comment = cli("alerts", "silence", "add", "alertname=HighErrorRate", "--author", "alice", env=DOWN)
    assert no_comment.exit_code == 2 and "--comment" in no_comment.stderr
    no_author = cli("alerts", "silence", "add", "alertname=HighErrorRate", "-c", "INC-1", env=DOWN)
    assert no_author.exit_code == 2 and "--author" in no_author.stderr
    no_matcher = cli("alerts", "silence", "add", "-c", "INC-1", "-a", "alice", env=DOWN)
    assert no_matcher.exit_code == 2


@pytest.mark.parametrize("args,message", [
    (("metrics", "check", "--source", "carrier-pigeon"), "--source"),
    (("metrics", "check", "--window", "soon"), "--window"),
    (("prom", "range", "up", "--step", "0s"), "--step"),
    (("prom", "range", "up", "--since", "1h", "--until", "2h"), "--since"),
    (("prom", "query", "up", "--time", "yesterday-ish"), "--time"),
    (("prom", "query", " "), "empty PromQL"),
    (("alerts", "list", "--source", "carrier-pigeon"), "--source"),
    (("alerts", "silence", "add", "alertname=X", "-c", "x", "-a", "y", "-d", "forever"), "--duration"),
])
def test_bad_flags_exit_2(cli, args, message):
    result = cli(*args, env=DOWN)
    assert result.exit_code == 2, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr


def test_unreachable_prometheus_for_capacity_exits_5(cli):
    result = cli("capacity", "check", env={"AIOPS_PROMETHEUS_URL": f"http://127.0.0.1:{free_port()}"})
    assert result.exit_code == 5 and "connection refused" in result.stderr
