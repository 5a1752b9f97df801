"""The playbook model: the runbook's alerts and procedures as ordered, executable steps.

A playbook is a YAML file. The shipped ones live in ``aiops/playbooks/library/`` (the
repository's ``playbooks/``); the ``playbooks.dir`` setting names a directory of more (a file there with a
shipped playbook's name replaces it)::

    name: memory-leak                 # lower-case words joined by hyphens
    title: Memory leak
    kind: alert                       # alert (answers runbook alerts) | procedure
    alerts: [MemoryLeak]              # the alerts it answers
    severity: critical                # critical | warning | info
    summary: one paragraph for the responder
    runbook: the runbook section it implements
    signals:                          # findings that choose it when no alert is named
      - metrics.memory_growth
      - {signal: metrics.inference_latency_p95, at_least: critical}
    steps:
      - name: Resident memory growth
        action: metrics.trend         # an action of aiops.playbooks.steps.ACTIONS
        with: {metric: process_resident_memory_bytes, seconds: 3s}
        expect: {per_hour: "< 100000000"}
        hint: what to do when the expectation fails
      - name: Find the allocation site
        manual: a person's instruction

Loading lives in :mod:`aiops.playbooks.library`, the checks in :mod:`aiops.playbooks.validation`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiops.core.errors import ConfigError

SCHEMA = "aiops.playbook/v1"  # one playbook, as `aiops playbook show` prints it (and each of `list`'s)
SEVERITIES = ("critical", "warning", "info")
KINDS = ("alert", "procedure")
HEALTH_SIGNALS = ("health.unreachable", "health.not-ready", "health.degraded", "health.check.memory",
                  "health.check.disk", "health.check.dependencies", "health.check.errors")
OTHER_SIGNALS = ("logs.errors",)
TOP_KEYS = ("name", "title", "kind", "alerts", "severity", "summary", "runbook", "signals", "steps")
STEP_KEYS = ("name", "action", "with", "expect", "hint", "severity", "manual")


def known_signals() -> tuple[str, ...]:
    """Every signal a playbook may name: scorecard checks, health findings, log errors."""
    from aiops.catalog.checks import CHECKS

    return tuple(f"metrics.{c.key}" for c in CHECKS) + HEALTH_SIGNALS + OTHER_SIGNALS


@dataclass(frozen=True)
class Condition:
    """``field OP value`` (``per_hour < 100000000``, ``verdict == healthy``)."""

    field: str
    op: str
    value: float | str | bool

    @property
    def text(self) -> str:
        if isinstance(self.value, bool):  # as the playbook's YAML spells it, not Python's repr
            value = "true" if self.value else "false"
        elif isinstance(self.value, float):
            value = f"{self.value:g}"
        else:
            value = str(self.value)
        return f"{self.field} {self.op} {value}"

    def holds(self, actual: Any) -> bool:
        """True when ``actual`` satisfies the condition (None never does)."""
        if actual is None:
            return False
        if isinstance(self.value, float):
            if isinstance(actual, bool) or not isinstance(actual, (int, float)):
                return False
            actual = float(actual)
        elif isinstance(self.value, bool):
            actual = bool(actual)
        else:
            actual = str(actual)
        return {"==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
                "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
                ">=": lambda a, b: a >= b}[self.op](actual, self.value)

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "op": self.op, "value": self.value, "text": self.text}


@dataclass(frozen=True)
class Signal:
    """A finding that chooses a playbook, from a severity up."""

    name: str
    at_least: str = "info"

    def to_dict(self) -> dict[str, Any]:
        return {"signal": self.name, "at_least": self.at_least}


@dataclass(frozen=True)
class Step:
    """One step: an action with parameters and expectations, or a manual instruction."""

    number: int
    name: str
    action: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    expect: tuple[Condition, ...] = ()
    manual: str | None = None
    hint: str | None = None
    severity: str | None = None
    line: int | None = None

    @property
    def automated(self) -> bool:
        return self.action is not None

    def to_dict(self) -> dict[str, Any]:
        from aiops.playbooks.steps.registry import params_json

        return {"number": self.number, "name": self.name, "action": self.action,
                "with": params_json(self.action, self.params), "expect": [c.to_dict() for c in self.expect],
                "manual": self.manual, "hint": self.hint, "severity": self.severity}


@dataclass(frozen=True)
class Playbook:
    """One validated playbook (see the module docstring for the file format)."""

    name: str
    title: str
    kind: str
    severity: str
    alerts: tuple[str, ...]
    signals: tuple[Signal, ...]
    steps: tuple[Step, ...]
    summary: str | None = None
    runbook: str | None = None
    path: str | None = None
    shipped: bool = True

    def matches_alert(self, alert: str) -> bool:
        return any(a.lower() == alert.lower() for a in self.alerts)

    def to_dict(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "name": self.name, "title": self.title, "kind": self.kind,
                "severity": self.severity,
                "alerts": list(self.alerts), "signals": [s.to_dict() for s in self.signals],
                "summary": self.summary, "runbook": self.runbook, "path": self.path,
                "shipped": self.shipped, "steps": [s.to_dict() for s in self.steps]}


@dataclass(frozen=True)
class Problem:
    """One reason a playbook file is invalid."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "field": self.field, "message": self.message}


class PlaybookInvalid(ConfigError):
    """A playbook file that does not validate; ``problems`` lists every reason (exit 2)."""

    def __init__(self, problems: list[Problem]) -> None:
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        super().__init__(f"invalid playbook {problems[0]}{more}",
                         hint="'aiops playbook validate FILE' lists every problem")
        self.problems = problems
