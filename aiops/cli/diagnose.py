"""``aiops diagnose``: profile, memory-check and benchmark the inference core (or any callable)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from aiops.cli import output
from aiops.cli.common import ForceOpt, global_options
from aiops.core.errors import UsageError

app = typer.Typer(no_args_is_help=True)

ModelOpt = Annotated[str, typer.Option(
    "--model", "-m", metavar="MODEL", help="tmaze, grid:N, random:SEED or a FILE.npz of arrays A0.., B0..")]
StepsOpt = Annotated[int, typer.Option("--steps", "-n", metavar="N", help="steps to run")]
CallableOpt = Annotated[Optional[str], typer.Option(
    "--target", metavar="MODULE:FUNCTION", help="run this zero-argument callable instead of the core")]
PolicyLenOpt = Annotated[int, typer.Option("--policy-len", metavar="T", help="planning horizon of the core's agent")]
SeedOpt = Annotated[int, typer.Option("--seed", metavar="SEED", help="seed of the agent and environment")]
TopOpt = Annotated[int, typer.Option("--top", metavar="N", help="rows to show")]


def _step(target, model, policy_len, seed, *counts):
    """Check the counts, then build what to run (the core, or the user's callable)."""
    for flag, value in counts:
        if value < 1:
            raise UsageError(f"{flag} must be a positive number, got {value}")
    from aiops.diagnostics import resolve_step

    return resolve_step(target, model=model, policy_len=policy_len, seed=seed)


@app.command()
@global_options
def profile(model: ModelOpt = "tmaze", steps: StepsOpt = 200, target: CallableOpt = None,
            sort: Annotated[str, typer.Option("--sort", metavar="KEY", help="cumulative or tottime")] = "cumulative",
            top: TopOpt = 25,
            save: Annotated[Optional[Path], typer.Option("--save", metavar="FILE.prof",
                                                         help="also write the raw stats for pstats/snakeviz")] = None,
            force: ForceOpt = False, policy_len: PolicyLenOpt = 1, seed: SeedOpt = 0) -> None:
    """cProfile N steps of Agent.infer (or --target); the top functions by cumulative or own time.

    Examples:

    \b
      aiops diagnose profile --model grid:10 --policy-len 3 --steps 100
      aiops diagnose profile --sort tottime --save infer.prof
      aiops diagnose profile --target mypkg.model:step -o json
    """
    from aiops.diagnostics import profile as run

    step = _step(target, model, policy_len, seed, ("--steps", steps), ("--top", top))
    with output.progress("profiling", total=steps) as advance:
        report = run(step, steps, label=step.label, sort=sort, top=top, save=save, force=force,
                     progress=advance)
    output.render(report, table=profile_table, wide=True)
    raise typer.Exit(report.exit_code())


@app.command()
@global_options
def memory(model: ModelOpt = "tmaze", steps: StepsOpt = 1000, target: CallableOpt = None,
           threshold: Annotated[float, typer.Option(
               "--threshold", metavar="BYTES", help="growth per step above which it is a leak")] = 256.0,
           line: Annotated[bool, typer.Option(
               "--line", help="also memory_profiler line by line over the step's functions (slow)")] = False,
           top: TopOpt = 10, policy_len: PolicyLenOpt = 1, seed: SeedOpt = 0) -> None:
    """tracemalloc snapshots before, during and after N steps; growth per step; leak verdict.

    Exit 3 when the traced memory grows by more than --threshold bytes per step (a
    least-squares fit after a warm-up), 0 otherwise.

    Examples:

    \b
      aiops diagnose memory --model tmaze --steps 2000
      aiops diagnose memory --target mypkg.model:step --threshold 256
      aiops diagnose memory --line
    """
    from aiops.diagnostics import memory as run

    step = _step(target, model, policy_len, seed, ("--steps", steps), ("--top", top))
    if threshold < 0:
        raise UsageError(f"--threshold must be a non-negative number of bytes, got {threshold}")
    functions = step.line_functions() if line else None
    with output.progress("tracing memory", total=steps) as advance:
        report = run(step, steps, label=step.label, threshold=threshold, top=top, line=line,
                     line_functions=functions, progress=advance)
    output.render(report, table=memory_table, wide=True)
    raise typer.Exit(report.exit_code())


@app.command()
@global_options
def bench(model: ModelOpt = "tmaze", steps: StepsOpt = 500, target: CallableOpt = None,
          warmup: Annotated[int, typer.Option("--warmup", metavar="N", help="untimed steps first")] = 5,
          policy_len: PolicyLenOpt = 1, seed: SeedOpt = 0) -> None:
    """Latency of Agent.infer (or --target): p50, p95, p99, max, scored against the runbook.

    The runbook's inference latency baseline (p95): target < 100 ms, acceptable < 500 ms,
    critical > 1 s. Exit 3 when p95 is critical.

    Examples:

    \b
      aiops diagnose bench --model grid:10 --policy-len 3
      aiops diagnose bench --target mypkg.model:step --steps 50 -o json
    """
    from aiops.diagnostics import bench as run

    step = _step(target, model, policy_len, seed, ("--steps", steps))
    with output.progress("benchmarking", total=steps) as advance:
        report = run(step, steps, label=step.label, warmup=max(0, warmup), progress=advance)
    output.render(report, table=bench_table)
    raise typer.Exit(report.exit_code())


def _seed(report) -> str:
    """``, seed N`` for the core, whose tie-breaking depends on it; nothing for a callable."""
    return "" if report.seed is None else f", seed {report.seed}"


def _where(path: str, line: int) -> str:
    from aiops.diagnostics.profiling import short_path

    return f"{short_path(path)}:{line}"


def profile_table(report, wide: bool = False):
    """function | where | calls | own ms | cumulative ms | ms per call (-o wide)."""
    from aiops.cli.tables import Column, Grid, heading

    saved = f"; saved to {report.saved_to}" if report.saved_to else ""
    grid = Grid(Column("function", "id"), Column("where"), Column("calls", "num"), Column("own ms", "num"),
                Column("cum. ms", "num"), Column("ms/call", "num", wide=True),
                title=heading((report.target, "bold"), f"{_seed(report)}: {report.steps} steps, "
                              f"{report.per_step_ms:.3f} ms/step "
                              f"under cProfile, {report.total_calls} calls, sorted by {report.sort}{saved}"),
                wide=wide)
    for f in report.functions:
        calls = str(f.calls) if f.calls == f.primitive_calls else f"{f.calls}/{f.primitive_calls}"
        grid.row(f.function, f"{f.file}:{f.line}", calls, f"{1000 * f.tottime:.3f}", f"{1000 * f.cumtime:.3f}",
                 f"{1000 * f.cumtime / max(f.calls, 1):.4f}")
    return grid


def memory_table(report, wide: bool = False):
    """Verdict, snapshots, the allocation sites that grew, and memory_profiler's lines."""
    from aiops.cli.tables import Column, Grid, group, heading

    verdict = ("LEAK", "bold red") if report.leaking else ("no leak", "bold green")
    head = heading((report.target, "bold"), f"{_seed(report)}: {report.steps} steps after {report.warmup} warm-up: ",
                   verdict,
                   f" ({report.bytes_per_step:.1f} B/step; threshold {report.threshold:.0f})")
    snaps = Grid(Column("snapshot", "word"), Column("step", "num"), Column("traced KiB", "num"))
    for s in report.snapshots:
        snaps.row(s.label, s.step, f"{s.traced_bytes / 1024:.1f}")
    sites = Grid(Column("where", "id"), Column("growth KiB", "num"), Column("blocks", "num"), Column("code"),
                 title=heading(("allocation sites by growth", "bold")), wide=wide)
    for a in report.top:
        sites.row(_where(a.file, a.line), f"{a.size_diff / 1024:.1f}", a.count_diff, a.code)
    parts = [head, snaps, heading(), sites if report.top else heading("no allocation site grew")]
    if report.lines is not None:
        lines = Grid(Column("where", "id"), Column("increment MiB", "num"), Column("mem MiB", "num"),
                     Column("hits", "num"), Column("code"),
                     title=heading(("memory_profiler, line by line (process RSS)", "bold")), wide=wide)
        for x in report.lines:
            lines.row(_where(x.file, x.line), f"{x.increment_mib:.2f}", f"{x.mem_mib:.1f}", x.occurrences,
                      x.code.strip())
        parts += [heading(), lines]
    return group(*parts)


_BANDS = {"target": "green", "acceptable": "green", "warning": "yellow", "critical": "red"}


def bench_table(report):
    """p50/p95/p99/max per phase, and the runbook band of the step's p95."""
    from aiops.cli.tables import Column, Grid, heading

    grid = Grid(Column("phase", "id"), *(Column(n, "num") for n in ("p50 ms", "p95 ms", "p99 ms", "max ms")),
                title=heading((report.target, "bold"), f"{_seed(report)}: {report.steps} timed steps; p95 "
                              f"{report.latency['p95_ms']:.3f} ms is ", (report.band, _BANDS[report.band]),
                              " (runbook: target < 100 ms, acceptable < 500 ms, critical > 1 s)"))
    lat = report.latency
    grid.row("step", *(f"{lat[k]:.3f}" for k in ("p50_ms", "p95_ms", "p99_ms", "max_ms")))
    for phase, values in report.phases.items():
        if phase != "total":
            grid.row(phase, f"{values['p50_ms']:.3f}", f"{values['p95_ms']:.3f}", "", "")
    return grid
