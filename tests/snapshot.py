"""Snapshot tests of what a person sees: a renderable (or text) at a fixed width, colour off.

    from tests.snapshot import assert_snapshot

    def test_health_table():
        assert_snapshot("health-check", health_table(report), widths=(80, 120))

Each width is kept as ``tests/snapshots/<name>.<width>.txt`` and reviewed like code: a change in
what a person sees shows up in the diff. A missing or different file fails the test; run with
``AIOPS_UPDATE_SNAPSHOTS=1`` to (re)write the files, then read the diff before committing.
Besides the comparison, every rendering is checked against the terminal contract: no line
wider than the width, and no table column rendered zero-width.
"""

from __future__ import annotations

import difflib
import io
import os
import re
from pathlib import Path
from typing import Any

import pytest

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
UPDATE = os.environ.get("AIOPS_UPDATE_SNAPSHOTS", "") not in ("", "0")
WIDTHS = (80, 120)
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
# A table's top border: a run of at most two rules between junctions (the cell padding and
# nothing else) is a column rendered zero-width.
_TOP_BORDER = re.compile(r"^\s*[┏┌╭╔┍┎]([━─═┅┄]*[┳┬╦┯┰])*[━─═┅┄]*[┓┐╮╗┑┒]\s*$")
_RULES = re.compile(r"[━─═┅┄]+")


def render_text(renderable: Any, width: int) -> str:
    """``renderable`` as plain text on a ``width``-column terminal without colour."""
    from rich.console import Console

    if isinstance(renderable, str):
        return renderable if renderable.endswith("\n") else renderable + "\n"
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, force_terminal=False,
                      no_color=True, highlight=False, soft_wrap=False, legacy_windows=False,
                      emoji=False, _environ={})
    console.print(renderable)
    return "\n".join(line.rstrip() for line in buffer.getvalue().split("\n"))


def natural_width(renderable: Any) -> int:
    """The width ``-o wide`` prints ``renderable`` at (its natural width, however wide)."""
    from rich.console import Console
    from rich.measure import Measurement

    console = Console(file=io.StringIO(), width=100_000, color_system=None, _environ={})
    return Measurement.get(console, console.options, renderable).maximum


def check_contract(text: str, width: int) -> None:
    """No line wider than the terminal, no zero-width column."""
    from rich.cells import cell_len

    for number, line in enumerate(text.splitlines(), 1):
        assert cell_len(line) <= width, f"line {number} is {cell_len(line)} columns wide (> {width}):\n{line}"
        if _TOP_BORDER.match(line):
            narrow = [run for run in _RULES.findall(line) if len(run) <= 2]
            assert not narrow, f"line {number}: a table has a zero-width column:\n{line}"


def assert_snapshot(name: str, renderable: Any, widths: tuple[int | str, ...] = WIDTHS) -> dict[Any, str]:
    """Compare ``renderable`` at each width with its stored snapshot (see the module docstring).

    A width ``"wide"`` renders at the natural width, as ``-o wide`` prints (``<name>.wide.txt``).
    Returns the rendered text per width, for further assertions.
    """
    assert _NAME.match(name), f"snapshot name {name!r}: lower-case letters, digits, '.', '_', '-'"
    out: dict[Any, str] = {}
    for label in widths:
        width = natural_width(renderable) if label == "wide" else int(label)
        text = render_text(renderable, width)
        check_contract(text, width)
        out[label] = text
        path = SNAPSHOTS / f"{name}.{label}.txt"
        if UPDATE:
            SNAPSHOTS.mkdir(exist_ok=True)
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                path.write_text(text, encoding="utf-8")
            continue
        if not path.exists():
            pytest.fail(f"no snapshot {path.name}: run with AIOPS_UPDATE_SNAPSHOTS=1 to write it, "
                        f"then review it\n{text}", pytrace=False)
        expected = path.read_text(encoding="utf-8")
        if expected != text:
            diff = "".join(difflib.unified_diff(expected.splitlines(True), text.splitlines(True),
                                                f"{path.name} (stored)", f"{path.name} (now)"))
            pytest.fail(f"snapshot {path.name} differs (AIOPS_UPDATE_SNAPSHOTS=1 rewrites it):\n{diff}",
                        pytrace=False)
    return out
