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
    output.render(render_rows, table=_table, wide=True)


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
    output.render({"path": str(written)}, table=lambda r: f"wrote {r['path']}")  # one message


def _table(report: dict, wide: bool = False):
    """key | value | source; -o wide adds the environment variable."""
    from aiops.cli.tables import Column, Grid, heading, styled

    files = ", ".join(report["files"]) or "none"
    grid = Grid(Column("key", "id"), Column("value"), Column("source", "text", min_width=10),
                Column("env var", "id", wide=True),
                title=heading(("aiops configuration", "bold"), f" (environment: {report['env'] or 'none'}; "
                              f"files: {files})"), wide=wide)
    for row in report["settings"]:
        value = styled("-", "dim") if row["value"] in (None, "", []) else row["value"]
        grid.row(row["key"], value, row["source"], row.get("env_var"))
    return grid
