"""Robust z-scores and Prometheus-compatible histogram quantiles."""

from __future__ import annotations

import math

import pytest

from aiops.core.stats import histogram_quantile, robust_z


def test_robust_z_flags_a_spike_and_not_noise():
    steady = [10.0, 10.5, 9.5, 10.2, 9.8, 10.1, 9.9, 10.3]
    assert abs(robust_z(steady + [10.0])) < 1
    assert robust_z(steady + [40.0]) > 3.5


def test_robust_z_is_not_fooled_by_the_spike_itself():
    # a plain z-score's standard deviation is inflated by the outlier; the MAD is not
    values = [1.0, 1.1, 0.9, 1.0, 1.05, 0.95, 1.0, 25.0]
    assert robust_z(values) > 100


def test_robust_z_on_flat_series_and_short_input():
    assert robust_z([5.0, 5.0, 5.0, 5.0]) == 0.0
    assert robust_z([5.0, 5.0, 5.0, 6.0, 5.0, 5.0, 9.0]) > 3.5  # MAD 0: mean deviation stands in
    assert robust_z([5.0] * 5 + [7.0]) == pytest.approx(0.7979 * 2 / (2 / 6))
    assert robust_z([1.0, 2.0]) is None
    assert robust_z([1.0, 2.0, 3.0, math.nan]) is None


@pytest.mark.parametrize("buckets,expected", [
    # all 60 observations in (1, 2.5]: rank 57 -> 1 + 1.5 * 57/60
    ([(0.5, 0), (1.0, 0), (2.5, 60), (math.inf, 60)], 1 + 1.5 * 57 / 60),
    # 50 in (0, 0.1], 10 in (0.1, 0.5]: rank 57 -> 0.1 + 0.4 * 7/10
    ([(0.1, 50), (0.5, 60), (1.0, 60), (math.inf, 60)], 0.1 + 0.4 * 0.7),
    # the rank falls in +Inf: the highest finite bound
    ([(0.1, 1), (1.0, 2), (math.inf, 100)], 1.0),
])
def test_histogram_quantile_matches_prometheus(buckets, expected):
    assert histogram_quantile(0.95, buckets) == pytest.approx(expected)


def test_histogram_quantile_without_observations_is_no_data():
    assert histogram_quantile(0.95, [(0.1, 0), (math.inf, 0)]) is None
    assert histogram_quantile(0.95, [(0.1, 3)]) is None  # no +Inf bucket


@pytest.mark.parametrize("values", [
    [-3.2] * 10 + [-3.2 + 4.4e-16],  # MAD 0, mean deviation ~4e-17
    [10.0, 10.0 + 1.8e-15, 10.0, 10.0 - 1.8e-15, 10.0, 10.0 + 1.8e-15, 10.0 + 3e-14],
    [1e-17, 0.0, 2e-17, 0.0, 1e-17, 5e-16],  # near zero: the absolute epsilon
])
def test_robust_z_never_calls_float_noise_a_spike(values):
    assert abs(robust_z(values)) < 0.01


def test_robust_z_still_flags_a_real_jump_in_a_flat_series():
    assert robust_z([-3.2] * 10 + [-2.0]) > 3.5
    assert robust_z([10.0] * 10 + [12.0]) > 3.5
    assert robust_z([0.0] * 10 + [1e-6]) > 3.5


def test_a_few_percent_step_in_a_noise_flat_series_is_not_a_spike():
    # the lab's free energy: equal up to float noise, then the next observation's level
    flat = [-3.2 + i * 1e-16 for i in range(30)]
    assert robust_z(flat + [-3.1]) < 3.5
