"""Scorecard checks: PromQL templating, judging, no data vs zero, degraded-mode arithmetic."""

from __future__ import annotations

import math

import pytest

from aiops.catalog import ALERT_RULES, BASELINES, METRICS
from aiops.catalog.checks import CHECKS, check_by_key, promql_duration
from aiops.core.errors import UsageError
from aiops.prometheus.scorecard import Scorecard, judge, make_row, metrics_check, threshold_text
from aiops.prometheus.scrape import Snapshot, evaluate, parse


def test_every_runbook_metric_baseline_and_alert_has_a_check():
    covered = {c.metric for c in CHECKS}
    assert {m.name for m in METRICS} <= covered
    assert {b.name for b in BASELINES} <= {c.baseline for c in CHECKS}
    sources = " ".join(c.source for c in CHECKS)
    assert all(rule.name in sources for rule in ALERT_RULES)
    assert len(CHECKS) >= 12


@pytest.mark.parametrize("seconds,text", [(300, "5m"), (3600, "1h"), (90, "90s"), (0.5, "500ms"),
                                          (5400, "90m")])
def test_promql_duration(seconds, text):
    assert promql_duration(seconds) == text


def test_promql_templates_fill_window_and_job_or_drop_the_matcher():
    rate = check_by_key("errors_per_second")
    assert rate.promql_for(300, "lab").startswith('rate(http_requests_total{status=~"5..",job="lab"}[5m])')
    assert rate.promql_for(60, None).startswith('rate(http_requests_total{status=~"5.."}[1m])')
    loss = check_by_key("training_loss_change")
    assert "* 600 /" in loss.promql_for(600, None) and "[10m]" in loss.promql_for(600, None)
    for check in CHECKS:
        for job in ("active-inference", None):
            text = check.promql_for(300, job)
            assert "$" not in text and "{}" not in text and "{," not in text, (check.key, text)


@pytest.mark.parametrize("key,value,band,verdict", [
    ("inference_latency_p95", 0.05, "target", "ok"),
    ("inference_latency_p95", 0.7, "warning", "warning"),
    ("inference_latency_p95", 1.5, "critical", "critical"),
    ("model_accuracy", 0.6, "critical", "critical"),
    ("belief_entropy", 2.5, None, "warning"),
    ("belief_entropy", 1.0, None, "ok"),
    ("errors_per_second", 0.2, None, "critical"),
    ("training_loss_change", 0.2, None, "warning"),
    ("episodes_per_hour", 3.0, None, "info"),
    ("convergence_time", 12.0, None, "reported"),
    ("disk_usage", None, None, "no_data"),
])
def test_judge(key, value, band, verdict):
    assert judge(check_by_key(key), value) == (band, verdict)


def test_rows_take_the_worst_instance_and_keep_no_data_apart_from_zero():
    accuracy = make_row(check_by_key("model_accuracy"), "q", {"a": 0.97, "b": 0.65})
    assert (accuracy.value, accuracy.instance, accuracy.verdict) == (0.65, "b", "critical")
    zero = make_row(check_by_key("errors_per_second"), "q", {"a": 0.0})
    assert (zero.value, zero.verdict) == (0.0, "ok")
    empty = make_row(check_by_key("errors_per_second"), "q", {})
    assert (empty.value, empty.verdict) == (None, "no_data")
    nan = make_row(check_by_key("error_rate"), "q", {"a": math.nan})
    assert nan.verdict == "no_data" and "NaN" in nan.note
    down = make_row(check_by_key("availability"), "q", {"a": 1.0, "b": 0.0, "c": 0.0})
    assert (down.value, down.instance, down.verdict) == (2.0, "b, c", "critical")


def test_scorecard_exit_code_follows_the_worst_row():
    ok = make_row(check_by_key("belief_entropy"), "q", {"a": 1.0})
    warn = make_row(check_by_key("belief_entropy"), "q", {"a": 3.0})
    crit = make_row(check_by_key("model_accuracy"), "q", {"a": 0.1})
    card = Scorecard(None, "prometheus", 300, None, [ok, warn])
    assert (card.verdict, card.exit_code()) == ("warning", 0)
    card.rows.append(crit)
    assert (card.verdict, card.exit_code()) == ("critical", 3)
    assert card.to_dict()["summary"]["critical"] == 1


