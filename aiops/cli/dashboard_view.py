"""How a dashboard frame looks in the terminal, and the live loop that redraws it.

One line per series: panel, series, a sparkline over the whole window (newest point at the
right, one cell per slice of time, blank where there is no data), the current value, and the
runbook band in its colour. The view fits the terminal's height: each panel keeps at least
its first series, further series fill the lines that are left, and what does not fit is
counted ("+2 more"). Outside data (label values) is never parsed as markup.
"""

from __future__ import annotations

import math
from typing import Any

BARS = "▁▂▃▄▅▆▇█"
COLOURS = {"ok": "green", "warning": "yellow", "critical": "red", "info": "cyan"}
FIXED = {"panel": 20, "series": 18, "now": 9, "band": 8}
MIN_TREND = 8


def fmt_value(value: float | None, unit: str) -> str:
    """A value in the panel's unit, short enough for a 9-character column."""
    if value is None:
        return "-"
    if not math.isfinite(value):
        return str(value)
    if unit == "percent":
        return f"{value:.3g}%"
    if unit == "percentunit":
        return f"{value * 100:.3g}%"
    if unit == "s":
        return _seconds(value)
    if unit in ("bytes", "decbytes"):
        return _scaled(value, 1024.0 if unit == "bytes" else 1000.0, "B", ("", "Ki", "Mi", "Gi", "Ti")
                       if unit == "bytes" else ("", "k", "M", "G", "T"))
    if unit == "Bps":
        return _scaled(value, 1000.0, "B/s", ("", "k", "M", "G", "T"))
    if unit == "reqps":
        return _scaled(value, 1000.0, "/s", ("", "k", "M", "G", "T"))
    return _scaled(value, 1000.0, "", ("", "k", "M", "G", "T"))


def _seconds(value: float) -> str:
    magnitude = abs(value)
    if magnitude == 0:
        return "0s"
    if magnitude < 1e-3:
        return f"{value * 1e6:.3g}µs"
    if magnitude < 1:
        return f"{value * 1e3:.3g}ms"
    return f"{value:.3g}s"


def _scaled(value: float, base: float, suffix: str, prefixes: tuple[str, ...]) -> str:
    i = 0
    while abs(value) >= base and i < len(prefixes) - 1:
        value /= base
        i += 1
    return f"{value:.3g}{prefixes[i]}{suffix}"


