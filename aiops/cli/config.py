"""``aiops config``: show the effective settings, write a starter file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from aiops.cli import output
from aiops.cli.common import get_state, global_options

app = typer.Typer(no_args_is_help=True)


@app.command()
@global_options
def show() -> None:
    """Print every effective setting, its value and where it came from (secrets masked).

    Example:

    \b
      aiops config show --env prod
    """
    from aiops.core.config import settings_report

    render_rows = settings_report(get_state().config())
    output.render(render_rows, table=_table)


@app.command()
@global_options
def init(
    path: Annotated[Optional[Path], typer.Option(
        "--path", help="where to write [default: the user config file]")] = None,
    local: Annotated[bool, typer.Option("--local", help="write ./aiops.toml instead")] = False,
) -> None:
    """Write a commented starter config file; never overwrites an existing one.

    Example:

    \b
      aiops config init --local
    """
    from aiops.core.config import init_file

    written = init_file(path or (Path("aiops.toml") if local else None))
    output.info(f"wrote {written}")
    output.render({"schema": "aiops.config-init/v1", "path": str(written)},
                  table=lambda r: f"Wrote {r['path']}")


def _table(report: dict):
    from rich.table import Table

    table = Table(title=f"aiops configuration (environment: {report['env'] or 'none'})")
    for column in ("key", "value", "source"):
        table.add_column(column)
    for row in report["settings"]:
        table.add_row(row["key"], "" if row["value"] is None else str(row["value"]), row["source"])
    return table
