"""The catalog must say exactly what the runbook says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from aiops.catalog import ALERT_RULES, BASELINES, METRICS, P1_TIMELINE, SEVERITIES, rule_by_name
from aiops.core.errors import UsageError
from tests.conftest import IN_CI, require

RUNBOOK = Path(__file__).resolve().parents[3] / "shared" / "spec" / "runbook.md"


@pytest.fixture(scope="module")
def runbook() -> str:
    if not RUNBOOK.is_file():
        if IN_CI:
            pytest.fail(f"runbook not found at {RUNBOOK}")
        pytest.skip("runbook not beside the checkout")
    return RUNBOOK.read_text()


def test_alert_rules_match_the_runbook_verbatim(runbook):
    yaml = require("yaml")
    blocks = [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", runbook, re.S)]
    documented = {b["alert"]: b for b in blocks if "alert" in b}
    assert set(documented) == {r.name for r in ALERT_RULES}
    for rule in ALERT_RULES:
        doc = documented[rule.name]
        assert (rule.expr, rule.for_, rule.severity, rule.summary) == (
            doc["expr"], doc["for"], doc["severity"], doc["summary"])


def test_every_runbook_metric_is_catalogued(runbook):
    names = set(re.findall(r"^\| `([a-z_]+)` \|", runbook, re.M))
    assert names == {m.name for m in METRICS}


def test_baseline_wording_matches_the_runbook(runbook):
    for b in BASELINES:
        assert f"| {b.text[0]} | {b.text[1]} | {b.text[2]} |" in runbook


@pytest.mark.parametrize("name,value,band", [
    ("inference_latency_p95", 0.05, "target"), ("inference_latency_p95", 0.3, "acceptable"),
    ("inference_latency_p95", 0.7, "warning"), ("inference_latency_p95", 1.5, "critical"),
    ("model_accuracy", 0.97, "target"), ("model_accuracy", 0.85, "acceptable"),
    ("model_accuracy", 0.75, "warning"), ("model_accuracy", 0.6, "critical"),
    ("error_rate", 6.0, "critical"), ("memory_usage", 40.0, "target"),
])
def test_baseline_bands(name, value, band):
    assert next(b for b in BASELINES if b.name == name).band(value) == band


def test_p1_timeline_and_severities(runbook):
    assert [m.within_seconds for m in P1_TIMELINE] == [300, 900, 3600, 86400]
    assert set(SEVERITIES) == {"P1", "P2", "P3", "P4"}
    assert "within 5 minutes" in runbook and "within 24 hours" in runbook


def test_rule_by_name_lists_known_rules():
    assert rule_by_name("memoryleak").name == "MemoryLeak"
    with pytest.raises(UsageError, match="known: ApplicationDown"):
        rule_by_name("Nope")
