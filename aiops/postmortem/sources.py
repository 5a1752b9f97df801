"""Where a post-mortem's facts come from: one small, optional provider per source.

A provider is a plain callable; tests pass their own, the CLI builds the real ones from the
configuration with :func:`from_config`:

- ``incident(ref) -> IncidentData``: the PagerDuty incident, its log entries and notes
  (:mod:`aiops.incidents`); an unknown incident raises :class:`~aiops.core.errors.CheckFailed`;
- ``audit(ref, start, end) -> list[AuditEntry]``: aiops's own actions (:mod:`aiops.incidents.audit`);
- ``alerts(start, end) -> list[AlertInterval]``: what fired, from ``ALERTS`` (:mod:`aiops.prometheus.alerts`);
- ``metrics(start, end) -> list[MetricSeries]``: the key metrics (:mod:`aiops.prometheus.queries`);
- ``log_errors(start, end, top) -> ErrorReport``: the top log errors (:mod:`aiops.logs`);
- ``traces(start, end) -> TraceView | None``: the slowest trace of the window (:mod:`aiops.tracing`).

A source that is not configured is listed in ``Sources.missing`` with the reason (or its
provider raises a ConfigError saying what is missing); one that fails raises an :class:`~aiops.core.errors.AiopsError` which the draft records as a gap.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from aiops.core.errors import AiopsError, AuthError, UpstreamError
from aiops.postmortem.model import MetricSeries

# The key metrics of a post-mortem: scorecard checks (aiops.catalog.checks) by key.
KEY_METRICS = ("inference_latency_p95", "error_rate", "model_accuracy", "memory_usage")
RATE_WINDOW_S = 300.0  # the runbook's rate window (5m)


@dataclass
class IncidentData:
    """One incident with its log entries (oldest first) and notes."""

    incident: Any  # aiops.incidents.Incident
    log_entries: list[Any] = field(default_factory=list)
    notes: list[Any] = field(default_factory=list)


class IncidentProvider(Protocol):
    def __call__(self, ref: str) -> IncidentData: ...


class AuditProvider(Protocol):
    def __call__(self, ref: str | None, start: dt.datetime | None,
                 end: dt.datetime | None) -> list[Any]: ...


class AlertsProvider(Protocol):
    def __call__(self, start: dt.datetime, end: dt.datetime) -> list[Any]: ...


class MetricsProvider(Protocol):
    def __call__(self, start: dt.datetime, end: dt.datetime) -> list[MetricSeries]: ...


class LogErrorsProvider(Protocol):
    def __call__(self, start: dt.datetime, end: dt.datetime, top: int) -> Any: ...


class TracesProvider(Protocol):
    def __call__(self, start: dt.datetime, end: dt.datetime) -> Any: ...


@dataclass
class Sources:
    """The providers a draft may use; ``None`` means not configured (see ``missing``)."""

    incident: IncidentProvider | None = None
    audit: AuditProvider | None = None
    alerts: AlertsProvider | None = None
    metrics: MetricsProvider | None = None
    log_errors: LogErrorsProvider | None = None
    traces: TracesProvider | None = None
    missing: dict[str, str] = field(default_factory=dict)


def pagerduty_provider(settings: Any) -> IncidentProvider:
    """The incident, its log entries and notes from PagerDuty (``aiops.incidents.Settings``)."""
    def fetch(ref: str) -> IncidentData:
        from aiops.incidents import connect, get_incident, list_log_entries, list_notes

        with connect(settings) as pd:
            incident = get_incident(pd, ref)
            return IncidentData(incident, list_log_entries(pd, incident.id),
                                list_notes(pd, incident.id))

    return fetch


def audit_provider(path: Any) -> AuditProvider:
    """Entries of the audit file at ``path``: one incident's, or all within a window."""
    def fetch(ref: str | None, start: dt.datetime | None, end: dt.datetime | None) -> list[Any]:
        from aiops.incidents.audit import read

        entries = read(path, incident=ref).entries
        if ref is None:
            entries = [e for e in entries if (start is None or e.time >= start)
                       and (end is None or e.time <= end)]
        return entries

    return fetch


