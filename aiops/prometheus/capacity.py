"""The runbook's capacity planning rules, checked against Prometheus, as recommendations.

``capacity_check(cfg)`` evaluates each :data:`aiops.catalog.incident.CAPACITY_RULES` entry
per instance: a rule with a duration ("CPU > 70% for 5+ minutes") holds when the minimum over
that duration is above the threshold and the series already existed that long ago; one
without ("request queue > 100") holds on the current value. The evidence (now, min, avg,
max over the window) comes with every recommendation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable

from aiops.catalog.checks import promql_duration
from aiops.catalog.incident import CAPACITY_NOTES, CAPACITY_RULES, CapacityRule
from aiops.core import errors
from aiops.core.errors import AiopsError, UpstreamError

SCHEMA = "aiops.prometheus.capacity/v1"
EVIDENCE_WINDOW_S = 300  # evidence window for rules without a duration of their own


@dataclass
class Recommendation:
    action: str
    rule: str
    status: str  # recommended | not_needed | no_data | error
    instances: list[str]  # where the rule holds
    evidence: dict[str, dict[str, float | bool | None]]
    queries: dict[str, str]
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"action": self.action, "rule": self.rule, "status": self.status,
                "instances": self.instances, "evidence": self.evidence, "queries": self.queries,
                "note": self.note}


@dataclass
class CapacityReport:
    checked_at: dt.datetime
    prometheus_url: str
    job: str | None
    recommendations: list[Recommendation]
    notes: list[str] = field(default_factory=lambda: list(CAPACITY_NOTES))

    def exit_code(self) -> int:
        """3 when any scaling is recommended, else 0."""
        recommended = any(r.status == "recommended" for r in self.recommendations)
        return errors.CHECK_FAILED if recommended else errors.OK

    def to_dict(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "checked_at": self.checked_at, "prometheus_url": self.prometheus_url,
                "job": self.job, "recommendations": [r.to_dict() for r in self.recommendations],
                "notes": self.notes}


def rule_queries(rule: CapacityRule, job: str | None) -> dict[str, str]:
    """The PromQL evidence for one rule, keyed by what each value means."""
    sel = f'{{job="{job}"}}' if job else ""
    series = f"{rule.metric}{sel}"
    window = promql_duration(rule.for_seconds or EVIDENCE_WINDOW_S)
    queries = {"now": series, f"max_{window}": f"max_over_time({series}[{window}])",
               f"avg_{window}": f"avg_over_time({series}[{window}])"}
    if rule.for_seconds:
        queries[f"min_{window}"] = f"min_over_time({series}[{window}])"
        queries[f"ago_{window}"] = f"{series} offset {window}"
    return queries


def judge_rule(rule: CapacityRule, queries: dict[str, str],
               results: dict[str, Any]) -> Recommendation:
    """Turn the evidence of one rule into a recommendation."""
    failed = next((r for r in results.values() if isinstance(r, AiopsError)), None)
    if failed is not None:
        return Recommendation(rule.action, rule.text, "error", [], {}, queries, failed.message)
    evidence: dict[str, dict[str, Any]] = {}
    for name, result in results.items():
        for series in result.series:
            instance = series.labels.get("instance") or series.label_text() or "-"
            evidence.setdefault(instance, {})[name] = series.value
    if not evidence:
        return Recommendation(rule.action, rule.text, "no_data", [], {}, queries,
                              f"Prometheus has no {rule.metric} series")
    window = promql_duration(rule.for_seconds or EVIDENCE_WINDOW_S)
    holding = []
    for instance, values in sorted(evidence.items()):
        if rule.for_seconds:
            lowest, before = values.get(f"min_{window}"), values.get(f"ago_{window}")
            values["covered"] = before is not None
            holds = lowest is not None and lowest > rule.threshold and before is not None
        else:
            now = values.get("now")
            holds = now is not None and now > rule.threshold
        values["holds"] = holds
        if holds:
            holding.append(instance)
    note = None
    if rule.for_seconds and not holding and any(
            (v.get(f"min_{window}") or 0) > rule.threshold and not v["covered"] for v in evidence.values()):
        note = f"above {rule.threshold:g} but with less than {window} of data"
    return Recommendation(rule.action, rule.text, "recommended" if holding else "not_needed",
                          holding, evidence, queries, note)


def capacity_check(cfg: Any, *, job: str | None = None, timeout: float | None = None,
                   at: dt.datetime | None = None,
                   clock: Callable[[], dt.datetime] | None = None) -> CapacityReport:
    """Every capacity rule against Prometheus (its evidence queries run concurrently)."""
    from aiops.prometheus.client import connect, query_many

    job = cfg.get("prometheus.job") if job is None else job
    now = (clock or (lambda: dt.datetime.now(dt.timezone.utc)))()
    per_rule = [rule_queries(rule, job or None) for rule in CAPACITY_RULES]
    flat = {f"{i}:{name}": q for i, queries in enumerate(per_rule) for name, q in queries.items()}
    with connect(cfg, timeout=timeout, pool=len(flat)) as client:
        results = query_many(client, flat, at=at, workers=len(flat))
    if all(isinstance(r, UpstreamError) for r in results.values()):
        raise next(iter(results.values()))
    recommendations = []
    for i, (rule, queries) in enumerate(zip(CAPACITY_RULES, per_rule)):
        mine = {name: results[f"{i}:{name}"] for name in queries}
        recommendations.append(judge_rule(rule, queries, mine))
    return CapacityReport(now, client.base, job or None, recommendations)
