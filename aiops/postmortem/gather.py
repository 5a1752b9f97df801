"""Gather a post-mortem's facts from every source that answers; record the rest as gaps.

The window is the incident's life plus :data:`LEAD` before it (the alerts and errors that led
up to it) and :data:`TAIL` after it (recovery), unless ``--since``/``--until`` say otherwise.
The sources after the incident itself are read concurrently.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from aiops.core.errors import AiopsError, AuthError, ConfigError, UpstreamError
from aiops.incidents.audit import AuditEntry
from aiops.incidents.clock import compute_clock, severity_of
from aiops.postmortem import timeline as tl
from aiops.postmortem.metrics import summarise
from aiops.postmortem.model import Draft, Gap
from aiops.core.redact import Redactor
from aiops.postmortem.sources import IncidentData, Sources

LEAD = dt.timedelta(minutes=30)
TAIL = dt.timedelta(minutes=10)
DEFAULT_WINDOW = dt.timedelta(hours=1)
TOP_ERRORS = 10
GAP_ERRORS = (UpstreamError, AuthError, ConfigError, OSError)


def _reason(exc: BaseException) -> str:
    return exc.message if isinstance(exc, AiopsError) else f"{type(exc).__name__}: {exc}"


def _try(gaps: list[Gap], source: str, fn: Callable[[], Any], default: Any = None) -> Any:
    try:
        return fn()
    except GAP_ERRORS as exc:
        gaps.append(Gap(source, _reason(exc)))
    except AiopsError as exc:  # e.g. a backend's own usage error: still only this source
        gaps.append(Gap(source, exc.message))
    return default


def _window(data: IncidentData | None, audit: list[Any], since: dt.datetime | None,
            until: dt.datetime | None, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    if since and until:
        return since, until
    inc = data.incident if data else None
    times = [e.time for e in audit]
    if inc is not None and inc.created_at is not None:
        first, last = inc.created_at, inc.resolved_at if inc.status == "resolved" else None
    elif times:
        first, last = min(times), max(times)
    else:
        first, last = now - DEFAULT_WINDOW, now
    start = since or first - LEAD
    end = until or min(now, (last + TAIL) if last else now)
    return start, max(end, start + dt.timedelta(minutes=1))


def build_draft(sources: Sources, *, incident_ref: str | None = None,
                since: dt.datetime | None = None, until: dt.datetime | None = None,
                title: str | None = None, authors: list[str] | None = None,
                actor: str | None = None, now: dt.datetime | None = None,
                redactor: Redactor | None = None, top_errors: int = TOP_ERRORS) -> Draft:
    """Everything a post-mortem says, from ``sources``; unreachable sources become gaps.

    An unknown incident raises :class:`~aiops.core.errors.CheckFailed` (exit 3). With an incident,
    the clock counts this draft as the Post-incident milestone (``postmortem_entry``).
    """
    now = now or dt.datetime.now(dt.timezone.utc)
    clean = redactor or Redactor()
    gaps = [Gap(name, why) for name, why in sources.missing.items()]
    data: IncidentData | None = None
    if incident_ref and sources.incident is not None:
        try:  # an unknown or invalid incident is the user's error (exit 3 / 2), not a gap
            data = sources.incident(incident_ref)
        except GAP_ERRORS as exc:
            gaps.append(Gap("pagerduty", _reason(exc)))
        else:
            data.incident.title = clean.text(data.incident.title)
    key = data.incident.id if data else incident_ref
    audit: list[Any] = []
    if sources.audit is not None:
        audit = _try(gaps, "audit", lambda: sources.audit(key, since, until), []) or []
        if incident_ref and data and not audit and key != incident_ref:
            audit = _try(gaps, "audit", lambda: sources.audit(incident_ref, since, until), []) or []
    trail = _try(gaps, "audit", sources.audit_verify) if sources.audit_verify is not None else None
    start, end = _window(data, audit, since, until, now)
    found = _fetch_window(sources, start, end, top_errors, gaps)
    draft = Draft(title="", date=start.date(), generated_at=now, start=start, end=end,
                  incident_ref=incident_ref, gaps=gaps, redacted=clean.users,
                  authors=[a for a in (authors or ([actor] if actor else [])) if a])
    draft.audit_trail = trail
    draft.alerts = found["alerts"] or []
    draft.log_errors = found["logs"]
    draft.metrics = [summarise(s) for s in found["metrics"] or []]
    draft.metric_series = found["metrics"] or []
    draft.slow_trace = found["traces"]
    _incident_facts(draft, data, audit, title, actor, now)
    events = []
    if data is not None:
        events = tl.from_log_entries(data.log_entries, data.notes, clean)
    events = tl.merge_audit(events, audit, clean)
    events += tl.from_alerts(draft.alerts, end)
    events += tl.from_log_errors(draft.log_errors, clean)
    draft.timeline = tl.sort_events(events)
    draft.title = clean.text(draft.title)
    for gap in draft.gaps:
        gap.reason = clean.text(gap.reason)
    return draft


def _fetch_window(sources: Sources, start: dt.datetime, end: dt.datetime, top: int,
                  gaps: list[Gap]) -> dict[str, Any]:
    calls: dict[str, Callable[[], Any]] = {}
    if sources.alerts is not None:
        calls["alerts"] = lambda: sources.alerts(start, end)
    if sources.metrics is not None:
        calls["metrics"] = lambda: sources.metrics(start, end)
    if sources.log_errors is not None:
        calls["logs"] = lambda: sources.log_errors(start, end, top)
    if sources.traces is not None:
        calls["traces"] = lambda: sources.traces(start, end)
    found: dict[str, Any] = {"alerts": None, "metrics": None, "logs": None, "traces": None}
    if not calls:
        return found
    source_gaps: dict[str, list[Gap]] = {name: [] for name in calls}
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = {name: pool.submit(_try, source_gaps[name], name, fn) for name, fn in calls.items()}
        for name, future in futures.items():
            found[name] = future.result()
    for name in calls:  # in a fixed order, whatever finished first
        gaps.extend(source_gaps[name])
    return found


def measured_severity(metrics: list[Any]) -> tuple[str | None, str | None]:
    """The runbook's severity level that what was measured supports, and why; (None, None)
    when the measurements do not decide it (a person does).

    P1 "Complete service outage": every request failed (error rate at 99% or more). P2
    "Significant performance degradation": a key metric in its critical band. P3 "Minor
    issues": one in its warning band. Anything else is left to a person.
    """
    from aiops.core.units import quantity

    def said(m: Any) -> str:
        return f"{m.title.lower()} worst {quantity(m.worst, m.unit)} ({m.band} band)"

    measured = [m for m in metrics if m.worst is not None]
    outage = [m for m in measured if m.key == "error_rate" and m.worst >= 99.0]
    if outage:
        return "P1", f"measured: {outage[0].title.lower()} worst {quantity(outage[0].worst, outage[0].unit)}: " \
                     "every request failed"
    for level, band in (("P2", "critical"), ("P3", "warning")):
        hit = [m for m in measured if m.band == band]
        if hit:
            return level, "measured: " + "; ".join(said(m) for m in hit)
    return None, None


def _incident_facts(draft: Draft, data: IncidentData | None, audit: list[Any],
                    title: str | None, actor: str | None, now: dt.datetime) -> None:
    inc = data.incident if data else None
    draft.incident = inc
    draft.status = inc.status if inc else None
    draft.severity = severity_of(inc.priority) if inc else None
    if draft.severity is not None:
        draft.severity_basis = "the priority set on the PagerDuty incident"
    else:  # an alert's priority is not the incident's severity: judge what was measured, or leave it
        draft.severity, draft.severity_basis = measured_severity(draft.metrics)
    if inc is not None:
        draft.date = (inc.created_at or draft.start).date()
        draft.title = title or inc.title or f"Incident {inc.id}"
    else:
        draft.title = title or f"Incident on {draft.start.date().isoformat()}"
    if not draft.incident_ref:
        return
    ref = draft.incident_ref.lstrip("#")
    number = inc.number if inc else (int(ref) if ref.isdigit() else None)
    draft.postmortem_entry = AuditEntry(now, actor or "aiops", "postmortem",
                                        inc.id if inc else ref, "written",
                                        {"number": number} if number else {})
    if inc is None:  # without PagerDuty the start is unknown: no clock rather than a wrong one
        return
    draft.clock = compute_clock(inc, data.log_entries, [*audit, draft.postmortem_entry], now=now)
    response = draft.clock.milestone("Immediate response")
    if response.happened:
        draft.acknowledged_at, draft.acknowledged_by = response.happened, response.actor
    resolution = draft.clock.milestone("Resolution")
    if resolution.happened:
        draft.resolved_at, draft.resolved_by = resolution.happened, resolution.actor
        notes = [e.note for e in data.log_entries if e.type == "resolve_log_entry" and e.note]
        notes += [e.details.get("resolution") for e in audit
                  if e.action == "resolve" and e.details.get("resolution")]
        draft.resolution_note = notes[-1] if notes else None
