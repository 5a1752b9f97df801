"""Alerts now and over a window: Prometheus ``/api/v1/alerts`` + Alertmanager ``/api/v2/alerts``.

``list_alerts(cfg)`` merges both views into :class:`Alert` rows (one per alert instance) with
severity, P-level (from the rule's ``priority`` label, else the runbook's rule, else the
severity), since when and summary. ``alert_history(cfg, start, end)`` reads the ``ALERTS``
series into intervals, for timelines.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from aiops.catalog import ALERT_RULES
from aiops.catalog.incident import ALERT_SEVERITY_TO_PRIORITY
from aiops.core import errors
from aiops.core.errors import AiopsError, UsageError
from aiops.core.redact import redact

SCHEMA = "aiops.prometheus.alerts/v1"
SOURCES = ("both", "prometheus", "alertmanager")
_RULES = {r.name: r for r in ALERT_RULES}
_FRACTION = re.compile(r"(\.\d{6})\d+")


def parse_ts(text: str | None) -> dt.datetime | None:
    """Go's RFC 3339 timestamps (nanoseconds, ``Z``) as aware datetimes; None for zero/absent."""
    if not text or text.startswith("0001-01-01"):
        return None
    try:
        return dt.datetime.fromisoformat(_FRACTION.sub(r"\1", text).replace("Z", "+00:00"))
    except ValueError:
        return None


def priority_of(labels: dict[str, str]) -> str | None:
    """P1-P4 for an alert: its ``priority`` label, the runbook rule's, or the severity's."""
    if labels.get("priority") in ("P1", "P2", "P3", "P4"):
        return labels["priority"]
    rule = _RULES.get(labels.get("alertname", ""))
    if rule:
        return rule.priority
    return ALERT_SEVERITY_TO_PRIORITY.get(labels.get("severity", ""))


@dataclass
class Alert:
    """One alert instance as Prometheus and/or Alertmanager see it."""

    name: str
    state: str  # pending | firing | silenced | inhibited
    severity: str | None
    priority: str | None
    since: dt.datetime | None
    summary: str | None
    labels: dict[str, str]
    sources: list[str] = field(default_factory=list)
    prometheus_state: str | None = None  # pending | firing
    alertmanager_state: str | None = None  # active | suppressed | unprocessed
    value: str | None = None
    silenced_by: list[str] = field(default_factory=list)
    inhibited_by: list[str] = field(default_factory=list)
    fingerprint: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "state": self.state, "severity": self.severity,
                "priority": self.priority, "since": self.since, "summary": self.summary,
                "labels": self.labels, "sources": self.sources,
                "prometheus_state": self.prometheus_state,
                "alertmanager_state": self.alertmanager_state, "value": self.value,
                "silenced_by": self.silenced_by, "inhibited_by": self.inhibited_by,
                "fingerprint": self.fingerprint}


@dataclass
class SourceStatus:
    name: str
    url: str
    ok: bool = False
    alerts: int = 0
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "url": self.url, "ok": self.ok, "alerts": self.alerts,
                "error": self.error}


@dataclass
class AlertList:
    checked_at: dt.datetime
    alerts: list[Alert]
    sources: list[SourceStatus]

    def exit_code(self) -> int:
        """5 when a source could not be read (what the other said is still listed), else 0."""
        return errors.UNREACHABLE if any(not s.ok for s in self.sources) else errors.OK

    def to_dict(self) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for alert in self.alerts:
            counts[alert.state] = counts.get(alert.state, 0) + 1
        return {"schema": SCHEMA, "checked_at": self.checked_at, "summary": counts,
                "sources": [s.to_dict() for s in self.sources],
                "alerts": [a.to_dict() for a in self.alerts]}


def _from_prometheus(raw: dict[str, Any]) -> Alert:
    labels = dict(raw.get("labels", {}))
    name = labels.get("alertname", "?")
    state = raw.get("state", "firing")
    return Alert(name, state, labels.get("severity"), priority_of(labels), parse_ts(raw.get("activeAt")),
                 raw.get("annotations", {}).get("summary") or _summary(name), labels, ["prometheus"],
                 prometheus_state=state, value=raw.get("value"))


def _summary(name: str) -> str | None:
    rule = _RULES.get(name)
    return rule.summary if rule else None


def _merge_alertmanager(alerts: list[Alert], raw: dict[str, Any]) -> None:
    labels = dict(raw.get("labels", {}))
    status = raw.get("status", {})
    am_state = status.get("state", "active")
    match = next((a for a in alerts if "alertmanager" not in a.sources
                  and a.labels.items() <= labels.items()), None)
    if match is None:
        name = labels.get("alertname", "?")
        match = Alert(name, "firing", labels.get("severity"), priority_of(labels),
                      parse_ts(raw.get("startsAt")),
                      raw.get("annotations", {}).get("summary") or _summary(name), labels)
        alerts.append(match)
    match.sources.append("alertmanager")
    match.alertmanager_state = am_state
    match.fingerprint = raw.get("fingerprint")
    match.silenced_by = list(status.get("silencedBy") or [])
    match.inhibited_by = list(status.get("inhibitedBy") or [])
    if am_state == "suppressed":
        match.state = "silenced" if match.silenced_by else "inhibited"


