"""Diagnostics over any callable (the inference core by default): cProfile, tracemalloc,
memory_profiler and a latency benchmark, each returning a dataclass with ``to_dict()``.

    >>> from aiops.diagnostics import resolve_step, profile, memory, bench
    >>> step = resolve_step(model="tmaze")           # or resolve_step("pkg.mod:func")
    >>> report = bench(step, 200, label=step.label)
    >>> report.latency["p95_ms"], report.band
"""

from aiops.diagnostics.bench import BenchReport, bench
from aiops.diagnostics.memory import MemoryReport, memory
from aiops.diagnostics.profiling import ProfileReport, profile
from aiops.diagnostics.targets import CallableStep, CoreStep, load_target, resolve_step

__all__ = [
    "bench", "BenchReport", "memory", "MemoryReport", "profile", "ProfileReport",
    "CoreStep", "CallableStep", "load_target", "resolve_step",
]
