"""``aiops drill``: fire drills with a known truth, scored."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from aiops.cli import output
from aiops.cli.common import get_state, global_options

app = typer.Typer(no_args_is_help=True)
PLAYBOOK_WIDTH = 18  # the longest shipped playbook name: never broken across lines


@app.command()
@global_options
def run(
    paths: Annotated[Optional[list[str]], typer.Argument(
        metavar="FILE|DIR...", help="scenario files or directories [default: the built-in corpus]",
        show_default=False)] = None,
    speed: Annotated[float, typer.Option(
        "--speed", metavar="FACTOR", help="compress time: rules' windows and for, scrape and evaluation "
        "intervals and the scenarios' times divided by FACTOR (1 = the real rules)")] = 60.0,
    jobs: Annotated[int, typer.Option("--jobs", "-j", metavar="N", min=1, max=32,
                                      help="scenarios at once, each on its own stack")] = 4,
    keep: Annotated[Optional[str], typer.Option(
        "--keep", metavar="DIR", help="keep every scenario's stack state, logs and post-mortem in DIR")] = None,
    timeout: Annotated[Optional[float], typer.Option(
        "--timeout", metavar="SECONDS", help="triage's time budget in each scenario [default: 30]")] = None,
) -> None:
    """Run drill scenarios: inject faults and noise, wait for the alerts, triage, draft the
    post-mortem, score. Exit 3 when any expectation fails; 2 for an invalid scenario (file,
    line and field named) or a missing Prometheus/Alertmanager.

    Each scenario gets its own lab instances, Prometheus, Alertmanager and PagerDuty sandbox
    (see `aiops lab stack`). The report gives, per scenario, the alerts fired and their
    detection time (fault start to firing, wall-clock seconds at this speed), the verdict, the
    playbook and the instance triage named; and totals: playbook and instance accuracy, false
    critical verdicts on noise-only scenarios, median detection time.

    Examples:

    \b
      aiops drill run
      aiops drill run my-scenarios/ --speed 30 -o json
      aiops drill run leak.yaml --speed 1 --jobs 1
    """
    from aiops.drills.runner import run_drills
    from aiops.drills.scenario import collect

    state = get_state()
    scenarios = collect(list(paths or []))
    say = None if state.quiet else (lambda m: output.info(f"drill: {m}"))
    if say:
        say(f"{len(scenarios)} scenario(s) at speed {speed:g}, {jobs} at a time")
    report = run_drills(scenarios, speed=speed, jobs=jobs, workdir=keep, keep=bool(keep), progress=say,
                        timeout=timeout)
    output.render(report, table=report_table)
    raise typer.Exit(report.exit_code())


@app.command("list")
@global_options
def list_(paths: Annotated[Optional[list[str]], typer.Argument(
        metavar="FILE|DIR...", help="scenario files or directories [default: the built-in corpus]",
        show_default=False)] = None) -> None:
    """Validate scenarios and list them with what each expects (exit 2 naming file, line and
    field when one is invalid).

    Example:

    \b
      aiops drill list
    """
    from aiops.drills.scenario import collect, summary

    output.render(summary(collect(list(paths or []))), table=list_table)


def _expected(e: dict) -> str:
    """``playbook #instance`` (or the verdicts wanted when no playbook is expected)."""
    if not e.get("playbook") and not e.get("instance"):
        return "not critical" if "critical" not in e["verdicts"] else "/".join(e["verdicts"])
    inst = f" #{e['instance']}" if e.get("instance") else ""
    return f"{e.get('playbook') or '-'}{inst}"


def _table(title: str):
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    return Table(title=escape(title), title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False,
                 collapse_padding=True)


def report_table(report):
    """Scenario, expected, got, detection time, result; the totals as the caption."""
    from rich.markup import escape

    from rich.console import Group
    from rich.text import Text

    totals = report.totals()
    table = _table(f"drill at speed {report.speed:g}: {totals['passed']} of {totals['scenarios']} passed")
    table.add_column("scenario", no_wrap=True, overflow="ellipsis", max_width=24)
    table.add_column("expected", min_width=PLAYBOOK_WIDTH)
    table.add_column("got", min_width=PLAYBOOK_WIDTH)
    table.add_column("detect", justify="right", no_wrap=True, min_width=6)
    table.add_column("ok", no_wrap=True, min_width=3)
    for r in report.results:
        got = "error" if r.error else f"{r.playbook or '-'}{f' #{r.instance}' if r.instance else ''} {r.verdict}"
        detect = "-" if r.detection_seconds is None else f"{r.detection_seconds:.1f}s"
        table.add_row(escape(r.name), escape(_expected(r.expected)), escape(got), detect,
                      "yes" if r.passed else "[red]NO[/]")
    return Group(table, Text(_caption(totals)))


def _caption(t: dict) -> str:
    pct = lambda v: "-" if v is None else f"{v * 100:.0f}%"  # noqa: E731
    median = "-" if t["median_detection_seconds"] is None else f"{t['median_detection_seconds']:.1f}s"
    return (f"playbook right {pct(t['playbook_accuracy'])}, instance right {pct(t['instance_accuracy'])}, "
            f"false critical on noise {t['false_critical_on_noise']}, false alarms {t['false_alarms']}, "
            f"median detection {median}")


def list_table(rows):
    from rich.markup import escape

    table = _table(f"{len(rows['scenarios'])} scenario(s)")
    table.add_column("scenario", no_wrap=True, overflow="ellipsis", max_width=24)
    table.add_column("n", no_wrap=True, justify="right")
    table.add_column("faults@instance", min_width=16)
    table.add_column("expected", min_width=PLAYBOOK_WIDTH)
    for s in rows["scenarios"]:
        events = ", ".join(f"{e['fault']}@{e['instance']}" for e in s["events"])
        table.add_row(escape(s["name"]), str(s["instances"]), escape(events), escape(_expected(s["expected"])))
    return table
