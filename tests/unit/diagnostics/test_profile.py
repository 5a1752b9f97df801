"""cProfile runner."""

from __future__ import annotations

import json
import pstats

import pytest

from aiops.core.errors import UsageError
from aiops.diagnostics import CoreStep, profile


def test_profile_of_the_core_finds_agent_infer():
    calls = []
    report = profile(CoreStep("tmaze"), 30, label="core", top=40, progress=lambda n=1: calls.append(n))
    assert len(calls) == 30 and report.steps == 30 and report.seconds > 0
    infer = [f for f in report.functions if f.function == "infer" and f.file.endswith("inference/agent.py")]
    assert infer and infer[0].calls == 30
    assert not any("diagnostics" in f.file for f in report.functions)  # the harness is left out
    cum = [f.cumtime for f in report.functions]
    assert cum == sorted(cum, reverse=True)
    json.dumps(report.to_dict())


def test_sort_by_own_time_and_top():
    report = profile(CoreStep("random:1"), 10, sort="tottime", top=5)
    own = [f.tottime for f in report.functions]
    assert len(own) == 5 and own == sorted(own, reverse=True)


def test_save_refuses_to_overwrite_without_force(tmp_path):
    path = tmp_path / "run.prof"
    report = profile(CoreStep("tmaze"), 5, save=path)
    assert report.saved_to == str(path)
    assert pstats.Stats(str(path)).total_calls > 0
    before = path.read_bytes()
    with pytest.raises(UsageError, match="already exists") as info:
        profile(CoreStep("tmaze"), 5, save=path)
    assert "--force" in info.value.hint
    assert path.read_bytes() == before
    profile(CoreStep("tmaze"), 7, save=path, force=True)
    assert path.read_bytes() != before
    with pytest.raises(UsageError, match="does not exist"):
        profile(CoreStep("tmaze"), 5, save=tmp_path / "missing" / "x.prof")


@pytest.mark.parametrize("kwargs,message", [
    ({"steps": 0}, "steps must be a positive number"),
    ({"steps": 3, "sort": "calls"}, "sort must be one of cumulative, tottime"),
    ({"steps": 3, "top": 0}, "top must be a positive number"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(UsageError, match=message):
        profile(CoreStep("tmaze"), **kwargs)


def test_a_failing_step_is_one_line():
    def boom():
        raise ValueError("bad step")

    with pytest.raises(UsageError, match="target raised ValueError on step 1: bad step"):
        profile(boom, 3)
