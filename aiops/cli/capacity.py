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
    output.render(report, table=capacity_table)
    raise typer.Exit(report.exit_code())


def capacity_table(report):
    """action | status | rule | instance evidence."""
    from rich.markup import escape
    from rich.table import Table

    from aiops.cli.prom import fmt

    table = Table(title=f"capacity at {report.prometheus_url} (job {report.job or 'any'})",
                  title_justify="left", caption="; ".join(report.notes), caption_justify="left")
    for name in ("action", "status", "rule", "evidence"):
        table.add_column(name, overflow="fold")
    for rec in report.recommendations:
        lines = [f"{escape(inst)}: " + ", ".join(
            f"{k}={fmt(v) if isinstance(v, float) else v}" for k, v in values.items())
            for inst, values in rec.evidence.items()]
        if rec.note:
            lines.append(f"[dim]{escape(rec.note)}[/]")
        colour = _COLOURS[rec.status]
        table.add_row(rec.action.replace("_", " "), f"[{colour}]{rec.status.replace('_', ' ')}[/]", rec.rule, "\n".join(lines) or "-")
    return table
