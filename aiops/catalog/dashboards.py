"""The runbook's three dashboards as data: every widget it lists, as panels.

One definition feeds both renderings: ``aiops dashboards export`` (Grafana JSON) and
``aiops dashboard NAME`` (the terminal). A panel's PromQL is written in Grafana's template
syntax (``$job``, ``$__rate_interval``, ``$__range``); the terminal fills the same variables
in (see :func:`aiops.dashboards.promql.expand`).

Nothing is written twice: a panel that shows a scorecard check (``check=``) takes that check's
PromQL, unit, runbook line and thresholds (a baseline row of the runbook's "Performance
Baselines", or an alert condition) from :mod:`aiops.catalog.checks`; ``alert`` names one of
the runbook's alert rules in :mod:`aiops.catalog.alerts`. Panels the runbook gives no numbers
for (request rate, sessions, cache, pool, container, disk I/O) have no thresholds: they report.

A widget can need more than one panel ("Resource utilization (CPU, Memory, Disk)" is three);
``widget`` names the runbook's widget each panel belongs to, word for word.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aiops.catalog.alerts import rule_by_name
from aiops.catalog.baselines import BASELINES
from aiops.catalog.checks import SEL, WIN, Check, check_by_key

JOB = 'job="$job"'  # the Grafana variable; the terminal puts the configured job in
RATE = "$__rate_interval"
RANGE = "$__range"


@dataclass(frozen=True)
class Query:
    """One PromQL target: ``legend`` is Grafana's legend format (``{{instance}}``).

    ``scrape`` says how degraded mode computes it from the targets' /metrics (see
    :mod:`aiops.dashboards.scrape`): a kind and its metric names; empty = needs Prometheus.
    """

    expr: str
    legend: str = "{{instance}}"
    scrape: tuple[str, ...] = ()
    ref: str = "A"

    def to_dict(self) -> dict:
        return {"ref": self.ref, "expr": self.expr, "legend": self.legend, "scrape": list(self.scrape)}


@dataclass(frozen=True)
class Threshold:
    """Where a band starts: values from ``value`` on (upwards) are ``band``."""

    value: float | None  # None: the base band (everything below the first step)
    band: str  # ok | warning | critical | info
    strict: bool = False  # the band starts just above ``value`` (an alert's ``> t``)


@dataclass(frozen=True)
class Panel:
    key: str
    title: str
    widget: str  # the runbook's widget, verbatim
    description: str
    unit: str  # a Grafana unit ID (checked against aiops.dashboards.units)
    queries: tuple[Query, ...]
    kind: str = "timeseries"  # timeseries | stat | heatmap
    check: str | None = None  # a scorecard check: thresholds, runbook line (and PromQL if no queries)
    alert: str | None = None  # a runbook alert rule name
    width: int = 12  # Grafana grid columns (of 24)

    @property
    def thresholds(self) -> tuple[Threshold, ...]:
        """The bands, from the check's baseline row or alert condition; () when none."""
        return thresholds_for(check_by_key(self.check)) if self.check else ()

    @property
    def runbook(self) -> str:
        """The runbook's words behind the thresholds (the check's source), or the widget."""
        return check_by_key(self.check).source if self.check else f"Dashboards: {self.widget}"

    def to_dict(self) -> dict:
        return {"key": self.key, "title": self.title, "widget": self.widget, "kind": self.kind,
                "unit": self.unit, "description": self.description, "alert": self.alert,
                "check": self.check, "runbook": self.runbook,
                "thresholds": [{"value": t.value, "band": t.band, "strict": t.strict} for t in self.thresholds],
                "queries": [q.to_dict() for q in self.queries]}


@dataclass(frozen=True)
class Dashboard:
    name: str  # main | performance | infrastructure
    uid: str  # stable Grafana UID
    title: str
    description: str
    panels: tuple[Panel, ...] = field(default_factory=tuple)

    def panel(self, key: str) -> Panel:
        return next(p for p in self.panels if p.key == key)

    def to_dict(self) -> dict:
        return {"name": self.name, "uid": self.uid, "title": self.title,
                "description": self.description, "panels": [p.to_dict() for p in self.panels]}


