"""Grafana's template variables in the catalog's PromQL, filled in for queries made here.

The catalog writes ``job="$job"``, ``$__rate_interval`` and ``$__range`` as Grafana would
expand them. The terminal and the offline validator put concrete values in their place: the
configured job (or any job), a rate window, and the dashboard's time range.
"""

from __future__ import annotations

import re

MIN_RATE_WINDOW_S = 60.0  # four scrapes at Prometheus's default 15 s interval
_VARIABLE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")


def expand(expr: str, *, job: str | None, rate_window_s: float, range_s: float) -> str:
    """``expr`` with ``$job``, ``$__rate_interval``/``$__interval`` and ``$__range`` replaced.

    ``job`` None or empty matches every job (``job=~".+"``). Unknown variables raise ValueError.
    """
    from aiops.catalog.checks import promql_duration

    if job:
        escaped = job.replace("\\", "\\\\").replace('"', '\\"')
        expr = expr.replace('job="$job"', f'job="{escaped}"')
    else:
        expr = expr.replace('job="$job"', 'job=~".+"')
    values = {"__rate_interval": promql_duration(rate_window_s), "__interval": promql_duration(rate_window_s),
              "__range": promql_duration(range_s)}

    def fill(match: re.Match) -> str:
        name = match.group(1) or match.group(2)
        if name not in values:
            raise ValueError(f"unknown template variable ${name}")
        return values[name]

    return _VARIABLE.sub(fill, expr)


def rate_window(step_s: float) -> float:
    """The rate window for a range query at ``step_s``: at least a minute, never below the step."""
    return max(MIN_RATE_WINDOW_S, float(step_s))
