"""``traces.slowest``: the slowest recent traces and the phase that took their time (:mod:`aiops.tracing`)."""

from __future__ import annotations

import collections
import datetime as dt
from typing import Any

from aiops.playbooks.steps.runner import Context, Outcome, Skip


def slowest(ctx: Context, since_s: float, limit: int = 5) -> Any:
    """The SearchReport of the last ``since_s`` seconds (read once per run); Skip when no
    tracing source is configured."""
    from aiops.tracing import configured, open_source, search

    if not configured(ctx.cfg):
        raise Skip("no tracing source configured (tracing.url or tracing.file)")

    def read() -> Any:
        end = ctx.clock()
        source = open_source(ctx.cfg, timeout=ctx.timeout)
        return search(source, end - dt.timedelta(seconds=since_s), end, limit=limit)

    return ctx.cached(("traces.slowest", since_s, limit), read)


def dominant(report: Any) -> tuple[str, Any] | None:
    """(phase line, view) of the phase that dominates most of the slowest traces, from the slowest
    trace where it does; None when there is no trace."""
    if not report.traces:
        return None
    counts = collections.Counter(t.view.slowest.span.name for t in report.traces)
    name = counts.most_common(1)[0][0]
    view = next(t.view for t in report.traces if t.view.slowest.span.name == name)
    return view.phase_line(), view


def run(ctx: Context, action: str, params: dict[str, Any]) -> Outcome:
    """The dominant phase of the slowest traces, with one evidence line per trace."""
    report = slowest(ctx, params["since"], params["limit"])
    found = dominant(report)
    if found is None:
        raise Skip(f"no trace in {report.source} in the last {params['since']:g}s")
    line, view = found
    slow = view.slowest
    where = f" on {slow.span.instance}" if slow.span.instance else ""
    evidence = [f"slowest traces: {line} (trace {view.trace_id}{where})"]
    evidence += [f"{t.view.root.name} {t.view.phase_line()} (trace {t.view.trace_id})" for t in report.traces]
    return Outcome({"phase": slow.span.name, "share": round(view.share(slow), 4),
                    "duration_s": round(view.duration_ns / 1e9, 6), "traces": len(report.traces)}, evidence)


def add_evidence(run: Any, findings: list[Any]) -> None:
    """Triage: the traces step's dominant phase becomes evidence of the finding the playbook
    explains (the most severe related problem), first in its list."""
    step = next((s for s in run.steps if s.action == "traces.slowest" and s.status == "passed" and s.evidence), None)
    related = [f for f in findings if f.related and f.status == "problem"]
    if step is None or not related:
        return
    rank = {"critical": 3, "warning": 2, "info": 1}
    target = max(related, key=lambda f: rank.get(f.severity, 0))
    target.evidence.insert(0, step.evidence[0])
