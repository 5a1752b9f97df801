"""Loading ``module:function`` targets and the core step."""

from __future__ import annotations

import pytest

from aiops.core.errors import UsageError
from aiops.diagnostics import CoreStep, load_target, resolve_step


def test_loads_functions_and_callable_objects(steps_module, tmp_path):
    assert load_target(f"{steps_module}:clean", search_path=tmp_path)() == 4
    assert load_target(f"{steps_module}:stepper", search_path=tmp_path)() == 4950
    assert load_target("os.path:join")("a", "b").endswith("b")


@pytest.mark.parametrize("spec,message", [
    ("no_colon", "is not of the form module:function"),
    (":f", "is not of the form module:function"),
    ("mod:", "is not of the form module:function"),
    ("surely_missing_module_xyz:f", "module 'surely_missing_module_xyz' does not import (ModuleNotFoundError"),
    ("diag_broken:f", "module 'diag_broken' does not import (RuntimeError: cannot import me)"),
    ("{mod}:missing", "has no attribute 'missing'"),
    ("{mod}:NOT_CALLABLE", "is not callable (it is a int)"),
])
def test_bad_targets_name_the_problem(steps_module, tmp_path, spec, message):
    with pytest.raises(UsageError) as info:
        load_target(spec.format(mod=steps_module), search_path=tmp_path)
    assert message in info.value.message
    assert "\n" not in info.value.message


def test_core_step_runs_episodes():
    step = CoreStep("tmaze", episode=3)
    results = [step() for _ in range(7)]
    assert all(len(r.action) == 2 for r in results)
    assert step.agent.t == 1  # reset at step 7 (the third episode's first step)
    seconds, phases = step.timed()
    assert seconds > 0 and set(phases) >= {"infer_states", "infer_policies", "sample_action"}


def test_resolve_step_prefers_the_target(steps_module, tmp_path):
    assert resolve_step(f"{steps_module}:clean", search_path=tmp_path).label == f"{steps_module}:clean"
    assert "grid:4" in resolve_step(None, model="grid:4", policy_len=2).label
    with pytest.raises(UsageError, match="unknown model 'maze'"):
        resolve_step(None, model="maze")
    with pytest.raises(UsageError, match="policy length"):
        resolve_step(None, policy_len=0)


def test_every_report_carries_the_core_agent_seed():
    from aiops.diagnostics import bench, memory, profile

    for seed in (0, 11):
        step = CoreStep("tmaze", seed=seed)
        assert step.seed == seed == step.agent.seed
        for report in (bench(step, 3, warmup=0), profile(step, 3, top=3), memory(step, 3, warmup=0)):
            assert report.seed == seed and report.to_dict()["seed"] == seed
    for report in (bench(lambda: None, 3), profile(lambda: None, 3), memory(lambda: None, 3)):
        assert report.seed is None and report.to_dict()["seed"] is None
