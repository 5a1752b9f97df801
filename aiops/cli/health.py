"""``aiops health``: probe /health, /ready, /live and /metrics."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from aiops.cli import output
from aiops.cli.common import TargetOpt, TimeoutOpt, get_state, global_options

app = typer.Typer(no_args_is_help=True)

TargetsArg = Annotated[Optional[list[str]], typer.Argument(
    metavar="[TARGET]...", help="base URLs (http[s]://host:port); host:port means http", show_default=False)]
ConcurrencyOpt = Annotated[Optional[int], typer.Option(
    "--concurrency", metavar="N", help="targets probed at once [default: 250]")]
DeadlineOpt = Annotated[Optional[float], typer.Option(
    "--deadline", metavar="SECONDS", help="stop the whole run after this long "
    "[default: enough for every wave of --timeout]")]
CaOpt = Annotated[Optional[str], typer.Option("--ca-bundle", metavar="PEM", help="CA bundle for TLS")]
InsecureOpt = Annotated[bool, typer.Option("--insecure", help="do not verify TLS certificates")]
DiscoverOpt = Annotated[Optional[str], typer.Option(
    "--discover", metavar="JOB", help="take the targets from Prometheus's scrape targets of JOB")]


def _settings(targets, target, timeout, concurrency, ca_bundle, insecure):
    """Resolve the probe parameters from flags and config (one place for check and watch)."""
    from aiops.health.targets import resolve_targets

    cfg = get_state().config(**{"timeout": timeout, "health.concurrency": concurrency,
                                "tls.ca_bundle": ca_bundle, "tls.insecure": insecure or None})
    if cfg.get("tls.insecure"):
        output.warn("TLS certificates are not verified (--insecure)")
    return dict(targets=resolve_targets([*(targets or []), *(target or [])], cfg),
                timeout=cfg.get("timeout"), concurrency=cfg.get("health.concurrency"),
                max_body=cfg.get("health.max_body_bytes"), ca_bundle=cfg.get("tls.ca_bundle"),
                insecure=cfg.get("tls.insecure"))


@app.command()
@global_options
def check(targets: TargetsArg = None, target: TargetOpt = None, timeout: TimeoutOpt = None,
          concurrency: ConcurrencyOpt = None, deadline: DeadlineOpt = None, ca_bundle: CaOpt = None,
          insecure: InsecureOpt = False, discover: DiscoverOpt = None) -> None:
    """Probe every target's /health, /ready, /live and /metrics concurrently.

    Exit 0 when all are healthy, 3 when any is degraded or unhealthy, 5 when any is
    unreachable and none is worse, 2 for a malformed target URL.

    Examples:

    \b
      aiops health check http://127.0.0.1:8000
      aiops health check --env prod -o json
      aiops health check --discover active-inference
    """
    from aiops.health.probe import check as run_check

    if discover:  # the job's targets count as given: the config's list is not added
        from aiops.health.targets import discover_targets

        targets = [*(targets or []), *discover_targets(get_state().config(timeout=timeout), discover)]
    opts = _settings(targets, target, timeout, concurrency, ca_bundle, insecure)
    with output.progress("probing", total=len(opts["targets"])) as advance:
        report = run_check(**opts, deadline=deadline, progress=advance)
    output.render(report, table=health_table, wide=True)
    raise typer.Exit(report.exit_code())


@app.command()
@global_options
def watch(targets: TargetsArg = None, target: TargetOpt = None, timeout: TimeoutOpt = None,
          interval: Annotated[float, typer.Option("--interval", "-n", metavar="SECONDS",
                                                  help="seconds between rounds")] = 5.0,
          concurrency: ConcurrencyOpt = None, ca_bundle: CaOpt = None,
          insecure: InsecureOpt = False) -> None:
    """Re-probe every INTERVAL seconds until Ctrl-C (exit 130).

    On a terminal: a live table with the time of the last refresh; targets that changed since
    the previous round are marked with '*' and say what they were. With -o json, or when stdout
    is not a terminal: one JSON document per round, one per line (NDJSON).

    Examples:

    \b
      aiops health watch http://127.0.0.1:8000 -n 2
      aiops health watch --env prod -o json | jq -c '{checked_at, verdict}'
    """
    import sys

    from aiops.health.probe import check as run_check
    from aiops.health.watch import rounds

    if interval <= 0:
        from aiops.core.errors import UsageError

        raise UsageError(f"--interval must be a positive number of seconds, got {interval:g}")
    opts = _settings(targets, target, timeout, concurrency, ca_bundle, insecure)
    fmt = output.output_format()
    every = rounds(lambda: run_check(**opts), interval)
    try:
        if fmt == "json":
            for r in every:
                sys.stdout.write(output.dumps(r.report, pretty=False) + "\n")
                sys.stdout.flush()
        elif sys.stdout.isatty():
            _live(every, interval)
        else:  # -o table into a pipe or file: one table per round, no cursor movement
            for r in every:
                output.stdout().print(watch_view(r, interval))
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


def _live(every, interval: float) -> None:
    from rich.live import Live

    with Live(console=output.stdout(), auto_refresh=False) as live:
        for r in every:
            live.update(watch_view(r, interval), refresh=True)


_COLOURS = {"healthy": "green", "degraded": "yellow", "unhealthy": "red", "unreachable": "magenta"}
_ENDPOINTS = ("/health", "/ready", "/live", "/metrics")


def _counts(report) -> str:
    s = report.summary
    parts = [f"{s[v]} {v}" for v in _COLOURS if s[v]]
    return f"{s['targets']} target(s): {', '.join(parts) or 'none'}"


def _endpoint(ep):
    from aiops.cli.tables import heading

    if ep is None or ep.status_code is None and ep.latency_ms is None:
        return "-"
    code = ep.status_code if ep.status_code is not None else "ERR"
    latency = "" if ep.latency_ms is None else f" {ep.latency_ms:.0f}ms"
    return heading(("✓", "green") if ep.ok else ("✗", "red"), f" {code}{latency}")


def _slowest(t) -> str:
    latencies = [ep.latency_ms for ep in t.endpoints.values() if ep.latency_ms is not None]
    return f"{max(latencies):.0f}ms" if latencies else "-"


def health_table(report, wide: bool = False, changed: dict | None = None, title=None):
    """One row per target, worst first: verdict, the slowest endpoint, the failing reasons;
    -o wide adds each endpoint's status and latency. ``changed`` (watch mode) marks the targets
    that changed since the previous round and says what they were."""
    from aiops.cli.tables import Column, Grid, heading, styled

    columns = [Column("target", "id"), Column("verdict", "word"), Column("slowest", "num", optional=True),
               *(Column(p, "word", wide=True) for p in _ENDPOINTS), Column("reasons", "text")]
    if changed is not None:
        columns.insert(0, Column("*", "word"))
    grid = Grid(*columns, wide=wide, title=title if title is not None else heading(
        (_counts(report), "bold"), f" ({report.duration_ms / 1000:.2f}s)"))
    for t in sorted(report.targets, key=lambda t: list(_COLOURS).index(t.verdict), reverse=True):
        verdict = styled(t.verdict, _COLOURS[t.verdict])
        cells = [t.url or t.target, verdict, _slowest(t), *(_endpoint(t.endpoints.get(p)) for p in _ENDPOINTS),
                 "\n".join(t.reasons)]
        if changed is not None:
            was = changed.get(t.target)
            if was not in (None, "new") and was != t.verdict:
                cells[1] = heading((t.verdict, _COLOURS[t.verdict]), f"\n(was {was})")
            cells.insert(0, styled("*", "bold yellow") if was is not None else "")
        grid.row(*cells)
    return grid


def watch_view(r, interval: float):
    """The live view of one round: refresh time, what changed, the table."""
    import datetime as dt

    from aiops.cli.tables import heading, lines, styled

    local = r.at.astimezone(dt.timezone.utc).strftime("%H:%M:%S UTC")
    n = len(r.changed)
    title = lines(heading((_counts(r.report), "bold"), (f"; {n} changed since the last round (*)" if n else "",
                                                         "bold yellow")),
                  styled(f"refreshed at {local} (round {r.number}, every {interval:g}s; Ctrl-C stops)", "dim"))
    return health_table(r.report, changed=r.changed, title=title)
