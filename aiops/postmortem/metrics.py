"""Key metrics of a post-mortem as numbers, runbook bands, text sparklines and PNG charts.

Charts need matplotlib (the ``charts`` extra); it is imported only when charts are drawn, with
the non-interactive Agg backend. Without it the document carries sparklines instead.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from aiops.postmortem.model import MetricSeries, MetricSummary

BLOCKS = "▁▂▃▄▅▆▇█"
SPARK_WIDTH = 40


def sparkline(values: list[float], width: int = SPARK_WIDTH, worst: str = "max") -> str:
    """Up to ``width`` block characters; each bucket shows its worst value."""
    if not values:
        return ""
    if len(values) > width:
        pick = max if worst == "max" else min
        size = len(values) / width
        values = [pick(values[int(i * size):max(int((i + 1) * size), int(i * size) + 1)])
                  for i in range(width)]
    lo, hi = min(values), max(values)
    if hi == lo:
        return BLOCKS[0] * len(values)
    scale = (len(BLOCKS) - 1) / (hi - lo)
    return "".join(BLOCKS[int(round((v - lo) * scale))] for v in values)


def summarise(series: MetricSeries) -> MetricSummary:
    """First, worst (and when), last and mean of one metric, with its runbook band."""
    out = MetricSummary(series.key, series.title, series.unit, series.query, error=series.error)
    points = series.points
    if not points:
        return out
    values = [v for _, v in points]
    pick = max if series.worst == "max" else min
    worst_ts, worst = pick(points, key=lambda p: p[1])
    out.points = len(points)
    out.first, out.last, out.worst = values[0], values[-1], worst
    out.worst_at = dt.datetime.fromtimestamp(worst_ts, dt.timezone.utc)
    out.mean = sum(values) / len(values)
    out.sparkline = sparkline(values, worst=series.worst)
    if series.baseline:
        from aiops.catalog import BASELINES

        baseline = next((b for b in BASELINES if b.name == series.baseline), None)
        if baseline is not None:
            out.band = baseline.band(worst)
    return out


def charts_available() -> bool:
    """True when matplotlib can be imported (the ``charts`` extra is installed)."""
    import importlib.util

    return importlib.util.find_spec("matplotlib") is not None


def chart_png(series: MetricSeries, title: str,
              span: tuple[dt.datetime, dt.datetime | None] | None = None) -> bytes:
    """One metric over the window as a PNG (matplotlib, Agg backend); ``span`` (the incident,
    trigger to resolve) is shaded."""
    fig = chart_figure(series, title, span)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def tick_format(seconds: float) -> str:
    """Time-axis labels for a window of ``seconds``: ticks of a short window are seconds apart,
    of a long one days apart, and each label must tell its tick from the others."""
    if seconds <= 600:
        return "%H:%M:%S"
    if seconds <= 20 * 3600:
        return "%H:%M"
    return "%b %d %H:%M"


def chart_figure(series: MetricSeries, title: str,
                 span: tuple[dt.datetime, dt.datetime | None] | None = None) -> Any:
    """The matplotlib Figure of :func:`chart_png`. The ticks (matplotlib's AutoDateLocator) are
    labelled precisely enough for the window (:func:`tick_format`) that no two read the same."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib.dates import AutoDateLocator, DateFormatter
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 2.4), dpi=100)
    ax = fig.add_subplot()
    times = [dt.datetime.fromtimestamp(ts, dt.timezone.utc) for ts, _ in series.points]
    ax.plot(times, [v for _, v in series.points], linewidth=1.4, color="#c0392b")
    if span is not None and span[0] is not None:
        ax.axvspan(span[0], span[1] or times[-1], color="#f5b041", alpha=0.2, label="incident")
    seconds = (times[-1] - times[0]).total_seconds() if times else 0
    ax.xaxis.set_major_locator(AutoDateLocator(tz=dt.timezone.utc, maxticks=8))
    ax.xaxis.set_major_formatter(DateFormatter(tick_format(seconds), tz=dt.timezone.utc))
    ax.set_title(title, fontsize=10, loc="left")
    ax.set_ylabel(series.unit, fontsize=8)
    ax.set_xlabel("UTC", fontsize=7)
    ax.tick_params(labelsize=7)
    ax.grid(True, alpha=0.3)
    fig.subplots_adjust(left=0.09, right=0.98, top=0.88, bottom=0.2)  # tight_layout: 2x slower
    return fig


def draw_charts(series: list[MetricSeries], stem: str,
                span: tuple[dt.datetime, dt.datetime | None] | None = None
                ) -> dict[str, tuple[str, bytes]]:
    """PNG bytes per metric with data: ``{key: (file name, png)}``, named ``<stem>-<key>.png``."""
    return {s.key: (f"{stem}-{s.key}.png", chart_png(s, s.title, span)) for s in series if s.points}


def fmt_value(value: Any, unit: str) -> str:
    """A metric value for people: 842 ms, 1.25 s, 2.5 %, 0.93."""
    if value is None:
        return "-"
    if unit == "s":
        return f"{value * 1000:.0f} ms" if abs(value) < 1 else f"{value:.2f} s"
    if unit == "%":
        return f"{value:.2f} %" if abs(value) < 10 else f"{value:.1f} %"
    if unit == "ratio":
        return f"{value:.3f}"
    return f"{value:.4g} {unit}".strip()
