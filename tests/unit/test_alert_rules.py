"""The shipped rule file is exactly what the catalog generates; its unit tests cover every rule."""

from __future__ import annotations

import pytest
import yaml  # a runtime dependency of aiops

from aiops.catalog import ALERT_RULES
from aiops.core.errors import UsageError
from aiops.prometheus.rules import RULES_FILE, TESTS_FILE, export_rules, render_rules, rule_groups, shipped_dir


def test_shipped_rule_file_matches_the_catalog():
    shipped = (shipped_dir() / RULES_FILE).read_text(encoding="utf-8")
    assert shipped == render_rules(), "regenerate it: aiops alerts rules --out aiops/catalog/rules/" \
                                      "active-inference.rules.yml --force"


def test_rendered_rules_carry_each_runbook_rule_verbatim():
    doc = yaml.safe_load(render_rules())
    assert doc == rule_groups()
    rules = doc["groups"][0]["rules"]
    assert [r["alert"] for r in rules] == [r.name for r in ALERT_RULES]
    for rendered, rule in zip(rules, ALERT_RULES):
        assert rendered["expr"] == rule.expr
        assert rendered["for"] == rule.for_
        assert rendered["labels"] == {"severity": rule.severity, "priority": rule.priority}
        assert rendered["annotations"] == {"summary": rule.summary}


def test_shipped_unit_tests_make_every_rule_fire_and_stay_quiet():
    tests = yaml.safe_load((shipped_dir() / TESTS_FILE).read_text(encoding="utf-8"))
    assert tests["rule_files"] == [RULES_FILE]
    fired, quiet = set(), set()
    for group in tests["tests"]:
        for case in group["alert_rule_test"]:
            (fired if case["exp_alerts"] else quiet).add(case["alertname"])
            for alert in case["exp_alerts"]:
                rule = next(r for r in ALERT_RULES if r.name == case["alertname"])
                assert alert["exp_labels"]["severity"] == rule.severity
                assert alert["exp_annotations"]["summary"] == rule.summary
    names = {r.name for r in ALERT_RULES}
    assert fired == names and quiet == names


def test_export_writes_and_refuses_to_overwrite(tmp_path):
    out = tmp_path / "rules" / "ai.rules.yml"
    written = export_rules(out)
    assert out.read_text() == render_rules() and written.rules == [r.name for r in ALERT_RULES]
    out.write_text("mine")
    with pytest.raises(UsageError, match="already exists"):
        export_rules(out)
    assert out.read_text() == "mine"
    export_rules(out, force=True)
    assert out.read_text() == render_rules()


def test_export_to_a_directory_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="is a directory"):
        export_rules(tmp_path, force=True)
