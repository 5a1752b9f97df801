"""``aiops dashboard NAME``: a runbook dashboard, live in the terminal."""

from __future__ import annotations

from typing import Annotated

import typer

from aiops.cli.common import JobOpt, SinceOpt, SourceOpt, TargetOpt, TimeoutOpt, global_options


@global_options
def dashboard(name: Annotated[str, typer.Argument(
                  metavar="NAME", help="main, performance or infrastructure")],
              since: SinceOpt = None,
              refresh: Annotated[str, typer.Option(
                  "--refresh", metavar="DURATION", help="seconds between redraws, e.g. 5s")] = "5s",
              once: Annotated[bool, typer.Option(
                  "--once", help="print one frame and exit (for scripts and snapshots)")] = False,
              source: SourceOpt = "auto", job: JobOpt = None,
              target: TargetOpt = None, timeout: TimeoutOpt = None) -> None:
    """Show a runbook dashboard in the terminal: the same panels as the Grafana export.

    Each series gets a sparkline over the window (--since, default 1h), its current value
    and the runbook's band (ok / warning / critical). Data comes from Prometheus; when it
    does not answer, from the targets (--target or --env) scraped directly, and the header
    says so. q quits (exit 0), Ctrl-C interrupts (exit 130). --once prints one frame;
    -o json prints the panel values (one document per refresh, or one with --once).

    Examples:

    \b
      aiops dashboard main
      aiops dashboard performance --since 6h --refresh 15s
      aiops dashboard infrastructure --once -o json
      aiops dashboard main --env prod --source scrape
    """
    import asyncio

    from aiops.catalog.dashboards import dashboard_by_name
    from aiops.cli import output
    from aiops.cli.common import get_state
    from aiops.core.http import normalise_url
    from aiops.core.timewindow import parse_duration, parse_window
    from aiops.dashboards.data import Feed
    from aiops.prometheus.http import Access

    board = dashboard_by_name(name)
    start, end = parse_window(since, None, default_since="1h")
    refresh_s = parse_duration(refresh, what="--refresh")
    cfg = get_state().config(timeout=timeout)
    targets = [normalise_url(t) for t in (target or cfg.get("targets") or [])]
    fmt = output.output_format()
    prom = Access.from_config(cfg, "prometheus") if source != "scrape" else None
    feed = Feed(board, prometheus_url=normalise_url(cfg.get("prometheus.url")),
                job=cfg.get("prometheus.job") if job is None else job, window_s=(end - start).total_seconds(),
                targets=targets, source=source, timeout=float(cfg.get("timeout")),
                ca_bundle=cfg.get("tls.ca_bundle"), insecure=bool(cfg.get("tls.insecure")),
                headers=prom.headers if prom else None,
                prometheus_tls=(prom.ca_bundle, prom.insecure) if prom else None, warn=output.warn)
    asyncio.run(_run(feed, fmt, once, refresh_s))


async def _run(feed, fmt: str, once: bool, refresh_s: float) -> None:
    import asyncio
    import sys

    from aiops.cli import output
    from aiops.cli.dashboard_view import live, render

    async with feed:
        if fmt == "json":
            while True:
                output.render(await feed.frame())
                if once:
                    return
                await asyncio.sleep(refresh_s)
        console = output.stdout()
        if once or not sys.stdout.isatty():
            frame = await feed.frame()
            width, height = console.size
            console.print(render(frame, width, height if sys.stdout.isatty() else 10_000))
            return
        await live(feed, refresh_s=refresh_s, console=console)
