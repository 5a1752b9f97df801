"""What each source's answer means: health, scorecard, alerts, logs and trend as findings.

Every finding carries a ``signal`` (the vocabulary playbooks choose by, see
:func:`aiops.playbooks.known_signals`) and, where one applies, the runbook ``alert`` it
points to.
"""

from __future__ import annotations

import math
import re
from typing import Any

from aiops.catalog import ALERT_RULES
from aiops.catalog.checks import check_by_key
from aiops.triage.report import Finding

# What a breached scorecard row means, in the responder's words.
CAUSES = {
    "availability": "Service down", "inference_latency_p95": "Slow inference",
    "model_accuracy": "Model accuracy dropped", "belief_entropy": "Belief entropy spike",
    "free_energy_spike": "Free energy spike", "training_loss_change": "Training loss plateau",
    "cpu_utilization": "CPU saturated", "memory_usage": "Memory usage high",
    "disk_usage": "Disk nearly full", "error_rate": "High error rate",
    "errors_per_second": "High error rate", "memory_growth": "Memory leak",
    "network_io_anomaly": "Network traffic anomaly", "episodes_per_hour": "Training stalled",
}
HEALTH_CHECKS = {"errors": ("Error rate too high", "HighErrorRate"), "memory": ("Memory high", None),
                 "disk": ("Disk nearly full", None), "dependencies": ("Dependency failing", None)}
IMPOSSIBLE_ABOVE = {"cpu_utilization": 100.0}
LEAK_PER_HOUR = 100_000_000  # the MemoryLeak rule: increase(...[1h]) > 100000000


def alert_for_metric(metric: str) -> str | None:
    """The runbook alert whose expression reads ``metric`` (``up`` -> ApplicationDown), a
    histogram's ``_bucket`` series or a counter's ``_total`` included."""
    pattern = re.compile(rf"(?<![A-Za-z0-9_]){re.escape(metric)}(?:_bucket|_total|_sum|_count)?(?![A-Za-z0-9_])")
    return next((r.name for r in ALERT_RULES if pattern.search(r.expr)), None)


def unavailable(source: str, label: str, message: str, hint: str | None = None) -> Finding:
    """A source (``health``, ``metrics``, ...; ``label`` in words) that could not be read."""
    return Finding(f"Source unavailable: {label}: {message}", "unknown", source, "unavailable", hint=hint)


def health_findings(report: Any) -> list[Finding]:
    """One finding per kind of failure, across targets (unreachable, not ready, failing checks)."""
    groups: dict[str, dict[str, Any]] = {}

    def add(signal: str, severity: str, title: str, line: str, alert: str | None = None) -> None:
        group = groups.setdefault(signal, {"severity": severity, "title": title, "alert": alert, "lines": []})
        if _rank(severity) > _rank(group["severity"]):
            group["severity"], group["title"] = severity, title
        group["lines"].append(line)

    total = len(report.targets)
    for t in report.targets:
        where = t.shown
        if t.verdict == "unreachable":
            add("health.unreachable", "critical", "Service down: target(s) unreachable",
                f"{where}: {'; '.join(t.reasons)}", "ApplicationDown")
            continue
        if t.verdict == "healthy":
            continue
        explained = False
        checks = (t.health or {}).get("checks") if isinstance(t.health, dict) else None
        for name, value in (checks or {}).items() if isinstance(checks, dict) else ():
            if value == "ok":
                continue
            cause, alert = HEALTH_CHECKS.get(name, (f"Health check {name} failing", None))
            severity = "critical" if value in ("critical", "failing") else "warning"
            signal = f"health.check.{name}" if name in HEALTH_CHECKS else "health.degraded"
            add(signal, severity, f"{cause}: /health {name} check is {value}", f"{where}: {name}={value}", alert)
            explained = True
        ready = t.endpoints.get("/ready")
        if ready is not None and not ready.ok:
            add("health.not-ready", "critical", "Service not ready: /ready fails",
                f"{where}: /ready: {ready.reason}", "ApplicationDown")
            explained = True
        if not explained:
            severity = "critical" if t.verdict == "unhealthy" else "warning"
            add("health.degraded", severity, f"Health probes failing ({t.verdict})",
                f"{where}: {'; '.join(t.reasons)}")
    out = []
    for signal, g in groups.items():
        count = f" on {len(g['lines'])} of {total} target(s)" if total > 1 else ""
        out.append(Finding(g["title"] + count, g["severity"], "health", signal=signal, alert=g["alert"],
                           evidence=g["lines"][:10]))
    return out


