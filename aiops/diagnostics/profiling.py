"""cProfile over N steps: where the time goes, by cumulative or own time."""

from __future__ import annotations

import cProfile
import fnmatch
import os
import pstats
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from aiops.core.errors import UsageError
from aiops.diagnostics.targets import TOOL_CODE, check_steps, run_step

SORT_KEYS = {"cumulative": 3, "tottime": 2}


@dataclass
class FunctionStat:
    """One row of the profile (times in seconds)."""

    function: str
    file: str
    line: int
    calls: int
    primitive_calls: int
    tottime: float
    cumtime: float

    def to_dict(self) -> dict:
        """JSON-safe dict, with cumulative milliseconds per call."""
        return {"function": self.function, "file": self.file, "line": self.line, "calls": self.calls,
                "primitive_calls": self.primitive_calls, "tottime_seconds": self.tottime,
                "cumtime_seconds": self.cumtime,
                "percall_ms": 1000 * self.cumtime / self.calls if self.calls else 0.0}


@dataclass
class ProfileReport:
    """The top functions of a cProfile run over ``steps`` steps of ``target``."""

    target: str
    steps: int
    seconds: float
    sort: str
    total_calls: int
    functions: list[FunctionStat] = field(default_factory=list)
    saved_to: str | None = None
    seed: int | None = None  # the core agent's seed (None for a user's callable)

    @property
    def per_step_ms(self) -> float:
        """Mean wall time per step under the profiler, in milliseconds."""
        return 1000 * self.seconds / self.steps

    def exit_code(self) -> int:
        """Always 0: a profile has no verdict."""
        return 0

    def to_dict(self) -> dict:
        """JSON-safe dict (the ``-o json`` contract)."""
        return {"schema": "aiops.diagnose.profile/v1", "target": self.target, "steps": self.steps,
                "duration_seconds": self.seconds,
                "per_step_ms": self.per_step_ms, "sort": self.sort, "total_calls": self.total_calls,
                "functions": [f.to_dict() for f in self.functions], "saved_to": self.saved_to,
                "seed": self.seed}


def check_save_path(save: str | Path | None, force: bool) -> Path | None:
    """The .prof path to write, refusing to overwrite an existing file unless ``force``."""
    if save is None:
        return None
    path = Path(save)
    if path.exists() and not force:
        raise UsageError(f"'{path}' already exists", hint="pass --force to overwrite it")
    if path.exists() and path.is_dir():
        raise UsageError(f"'{path}' is a directory")
    if not path.parent.is_dir():
        raise UsageError(f"cannot save to '{path}': directory '{path.parent}' does not exist")
    return path


def short_path(path: str) -> str:
    """Paths relative to site-packages or the working directory, as pstats users expect."""
    for marker in ("site-packages" + os.sep, "dist-packages" + os.sep):
        if marker in path:
            return path.split(marker, 1)[1]
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return path
    return path if relative.startswith(os.pardir) else relative


def profile(step: Callable[[], Any], steps: int, *, label: str = "", sort: str = "cumulative",
            top: int = 25, save: str | Path | None = None, force: bool = False,
            progress: Callable[..., None] | None = None,
            clock: Callable[[], float] = time.perf_counter) -> ProfileReport:
    """Run ``step`` ``steps`` times under cProfile; the ``top`` functions by ``sort``.

    ``save`` writes the raw stats (for ``pstats`` or snakeviz); an existing file is only
    overwritten with ``force``. ``progress(n)`` is called after every step.
    """
    check_steps(steps)
    check_steps(top, "top")
    if sort not in SORT_KEYS:
        raise UsageError(f"sort must be one of {', '.join(SORT_KEYS)}, got '{sort}'")
    path = check_save_path(save, force)
    prof = cProfile.Profile()
    elapsed = 0.0
    for i in range(steps):
        t0 = clock()
        prof.enable()
        try:
            run_step(step, i)
        finally:
            prof.disable()
        elapsed += clock() - t0
        if progress:
            progress(1)
    stats = pstats.Stats(prof)
    rows = []
    harness = os.path.dirname(os.path.abspath(__file__))
    for (file, line, func), (cc, nc, tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        if os.path.dirname(os.path.abspath(file)) == harness or "_lsprof.Profiler" in func \
                or any(fnmatch.fnmatch(file, pattern) for pattern in TOOL_CODE):
            continue  # the loop that drives the steps or aiops's own display, not the code under test
        rows.append(FunctionStat(func, short_path(file), line, nc, cc, tt, ct))
    rows.sort(key=lambda r: (r.cumtime if sort == "cumulative" else r.tottime), reverse=True)
    if path is not None:
        stats.dump_stats(str(path))
    return ProfileReport(label, steps, elapsed, sort, stats.total_calls, rows[:top],  # type: ignore[attr-defined]
                         str(path) if path else None, getattr(step, "seed", None))