def merge(prometheus: list[dict[str, Any]], alertmanager: list[dict[str, Any]]) -> list[Alert]:
    """One row per alert instance, highest priority and oldest first."""
    alerts = [_from_prometheus(raw) for raw in prometheus]
    for raw in alertmanager:
        _merge_alertmanager(alerts, raw)
    far = dt.datetime.max.replace(tzinfo=dt.timezone.utc)
    return sorted(alerts, key=lambda a: (a.priority or "P9", a.since or far, a.name))


def list_alerts(cfg: Any, *, source: str = "both", timeout: float | None = None,
                clock: Callable[[], dt.datetime] | None = None) -> AlertList:
    """Pending and firing alerts from Prometheus and Alertmanager, read concurrently.

    A source that cannot be read is reported in ``sources`` (the result's exit code is 5);
    what the other source said is still returned. Both failing raises its error.
    """
    from aiops.prometheus import api, http

    if source not in SOURCES:
        raise UsageError(f"--source must be one of {', '.join(SOURCES)}, got '{source}'")
    now = (clock or (lambda: dt.datetime.now(dt.timezone.utc)))()
    wanted = [("prometheus", "prometheus.url", api.prometheus_alerts),
              ("alertmanager", "alertmanager.url", api.alertmanager_alerts)]
    wanted = [w for w in wanted if source in ("both", w[0])]
    servers = [http.Server.from_config(cfg, key, timeout=timeout) for _, key, _ in wanted]

    async def read_all() -> list[Any]:
        import asyncio

        async def one(server: http.Server, fn: Callable) -> Any:
            async with http.session(server) as session:
                try:
                    return await fn(session, server)
                except AiopsError as exc:
                    return exc

        return await asyncio.gather(*(one(s, w[2]) for s, w in zip(servers, wanted)))

    results = http.run(read_all())
    statuses = [SourceStatus(w[0], redact(s.base)) for w, s in zip(wanted, servers)]
    raw: dict[str, list] = {"prometheus": [], "alertmanager": []}
    for status, result in zip(statuses, results):
        if isinstance(result, AiopsError):
            status.error = result.message
        else:
            status.ok, status.alerts, raw[status.name] = True, len(result), result
    failed = [r for r in results if isinstance(r, AiopsError)]
    if len(failed) == len(results):
        raise failed[0]
    return AlertList(now, merge(raw["prometheus"], raw["alertmanager"]), statuses)


@dataclass
class AlertInterval:
    """A stretch of time during which one alert instance was pending or firing (``ALERTS``)."""

    name: str
    state: str
    start: dt.datetime
    end: dt.datetime
    labels: dict[str, str]
    severity: str | None = None
    priority: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "state": self.state, "start": self.start, "end": self.end,
                "labels": self.labels, "severity": self.severity, "priority": self.priority}


def alert_history(cfg: Any, start: dt.datetime, end: dt.datetime, *, step_s: float | None = None,
                  selector: str = "", timeout: float | None = None) -> list[AlertInterval]:
    """Intervals of ``ALERTS{selector}`` between ``start`` and ``end``, in start order.

    A gap longer than 1.5 steps ends an interval. ``selector`` is label matchers without
    braces, e.g. ``alertname="HighErrorRate"``.
    """
    from aiops.prometheus.queries import auto_step, range_query

    step = step_s or auto_step(start, end, points=600)
    result = range_query(cfg, f"ALERTS{{{selector}}}", start, end, step_s=step, timeout=timeout)
    intervals = []
    for series in result.series:
        labels = {k: v for k, v in series.labels.items() if k not in ("__name__", "alertstate")}
        name, state = labels.get("alertname", "?"), series.labels.get("alertstate", "firing")
        run_start = prev = None
        for ts, _ in series.samples:
            if run_start is not None and ts - prev > 1.5 * step:
                intervals.append(_interval(name, state, run_start, prev, labels))
                run_start = None
            run_start = ts if run_start is None else run_start
            prev = ts
        if run_start is not None:
            intervals.append(_interval(name, state, run_start, prev, labels))
    return sorted(intervals, key=lambda i: (i.start, i.name))


def _interval(name: str, state: str, start: float, end: float, labels: dict[str, str]) -> AlertInterval:
    utc = dt.timezone.utc
    return AlertInterval(name, state, dt.datetime.fromtimestamp(start, utc),
                         dt.datetime.fromtimestamp(end, utc), labels, labels.get("severity"),
                         priority_of(labels))