def measured(row: Any) -> str:
    """What a scorecard row measured, in words: "error rate (5xx share) 41.7%", "1 of 4 instances down"."""
    from aiops.core.units import quantity

    if row.key == "availability" and row.value is not None:
        down, total = int(row.value), len(row.instances)
        where = f" ({row.instance})" if row.instance else ""
        return f"{down} of {total} instance{'s' if total != 1 else ''} down{where}"
    title = row.title if row.title[1:2].isupper() else row.title[:1].lower() + row.title[1:]
    return f"{title} {quantity(row.value, row.unit)}"


def rule_severity(check_key: str, verdict: str) -> str:
    """A row that evaluates a runbook alert's own rule carries at least that alert's severity."""
    check = check_by_key(check_key)
    rule = next((r for r in ALERT_RULES if check.source.startswith(r.name + ":")), None)
    if rule is not None and _rank(rule.severity) > _rank(verdict):
        return rule.severity
    return verdict


def metrics_findings(card: Any) -> list[Finding]:
    """Breached scorecard rows; degraded mode and failed queries as their own findings."""
    from aiops.playbooks.steps.metrics import row_line

    out = []
    for row in card.rows:
        # A non-finite value (an unmeasured NaN gauge aggregated to -Inf) judges nothing, nor
        # does a CPU share above 100% of all cores (a reading over a too-short interval).
        if row.verdict not in ("critical", "warning", "info") or row.value is None \
                or not math.isfinite(row.value) or row.value > IMPOSSIBLE_ABOVE.get(row.key, math.inf):
            continue
        title = f"{CAUSES.get(row.key, row.title)}: {measured(row)}"
        if row.key == "availability":
            title += " (runbook: ApplicationDown, up == 0)"
        elif row.threshold:
            title += f" (runbook: {row.threshold})"
        evidence = [row_line(row), *fleet_lines(row),
                    f"{'query' if card.source == 'prometheus' else 'measured'}: {row.query}",
                    f"runbook: {row.runbook}"]
        out.append(Finding(title, row.verdict, "metrics", signal=f"metrics.{row.key}",
                           alert=alert_for_metric(row.metric), evidence=evidence))
    for warning in card.warnings:
        if card.source == "scrape":
            out.append(Finding(f"Prometheus unavailable, metrics scored by scraping the targets: {warning}",
                               "unknown", "metrics", "unavailable",
                               hint="checks that need history (growth, plateaus, spikes) need Prometheus"))
        else:  # Prometheus answered, but not about this service (e.g. no series for the job)
            out.append(Finding(f"Metrics incomplete: {warning}", "unknown", "metrics", "unavailable"))
    failed = [r for r in card.rows if r.verdict == "error"]
    if failed:
        out.append(Finding(f"{len(failed)} scorecard queries failed: {failed[0].note}", "unknown", "metrics",
                           "error", evidence=[f"{r.key}: {r.note}" for r in failed[:5]]))
    return out


def fleet_lines(row: Any) -> list[str]:
    """Over a fleet: the worst instances and how many share the verdict (one line, or none)."""
    from aiops.playbooks.steps.metrics import fleet_line

    line = fleet_line(row)
    return [line] if line else []


def trend_findings(trend: Any) -> list[Finding]:
    """Resident memory growing faster than the MemoryLeak rule allows (degraded mode). The
    measurement ignores noise (see :mod:`aiops.playbooks.steps.trend`), so it carries the rule's severity."""
    per_hour = trend.per_hour
    if per_hour is None or per_hour <= LEAK_PER_HOUR:
        return []
    check = check_by_key("memory_growth")
    title = (f"Memory leak: resident memory grows {per_hour / 1e6:,.0f} MB/h "
             f"(runbook: MemoryLeak above {LEAK_PER_HOUR / 1e6:.0f} MB/h)")
    return [Finding(title, rule_severity(check.key, check.severity), "trend", signal="metrics.memory_growth",
                    alert="MemoryLeak",
                    evidence=trend.evidence() + [f"runbook: {check.source}"])]


