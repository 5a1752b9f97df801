"""Run a playbook: automated steps in order (each bounded in time), manual ones listed.

``run_playbook(playbook, ctx)`` returns a :class:`PlaybookRun`. A step whose action fails to
run is an ``error`` with its reason and the run goes on; a step whose expectation does not
hold is ``failed``; a step needing a source known to be unavailable is ``skipped``.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from aiops.core import errors
from aiops.core.errors import AiopsError

STATUSES = ("passed", "failed", "error", "skipped", "manual", "planned")


@dataclass
class Outcome:
    """What an action measured: result fields (for expectations) and evidence lines."""

    values: dict[str, Any]
    evidence: list[str] = field(default_factory=list)


class Skip(Exception):
    """An action that does not apply here (no incident given, nothing to trace, ...)."""


@dataclass
class Context:
    """What steps run against; ``cache`` lets steps reuse what triage already measured."""

    cfg: Any
    targets: list[str]
    timeout: float
    playbook: Any = None
    incident: str | None = None
    allow_writes: bool = True
    cache: dict[Any, Any] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)  # source -> why
    pending: dict[Any, Callable[[], Any]] = field(default_factory=dict)  # measurements in flight
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.timezone.utc)
    deadline: float | None = None  # time.monotonic() by which every answer is due (triage's budget)
    _locks: dict[Any, threading.Lock] = field(default_factory=dict)
    _guard: threading.Lock = field(default_factory=threading.Lock)

    def request_timeout(self, margin: float = 0.3) -> float:
        """The per-request timeout: ``timeout``, cut so a request ends ``margin`` seconds before
        the deadline. A silent server is then an answer ("timed out"), not a source still
        running when the budget runs out, however long the start-up took."""
        if self.deadline is None:
            return self.timeout
        return max(0.2, min(self.timeout, self.deadline - time.monotonic() - margin))

    def cached(self, key: Any, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per key (errors are cached too, and re-raised); a measurement
        already in flight for the key (``pending``) is waited for instead."""
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self.cache:
                compute = self.pending.pop(key, compute)
                try:
                    self.cache[key] = compute()
                except AiopsError as exc:
                    self.cache[key] = exc
        value = self.cache[key]
        if isinstance(value, AiopsError):
            raise value
        return value


@dataclass
class StepResult:
    """What one step did: its status, result values, checked conditions and evidence."""

    number: int
    name: str
    action: str | None
    status: str
    params: dict[str, Any] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    checks: list[dict[str, Any]] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    reason: str | None = None
    hint: str | None = None
    manual: str | None = None
    severity: str | None = None
    duration_ms: float = 0.0
    error_code: int | None = None

    def to_dict(self) -> dict[str, Any]:
        from aiops.playbooks.steps.registry import params_json

        return {"number": self.number, "name": self.name, "action": self.action, "status": self.status,
                "with": params_json(self.action, self.params), "values": self.values, "checks": self.checks,
                "evidence": self.evidence, "reason": self.reason, "hint": self.hint,
                "manual": self.manual, "severity": self.severity,
                "duration_ms": round(self.duration_ms, 1)}


@dataclass
class PlaybookRun:
    """Every step's result, in order."""

    playbook: str
    title: str
    severity: str
    steps: list[StepResult]
    dry_run: bool = False
    duration_ms: float = 0.0

    @property
    def status(self) -> str:
        """planned (a dry run: nothing ran), failed (an expectation did not hold), error (a step
        could not run) or passed."""
        if self.dry_run:
            return "planned"
        seen = {s.status for s in self.steps}
        return "failed" if "failed" in seen else "error" if "error" in seen else "passed"

    def exit_code(self) -> int:
        """3 when an expectation failed, else the first step error's code, else 0."""
        if self.status == "failed":
            return errors.CHECK_FAILED
        codes = [s.error_code for s in self.steps if s.status == "error"]
        return codes[0] if codes else errors.OK

    def to_dict(self) -> dict[str, Any]:
        counts = {s: sum(r.status == s for r in self.steps) for s in STATUSES}
        return {"schema": "aiops.playbook-run/v1", "playbook": self.playbook, "title": self.title,
                "severity": self.severity, "status": self.status, "dry_run": self.dry_run,
                "duration_ms": round(self.duration_ms, 1), "summary": counts,
                "steps": [s.to_dict() for s in self.steps]}


