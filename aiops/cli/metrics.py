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

    Rows: value (the worst instance's), verdict, that instance and the runbook threshold;
    -o wide adds the band (target / acceptable / warning / critical, for baseline rows) and the
    PromQL used. Empty results are "no data", not zero. Prometheus ranks and counts the
    instances itself (topk, count), so a fleet of thousands costs the same few answers: the
    table names the worst instance and how many more share its verdict; JSON lists the --top
    worst per check and counts by verdict.
    When Prometheus is unreachable (or with --source scrape) the targets' /metrics are read
    twice for rates; checks that need history are "unavailable". Exit 3 when any row is
    critical, 5 when Prometheus is unreachable and there are no targets to scrape.

    Examples:

    \b
      aiops metrics check
      aiops metrics check --window 15m -o wide
      aiops metrics check --source scrape --target http://127.0.0.1:8000
    """
    from aiops.prometheus.scorecard import metrics_check

    cfg = get_state().config(timeout=timeout)
    card = metrics_check(cfg, window=window, source=source, job=job, targets=target or None,
                         scrape_interval_s=scrape_interval, warn=output.warn, top=top)
    output.render(card, table=scorecard_table, wide=True)
    raise typer.Exit(card.exit_code())


def _instances(row) -> str:
    """The worst instance; over a fleet, how many more share its verdict."""
    if row.instance is None:
        return "-"
    counts = row.instance_counts or {}
    more = counts.get(row.verdict, 0) - (1 if row.key != "availability" else len(row.worst))
    return row.instance + (f" (+{more} more)" if more > 0 else "")


def scorecard_table(card, wide: bool = False):
    """check | value | verdict | instance | runbook threshold; -o wide adds band, PromQL, notes.
    Without -o wide, the rows' notes are summarised below the table, once per distinct note."""
    from aiops.cli.tables import Column, Grid, heading, lines, styled
    from aiops.core.units import quantity

    counts = ", ".join(f"{n} {v.replace('_', ' ')}" for v, n in card.summary.items() if n)
    where = card.prometheus_url if card.source == "prometheus" else f"{len(card.targets)} scraped target(s)"
    notes: dict[str, list[str]] = {}
    for row in card.rows:
        if row.note:
            notes.setdefault(row.note, []).append(row.title)
    caption = None if wide or not notes else lines(*(styled(f"{', '.join(titles)}: {note}", "dim")
                                                     for note, titles in notes.items()))
    grid = Grid(Column("check", min_width=18), Column("value", "num"), Column("verdict", "word"),
                Column("instance", "id", optional=True), Column("threshold", min_width=22),
                Column("band", "word", wide=True), Column("query", wide=True),
                title=heading((f"{card.verdict.upper()}", f"bold {_COLOURS[card.verdict]}"), f": {counts}; "
                              f"{card.source} {where}, window {_window(card.window_s)}, {card.duration_ms:.0f} ms"),
                caption=caption, wide=wide)
    for row in card.rows:
        grid.row(row.title, quantity(row.value, row.unit), styled(row.verdict.replace("_", " "), _COLOURS[row.verdict]),
                 _instances(row), row.threshold, row.band,
                 lines(row.query, styled(row.note, "dim") if row.note else None))
    return grid


def _window(seconds: float) -> str:
    from aiops.catalog.checks import promql_duration

    return promql_duration(seconds)
