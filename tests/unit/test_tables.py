"""aiops.cli.tables: escaping by construction, layout at any width, relative times."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aiops.cli.tables import Column, Grid, frozen_now, plain, relative, text
from tests.snapshot import check_contract, render_text

NOW = dt.datetime(2026, 1, 28, 10, 0, tzinfo=dt.timezone.utc)


def test_outside_data_is_never_read_as_markup():
    grid = Grid(Column("code"), Column("labels", "id"))
    grid.row("return [q[sl] for sl in slices]", '{status=~"5..", path="[bold]x[/bold]"}')
    out = render_text(grid, 120)
    assert "return [q[sl] for sl in slices]" in out
    assert '{status=~"5..", path="[bold]x[/bold]"}' in out


def test_cells_never_show_python_reprs():
    assert plain(["http://a:1", "http://b:2"]) == "http://a:1, http://b:2"
    assert plain(False) == "no" and plain(True) == "yes" and plain(None) == "-"
    assert plain({"covered": False}) == "covered=no"
    assert plain(0.1234567) == "0.1235"


@pytest.mark.parametrize("delta,expected", [(0, "now"), (-45, "45s ago"), (-180, "3m ago"), (120, "in 2m"),
                                            (-3 * 3600 - 300, "3h 5m ago"), (-3 * 86400, "3d ago")])
def test_relative_times(delta, expected):
    assert relative(NOW + dt.timedelta(seconds=delta), at=NOW) == expected
    with frozen_now(NOW):
        assert plain(NOW + dt.timedelta(seconds=delta)) == expected


def _grid(ids, messages):
    grid = Grid(Column("id", "id"), Column("n", "num"), Column("state", "word"), Column("message"),
                Column("labels", "id", wide=True))
    for i, m in zip(ids, messages):
        grid.row(i, 3, "firing", m, "a=b")
    return grid


@settings(max_examples=60, deadline=None)
@given(width=st.integers(min_value=60, max_value=200),
       ids=st.lists(st.text(st.sampled_from("abcdef0123456789-"), min_size=1, max_size=36), min_size=1, max_size=4),
       words=st.lists(st.text(st.sampled_from("abcdefghij "), min_size=1, max_size=120), min_size=4, max_size=4))
def test_any_width_fits_with_ids_whole_and_no_zero_width_column(width, ids, words):
    grid = _grid(ids, words)
    out = render_text(grid, width)
    check_contract(out, width)
    for i in ids:  # an identifier is never broken across lines
        assert any(i in line for line in out.splitlines())
    assert "labels" not in out.splitlines()[0]  # a -o wide column


def test_wide_shows_the_wide_columns_at_natural_width():
    grid = _grid(["abc"], ["a message " * 20])
    grid.wide = True
    assert grid.natural_width() > 200
    out = render_text(grid, grid.natural_width())
    assert "labels" in out and "a message " * 19 in out


def test_text_keeps_rich_text_styles():
    t = text("x", "red")
    assert t.plain == "x" and str(t.style) == "red"
