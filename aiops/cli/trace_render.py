"""The terminal waterfall of one trace, and the table of a trace search.

Names come from outside (a trace store or a file): they go into rich ``Text`` objects, never
markup; the waterfall's lines are cut, never wrapped (:mod:`aiops.tracing.waterfall`).
"""

from __future__ import annotations

from typing import Any

from aiops.tracing.analysis import TraceView, seconds
from aiops.tracing.waterfall import clean, lines


def waterfall(view: TraceView, console: Any) -> str:
    """The whole waterfall (:mod:`aiops.tracing.waterfall`) as text for ``console``: plain when it
    has no colours (piped, NO_COLOR), else with ANSI styles rendered once per style by rich.

    Written straight to the console's file: rich's per-line layout costs seconds for ten
    thousand spans, and every line is already cut to the width.
    """
    rows = lines(view, console.width)
    if console.no_color or console.color_system is None:
        return "\n".join("".join(text for text, _ in line).rstrip() for line in rows) + "\n"
    from rich.style import Style

    codes: dict[str, tuple[str, str]] = {}
    for line in rows:
        for _, style in line:
            if style and style not in codes:
                prefix, _, suffix = Style.parse(style).render("\0", color_system=console._color_system).partition("\0")
                codes[style] = (prefix, suffix)
    out = []
    for line in rows:
        out.append("".join(f"{codes[style][0]}{text}{codes[style][1]}" if style and text.strip() else text
                           for text, style in line).rstrip())
    return "\n".join(out) + "\n"


def search_table(report: Any, wide: bool = False) -> Any:
    """One row per trace: duration, when it started, errors, the slowest span and its share of the trace, the
    trace ID (never broken; the start time is the first column to go on a narrow terminal)."""
    from aiops.cli.tables import Column, Grid, styled

    window = f"{report.start:%Y-%m-%d %H:%M:%S} to {report.end:%Y-%m-%d %H:%M:%S} UTC"
    grid = Grid(Column("duration", "num"), Column("started", "word", optional=True), Column("errors", "num"),
                Column("slowest span", min_width=12), Column("share", "num"), Column("trace ID", "id"),
                title=clean(f"{report.matched} trace(s) in {report.source}, {window}"
                            + (f" (slowest {len(report.traces)})" if report.matched > len(report.traces) else "")),
                wide=wide)
    for found in report.traces:
        v = found.view
        slow = v.slowest
        grid.row(seconds(v.duration_ns), _clock(v.start_ns), styled(str(v.errors), "red" if v.errors else ""),
                 clean(slow.span.name), f"{v.share(slow) * 100:.0f}%", v.trace_id)
    return grid


def _clock(ns: int) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(ns / 1e9, dt.timezone.utc).strftime("%H:%M:%S")

