"""The scorecard: one check per runbook metric, baseline and alert condition.

Each :class:`Check` says which runbook line it enforces (``source``), the PromQL that measures
it, how to judge the value (a baseline row, or a threshold with the verdict a breach earns),
which instance is the worst (``worst``), and how degraded mode computes it from two direct
scrapes (``scrape``; empty when it needs history only Prometheus has).

Thresholds the runbook leaves open are aiops's definitions, stated here once:
- "Sudden spikes" of free energy (and network "Anomaly detection"): judged on the distribution,
  never on one sample. The mean of the last minute is compared with the window before it (the
  5 minutes ending a minute ago, by default): how many of that window's standard deviations it
  moved. A free-energy spike is a rise of more than :data:`SPIKE_SD`; a network anomaly a move
  of more than that either way. The spread is floored so that a quiet window does not make
  ordinary variation a spike: at :data:`NET_FLOOR` of the level for network traffic, and at
  :data:`FREE_ENERGY_FLOOR` nats for free energy. The lab's free energy is ~0.7 nats, and an
  observation the model finds surprising costs ~38-49 nats; a service may go minutes without
  one and then meet them every other inference (part of the task), which moves a minute's
  mean by up to ~30 nats. A spike is a rise beyond that: more than 3 x 12 = 36 nats above a
  quiet window, or 3 deviations above a surprising one.
- "Plateau detection" of training loss: the loss changed by less than :data:`PLATEAU_PERCENT`
  % of its mean over the window (least-squares slope x window).
- Memory growth (the MemoryLeak rule): how much resident memory actually grew over the last
  hour, never a rate projected to an hour from a short window (minutes of a freshly started
  service's warm-up are not a leak). ``delta``, a gauge's increase: ``increase`` would count
  every drop after a garbage collection as a counter reset.
- A metric-table alert condition with no baseline row is a ``warning`` when breached; the
  business metrics are informational, except episodes/hour below the TrainingStalled rule's
  10 per hour (``info``, the rule's severity).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

SPIKE_SD = 3.0  # deviations the last minute's mean must move to be a spike or an anomaly
FREE_ENERGY_FLOOR = 12.0  # nats: the least spread of free energy (see the module docstring)
NET_FLOOR = 0.1  # the least spread of network traffic: 10% of its level (a 30% move is an anomaly)
RECENT = "1m"  # the "last minute" the shift checks compare with the window before it
PLATEAU_PERCENT = 1.0
MEMORY_LIMIT_METRIC = "memory_limit_bytes"
SEL = "$SEL"  # replaced by the job matcher (job="active-inference") or removed
WIN = "$W"  # replaced by the window, e.g. 5m


@dataclass(frozen=True)
class Check:
    key: str
    title: str
    metric: str  # the runbook metric (or alert) this check covers
    promql: str  # template: $SEL = label matchers, $W = the window
    unit: str
    source: str  # the runbook's words this check enforces
    baseline: str | None = None  # a BASELINES name: judged by its band
    op: str | None = None  # ">" or "<": judged against ``threshold``
    threshold: float | None = None
    severity: str = "warning"  # verdict when ``op threshold`` holds
    worst: str = "max"  # max | min: which instance's value is the row's value
    compute: str = "value"  # value | count_down
    scrape: str = ""  # degraded mode: gauge | histogram_p95 | error_percent | rate_5xx | up
    #                   | counter_rate | memory_percent; "" = needs Prometheus's history
    scale: float = 1.0  # multiplies a scraped rate (e.g. 3600 for per hour)
    no_data: str = ""  # why there may be no data (said in the row's note)

    def promql_for(self, window_s: float, job: str | None, extra: str = "") -> str:
        """The PromQL with the window (``$W`` as 5m, ``$WS`` in seconds) and job matcher
        (plus ``extra`` matchers, e.g. ``instance=~"a|b"``)."""
        matcher = ",".join(m for m in (f'job="{job}"' if job else "", extra) if m)
        text = self.promql.replace(WIN + "S", f"{window_s:g}").replace(WIN, promql_duration(window_s))
        if matcher:
            return text.replace(SEL, matcher)
        return text.replace("," + SEL, "").replace("{" + SEL + "}", "").replace(SEL, "")

    def to_dict(self) -> dict:
        return asdict(self)


_RATE_5XX = 'rate(http_requests_total{status=~"5..",$SEL}[$W])'
# The traffic's level over a minute, from the samples' own timestamps (deriv, a least-squares
# slope): rate() over a minute in which a new instance's series began reads low, which made every
# young instance's first minutes an "anomaly" against its later ones.
_NET_RATE = 'sum by (instance) (deriv({__name__=~"network_io_bytes(_total)?",$SEL}[' + RECENT + ']))'


def shift(recent: str, window: str, *, both_ways: bool = False, floor: float = 0.0,
          relative_floor: float = 0.0) -> str:
    """PromQL: how many standard deviations of ``window`` (a range, evaluated a minute ago)
    ``recent`` (the last minute's level) sits above it (either way with ``both_ways``); the
    deviation is at least ``floor`` and at least ``relative_floor`` of the window's mean."""
    mean = f"avg_over_time({window} offset {RECENT})"
    spread = f"stddev_over_time({window} offset {RECENT})"
    if relative_floor:
        spread = f"({spread} > {relative_floor:g} * abs({mean}) or {relative_floor:g} * abs({mean}))"
    if floor:
        spread = f"clamp_min({spread}, {floor:g})"
    moved = f"{recent} - {mean}"
    moved = f"abs({moved})" if both_ways else f"({moved})"
    return f"max by (instance) ({moved} / ({spread} + 1e-9))"

CHECKS: tuple[Check, ...] = (
    Check("availability", "Instances down", "up", "up{$SEL}", "instances",
          "ApplicationDown: up == 0 (critical, P1)", op=">", threshold=0, severity="critical",
          worst="min", compute="count_down", scrape="up"),
    Check("inference_latency_p95", "Inference latency p95", "ai_inference_duration_seconds",
          "histogram_quantile(0.95, sum by (instance, le) "
          "(rate(ai_inference_duration_seconds_bucket{$SEL}[$W])))", "s",
          "Performance Baselines: inference latency (p95) < 100ms / < 500ms / > 1s; "
          "HighResponseTime: p95 > 1 (warning, P2)",
          baseline="inference_latency_p95", scrape="histogram_p95"),
    Check("model_accuracy", "Model accuracy", "ai_model_accuracy",
          "min by (instance) (ai_model_accuracy{$SEL})", "ratio",
          "Performance Baselines: model accuracy > 0.95 / > 0.8 / < 0.7; "
          "LowModelAccuracy: < 0.8 (warning, P2)",
          baseline="model_accuracy", worst="min", scrape="gauge"),
    Check("belief_entropy", "Belief entropy", "ai_belief_entropy",
          "max by (instance) (ai_belief_entropy{$SEL})", "nats",
          "Key Metrics: ai_belief_entropy > 2.0", op=">", threshold=2.0, scrape="gauge"),
    Check("free_energy_spike", "Free energy spike", "ai_free_energy",
          shift("avg_over_time(ai_free_energy{$SEL}[" + RECENT + "])", "ai_free_energy{$SEL}[$W]",
                floor=FREE_ENERGY_FLOOR), "sd",
          "Key Metrics: ai_free_energy sudden spikes", op=">", threshold=SPIKE_SD,
          no_data=f"judged once a series has {RECENT} plus the window of history"),
    Check("training_loss_change", "Training loss change", "ai_training_loss",
          "max by (instance) (abs(deriv(ai_training_loss{$SEL}[$W])) * $WS "
          "/ abs(avg_over_time(ai_training_loss{$SEL}[$W])) * 100)", "%",
          "Key Metrics: ai_training_loss plateau detection", op="<",
          threshold=PLATEAU_PERCENT, worst="min"),
    Check("cpu_utilization", "CPU utilization", "cpu_usage_percent",
          "max by (instance) (avg_over_time(cpu_usage_percent{$SEL}[$W]))", "%",
          "Performance Baselines: CPU utilization < 60% / < 80% / > 90%",
          baseline="cpu_utilization", scrape="gauge"),
    Check("memory_usage", "Memory usage of limit", "memory_usage_bytes",
          "max by (instance) (memory_usage_bytes{$SEL} / " + MEMORY_LIMIT_METRIC + "{$SEL}) * 100",
          "%", "Performance Baselines: memory usage < 50% / < 80% / > 90% (of limit)",
          baseline="memory_usage", scrape="memory_percent"),
    Check("disk_usage", "Disk usage", "disk_usage_percent",
          "max by (instance) (disk_usage_percent{$SEL})", "%",
          "Key Metrics: disk_usage_percent > 85%", op=">", threshold=85.0, scrape="gauge"),
    Check("error_rate", "Error rate (5xx share)", "http_requests_total",
          "(sum by (instance) (rate(http_requests_total{status=~\"5..\",$SEL}[$W])) "
          "or sum by (instance) (rate(http_requests_total{$SEL}[$W])) * 0) "
          "/ sum by (instance) (rate(http_requests_total{$SEL}[$W])) * 100", "%",
          "Performance Baselines: error rate < 0.1% / < 1% / > 5%",
          baseline="error_rate", scrape="error_percent"),
    Check("errors_per_second", "5xx responses/s", "http_requests_total",
          f"{_RATE_5XX} or sum by (instance) (rate(http_requests_total{{$SEL}}[$W])) * 0", "/s",
          "HighErrorRate: rate(http_requests_total{status=~\"5..\"}[5m]) > 0.1 (critical, P1)",
          op=">", threshold=0.1, severity="critical", scrape="rate_5xx"),
    Check("memory_growth", "Memory growth (1h)",
          "process_resident_memory_bytes",
          "max by (instance) (delta(process_resident_memory_bytes{$SEL}[1h]))", "B",
          "MemoryLeak: increase(process_resident_memory_bytes[1h]) > 100000000",
          op=">", threshold=100_000_000),
    Check("network_io_anomaly", "Network traffic anomaly", "network_io_bytes",
          shift(_NET_RATE, f"({_NET_RATE})[$W:]", both_ways=True, relative_floor=NET_FLOOR), "sd",
          "Key Metrics: network_io_bytes anomaly detection", op=">", threshold=SPIKE_SD,
          no_data=f"judged once a series has {RECENT} plus the window of history"),
    Check("episodes_per_hour", "Training episodes/h", "ai_episodes_completed",
          'sum by (instance) (rate({__name__=~"ai_episodes_completed(_total)?",$SEL}[$W])) * 3600',
          "/h", "TrainingStalled: increase(ai_episodes_completed[1h]) < 10 (info, P3)",
          op="<", threshold=10, severity="info", worst="min", scrape="counter_rate", scale=3600),
    Check("convergence_time", "Time to convergence", "ai_convergence_time",
          "max by (instance) (ai_convergence_time{$SEL})", "s",
          "Business Metrics: ai_convergence_time (performance optimization)", scrape="gauge"),
    Check("sample_efficiency", "Sample efficiency", "ai_sample_efficiency",
          "max by (instance) (ai_sample_efficiency{$SEL})", "samples",
          "Business Metrics: ai_sample_efficiency (algorithm comparison)", scrape="gauge"),
)


def promql_duration(seconds: float) -> str:
    """Seconds as a PromQL duration: 300 -> 5m, 3600 -> 1h, 90 -> 90s, 0.5 -> 500ms."""
    ms = round(seconds * 1000)
    for unit, size in (("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        if ms % size == 0:
            return f"{ms // size}{unit}"
    return f"{ms}ms"


def check_by_key(key: str) -> Check:
    """The check called ``key``; KeyError when there is none."""
    return next(c for c in CHECKS if c.key == key)
