"""Fixed, in-memory post-mortem sources: one P1 incident with a known story.

10:00:00 incident triggered; 09:58:00 HighErrorRate firing (cleared 10:40:00); 10:03:00
acknowledged via aiops; 10:09:00 note via aiops; 10:41:30 resolved via aiops; log errors from
09:59. ``sources()`` returns :class:`aiops.postmortem.Sources` built from them, with any
provider replaceable (or made to fail) by keyword.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiops.core.errors import UpstreamError
from aiops.incidents.audit import AuditEntry
from aiops.incidents.models import Incident, LogEntry, Note
from aiops.logs.model import ErrorGroup, ErrorReport
from aiops.postmortem.model import MetricSeries
from aiops.postmortem.sources import IncidentData, Sources
from aiops.prometheus.alerts import AlertInterval

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 1, 28, 10, 0, 0, tzinfo=UTC)
NOW = dt.datetime(2026, 1, 29, 9, 0, 0, tzinfo=UTC)
ID = "Q1ABCDEF234567"


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def incident(status: str = "resolved", priority: str | None = "P1") -> Incident:
    return Incident(id=ID, number=42, title="Sim Lab API is down", status=status, urgency="high",
                    priority=priority, service="Sim Lab API", service_id="PSVC001", created_at=T0,
                    last_status_change_at=at(41.5), resolved_at=at(41.5) if status == "resolved" else None,
                    html_url=f"https://example.pagerduty.com/incidents/{ID}")


def log_entries() -> list[LogEntry]:
    return [
        LogEntry("R1", "trigger_log_entry", T0, "Sim Lab API", "service_reference",
                 "Triggered through the API", "api"),
        LogEntry("R2", "acknowledge_log_entry", at(3), "Alex Oncall", "user_reference",
                 "Acknowledged by Alex Oncall", "api"),
        LogEntry("R3", "annotate_log_entry", at(9), "Alex Oncall", "user_reference",
                 "Note added by Alex Oncall", "note"),
        LogEntry("R4", "resolve_log_entry", at(41.5), "Alex Oncall", "user_reference",
                 "Resolved by Alex Oncall", "api", note="rolled back model v7"),
    ]


def notes() -> list[Note]:
    return [Note("N1", at(9), "Alex Oncall", "error rate 12%; deploy v7 at 09:55 suspected")]


def audit() -> list[AuditEntry]:
    return [
        AuditEntry(at(3) + dt.timedelta(milliseconds=120), "oncall@example.com", "acknowledge",
                   ID, "acknowledged", {"number": 42, "previous_status": "triggered"}),
        AuditEntry(at(9) + dt.timedelta(milliseconds=80), "oncall@example.com", "note", ID,
                   "noted", {"number": 42, "content": "error rate 12%; deploy v7 at 09:55 suspected"}),
        AuditEntry(at(41.5) + dt.timedelta(milliseconds=50), "oncall@example.com", "resolve", ID,
                   "resolved", {"number": 42, "resolution": "rolled back model v7"}),
    ]


def alerts() -> list[AlertInterval]:
    labels = {"alertname": "HighErrorRate", "instance": "simlab-1:8000", "job": "active-inference",
              "severity": "critical", "priority": "P1"}
    return [AlertInterval("HighErrorRate", "firing", at(-2), at(40), labels, "critical", "P1")]


def metric_series() -> list[MetricSeries]:
    def pts(values: list[float]) -> list[tuple[float, float]]:
        return [((at(-30) + dt.timedelta(minutes=5 * i)).timestamp(), v) for i, v in enumerate(values)]

    return [
        MetricSeries("inference_latency_p95", "Inference latency p95", "s", "histogram_quantile(...)",
                     pts([0.08, 0.09, 0.4, 1.3, 1.1, 0.6, 0.2, 0.09, 0.08, 0.08, 0.08, 0.08, 0.08, 0.08, 0.08, 0.08]),
                     baseline="inference_latency_p95"),
        MetricSeries("error_rate", "Error rate (5xx share)", "%", "sum(rate(...))",
                     pts([0.05, 0.05, 3.0, 12.5, 11.0, 9.0, 4.0, 0.2, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05]),
                     baseline="error_rate"),
        MetricSeries("model_accuracy", "Model accuracy", "ratio", "min by (instance) (...)",
                     pts([0.96] * 16), worst="min", baseline="model_accuracy"),
        MetricSeries("memory_usage", "Memory usage of limit", "%", "max by (instance) (...)", [],
                     baseline="memory_usage"),
    ]


def log_report(start: dt.datetime, end: dt.datetime, top: int) -> ErrorReport:
    groups = [
        ErrorGroup("active_inference.api", "inference failed for user-67890 (alice@example.com)",
                   812, at(-1), at(40), {"ERROR": 812}, ["req-1", "req-2"]),
        ErrorGroup("active_inference.core", "model v7 returned NaN beliefs", 97, at(-0.5), at(39),
                   {"ERROR": 90, "FATAL": 7}, ["req-3"]),
    ]
    return ErrorReport("file", "/var/log/simlab/*.jsonl", start, end, 909, groups[:top])


def failing(message: str = "Prometheus at http://127.0.0.1:9: connection refused") -> Any:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise UpstreamError(message)
    return fail


def sources(**override: Any) -> Sources:
    """The fixed story as providers; ``override`` replaces any of them (None: not configured)."""
    def incident_provider(ref: str) -> IncidentData:
        from aiops.incidents.client import NotFound

        if ref.lstrip("#") not in (ID, "42"):
            raise NotFound(f"incident {ref} not found")
        return IncidentData(incident(), log_entries(), notes())

    def audit_provider(ref: str | None, start: Any, end: Any) -> list[AuditEntry]:
        return [e for e in audit() if ref is None or e.matches(ref)]

    base = dict(incident=incident_provider, audit=audit_provider,
                alerts=lambda start, end: alerts(), metrics=lambda start, end: metric_series(),
                log_errors=log_report)
    base.update(override)
    return Sources(**base)
