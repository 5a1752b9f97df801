"""``aiops config``: show the effective settings, write a starter file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from aiops.cli import complete, output
from aiops.cli.common import get_state, global_options

app = typer.Typer(no_args_is_help=True)


@app.command()
@global_options
def show(keys: Annotated[Optional[list[str]], typer.Argument(
        metavar="[KEY]...", help="only these settings (a key, or a prefix such as 'logs.')",
        show_default=False, autocompletion=complete.config_keys)] = None) -> None:
    """Print every effective setting, its value and where it came from (secrets masked).

    Examples:

    \b
      aiops config show --env prod
      aiops config show prometheus.url logs.
    """
    from aiops.core.config import settings_report

    render_rows = settings_report(get_state().config())
    if keys:
        render_rows["settings"] = _only(render_rows["settings"], keys)
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
    output.render({"schema": "aiops.config-init/v1", "path": str(written)},
                  table=lambda r: f"wrote {r['path']}")  # one message


def _table(report: dict, wide: bool = False):
    """key | value | source; -o wide adds the environment variable."""
    from aiops.cli.tables import Column, Grid, heading, lines, styled

    files = ", ".join(report["files"]) or "none"
    longest = max((len(line) for r in report["settings"] for line in _lines(r["value"])), default=8)
    grid = Grid(Column("key", "id"), Column("value", min_width=min(longest, 40)), Column("source", min_width=10),
                Column("env var", "id", wide=True),
                title=heading(("aiops configuration", "bold"), f" (environment: {report['env'] or 'none'}; "
                              f"files: {files})"), wide=wide)
    for row in report["settings"]:
        value = row["value"]
        value = styled("-", "dim") if value in (None, "", []) else lines(*value) if isinstance(value, list) else value
        source = "env" if row["source"] == f"env {row.get('env_var')}" and not wide else row["source"]
        grid.row(row["key"], value, source, row.get("env_var"))
    return grid


def _only(rows: list[dict], keys: list[str]) -> list[dict]:
    """The settings named by ``keys`` (exact keys, or prefixes); exit 2 for one that names none."""
    from aiops.core.errors import UsageError

    chosen = []
    for key in keys:
        hits = [r for r in rows if r["key"] == key or (key.endswith(".") and r["key"].startswith(key))]
        if not hits:
            from aiops.cli.usage import did_you_mean

            raise UsageError(f"no setting '{key}'", hint=did_you_mean(key, [r["key"] for r in rows],
                                                                      "'aiops config show' lists every setting"))
        chosen += [r for r in hits if r not in chosen]
    return chosen


def _lines(value) -> list[str]:
    from aiops.cli.tables import plain

    return [plain(v) for v in value] if isinstance(value, list) else [plain(value)]
