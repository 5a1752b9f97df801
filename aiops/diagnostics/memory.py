"""Memory growth over N steps: tracemalloc snapshots, growth per step, a leak verdict.

The verdict comes from a least-squares fit of the workload's traced bytes (what aiops's own
progress display allocates is filtered out) against the step number
after a warm-up (caches and lazy imports settle in the first steps): a step that
keeps references to what it allocates grows linearly; a clean step does not. Every
sample follows a full garbage collection, which also empties CPython's free lists:
otherwise freed-but-pooled objects and uncollected cycles look like a sawtooth of growth.
``line=True`` adds memory_profiler's line-by-line RSS increments over the step's
functions (slow: it traces every line, so it runs a few steps only).
"""

from __future__ import annotations

import array
import gc
import linecache
import os
import time
import tracemalloc
from dataclasses import asdict, dataclass, field
from typing import Any, Callable

from aiops.core.errors import CHECK_FAILED, OK, UsageError
from aiops.diagnostics.targets import TOOL_CODE, check_steps, run_step

DEFAULT_THRESHOLD = 256.0  # bytes per step; the clean core grows by ~1 B/step over 100+ steps
LINE_STEPS = 20
SAMPLES = 16  # checkpoints for the fit (each costs a full garbage collection)


@dataclass
class Snapshot:
    """Traced memory at one point of the run."""

    label: str
    step: int
    traced_bytes: int


@dataclass
class AllocationSite:
    """A source line whose live allocations grew between the first and last snapshot."""

    file: str
    line: int
    size_diff: int
    count_diff: int
    size: int
    code: str

    def to_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "size_diff_bytes": self.size_diff,
                "count_diff": self.count_diff, "size_bytes": self.size, "code": self.code}


@dataclass
class LineUsage:
    """memory_profiler's numbers for one source line (MiB of process RSS)."""

    file: str
    line: int
    increment_mib: float
    mem_mib: float
    occurrences: int
    code: str


@dataclass
class MemoryReport:
    """Growth of traced memory over ``steps`` steps and the leak verdict."""

    target: str
    steps: int
    warmup: int
    threshold: float
    bytes_per_step: float
    growth_bytes: int
    peak_bytes: int
    leaking: bool
    snapshots: list[Snapshot] = field(default_factory=list)
    top: list[AllocationSite] = field(default_factory=list)
    rss_before: int | None = None
    rss_after: int | None = None
    seconds: float = 0.0
    lines: list[LineUsage] | None = None
    seed: int | None = None  # the core agent's seed (None for a user's callable)

    def exit_code(self) -> int:
        """3 when leaking."""
        return CHECK_FAILED if self.leaking else OK

    def to_dict(self) -> dict:
        """JSON-safe dict (the ``-o json`` contract)."""
        return {"schema": "aiops.diagnose.memory/v1", "target": self.target, "steps": self.steps,
                "warmup": self.warmup,
                "threshold_bytes_per_step": self.threshold, "bytes_per_step": self.bytes_per_step,
                "growth_bytes": self.growth_bytes, "peak_bytes": self.peak_bytes,
                "leaking": self.leaking, "verdict": "leak" if self.leaking else "no_leak",
                "snapshots": [asdict(s) for s in self.snapshots], "top": [a.to_dict() for a in self.top],
                "rss_before_bytes": self.rss_before, "rss_after_bytes": self.rss_after,
                "duration_seconds": self.seconds,
                "lines": None if self.lines is None else [asdict(x) for x in self.lines], "seed": self.seed}


def slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of ``ys`` against ``xs``."""
    n = len(xs)
    if n < 2:
        return 0.0
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else 0.0


def _rss() -> int | None:
    try:
        import psutil

        return int(psutil.Process(os.getpid()).memory_info().rss)
    except Exception:  # noqa: BLE001 - RSS is informative only
        return None


_OWN_FILES = (tracemalloc.__file__, __file__, linecache.__file__)
# A measuring tool measures only the workload: the progress display runs only at the checkpoints,
# after each sample; what it allocates stays alive (rich's caches), so an allocation with a frame
# in TOOL_CODE is the tool's and is left out of every number, on a terminal or not.
NFRAMES = 2  # the allocating frame and its caller (a namedtuple's "<string>" __new__ and who made it);
#              deeper tracebacks make rich's rendering ~10x slower under tracemalloc


def _workload(snapshot: tracemalloc.Snapshot) -> tracemalloc.Snapshot:
    """``snapshot`` without what the tool allocated (any frame in :data:`TOOL_CODE`), the
    harness's own lines and the import machinery."""
    return snapshot.filter_traces([tracemalloc.Filter(False, p, all_frames=True) for p in TOOL_CODE]
                                  + [tracemalloc.Filter(False, f) for f in _OWN_FILES]
                                  + [tracemalloc.Filter(False, "<frozen *>")])


