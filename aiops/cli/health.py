"""``aiops health``: probe /health, /ready, /live and /metrics."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from aiops.cli import output
from aiops.cli.common import TargetOpt, TimeoutOpt, get_state, global_options
from aiops.core.errors import UsageError

app = typer.Typer(no_args_is_help=True)

TargetsArg = Annotated[Optional[list[str]], typer.Argument(
    metavar="[TARGET]...", help="base URLs (http[s]://host:port); host:port means http", show_default=False)]
ConcurrencyOpt = Annotated[Optional[int], typer.Option(
    "--concurrency", metavar="N", help="targets probed at once, one connection each [default: 1000]")]
DeadlineOpt = Annotated[Optional[float], typer.Option(
    "--deadline", metavar="SECONDS", help="stop the whole run after this long "
    "[default: enough for every wave of --timeout]")]
CaOpt = Annotated[Optional[str], typer.Option("--ca-bundle", metavar="PEM", help="CA bundle for TLS")]
InsecureOpt = Annotated[bool, typer.Option("--insecure", help="do not verify TLS certificates")]
DiscoverOpt = Annotated[Optional[str], typer.Option(
    "--discover", metavar="JOB", help="take the targets from Prometheus's scrape targets of JOB")]
WorkersOpt = Annotated[Optional[int], typer.Option(
    "--workers", metavar="N", help="processes sharing the targets [default: the CPU count]")]
AllOpt = Annotated[bool, typer.Option("--all", help="list healthy targets too (table)")]
ViaOpt = Annotated[str, typer.Option(
    "--via", metavar="SOURCE", help="probe (ask the targets) or prometheus (read up and the "
    "blackbox exporter's probe_* series)")]
JobOpt = Annotated[Optional[str], typer.Option(
    "--job", metavar="JOB", help="with --via prometheus: the service's scrape job "
    "[default: config prometheus.job]; its probes are job JOB-blackbox")]


def _settings(targets, target, timeout, concurrency, ca_bundle, insecure, workers=None):
    """Resolve the probe parameters from flags and config (one place for check and watch)."""
    from aiops.health.targets import resolve_targets

    cfg = get_state().config(**{"timeout": timeout, "health.concurrency": concurrency,
                                "health.workers": workers,
                                "tls.ca_bundle": ca_bundle, "tls.insecure": insecure or None})
    if cfg.get("tls.insecure"):
        output.warn("TLS certificates are not verified (--insecure)")
    return dict(targets=resolve_targets([*(targets or []), *(target or [])], cfg),
                timeout=cfg.get("timeout"), concurrency=cfg.get("health.concurrency"),
                max_body=cfg.get("health.max_body_bytes"), ca_bundle=cfg.get("tls.ca_bundle"),
                insecure=cfg.get("tls.insecure"), workers=cfg.get("health.workers"))


@app.command()
@global_options
def check(targets: TargetsArg = None, target: TargetOpt = None, timeout: TimeoutOpt = None,
          concurrency: ConcurrencyOpt = None, deadline: DeadlineOpt = None, ca_bundle: CaOpt = None,
          insecure: InsecureOpt = False, discover: DiscoverOpt = None, workers: WorkersOpt = None,
          all_: AllOpt = False, via: ViaOpt = "probe", job: JobOpt = None) -> None:
    """Probe every target's /health, /ready, /live and /metrics concurrently, or read the
    same verdicts from Prometheus (--via prometheus: up, and the blackbox exporter's probes
    that 'aiops alerts rules --blackbox' configures).

    The table lists problems first and sums up the healthy targets in one line (--all lists
    them); JSON streams one target per line. Exit 0 when all are healthy, 3 when any is
    degraded or unhealthy, 5 when any is unreachable and none is worse, 2 for a malformed
    target URL.

    Examples:

    \b
      aiops health check http://127.0.0.1:8000
      aiops health check --env prod -o json
      aiops health check --discover active-inference --workers 4
      aiops health check --via prometheus --job active-inference
    """
    import sys

    from aiops.health.probe import JsonStream

    if via not in ("probe", "prometheus"):
        raise UsageError(f"--via must be probe or prometheus, got '{via}'")
    # JSON streams one target per line; --jq needs the whole document, so it waits for it
    streaming = output.output_format() == "json" and get_state().jq_program is None
    stream = JsonStream(sys.stdout.write) if streaming else None
    if via == "prometheus":
        from aiops.health.prometheus import check as read_prometheus

        report = read_prometheus(get_state().config(timeout=timeout), job=job)
        if stream:
            stream.whole(report)
    else:
        report = _probe(targets, target, timeout, concurrency, deadline, ca_bundle, insecure,
                        discover, workers, stream)
    for warning in report.warnings:
        output.warn(warning)
    if stream:
        sys.stdout.flush()
    else:
        output.render(report, table=lambda r: health_table(r, all_targets=all_))
    problem = report.problem()
    if problem:  # the data is on stdout; the verdict in one line on stderr, as for every error
        output.error(*problem)
    raise typer.Exit(report.exit_code())


def _probe(targets, target, timeout, concurrency, deadline, ca_bundle, insecure, discover, workers, stream):
    from aiops.health.probe import check as run_check

    if discover:  # the job's targets count as given: the config's list is not added
        from aiops.health.targets import discover_targets

        targets = [*(targets or []), *discover_targets(get_state().config(timeout=timeout), discover)]
    opts = _settings(targets, target, timeout, concurrency, ca_bundle, insecure, workers)
    with output.progress("probing", total=len(opts["targets"])) as advance:
        report = run_check(**opts, deadline=deadline, progress=advance, stream=stream)
    if stream:
        stream.finish(report)
    return report


@app.command()
@global_options(json_output=False)
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
                live.update(health_table(run_check(**opts), all_targets=True), refresh=True)
                time.sleep(interval)
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


_COLOURS = {"healthy": "green", "degraded": "yellow", "unhealthy": "red", "unreachable": "magenta"}
_ORDER = ("unhealthy", "unreachable", "degraded", "healthy")  # what the table shows first
_MARK = {True: "[green]✓[/]", False: "[red]✗[/]"}


def health_table(report, all_targets: bool = False):
    """Problems first (unhealthy, unreachable, degraded), then the healthy targets: listed with
    ``all_targets``, else summed up in one line. A row per target: verdict, a mark per endpoint
    (/health /ready /live /metrics), the slowest answer, the URL last (a 49-character URL fits
    80 columns); its failing reasons on the lines below, however long they are."""
    from rich import box
    from rich.markup import escape

    from aiops.core.redact import redact
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    s = report.summary
    where = "" if report.source == "probe" else f" from Prometheus {escape(redact(report.prometheus_url or ''))}"
    table = Table(title=f"{s['targets']} target(s){where}: {s['healthy']} healthy, {s['degraded']} "
                        f"degraded, {s['unhealthy']} unhealthy, {s['unreachable']} unreachable "
                        f"({report.duration_ms / 1000:.2f}s)", title_justify="left", box=box.SIMPLE_HEAD,
                  pad_edge=False, collapse_padding=True, show_edge=False)
    table.add_column("verdict", no_wrap=True)
    table.add_column("h r l m", no_wrap=True)
    table.add_column("slowest", justify="right", no_wrap=True)
    table.add_column("target / reasons", overflow="fold")  # last: the most room for long URLs
    shown = sorted((t for t in report.targets if all_targets or t.verdict != "healthy"),
                   key=lambda t: _ORDER.index(t.verdict))
    for t in shown:
        eps = [t.endpoints.get(p) for p in ("/health", "/ready", "/live", "/metrics")]
        marks = " ".join("-" if ep is None or ep.reason == "not probed" and ep.latency_ms is None
                         else _MARK[ep.ok] for ep in eps)
        slowest = max((ep.latency_ms for ep in eps if ep is not None and ep.latency_ms is not None),
                      default=None)
        colour = _COLOURS[t.verdict]
        table.add_row(f"[{colour}]{t.verdict}[/]", marks, "-" if slowest is None else f"{slowest:.0f}ms",
                      escape(t.shown))
        for reason in t.reasons:  # indented, continuation lines too
            table.add_row("", "", "", Padding(Text(reason, style="dim"), (0, 0, 0, 2)))
    healthy = s["healthy"]
    if healthy and not all_targets:
        table.caption = f"{'All' if healthy == s['targets'] else 'And'} {healthy} healthy target(s) not listed (--all lists them)"
        table.caption_justify = "left"
    return table