def run_step(step: Any, ctx: Context, *, dry_run: bool = False) -> StepResult:
    """Run one step (or describe it, with ``dry_run``); never raises for an expected failure."""
    import importlib

    from aiops.playbooks.steps.registry import ACTIONS

    result = StepResult(step.number, step.name, step.action, "manual", hint=step.hint,
                        manual=step.manual, severity=step.severity)
    if not step.automated:
        return result
    action = ACTIONS[step.action]
    params = action.with_defaults(step.params)
    result.params = params
    missing = [ctx.unavailable[n] for n in action.needs if n in ctx.unavailable]
    if dry_run:
        result.status = "planned"
        result.checks = [{"condition": c.text, "actual": None, "ok": None} for c in step.expect]
        return result
    if missing:
        result.status, result.reason = "skipped", f"source unavailable: {missing[0]}"
        return result
    if action.writes and not ctx.allow_writes:
        result.status, result.reason = "skipped", "writes nothing here (triage posts only with --note)"
        return result
    started = time.perf_counter()
    try:
        outcome = importlib.import_module(action.module).run(ctx, step.action, params)
    except Skip as exc:
        result.status, result.reason = "skipped", str(exc)
    except AiopsError as exc:
        result.status, result.reason, result.error_code = "error", exc.message, exc.exit_code
    except Exception as exc:  # an adapter bug must not end the run: the step says what broke
        result.status, result.reason = "error", f"internal error: {type(exc).__name__}: {exc}"
        result.error_code = errors.INTERNAL
    else:
        result.values, result.evidence = outcome.values, outcome.evidence
        result.checks = [{"condition": c.text, "actual": outcome.values.get(c.field),
                          "ok": c.holds(outcome.values.get(c.field))} for c in step.expect]
        result.status = "failed" if any(not c["ok"] for c in result.checks) else "passed"
        if result.status == "failed":
            result.reason = "; ".join(f"expected {c['condition']}, got {_show(c['actual'])}"
                                      for c in result.checks if not c["ok"])
    result.duration_ms = (time.perf_counter() - started) * 1000
    return result


def _show(value: Any) -> str:
    if value is None:
        return "no value"
    return f"{value:g}" if isinstance(value, float) else str(value)


def run_playbook(playbook: Any, ctx: Context, *, dry_run: bool = False, deadline: float | None = None,
                 progress: Callable[..., None] | None = None) -> PlaybookRun:
    """Run every step in order. ``deadline`` (``time.monotonic()`` value) bounds the whole run:
    a step still running then is an error, the steps after it are skipped."""
    started = time.perf_counter()
    ctx.playbook = playbook
    results = []
    for step in playbook.steps:
        if progress:
            progress(1, total=len(playbook.steps))
        if deadline is None or dry_run or not step.automated:
            results.append(run_step(step, ctx, dry_run=dry_run))
            continue
        results.append(_bounded(step, ctx, deadline))
    return PlaybookRun(playbook.name, playbook.title, playbook.severity, results, dry_run,
                       (time.perf_counter() - started) * 1000)


def _bounded(step: Any, ctx: Context, deadline: float) -> StepResult:
    """Run a step in a daemon thread and stop waiting for it at ``deadline``."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return StepResult(step.number, step.name, step.action, "skipped", hint=step.hint,
                          severity=step.severity, reason="not run: the time budget was used up")
    box: list[StepResult] = []
    worker = threading.Thread(target=lambda: box.append(run_step(step, ctx)), daemon=True,
                              name=f"step-{step.number}")
    worker.start()
    worker.join(remaining)
    if box:
        return box[0]
    return StepResult(step.number, step.name, step.action, "error", hint=step.hint, severity=step.severity,
                      reason=f"did not finish within the time budget ({remaining:.1f}s left)",
                      error_code=errors.UNREACHABLE, duration_ms=remaining * 1000)
