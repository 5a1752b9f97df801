"""``triage()``: read every source at once, choose the playbook, run it, say what is wrong.

Sources: health probes, the metrics scorecard (Prometheus, or scraping the targets when it
cannot answer), firing alerts, recent error logs, a memory trend (degraded mode's leak
detector) and, with ``incident``, the PagerDuty incident. Each runs in its own thread; one that
fails or is still running when the time budget (the ``timeout`` setting) runs out becomes a
"source unavailable" finding and the rest still count. The chosen playbook's steps reuse what
the sources measured and share the same budget.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any, Callable

from aiops.core.errors import AiopsError, UpstreamError, UsageError
from aiops.core.redact import redact
from aiops.triage import findings as F
from aiops.triage.choose import alert_in_text, choose, mark_related
from aiops.triage.report import Finding, SourceStatus, TriageReport
from aiops.triage.sources import Gather

WINDOW_S = 300.0  # the scorecard window: the runbook's rate(...[5m])
TREND_METRIC = "process_resident_memory_bytes"
TREND_NOISE = 1048576.0
TREND_S = 2.0  # seconds between the trend's two scrapes (the memory playbooks' metrics.trend steps)
WAITED = ("health", "metrics", "alerts", "logs", "incident")
# Loaded before the budget starts: on a busy machine importing these takes seconds, and the
# budget bounds the wait for upstreams, not the loading of Python modules.
PRELOAD = ("aiohttp", "prometheus_api_client", "aiops.health.probe", "aiops.prometheus.scorecard",
           "aiops.prometheus.alerts", "aiops.playbooks.steps.logs")


def triage(cfg: Any, *, alert: str | None = None, incident: str | None = None,
           targets: list[str] | None = None, since: str = "15m", metrics_source: str = "auto",
           read_alerts: bool = True, note: bool = False, scrape_interval_s: float = 3.0,
           library: Any = None, clock: Callable[[], dt.datetime] | None = None,
           progress: Callable[[str], None] | None = None) -> TriageReport:
    """Triage the service; see the module docstring. Raises UsageError (exit 2) for an unknown
    alert, a malformed target or ``note`` without ``incident``."""
    from aiops.core.http import normalise_url
    from aiops.core.timewindow import parse_duration
    import importlib

    from aiops.playbooks import load_library
    from aiops.playbooks.steps import Context

    for module in PRELOAD:
        importlib.import_module(module)
    began = time.monotonic()
    clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))
    now = clock()
    timeout = float(cfg.get("timeout"))
    deadline = began + timeout
    library = library or load_library(cfg.get("playbooks.dir"))
    if alert:
        library.require_alert(alert)
    if note and not incident:
        raise UsageError("--note posts to an incident: give --incident ID")
    since_s = parse_duration(since, what="--since")
    targets = [normalise_url(t) for t in (targets if targets is not None else cfg.get("targets") or [])]
    interval = min(scrape_interval_s, max(0.5, timeout / 3))
    trend_s = min(TREND_S, interval)
    # Requests time out a little before the budget does, so a silent server is an answer
    # ("timed out") rather than a source still running at the deadline.
    ctx = Context(cfg, targets, max(0.5, timeout * 0.8 - 0.2), incident=incident, allow_writes=False,
                  clock=clock, deadline=deadline)
    say = progress or (lambda message: None)

    gather, cancel = _start(ctx, cfg, since_s, metrics_source, read_alerts, interval, trend_s, ctx.timeout)
    say(f"reading {', '.join(n for n, a in gather.answers.items() if not a.skipped)}")
    found, statuses, card = _read(ctx, gather, cfg, since, metrics_source, trend_s, deadline)
    inc, clock_state = gather["incident"].value if gather["incident"].ok else (None, None)
    incident_alert = alert_in_text(inc.title, library.alerts()) if inc else None
    choice = choose(library, found, alert=alert, incident_alert=incident_alert)
    run = None
    if choice.playbook is not None:
        say(f"running playbook {choice.playbook.name}")
        from aiops.playbooks.steps import run_playbook

        run = run_playbook(choice.playbook, ctx, deadline=deadline)
        found += _step_findings(run, choice.playbook, {f.source for f in found if f.status == "problem"})
    mark_related(found, choice.playbook)
    if run is not None:
        from aiops.playbooks.steps.traces import add_evidence

        add_evidence(run, found)  # the dominant phase of the slowest traces, when tracing is configured
    found = [f for _, f in sorted(enumerate(found), key=lambda p: p[1].sort_key(p[0]))]
    found = F.merge(found, choice.playbook)

    report = TriageReport(now, [redact(t) for t in targets], timeout, found, statuses, choice, run, alert or incident_alert,
                          metrics_source=card.source if card else None)
    if inc is not None:
        report.incident, report.p1_clock = inc.to_dict(), clock_state
    report.next_steps = next_steps(report)
    if note:  # the note says how long the triage took up to now (its own posting excluded)
        report.duration_ms = (time.monotonic() - began) * 1000
        report.note = _post_note(cfg, incident, report, gather["incident"])
    if incident:
        _record(cfg, incident, report)
    cancel.set()  # a measurement nobody needed any more stops now
    report.duration_ms = (time.monotonic() - began) * 1000
    return report


def _read(ctx: Any, gather: Gather, cfg: Any, since: str, metrics_source: str, trend_s: float,
          deadline: float) -> tuple[list[Finding], list[SourceStatus], Any]:
    """Wait for the sources (the trend only when the scorecard could not judge memory growth),
    turn their answers into findings and hand them to the playbook steps."""
    gather.wait(list(WAITED), deadline)
    card = gather["metrics"].value if gather["metrics"].ok else None
    trend = gather.answers["trend"]
    if _needs_trend(card):
        gather.wait(["trend"], deadline)
    elif not trend.done:  # a playbook step may still use it: keep it running, do not wait
        ctx.pending[_trend_key(ctx, trend_s)] = lambda: _finish(gather, trend, deadline)
        gather.skip("trend", UsageError("not needed: Prometheus measured memory growth"))
    found, statuses = _findings(gather, cfg, since, float(cfg.get("timeout")))
    _share(ctx, gather, metrics_source, trend_s)
    if not any(a.ok for n, a in gather.answers.items() if n in ("health", "metrics", "alerts", "logs")):
        found.append(Finding("No source answered: the service's state is unknown", "warning", "health",
                             hint="give --target URL and check the prometheus.url and logs.* settings"))
    return found, statuses, card


def _record(cfg: Any, incident: str, report: TriageReport) -> None:
    """The triage on the incident's audit trail (the P1 clock counts it as investigation)."""
    from aiops.playbooks.steps.incident import record

    inc = report.incident or {}
    playbook = report.choice.playbook
    warning = record(cfg, "triage", inc.get("id") or incident, report.verdict, number=inc.get("number"),
                     playbook=playbook.name if playbook else None, summary=report.summary)
    report.warnings += [warning] if warning else []

