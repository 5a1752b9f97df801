"""``aiops prom``: PromQL instant and range queries."""

from __future__ import annotations

import math
from typing import Annotated, Optional

import typer

from aiops.cli import output
from aiops.cli.common import SinceOpt, TimeoutOpt, UntilOpt, get_state, global_options

app = typer.Typer(no_args_is_help=True)

PromqlArg = Annotated[str, typer.Argument(metavar="PROMQL", help="a PromQL expression")]


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
    output.render(result, table=query_table, wide=True)


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
    output.render(result, table=range_table, wide=True)


from aiops.cli.tables import fmt  # noqa: E402 (re-exported: the metrics tables use fmt)


def _no_data(query_text: str):
    from aiops.cli.tables import heading

    return heading(f"no data: {query_text} returned no series")


def query_table(result, wide: bool = False):
    """series | value, or series | samples | last | trend for a range vector; "no data"."""
    from aiops.cli.tables import Column, Grid, Sparkline, heading

    if result.no_data:
        return _no_data(result.query)
    title = heading((f"{result.result_type}: {len(result.series)} series", "bold"),
                    f" ({result.duration_ms:.0f} ms)")
    if result.result_type == "matrix":
        grid = Grid(Column("series"), Column("samples", "num"), Column("last", "num"),
                    Column("trend", "spark"), title=title, wide=wide)
        for s in result.series:
            grid.row(s.label_text(), len(s.samples), fmt(s.value), Sparkline(s.values))
        return grid
    grid = Grid(Column("series"), Column("value", "num"), title=title, wide=wide)
    for s in result.series:
        grid.row(s.label_text() or "(scalar)", fmt(s.value))
    return grid


def range_table(result, wide: bool = False):
    """series | points | min | max | last | trend: the sparkline covers the whole window at the
    width it gets, newest point last."""
    from aiops.cli.tables import Column, Grid, Sparkline, heading

    if result.no_data:
        return _no_data(result.query)
    grid = Grid(Column("series", min_width=20), Column("points", "num", wide=True), Column("min", "num"),
                Column("max", "num"), Column("last", "num"), Column("trend", "spark", min_width=16),
                title=heading((f"{len(result.series)} series", "bold"),
                              f", {result.start:%Y-%m-%d %H:%M:%S} to {result.end:%H:%M:%S} UTC, "
                              f"step {result.step_s:g}s"), wide=wide)
    for s in result.series:
        finite = [v for v in s.values if math.isfinite(v)]
        grid.row(s.label_text(), len(s.samples), fmt(min(finite) if finite else None),
                 fmt(max(finite) if finite else None), fmt(s.value), Sparkline(_on_grid(s, result)))
    return grid


def _on_grid(series, result) -> list[float]:
    """Samples placed on the query's step grid, NaN where the series had no point (a gap)."""
    start, step = result.start.timestamp(), result.step_s
    cells = [math.nan] * (int((result.end.timestamp() - start) // step) + 1)
    for ts, value in series.samples:
        index = round((ts - start) / step)
        if 0 <= index < len(cells):
            cells[index] = value
    return cells
