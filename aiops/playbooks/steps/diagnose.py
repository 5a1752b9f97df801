"""``diagnose.profile``, ``diagnose.memory``, ``diagnose.bench``: the inference core (or a
``module:function``) under cProfile, tracemalloc or the latency benchmark (:mod:`aiops.diagnostics`).
"""

from __future__ import annotations

from typing import Any

from aiops.playbooks.steps.runner import Context, Outcome


def run(ctx: Context, action: str, params: dict[str, Any]) -> Outcome:
    """Run the diagnostic ``action`` names on the core (``model``) or on ``target``."""
    from aiops.diagnostics import bench, memory, profile, resolve_step

    step = resolve_step(params.get("target"), model=params["model"])
    label = getattr(step, "label", params.get("target") or params["model"])
    if action == "diagnose.bench":
        report = bench(step, params["steps"], label=label)
        lat = report.latency
        return Outcome({"p50_ms": lat["p50_ms"], "p95_ms": lat["p95_ms"], "band": report.band},
                       [f"{label}: {report.steps} steps, p50 {lat['p50_ms']:.3f} ms, p95 {lat['p95_ms']:.3f} ms "
                        f"({report.band})"])
    if action == "diagnose.memory":
        report = memory(step, params["steps"], label=label, threshold=params["threshold"], top=5)
        evidence = [f"{label}: {report.bytes_per_step:+.1f} B/step over {report.steps} steps "
                    f"({'leak' if report.leaking else 'no leak'}; threshold {report.threshold:g} B/step)"]
        evidence += [f"{a.size_diff:+,} B at {a.file}:{a.line}: {a.code}" for a in report.top[:3]]
        return Outcome({"bytes_per_step": report.bytes_per_step, "growth_bytes": report.growth_bytes,
                        "leaking": report.leaking}, evidence)
    report = profile(step, params["steps"], label=label, top=params["top"])
    evidence = [f"{label}: {report.per_step_ms:.3f} ms/step under cProfile, {report.total_calls} calls"]
    evidence += [f"{f.cumtime * 1000:.1f} ms cumulative in {f.function} ({f.file}:{f.line}), {f.calls} calls"
                 for f in report.functions[:params["top"]]]
    return Outcome({"per_step_ms": report.per_step_ms, "calls": report.total_calls}, evidence)
