"""``aiops prom``: PromQL instant and range queries."""

from __future__ import annotations

import math
from typing import Annotated, Optional

import typer

from aiops.cli import output
from aiops.cli.common import SinceOpt, TimeoutOpt, UntilOpt, get_state, global_options

app = typer.Typer(no_args_is_help=True)

PromqlArg = Annotated[str, typer.Argument(metavar="PROMQL", help="a PromQL expression")]
BARS = "▁▂▃▄▅▆▇█"


@app.command()
@global_options
def query(promql: PromqlArg,
          time: Annotated[Optional[str], typer.Option(
              "--time", metavar="WHEN", help="evaluation time: now, 15m (ago) or ISO-8601")] = None,
          timeout: TimeoutOpt = None) -> None:
    """Evaluate PROMQL at one instant. An empty result prints "no data" (not zero).

    Exit 2 when Prometheus rejects the expression (its message is shown), 5 when it is
    unreachable.

    Examples:

    \b
      aiops prom query 'up{job="active-inference"}'
      aiops prom query 'ai_model_accuracy' --time 2026-01-28T10:00:00Z -o json
    """
    from aiops.core.timewindow import parse_time
    from aiops.prometheus.queries import instant_query

    at = parse_time(time, what="--time") if time else None
    result = instant_query(get_state().config(timeout=timeout), promql, at=at)
    output.render(result, table=query_table)


@app.command("range")
@global_options
def range_(promql: PromqlArg, since: SinceOpt = None, until: UntilOpt = None,
           step: Annotated[Optional[str], typer.Option(
               "--step", metavar="DURATION", help="resolution, e.g. 30s [default: ~120 points]")] = None,
           timeout: TimeoutOpt = None) -> None:
    """Evaluate PROMQL over a window; a sparkline per series.

    The window defaults to the last hour and the step to about 120 points.

    Examples:

    \b
      aiops prom range 'rate(http_requests_total[5m])' --since 1h --step 30s
      aiops prom range 'ai_model_accuracy' --since 2026-01-28T09:00:00Z --until 2026-01-28T10:00:00Z
    """
    from aiops.core.timewindow import parse_duration, parse_window
    from aiops.prometheus.queries import range_query

    start, end = parse_window(since, until, default_since="1h")
    step_s = parse_duration(step, what="--step") if step else None
    result = range_query(get_state().config(timeout=timeout), promql, start, end, step_s=step_s)
    output.render(result, table=range_table)


def fmt(value: float | None) -> str:
    """A value the way a human reads it: 4 significant digits, NaN and Inf spelled out."""
    if value is None:
        return "-"
    if not math.isfinite(value):
        return str(value)
    return f"{value:.4g}"


def sparkline(values: list[float], width: int = 48) -> str:
    """Unicode bars for ``values`` (averaged into at most ``width`` cells); gaps for NaN."""
    if not values:
        return ""
    if len(values) > width:
        size = len(values) / width
        cells = []
        for i in range(width):
            chunk = [v for v in values[int(i * size):int((i + 1) * size)] if math.isfinite(v)]
            cells.append(sum(chunk) / len(chunk) if chunk else math.nan)
        values = cells
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return " " * len(values)
    low, high = min(finite), max(finite)
    span = high - low
    return "".join(" " if not math.isfinite(v) else
                   BARS[0 if span == 0 else min(len(BARS) - 1, int((v - low) / span * len(BARS)))]
                   for v in values)


def _no_data(query_text: str):
    from rich.text import Text

    return Text(f"no data: {query_text} returned no series")


def query_table(result):
    """series | value | timestamp, or "no data"."""
    from rich.markup import escape
    from rich.table import Table

    if result.no_data:
        return _no_data(result.query)
    table = Table(title=f"{result.result_type}: {len(result.series)} series "
                        f"({result.duration_ms:.0f} ms)", title_justify="left")
    table.add_column("series", overflow="fold")
    if result.result_type == "matrix":
        table.add_column("samples", justify="right")
        table.add_column("last", justify="right")
        table.add_column("trend")
        for s in result.series:
            table.add_row(escape(s.label_text()), str(len(s.samples)), fmt(s.value), sparkline(s.values))
        return table
    table.add_column("value", justify="right")
    for s in result.series:
        table.add_row(escape(s.label_text()) or "(scalar)", fmt(s.value))
    return table


def range_table(result):
    """series | points | min | max | last | sparkline."""
    from rich.markup import escape
    from rich.table import Table

    if result.no_data:
        return _no_data(result.query)
    table = Table(title=f"{len(result.series)} series, {result.start:%Y-%m-%d %H:%M:%S} to "
                        f"{result.end:%H:%M:%S} UTC, step {result.step_s:g}s", title_justify="left")
    for name, justify in (("series", "left"), ("points", "right"), ("min", "right"),
                          ("max", "right"), ("last", "right"), ("trend", "left")):
        table.add_column(name, justify=justify, overflow="fold" if name == "series" else "ellipsis")
    for s in result.series:
        finite = [v for v in s.values if math.isfinite(v)]
        table.add_row(escape(s.label_text()), str(len(s.samples)), fmt(min(finite) if finite else None),
                      fmt(max(finite) if finite else None), fmt(s.value),
                      sparkline(_on_grid(s, result)))
    return table


def _on_grid(series, result) -> list[float]:
    """Samples placed on the query's step grid, NaN where the series had no point (a gap)."""
    start, step = result.start.timestamp(), result.step_s
    cells = [math.nan] * (int((result.end.timestamp() - start) // step) + 1)
    for ts, value in series.samples:
        index = round((ts - start) / step)
        if 0 <= index < len(cells):
            cells[index] = value
    return cells
