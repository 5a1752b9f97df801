"""The runbook's "Performance Baselines" table."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Baseline:
    """One row: ``direction`` says whether lower or higher values are better.

    ``target``, ``acceptable`` and ``critical`` are the runbook's bounds in the row's
    ``unit``; a value between acceptable and critical is "warning".
    """

    name: str
    unit: str
    direction: str  # "lower" or "higher" is better
    target: float
    acceptable: float
    critical: float
    text: tuple[str, str, str]  # the runbook's own wording: target, acceptable, critical

    def band(self, value: float) -> str:
        """target | acceptable | warning | critical for a measured value."""
        better = (lambda a, b: a < b) if self.direction == "lower" else (lambda a, b: a > b)
        if better(value, self.target):
            return "target"
        if better(value, self.acceptable):
            return "acceptable"
        worse_than_critical = value > self.critical if self.direction == "lower" else value < self.critical
        return "critical" if worse_than_critical else "warning"

    def to_dict(self) -> dict:
        return asdict(self)


BASELINES: tuple[Baseline, ...] = (
    Baseline("inference_latency_p95", "seconds", "lower", 0.100, 0.500, 1.0,
             ("< 100ms", "< 500ms", "> 1s")),
    Baseline("model_accuracy", "ratio", "higher", 0.95, 0.8, 0.7, ("> 0.95", "> 0.8", "< 0.7")),
    Baseline("memory_usage", "percent", "lower", 50.0, 80.0, 90.0, ("< 50%", "< 80%", "> 90%")),
    Baseline("cpu_utilization", "percent", "lower", 60.0, 80.0, 90.0, ("< 60%", "< 80%", "> 90%")),
    Baseline("error_rate", "percent", "lower", 0.1, 1.0, 5.0, ("< 0.1%", "< 1%", "> 5%")),
)
