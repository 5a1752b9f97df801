"""The runbook's six alert rules, exactly as written there."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from aiops.core.errors import UsageError


@dataclass(frozen=True)
class AlertRule:
    name: str
    expr: str
    for_: str
    severity: str  # critical | warning | info
    summary: str
    priority: str  # P1 | P2 | P3, from the runbook section the rule is under

    def to_dict(self) -> dict:
        data = asdict(self)
        data["for"] = data.pop("for_")
        return data


ALERT_RULES: tuple[AlertRule, ...] = (
    AlertRule("ApplicationDown", 'up{job="active-inference"} == 0', "1m", "critical",
              "Active Inference application is down", "P1"),
    AlertRule("HighErrorRate", 'rate(http_requests_total{status=~"5.."}[5m]) > 0.1', "2m",
              "critical", "High error rate detected", "P1"),
    AlertRule("MemoryLeak", "increase(process_resident_memory_bytes[1h]) > 100000000", "5m",
              "critical", "Potential memory leak detected", "P1"),
    AlertRule("HighResponseTime",
              "histogram_quantile(0.95, rate(ai_inference_duration_seconds_bucket[5m])) > 1",
              "5m", "warning", "95th percentile response time is high", "P2"),
    AlertRule("LowModelAccuracy", "ai_model_accuracy < 0.8", "10m", "warning",
              "Model accuracy has dropped below threshold", "P2"),
    AlertRule("TrainingStalled", "increase(ai_episodes_completed[1h]) < 10", "1h", "info",
              "Training progress appears stalled", "P3"),
)


def rule_by_name(name: str) -> AlertRule:
    """The rule called ``name`` (case-insensitive); UsageError listing the known ones."""
    for rule in ALERT_RULES:
        if rule.name.lower() == name.lower():
            return rule
    known = ", ".join(r.name for r in ALERT_RULES)
    raise UsageError(f"unknown alert '{name}' (known: {known})")
