"""The runbook's "Key Metrics to Monitor" tables."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Metric:
    name: str
    description: str
    type: str  # histogram | gauge | counter (as exported by the service)
    group: str  # application | system | business
    alert: str | None = None  # the runbook's alert condition, verbatim
    purpose: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


APPLICATION_METRICS: tuple[Metric, ...] = (
    Metric("ai_inference_duration_seconds", "Time taken for inference", "histogram",
           "application", "p95 > 1s"),
    Metric("ai_model_accuracy", "Model prediction accuracy", "gauge", "application", "< 0.8"),
    Metric("ai_belief_entropy", "Agent belief uncertainty", "gauge", "application", "> 2.0"),
    Metric("ai_free_energy", "Free energy computation", "gauge", "application", "Sudden spikes"),
    Metric("ai_training_loss", "Model training loss", "gauge", "application", "Plateau detection"),
)

SYSTEM_METRICS: tuple[Metric, ...] = (
    Metric("cpu_usage_percent", "CPU utilization", "gauge", "system", "> 80%"),
    Metric("memory_usage_bytes", "Memory consumption", "gauge", "system", "> 80% of limit"),
    Metric("disk_usage_percent", "Disk space usage", "gauge", "system", "> 85%"),
    Metric("network_io_bytes", "Network traffic", "counter", "system", "Anomaly detection"),
)

BUSINESS_METRICS: tuple[Metric, ...] = (
    Metric("ai_episodes_completed", "Training episodes", "counter", "business",
           purpose="Progress tracking"),
    Metric("ai_convergence_time", "Time to convergence", "gauge", "business",
           purpose="Performance optimization"),
    Metric("ai_sample_efficiency", "Samples needed for learning", "gauge", "business",
           purpose="Algorithm comparison"),
)

METRICS: tuple[Metric, ...] = APPLICATION_METRICS + SYSTEM_METRICS + BUSINESS_METRICS
