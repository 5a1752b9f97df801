"""What a post-mortem is made of, as data: gaps, timeline events, metric summaries, the draft."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

SCHEMA = "aiops.postmortem/v1"


@dataclass
class Gap:
    """A source that could not be read: the document says so and is written anyway."""

    source: str  # pagerduty | audit | alerts | metrics | logs | traces
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "reason": self.reason}


@dataclass
class TimelineEvent:
    """One line of the merged timeline."""

    time: dt.datetime
    source: str  # pagerduty | audit | alerts | logs
    kind: str  # trigger, acknowledge, note, resolve, alert-firing, alert-cleared, log-error, ...
    summary: str
    actor: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"time": self.time, "source": self.source, "kind": self.kind,
                "summary": self.summary, "actor": self.actor}


@dataclass
class MetricSeries:
    """One key metric over the window, worst instance per timestamp: (unix seconds, value)."""

    key: str
    title: str
    unit: str  # s | % | ratio
    query: str
    points: list[tuple[float, float]] = field(default_factory=list)
    worst: str = "max"  # max | min: which direction is bad
    baseline: str | None = None  # a runbook BASELINES name
    error: str | None = None  # this metric's query failed (the others may not have)


@dataclass
class MetricSummary:
    """Numbers for one key metric: first, worst, last, mean; its runbook band; a chart."""

    key: str
    title: str
    unit: str
    query: str
    points: int = 0
    first: float | None = None
    worst: float | None = None
    worst_at: dt.datetime | None = None
    last: float | None = None
    mean: float | None = None
    band: str | None = None  # target | acceptable | warning | critical (runbook baselines)
    sparkline: str = ""
    chart: str | None = None  # PNG file name beside the document
    error: str | None = None

    @property
    def no_data(self) -> bool:
        return self.points == 0

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "title": self.title, "unit": self.unit, "query": self.query,
                "points": self.points, "first": self.first, "worst": self.worst,
                "worst_at": self.worst_at, "last": self.last, "mean": self.mean,
                "band": self.band, "sparkline": self.sparkline, "chart": self.chart,
                "error": self.error}


@dataclass
class Draft:
    """Everything the template renders: facts, the clock, the timeline, metrics and gaps."""

    title: str
    date: dt.date
    generated_at: dt.datetime
    start: dt.datetime
    end: dt.datetime
    incident: Any = None  # aiops.incidents.Incident, or None for a window-only post-mortem
    incident_ref: str | None = None
    severity: str | None = None
    severity_basis: str | None = None  # why: the incident's priority, or what was measured
    status: str | None = None
    authors: list[str] = field(default_factory=list)
    clock: Any = None  # aiops.incidents.clock.Clock
    timeline: list[TimelineEvent] = field(default_factory=list)
    metrics: list[MetricSummary] = field(default_factory=list)
    alerts: list[Any] = field(default_factory=list)  # aiops.prometheus.alerts.AlertInterval
    log_errors: Any = None  # aiops.logs.model.ErrorReport
    gaps: list[Gap] = field(default_factory=list)
    resolved_at: dt.datetime | None = None
    resolved_by: str | None = None
    resolution_note: str | None = None
    acknowledged_at: dt.datetime | None = None
    acknowledged_by: str | None = None
    redacted: bool = False
    metric_series: list[MetricSeries] = field(default_factory=list)  # for charts
    postmortem_entry: Any = None  # the audit entry recording this draft (incident mode)
    audit_trail: Any = None  # aiops.incidents.audit_chain.Verification, when the log was checked
    slow_trace: Any = None  # aiops.tracing.TraceView: the window's slowest trace, when tracing is configured

    def to_dict(self) -> dict[str, Any]:
        inc = self.incident
        return {"title": self.title, "date": self.date.isoformat(),
                "incident": inc.to_dict() if hasattr(inc, "to_dict") else None,
                "severity": self.severity, "severity_basis": self.severity_basis,
                "status": self.status, "authors": self.authors,
                "window": {"start": self.start, "end": self.end},
                "clock": self.clock.to_dict() if self.clock is not None else None,
                "timeline": [e.to_dict() for e in self.timeline],
                "metrics": [m.to_dict() for m in self.metrics],
                "gaps": [g.to_dict() for g in self.gaps], "redacted": self.redacted,
                "audit_trail": self.audit_trail.to_dict() if self.audit_trail is not None else None}


@dataclass
class WriteResult:
    """What ``postmortem new`` wrote."""

    path: str
    charts: list[str]
    draft: Draft
    placeholders: int
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        d = self.draft
        return {"schema": SCHEMA, "path": self.path, "charts": self.charts,
                "title": d.title, "incident": d.incident_ref, "severity": d.severity,
                "window": {"start": d.start, "end": d.end},
                "clock": d.clock.to_dict() if d.clock is not None else None,
                "timeline_events": len(d.timeline), "placeholders": self.placeholders,
                "gaps": [g.to_dict() for g in d.gaps], "warnings": self.warnings,
                "redacted": d.redacted,
                "audit_trail": d.audit_trail.summary() if d.audit_trail is not None else None}
