"""The runbook scorecard: every metric, baseline and alert condition, judged now.

``metrics_check(cfg, window="5m", source="auto")`` runs every check in
:data:`aiops.catalog.checks.CHECKS` against Prometheus (concurrently), or, with
``source="scrape"`` or when Prometheus is unreachable under ``auto``, against two direct
scrapes of the targets' ``/metrics`` (degraded mode: what needs history is ``unavailable``).
Rows whose query returned no series say ``no data``, never zero.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from aiops.catalog import BASELINES
from aiops.catalog.checks import CHECKS, Check
from aiops.core import errors
from aiops.core.errors import AiopsError, AuthError, UpstreamError, UsageError
from aiops.core.redact import redact
from aiops.prometheus import fleet

SCHEMA = "aiops.metrics/v1"
SOURCES = ("auto", "prometheus", "scrape")
VERDICTS = ("critical", "warning", "info", "ok", "reported", "no_data", "unavailable", "error")
_UNITS_SHOWN = ("B", "%", "s", "/s", "/h")  # thresholds carry these units in words
_BAND_VERDICT = {"target": "ok", "acceptable": "ok", "warning": "warning", "critical": "critical"}


@dataclass
class Row:
    """One check's outcome; ``value`` is the worst instance's, ``instances`` all of them."""

    key: str
    title: str
    metric: str
    unit: str
    runbook: str
    query: str
    value: float | None = None
    band: str | None = None
    verdict: str = "no_data"
    threshold: str | None = None
    instance: str | None = None
    instances: dict[str, float] = field(default_factory=dict)
    note: str | None = None
    duration_ms: float | None = None  # the query's own latency (None in degraded mode)
    worst: list[tuple[str, float]] = field(default_factory=list)  # worst first (Prometheus: top K)
    instance_counts: dict[str, int] | None = None  # measured, and how many earn each verdict

    def to_dict(self) -> dict[str, Any]:
        def num(v: float | None) -> float | str | None:
            return v if v is None or math.isfinite(v) else str(v)

        return {"key": self.key, "title": self.title, "metric": self.metric, "unit": self.unit,
                "value": num(self.value), "band": self.band, "verdict": self.verdict,
                "threshold": self.threshold, "instance": self.instance,
                "instances": {k: num(v) for k, v in self.instances.items()},
                "worst": [{"instance": k, "value": num(v)} for k, v in self.worst],
                "instance_counts": self.instance_counts,
                "query": self.query, "runbook": self.runbook, "note": self.note,
                "duration_ms": None if self.duration_ms is None else round(self.duration_ms, 2)}


@dataclass
class Scorecard:
    checked_at: dt.datetime
    source: str  # prometheus | scrape
    window_s: float
    job: str | None
    rows: list[Row]
    duration_ms: float = 0.0
    prometheus_url: str | None = None
    targets: list[str] = field(default_factory=list)
    scrape_interval_s: float | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def summary(self) -> dict[str, int]:
        counts = {v: 0 for v in VERDICTS}
        for row in self.rows:
            counts[row.verdict] += 1
        return counts

    @property
    def verdict(self) -> str:
        """The worst judged verdict: critical, warning, info or ok."""
        seen = {row.verdict for row in self.rows}
        return next((v for v in ("critical", "warning", "info") if v in seen), "ok")

    def exit_code(self) -> int:
        """3 when any row is critical, else 0."""
        return errors.CHECK_FAILED if self.verdict == "critical" else errors.OK

    def row(self, key: str) -> Row:
        return next(r for r in self.rows if r.key == key)

    def to_dict(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "checked_at": self.checked_at, "source": self.source,
                "verdict": self.verdict, "window_seconds": self.window_s, "job": self.job,
                "prometheus_url": self.prometheus_url, "targets": self.targets,
                "scrape_interval_seconds": self.scrape_interval_s,
                "duration_ms": round(self.duration_ms, 1), "summary": self.summary,
                "warnings": self.warnings, "rows": [r.to_dict() for r in self.rows]}


def _shown(url: str | None) -> str | None:
    return redact(url) if url else url


def threshold_text(check: Check) -> str | None:
    """The judging rule as people read it: a baseline's bands or ``> 2.0``."""
    if check.baseline:
        base = next(b for b in BASELINES if b.name == check.baseline)
        return " / ".join(base.text)
    if check.op:
        from aiops.core.units import number, quantity

        shown = quantity(check.threshold, check.unit) if check.unit in _UNITS_SHOWN else number(check.threshold)
        return f"{check.op} {shown}"
    return None


