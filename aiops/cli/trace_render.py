"""The terminal waterfall of one trace, and the table of a trace search.

Each span is one line: a marker (``*`` on the critical path, ``!`` for an error), the span
tree, its offset from the trace start, its duration and a bar scaled to the trace. Names come
from outside (a trace store or a file): they go into rich ``Text`` objects, never markup, and
are cut with an ellipsis rather than wrapped, so every line stays one line at any width.
"""

from __future__ import annotations

from typing import Any

from aiops.tracing.analysis import TraceView, seconds

MIN_BAR = 10
FIXED = 25  # marker 2, offset 1+10, duration 1+9, gap 2
_CONTROL = dict.fromkeys(range(32), " ")


def clean(text: Any) -> str:
    """One line of outside text: control characters become spaces."""
    return str(text).translate(_CONTROL)


def fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` cells with an ellipsis (never wrapped)."""
    if width <= 0:
        return ""
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def _offset(ns: int) -> str:
    return f"+{ns / 1e9:.3f}s" if ns >= 1e9 else f"+{ns / 1e6:.1f}ms"


def _tree(row: Any) -> str:
    if row.depth == 0:
        return ""
    return "".join("│ " if g else "  " for g in row.guides) + ("└ " if row.last else "├ ")


def waterfall(view: TraceView, width: int) -> Any:
    """The whole waterfall as one rich ``Text`` (fast for ten thousand spans)."""
    from rich.text import Text

    width = max(60, width)
    total = max(1, view.duration_ns)
    name_w = min(max(len(_tree(r)) + len(r.span.name) for r in view.rows), max(20, (width - FIXED) // 2))
    bar_w = max(MIN_BAR, width - name_w - FIXED)
    out = Text(no_wrap=True, overflow="ellipsis")
    head = (f"trace {view.trace_id}: {len(view.rows)} spans, {seconds(view.duration_ns)}, "
            f"{', '.join(sorted({r.span.service for r in view.rows}))}")
    out.append(fit(clean(head), width) + "\n", style="bold")
    if view.correlation_id:
        out.append(fit(clean(f"correlation ID {view.correlation_id}"), width) + "\n")
    out.append(fit(clean(f"from {view.source}"), width) + "\n", style="dim")
    out.append(f"  {'span':<{name_w}} {'start':>10} {'duration':>9}  {'* critical path, ! error':<{bar_w}}"[:width] + "\n",
               style="dim")
    logs = sorted(view.logs or [], key=lambda e: e.time)
    pending = 0
    for row in view.rows:
        while pending < len(logs) and logs[pending].time.timestamp() * 1e9 < row.span.start_ns:
            _log_line(out, logs[pending], view, width)
            pending += 1
        span = row.span
        mark = ("*" if row.critical else " ") + ("!" if span.error else " ")
        out.append(mark, style="bold red" if span.error else "bold yellow")
        out.append(fit(_tree(row) + clean(span.name), name_w).ljust(name_w),
                   style="bold red" if span.error else ("bold" if row.critical else ""))
        out.append(f" {_offset(row.offset_ns):>10} {seconds(span.duration_ns):>9}  ", style="cyan")
        left = int(row.offset_ns / total * bar_w)
        length = max(1, round(span.duration_ns / total * bar_w))
        left = min(left, bar_w - 1)
        length = min(length, bar_w - left)
        out.append(" " * left)
        out.append("█" * length, style="red" if span.error else ("yellow" if row.critical else "blue"))
        out.append("\n")
    for entry in logs[pending:]:
        _log_line(out, entry, view, width)
    style = "bold red" if view.errors else "bold"
    out.append(fit(clean(view.summary()), width), style=style)
    return out


def _log_line(out: Any, entry: Any, view: TraceView, width: int) -> None:
    offset = int(entry.time.timestamp() * 1e9) - view.start_ns
    text = f"  log {'+' if offset >= 0 else '-'}{abs(offset) / 1e6:.1f}ms {entry.level or '-'} " \
           f"{entry.logger or '-'}: {entry.message or '-'}"
    if entry.duration_ms is not None:
        text += f" ({entry.duration_ms} ms)"
    out.append(fit(clean(text), width) + "\n", style="red" if entry.is_error else "magenta")


def search_table(report: Any) -> Any:
    """One row per trace: duration, errors, the slowest span and its share, the trace ID."""
    from rich.table import Table
    from rich.text import Text

    from aiops.cli import output

    wide = output.stdout().width >= 100
    window = f"{report.start:%Y-%m-%d %H:%M:%S} to {report.end:%Y-%m-%d %H:%M:%S} UTC"
    table = Table(title=clean(f"{report.matched} trace(s) in {report.source}, {window}"
                              + (f" (slowest {len(report.traces)})" if report.matched > len(report.traces) else "")),
                  title_justify="left")
    table.add_column("duration", justify="right", no_wrap=True)
    if wide:
        table.add_column("started", no_wrap=True)
    table.add_column("errors", justify="right", no_wrap=True)
    table.add_column("slowest span", overflow="fold", min_width=12)
    table.add_column("trace ID", no_wrap=True, min_width=32)
    for found in report.traces:
        v = found.view
        slow = v.slowest
        cells = [seconds(v.duration_ns)]
        if wide:
            cells.append(_clock(v.start_ns))
        cells += [str(v.errors), f"{clean(slow.span.name)} {v.share(slow) * 100:.0f} %", v.trace_id]
        error_column = 2 if wide else 1
        table.add_row(*[Text(c, style="red" if v.errors and i == error_column else "") for i, c in enumerate(cells)])
    return table


def _clock(ns: int) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(ns / 1e9, dt.timezone.utc).strftime("%H:%M:%S")

