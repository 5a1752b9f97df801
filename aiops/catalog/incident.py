"""Severity levels, the P1 response timeline and the capacity-planning rules."""

from __future__ import annotations

from dataclasses import asdict, dataclass

SEVERITIES: dict[str, str] = {
    "P1": "Critical: Complete service outage",
    "P2": "High: Significant performance degradation",
    "P3": "Medium: Minor issues, workarounds available",
    "P4": "Low: Documentation, enhancement requests",
}

ALERT_SEVERITY_TO_PRIORITY: dict[str, str] = {"critical": "P1", "warning": "P2", "info": "P3"}


@dataclass(frozen=True)
class Milestone:
    """One P1 clock: ``name`` must happen within ``within_seconds`` of the incident start."""

    name: str
    within_seconds: int
    actions: tuple[str, ...]

    def to_dict(self) -> dict:
        return asdict(self)


P1_TIMELINE: tuple[Milestone, ...] = (
    Milestone("Immediate response", 5 * 60,
              ("Acknowledge alert", "Assess impact scope", "Implement quick fixes or rollback")),
    Milestone("Investigation", 15 * 60,
              ("Check recent deployments", "Review error logs", "Identify root cause")),
    Milestone("Resolution", 60 * 60,
              ("Apply permanent fix", "Verify service restoration", "Update monitoring")),
    Milestone("Post-incident", 24 * 60 * 60,
              ("Conduct post-mortem", "Document lessons learned", "Implement preventive measures")),
)


@dataclass(frozen=True)
class CapacityRule:
    action: str
    metric: str
    threshold: float
    for_seconds: int
    text: str

    def to_dict(self) -> dict:
        return asdict(self)


CAPACITY_RULES: tuple[CapacityRule, ...] = (
    CapacityRule("scale_up", "cpu_usage_percent", 70.0, 5 * 60,
                 "Scale up when CPU > 70% for 5+ minutes"),
    # The runbook names no queue metric; services export their waiting requests as this gauge.
    CapacityRule("scale_out", "request_queue_length", 100.0, 0, "Scale out when request queue > 100"),
)

# The runbook's capacity advice no metric can check.
CAPACITY_NOTES: tuple[str, ...] = ("Preemptive scaling during known high-traffic periods",)