def thresholds_for(check: Check) -> tuple[Threshold, ...]:
    """A check's judging rule as ascending threshold steps (Grafana's model).

    A baseline row: lower-is-better gives ok < acceptable <= warning < critical; higher-is-better
    the mirror image. An alert condition ``> t`` makes ``t`` the start of its severity; ``< t``
    makes everything below ``t`` that severity.
    """
    if check.baseline:
        b = next(b for b in BASELINES if b.name == check.baseline)
        if b.direction == "lower":
            return Threshold(None, "ok"), Threshold(b.acceptable, "warning"), Threshold(b.critical, "critical")
        return Threshold(None, "critical"), Threshold(b.critical, "warning"), Threshold(b.acceptable, "ok")
    if check.op == ">":
        return Threshold(None, "ok"), Threshold(check.threshold, check.severity, strict=True)
    if check.op == "<":
        return Threshold(None, check.severity), Threshold(check.threshold, "ok")
    return ()


def _checked(key: str, title: str, widget: str, description: str, unit: str, *,
             scrape: tuple[str, ...] = ("gauge",), legend: str = "{{instance}}", **kwargs) -> Panel:
    """A panel showing scorecard check ``key``: its PromQL (the job matcher and window become
    Grafana variables), thresholds and runbook line; ``("gauge",)`` reads the check's metric."""
    check = check_by_key(key)
    promql = check.promql.replace(SEL, JOB).replace(WIN, RATE)
    spec = (scrape[0], check.metric) if scrape == ("gauge",) else scrape
    return Panel(key=kwargs.pop("panel_key", key), title=title, widget=widget, description=description,
                 unit=unit, queries=(Query(promql, legend, spec),), check=key, **kwargs)


def _rate(metric: str, by: str = "instance") -> str:
    return f"sum by ({by}) (rate({metric}{{{JOB}}}[{RATE}]))"


def _gauge(metric: str, legend: str = "{{instance}}", ref: str = "A") -> Query:
    """A gauge per instance; degraded mode reads it from the last scrape."""
    return Query(f"sum by (instance) ({metric}{{{JOB}}})", legend, ("gauge", metric), ref)


def _per_second(metric: str, label: str | None = None) -> Query:
    """A counter's rate per instance (and ``label``); degraded mode takes it from two scrapes."""
    if label is None:
        return Query(_rate(metric), scrape=("rate", metric))
    return Query(_rate(metric, f"instance, {label}"), f"{{{{instance}}}} {{{{{label}}}}}", ("rate", metric, label))


def _quantile(q: float, ref: str) -> Query:
    return Query(f"histogram_quantile({q:g}, sum by (le) (rate(ai_inference_duration_seconds_bucket{{{JOB}}}[{RATE}])))",
                 f"p{round(q * 100)}", ("quantile", f"{q:g}", "ai_inference_duration_seconds"), ref)


