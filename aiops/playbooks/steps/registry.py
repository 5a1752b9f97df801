"""The actions a playbook step can run: their parameters, result fields and adapters.

Each action is a thin adapter (``aiops.playbooks.steps.<module>.run(ctx, params) -> Outcome``) over the
core function that owns the work (``aiops.health.probe.check``, ``aiops.prometheus.scorecard``, ...). This
table is what validation reads; nothing here imports a heavy library.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiops.catalog.checks import CHECKS

PARAM_TYPES = ("str", "number", "int", "bool", "list", "duration")


@dataclass(frozen=True)
class Param:
    """One parameter of an action: its type, default and allowed values."""

    name: str
    type: str = "str"
    required: bool = False
    default: Any = None
    choices: tuple[str, ...] = ()
    help: str = ""

    def coerce(self, value: Any) -> Any:
        """The value as this parameter's type; ValueError saying what is expected."""
        if self.type == "list":
            items = [value] if isinstance(value, str) else value
            if not isinstance(items, list) or not all(isinstance(v, str) and v.strip() for v in items):
                raise ValueError("must be a list of names")
            bad = [v for v in items if self.choices and v not in self.choices]
            if bad:
                raise ValueError(f"unknown value '{bad[0]}' (known: {', '.join(self.choices)})")
            return [v.strip() for v in items]
        if self.type == "duration":
            from aiops.core.errors import UsageError
            from aiops.core.timewindow import parse_duration

            try:
                return parse_duration(str(value), what="duration")
            except UsageError as exc:
                raise ValueError(exc.message) from None
        if self.type in ("number", "int"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"must be {'an integer' if self.type == 'int' else 'a number'}")
            if self.type == "int" and (not float(value).is_integer() or value < 1):
                raise ValueError("must be a positive integer")
            return int(value) if self.type == "int" else float(value)
        if self.type == "bool":
            if not isinstance(value, bool):
                raise ValueError("must be true or false")
            return value
        if not isinstance(value, str) or not value.strip():
            raise ValueError("must be a non-empty string")
        if self.choices and value not in self.choices:
            raise ValueError(f"must be one of {', '.join(self.choices)}, got '{value}'")
        return value

    def to_json(self, value: Any) -> Any:
        """The value as JSON shows it: a duration keeps its unit (``"5m"``), never a bare number."""
        if self.type == "duration" and isinstance(value, (int, float)) and not isinstance(value, bool):
            from aiops.core.timewindow import format_duration

            return format_duration(value)
        return value

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "required": self.required,
                "default": self.default, "choices": list(self.choices), "help": self.help}


@dataclass(frozen=True)
class Action:
    """One kind of step. ``needs`` names the sources it reads (so an unavailable one skips it)."""

    name: str
    summary: str
    module: str
    params: tuple[Param, ...] = ()
    fields: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    writes: bool = False

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def fields_for(self, params: dict[str, Any]) -> tuple[str, ...]:
        """The result fields a step's expectations may name (the scorecard adds its checks)."""
        if self.name == "metrics.check":
            return self.fields + tuple(params.get("checks") or (c.key for c in CHECKS))
        return self.fields

    def with_defaults(self, params: dict[str, Any]) -> dict[str, Any]:
        return {**{p.name: p.default for p in self.params if p.default is not None}, **params}

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "summary": self.summary, "params": [p.to_dict() for p in self.params],
                "fields": list(self.fields), "needs": list(self.needs), "writes": self.writes}


def params_json(action: str | None, params: dict[str, Any]) -> dict[str, Any]:
    """A step's parameters as JSON documents show them (durations with their unit)."""
    spec = ACTIONS.get(action or "")
    if spec is None:
        return dict(params)
    return {k: (p.to_json(v) if (p := spec.param(k)) else v) for k, v in params.items()}


