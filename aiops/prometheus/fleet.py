"""The scorecard over a fleet: ranked and counted by Prometheus, not pulled series by series.

For every check, Prometheus answers small questions about the per-instance value ``V``
(``max by (instance)`` of the check's expression, ``min by`` where low is bad):

- ``topk(K, V)`` (``bottomk`` where low is bad): the K worst instances and their values;
- ``V > bound`` (the baseline's acceptable bound, or the alert threshold): only the instances
  that are not ok, which are then counted by verdict;
- how many instances export the metric at all (an index lookup, not an evaluation).

So a thousand instances cost the same few small answers as one (each PromQL expression is
evaluated twice: PromQL has no common subexpressions), and each check is one request: the
parts are joined with `or`, each tagged with its name by `label_replace`.
"""

from __future__ import annotations

import re
from typing import Any

from aiops.catalog import BASELINES
from aiops.catalog.checks import Check
from aiops.core.errors import AiopsError

TOP = 5


def value_expr(check: Check, window_s: float, job: str | None) -> str:
    """``V``: one value per instance (NaN-free: ``> -Inf`` drops NaN, which ranks nowhere)."""
    agg = "min" if check.worst == "min" else "max"
    return f"{agg} by (instance) ({check.promql_for(window_s, job)}) > -Inf"


def breach_expr(check: Check, window_s: float, job: str | None) -> str | None:
    """The instances whose value earns a verdict other than ok (with their values), or None
    for a check that is only reported."""
    if check.baseline:
        base = next(b for b in BASELINES if b.name == check.baseline)
        op = ">=" if base.direction == "lower" else "<="
        return f"{value_expr(check, window_s, job)} {op} {base.acceptable:g}"
    if check.op:
        return f"{value_expr(check, window_s, job)} {check.op} {float(check.threshold):g}"
    return None


def measured_expr(check: Check, job: str | None) -> str:
    """How many instances export the check's metric (a cheap index lookup)."""
    matchers = ",".join(m for m in (f'__name__=~"{re.escape(check.metric)}(_total|_count)?"',
                                    f'job="{job}"' if job else "") if m)
    return f"count(count by (instance) ({{{matchers}}}))"


def queries(check: Check, window_s: float, job: str | None, top: int) -> dict[str, str]:
    """The instant queries answering ``check`` for the fleet, by part name."""
    if check.compute == "count_down":
        up = check.promql_for(window_s, job)
        return {"top": f"bottomk({top}, {up} == 0)", "measured": f"count({up})", "breach": f"{up} == 0"}
    v = value_expr(check, window_s, job)
    out = {"top": f"{'bottomk' if check.worst == 'min' else 'topk'}({top}, {v})"}
    out["measured"] = measured_expr(check, job)
    breach = breach_expr(check, window_s, job)
    if breach:
        out["breach"] = breach
    return out


PART = "aiops_part"


def combined(parts: dict[str, str]) -> str:
    """One query answering every part (``or`` of the parts, each series tagged with its part's
    name): one round trip per check instead of one per part."""
    return " or ".join(f'label_replace({q}, "{PART}", "{name}", "", "")' for name, q in parts.items())


def split(result: Any, parts: dict[str, str]) -> dict[str, Any]:
    """The answer of :func:`combined` back into one result per part (an error stays whole)."""
    from aiops.prometheus.results import QueryResult

    if isinstance(result, AiopsError):
        return {name: result for name in parts}
    out = {name: QueryResult(q, result.result_type, [], result.time, result.duration_ms)
           for name, q in parts.items()}
    for series in result.series:
        name = series.labels.pop(PART, None)
        if name in out:
            out[name].series.append(series)
    return out


def _number(result: Any) -> int:
    return int(result.series[0].value) if result.series else 0


def _ranked(check: Check, result: Any, top: int) -> list[tuple[str, float]]:
    pairs = [(s.labels.get("instance") or s.label_text() or "-", s.value) for s in result.series
             if s.value is not None]
    pairs.sort(key=lambda p: (p[1], p[0]) if check.worst == "min" else (-p[1], p[0]))
    return pairs[:top]


def counts(check: Check, answers: dict[str, Any]) -> dict[str, int]:
    """{"measured": N, "<verdict>": n, ...}: the breaching instances counted by verdict."""
    from aiops.prometheus.scorecard import judge

    out = {"measured": _number(answers["measured"])}
    breach = answers.get("breach")
    if breach is None:
        return out
    if check.compute == "count_down":
        out[check.severity] = len(breach.series)
        return out
    for verdict in ("warning", "critical") if check.baseline else (check.severity,):
        out[verdict] = 0
    for series in breach.series:
        verdict = judge(check, series.value)[1]
        if verdict in out:
            out[verdict] += 1
    return out


def failed(answers: dict[str, Any]) -> AiopsError | None:
    return next((a for a in answers.values() if isinstance(a, AiopsError)), None)