def _traced() -> int:
    """Traced bytes of the workload after a full collection (cycles and free lists released)."""
    gc.collect()
    return sum(t.size for t in _workload(tracemalloc.take_snapshot()).traces)


def _growth(before, after, top: int) -> list[AllocationSite]:
    diffs = _workload(after).compare_to(_workload(before), "lineno")
    sites = []
    for d in diffs:
        if d.size_diff <= 0:
            continue
        frame = d.traceback[0]
        code = linecache.getline(frame.filename, frame.lineno).strip()
        sites.append(AllocationSite(frame.filename, frame.lineno, d.size_diff, d.count_diff, d.size, code))
        if len(sites) >= top:
            break
    return sites


def memory(step: Callable[[], Any], steps: int, *, label: str = "", threshold: float = DEFAULT_THRESHOLD,
           warmup: int = 5, top: int = 10, line: bool = False, line_functions: list | None = None,
           progress: Callable[..., None] | None = None,
           clock: Callable[[], float] = time.perf_counter) -> MemoryReport:
    """Run ``step`` ``warmup + steps`` times under tracemalloc and judge the growth.

    Snapshots are taken before the measured steps, half-way and after; ``leaking`` is
    ``bytes_per_step > threshold``. ``progress(n)`` is called at each of the :data:`SAMPLES`
    checkpoints, after the sample is taken (what it allocates is not counted either).
    """
    check_steps(steps)
    check_steps(top, "top")
    if not threshold >= 0:
        raise UsageError(f"threshold must be a non-negative number of bytes per step, got {threshold}")
    # Everything the loop records is allocated up front: the record must not grow.
    xs = [0] + sorted({round(k * steps / SAMPLES) for k in range(1, SAMPLES + 1)} - {0})
    ys = array.array("q", bytes(8 * len(xs)))
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start(NFRAMES)
    try:
        for i in range(max(0, warmup)):
            run_step(step, i)
        rss_before = _rss()
        tracemalloc.reset_peak()
        ys[0] = _traced()
        before = tracemalloc.take_snapshot()
        t0, k = clock(), 1
        for i in range(steps):
            run_step(step, warmup + i)
            if i + 1 == xs[k]:
                ys[k] = _traced()
                if progress:  # only here, after the sample: never between two steps
                    progress(xs[k] - xs[k - 1])
                k += 1
        seconds = clock() - t0
        peak = tracemalloc.get_traced_memory()[1]
        after = tracemalloc.take_snapshot()
        sites = _growth(before, after, top)
    finally:
        if not was_tracing:
            tracemalloc.stop()
    mid = len(xs) // 2
    snaps = [Snapshot("before", 0, ys[0])]
    if steps > 2:
        snaps.append(Snapshot("during", xs[mid], ys[mid]))
    snaps.append(Snapshot("after", steps, ys[-1]))
    rate = slope(xs, list(ys))
    report = MemoryReport(label, steps, max(0, warmup), float(threshold), rate,
                          snaps[-1].traced_bytes - snaps[0].traced_bytes, peak, rate > threshold,
                          snaps, sites, rss_before, _rss(), seconds, seed=getattr(step, "seed", None))
    if line:
        report.lines = line_profile(step, line_functions or [], min(steps, LINE_STEPS))
    return report


def line_profile(step: Callable[[], Any], functions: list[Callable], steps: int) -> list[LineUsage]:
    """memory_profiler's per-line RSS increments over ``functions`` while ``step`` runs."""
    import memory_profiler

    traceable = [f for f in functions if hasattr(f, "__code__") and _has_source(f)]
    if not traceable:
        raise UsageError("line-by-line profiling needs a Python function defined in a source file")
    prof = memory_profiler.LineProfiler(backend="psutil")
    for func in traceable:
        prof.add_function(func)
    prof.enable_by_count()
    try:
        for i in range(steps):
            run_step(step, i)
    finally:
        prof.disable_by_count()
    out = []
    for filename, lines in prof.code_map.items():
        for lineno, value in lines:
            if value is None:
                continue
            increment, mem, occurrences = value
            code = linecache.getline(filename, lineno).rstrip()
            out.append(LineUsage(filename, lineno, float(increment), float(mem), int(occurrences), code))
    return out


def _has_source(func: Callable) -> bool:
    filename = func.__code__.co_filename
    return os.path.exists(filename)