_SINCE = Param("since", "duration", default=900.0, help="how far back to read, e.g. 15m")
_CORE = (Param("model", default="tmaze", help="the inference core's model: tmaze, grid:N, random:SEED"),
         Param("target", help="module:function to diagnose instead of the core"))

ACTIONS: dict[str, Action] = {a.name: a for a in (
    Action("health.check", "probe /health, /ready, /live and /metrics of the targets",
           "aiops.playbooks.steps.health", (Param("targets", "list", help="base URLs [default: triage's targets]"),),
           ("verdict", "healthy", "degraded", "unhealthy", "unreachable", "targets"), ("targets",)),
    Action("metrics.check", "score the runbook's metrics against its baselines (the scorecard)",
           "aiops.playbooks.steps.metrics",
           (Param("checks", "list", choices=tuple(c.key for c in CHECKS), help="scorecard rows [default: all]"),
            Param("window", "duration", default=300.0, help="PromQL window, e.g. 5m"),
            Param("source", default="auto", choices=("auto", "prometheus", "scrape"))),
           ("verdict",), ("metrics",)),
    Action("metrics.trend", "scrape a metric twice from the targets and project its growth per hour",
           "aiops.playbooks.steps.trend",
           (Param("metric", default="process_resident_memory_bytes"),
            Param("seconds", "duration", default=2.0, help="time between the two scrapes"),
            Param("noise", "number", default=1048576.0,
                  help="an increase smaller than this is noise, not growth (default 1 MiB)")),
           ("per_hour", "increase", "value"), ("targets",)),
    Action("prom.query", "a PromQL instant query; $job is replaced by the prometheus.job setting",
           "aiops.playbooks.steps.promql",
           (Param("query", required=True),
            Param("aggregate", default="max", choices=("max", "min", "sum", "count")),
            Param("empty", "number", help="the value when no series match [default: no data is an error]")),
           ("value", "series"), ("prometheus",)),
    Action("alerts.list", "pending and firing alerts from Prometheus and Alertmanager",
           "aiops.playbooks.steps.alerts",
           (Param("names", "list", help="alert names [default: the playbook's alerts]"),),
           ("firing", "pending"), ("alerts",)),
    Action("logs.errors", "ERROR/FATAL log records grouped by logger and message",
           "aiops.playbooks.steps.logs", (_SINCE, Param("top", "int", default=5)), ("count", "groups"), ("logs",)),
    Action("logs.trace", "follow one correlation ID through the logs (default: the top error's)",
           "aiops.playbooks.steps.logs", (Param("correlation_id"), _SINCE), ("records", "errors", "span_ms"),
           ("logs",)),
    Action("diagnose.profile", "the inference core (or module:function) under cProfile: the top functions",
           "aiops.playbooks.steps.diagnose", (*_CORE, Param("steps", "int", default=50), Param("top", "int", default=5)),
           ("per_step_ms", "calls")),
    Action("diagnose.memory", "the inference core under tracemalloc: growth per step, the leak verdict",
           "aiops.playbooks.steps.diagnose",
           (*_CORE, Param("steps", "int", default=100),
            Param("threshold", "number", default=256.0, help="bytes per step that count as a leak")),
           ("bytes_per_step", "growth_bytes", "leaking")),
    Action("diagnose.bench", "the inference core's latency (p50, p95) against the runbook's baseline",
           "aiops.playbooks.steps.diagnose", (*_CORE, Param("steps", "int", default=200)), ("p50_ms", "p95_ms", "band")),
    Action("traces.slowest", "the slowest recent traces (tracing.*) and the phase that took their time",
           "aiops.playbooks.steps.traces", (_SINCE, Param("limit", "int", default=5, help="traces read")),
           ("phase", "share", "duration_s", "traces")),
    Action("incident.note", "add a note to the PagerDuty incident given with --incident",
           "aiops.playbooks.steps.incident", (Param("text", required=True),), ("posted",), ("pagerduty",),
           writes=True),
)}
