"""What `aiops dashboard NAME` draws: screen snapshots per dashboard at 80x24 and 120x40.

Snapshots live in tests/snapshots/dashboard/; after a deliberate change of the view, refresh
them with AIOPS_UPDATE_SNAPSHOTS=1 and review the diff. A missing snapshot fails.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aiops.catalog.dashboards import DASHBOARDS, dashboard_by_name
from aiops.cli.dashboard_view import bucket_bars, fmt_value, median_bucket, render, short_names, sparkline
from tests.fakes.dashboard_frames import make_frame

SNAPSHOTS = Path(__file__).resolve().parents[1] / "snapshots" / "dashboard"


def screen(frame, width: int, height: int, styles: bool = False) -> str:
    from rich.console import Console

    console = Console(width=width, height=height, record=True, force_terminal=True, color_system="truecolor",
                      file=open(os.devnull, "w"))
    console.print(render(frame, width, height))
    return console.export_text(styles=styles)


def matches_snapshot(name: str, text: str) -> None:
    path = SNAPSHOTS / f"{name}.txt"
    if os.environ.get("AIOPS_UPDATE_SNAPSHOTS") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no snapshot {path}: run with AIOPS_UPDATE_SNAPSHOTS=1 and review it"
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("board", DASHBOARDS, ids=lambda b: b.name)
def test_screen_snapshot(board, size):
    width, height = size
    frame = make_frame(board, critical={"response_time_p95": 1.7, "model_accuracy": 0.6},
                       empty=("container_memory",))
    text = screen(frame, width, height)
    lines = text.splitlines()
    assert len(lines) <= height and max(len(line) for line in lines) <= width
    matches_snapshot(f"{board.name}-{width}x{height}", text)


def test_every_panel_is_on_a_big_screen():
    for board in DASHBOARDS:
        text = screen(make_frame(board), 120, 60)
        for panel in board.panels:
            assert panel.title[:18] in text, (board.name, panel.title)


def test_the_band_has_its_colour():
    frame = make_frame(dashboard_by_name("main"), critical={"response_time_p95": 1.7})
    styled = screen(frame, 120, 40, styles=True)
    line = next(line for line in styled.splitlines() if "Response time p95" in line)
    assert "critical" in line and "\x1b[31m" in line  # red
    ok_line = next(line for line in styled.splitlines() if line.lstrip().startswith("CPU"))
    assert "\x1b[32m" in ok_line  # green
    assert "critical: Response time p95" in styled  # the footer names the critical panels


def test_scrape_mode_says_so_in_the_header():
    frame = make_frame(dashboard_by_name("infrastructure"), source="scrape")
    assert "scraping 2 target(s): Prometheus did not answer" in screen(frame, 120, 40).splitlines()[0]


def test_a_short_terminal_keeps_one_line_per_panel_and_counts_the_rest():
    frame = make_frame(dashboard_by_name("main"), instances=("a:1", "b:1", "c:1", "d:1"))
    lines = screen(frame, 80, 16).splitlines()
    assert len(lines) <= 16
    assert any("+3 more" in line for line in lines)
    tiny = screen(frame, 80, 8).splitlines()
    assert len(tiny) <= 8 and "panel(s) below" in tiny[-1]


def test_label_values_are_not_markup():
    frame = make_frame(dashboard_by_name("main"), instances=("[red]x[/]:1",))
    assert "[red]x[/]:1" in screen(frame, 120, 40)


def test_sparkline_covers_the_whole_window_newest_last():
    points = [(t, float(t)) for t in range(50, 101)]
    line = sparkline(points, 0, 100, 10)
    assert line.startswith("     ") and line.endswith("█")  # no data in the first half: blank
    assert sparkline([(1, 5.0), (2, 5.0)], 0, 2, 4).strip() == "▄▄"
    assert sparkline([], 0, 1, 3) == "   "


def test_values_read_well():
    assert fmt_value(0.0042, "s") == "4.2ms" and fmt_value(1.5, "s") == "1.5s"
    assert fmt_value(0.97, "percentunit") == "97%" and fmt_value(12.345, "percent") == "12.3%"
    assert fmt_value(4.5e8, "bytes") == "429MiB" and fmt_value(12000, "Bps") == "12kB/s"
    assert fmt_value(None, "s") == "-" and fmt_value(float("nan"), "short") == "nan"


def test_buckets_and_names():
    buckets = [(0.001, 0.0), (0.005, 10.0), (0.01, 30.0), (0.1, 0.0)]
    assert bucket_bars(buckets, 4) == "▃█  "
    assert median_bucket(buckets) == 0.01
    assert short_names(["lab-1:8000 used", "lab-1:8000 limit"]) == ["used", "limit"]
    assert short_names(["a:1 read", "b:1 read"]) == ["a:1 read", "b:1 read"]
