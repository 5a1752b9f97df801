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
    output.render(result, table=validation_table, wide=True)
    for problem in result.problems:
        output.error(str(problem))
    raise typer.Exit(result.exit_code())


def export_table(result):
    """dashboard | uid | panels | file (in the directory the title names)."""
    from pathlib import Path

    from aiops.cli.tables import Column, Grid, heading

    grid = Grid(Column("dashboard", "id"), Column("uid", "id"), Column("panels", "num"), Column("file", "id"),
                title=heading(f"{len(result.files)} dashboards written to {result.out_dir} "
                              f"({result.duration_ms:.0f} ms)"))
    for f in result.files:
        grid.row(f.dashboard, f.uid, str(f.panels), Path(f.path).name)
    return grid


def validation_table(result, wide: bool = False):
    """file | uid | panels | queries | problems (uid the first to go on a narrow terminal)."""
    from aiops.cli.tables import Column, Grid, heading, styled

    verdict = ("OK", "bold green") if result.ok else (f"{len(result.problems)} PROBLEM(S)", "bold red")
    grid = Grid(Column("file", "id"), Column("uid", "id", optional=True), Column("panels", "num"),
                Column("queries", "num"), Column("problems", "num"),
                title=heading(verdict, f": {len(result.files)} file(s) in {result.directory}"), wide=wide)
    for f in result.files:
        count = sum(1 for p in result.problems if p.file == f.file)
        grid.row(f.file, f.uid or "-", str(f.panels), str(f.queries), styled(str(count), "red" if count else "green"))
    return grid