MAIN = Dashboard("main", "aiops-main", "Active Inference: Main",
                 "Service availability, traffic, errors, resources and users (the runbook's Main Dashboard).", (
    Panel("uptime", "Uptime", "Service availability (uptime %)",
          "Share of Prometheus scrapes that reached each instance over the dashboard's time range.",
          "percent", (Query(f"avg by (instance) (avg_over_time(up{{{JOB}}}[{RANGE}])) * 100", scrape=("up_percent",)),),
          kind="stat", alert="ApplicationDown", width=6),
    Panel("instances_down", "Instances down", "Service availability (uptime %)",
          "Instances whose last scrape failed (up == 0); ApplicationDown fires after 1m.",
          "short", (Query(f"count(up{{{JOB}}} == 0) or vector(0)", "down", ("down",)),),
          kind="stat", check="availability", alert="ApplicationDown", width=6),
    Panel("request_rate", "Request rate", "Request rate and response times",
          "HTTP requests per second answered by each instance, all paths and statuses.",
          "reqps", (_per_second("http_requests_total"),), width=12),
    _checked("inference_latency_p95", "Response time p95", "Request rate and response times",
             "95th percentile inference time per instance (the runbook's HighResponseTime measure).",
             "s", scrape=("quantile", "0.95", "ai_inference_duration_seconds"), alert="HighResponseTime",
             panel_key="response_time_p95"),
    _checked("error_rate", "Error rate", "Error rate trends",
             "Share of HTTP responses with a 5xx status, per instance.",
             "percent", scrape=("error_percent",), alert="HighErrorRate"),
    Panel("errors_per_second", "5xx per second", "Error rate trends",
          "5xx responses per second; HighErrorRate fires above 0.1/s for 2m.",
          "reqps", (Query(f'sum by (instance, status) (rate(http_requests_total{{{JOB},status=~"5.."}}[{RATE}]))',
                          "{{instance}} {{status}}", ("rate_5xx",)),),
          check="errors_per_second", alert="HighErrorRate"),
    _checked("cpu_utilization", "CPU", "Resource utilization (CPU, Memory, Disk)",
             "CPU used by the service process, % of all cores (cpu_usage_percent).",
             "percent", width=8, panel_key="cpu"),
    _checked("memory_usage", "Memory of limit", "Resource utilization (CPU, Memory, Disk)",
             "Resident memory as % of the memory limit (memory_usage_bytes / memory_limit_bytes).",
             "percent", scrape=("percent_of", "memory_usage_bytes", "memory_limit_bytes"), alert="MemoryLeak",
             width=8, panel_key="memory"),
    _checked("disk_usage", "Disk", "Resource utilization (CPU, Memory, Disk)",
             "Disk space used on the service's data file system (disk_usage_percent).",
             "percent", width=8, panel_key="disk"),
    Panel("active_sessions", "Active user sessions", "Active user sessions",
          "Distinct user IDs (X-User-ID) seen by each instance in its sliding session window.",
          "short", (_gauge("ai_active_sessions"),),
          width=24),
))

PERFORMANCE = Dashboard("performance", "aiops-performance", "Active Inference: Performance",
                        "Inference latency, model quality, convergence and training (the runbook's "
                        "Performance Dashboard).", (
    Panel("latency_quantiles", "Inference latency quantiles", "Inference latency distribution",
          "p50, p95 and p99 of ai_inference_duration_seconds over all instances; bands are the "
          "runbook's p95 baselines.",
          "s", (_quantile(0.5, "A"), _quantile(0.95, "B"), _quantile(0.99, "C")),
          check="inference_latency_p95", alert="HighResponseTime"),
    Panel("latency_heatmap", "Inference latency distribution", "Inference latency distribution",
          "Inferences per latency bucket (ai_inference_duration_seconds_bucket), all instances.",
          "s", (Query(f"sum by (le) (increase(ai_inference_duration_seconds_bucket{{{JOB}}}[{RATE}]))",
                      "{{le}}", ("buckets", "ai_inference_duration_seconds")),), kind="heatmap"),
    _checked("model_accuracy", "Model accuracy", "Model accuracy over time",
             "Rolling accuracy of the training episodes (ai_model_accuracy).",
             "percentunit", alert="LowModelAccuracy"),
    Panel("free_energy", "Free energy", "Free energy convergence",
          "Variational free energy of the latest inferences, nats (ai_free_energy), averaged "
          "over the rate interval; the runbook watches for sudden spikes.",
          "none", (Query(f"avg by (instance) (avg_over_time(ai_free_energy{{{JOB}}}[{RATE}]))",
                         scrape=("gauge", "ai_free_energy")),), width=8),
    _checked("belief_entropy", "Belief entropy", "Free energy convergence",
             "Uncertainty of the agent's beliefs, nats (ai_belief_entropy); the runbook alerts above 2.0.",
             "none", width=8),
    _checked("convergence_time", "Time to convergence", "Free energy convergence",
             "Seconds until beliefs settle (>= 0.9 on one state), mean of recent episodes.", "s", width=8),
    _checked("episodes_per_hour", "Training episodes per hour", "Training progress metrics",
             "Completed training episodes per hour; TrainingStalled fires below 10 for 1h.",
             "short", scrape=("rate_per_hour", "ai_episodes_completed"), alert="TrainingStalled"),
    Panel("training_loss", "Training loss", "Training progress metrics",
          "Cross-entropy of the final beliefs, mean of recent episodes (ai_training_loss); the "
          "runbook watches for a plateau.",
          "none", (_gauge("ai_training_loss"),)),
    _checked("sample_efficiency", "Sample efficiency", "Sample efficiency trends",
             "Observations needed before beliefs converge, mean of recent episodes (ai_sample_efficiency).",
             "short", width=24),
))