def alert_findings(alerts: list[Any], now: Any = None) -> list[Finding]:
    """Firing alerts at their own severity; pending ones as info. How long each has been in
    its state is measured at ``now`` (the time the alerts were read); its start is evidence."""
    out = []
    for a in alerts:
        if a.state not in ("firing", "pending"):
            continue
        severity = a.severity if a.state == "firing" and a.severity in ("critical", "warning", "info") else \
            ("warning" if a.state == "firing" else "info")
        title = f"Alert {a.state}: {a.name} ({a.severity or '-'}, {a.priority or '-'})"
        if a.since is not None and now is not None:
            from aiops.core.units import duration

            title += f" for {duration((now - a.since).total_seconds())}"
        since = f"{a.state} since {a.since.isoformat(timespec='seconds').replace('+00:00', 'Z')}" if a.since else None
        labels = ", ".join(f"{k}={v}" for k, v in sorted(a.labels.items()) if k not in ("alertname", "severity", "priority"))
        evidence = [a.summary or "", labels, since]
        out.append(Finding(title, severity, "alerts", signal=f"alert.{a.name}", alert=a.name,
                           evidence=[e for e in evidence if e]))
    return out


def log_findings(report: Any, since: str) -> list[Finding]:
    """Error records in the window: evidence, not an outage by themselves (warning)."""
    from aiops.playbooks.steps.logs import group_line

    if not report.total:
        return []
    top = report.groups[0] if report.groups else None
    title = f"Errors in the logs: {report.total} error record(s) in the last {since}"
    if top is not None:
        title += f"; most frequent: {top.logger}: {top.message}"
    evidence = [group_line(g) for g in report.groups] + [f"source: {report.backend} {report.source}"]
    return [Finding(title, "warning", "logs", signal="logs.errors", evidence=evidence)]


def _rank(severity: str) -> int:
    return {"critical": 3, "warning": 2, "info": 1}.get(severity, 0)


def merge(findings: list[Finding], playbook: Any = None) -> list[Finding]:
    """One problem, one finding: problems that point to the same runbook alert (the firing
    alert, the scorecard rows of its rule, the /health check it explains) become one finding
    with every source's evidence, led by the most important of them (``findings`` are sorted).
    A failed step of the chosen playbook joins the group of the alert the playbook answers."""
    groups: dict[str, list[Finding]] = {}
    order: list[Any] = []
    answers = list(getattr(playbook, "alerts", None) or [])
    for f in findings:
        key = f.alert if f.status == "problem" else None
        if key is None and f.status == "problem" and f.source.startswith("playbook:"):
            key = next((a for a in answers if a in groups), None)
        if key is None:
            order.append(f)
            continue
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(f)
    return [_merged(groups[item]) if isinstance(item, str) else item for item in order]


def _merged(members: list[Finding]) -> Finding:
    if len(members) == 1:
        return members[0]
    # led by the most severe measurement (a value and its threshold say the most), else the first
    worst_rank = max(_rank(m.severity) for m in members)
    lead = next((m for m in members if m.source == "metrics" and _rank(m.severity) == worst_rank), members[0])
    rest = [m for m in members if m is not lead]
    worst = max(members, key=lambda m: _rank(m.severity)).severity
    evidence = lead.evidence[:1] + [f"{_where(m.source)}: {m.title}" for m in rest] + lead.evidence[1:]
    for m in rest:
        evidence += [e for e in m.evidence if e not in evidence]
    sources = list(dict.fromkeys(_where(m.source) for m in [lead, *rest]))
    return Finding(lead.title, worst, lead.source, lead.status, lead.signal, lead.alert, evidence,
                   lead.hint or next((m.hint for m in rest if m.hint), None), any(m.related for m in members),
                   sources=sources, signals=list(dict.fromkeys(m.signal for m in members if m.signal)))


def _where(source: str) -> str:
    return "playbook" if source.startswith("playbook:") else source
