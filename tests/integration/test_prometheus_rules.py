"""`aiops alerts rules|test` with the real promtool: the shipped tests pass and catch broken rules."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from aiops.catalog import ALERT_RULES
from aiops.prometheus.rules import RULES_FILE, TESTS_FILE, render_rules, shipped_dir
from tests.conftest import require


@pytest.fixture
def promtool():
    return require("promtool", binary=True)


def test_shipped_rules_pass_check_and_unit_tests(cli, promtool):
    result = cli("alerts", "test", "-o", "json")
    assert result.exit_code == 0, result.stdout + result.stderr
    doc = result.json()
    assert doc["ok"] is True and [r["ok"] for r in doc["runs"]] == [True, True]
    assert "SUCCESS: 6 rules found" in doc["runs"][0]["output"]
    assert "check rules" in doc["runs"][0]["command"] and "test rules" in doc["runs"][1]["command"]


# Break each rule the way a careless edit would; the shipped tests must notice every one.
MUTATIONS = {
    "ApplicationDown": ('up{job="active-inference"} == 0', 'up{job="active-inference"} == 2'),
    "HighErrorRate": ('"5.."}[5m]) > 0.1', '"5.."}[5m]) > 0.01'),
    "MemoryLeak": ("> 100000000", "> 150000000"),
    "HighResponseTime": ("[5m])) > 1", "[5m])) > 0.3"),
    "LowModelAccuracy": ("ai_model_accuracy < 0.8", "ai_model_accuracy <= 0.8"),
    "TrainingStalled": ("for: 1h", "for: 3h"),
}


@pytest.mark.parametrize("rule", [r.name for r in ALERT_RULES])
def test_the_shipped_tests_catch_a_broken_rule(cli, promtool, tmp_path, rule):
    old, new = MUTATIONS[rule]
    text = render_rules()
    start = text.index(f"- alert: {rule}\n")
    end = text.find("- alert:", start + 1)
    end = len(text) if end == -1 else end
    assert old in text[start:end], f"mutation for {rule} does not apply"
    (tmp_path / RULES_FILE).write_text(text[:start] + text[start:end].replace(old, new, 1) + text[end:])
    shutil.copy(shipped_dir() / TESTS_FILE, tmp_path / TESTS_FILE)
    result = cli("alerts", "test", "--rules", str(tmp_path / RULES_FILE),
                 "--tests", str(tmp_path / TESTS_FILE), "-o", "json")
    assert result.exit_code == 3, result.stdout
    runs = result.json()["runs"]
    assert runs[0]["ok"] is True and runs[1]["ok"] is False
    assert f"alertname: {rule}" in runs[1]["output"]


def test_exported_rule_file_is_valid_and_never_overwritten_silently(cli, promtool, tmp_path):
    out = tmp_path / "ai.rules.yml"
    first = cli("alerts", "rules", "--out", str(out), "-o", "json")
    assert first.exit_code == 0 and first.json()["rules"] == [r.name for r in ALERT_RULES]
    checked = subprocess.run([promtool, "check", "rules", str(out)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    out.write_text("# local edits\n")
    again = cli("alerts", "rules", "--out", str(out))
    assert again.exit_code == 2 and "--force" in again.stderr
    assert out.read_text() == "# local edits\n"
    assert cli("alerts", "rules", "--out", str(out), "--force").exit_code == 0
    assert out.read_text() == render_rules()


def test_rules_to_stdout_are_yaml_unless_json_is_asked_for(cli):
    assert cli("alerts", "rules").stdout == render_rules()
    assert cli("alerts", "rules", "-o", "json").json()["path"] is None


def test_an_invalid_rule_file_fails_the_check(cli, promtool, tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("groups:\n- name: x\n  rules:\n  - alert: Broken\n    expr: rate(up[5\n")
    result = cli("alerts", "test", "--rules", str(bad), "-o", "json")
    assert result.exit_code == 3
    (run,) = result.json()["runs"]
    assert run["ok"] is False and "parse error" in run["output"]


def test_missing_promtool_or_file_exits_2(cli, tmp_path):
    missing = cli("alerts", "test", "--promtool", str(tmp_path / "no-promtool"))
    assert missing.exit_code == 2 and "promtool not found" in missing.stderr
    nofile = cli("alerts", "test", "--rules", str(tmp_path / "none.yml"))
    assert nofile.exit_code == 2
