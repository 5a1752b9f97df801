"""``aiops metrics``: the runbook scorecard."""

from __future__ import annotations

from typing import Annotated

import typer

from aiops.cli import output
from aiops.cli.common import JobOpt, SourceOpt, TargetOpt, TimeoutOpt, get_state, global_options

app = typer.Typer(no_args_is_help=True)

_COLOURS = {"critical": "red", "warning": "yellow", "info": "cyan", "ok": "green",
            "reported": "default", "no_data": "magenta", "unavailable": "dim", "error": "red"}


@app.command()
@global_options
def check(window: Annotated[str, typer.Option(
              "--window", "-w", metavar="DURATION", help="rate and trend window, e.g. 5m")] = "5m",
          source: SourceOpt = "auto", job: JobOpt = None,
          target: TargetOpt = None,
          scrape_interval: Annotated[float, typer.Option(
              "--scrape-interval", metavar="SECONDS",
              help="seconds between the two scrapes in degraded mode")] = 3.0,
          top: Annotated[int, typer.Option(
              "--top", metavar="N", help="worst instances named per check (JSON: worst)")] = 5,
          timeout: TimeoutOpt = None) -> None:
    """Score every runbook metric, baseline and alert condition right now.

    Rows: value (the worst instance's), band (target / acceptable / warning / critical, for
    baseline rows), verdict, and the PromQL used. Empty results are "no data", not zero.
    Prometheus ranks and counts the instances itself (topk, count), so a fleet of thousands
    costs the same few answers: JSON lists the --top worst per check and counts by verdict.
    When Prometheus is unreachable (or with --source scrape) the targets' /metrics are read
    twice for rates; checks that need history are "unavailable". Exit 3 when any row is
    critical, 5 when Prometheus is unreachable and there are no targets to scrape.

    Examples:

    \b
      aiops metrics check
      aiops metrics check --window 15m -o json
      aiops metrics check --source scrape --target http://127.0.0.1:8000
    """
    from aiops.prometheus.scorecard import metrics_check

    cfg = get_state().config(timeout=timeout)
    card = metrics_check(cfg, window=window, source=source, job=job, targets=target or None,
                         scrape_interval_s=scrape_interval, warn=output.warn, top=top)
    output.render(card, table=scorecard_table)
    raise typer.Exit(card.exit_code())


def _instances(row) -> str:
    """The worst instance; over a fleet, how many more share its verdict."""
    if row.instance is None:
        return "-"
    counts = row.instance_counts or {}
    more = counts.get(row.verdict, 0) - (1 if row.key != "availability" else len(row.worst))
    return row.instance + (f" (+{more} more)" if more > 0 else "")


def scorecard_table(card):
    """check | value | band | verdict | instance | threshold | query."""
    from rich.markup import escape
    from rich.table import Table

    from aiops.cli.prom import fmt

    s = card.summary
    counts = ", ".join(f"{n} {v.replace('_', ' ')}" for v, n in s.items() if n)
    where = card.prometheus_url if card.source == "prometheus" else f"{len(card.targets)} scraped target(s)"
    table = Table(title=f"{card.verdict.upper()}: {counts} (source {card.source}: {where}, "
                        f"window {card.window_s:g}s, {card.duration_ms:.0f} ms)", title_justify="left")
    for name in ("check", "value", "band", "verdict", "instance", "threshold", "query"):
        table.add_column(name, justify="right" if name == "value" else "left",
                         overflow="fold", no_wrap=name in ("value", "verdict"))
    for row in card.rows:
        colour = _COLOURS[row.verdict]
        value = "-" if row.value is None else f"{fmt(row.value)} {row.unit}"
        query = escape(row.query) + (f"\n[dim]{escape(row.note)}[/]" if row.note else "")
        table.add_row(row.title, value, row.band or "-", f"[{colour}]{row.verdict.replace('_', ' ')}[/]",
                      escape(_instances(row)), escape(row.threshold or "-"), query)
    return table