def _trend_key(ctx: Any, interval: float) -> tuple:
    """The cache key of the ``metrics.trend`` step that triage's own trend measurement answers."""
    return ("trend", TREND_METRIC, interval, TREND_NOISE, tuple(ctx.targets))


def _finish(gather: Gather, answer: Any, deadline: float) -> Any:
    gather.wait(["trend"], deadline)
    if not answer.done:
        raise UpstreamError("the memory trend did not finish within the time budget")
    if answer.error is not None:
        raise answer.error
    return answer.value


def _start(ctx: Any, cfg: Any, since_s: float, metrics_source: str, read_alerts: bool,
           interval: float, trend_s: float, timeout: float) -> tuple[Gather, threading.Event]:
    from aiops.playbooks.steps import health as health_step
    from aiops.playbooks.steps import logs as logs_step

    gather, cancel, targets = Gather(), threading.Event(), ctx.targets
    no_targets = UsageError("no targets given or configured", hint="pass --target URL or use --env NAME")
    if targets:
        gather.start("health", lambda: health_step.probe(ctx, targets))
        gather.start("trend", lambda: _trend(targets, trend_s, cfg, timeout, cancel))
    else:
        gather.skip("health", no_targets)
        gather.skip("trend", no_targets)
    if metrics_source == "scrape" and not targets:
        gather.skip("metrics", no_targets)
    else:
        from aiops.prometheus.scorecard import metrics_check

        # Leave time for the scrape fallback when Prometheus does not answer.
        prom_timeout = max(1.0, timeout - interval - 1.0) if targets else timeout
        gather.start("metrics", lambda: metrics_check(cfg, window=WINDOW_S, source=metrics_source,
                                                      targets=targets, timeout=prom_timeout,
                                                      scrape_interval_s=interval))
    if read_alerts and metrics_source != "scrape":
        from aiops.prometheus.alerts import list_alerts

        gather.start("alerts", lambda: list_alerts(cfg, timeout=timeout))
    else:
        gather.skip("alerts", UsageError("not read: metrics come from scraping the targets"))
    gather.start("logs", lambda: logs_step.errors(ctx, since_s, 5))
    if ctx.incident:
        gather.start("incident", lambda: fetch_incident(cfg, ctx.incident, ctx.clock()))
    else:
        gather.skip("incident", UsageError("no incident given"))
    return gather, cancel


