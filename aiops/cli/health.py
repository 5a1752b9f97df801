"""``aiops health``: probe /health, /ready, /live and /metrics."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from aiops.cli import output
from aiops.cli.common import TargetOpt, TimeoutOpt, collector_paused, get_state, global_options
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
    them; -o wide lists every target with each endpoint's status and latency); JSON streams
    one target per line. Exit 0 when all are healthy, 3 when any is
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
    streaming = output.output_format(("table", "wide", "json")) == "json" and get_state().jq_program is None
    stream = JsonStream(sys.stdout.write) if streaming else None
    if via == "prometheus":
        from aiops.health.prometheus import check as read_prometheus

        with collector_paused():  # five answers of a series per probe: 200,000 series for 10,000 targets
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
        output.render(report, table=lambda r, wide=False: health_table(r, wide=wide, all_targets=all_ or wide),
                      wide=True)
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
                if get_state().jq_program is None:  # one compact document per line
                    sys.stdout.write(output.dumps(r.report, pretty=False) + "\n")
                else:
                    output.write_json(r.report)
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
_ORDER = ("unhealthy", "unreachable", "degraded", "healthy")  # what the table shows first
_ENDPOINTS = ("/health", "/ready", "/live", "/metrics")


def _counts(report) -> str:
    from aiops.core.redact import redact

    s = report.summary
    parts = [f"{s[v]} {v}" for v in _COLOURS if s[v]]
    where = "" if getattr(report, "source", "probe") == "probe" else \
        f" from Prometheus {redact(report.prometheus_url or '')}"
    return f"{s['targets']} target(s){where}: {', '.join(parts) or 'none'}"


def _endpoint(ep):
    from aiops.cli.tables import heading

    if ep is None or ep.status_code is None and ep.latency_ms is None:
        return "-"  # not probed (or not read from Prometheus)
    code = ep.status_code if ep.status_code is not None else "ERR"
    latency = "" if ep.latency_ms is None else f" {ep.latency_ms:.0f}ms"
    return heading(("✓", "green") if ep.ok else ("✗", "red"), f" {code}{latency}")


def _slowest(t) -> str:
    latencies = [ep.latency_ms for ep in t.endpoints.values() if ep.latency_ms is not None]
    return f"{max(latencies):.0f}ms" if latencies else "-"


def _marks(t):
    from aiops.cli.tables import heading

    parts = []
    for p in _ENDPOINTS:
        ep = t.endpoints.get(p)
        parts.append(("-", "") if ep is None or ep.status_code is None and ep.latency_ms is None and
                     (ep.reason == "not probed" or not ep.reason) else ("✓", "green") if ep.ok else ("✗", "red"))
    return heading(*(x for i, part in enumerate(parts) for x in ((" ",) if i else ()) + (part,)))


def health_table(report, wide: bool = False, changed: dict | None = None, title=None,
                 all_targets: bool = True):
    """Problems first (unhealthy, unreachable, degraded), then the healthy targets: listed with
    ``all_targets``, else summed up in one line. A row per target: verdict, a mark per endpoint
    (/health /ready /live /metrics), the slowest answer, the URL last (a 49-character URL fits
    80 columns); its failing reasons on the lines below. -o wide adds each endpoint's status and
    latency. ``changed`` (watch mode) marks the targets that changed since the previous round
    and says what they were."""
    from aiops.cli.tables import Column, Grid, Indented, heading, styled

    columns = [Column("verdict", "word"), Column("h r l m", "word"), Column("slowest", "num", optional=True),
               *(Column(p, "word", wide=True) for p in _ENDPOINTS), Column("target / reasons", "text")]
    if changed is not None:
        columns.insert(0, Column("*", "word"))
    s = report.summary
    healthy = s["healthy"]
    caption = None
    if healthy and not all_targets:
        caption = f"{'All' if healthy == s['targets'] else 'And'} {healthy} healthy target(s) not listed (--all lists them)"
    grid = Grid(*columns, wide=wide, caption=caption, title=title if title is not None else heading(
        (_counts(report), "bold"), f" ({report.duration_ms / 1000:.2f}s)"))
    shown = sorted((t for t in report.targets if all_targets or t.verdict != "healthy"),
                   key=lambda t: _ORDER.index(t.verdict))
    blank = [""] * (len(columns) - 1)
    for t in shown:
        verdict = styled(t.verdict, _COLOURS[t.verdict])
        cells = [verdict, _marks(t), _slowest(t), *(_endpoint(t.endpoints.get(p)) for p in _ENDPOINTS),
                 t.shown]
        if changed is not None:
            was = changed.get(t.target)
            if was not in (None, "new") and was != t.verdict:
                cells[0] = heading((t.verdict, _COLOURS[t.verdict]), f"\n(was {was})")
            cells.insert(0, styled("*", "bold yellow") if was is not None else "")
        grid.row(*cells)
        for reason in t.reasons:  # indented, continuation lines too
            grid.row(*blank, Indented(reason, style="dim"))
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
