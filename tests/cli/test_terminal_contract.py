"""Regression tests of the terminal contract: what the on-call engineer sees is true and readable."""

from __future__ import annotations


import pytest

from tests.cli import snapshot_data as data
from tests.snapshot import check_contract, render_text


def _errors_report():
    return data.errors_report()


@pytest.mark.parametrize("width", [80, 100])
def test_logs_errors_keeps_every_column_and_the_message_readable(width):
    from aiops.cli.logs import errors_table

    out = render_text(errors_table(_errors_report()), width)
    check_contract(out, width)  # no line too wide, no zero-width column
    header = out.splitlines()[1]
    for name in ("count", "levels", "logger", "message", "last"):
        assert name in header.split() or name in " ".join(header.split()), header
    assert "active_inference.api" in out and "active_inference.training" in out  # not broken
    assert "[retry 3 of 3]" in " ".join(out.split())  # brackets kept, the message wraps whole
    assert "req-8f2c1a9e" not in out  # sample IDs are a -o wide column


def test_logs_errors_wide_has_sample_ids_and_first_seen():
    from aiops.cli.logs import errors_table
    from aiops.cli.tables import frozen_now

    with frozen_now(data.NOW):
        grid = errors_table(_errors_report(), wide=True)
        out = render_text(grid, grid.natural_width())
    assert "req-8f2c1a9e-4b7d-4e0a-9c3f-1d2e3f4a5b6c" in out and "first seen" in out and "15m ago" in out


def test_health_check_rejects_a_mistyped_scheme_with_exit_2(cli):
    result = cli("health", "check", "http//bad", "-o", "json")
    assert result.exit_code == 2, result
    target = result.json()["targets"][0]
    assert target["url"] is None
    assert "did you mean 'http://bad'?" in target["reasons"][0]


def test_health_check_mistyped_scheme_table_says_why(cli):
    result = cli("health", "check", "https:/lab.example:8000", "-o", "table")
    assert result.exit_code == 2
    assert "did you mean 'https://lab.example:8000'" in " ".join(result.stdout.split())


@pytest.mark.parametrize("width", [60, 80, 100, 120])
def test_range_sparkline_covers_the_whole_window_newest_point_last(width):
    from aiops.cli.prom import range_table

    out = render_text(range_table(data.range_result()), width)
    check_contract(out, width)
    assert "…" not in out
    burst = next(line for line in out.splitlines() if 'status="500"' in line or "0.02" in line)
    trend = burst.rstrip().split()[-1]
    # the error burst sits in the middle of the window; the recovery (newest points) ends it
    assert trend[0] == "▁" and "█" in trend and trend[-1] == "▁", trend


def test_resample_keeps_the_first_and_newest_points():
    import math

    from aiops.cli.tables import resample, spark

    values = [float(i) for i in range(1000)]
    for width in (1, 7, 48, 999, 1000, 2000):
        cells = resample(values, width)
        assert len(cells) == min(width, 1000)
        assert cells[-1] >= values[-1] - 1000 / width  # the last cell holds the newest point
    assert spark([1.0, math.nan, 2.0], 10) == "▁ █"


def test_error_rate_demo_is_one_finding_per_problem_and_fits_50_lines_at_100_columns(tmp_path):
    """The real lab with error-rate, triaged as `aiops demo` does; its report at 100 columns."""
    from aiops.cli.triage import triage_table
    from aiops.core.config import load
    from aiops.drills.demo import run_demo
    from aiops.cli.output import to_jsonable
    from tests.fakes.aiops_process import check_triage_schema

    result = run_demo(load(environ={}, user_file=tmp_path / "none.toml"), fault="error-rate", wait=3)
    report = result.report
    check_triage_schema(to_jsonable(report))
    assert result.found
    error_rate = [f for f in report.findings if f.alert == "HighErrorRate"]
    assert len(error_rate) == 1 and report.findings[0] is error_rate[0]  # top finding first
    assert {"metrics", "health"} <= set(error_rate[0].sources)
    assert any("5xx responses/s" in e for e in error_rate[0].evidence)
    out = render_text(triage_table(report), 100)
    check_contract(out, 100)
    lines = out.rstrip("\n").splitlines()
    print(out)
    assert len(lines) <= 50, len(lines)
    assert lines[0].startswith("CRITICAL High error rate")