def _trend(targets: list[str], interval: float, cfg: Any, timeout: float, cancel: threading.Event) -> Any:
    from aiops.playbooks.steps.trend import measure

    return measure(targets, metric=TREND_METRIC, seconds=interval, noise=TREND_NOISE, timeout=timeout,
                   ca_bundle=cfg.get("tls.ca_bundle"), insecure=bool(cfg.get("tls.insecure")), cancel=cancel)


def _needs_trend(card: Any) -> bool:
    """The scrape trend matters when the scorecard could not judge memory growth itself."""
    if card is None:
        return True
    return card.source == "scrape" or card.row("memory_growth").verdict in ("no_data", "unavailable", "error")


def fetch_incident(cfg: Any, ref: str, now: dt.datetime) -> tuple[Any, Any]:
    """The PagerDuty incident ``ref`` (ID or number) and its P1 clock (:mod:`aiops.incidents.clock`)."""
    from aiops.incidents import Settings
    from aiops.incidents.audit import default_path
    from aiops.incidents.clock import incident_clock
    from aiops.postmortem.sources import audit_provider, pagerduty_provider

    read = pagerduty_provider(Settings.from_config(cfg))
    seen: list[Any] = []
    clock = incident_clock(lambda r: seen.append(read(r)) or seen[-1],
                           audit_provider(default_path(cfg.get("audit.path"))), ref, now=now)
    return seen[0].incident, clock


_LABELS = {"health": "health probes", "metrics": "metrics scorecard", "alerts": "alerts",
           "logs": "logs", "trend": "memory trend", "incident": "PagerDuty incident"}


def _findings(gather: Gather, cfg: Any, since: str, timeout: float) -> tuple[list[Finding], list[SourceStatus]]:
    found: list[Finding] = []
    statuses = []
    for name in ("health", "metrics", "alerts", "logs", "trend", "incident"):
        answer = gather[name]
        if not answer.done:
            reason = f"did not answer within the {timeout:g}s time budget"
            statuses.append(SourceStatus(name, "timeout", reason, answer.duration_ms))
            found.append(F.unavailable(name, _LABELS[name], reason))
            continue
        if answer.error is not None:
            statuses.append(SourceStatus(name, "skipped" if answer.skipped else "unavailable",
                                         answer.error.message, answer.duration_ms))
            if not answer.skipped or name == "health":
                found.append(F.unavailable(name, _LABELS[name], answer.error.message, answer.error.hint))
            continue
        detail, more = _convert(name, answer.value, cfg, since)
        statuses.append(SourceStatus(name, "ok", detail, answer.duration_ms))
        found += more
    return found, statuses


def _convert(name: str, value: Any, cfg: Any, since: str) -> tuple[str, list[Finding]]:
    if name == "health":
        s = value.summary
        return (f"{s['targets']} target(s): {s['healthy']} healthy, {s['degraded']} degraded, "
                f"{s['unhealthy']} unhealthy, {s['unreachable']} unreachable"), F.health_findings(value)
    if name == "metrics":
        s = value.summary
        detail = (f"{value.source}: {len(value.rows)} checks, {s['critical']} critical, {s['warning']} "
                  f"warning, {s['info']} info, {s['ok']} ok, {s['no_data'] + s['unavailable']} without data")
        return detail, F.metrics_findings(value)
    if name == "alerts":
        job = cfg.get("prometheus.job")
        mine = [a for a in value.alerts if not job or a.labels.get("job", job) == job]
        more = F.alert_findings(mine, value.checked_at)
        more += [F.unavailable("alerts", f"alerts from {s.name}", s.error) for s in value.sources if not s.ok]
        return f"{sum(a.state == 'firing' for a in mine)} firing, {sum(a.state == 'pending' for a in mine)} pending", more
    if name == "logs":
        return f"{value.total} error record(s) in {value.source}", F.log_findings(value, since)
    if name == "trend":
        per_hour = value.per_hour
        return (f"{TREND_METRIC}: " + ("no value" if per_hour is None else f"{per_hour / 1e6:,.1f} MB/h")), \
            F.trend_findings(value)
    incident, clock = value
    return f"#{incident.number} {incident.title} ({incident.status}; P1 clock {clock.verdict})", []