def alerts_provider(cfg: Any) -> AlertsProvider:
    """Alert intervals from Prometheus's ``ALERTS`` series over the window."""
    def fetch(start: dt.datetime, end: dt.datetime) -> list[Any]:
        from aiops.prometheus.alerts import alert_history

        return [a for a in alert_history(cfg, start, end) if a.state == "firing"]

    return fetch


def metrics_provider(cfg: Any, *, rate_window_s: float = RATE_WINDOW_S) -> MetricsProvider:
    """The key metrics as range queries: the worst instance at each step."""
    def fetch(start: dt.datetime, end: dt.datetime) -> list[MetricSeries]:
        from aiops.catalog.checks import check_by_key
        from aiops.prometheus.client import connect, query_range
        from aiops.prometheus.queries import auto_step

        job = cfg.get("prometheus.job") or None
        step = auto_step(start, end)
        out = []
        with connect(cfg) as client:
            for key in KEY_METRICS:
                check = check_by_key(key)
                promql = check.promql_for(rate_window_s, job)
                series = MetricSeries(key, check.title, check.unit, promql, worst=check.worst,
                                      baseline=check.baseline)
                try:
                    result = query_range(client, promql, start, end, step)
                except (UpstreamError, AuthError):
                    raise  # Prometheus itself is the problem: one gap, not four
                except AiopsError as exc:
                    series.error = exc.message
                else:
                    series.points = worst_per_step([s.samples for s in result.series], check.worst)
                out.append(series)
        return out

    return fetch


def worst_per_step(samples: list[list[tuple[float, float]]], worst: str = "max"
                   ) -> list[tuple[float, float]]:
    """Merge instances into one series: the worst finite value at each timestamp."""
    pick = max if worst == "max" else min
    by_ts: dict[float, float] = {}
    for series in samples:
        for ts, value in series:
            if value != value or value in (float("inf"), float("-inf")):
                continue
            by_ts[ts] = pick(by_ts[ts], value) if ts in by_ts else value
    return sorted(by_ts.items())


def log_errors_provider(backend_factory: Callable[[], Any]) -> LogErrorsProvider:
    """Top error groups from a log backend (anything with ``errors(start, end, top=)``)."""
    def fetch(start: dt.datetime, end: dt.datetime, top: int) -> Any:
        backend = backend_factory()
        try:
            return backend.errors(start, end, top=top)
        finally:
            close = getattr(getattr(backend, "client", None), "close", None)
            if callable(close):
                close()

    return fetch


def traces_provider(cfg: Any) -> TracesProvider:
    """The slowest trace that started in the window (an :class:`aiops.tracing.TraceView`), or None."""
    def fetch(start: dt.datetime, end: dt.datetime) -> Any:
        from aiops.tracing import open_source, search

        report = search(open_source(cfg), start, end, limit=1)
        return report.traces[0].view if report.traces else None

    return fetch


def from_config(cfg: Any) -> Sources:
    """Real providers for every source the configuration makes reachable."""
    from aiops.incidents.audit import default_path

    sources = Sources(audit=audit_provider(default_path(cfg.get("audit.path"))),
                      alerts=alerts_provider(cfg), metrics=metrics_provider(cfg))
    if cfg.get("pagerduty.token"):
        from aiops.incidents import Settings

        sources.incident = pagerduty_provider(Settings.from_config(cfg))
    else:
        sources.missing["pagerduty"] = "not configured: pagerduty.token is not set"
    sources.log_errors = log_errors_provider(lambda: _open_logs(cfg))
    from aiops.tracing import configured

    if configured(cfg):  # optional: without a tracing source the document has no waterfall, and no gap
        sources.traces = traces_provider(cfg)
    return sources


def _open_logs(cfg: Any) -> Any:
    from aiops.logs import open_backend

    return open_backend(cfg)
