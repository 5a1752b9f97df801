"""What the diagnostics run: one step of the inference core, or any zero-argument callable."""

from __future__ import annotations

import importlib
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable

from aiops.core.errors import UsageError

EPISODE_STEPS = {"tmaze": 3, "grid": 20, "random": 10}


class CoreStep:
    """One perception-action step of the core on a model: ``agent.infer`` then ``env.step``.

    Episodes restart (agent and environment reset) every ``episode`` steps, so long
    runs keep exercising every phase of an episode.
    """

    def __init__(self, model: str = "tmaze", policy_len: int = 1, seed: int = 0, episode: int | None = None):
        from aiops.inference import Agent, build_model

        if policy_len < 1:
            raise UsageError(f"policy length must be >= 1, got {policy_len}")
        self.model, self.env = build_model(model, seed=seed)
        self.agent = Agent(self.model, policy_len=policy_len, seed=seed)
        self.seed = self.agent.seed  # shown in every report: ties between actions depend on it
        kind = str(model).partition(":")[0]
        self.episode = episode or EPISODE_STEPS.get(kind, 10)
        self.label = f"Agent.infer on {model} (policy length {policy_len})"
        self._obs: list[int] | None = None
        self._t = 0

    def _observation(self) -> list[int]:
        if self._obs is None or self._t % self.episode == 0:
            self.agent.reset()
            self._obs = self.env.reset()
        self._t += 1
        return self._obs

    def __call__(self) -> Any:
        """One step (what profile and memory run)."""
        res = self.agent.infer(self._observation())
        self._obs, _ = self.env.step(res.action)
        return res

    def timed(self, clock: Callable[[], float] = time.perf_counter) -> tuple[float, dict[str, float]]:
        """One step; the wall time of ``Agent.infer`` alone and its phase timings."""
        obs = self._observation()
        t0 = clock()
        res = self.agent.infer(obs)
        elapsed = clock() - t0
        self._obs, _ = self.env.step(res.action)
        return elapsed, res.timings

    def line_functions(self) -> list[Callable]:
        """``Agent.infer``: memory_profiler mixes up increments across nested traced functions."""
        from aiops.inference.agent import Agent

        return [Agent.infer]


class CallableStep:
    """A user's zero-argument callable, loaded from ``module:function``."""

    def __init__(self, spec: str, search_path: Path | None = None):
        self.label = spec
        self.func = load_target(spec, search_path=search_path)

    def __call__(self) -> Any:
        return self.func()

    def line_functions(self) -> list[Callable]:
        func = self.func
        func = getattr(func, "__func__", func)
        if not hasattr(func, "__code__") and hasattr(type(func), "__call__"):
            func = type(func).__call__
        return [func] if hasattr(func, "__code__") else []


def load_target(spec: str, search_path: Path | None = None) -> Callable[[], Any]:
    """Import ``module:function`` (dotted attributes allowed); UsageError if it cannot.

    ``search_path`` (default: the working directory) is put first on ``sys.path`` so
    a local module imports as it would with ``python -m``.
    """
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise UsageError(f"target '{spec}' is not of the form module:function")
    root = str(search_path if search_path is not None else Path(os.getcwd()))
    if root not in sys.path:
        sys.path.insert(0, root)
    try:
        obj: Any = importlib.import_module(module_name)
    except BaseException as exc:  # noqa: BLE001 - a module may raise anything, even SystemExit
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise UsageError(f"target '{spec}': module '{module_name}' does not import "
                         f"({type(exc).__name__}: {exc})") from None
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise UsageError(f"target '{spec}': '{module_name}' has no attribute '{attr}'")
        obj = getattr(obj, part)
    if not callable(obj):
        raise UsageError(f"target '{spec}' is not callable (it is a {type(obj).__name__})")
    return obj


def resolve_step(target: str | None = None, model: str = "tmaze", policy_len: int = 1, seed: int = 0,
                 search_path: Path | None = None):
    """The step to diagnose: the user's callable if ``target`` is given, else the core."""
    if target:
        return CallableStep(target, search_path=search_path)
    return CoreStep(model, policy_len=policy_len, seed=seed)


# aiops's own display code (rich and the CLI's progress callback): never part of what a diagnostic
# measures. Progress is reported between steps, outside the measured region; what the display
# allocates or runs anyway (its caches, or frames a whole-process profiler sees) is filtered out.
TOOL_CODE = ("*/rich/*", "*/aiops/cli/*")


def run_step(step: Callable[[], Any], index: int) -> Any:
    """Call ``step``; a failure becomes a one-line UsageError naming the step."""
    try:
        return step()
    except Exception as exc:
        raise UsageError(f"target raised {type(exc).__name__} on step {index + 1}: {exc}") from None


def check_steps(steps: int, name: str = "steps") -> int:
    """``steps`` as a positive int, else UsageError naming ``name``."""
    if not isinstance(steps, int) or steps < 1:
        raise UsageError(f"{name} must be a positive number, got {steps}")
    return steps
