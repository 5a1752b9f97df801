"""Triage's decisions without servers: which playbook, step outcomes, time budgets, the verdict."""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import replace

import pytest

from aiops.core.config import load
from aiops.core.errors import UpstreamError
from aiops.playbooks import Step, load_library
from aiops.playbooks.steps import ACTIONS, Action, Context, Param, run_playbook
from aiops.playbooks.steps.runner import Outcome, Skip
from aiops.playbooks.validation import parse_condition
from aiops.triage.choose import alert_in_text, choose, mark_related
from aiops.triage.findings import alert_for_metric, rule_severity
from aiops.triage.report import Choice, Finding, TriageReport, to_markdown
from aiops.triage.sources import Gather

LIB = load_library()


def problem(signal: str, severity: str, source: str = "metrics", alert: str | None = None) -> Finding:
    return Finding(f"{signal} is bad", severity, source, signal=signal, alert=alert)


@pytest.mark.parametrize("findings, playbook", [
    ([problem("metrics.inference_latency_p95", "critical")], "high-response-time"),
    ([problem("metrics.inference_latency_p95", "warning")], "slow-inference"),
    ([problem("metrics.memory_growth", "critical")], "memory-leak"),
    ([problem("metrics.memory_usage", "warning")], "high-memory"),
    ([problem("metrics.episodes_per_hour", "info")], "training-stalled"),
    ([problem("metrics.belief_entropy", "warning")], "training-issues"),
    # A stalled trainer also freezes the loss: the playbook explaining both wins.
    ([problem("metrics.episodes_per_hour", "info"), problem("metrics.training_loss_change", "warning")],
     "training-stalled"),
    # The most severe finding decides, whatever the order.
    ([problem("logs.errors", "warning", "logs"), problem("health.unreachable", "critical", "health")],
     "application-down"),
    # More independent sources win over more findings from one source...
    ([problem("metrics.error_rate", "critical"), problem("metrics.errors_per_second", "critical"),
      problem("health.check.errors", "critical", "health")], "high-error-rate"),
    # ... and on a tie the runbook's order: a service not ready explains its own 503s.
    ([problem("metrics.error_rate", "critical"), problem("metrics.errors_per_second", "critical"),
      problem("health.not-ready", "critical", "health")], "application-down"),
])
def test_findings_choose_the_playbook(findings, playbook):
    choice = choose(LIB, findings)
    assert (choice.playbook.name, choice.by) == (playbook, "findings")


def test_alert_beats_incident_beats_firing_alert_beats_findings():
    firing = Finding("Alert firing: HighErrorRate (critical, P1)", "critical", "alerts",
                     signal="alert.HighErrorRate", alert="HighErrorRate")
    findings = [firing, problem("metrics.memory_growth", "critical")]
    assert choose(LIB, findings, alert="LowModelAccuracy").playbook.name == "low-model-accuracy"
    assert choose(LIB, findings, incident_alert="TrainingStalled").playbook.name == "training-stalled"
    chosen = choose(LIB, findings)
    assert (chosen.playbook.name, chosen.by) == ("high-error-rate", "firing_alert")
    assert choose(LIB, []).playbook is None
    unavailable = replace(problem("health.unreachable", "critical"), status="unavailable")
    assert choose(LIB, [unavailable]).playbook is None


def test_incident_titles_name_their_alert():
    alerts = LIB.alerts()
    assert alert_in_text("[FIRING:1] MemoryLeak active-inference", alerts) == "MemoryLeak"
    assert alert_in_text("highErrorRate on prod", alerts) == "HighErrorRate"
    assert alert_in_text("MemoryLeakage somewhere", alerts) is None


def test_scorecard_rows_point_to_their_runbook_alert():
    assert alert_for_metric("ai_inference_duration_seconds") == "HighResponseTime"
    assert alert_for_metric("up") == "ApplicationDown"
    assert alert_for_metric("memory_usage_bytes") is None
    # The MemoryLeak rule is critical even though the projection row says warning.
    assert rule_severity("memory_growth", "warning") == "critical"
    assert rule_severity("model_accuracy", "critical") == "critical"


def test_verdict_and_top_finding():
    choice = Choice(None, "none", "")
    base = dict(checked_at=dt.datetime(2026, 1, 28, tzinfo=dt.timezone.utc), targets=[], timeout_s=10,
                sources=[], choice=choice)
    unavailable = Finding("Source unavailable: logs: x", "unknown", "logs", "unavailable")
    assert TriageReport(findings=[unavailable], **base).verdict == "ok"
    info = problem("metrics.episodes_per_hour", "info")
    report = TriageReport(findings=[info, unavailable], **base)
    assert report.verdict == "warning" and report.exit_code() == 3 and report.top is info
    assert TriageReport(findings=[problem("x", "critical")], **base).verdict == "critical"


