"""Small statistics the scorecard needs: robust z-scores and histogram quantiles.

Plain Python on purpose: a few hundred samples, and the CLI must not import numpy to run them.
"""

from __future__ import annotations

import math
from statistics import median

# The spread a z-score divides by is at least 1 % of the series' level (plus an epsilon for
# series near 0): in a series flat up to float noise, a step of a few percent (the next
# observation's level) is not a spike; a spike must be a jump of more than ~5 % of the level.
RELATIVE_FLOOR = 0.01
ABSOLUTE_FLOOR = 1e-12


def robust_z(values: list[float]) -> float | None:
    """The modified z-score of the last value against all of them (median and MAD).

    ``0.6745 * (x - median) / MAD``; when the MAD is 0 (a mostly flat series) the mean
    absolute deviation stands in (scaled by 0.7979). Either spread is floored at
    :func:`spread_floor` of the values, so differences of float noise score near 0.
    None for fewer than 3 finite values.
    """
    finite = [v for v in values if math.isfinite(v)]
    if len(finite) < 3 or not math.isfinite(values[-1]):
        return None
    centre = median(finite)
    deviation = values[-1] - centre
    floor = spread_floor(finite)
    mad = median(abs(v - centre) for v in finite)
    if mad > 0:
        return 0.6745 * deviation / max(mad, floor)
    mean_ad = sum(abs(v - centre) for v in finite) / len(finite)
    return 0.7979 * deviation / max(mean_ad, floor)


def spread_floor(values: list[float]) -> float:
    """The least spread worth dividing by: relative to the values' magnitude, plus an epsilon."""
    return RELATIVE_FLOOR * median(abs(v) for v in values) + ABSOLUTE_FLOOR


def histogram_quantile(q: float, buckets: list[tuple[float, float]]) -> float | None:
    """Prometheus's ``histogram_quantile`` on cumulative ``(upper bound, count)`` buckets.

    Linear interpolation inside the bucket holding the rank; the +Inf bucket answers with the
    highest finite bound. None when there are no observations (no data, not zero).
    """
    buckets = sorted(buckets)
    if len(buckets) < 2 or not math.isinf(buckets[-1][0]):
        return None
    total = buckets[-1][1]
    if total <= 0 or not math.isfinite(total):
        return None
    rank = q * total
    lower_bound, lower_count = 0.0, 0.0
    for index, (bound, count) in enumerate(buckets):
        if count >= rank:
            if math.isinf(bound):
                return buckets[-2][0]
            if index == 0 and bound <= 0:
                return bound
            return lower_bound + (bound - lower_bound) * (rank - lower_count) / max(count - lower_count, 1e-12)
        lower_bound, lower_count = bound, count
    return buckets[-2][0]
