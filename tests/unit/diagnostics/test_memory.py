"""tracemalloc leak verdicts: a real leak is caught, the clean core is not flagged."""

from __future__ import annotations

import json

import pytest

from aiops.core.errors import UsageError
from aiops.diagnostics import CoreStep, load_target, memory
from aiops.diagnostics.memory import DEFAULT_THRESHOLD, slope


def test_detects_a_callable_that_keeps_what_it_allocates(steps_module, tmp_path):
    leak = load_target(f"{steps_module}:leak", search_path=tmp_path)
    report = memory(leak, 100, label="leak")
    assert report.leaking and report.exit_code() == 3
    assert 4096 <= report.bytes_per_step < 4096 + 512
    assert report.growth_bytes > 90 * 4096
    assert report.top[0].file.endswith(f"{steps_module}.py") and "KEPT.append" in report.top[0].code
    assert [s.label for s in report.snapshots] == ["before", "during", "after"]
    data = json.loads(json.dumps(report.to_dict()))
    assert data["verdict"] == "leak" and data["leaking"] is True


@pytest.mark.parametrize("model,policy_len", [("tmaze", 1), ("grid:6", 3), ("random:4", 2)])
def test_does_not_flag_the_clean_core(model, policy_len):
    report = memory(CoreStep(model, policy_len=policy_len), 200)
    assert not report.leaking and report.exit_code() == 0
    assert report.bytes_per_step < DEFAULT_THRESHOLD / 10


def test_allocating_but_releasing_is_clean(steps_module, tmp_path):
    report = memory(load_target(f"{steps_module}:clean", search_path=tmp_path), 200)
    assert not report.leaking and abs(report.bytes_per_step) < 50


def test_threshold_decides(steps_module, tmp_path):
    leak = load_target(f"{steps_module}:leak", search_path=tmp_path)
    assert not memory(leak, 50, threshold=10_000).leaking
    with pytest.raises(UsageError, match="threshold"):
        memory(leak, 5, threshold=-1)


def test_line_by_line(steps_module, tmp_path):
    leak = load_target(f"{steps_module}:leak", search_path=tmp_path)
    report = memory(leak, 10, line=True, line_functions=[leak])
    assert report.lines and any("KEPT.append" in x.code and x.occurrences == 10 for x in report.lines)
    core = CoreStep("tmaze")
    lines = memory(core, 5, line=True, line_functions=core.line_functions()).lines
    assert any("self.infer_states(obs)" in x.code for x in lines)
    with pytest.raises(UsageError, match="line-by-line"):
        memory(leak, 3, line=True, line_functions=[len])


def test_progress_and_slope():
    seen = []
    memory(CoreStep("tmaze"), 12, progress=lambda n=1: seen.append(n))
    assert sum(seen) == 12
    assert slope([0, 1, 2, 3], [5, 7, 9, 11]) == pytest.approx(2.0)
    assert slope([0], [3]) == 0.0