def judge(check: Check, value: float | None) -> tuple[str | None, str]:
    """(band, verdict) for the worst value; band only for baseline rows."""
    if value is None or math.isnan(value):
        return None, "no_data"
    if check.baseline:
        band = next(b for b in BASELINES if b.name == check.baseline).band(value)
        return band, _BAND_VERDICT[band]
    if check.op:
        breached = value > check.threshold if check.op == ">" else value < check.threshold
        return None, check.severity if breached else "ok"
    return None, "reported"


def _worst(check: Check, instances: dict[str, float]) -> tuple[str | None, float | None]:
    finite = {k: v for k, v in instances.items() if not math.isnan(v)}
    if not finite:
        return None, None
    pick = min if check.worst == "min" else max
    key = pick(finite, key=finite.__getitem__)
    return key, finite[key]


def make_row(check: Check, query: str, instances: dict[str, float], note: str | None = None) -> Row:
    """Judge one check from its per-instance values."""
    row = Row(check.key, check.title, check.metric, check.unit, check.source, query,
              threshold=threshold_text(check), instances=instances, note=note)
    if check.compute == "count_down" and instances:
        down = sorted(k for k, v in instances.items() if v == 0)
        row.value, row.instance = float(len(down)), ", ".join(down) or None
    else:
        row.instance, row.value = _worst(check, instances)
        if row.value is None and instances and not note:
            row.note = "NaN: nothing to measure in the window (e.g. no requests)"
    row.band, row.verdict = judge(check, row.value)
    return row


def _instance(series: Any) -> str:
    return series.labels.get("instance") or series.label_text() or "-"


def _from_query(check: Check, query: str, result: Any) -> Row:
    if isinstance(result, AiopsError):
        return Row(check.key, check.title, check.metric, check.unit, check.source, query,
                   verdict="error", threshold=threshold_text(check), note=result.message)
    instances: dict[str, float] = {}
    for series in result.series:
        value = series.value
        if value is not None:
            name = _instance(series)
            instances[name] = max(instances.get(name, -math.inf), value)
    row = make_row(check, query, instances, check.no_data if not result.series and check.no_data else None)
    row.duration_ms = result.duration_ms
    return row


def check_prometheus(cfg: Any, window_s: float, job: str | None, *, at: dt.datetime | None = None,
                     timeout: float | None = None, checks: tuple[Check, ...] = CHECKS,
                     top: int = fleet.TOP) -> list[Row]:
    """Every check evaluated by Prometheus over the whole fleet (:mod:`aiops.prometheus.fleet`:
    the ``top`` worst instances, and instance counts by verdict), all queries at once;
    UpstreamError when Prometheus is unreachable, AuthError when it refuses us."""
    from aiops.prometheus.client import connect, query_many

    if top < 1:
        raise UsageError("--top must be at least 1")
    parts = {c.key: fleet.queries(c, window_s, job, top) for c in checks}
    asked = {key: fleet.combined(qs) for key, qs in parts.items()}
    with connect(cfg, timeout=timeout, pool=len(asked)) as client:
        results = query_many(client, asked, at=at, workers=len(asked))
        failures = [r for r in results.values() if isinstance(r, (UpstreamError, AuthError))]
        if failures and len(failures) == len(results):  # unreachable or refusing us: say so, once
            raise next((f for f in failures if isinstance(f, AuthError)), failures[0])
        answers = {key: fleet.split(results[key], qs) for key, qs in parts.items()}
    return [_fleet_row(c, c.promql_for(window_s, job), answers[c.key], top) for c in checks]


def _fleet_row(check: Check, query: str, answers: dict[str, Any], top: int) -> Row:
    error = fleet.failed(answers)
    if error is not None:
        return Row(check.key, check.title, check.metric, check.unit, check.source, query,
                   verdict="error", threshold=threshold_text(check), note=error.message)
    counts = fleet.counts(check, answers)
    worst = fleet._ranked(check, answers["top"], top)
    row = Row(check.key, check.title, check.metric, check.unit, check.source, query,
              threshold=threshold_text(check), instances=dict(worst), worst=worst,
              instance_counts=counts, duration_ms=answers["top"].duration_ms)
    if check.compute == "count_down":
        row.value = float(counts.get(check.severity, 0)) if counts["measured"] else None
        row.instance = ", ".join(k for k, _ in worst) or None
    else:
        row.instance, row.value = (worst[0][0], worst[0][1]) if worst else (None, None)
        if row.value is None and check.no_data:
            row.note = check.no_data
        elif row.value is None and counts["measured"]:
            row.note = "NaN: nothing to measure in the window (e.g. no requests)"
    row.band, row.verdict = judge(check, row.value)
    return row