def test_related_findings_sort_first_within_a_severity():
    playbook = LIB.get("memory-leak")
    unrelated = problem("metrics.disk_usage", "critical")
    related = problem("metrics.memory_growth", "critical", alert="MemoryLeak")
    findings = [unrelated, related]
    mark_related(findings, playbook)
    ordered = sorted(enumerate(findings), key=lambda p: p[1].sort_key(p[0]))
    assert [f for _, f in ordered] == [related, unrelated]


# -- the step runner -------------------------------------------------------------------------

def run(ctx: Context, action: str, params: dict) -> Outcome:
    """The adapter of the test actions below."""
    if params["mode"] == "sleep":
        time.sleep(params["seconds"])
    if params["mode"] == "raise":
        raise UpstreamError("the upstream went away")
    if params["mode"] == "skip":
        raise Skip("nothing to do")
    if params["mode"] == "bug":
        raise ZeroDivisionError("oops")
    return Outcome({"value": params["seconds"]}, [f"slept {params['seconds']}"])


@pytest.fixture
def test_action(monkeypatch):
    action = Action("test.step", "a step for tests", __name__,
                    (Param("mode", default="ok"), Param("seconds", "number", default=0.0)), ("value",),
                    needs=("prometheus",))
    monkeypatch.setitem(ACTIONS, "test.step", action)
    return action


def step(number: int, mode: str = "ok", seconds: float = 0.0, expect: str | None = None) -> Step:
    conditions = (parse_condition("value", expect),) if expect else ()
    return Step(number, f"step {number}", "test.step", {"mode": mode, "seconds": seconds}, conditions)


def playbook_of(*steps: Step):
    return replace(LIB.get("memory-leak"), steps=tuple(steps))


def context() -> Context:
    return Context(load(environ={}, user_file=None), [], 5.0)


def test_step_outcomes(test_action):
    book = playbook_of(step(1, expect="< 1"), step(2, seconds=2.0, expect="< 1"), step(3, "raise"),
                       step(4, "skip"), step(5, "bug"), Step(6, "look", manual="read the dashboard"))
    result = run_playbook(book, context())
    assert [s.status for s in result.steps] == ["passed", "failed", "error", "skipped", "error", "manual"]
    assert result.steps[1].reason == "expected value < 1, got 2"
    assert result.steps[2].reason == "the upstream went away" and result.steps[2].error_code == 5
    assert "ZeroDivisionError" in result.steps[4].reason
    assert result.status == "failed" and result.exit_code() == 3
    assert run_playbook(playbook_of(step(1), step(2, "raise")), context()).exit_code() == 5


def test_dry_run_plans_without_running(test_action):
    result = run_playbook(playbook_of(step(1, "raise", expect="< 1")), context(), dry_run=True)
    assert result.steps[0].status == "planned" and result.steps[0].checks[0]["condition"] == "value < 1"


def test_a_step_needing_an_unavailable_source_is_skipped(test_action):
    ctx = context()
    ctx.unavailable["prometheus"] = "connection refused"
    result = run_playbook(playbook_of(step(1, "raise")), ctx)
    assert result.steps[0].status == "skipped" and "connection refused" in result.steps[0].reason


def test_the_time_budget_bounds_the_run(test_action):
    book = playbook_of(step(1, "sleep", seconds=5.0), step(2))
    started = time.monotonic()
    result = run_playbook(book, context(), deadline=time.monotonic() + 0.3)
    assert time.monotonic() - started < 1.0
    assert result.steps[0].status == "error" and "time budget" in result.steps[0].reason
    assert result.steps[1].status == "skipped"


def test_gather_stops_waiting_at_the_deadline():
    gather, release = Gather(), threading.Event()
    gather.start("slow", lambda: release.wait(10))
    gather.start("fast", lambda: 42)
    started = time.monotonic()
    gather.wait(["fast", "slow"], time.monotonic() + 0.3)
    assert time.monotonic() - started < 1.0
    assert gather["fast"].ok and gather["fast"].value == 42
    assert not gather["slow"].done
    release.set()


def test_markdown_has_every_section():
    playbook = LIB.get("memory-leak")
    findings = [problem("metrics.memory_growth", "critical", alert="MemoryLeak")]
    report = TriageReport(dt.datetime(2026, 1, 28, tzinfo=dt.timezone.utc), ["http://a:1"], 10, findings, [],
                          Choice(playbook, "findings", "it explains metrics.memory_growth"),
                          next_steps=["restart | then look"])
    text = to_markdown(report)
    assert text.startswith("## Triage: CRITICAL\n")
    assert "### Findings" in text and "1. **critical** metrics.memory_growth is bad _(metrics)_" in text
    assert "Playbook `memory-leak`" in text and "1. restart | then look" in text
