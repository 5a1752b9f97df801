"""One trace, analysed: the span tree, each span's self time, the critical path, the slowest span.

- *Self time*: a span's duration less the time covered by its children (clipped to it).
- *Critical path*: from the root, the child that finished last, then the one that finished last
  before that child started, and so on, recursively (the path that set the trace's duration).
- *Slowest span*: the span with the most self time; its share of the trace names the phase
  that took the time ("policy evaluation: 99 % of 1.51 s").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiops.tracing.model import Skipped, Span, iso_ns

SCHEMA = "aiops.trace/v1"


@dataclass(slots=True)
class Row:
    """A span's place in the waterfall: depth, offset from the trace start, self time."""

    span: Span
    depth: int
    offset_ns: int
    self_ns: int
    critical: bool = False
    last: bool = False  # the last child of its parent (for the tree drawing)
    guides: tuple[bool, ...] = ()  # for each ancestor level: does a sibling follow below it?


@dataclass
class TraceView:
    """A trace ready to show: rows in tree order, totals, the slowest span, optional log lines."""

    trace_id: str
    source: str
    rows: list[Row]
    start_ns: int
    end_ns: int
    skipped: Skipped = field(default_factory=Skipped)
    correlation_id: str | None = None  # what the user asked for, when it was a correlation ID
    logs: list[Any] | None = None  # aiops.logs.TimelineEntry, with --logs
    warnings: list[str] = field(default_factory=list)

    @property
    def duration_ns(self) -> int:
        return max(0, self.end_ns - self.start_ns)

    @property
    def spans(self) -> list[Span]:
        return [r.span for r in self.rows]

    @property
    def errors(self) -> int:
        return sum(r.span.error for r in self.rows)

    @property
    def root(self) -> Span:
        return self.rows[0].span

    @property
    def slowest(self) -> Row:
        """The row with the most self time (the first one on a tie)."""
        return max(self.rows, key=lambda r: r.self_ns)

    def share(self, row: Row) -> float:
        """``row``'s self time as a fraction of the trace's duration."""
        return row.self_ns / self.duration_ns if self.duration_ns else 0.0

    def phase_line(self) -> str:
        """``policy evaluation: 99 % of 1.51 s`` (the dominant phase of the trace)."""
        row = self.slowest
        return f"{row.span.name}: {self.share(row) * 100:.0f} % of {seconds(self.duration_ns)}"

    def summary(self) -> str:
        """One line naming the slowest span, where it ran and its share of the trace."""
        row = self.slowest
        where = f" on {row.span.instance}" if row.span.instance else ""
        errors = f"; {self.errors} span(s) with errors" if self.errors else ""
        return (f"slowest: {row.span.name} ({row.span.service}{where}) {seconds(row.self_ns)} of its own, "
                f"{self.share(row) * 100:.0f} % of the trace's {seconds(self.duration_ns)}{errors}")

    def correlation_ids(self) -> list[str]:
        """The ``correlation_id`` attributes on the trace's spans (the logs' join key)."""
        return list(dict.fromkeys(str(r.span.attrs["correlation_id"]) for r in self.rows
                                  if r.span.attrs.get("correlation_id")))

    def to_dict(self) -> dict[str, Any]:
        slow = self.slowest
        out: dict[str, Any] = {
            "schema": SCHEMA, "trace_id": self.trace_id, "source": self.source,
            "correlation_id": self.correlation_id, "start": iso_ns(self.start_ns),
            "duration_ms": round(self.duration_ns / 1e6, 3), "span_count": len(self.rows),
            "error_count": self.errors, "root": self.root.name,
            "services": sorted({r.span.service for r in self.rows}),
            "slowest": {"span_id": slow.span.span_id, "name": slow.span.name, "service": slow.span.service,
                        "instance": slow.span.instance, "self_ms": round(slow.self_ns / 1e6, 3),
                        "share": round(self.share(slow), 4)},
            "summary": self.summary(),
            "critical_path": [r.span.span_id for r in self.rows if r.critical],
            "spans": [{**r.span.to_dict(self.start_ns), "depth": r.depth, "self_ms": round(r.self_ns / 1e6, 3)}
                      for r in self.rows],
            "skipped": self.skipped.to_dict(), "warnings": self.warnings,
        }
        if self.logs is not None:
            out["logs"] = [e.to_dict() for e in self.logs]
        return out