def check_scrape(targets: list[str], interval_s: float, *, timeout: float, ca_bundle: str | None = None,
                 insecure: bool = False, checks: tuple[Check, ...] = CHECKS) -> list[Row]:
    """Every check from two direct scrapes ``interval_s`` apart; history-based ones unavailable."""
    from aiops.prometheus.scrape import evaluate, scrape_twice

    pairs = scrape_twice(targets, interval_s=interval_s, timeout=timeout, ca_bundle=ca_bundle,
                         insecure=insecure)
    rows = []
    for check in checks:
        if not check.scrape:
            rows.append(Row(check.key, check.title, check.metric, check.unit, check.source,
                            f"(needs Prometheus) {check.promql_for(300, None)}",
                            verdict="unavailable", threshold=threshold_text(check),
                            note="needs a window of history; only Prometheus has it"))
            continue
        values, note = evaluate(check, pairs)
        what = check.scrape if check.scrape == check.metric else f"{check.scrape} of {check.metric}"
        rows.append(make_row(check, f"scrape: {what} over {interval_s:.3g}s", values, note))
    return rows


def metrics_check(cfg: Any, *, window: float | str = "5m", source: str = "auto",
                  job: str | None = None, targets: list[str] | None = None,
                  scrape_interval_s: float = 3.0, timeout: float | None = None,
                  at: dt.datetime | None = None, top: int = fleet.TOP,
                  warn: Callable[[str], None] | None = None,
                  clock: Callable[[], dt.datetime] | None = None) -> Scorecard:
    """Score every runbook check; see the module docstring for sources and degraded mode.

    ``job`` scopes the PromQL (default: the ``prometheus.job`` setting; "" for all jobs).
    ``targets`` (default: the config's) are scraped in degraded mode. ``warn(message)`` is
    told when ``auto`` falls back to scraping.
    """
    from aiops.core.timewindow import parse_duration

    if source not in SOURCES:
        raise UsageError(f"--source must be one of {', '.join(SOURCES)}, got '{source}'")
    window_s = parse_duration(window, what="--window") if isinstance(window, str) else float(window)
    job = cfg.get("prometheus.job") if job is None else job
    timeout = float(timeout or cfg.get("timeout"))
    now = (clock or (lambda: dt.datetime.now(dt.timezone.utc)))()
    started = time.perf_counter()
    targets = list(targets if targets is not None else cfg.get("targets") or [])
    warnings: list[str] = []
    if source in ("auto", "prometheus"):
        try:
            rows = check_prometheus(cfg, window_s, job or None, at=at, timeout=timeout, top=top)
            if job and all(r.verdict == "no_data" for r in rows):
                warnings.append(f"Prometheus has no series for job '{job}': set prometheus.job "
                                "(or --job '' for all jobs)")
                if warn:
                    warn(warnings[-1])
            return Scorecard(now, "prometheus", window_s, job or None, rows,
                             (time.perf_counter() - started) * 1000, _shown(cfg.get("prometheus.url")),
                             warnings=warnings)
        except UpstreamError as exc:
            if source == "prometheus" or not targets:
                if source == "auto" and not targets:
                    exc.hint = "give targets (--target URL or config 'targets') to score them by scraping"
                raise
            warnings.append(f"{exc.message}; scoring by scraping {len(targets)} target(s) directly")
            if warn:
                warn(warnings[-1])
    if not targets:
        raise UsageError("--source scrape needs targets", hint="pass --target URL or set 'targets'")
    from aiops.core.http import normalise_url

    urls = [normalise_url(t) for t in targets]
    rows = check_scrape(urls, scrape_interval_s, timeout=timeout, ca_bundle=cfg.get("tls.ca_bundle"),
                        insecure=bool(cfg.get("tls.insecure")))
    return Scorecard(now, "scrape", window_s, job or None, rows, (time.perf_counter() - started) * 1000,
                     _shown(cfg.get("prometheus.url")), [redact(u) for u in urls], scrape_interval_s,
                     warnings)