INFRASTRUCTURE = Dashboard("infrastructure", "aiops-infrastructure", "Active Inference: Infrastructure",
                           "Containers, network, disk, database pool and cache (the runbook's "
                           "Infrastructure Dashboard).", (
    Panel("container_cpu", "Container CPU", "Container resource usage",
          "CPU time of the service's cgroup per second, in cores (container_cpu_usage_seconds_total).",
          "short", (_per_second("container_cpu_usage_seconds_total"),)),
    Panel("container_memory", "Container memory", "Container resource usage",
          "Memory charged to the service's cgroup (container_memory_usage_bytes) and its limit, "
          "when one is set.",
          "bytes", (_gauge("container_memory_usage_bytes", "{{instance}} used"),
                    _gauge("container_memory_limit_bytes", "{{instance}} limit", "B"))),
    Panel("network", "Network traffic", "Network traffic patterns",
          "HTTP bytes per second received and sent by each instance (network_io_bytes).",
          "Bps", (_per_second("network_io_bytes", "direction"),)),
    Panel("disk_io", "Disk I/O", "Disk I/O metrics",
          "Bytes per second the service process read from and wrote to storage (disk_io_bytes_total, "
          "from the kernel's per-process I/O accounting).",
          "Bps", (_per_second("disk_io_bytes_total", "direction"),)),
    Panel("db_pool", "Database connection pool", "Database connection pools",
          "Episode store connections checked out, the pool's size and its overflow "
          "(db_pool_connections_checked_out, db_pool_size, db_pool_overflow).",
          "short", (_gauge("db_pool_connections_checked_out", "{{instance}} checked out"),
                    _gauge("db_pool_size", "{{instance}} size", "B"),
                    _gauge("db_pool_overflow", "{{instance}} overflow", "C"))),
    Panel("cache_hit_rate", "Inference cache hit rate", "Cache hit rates",
          "Share of /infer lookups answered from the inference cache "
          "(ai_inference_cache_hits_total / (hits + misses)).",
          "percentunit", (Query(
              f"{_rate('ai_inference_cache_hits_total')} / ({_rate('ai_inference_cache_hits_total')} "
              f"+ {_rate('ai_inference_cache_misses_total')})",
              scrape=("ratio", "ai_inference_cache_hits_total", "ai_inference_cache_misses_total")),)),
))

DASHBOARDS: tuple[Dashboard, ...] = (MAIN, PERFORMANCE, INFRASTRUCTURE)

# The runbook's widgets, word for word: a test proves every one has a panel.
WIDGETS: dict[str, tuple[str, ...]] = {
    "main": ("Service availability (uptime %)", "Request rate and response times", "Error rate trends",
             "Resource utilization (CPU, Memory, Disk)", "Active user sessions"),
    "performance": ("Inference latency distribution", "Model accuracy over time", "Free energy convergence",
                    "Training progress metrics", "Sample efficiency trends"),
    "infrastructure": ("Container resource usage", "Network traffic patterns", "Disk I/O metrics",
                       "Database connection pools", "Cache hit rates"),
}


def dashboard_by_name(name: str) -> Dashboard:
    """The dashboard called ``name`` (case-insensitive); UsageError listing the known ones."""
    from aiops.core.errors import UsageError

    for board in DASHBOARDS:
        if board.name == name.lower():
            return board
    raise UsageError(f"unknown dashboard '{name}' (known: {', '.join(b.name for b in DASHBOARDS)})")


def alert_summary(panel: Panel) -> str | None:
    """The related rule's name, severity and summary, as a link title."""
    if not panel.alert:
        return None
    rule = rule_by_name(panel.alert)
    return f"{rule.name} ({rule.severity}, {rule.priority}): {rule.summary}"