def seconds(ns: int) -> str:
    """A duration for people: ``812 µs``, ``4.2 ms``, ``1.51 s``, ``16m 45s``."""
    if ns < 1_000_000:
        return f"{ns / 1000:.0f} µs"
    if ns < 1_000_000_000:
        return f"{ns / 1e6:.3g} ms"
    if ns < 59_500_000_000:
        return f"{ns / 1e9:.3g} s"
    from aiops.core.timewindow import human_duration

    return human_duration(ns / 1e9)


def build(trace_id: str, spans: list[Span], source: str, skipped: Skipped | None = None) -> TraceView:
    """Arrange one trace's spans (duplicates dropped) as a tree and analyse it.

    Spans whose parent is missing (not exported, or still in flight) hang from the top level,
    ordered by start time; the earliest top-level span is the root.
    """
    unique: dict[str, Span] = {}
    for span in spans:
        unique.setdefault(span.span_id, span)
    children: dict[str | None, list[Span]] = {}
    for span in unique.values():
        parent = span.parent_id if span.parent_id in unique and span.parent_id != span.span_id else None
        children.setdefault(parent, []).append(span)
    for group in children.values():
        group.sort(key=lambda s: (s.start_ns, -s.duration_ns, s.span_id))
    start = min(s.start_ns for s in unique.values())
    end = max(s.end_ns for s in unique.values())
    rows: list[Row] = []
    seen: set[str] = set()
    tops = children.get(None, [])
    while True:
        stack = [(s, 0, (), i == len(tops) - 1) for i, s in enumerate(tops)][::-1]
        while stack:  # iterative depth-first walk: deep traces cannot exhaust the recursion limit
            span, depth, guides, last = stack.pop()
            if span.span_id in seen:
                continue
            seen.add(span.span_id)
            kids = children.get(span.span_id)
            if not kids:  # a leaf (most spans): its own time is all of it
                rows.append(Row(span, depth, span.start_ns - start, span.duration_ns, False, last, guides))
                continue
            rows.append(Row(span, depth, span.start_ns - start, _self_time(span, kids), False, last, guides))
            inner = guides + (not last,) if depth else guides
            final = len(kids) - 1
            stack += [(k, depth + 1, inner, i == final) for i, k in enumerate(kids)][::-1]
        # spans in a parent cycle (A under B under A) hang from the top level too
        tops = sorted((s for s in unique.values() if s.span_id not in seen), key=lambda s: (s.start_ns, s.span_id))[:1]
        if not tops:
            break
    _mark_critical(rows, children)
    return TraceView(trace_id, source, rows, start, end, skipped or Skipped())


def _self_time(span: Span, kids: list[Span]) -> int:
    covered, cursor = 0, span.start_ns
    for kid in kids:  # sorted by start
        lo, hi = max(kid.start_ns, cursor), min(kid.end_ns, span.end_ns)
        if hi > lo:
            covered += hi - lo
            cursor = hi
    return max(0, span.duration_ns - covered)


def _mark_critical(rows: list[Row], children: dict[str | None, list[Span]]) -> None:
    by_id = {r.span.span_id: r for r in rows}
    if not rows:
        return
    work = [(rows[0].span, rows[0].span.end_ns)]
    while work:
        span, until = work.pop()
        by_id[span.span_id].critical = True
        cursor = min(span.end_ns, until)
        for kid in sorted(children.get(span.span_id, []), key=lambda s: s.end_ns, reverse=True):
            if kid.start_ns < cursor and kid.span_id in by_id and not by_id[kid.span_id].critical:
                work.append((kid, cursor))
                cursor = kid.start_ns
