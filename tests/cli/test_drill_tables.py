"""What a person sees of `aiops drill` and `aiops lab stack`: tables at 80 and 120 columns,
identifiers never broken, outside data (scenario names, paths) escaped, not rendered as markup."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from aiops.cli.drill import list_table, report_table
from aiops.cli.lab_stack import down_table, stack_table
from aiops.drills.report import DrillReport
from aiops.drills.scenario import collect, summary
from aiops.lab.stack.core import DownReport, Stack
from aiops.lab.stack.procs import Proc

PLAYBOOKS = ("high-response-time", "low-model-accuracy", "application-down", "memory-leak")


def render(table, width):
    console = Console(width=width, record=True, color_system=None, force_terminal=False)
    console.print(table)
    return console.export_text()


def results():
    from tests.cli.snapshot_data import drill_report

    return drill_report().results


@pytest.mark.parametrize("width", [80, 120])
def test_drill_report_table(width):
    report = DrillReport(60.0, {}, "2026-01-28T10:00:00Z", results(), 200.0, 4)
    text = render(report_table(report), width)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width
    for name in PLAYBOOKS:
        assert name in text  # never broken across lines
    assert "[bold]compound-accuracy-errors-and-more" in text  # escaped: shown, not applied; never cut
    assert "2 of 4 passed" in text and "playbook right 50%" in text.replace("\n", " ")
    assert "7.2s" in text or "7.3s" in text
    assert " NO" in text and "error" in text


@pytest.mark.parametrize("width", [80, 120])
def test_drill_list_table_of_the_builtin_corpus(width):
    text = render(list_table(summary(collect([]))), width)
    assert max(len(line) for line in text.splitlines()) <= width
    for name in PLAYBOOKS:
        assert name in text
    for scenario in collect([]):
        assert scenario.name in text


@pytest.mark.parametrize("width", [80, 120])
def test_stack_tables(width, tmp_path):
    procs = [Proc(f"lab-{i}", 4000 + i, 0.0, f"http://127.0.0.1:{40000 + i}", "x.out", []) for i in (1, 2, 3)]
    procs += [Proc("pagerduty", 4100, 0.0, "https://127.0.0.1:44513", "p.out", []),
              Proc("prometheus", 4101, 0.0, "http://127.0.0.1:51405", "q.out", [])]
    stack = Stack(Path("/tmp/[red]state"), 60.0, procs, {}, "2026-01-28T10:00:00Z",
                  running={p.name: p.name != "lab-2" for p in procs})
    text = render(stack_table(stack), width)
    assert max(len(line) for line in text.splitlines()) <= width
    assert "https://127.0.0.1:44513" in text and "[red]state" in text
    assert [line.split("│")[-2].strip() for line in text.splitlines() if "lab-" in line] == ["yes", "no", "yes"]
    down = DownReport("/tmp/s", [{"name": "prometheus", "pid": 4101, "outcome": "stopped"},
                                 {"name": "lab-1", "pid": 4001, "outcome": "not_running"}], [])
    text = render(down_table(down), width)
    assert "not running" in text and max(len(line) for line in text.splitlines()) <= width
