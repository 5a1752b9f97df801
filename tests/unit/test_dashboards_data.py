"""Frames from whatever Prometheus answers: hostile or odd bodies never crash the dashboard."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from aiops.catalog.dashboards import dashboard_by_name
from aiops.core.errors import UpstreamError
from aiops.dashboards.data import PanelData, SeriesData, _finish, _series, buckets_from, judge, legend, step_for

JSONISH = st.recursive(st.none() | st.booleans() | st.floats(allow_nan=True) | st.integers() | st.text(max_size=8),
                       lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                       max_leaves=20)


@settings(max_examples=200, deadline=None)
@given(JSONISH)
def test_any_answer_is_series_or_an_upstream_error(doc):
    try:
        series = _series({"status": "success", "data": {"resultType": "matrix", "result": doc}}, "{{instance}}")
    except UpstreamError:
        assert not isinstance(doc, list)
        return
    for s in series:
        assert all(isinstance(t, float) and isinstance(v, float) for t, v in s.points)


def test_a_body_without_a_result_is_an_upstream_error():
    for doc in ({}, {"data": None}, {"data": {"result": "x"}}, ["x"], None):
        try:
            _series(doc, "x")
        except UpstreamError as exc:
            assert "without a result" in exc.message
        else:
            raise AssertionError(doc)


@given(st.dictionaries(st.text(max_size=6), st.text(max_size=6), max_size=4), st.text(max_size=30))
def test_legends_never_fail(labels, fmt):
    assert isinstance(legend(fmt, labels), str) and legend(fmt, labels)


def test_values_and_bands():
    panel = dashboard_by_name("main").panel("response_time_p95")
    assert [judge(panel, v) for v in (0.05, 0.6, 1.5, None, math.nan)] == ["ok", "warning", "critical", None, None]
    assert judge(dashboard_by_name("main").panel("request_rate"), 5.0) is None  # no thresholds
    assert step_for(3600) == 30 and step_for(30) == 1
    data = PanelData(panel, ["q"], [SeriesData("b", {}, [(1.0, 2.0), (2.0, math.nan)]), SeriesData("a", {}, [])])
    _finish(data)
    assert [s.name for s in data.series] == ["a", "b"] and data.series[1].current == 2.0
    assert data.band == "critical" and data.has_data


def test_heatmap_buckets_are_per_bucket_counts():
    series = [SeriesData(le, {"le": le}, [(0.0, c)]) for le, c in (("0.1", 5.0), ("+Inf", 8.0), ("0.01", 2.0), ("x", 1.0))]
    assert buckets_from(series) == [(0.01, 2.0), (0.1, 3.0), (math.inf, 3.0)]
