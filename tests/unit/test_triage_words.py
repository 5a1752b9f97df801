"""Triage says each problem once, in plain words, with every source's evidence."""

from __future__ import annotations

from tests.cli import snapshot_data as data


def test_one_problem_one_finding_with_evidence_from_every_source():
    report = data.triage_report()
    error_rate = [f for f in report.findings if f.alert == "HighErrorRate"]
    assert len(error_rate) == 1
    top = report.findings[0]
    assert top is error_rate[0] and top.severity == "critical" and top.related
    assert top.title.startswith("High error rate: error rate (5xx share) 41.7%")
    assert top.sources == ["metrics", "alerts", "health"]
    assert {"metrics.error_rate", "metrics.errors_per_second", "alert.HighErrorRate",
            "health.check.errors"} <= set(top.signals)
    joined = "\n".join(top.evidence)
    assert "Alert firing: HighErrorRate (critical, P1) for 7m" in joined
    assert "5xx responses/s 1.55/s" in joined and "/health errors check is critical" in joined
    doc = top.to_dict()
    assert doc["sources"] == ["metrics", "alerts", "health"] and doc["source"] == "metrics"


def test_a_failed_step_of_the_playbook_joins_its_alerts_finding():
    from aiops.playbooks import load_library
    from aiops.triage.findings import merge
    from aiops.triage.report import Finding

    playbook = load_library(None).get("high-error-rate")
    alert = Finding("Alert firing: HighErrorRate (critical, P1) for 2m", "critical", "alerts",
                    signal="alert.HighErrorRate", alert="HighErrorRate", evidence=["High error rate detected"])
    step = Finding("Step 2 failed: 5xx responses per second: expected value <= 0.1, got 3", "critical",
                   "playbook:high-error-rate#2", evidence=["sum(rate(...)) = 3"])
    logs = Finding("Errors in the logs: 3 error record(s)", "warning", "logs", signal="logs.errors")
    merged = merge([alert, logs, step], playbook)
    assert len(merged) == 2 and merged[1] is logs
    assert merged[0].sources == ["alerts", "playbook"] and "sum(rate(...)) = 3" in merged[0].evidence
    assert merge([step], playbook) == [step]  # no group to join: it stays a finding of its own


def test_finding_words_have_no_repeated_units_or_float_noise():
    from aiops.triage.findings import metrics_findings

    card = data.scorecard()
    down = card.row("availability")
    down.instances = {data.LABS[0]: 0.0, data.LABS[1]: 1.0, data.LABS[2]: 1.0}
    down.value, down.instance, down.verdict = 1.0, data.LABS[0], "critical"
    titles = [f.title for f in metrics_findings(card)]
    assert f"Service down: 1 of 3 instances down ({data.LABS[0]}) (runbook: ApplicationDown, up == 0)" in titles
    scraped = [f for f in metrics_findings(data.scorecard("scrape"))]
    text = " ".join(t for f in scraped for t in [f.title, *f.evidence])
    assert "instances down 1 instances" not in text and "0.666667" not in text
    assert "1.55/s" in text and "41.7%" in text
