"""``aiops lab stack up|status|down``: the local incident stack in one command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from aiops.cli import output
from aiops.cli.common import get_state, global_options

app = typer.Typer(no_args_is_help=True)

StateDirOpt = Annotated[str, typer.Option(
    "--state-dir", "-d", metavar="DIR", help="where the configs, logs and stack.json live")]
DEFAULT_DIR = "aiops-lab"


@app.command()
@global_options
def up(state_dir: StateDirOpt = DEFAULT_DIR,
       instances: Annotated[int, typer.Option("--instances", "-n", metavar="N", min=1, max=20,
                                              help="lab instances (job active-inference)")] = 1,
       speed: Annotated[float, typer.Option(
           "--speed", metavar="FACTOR", help="compress the rules' windows, for and the intervals by "
           "FACTOR (1 = the shipped rules unchanged)")] = 1.0,
       timeout: Annotated[float, typer.Option("--timeout", metavar="SECONDS",
                                              help="how long each component may take to start")] = 60.0) -> None:
    """Start N lab instances, Prometheus, Alertmanager and the PagerDuty sandbox.

    Prometheus scrapes the instances as job active-inference with the shipped rule file;
    Alertmanager routes every alert to the sandbox through its own PagerDuty receiver. The
    state directory gets every config, the logs and aiops.toml with the environment `lab`;
    ./aiops.toml is written too when there is none. Needs the Debian packages prometheus and
    prometheus-alertmanager (exit 2 naming the one missing).

    Examples:

    \b
      aiops lab stack up --instances 3
      aiops --env lab alerts list
      aiops lab stack up --speed 60 -d /tmp/drill-stack
    """
    from aiops.lab.stack import up as start

    say = None if get_state().quiet else (lambda m: output.info(f"stack: {m}"))
    stack = start(state_dir, instances=instances, speed=speed, timeout=timeout,
                  cwd_config=Path("aiops.toml"), progress=say)
    output.render(stack, table=stack_table)
    if stack.cwd_config:
        output.info(f"wrote {stack.cwd_config['path']}: try 'aiops --env lab alerts list'")
    else:
        output.info(f"./aiops.toml exists and was left alone: use 'aiops --config {stack.config_file} "
                    "--env lab ...' (or AIOPS_CONFIG)")


@app.command()
@global_options
def status(state_dir: StateDirOpt = DEFAULT_DIR) -> None:
    """Show what the stack runs where; exit 3 when a component is not running.

    Example:

    \b
      aiops lab stack status -o json
    """
    from aiops.lab.stack import status as read

    stack = read(state_dir)
    output.render(stack, table=stack_table)
    raise typer.Exit(stack.exit_code())


@app.command()
@global_options
def down(state_dir: StateDirOpt = DEFAULT_DIR,
         timeout: Annotated[float, typer.Option("--timeout", metavar="SECONDS",
                                                help="wait this long before SIGKILL")] = 10.0) -> None:
    """Stop everything the stack started, and nothing else (logs and configs stay).

    Example:

    \b
      aiops lab stack down
    """
    from aiops.lab.stack import down as stop

    output.render(stop(state_dir, timeout=timeout), table=down_table)


def stack_table(stack):
    """One row per component: name, PID, URL, running."""
    from rich.markup import escape
    from rich.table import Table

    t = stack.timing
    title = f"lab stack in {stack.state_dir} (speed {t.speed:g}, environment lab)"
    table = Table(title=escape(title), title_justify="left")
    for name in ("component", "pid", "url", "running"):
        table.add_column(name, no_wrap=name != "url", overflow="fold")
    for p in stack.procs:
        running = stack.running.get(p.name)
        table.add_row(escape(p.name), str(p.pid), escape(p.url),
                      "-" if running is None else "yes" if running else "[red]no[/]")
    return table


def down_table(report):
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=escape(f"lab stack in {report.state_dir}: stopped"), title_justify="left")
    for name in ("component", "pid", "outcome"):
        table.add_column(name, no_wrap=True)
    for row in report.stopped:
        table.add_row(escape(row["name"]), str(row["pid"]), escape(row["outcome"]))
    return table
