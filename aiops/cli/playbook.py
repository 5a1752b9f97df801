"""``aiops playbook``: list, show, validate and run the runbook's playbooks."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from aiops.cli import complete, output
from aiops.cli.common import DryRunOpt, TargetOpt, TimeoutOpt, get_state, global_options

app = typer.Typer(no_args_is_help=True)

NameArg = Annotated[str, typer.Argument(metavar="NAME", help="playbook name (or a playbook file)",
                                        show_default=False, autocompletion=complete.playbooks)]


def _library():
    from aiops.playbooks import load_library

    return load_library(get_state().config().get("playbooks.dir"))


@app.command("list")
@global_options
def list_() -> None:
    """Every playbook: the alerts it answers, its severity and steps.

    Example:

    \b
      aiops playbook list
    """
    output.render(_library(), table=list_table, wide=True)


@app.command()
@global_options
def show(name: NameArg) -> None:
    """One playbook's steps: action, parameters and expectation, or the manual instruction.

    Example:

    \b
      aiops playbook show memory-leak
    """
    output.render(_resolve(name), table=show_table, wide=True)


@app.command()
@global_options
def validate(files: Annotated[Optional[list[str]], typer.Argument(
        metavar="[FILE]...", help="playbook files [default: every shipped and configured one]",
        show_default=False)] = None) -> None:
    """Check playbook files; every problem names its file, line and field. Exit 2 when any is invalid.

    Examples:

    \b
      aiops playbook validate
      aiops playbook validate my-playbook.yaml
    """
    from aiops.playbooks import validate_files

    report = validate_files(files, get_state().config().get("playbooks.dir"))
    output.render(report, table=validate_table)
    for f in report.files:
        for problem in f.problems:
            output.error(str(problem))
    raise typer.Exit(report.exit_code())


@app.command()
@global_options
def run(name: NameArg, target: TargetOpt = None,
        incident: Annotated[Optional[str], typer.Option(
            "--incident", "-i", metavar="ID", help="PagerDuty incident for incident.note steps")] = None,
        dry_run: DryRunOpt = False, timeout: TimeoutOpt = None) -> None:
    """Run a playbook's automated steps in order and list its manual ones.

    Each step reports its result and evidence. Exit 3 when a step's expectation fails, the
    failing step's code (e.g. 5) when one could not run, 2 for an unknown playbook.

    Examples:

    \b
      aiops playbook run memory-leak --target http://127.0.0.1:8000
      aiops playbook run high-error-rate --dry-run
    """
    from aiops.playbooks.steps import Context, run_playbook

    cfg = get_state().config(timeout=timeout)
    playbook = _resolve(name)
    targets = list(target or cfg.get("targets") or [])
    ctx = Context(cfg, targets, float(cfg.get("timeout")), incident=incident)
    with output.progress(f"playbook {playbook.name}", total=len(playbook.steps)) as advance:
        result = run_playbook(playbook, ctx, dry_run=dry_run, progress=advance)
    if incident and not dry_run:
        from aiops.playbooks.steps.incident import record

        warning = record(cfg, "playbook", incident, result.status, playbook=playbook.name)
        if warning:
            output.warn(warning)
    from aiops.cli.triage import steps_table

    output.render(result, table=steps_table, wide=True)
    raise typer.Exit(0 if dry_run else result.exit_code())


def _resolve(name: str):
    """A playbook by name, or from a file when NAME is a path to one."""
    from pathlib import Path

    if name.endswith((".yaml", ".yml")) and Path(name).is_file():
        from aiops.playbooks import load_file

        return load_file(name)
    return _library().get(name)


def list_table(library, wide: bool = False):
    """name | kind | severity | alerts | steps | title (* marks one not shipped with aiops)."""
    from aiops.cli.tables import Column, Grid, heading, lines

    custom = any(not p.shipped for p in library.playbooks)
    grid = Grid(Column("name", "id"), Column("kind", "word"), Column("severity", "word"), Column("alerts", "id"),
                Column("steps", "text", min_width=9, wide=True), Column("title"),
                title=heading((f"{len(library.playbooks)} playbook(s)", "bold")),
                caption="* your own (playbooks.dir)" if custom else None, wide=wide)
    for p in library.playbooks:
        automated = sum(s.automated for s in p.steps)
        grid.row(p.name + ("" if p.shipped else " *"), p.kind, p.severity, lines(*p.alerts) if p.alerts else "-",
                 f"{automated} automated, {len(p.steps) - automated} manual", p.title)
    return grid


def show_table(playbook, wide: bool = False):
    """One playbook: its steps, each with its action, parameters and expectation or instruction."""
    from aiops.cli.tables import Column, Grid, group, heading, lines, plain, styled

    head = heading((f"{playbook.name}: {playbook.title}", "bold"),
                   f" ({playbook.kind}, {playbook.severity}; alerts: {', '.join(playbook.alerts) or '-'}; "
                   f"signals: {', '.join(s.name for s in playbook.signals) or '-'})")
    grid = Grid(Column("#", "num"), Column("step", min_width=14), Column("action", "id"),
                Column("with", wide=True), Column("expect / instruction", min_width=24), wide=wide)
    for s in playbook.steps:
        params = ", ".join(f"{k}={plain(v)}" for k, v in s.params.items())
        detail = lines(*(c.text for c in s.expect)) if s.automated else (s.manual or "")
        grid.row(s.number, s.name, s.action or "manual", params, detail)
    return group(head, styled(playbook.summary, "dim") if playbook.summary else None, grid)


def validate_table(report):
    """file | playbook | valid, or how many problems (each is on stderr with its line)."""
    from aiops.cli.tables import Column, Grid, heading, styled

    d = report.to_dict()
    grid = Grid(Column("file"), Column("playbook", "id"), Column("result", "word"),
                title=heading((f"{d['valid']} valid, {d['invalid']} invalid", "bold")))
    for f in report.files:
        grid.row(f.file, f.name or "-", styled("valid", "green") if f.ok else styled(f"{len(f.problems)} problem(s)", "red"))
    return grid
