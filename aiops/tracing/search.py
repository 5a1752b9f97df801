"""``aiops trace search``: recent traces, slowest first, each with its dominant phase."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from aiops.tracing.analysis import TraceView, build, iso_ns, seconds
from aiops.tracing.model import Skipped, Span

SCHEMA = "aiops.trace.search/v1"


@dataclass
class Found:
    """One trace in a search result."""

    view: TraceView

    def to_dict(self) -> dict[str, Any]:
        v, slow = self.view, self.view.slowest
        return {"trace_id": v.trace_id, "root": v.root.name, "service": v.root.service,
                "instance": v.root.instance, "start": iso_ns(v.start_ns),
                "duration_ms": round(v.duration_ns / 1e6, 3), "span_count": len(v.rows),
                "error_count": v.errors, "correlation_ids": v.correlation_ids(),
                "slowest": {"name": slow.span.name, "self_ms": round(slow.self_ns / 1e6, 3),
                            "share": round(v.share(slow), 4)}}


@dataclass
class SearchReport:
    """Traces that started in the window and match, slowest first."""

    source: str
    start: dt.datetime
    end: dt.datetime
    min_duration_s: float | None
    errors_only: bool
    limit: int
    traces: list[Found] = field(default_factory=list)
    matched: int = 0  # before --limit
    skipped: Skipped = field(default_factory=Skipped)

    def to_dict(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "source": self.source,
                "window": {"start": _iso(self.start), "end": _iso(self.end)},
                "min_duration_seconds": self.min_duration_s, "errors_only": self.errors_only,
                "limit": self.limit, "matched": self.matched,
                "traces": [t.to_dict() for t in self.traces], "skipped": self.skipped.to_dict()}

    def lines(self) -> list[str]:
        """``1.51 s  POST /infer  policy evaluation: 99 % of 1.51 s  <trace id>`` per trace."""
        return [f"{seconds(t.view.duration_ns)} {t.view.root.name}: {t.view.phase_line()} "
                f"(trace {t.view.trace_id})" for t in self.traces]


def _iso(when: dt.datetime) -> str:
    return when.astimezone(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def rank(spans: list[Span], source: str, start: dt.datetime, end: dt.datetime, *,
         min_duration_s: float | None = None, errors_only: bool = False, limit: int = 20,
         skipped: Skipped | None = None) -> SearchReport:
    """Group ``spans`` by trace, keep the traces that started in [start, end] and match, slowest
    first; only the ``limit`` kept are analysed in full."""
    by_trace: dict[str, list[Span]] = {}
    for span in spans:
        by_trace.setdefault(span.trace_id, []).append(span)
    lo, hi = int(start.timestamp() * 1e9), int(end.timestamp() * 1e9)
    keep = []
    for trace_id, group in by_trace.items():
        first = min(s.start_ns for s in group)
        duration = max(s.end_ns for s in group) - first
        if not lo <= first <= hi:
            continue
        if min_duration_s is not None and duration < min_duration_s * 1e9:
            continue
        if errors_only and not any(s.error for s in group):
            continue
        keep.append((duration, first, trace_id))
    keep.sort(key=lambda k: (-k[0], -k[1], k[2]))
    report = SearchReport(source, start, end, min_duration_s, errors_only, limit, matched=len(keep),
                          skipped=skipped or Skipped())
    report.traces = [Found(build(tid, by_trace[tid], source)) for _, _, tid in keep[:limit]]
    return report