def sparkline(points: list[tuple[float, float]], start: float, end: float, width: int) -> str:
    """Bars for ``points`` laid on ``width`` equal slices of [start, end]; blank slices have none."""
    if width <= 0:
        return ""
    cells: list[list[float]] = [[] for _ in range(width)]
    span = max(end - start, 1e-9)
    for t, v in points:
        if math.isfinite(v) and start <= t <= end:
            cells[min(width - 1, int((t - start) / span * width))].append(v)
    means = [sum(c) / len(c) if c else None for c in cells]
    finite = [m for m in means if m is not None]
    if not finite:
        return " " * width
    low, high = min(finite), max(finite)
    top = len(BARS) - 1

    def bar(m: float) -> str:
        if high == low:
            return BARS[top // 2]
        return BARS[min(top, int((m - low) / (high - low) * (top + 1)))]

    return "".join(" " if m is None else bar(m) for m in means)


def bucket_bars(buckets: list[tuple[float, float]], width: int) -> str:
    """The latency distribution: one bar per non-empty stretch of buckets, scaled to the largest."""
    counts = [c for _, c in buckets]
    lo = next((i for i, c in enumerate(counts) if c > 0), None)
    if lo is None:
        return " " * width
    hi = max(i for i, c in enumerate(counts) if c > 0)
    shown = counts[lo:hi + 1][:width]
    peak = max(shown) or 1.0
    return "".join(" " if c == 0 else BARS[min(len(BARS) - 1, int(c / peak * len(BARS)))] for c in shown).ljust(width)


def median_bucket(buckets: list[tuple[float, float]]) -> float | None:
    """The upper bound of the bucket holding the median inference."""
    total = sum(c for _, c in buckets)
    if total <= 0:
        return None
    running = 0.0
    for le, count in buckets:
        running += count
        if running >= total / 2:
            return le
    return buckets[-1][0]


def _rows_for(frame: Any, budget: int) -> tuple[list[tuple[Any, int]], int]:
    """(panel data, series shown) per panel within ``budget`` lines, and panels left out."""
    panels = list(frame.panels)
    shown = panels[:max(budget, 0)]
    counts = [1 for _ in shown]
    spare = budget - len(shown)
    for i, data in enumerate(shown):
        extra = min(max(len(data.series) - 1, 0), max(spare, 0))
        counts[i] += extra
        spare -= extra
    return list(zip(shown, counts)), len(panels) - len(shown)


def render(frame: Any, width: int, height: int) -> Any:
    """The whole screen for ``frame`` at ``width`` x ``height``."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    spare = width - 80  # wider terminals give names room first (up to 8 and 12 more), then the trend
    panel_w = FIXED["panel"] + min(max(spare, 0) // 4, 8) if spare >= 0 else max(10, FIXED["panel"] + spare)
    series_w = FIXED["series"] + min(max(spare, 0) // 4, 12)
    gaps = 2 * len(FIXED)  # the cell padding rich lays around the five columns
    trend = max(MIN_TREND, width - panel_w - series_w - FIXED["now"] - FIXED["band"] - gaps)
    header = _header(frame, width)
    table = Table(box=None, padding=(0, 1), show_header=True, header_style="bold", expand=False,
                  show_edge=False, pad_edge=False)
    table.add_column("panel", width=panel_w, no_wrap=True, overflow="ellipsis")
    table.add_column("series", width=series_w, no_wrap=True, overflow="ellipsis")
    table.add_column("trend", width=trend, no_wrap=True)
    table.add_column("now", width=FIXED["now"], justify="right", no_wrap=True, overflow="ellipsis")
    table.add_column("band", width=FIXED["band"], no_wrap=True)
    start, end = frame.at.timestamp() - frame.window_s, frame.at.timestamp()
    rows, hidden_panels = _rows_for(frame, height - 3)
    for data, count in rows:
        title = Text(data.panel.title)
        if data.panel.kind == "heatmap":
            le = median_bucket(data.buckets)
            table.add_row(title, Text("distribution"), Text(bucket_bars(data.buckets, trend), style="cyan"),
                          Text("-" if le is None else f"p50≤{fmt_value(le, 's')}"), Text(""))
            continue
        if not data.series:
            table.add_row(title, Text(data.note or "no data", style="magenta"), Text(""), Text("-"), Text(""))
            continue
        names = short_names([s.name for s in data.series])
        for i, series in enumerate(data.series[:count]):
            name = names[i]
            more = len(data.series) - count
            if i == count - 1 and more > 0:
                name = f"{name} +{more} more"
            colour = COLOURS.get(series.band or "", "")
            table.add_row(title if i == 0 else Text(""), Text(name),
                          Text(sparkline(series.points, start, end, trend), style=colour or "blue"),
                          Text(fmt_value(series.current, data.panel.unit)),
                          Text(series.band or "-", style=colour or "dim"))
    footer = _footer(frame, hidden_panels)
    return Group(header, table, footer) if footer is not None else Group(header, table)


def _header(frame: Any, width: int) -> Any:
    from urllib.parse import urlsplit

    from rich.text import Text

    where = (f"prometheus {urlsplit(frame.prometheus_url or '').netloc}" if frame.source == "prometheus"
             else f"scraping {len(frame.targets)} target(s): Prometheus did not answer")
    text = Text(frame.dashboard.title.split(": ")[-1], style="bold")
    text.append(f"  {frame.at:%H:%M:%S} UTC  last {_span(frame.window_s)}  ")
    text.append(where, style="yellow" if frame.source == "scrape" else "")
    text.truncate(width, overflow="ellipsis")
    return text


def short_names(names: list[str]) -> list[str]:
    """Series names without the words every one of them shares (one instance's several lines)."""
    if len(names) < 2:
        return names
    words = [n.split(" ") for n in names]
    common = 0
    while all(len(w) > common + 1 for w in words) and len({w[common] for w in words}) == 1:
        common += 1
    return [" ".join(w[common:]) for w in words]


def _footer(frame: Any, hidden_panels: int) -> Any:
    from rich.text import Text

    parts = []
    if hidden_panels:
        parts.append(f"+{hidden_panels} panel(s) below: enlarge the terminal")
    worst = next((b for b in ("critical", "warning") if any(p.band == b for p in frame.panels)), None)
    if worst:
        parts.append(f"{worst}: " + ", ".join(p.panel.title for p in frame.panels if p.band == worst))
    return Text("  ".join(parts), style=COLOURS.get(worst or "", "dim"), no_wrap=True, overflow="ellipsis") \
        if parts else None


def _span(seconds: float) -> str:
    from aiops.catalog.checks import promql_duration

    return promql_duration(seconds)


async def live(feed: Any, *, refresh_s: float, console: Any, keys: bool = True) -> int:
    """Redraw the dashboard every ``refresh_s`` until ``q`` (returns 0); Ctrl-C raises."""
    import asyncio
    import os
    import signal
    import sys

    from rich.live import Live

    loop = asyncio.get_running_loop()
    quit_ = asyncio.Event()
    wake = asyncio.Event()
    fd, saved = None, None
    if keys and sys.stdin.isatty():
        import termios
        import tty

        fd = sys.stdin.fileno()
        saved = termios.tcgetattr(fd)
        tty.setcbreak(fd)  # keys arrive one by one; Ctrl-C still sends SIGINT

        def on_key() -> None:
            if b"q" in os.read(fd, 64).lower():
                quit_.set()
                wake.set()

        loop.add_reader(fd, on_key)
    loop.add_signal_handler(signal.SIGWINCH, wake.set)
    frame, error = None, None
    try:
        with Live(console=console, screen=True, auto_refresh=False, redirect_stdout=False,
                  redirect_stderr=False) as view:
            next_at = loop.time()
            while not quit_.is_set():
                if loop.time() >= next_at:
                    next_at = loop.time() + refresh_s
                    try:
                        frame, error = await feed.frame(), None
                    except Exception as exc:  # keep the last frame; say why it is old
                        error = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
                width, height = console.size
                view.update(_screen(frame, error, width, height), refresh=True)
                wake.clear()
                try:
                    await asyncio.wait_for(wake.wait(), timeout=max(0.0, next_at - loop.time()))
                except asyncio.TimeoutError:
                    pass
    finally:
        loop.remove_signal_handler(signal.SIGWINCH)
        if fd is not None:
            import termios

            loop.remove_reader(fd)
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)
    return 0


def _screen(frame: Any, error: str | None, width: int, height: int) -> Any:
    from rich.console import Group
    from rich.text import Text

    if frame is None:
        return Text(f"error: {error}" if error else "waiting for the first frame...",
                    style="red" if error else "dim")
    body = render(frame, width, height - (1 if error else 0))
    if error:
        return Group(body, Text(f"stale: {error}", style="red", no_wrap=True, overflow="ellipsis"))
    return body
