"""``aiops dashboards``: the runbook's dashboards as Grafana JSON, and their offline check."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from aiops.cli import output
from aiops.cli.common import ForceOpt, global_options

app = typer.Typer(no_args_is_help=True)

DEFAULT_DIR = "dashboards"


@app.command()
@global_options
def export(out: Annotated[str, typer.Option(
               "--out", metavar="DIR", help="directory for the JSON files")] = DEFAULT_DIR,
           datasource: Annotated[Optional[str], typer.Option(
               "--datasource", metavar="UID", help="default Prometheus data source UID of the "
               "${datasource} variable [default: Grafana's default Prometheus]")] = None,
           force: ForceOpt = False) -> None:
    """Write the Main, Performance and Infrastructure dashboards as Grafana JSON.

    One file per dashboard (aiops-main.json, aiops-performance.json,
    aiops-infrastructure.json), built with grafana-foundation-sdk: a ${datasource} variable,
    a job variable, stable UIDs, units, the runbook's thresholds, descriptions, links to the
    runbook's alerts and an annotation layer of the alerts firing. The same catalog gives the
    same bytes on every run. Existing files are kept unless --force (exit 2).

    Examples:

    \b
      aiops dashboards export
      aiops dashboards export --out grafana/provisioning/dashboards --datasource prometheus-prod --force
    """
    from aiops.dashboards.grafana import export as write

    result = write(out, datasource_uid=datasource, force=force)
    output.info(f"wrote {len(result.files)} dashboards to {result.out_dir}")
    output.render(result, table=export_table)


@app.command()
@global_options
def validate(directory: Annotated[str, typer.Argument(
                 metavar="[DIR]", help="directory of dashboard JSON files")] = DEFAULT_DIR) -> None:
    """Check dashboard JSON files offline: SDK round trip, PromQL, units, thresholds.

    Each file must read back unchanged through grafana-foundation-sdk's dashboard model,
    every target's PromQL must parse (promql-parser), every unit must be a real Grafana unit
    ID. Exit 3 naming the file and panel of each problem.

    Examples:

    \b
      aiops dashboards validate
      aiops dashboards validate grafana/provisioning/dashboards -o json
    """
    from aiops.dashboards.validate import validate_dir

    result = validate_dir(directory)
    output.render(result, table=validation_table)
    for problem in result.problems:
        output.error(str(problem))
    raise typer.Exit(result.exit_code())


def export_table(result):
    """dashboard | uid | panels | file (in the directory the title names)."""
    from pathlib import Path

    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"{len(result.files)} dashboards written to {escape(result.out_dir)} "
                        f"({result.duration_ms:.0f} ms)", title_justify="left")
    for name in ("dashboard", "uid", "panels", "file"):
        table.add_column(name, justify="right" if name == "panels" else "left", no_wrap=True)
    for f in result.files:
        table.add_row(escape(f.dashboard), escape(f.uid), str(f.panels), escape(Path(f.path).name))
    return table


def validation_table(result):
    """file | uid | panels | queries | verdict."""
    from rich.markup import escape
    from rich.table import Table

    verdict = "OK" if result.ok else f"{len(result.problems)} PROBLEM(S)"
    table = Table(title=f"{verdict}: {len(result.files)} file(s) in {escape(result.directory)}",
                  title_justify="left")
    for name in ("file", "uid", "panels", "queries", "problems"):
        table.add_column(name, justify="right" if name in ("panels", "queries", "problems") else "left",
                         no_wrap=name != "file", overflow="fold")
    for f in result.files:
        count = sum(1 for p in result.problems if p.file == f.file)
        table.add_row(escape(f.file), escape(f.uid or "-"), str(f.panels), str(f.queries),
                      f"[red]{count}[/]" if count else "[green]0[/]")
    return table
