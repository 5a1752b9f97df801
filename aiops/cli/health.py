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
    output.render(report, table=health_table)
    problem = report.problem()
    if problem:  # the data is on stdout; the verdict in one line on stderr, as for every error
        output.error(*problem)
    raise typer.Exit(report.exit_code())


@app.command()
@global_options
def watch(targets: TargetsArg = None, target: TargetOpt = None, timeout: TimeoutOpt = None,
          interval: Annotated[float, typer.Option("--interval", "-n", metavar="SECONDS",
                                                  help="seconds between rounds")] = 5.0,
          concurrency: ConcurrencyOpt = None, ca_bundle: CaOpt = None,
          insecure: InsecureOpt = False) -> None:
    """Re-probe every INTERVAL seconds in a live table until Ctrl-C (exit 130).

    Example:

    \b
      aiops health watch http://127.0.0.1:8000 -n 2
    """
    import time

    from rich.live import Live

    from aiops.health.probe import check as run_check

    opts = _settings(targets, target, timeout, concurrency, ca_bundle, insecure)
    try:
        with Live(console=output.stdout(), auto_refresh=False) as live:
            while True:
                live.update(health_table(run_check(**opts)), refresh=True)
                time.sleep(interval)
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


_COLOURS = {"healthy": "green", "degraded": "yellow", "unhealthy": "red", "unreachable": "magenta"}


def health_table(report):
    """One row per target: verdict, each endpoint's status and latency, the failing reasons."""
    from rich.markup import escape
    from rich.table import Table

    s = report.summary
    table = Table(title=f"{s['targets']} target(s): {s['healthy']} healthy, {s['degraded']} degraded, "
                        f"{s['unhealthy']} unhealthy, {s['unreachable']} unreachable "
                        f"({report.duration_ms / 1000:.2f}s)", title_justify="left")
    table.add_column("target", overflow="fold")
    table.add_column("verdict")
    for path in ("/health", "/ready", "/live", "/metrics"):
        table.add_column(path, justify="right")
    table.add_column("reasons", overflow="fold")
    for t in sorted(report.targets, key=lambda t: list(_COLOURS).index(t.verdict), reverse=True):
        cells = []
        for path in ("/health", "/ready", "/live", "/metrics"):
            ep = t.endpoints.get(path)
            if ep is None or ep.status_code is None and ep.latency_ms is None:
                cells.append("-")
                continue
            mark = "[green]✓[/]" if ep.ok else "[red]✗[/]"
            code = ep.status_code if ep.status_code is not None else "ERR"
            cells.append(f"{mark} {code} {ep.latency_ms:.0f}ms")
        colour = _COLOURS[t.verdict]
        table.add_row(escape(t.shown), f"[{colour}]{t.verdict}[/]", *cells, escape("\n".join(t.reasons)))
    return table
