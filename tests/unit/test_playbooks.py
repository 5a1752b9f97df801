"""Playbooks: every shipped one validates; a bad one is rejected with file, line and field."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from aiops.catalog import ALERT_RULES
from aiops.core.errors import UsageError
from aiops.playbooks import Condition, PlaybookInvalid, check_text, load_file, load_library, shipped_dir, validate_files
from aiops.playbooks.steps import ACTIONS
from aiops.playbooks.validation import parse_condition

ROOT = Path(__file__).resolve().parents[2]
PROCEDURES = ("high-memory", "slow-inference", "training-issues")

GOOD = """\
name: my-check
title: My check
severity: warning
alerts: [MyAlert]
signals: [metrics.model_accuracy]
steps:
  - name: Accuracy
    action: metrics.check
    with: {checks: [model_accuracy]}
    expect: {model_accuracy: ">= 0.8"}
  - name: Look at it
    manual: open the dashboard
"""


def test_every_shipped_playbook_validates():
    report = validate_files()
    assert report.exit_code() == 0, [str(p) for f in report.files for p in f.problems]
    assert len(report.files) == 9


def test_one_playbook_per_runbook_alert_and_procedure():
    library = load_library()
    for rule in ALERT_RULES:
        playbook = library.for_alert(rule.name)
        assert playbook is not None and playbook.kind == "alert", rule.name
        assert playbook.severity == rule.severity, rule.name
    assert set(PROCEDURES) <= set(library.names)
    assert all(library.get(name).kind == "procedure" for name in PROCEDURES)


def test_every_action_is_used_by_some_shipped_playbook():
    used = {s.action for p in load_library().playbooks for s in p.steps if s.automated}
    assert used == set(ACTIONS)


def test_the_repository_playbooks_are_the_package_data():
    """One copy: playbooks/ at the root is the directory the installed package ships."""
    assert (ROOT / "playbooks").resolve() == shipped_dir().resolve() == (ROOT / "aiops" / "playbooks" / "library").resolve()
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "playbooks/library/*.yaml" in pyproject["tool"]["setuptools"]["package-data"]["aiops"]


@pytest.mark.parametrize("text, line, field, message", [
    (GOOD.replace("name: my-check", "name: My Check"), 1, "name", "lower-case words"),
    (GOOD.replace("severity: warning", "severity: urgent"), 3, "severity", "one of critical, warning, info"),
    (GOOD.replace("severity: warning\n", ""), 1, "severity", "required"),
    (GOOD.replace("signals: [metrics.model_accuracy]", "signals: [metrics.nope]"), 5, "signals[0]",
     "unknown signal 'metrics.nope'"),
    (GOOD.replace("action: metrics.check", "action: metrics.chek"), 8, "steps[0].action",
     "unknown action 'metrics.chek'"),
    (GOOD.replace("{checks: [model_accuracy]}", "{checks: [accuracy]}"), 9, "steps[0].with.checks",
     "unknown value 'accuracy'"),
    (GOOD.replace("{checks: [model_accuracy]}", "{window: 5x}"), 9, "steps[0].with.window", "invalid duration"),
    (GOOD.replace("{checks: [model_accuracy]}", "{colour: red}"), 9, "steps[0].with.colour",
     "unknown parameter of metrics.check"),
    (GOOD.replace('{model_accuracy: ">= 0.8"}', '{accuracy: ">= 0.8"}'), 10, "steps[0].expect.accuracy",
     "has no result field 'accuracy'"),
    (GOOD.replace('">= 0.8"', '"> high"'), 10, "steps[0].expect.model_accuracy", "> needs a number"),
    (GOOD.replace("    manual: open the dashboard", "    manual: open it\n    action: health.check"), 13,
     "steps[1].action", "a manual step has no action"),
    (GOOD.replace("    manual: open the dashboard\n", ""), 11, "steps[1]", "needs 'action'"),
    (GOOD.replace("  - name: Look at it\n    manual: open the dashboard\n", "  - just text\n"), 11, "steps[1]",
     "must be a mapping"),
    (GOOD + "colour: red\n", 13, "colour", "unknown field"),
    (GOOD.replace("title: My check", "title: My check\ntitle: Again"), 3, "title", "duplicate key"),
    (GOOD.replace("steps:", "steps: []\nx:").split("\nx:")[0] + "\n", 6, "steps", "non-empty list"),
])
def test_an_invalid_playbook_names_file_line_and_field(text, line, field, message):
    playbook, problems = check_text(text, "bad.yaml")
    assert playbook is None
    match = [p for p in problems if p.field == field and message in p.message]
    assert match, [str(p) for p in problems]
    assert match[0].line == line and match[0].file == "bad.yaml"
    assert str(match[0]).startswith(f"bad.yaml:{line}: {field}: ")


def test_yaml_syntax_errors_carry_the_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\nsteps: [\n  - a\n")
    with pytest.raises(PlaybookInvalid) as info:
        load_file(path)
    problem = info.value.problems[0]
    assert problem.file == str(path) and problem.line in (3, 4) and "not valid YAML" in problem.message
    assert info.value.exit_code == 2 and str(path) in info.value.message


def test_every_problem_is_reported_not_just_the_first():
    text = GOOD.replace("severity: warning", "severity: loud").replace("action: metrics.check", "action: x")
    _, problems = check_text(text, "two.yaml")
    assert {p.field for p in problems} >= {"severity", "steps[0].action"}


def test_unknown_playbook_and_alert_list_the_known_ones():
    library = load_library()
    with pytest.raises(UsageError) as info:
        library.get("memory-leek")
    assert "memory-leak" in info.value.message and "training-issues" in info.value.message
    with pytest.raises(UsageError) as info:
        library.require_alert("DiskFull")
    assert all(rule.name in info.value.message for rule in ALERT_RULES)
    assert library.for_alert("memoryleak").name == "memory-leak"  # alert names are case-insensitive


def test_a_playbooks_dir_adds_and_replaces_playbooks(tmp_path):
    (tmp_path / "my-check.yaml").write_text(GOOD)
    replaced = (shipped_dir() / "memory-leak.yaml").read_text().replace("title: Memory leak", "title: Our leak")
    (tmp_path / "memory-leak.yaml").write_text(replaced)
    library = load_library(tmp_path)
    assert library.get("my-check").shipped is False
    assert library.get("memory-leak").title == "Our leak" and len(library.playbooks) == 10
    assert library.for_alert("MyAlert").name == "my-check" and "MyAlert" in library.alerts()


@pytest.mark.parametrize("raw, actual, holds", [
    ("< 0.1", 0.05, True), ("< 0.1", 0.1, False), ("<= 0.1", 0.1, True), (">= 10", 9, False),
    ("== healthy", "healthy", True), ("!= critical", "warning", True), ("healthy", "unhealthy", False),
    (0, 0, True), (False, False, True), ("< 1", None, False), ("< 1", "text", False),
])
def test_conditions(raw, actual, holds):
    assert parse_condition("v", raw).holds(actual) is holds


def test_a_condition_reads_like_its_yaml():
    assert parse_condition("per_hour", "< 100000000").text == "per_hour < 1e+08"
    assert Condition("verdict", "==", "healthy").text == "verdict == healthy"
