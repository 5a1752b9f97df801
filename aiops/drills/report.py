"""The drill report: per-scenario results and the totals the bars are judged on.

``DrillReport.to_dict()`` is the ``aiops.drill-report/v1`` JSON document
(``schemas/drill-report.schema.json``).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

from aiops.core.errors import CHECK_FAILED, OK

SCHEMA = "aiops.drill-report/v1"


@dataclass
class ScenarioResult:
    """What one scenario expected, what the stack and triage did, and the verdict on each."""

    name: str
    file: str
    kind: str  # fault | noise-only
    expected: dict[str, Any]
    fired: list[dict[str, Any]] = field(default_factory=list)  # {alert, instance, detection_seconds}
    missing: list[str] = field(default_factory=list)
    false_alarms: list[dict[str, Any]] = field(default_factory=list)
    triage_alert: str | None = None
    incident: int | None = None
    sources_down: list[str] = field(default_factory=list)
    verdict: str | None = None
    playbook: str | None = None
    instance: int | None = None
    summary: str | None = None
    triage_sources: dict[str, str] = field(default_factory=dict)  # source -> ok | unavailable | timeout | skipped
    postmortem: str | None = None
    detection_seconds: float | None = None
    duration_seconds: float = 0.0
    checks: dict[str, bool | None] = field(default_factory=dict)
    error: str | None = None
    schedule: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.error is None and all(v is not False for v in self.checks.values())

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "file": self.file, "kind": self.kind, "passed": self.passed,
                "error": self.error, "expected": self.expected,
                "got": {"alerts": self.fired, "missing_alerts": self.missing, "false_alarms": self.false_alarms,
                        "triage_alert": self.triage_alert, "incident": self.incident,
                        "sources_down": self.sources_down, "verdict": self.verdict, "playbook": self.playbook,
                        "instance": self.instance, "summary": self.summary, "triage_sources": self.triage_sources,
                        "postmortem": self.postmortem},
                "checks": self.checks, "detection_seconds": _round(self.detection_seconds),
                "duration_seconds": _round(self.duration_seconds), "schedule": self.schedule}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _share(results: list[ScenarioResult], check: str) -> float | None:
    judged = [r.checks.get(check) for r in results if r.checks.get(check) is not None]
    return None if not judged else round(sum(judged) / len(judged), 4)


@dataclass
class DrillReport:
    speed: float
    timing: dict[str, Any]
    started_at: str
    results: list[ScenarioResult]
    duration_seconds: float = 0.0
    jobs: int = 1

    def totals(self) -> dict[str, Any]:
        faults = [r for r in self.results if r.kind == "fault"]
        noise = [r for r in self.results if r.kind == "noise-only"]
        detections = [r.detection_seconds for r in self.results if r.detection_seconds is not None]
        return {
            "scenarios": len(self.results), "passed": sum(r.passed for r in self.results),
            "failed": sum(not r.passed for r in self.results), "errors": sum(r.error is not None for r in self.results),
            "fault_scenarios": len(faults), "noise_only_scenarios": len(noise),
            "playbook_accuracy": _share(faults, "playbook"), "instance_accuracy": _share(faults, "instance"),
            "false_critical_on_noise": sum(r.verdict == "critical" for r in noise),
            "false_alarms": sum(len(r.false_alarms) for r in self.results),
            "alerts_expected": sum(len(r.expected["alerts"]) for r in self.results),
            "alerts_missed": sum(len(r.missing) for r in self.results),
            "median_detection_seconds": _round(statistics.median(detections)) if detections else None,
            "max_detection_seconds": _round(max(detections)) if detections else None,
            "detections": len(detections),
        }

    def exit_code(self) -> int:
        """0 when every scenario met its expectations, 3 otherwise."""
        return OK if all(r.passed for r in self.results) else CHECK_FAILED

    def to_dict(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "speed": self.speed, "timing": self.timing, "started_at": self.started_at,
                "duration_seconds": _round(self.duration_seconds), "jobs": self.jobs,
                "totals": self.totals(), "scenarios": [r.to_dict() for r in self.results]}
