"""``aiops drill``: fire drills with a known truth, scored."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from aiops.cli import output
from aiops.cli.common import get_state, global_options

app = typer.Typer(no_args_is_help=True)


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


def report_table(report):
    """Scenario, result, detection time, what was expected and what triage found; the totals
    below. Scenario names are identifiers: never cut (their column takes the longest's width)."""
    from aiops.cli.tables import Column, Grid, group, heading, styled

    totals = report.totals()
    grid = Grid(Column("scenario", "id"), Column("ok", "word"), Column("detect", "num"),
                Column("expected, got"),
                title=heading((f"drill at speed {report.speed:g}", "bold"),
                              f": {totals['passed']} of {totals['scenarios']} passed"))
    for r in report.results:
        got = "error" if r.error else f"{r.playbook or '-'}{f' #{r.instance}' if r.instance else ''} {r.verdict}"
        detect = "-" if r.detection_seconds is None else f"{r.detection_seconds:.1f}s"
        grid.row(r.name, "yes" if r.passed else styled("NO", "red"), detect,
                 f"expected {_expected(r.expected)}\ngot {got}")
    return group(grid, heading(_caption(totals)))


def _caption(t: dict) -> str:
    pct = lambda v: "-" if v is None else f"{v * 100:.0f}%"  # noqa: E731
    median = "-" if t["median_detection_seconds"] is None else f"{t['median_detection_seconds']:.1f}s"
    return (f"playbook right {pct(t['playbook_accuracy'])}, instance right {pct(t['instance_accuracy'])}, "
            f"false critical on noise {t['false_critical_on_noise']}, false alarms {t['false_alarms']}, "
            f"median detection {median}")


def list_table(rows):
    from aiops.cli.tables import Column, Grid, heading

    grid = Grid(Column("scenario", "id"), Column("n", "num"), Column("faults@instance", min_width=16),
                Column("expected", "id"),
                title=heading((f"{len(rows['scenarios'])} scenario(s)", "bold")))
    for s in rows["scenarios"]:
        events = ", ".join(f"{e['fault']}@{e['instance']}" for e in s["events"])
        grid.row(s["name"], s["instances"], events, _expected(s["expected"]))
    return grid