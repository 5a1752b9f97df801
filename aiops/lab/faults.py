"""Fault injection: the failure modes the lab can simulate, and the set that is active.

Each fault moves exactly the signal one of the runbook's alerts (or checks) watches:

| fault                     | signal                                                         |
|---------------------------|----------------------------------------------------------------|
| memory-leak[=MB_PER_S]    | ``process_resident_memory_bytes`` grows (MemoryLeak)           |
| slow-inference[=SECONDS]  | ``ai_inference_duration_seconds`` p95 > 1 s (HighResponseTime) |
| error-rate[=FRACTION]     | ``http_requests_total{status="500"}`` rises (HighErrorRate)    |
| accuracy-drop[=FRACTION]  | ``ai_model_accuracy`` < 0.8 (LowModelAccuracy)                 |
| entropy-spike[=NATS]      | ``ai_belief_entropy`` > 2.0                                    |
| training-stall            | ``ai_episodes_completed`` stops (TrainingStalled)              |
| not-ready                 | ``/ready`` answers 503                                         |
| crash[=SECONDS]           | the process exits with status 1 (ApplicationDown)              |

Noise: faults that move a signal an on-call engineer sees, and that a good triage must NOT call
critical. Each is benign for a stated reason, in real time and when a drill compresses time
(``aiops drill run --speed F`` divides the durations below by F, as it divides the rules'):

| noise                     | moves                                  | why it is benign                   |
|---------------------------|----------------------------------------|------------------------------------|
| client-errors[=PER_S]     | bad clients POST invalid /infer bodies: | the runbook's error rules and the  |
|                           | ``http_requests_total{status="422"}``,  | /health errors check count 5xx     |
|                           | WARNING "Rejected observation" records  | only: a 4xx is the client's fault  |
| cpu-burst[=SECONDS]       | ``cpu_usage_percent`` reads 95 for      | shorter than the capacity rule's   |
|                           | SECONDS (default 60), then clears       | 5 minutes; the scorecard averages  |
|                           | itself; latency unchanged (simulated:   | CPU over its 5-minute window       |
|                           | no core is really burnt)                |                                    |
| restart[=SECONDS]         | every endpoint answers 503 for SECONDS  | shorter than ApplicationDown's     |
|                           | (default 20), as while a restarted      | ``for: 1m``: ``up`` is 0 for fewer |
|                           | process comes up: ``up`` drops to 0,    | evaluations than the rule needs;   |
|                           | then the fault clears itself            | the service is back before anyone  |
| log-noise[=PER_S]         | WARNING records (default 50 a second)   | WARNING is "recoverable": triage   |
|                           | from ``active_inference.cache``         | reads ERROR and above as errors    |
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

from aiops.core.errors import UsageError


@dataclass(frozen=True)
class FaultKind:
    """One injectable failure mode; ``default`` is None for faults that take no value."""

    name: str
    description: str
    default: float | None = None
    low: float = 0.0  # exclusive lower bound of the value (inclusive when low_inclusive)
    high: float = math.inf  # inclusive upper bound
    unit: str = ""
    low_inclusive: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "default": self.default,
                "unit": self.unit or None}


FAULTS: tuple[FaultKind, ...] = (
    FaultKind("memory-leak", "leak resident memory at VALUE MB/s (up to the leak cap)",
              default=5.0, high=1024.0, unit="MB/s"),
    FaultKind("slow-inference", "add VALUE seconds to every inference", default=1.5, high=60.0,
              unit="s"),
    FaultKind("error-rate", "answer this fraction of /infer requests with HTTP 500", default=0.5,
              high=1.0),
    FaultKind("accuracy-drop", "corrupt this fraction of the training observations", default=0.7,
              high=1.0),
    FaultKind("entropy-spike", "add VALUE nats to every reported belief entropy", default=2.5,
              high=100.0, unit="nats"),
    FaultKind("training-stall", "stop running training episodes"),
    FaultKind("not-ready", "answer /ready with 503"),
    FaultKind("crash", "exit with status 1 after VALUE seconds", default=0.0, high=3600.0,
              unit="s", low_inclusive=True),
    # noise (benign by design: see the module docstring)
    FaultKind("client-errors", "bad clients send VALUE invalid /infer requests a second (4xx)",
              default=20.0, high=500.0, unit="/s"),
    FaultKind("cpu-burst", "report 95% CPU for VALUE seconds, then clear", default=60.0, high=3600.0,
              unit="s"),
    FaultKind("restart", "answer 503 everywhere for VALUE seconds (a restart), then clear",
              default=20.0, high=3600.0, unit="s"),
    FaultKind("log-noise", "write VALUE WARNING log records a second", default=50.0, high=1000.0,
              unit="/s"),
)
NOISE = ("client-errors", "cpu-burst", "restart", "log-noise")
SELF_CLEARING = ("cpu-burst", "restart")  # their value is a duration
CPU_BURST_PERCENT = 95.0

BY_NAME: dict[str, FaultKind] = {f.name: f for f in FAULTS}


def parse_fault(spec: str, value: Any = None) -> tuple[str, float | None]:
    """``"error-rate=0.2"`` (or ``spec="error-rate", value=0.2``) -> ``("error-rate", 0.2)``.

    Applies the fault's default when no value is given. Raises UsageError naming the fault
    and the accepted range for an unknown name or a bad value.
    """
    name, sep, raw = str(spec).strip().partition("=")
    name = name.strip().lower()
    kind = BY_NAME.get(name)
    if kind is None:
        known = ", ".join(BY_NAME)
        raise UsageError(f"unknown fault '{name}' (known: {known})")
    if sep and value is not None:
        raise UsageError(f"fault '{name}': give the value once")
    if sep:
        value = raw.strip()
        if not value:
            raise UsageError(f"fault '{name}': empty value after '='")
    if value is None:
        return name, kind.default
    if kind.default is None:
        raise UsageError(f"fault '{name}' takes no value")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise UsageError(f"fault '{name}': value {value!r} is not a number") from None
    if isinstance(value, bool) or not math.isfinite(number) or number > kind.high or (
            number < kind.low if kind.low_inclusive else number <= kind.low):
        low = "[" if kind.low_inclusive else "("
        raise UsageError(f"fault '{name}': value {value!r} is outside {low}{kind.low:g}, {kind.high:g}]")
    return name, number


def format_fault(name: str, value: float | None) -> str:
    """The ``NAME[=VALUE]`` form of an active fault."""
    return name if value is None else f"{name}={value:g}"


@dataclass
class ActiveFault:
    name: str
    value: float | None
    since: float  # epoch seconds

    def to_dict(self) -> dict[str, Any]:
        import datetime as dt

        from aiops.core.timewindow import rfc3339

        since = dt.datetime.fromtimestamp(self.since, dt.timezone.utc)
        return {"name": self.name, "value": self.value, "spec": format_fault(self.name, self.value),
                "since": rfc3339(since)}


class FaultSet:
    """The active faults, shared by the event loop and worker threads.

    ``on_change(name, value_or_None)`` listeners are told about every set (value) and clear
    (None); they run in the caller's thread.
    """

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._lock = threading.Lock()
        self._active: dict[str, ActiveFault] = {}
        self._clock = clock
        self._listeners: list[Callable[[str, ActiveFault | None], None]] = []
        self._error_credit = 0.0

    def on_change(self, listener: Callable[[str, ActiveFault | None], None]) -> None:
        """Call ``listener(name, fault_or_None)`` on every set and clear."""
        self._listeners.append(listener)

    def set(self, name: str, value: float | None) -> ActiveFault:
        """Activate (or re-value) a fault that :func:`parse_fault` validated."""
        fault = ActiveFault(name, value, self._clock())
        with self._lock:
            self._active[name] = fault
        for listener in self._listeners:
            listener(name, fault)
        return fault

    def clear(self, name: str | None = None) -> list[str]:
        """Deactivate one fault (or all); returns the names that were active."""
        with self._lock:
            names = [name] if name is not None else list(self._active)
            cleared = [n for n in names if self._active.pop(n, None) is not None]
        for n in cleared:
            for listener in self._listeners:
                listener(n, None)
        return cleared

    def active(self, name: str) -> bool:
        """Whether the fault is active."""
        return name in self._active

    def value(self, name: str) -> float | None:
        """The fault's value, or None when it is not active."""
        fault = self._active.get(name)
        return None if fault is None else fault.value

    def get(self, name: str) -> ActiveFault | None:
        """The active fault called ``name``, or None."""
        return self._active.get(name)

    def snapshot(self) -> list[ActiveFault]:
        """The active faults, sorted by name."""
        with self._lock:
            return sorted(self._active.values(), key=lambda f: f.name)

    def should_fail(self) -> bool:
        """Under ``error-rate=F``, True for exactly a fraction F of calls, evenly spread."""
        fraction = self.value("error-rate")
        if not fraction:
            return False
        with self._lock:
            self._error_credit += fraction
            if self._error_credit >= 1.0 - 1e-9:
                self._error_credit -= 1.0
                return True
        return False
