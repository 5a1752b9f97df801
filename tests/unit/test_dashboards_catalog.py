"""The dashboards in the catalog: every runbook widget, thresholds from the runbook, valid PromQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiops.catalog import ALERT_RULES, BASELINES
from aiops.catalog.checks import check_by_key
from aiops.catalog.dashboards import DASHBOARDS, WIDGETS, dashboard_by_name, thresholds_for
from aiops.core.errors import UsageError
from aiops.dashboards.promql import expand
from aiops.dashboards.units import GRAFANA_UNITS, is_unit
from tests.conftest import require

RUNBOOK = Path(__file__).resolve().parents[3] / "shared" / "spec" / "runbook.md"
PANELS = [(board, panel) for board in DASHBOARDS for panel in board.panels]


def runbook_widgets() -> dict[str, list[str]]:
    """The 'Key widgets' lists under the runbook's '### X Dashboard' headings."""
    widgets: dict[str, list[str]] = {}
    current = None
    for line in RUNBOOK.read_text().splitlines():
        if line.startswith("### ") and line.endswith(" Dashboard"):
            current = line[4:-len(" Dashboard")].lower()
            widgets[current] = []
        elif line.startswith("## "):
            current = None
        elif current and line.startswith("- "):
            widgets[current].append(line[2:].strip())
    return widgets


def test_the_catalog_lists_the_runbooks_widgets_verbatim():
    assert {k: list(v) for k, v in WIDGETS.items()} == runbook_widgets()


@pytest.mark.parametrize("board", DASHBOARDS, ids=lambda b: b.name)
def test_every_widget_has_a_panel_and_every_panel_a_widget(board):
    assert {p.widget for p in board.panels} == set(WIDGETS[board.name])


def test_keys_and_uids_are_unique():
    keys = [(b.name, p.key) for b, p in PANELS]
    assert len(keys) == len(set(keys))
    assert len({b.uid for b in DASHBOARDS}) == len(DASHBOARDS)
    for board in DASHBOARDS:
        for panel in board.panels:
            refs = [q.ref for q in panel.queries]
            assert len(refs) == len(set(refs)), panel.key


@pytest.mark.parametrize("board, panel", PANELS, ids=lambda x: getattr(x, "key", getattr(x, "name", "")))
def test_panels_are_complete(board, panel):
    promql_parser = require("promql_parser")
    assert is_unit(panel.unit), panel.unit
    assert panel.description.endswith("."), panel.description
    assert panel.queries
    for query in panel.queries:
        promql_parser.parse(expand(query.expr, job="active-inference", rate_window_s=60, range_s=3600))
        assert query.scrape, f"{panel.key}: no degraded-mode computation"
    if panel.alert:
        assert panel.alert in {r.name for r in ALERT_RULES}
    if panel.check:
        check_by_key(panel.check)


def test_thresholds_are_the_runbooks_numbers():
    latency = next(b for b in BASELINES if b.name == "inference_latency_p95")
    p95 = dashboard_by_name("main").panel("response_time_p95")
    assert [(t.value, t.band) for t in p95.thresholds] == [(None, "ok"), (latency.acceptable, "warning"),
                                                           (latency.critical, "critical")]
    accuracy = dashboard_by_name("performance").panel("model_accuracy")
    assert [(t.value, t.band) for t in accuracy.thresholds] == [(None, "critical"), (0.7, "warning"), (0.8, "ok")]
    disk = dashboard_by_name("main").panel("disk")
    assert [(t.value, t.band) for t in disk.thresholds] == [(None, "ok"), (85.0, "warning")]
    errors = dashboard_by_name("main").panel("errors_per_second")
    assert [(t.value, t.band, t.strict) for t in errors.thresholds][1] == (0.1, "critical", True)
    stalled = dashboard_by_name("performance").panel("episodes_per_hour")
    assert [(t.value, t.band) for t in stalled.thresholds] == [(None, "info"), (10, "ok")]
    assert thresholds_for(check_by_key("convergence_time")) == ()


def test_a_panel_on_a_check_runs_the_checks_promql():
    panel = dashboard_by_name("main").panel("cpu")
    assert panel.queries[0].expr == check_by_key("cpu_utilization").promql.replace(
        "$SEL", 'job="$job"').replace("$W", "$__rate_interval")


def test_unknown_dashboard_is_a_usage_error():
    with pytest.raises(UsageError, match="known: main, performance, infrastructure"):
        dashboard_by_name("billing")


def test_job_and_window_are_filled_in():
    text = expand('rate(x{job="$job"}[$__rate_interval]) + y[$__range]', job='a"b', rate_window_s=90, range_s=3600)
    assert text == 'rate(x{job="a\\"b"}[90s]) + y[1h]'
    assert expand('up{job="$job"}', job="", rate_window_s=60, range_s=60) == 'up{job=~".+"}'
    with pytest.raises(ValueError, match="unknown template variable"):
        expand("up[$bogus]", job=None, rate_window_s=60, range_s=60)


def test_the_sdk_unit_constants_are_not_trusted():
    units = require("grafana_foundation_sdk.models.units")
    # the SDK's "bits SI" constant is garbled; Grafana's own ID for bits (metric) is decbits
    assert units.BitsSI == "bydecbitstes" and not is_unit(units.BitsSI)
    assert is_unit("decbits") and GRAFANA_UNITS["decbits"] == "bits(Metric)"


def test_the_docs_list_every_panel_and_lab_metric():
    import re

    docs = (Path(__file__).resolve().parents[2] / "docs" / "dashboards.md").read_text()
    for board, panel in PANELS:
        assert re.search(rf"\| {re.escape(panel.widget)} \| {re.escape(panel.title)} \| `{panel.unit}` \|", docs), \
            panel.title
    collectors = (Path(__file__).resolve().parents[2] / "aiops" / "lab" / "collectors.py").read_text()
    for name in re.findall(r"^\| ``(\w+)", collectors, re.M):
        assert f"`{name}" in docs, name
