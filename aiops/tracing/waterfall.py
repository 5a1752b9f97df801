"""The waterfall of one trace as lines of (text, style) segments, for a terminal or a document.

Each span is one line: a marker (``*`` on the critical path, ``!`` for an error), the span
tree, its offset from the trace start, its duration and a bar scaled to the trace. Outside
text (span names, services, log messages) has its control characters replaced and is cut
with an ellipsis rather than wrapped, so every line is exactly one line of at most ``width``
characters. Styles are rich style names; :func:`plain` drops them.
"""

from __future__ import annotations

from typing import Any

from aiops.tracing.analysis import Row, TraceView, seconds

MIN_BAR = 10
OFFSET_W, DURATION_W = 10, 9  # the columns' usual widths; wider when a trace needs it (days, years)
_CONTROL = str.maketrans(dict.fromkeys([*range(32), 0x7f], " "))

Line = list[tuple[str, str]]


def clean(text: Any) -> str:
    """One line of outside text: control characters become spaces."""
    return str(text).translate(_CONTROL)


def fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters with an ellipsis (never wrapped)."""
    if width <= 0:
        return ""
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def _offset(ns: int) -> str:
    return f"+{ns / 1e9:.3f}s" if ns >= 1e9 else f"+{ns / 1e6:.1f}ms"


def _tree(row: Row) -> str:
    if row.depth == 0:
        return ""
    return "".join("│ " if g else "  " for g in row.guides) + ("└ " if row.last else "├ ")


def lines(view: TraceView, width: int = 80) -> list[Line]:
    """The waterfall: a header, one line per span (log lines interleaved by time), the summary.

    Linear in the spans, each span's texts made once: a trace can have ten thousand of them.
    """
    width = max(60, width)
    total = max(1, view.duration_ns)
    rows = view.rows
    trees: dict[tuple, str] = {}  # a tree prefix depends only on the depth, guides and last child
    names, offsets, durations = [], [], []
    for r in rows:
        key = (r.depth, r.guides, r.last)
        tree = trees.get(key)
        if tree is None:
            tree = trees[key] = _tree(r)
        names.append(tree + clean(r.span.name))
        offsets.append(_offset(r.offset_ns))
        durations.append(seconds(r.span.duration_ns))
    off_w = max(OFFSET_W, *map(len, offsets))
    dur_w = max(DURATION_W, *map(len, durations))
    fixed = 2 + 1 + off_w + 1 + dur_w + 2  # marker, offset, duration, gap
    name_w = max(1, min(max(map(len, names)), max(20, (width - fixed) // 2), width - fixed - MIN_BAR))
    bar_w = max(MIN_BAR, width - name_w - fixed)
    head = (f"trace {view.trace_id}: {len(rows)} spans, {seconds(view.duration_ns)}, "
            f"{', '.join(sorted({r.span.service for r in rows}))}")
    out: list[Line] = [[(fit(clean(head), width), "bold")]]
    if view.correlation_id:
        out.append([(fit(clean(f"correlation ID {view.correlation_id}"), width), "")])
    out.append([(fit(clean(f"from {view.source}"), width), "dim")])
    header = f"  {'span':<{name_w}} {'start':>{off_w}} {'duration':>{dur_w}}  {'* critical path, ! error':<{bar_w}}"
    out.append([(header[:width], "dim")])
    logs = sorted(view.logs or [], key=lambda e: e.time)
    pending = 0
    for row, name, offset, duration in zip(rows, names, offsets, durations):
        while pending < len(logs) and logs[pending].time.timestamp() * 1e9 < row.span.start_ns:
            out.append(_log_line(logs[pending], view, width))
            pending += 1
        out.append(_span_line(row, fit(name, name_w).ljust(name_w), f" {offset:>{off_w}} {duration:>{dur_w}}  ",
                              bar_w, total))
    out += [_log_line(entry, view, width) for entry in logs[pending:]]
    out.append([(fit(clean(view.summary()), width), "bold red" if view.errors else "bold")])
    return out


def _span_line(row: Row, name: str, times: str, bar_w: int, total: int) -> Line:
    span = row.span
    left = min(int(row.offset_ns / total * bar_w), bar_w - 1)
    length = min(max(1, round(span.duration_ns / total * bar_w)), bar_w - left)
    if span.error:
        return [(("*" if row.critical else " ") + "!", "bold red"), (name, "bold red"), (times, "cyan"),
                (" " * left, ""), ("█" * length, "red")]
    return [("* " if row.critical else "  ", "bold yellow"), (name, "bold" if row.critical else ""), (times, "cyan"),
            (" " * left, ""), ("█" * length, "yellow" if row.critical else "blue")]


def _log_line(entry: Any, view: TraceView, width: int) -> Line:
    offset = int(entry.time.timestamp() * 1e9) - view.start_ns
    text = (f"  log {'+' if offset >= 0 else '-'}{abs(offset) / 1e6:.1f}ms {entry.level or '-'} "
            f"{entry.logger or '-'}: {entry.message or '-'}")
    if entry.duration_ms is not None:
        text += f" ({entry.duration_ms} ms)"
    return [(fit(clean(text), width), "red" if entry.is_error else "magenta")]


def plain(view: TraceView, width: int = 80) -> str:
    """The waterfall as plain text (for a post-mortem)."""
    return "\n".join("".join(text for text, _ in line).rstrip() for line in lines(view, width))