def _share(ctx: Any, gather: Gather, metrics_source: str, trend_s: float) -> None:
    """Hand the sources' answers to the playbook steps, and tell them which sources are down."""
    metrics, alerts, logs = gather["metrics"], gather["alerts"], gather["logs"]
    if metrics.ok:
        for source in {"auto", metrics_source}:
            ctx.cache[("metrics", WINDOW_S, source)] = metrics.value
        if metrics.value.source == "scrape":
            ctx.unavailable["prometheus"] = (metrics.value.warnings or ["not used: --source scrape"])[0]
    elif metrics.done:
        ctx.unavailable["metrics"] = ctx.unavailable["prometheus"] = metrics.error.message
    if alerts.ok:
        ctx.cache[("alerts",)] = alerts.value
    elif alerts.done:
        ctx.unavailable["alerts"] = alerts.error.message
    if logs.done and logs.error is not None:
        ctx.unavailable["logs"] = logs.error.message
    if not ctx.targets:
        ctx.unavailable["targets"] = "no targets given or configured"
    trend = gather["trend"]
    if trend.ok and not trend.value.cancelled:
        ctx.cache[_trend_key(ctx, trend_s)] = trend.value
    for name in ("health", "metrics", "alerts", "logs"):
        if not gather[name].done:  # still running: the steps would wait for it too
            ctx.unavailable[name if name != "health" else "targets"] = "did not answer in time"


# A failed step that re-reads a source which already reported a problem confirms that finding;
# it stays in the steps table but is not repeated as a finding.
_CONFIRMS = {"health.check": "health", "metrics.check": "metrics", "metrics.trend": "trend",
             "logs.errors": "logs", "alerts.list": "alerts"}


def _step_findings(run: Any, playbook: Any, reported: set[str]) -> list[Finding]:
    out = []
    for s in run.steps:
        source = f"playbook:{playbook.name}#{s.number}"
        if s.status == "failed" and _CONFIRMS.get(s.action) not in reported:
            out.append(Finding(f"Step {s.number} failed: {s.name}: {s.reason}", s.severity or playbook.severity,
                               source, evidence=s.evidence, hint=s.hint))
        elif s.status == "error":
            out.append(Finding(f"Step {s.number} could not run: {s.name}: {s.reason}", "unknown", source,
                               "error", evidence=s.evidence))
    return out


def next_steps(report: TriageReport, limit: int = 10) -> list[str]:
    """What to do now: the P1 milestone due next, failed steps' hints, the manual steps."""
    from aiops.catalog import P1_TIMELINE

    out: list[str] = []
    if report.verdict == "ok" and report.choice.playbook is None:
        out.append("Nothing to do: every source that answered looks healthy.")
    clock = report.p1_clock
    pending = next((m for m in clock.milestones if m.status != "met"), None) if clock else None
    if pending is not None:
        from aiops.incidents.clock import describe

        actions = next(m.actions for m in P1_TIMELINE if m.name == pending.name)
        out.append(f"{pending.name} ({describe(pending)}): {'; '.join(actions)}")
    if report.run:
        out += [s.hint for s in report.run.steps if s.status == "failed" and s.hint]
        out += [f"{s.name}: {s.manual}" for s in report.run.steps if s.status == "manual"]
    if report.choice.playbook is None and report.top is not None and report.top.signal:
        out.append(f"No playbook answers this; start from the top finding: {report.top.title}")
    out += [f"{f.source}: {f.hint}" for f in report.findings if f.status == "unavailable" and f.hint]
    return list(dict.fromkeys(out))[:limit]


def _post_note(cfg: Any, incident: str, report: TriageReport, answer: Any) -> dict[str, Any]:
    from aiops.triage.report import to_markdown

    if not answer.ok:
        reason = answer.error.message if answer.error else "PagerDuty did not answer in time"
        return {"incident": incident, "posted": False, "outcome": "not attempted", "reason": reason}
    from aiops.incidents import PagerDuty, Settings, add_note
    from aiops.playbooks.steps.incident import audit_log

    try:
        with PagerDuty(Settings.from_config(cfg)) as pd:
            result = add_note(pd, answer.value[0].id, to_markdown(report), audit=audit_log(cfg)).results[0]
    except AiopsError as exc:
        return {"incident": incident, "posted": False, "outcome": "failed", "reason": exc.message}
    return {"incident": incident, "posted": result.outcome == "noted", "outcome": result.outcome,
            "reason": result.reason}


