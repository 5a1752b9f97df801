"""--speed: rules, windows and intervals derived mechanically from the one rule catalog."""

from __future__ import annotations

import re

import pytest
import yaml

from aiops.catalog import ALERT_RULES
from aiops.core.errors import UsageError
from aiops.core.timewindow import parse_duration
from aiops.lab.stack.timing import rule_groups, timing
from aiops.prometheus.rules import shipped_dir


def test_speed_1_is_the_shipped_rule_file_unchanged():
    shipped = yaml.safe_load((shipped_dir() / "active-inference.rules.yml").read_text())
    assert rule_groups(timing(1)) == shipped
    t = timing(1)
    assert (t.scrape_s, t.evaluation_s) == (15.0, 15.0)


@pytest.mark.parametrize("speed", [2, 10, 60, 600])
def test_every_duration_is_divided_and_nothing_else_changes(speed):
    t = timing(speed)
    rules = rule_groups(t)["groups"][0]["rules"]
    assert [r["alert"] for r in rules] == [r.name for r in ALERT_RULES]
    windows = re.compile(r"\[(\d+[smhd])\]")
    for rule, source in zip(rules, ALERT_RULES):
        assert parse_duration(rule["for"]) == pytest.approx(parse_duration(source.for_) / speed, abs=1e-3) \
            if parse_duration(source.for_) / speed >= 0.001 else True
        assert windows.sub("[W]", rule["expr"]) == windows.sub("[W]", source.expr)  # same PromQL otherwise
        for got, was in zip(windows.findall(rule["expr"]), windows.findall(source.expr)):
            assert parse_duration(got) == pytest.approx(max(parse_duration(was) / speed, 4 * t.scrape_s))
        assert rule["labels"] == {"severity": source.severity, "priority": source.priority}
    assert t.scrape_s == max(1.0, 15.0 / speed)


@pytest.mark.parametrize("speed", [0, 0.5, 3601])
def test_speed_outside_the_range_is_a_usage_error(speed):
    with pytest.raises(UsageError):
        timing(speed)
