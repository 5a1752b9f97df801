"""``aiops capacity``: the runbook's scaling rules as recommendations with evidence."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from aiops.cli import output
from aiops.cli.common import TimeoutOpt, get_state, global_options

app = typer.Typer(no_args_is_help=True)

_COLOURS = {"recommended": "red", "not_needed": "green", "no_data": "magenta", "error": "red"}


@app.command()
@global_options
def check(job: Annotated[Optional[str], typer.Option(
              "--job", metavar="JOB", help="scope to this scrape job; '' for all "
              "[default: config prometheus.job]")] = None,
          timeout: TimeoutOpt = None) -> None:
    """Check the runbook's capacity rules: scale up when CPU > 70% for 5+ minutes, scale
    out when the request queue > 100 (gauge request_queue_length).

    Each recommendation comes with its evidence per instance (now, min, avg, max over the
    window) and the PromQL used. Exit 3 when scaling is recommended, 5 when Prometheus is
    unreachable.

    Examples:

    \b
      aiops capacity check
      aiops capacity check --env prod -o json
    """
    from aiops.prometheus.capacity import capacity_check

    report = capacity_check(get_state().config(timeout=timeout), job=job)
    output.render(report, table=capacity_table, wide=True)
    raise typer.Exit(report.exit_code())


def capacity_table(report, wide: bool = False):
    """action | status | rule | evidence per instance; -o wide adds the PromQL."""
    from aiops.cli.tables import Column, Grid, fmt, heading, lines, plain, styled

    grid = Grid(Column("action", "word"), Column("status", "word"), Column("rule", min_width=20),
                Column("evidence", min_width=28), Column("queries", wide=True),
                title=heading(("capacity", "bold"), f" at {report.prometheus_url} (job {report.job or 'any'})"),
                caption=lines(*(styled(n, "dim") for n in report.notes)), wide=wide)
    for rec in report.recommendations:
        evidence = [f"{inst}: " + ", ".join(f"{k}={fmt(v) if isinstance(v, float) else plain(v)}"
                                            for k, v in values.items()) for inst, values in rec.evidence.items()]
        grid.row(rec.action.replace("_", " "), styled(rec.status.replace("_", " "), _COLOURS[rec.status]), rec.rule,
                 lines(*evidence, styled(rec.note, "dim") if rec.note else None) if evidence or rec.note else "-",
                 lines(*(f"{k}: {q}" for k, q in rec.queries.items())))
    return grid
