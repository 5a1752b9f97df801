"""``health.check``: :func:`aiops.health.probe.check` over the step's (or triage's) targets."""

from __future__ import annotations

from typing import Any

from aiops.core.errors import UsageError
from aiops.playbooks.steps.runner import Context, Outcome


def probe(ctx: Context, targets: list[str]) -> Any:
    """The HealthReport for ``targets`` (measured once per run)."""
    from aiops.health.probe import check

    cfg = ctx.cfg

    def measure() -> Any:
        timeout = ctx.request_timeout()
        return check(targets, timeout=timeout, deadline=timeout + 0.2,
                     ca_bundle=cfg.get("tls.ca_bundle"), insecure=bool(cfg.get("tls.insecure")))

    return ctx.cached(("health", tuple(targets)), measure)


def run(ctx: Context, action: str, params: dict[str, Any]) -> Outcome:
    """Probe the targets; the worst verdict and how many targets have each."""
    targets = params.get("targets") or ctx.targets
    if not targets:
        raise UsageError("no targets to probe", hint="pass --target URL or configure targets")
    report = probe(ctx, list(targets))
    summary = report.summary
    values = {"verdict": report.verdict, "targets": summary["targets"],
              **{k: summary[k] for k in ("healthy", "degraded", "unhealthy", "unreachable")}}
    evidence = [f"{t.url or t.target}: {t.verdict}" + (f" ({'; '.join(t.reasons)})" if t.reasons else "")
                for t in report.targets]
    return Outcome(values, evidence)
