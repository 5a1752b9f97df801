"""``logs.errors`` and ``logs.trace``: the log store (:func:`aiops.logs.open_backend`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiops.playbooks.steps.runner import Context, Outcome, Skip


def backend(ctx: Context) -> Any:
    """The configured log backend (opened once per run)."""
    from aiops.logs import open_backend

    return ctx.cached(("logs.backend",), lambda: open_backend(ctx.cfg, timeout=ctx.timeout))


def errors(ctx: Context, since_s: float, top: int = 5) -> Any:
    """The ErrorReport of the last ``since_s`` seconds (read once per run)."""
    def read() -> Any:
        end = ctx.clock()
        return backend(ctx).errors(end - dt.timedelta(seconds=since_s), end, top=top)

    return ctx.cached(("logs.errors", since_s, top), read)


def group_line(group: Any) -> str:
    """``12x logger: message (last 10:00:00Z)``."""
    return f"{group.count}x {group.logger}: {group.message} (last {group.last_seen:%H:%M:%SZ})"


def run(ctx: Context, action: str, params: dict[str, Any]) -> Outcome:
    """``logs.errors``: the top error groups; ``logs.trace``: one correlation ID's records."""
    if action == "logs.errors":
        report = errors(ctx, params["since"], params["top"])
        evidence = [group_line(g) for g in report.groups] or [f"no errors in {report.source}"]
        return Outcome({"count": report.total, "groups": len(report.groups)}, evidence)
    return _trace(ctx, params)


def _trace(ctx: Context, params: dict[str, Any]) -> Outcome:
    cid = params.get("correlation_id")
    if not cid:
        report = errors(ctx, params["since"])
        ids = [i for g in report.groups for i in g.sample_correlation_ids]
        if not ids:
            raise Skip("no error with a correlation ID to trace")
        cid = ids[0]
    end = ctx.clock()
    with backend(ctx).trace(cid, end - dt.timedelta(seconds=params["since"]), end, limit=200) as trace:
        entries = list(trace)
    summary = trace.summary
    evidence = [f"{cid}: {summary.records} record(s) over {summary.span_ms or 0:.0f} ms"]
    evidence += [f"{e.time:%H:%M:%S.%f}"[:-3] + f"Z {e.level} {e.logger}: {e.message}" for e in entries[:10]]
    errors_seen = sum(v[0] for v in summary.errors.values())
    return Outcome({"records": summary.records, "errors": errors_seen, "span_ms": summary.span_ms}, evidence)