def test_threshold_text_quotes_the_runbook():
    assert threshold_text(check_by_key("inference_latency_p95")) == "< 100ms / < 500ms / > 1s"
    assert threshold_text(check_by_key("belief_entropy")) == "> 2"


def test_bad_source_and_window_are_usage_errors():
    cfg = {"prometheus.job": "x", "timeout": 1.0, "targets": [], "prometheus.url": "http://127.0.0.1:1"}
    with pytest.raises(UsageError, match="--source"):
        metrics_check(_Cfg(cfg), source="nope")
    with pytest.raises(UsageError, match="--window"):
        metrics_check(_Cfg(cfg), window="fortnight")


class _Cfg(dict):
    def get(self, key, default=None):
        return super().get(key, default)


TEXT = """# TYPE http_requests_total counter
http_requests_total{status="200"} %(ok)s
http_requests_total{status="500"} %(err)s
# TYPE ai_inference_duration_seconds histogram
ai_inference_duration_seconds_bucket{le="0.1"} %(fast)s
ai_inference_duration_seconds_bucket{le="1.0"} %(all)s
ai_inference_duration_seconds_bucket{le="+Inf"} %(all)s
ai_inference_duration_seconds_count %(all)s
ai_inference_duration_seconds_sum 1.0
# TYPE ai_model_accuracy gauge
ai_model_accuracy 0.75
# TYPE ai_episodes_completed counter
ai_episodes_completed %(episodes)s
# TYPE memory_usage_bytes gauge
memory_usage_bytes 900
# TYPE memory_limit_bytes gauge
memory_limit_bytes 1000
"""


def _snap(at, **values):
    return parse(TEXT % values, "http://lab:8000", at)


def test_scrape_pairs_give_rates_percentages_and_quantiles():
    first = _snap(100.0, ok=100, err=0, fast=10, all=10, episodes=5)
    second = _snap(102.0, ok=190, err=10, fast=10, all=30, episodes=7)
    pairs = [(first, second)]
    assert evaluate(check_by_key("error_rate"), pairs) == ({"http://lab:8000": 10.0}, None)
    assert evaluate(check_by_key("errors_per_second"), pairs)[0] == {"http://lab:8000": 5.0}
    assert evaluate(check_by_key("episodes_per_hour"), pairs)[0]["http://lab:8000"] == pytest.approx(3600)
    assert evaluate(check_by_key("model_accuracy"), pairs)[0] == {"http://lab:8000": 0.75}
    assert evaluate(check_by_key("memory_usage"), pairs)[0] == {"http://lab:8000": 90.0}
    # 20 new inferences, all in (0.1, 1.0]: p95 = 0.1 + 0.9 * 19/20
    p95 = evaluate(check_by_key("inference_latency_p95"), pairs)[0]["http://lab:8000"]
    assert p95 == pytest.approx(0.1 + 0.9 * 0.95)


def test_scrape_without_traffic_is_no_data_and_a_reset_counts_from_zero():
    first = _snap(100.0, ok=100, err=3, fast=10, all=10, episodes=50)
    idle = _snap(102.0, ok=100, err=3, fast=10, all=10, episodes=4)  # episodes reset to 4
    values, note = evaluate(check_by_key("error_rate"), [(first, idle)])
    assert values == {} and "no requests" in note
    assert evaluate(check_by_key("inference_latency_p95"), [(first, idle)])[0] == {}
    assert evaluate(check_by_key("episodes_per_hour"), [(first, idle)])[0]["http://lab:8000"] == \
        pytest.approx(4 / 2 * 3600)


def test_failed_scrapes_mark_the_target_down_and_explain_missing_values():
    good = _snap(100.0, ok=1, err=0, fast=1, all=1, episodes=1)
    failed = Snapshot("http://lab:8000", 102.0, error="connection refused by 127.0.0.1:8000")
    assert evaluate(check_by_key("availability"), [(good, failed)])[0] == {"http://lab:8000": 0.0}
    values, note = evaluate(check_by_key("model_accuracy"), [(good, failed)])
    assert values == {} and "connection refused" in note
    assert parse("not a metric line {{{", "t", 0.0).error.startswith("unparsable")
