"""``aiops triage``: from an alert (or nothing) to what is wrong and what to do next."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from aiops.cli import complete, output
from aiops.cli.common import TargetOpt, TimeoutOpt, get_state, global_options

AlertOpt = Annotated[Optional[str], typer.Option(
    "--alert", "-a", metavar="NAME", autocompletion=complete.alerts, help="the alert to answer, e.g. MemoryLeak (chooses the playbook)")]
IncidentOpt = Annotated[Optional[str], typer.Option(
    "--incident", "-i", metavar="ID", help="PagerDuty incident (ID or number): its alert chooses the "
    "playbook; the report shows its P1 clock")]
NoteOpt = Annotated[bool, typer.Option("--note", help="post the report to the incident as a note")]
LogsSinceOpt = Annotated[str, typer.Option(
    "--since", metavar="DURATION", help="how far back to read error logs, e.g. 15m, 1h")]
SourceOpt = Annotated[str, typer.Option(
    "--source", metavar="SOURCE", help="metrics from prometheus, scrape (the targets' /metrics) or "
    "auto (scrape when Prometheus does not answer)")]


@global_options
def triage(alert: AlertOpt = None, incident: IncidentOpt = None, target: TargetOpt = None,
           since: LogsSinceOpt = "15m", source: SourceOpt = "auto", note: NoteOpt = False,
           timeout: TimeoutOpt = None) -> None:
    """Check health, metrics, alerts and logs at once, run the matching playbook, say what is wrong.

    The playbook comes from --alert, else from the incident's alert, else from the most severe
    firing alert, else from what the checks find. A source that cannot be read is reported as
    unavailable and the rest still count; everything finishes within --timeout. Exit 0 when the
    verdict is ok, 3 when it is warning or critical, 2 for an unknown alert.

    Examples:

    \b
      aiops triage --target http://127.0.0.1:8000
      aiops triage --alert MemoryLeak --env prod
      aiops triage --incident 1234 --note -o markdown
    """
    from aiops.triage import to_markdown
    from aiops.triage import triage as run

    state = get_state()
    cfg = state.config(timeout=timeout)
    report = run(cfg, alert=alert, incident=incident, targets=target or None, since=since,
                 metrics_source=source, note=note, progress=output.info if state.verbose else None)
    output.render(report, table=triage_table, markdown=to_markdown, wide=True)
    _warn(report)
    raise typer.Exit(report.exit_code())


def _warn(report) -> None:
    for message in report.warnings:
        output.warn(message)
    if report.note and not report.note["posted"]:
        output.warn(f"note not posted to incident {report.note['incident']}: {report.note['reason']}")


_COLOURS = {"critical": "red", "warning": "yellow", "info": "cyan", "ok": "green", "unknown": "dim",
            "passed": "green", "failed": "red", "error": "magenta", "skipped": "dim", "manual": "blue",
            "planned": "default", "unavailable": "dim"}
EVIDENCE_SHOWN = 4  # evidence lines per finding in the table (-o wide, json and markdown have all)


def triage_table(report, wide: bool = False):
    """Verdict line, findings (one per problem, with its evidence), playbook steps, next steps."""
    from aiops.cli.tables import Column, Grid, group, heading, lines, styled
    from aiops.triage.report import took

    colour = _COLOURS[report.verdict]
    head = [heading((report.verdict.upper(), f"bold {colour}"), " ", report.summary.split(": ", 1)[-1])]
    choice = report.choice
    targets = ", ".join(report.targets) if len(report.targets) <= 2 else f"{len(report.targets)} targets"
    context = (f"{targets if len(report.targets) > 2 else 'targets: ' + (targets or 'none')}; metrics from {report.metrics_source or '-'}; "
               f"{took(report.duration_ms)}" + (f"; playbook {choice.playbook.name} ({choice.by}: {choice.reason})"
                                                 if choice.playbook else ""))
    head.append(styled(context, "dim"))
    if report.p1_clock is not None:
        from aiops.incidents.clock import describe

        head.append(heading("P1 clock: " + "; ".join(f"{m.name} {describe(m)}" for m in report.p1_clock.milestones)))
    findings = Grid(Column("#", "num"), Column("severity", "word"), Column("finding", min_width=30),
                    Column("source", "id"), title=heading(("Findings", "bold")),
                    separate_rows=True, wide=wide)
    for i, f in enumerate(report.findings, 1):
        tag = f.severity if f.status == "problem" else f.status
        shown = f.evidence if wide else f.evidence[:EVIDENCE_SHOWN]
        more = len(f.evidence) - len(shown)
        body = lines(f.title, *(styled(e, "dim") for e in shown),
                     styled(f"(+{more} more: -o wide)", "dim") if more else None)
        # a source names a playbook step (playbook:memory-leak#5): one per line, never broken
        findings.row(i, styled(tag, _COLOURS.get(tag, "dim")), body, "\n".join(f.sources or [f.source]))
    if not report.findings:
        findings = heading(("Findings: ", "bold"), "none: every source that answered looks healthy")
    parts = [*head, heading(), findings]
    if report.run:
        parts += [heading(), steps_table(report.run, wide=wide)]
    if report.next_steps:
        parts += [heading(), heading(("Next steps", "bold")),
                  lines(*(f"{i}. {s}" for i, s in enumerate(report.next_steps, 1)))]
    return group(*parts)


def _params(params: dict) -> str:
    from aiops.cli.tables import plain

    return ", ".join(f"{k}={plain(v)}" for k, v in params.items())


def steps_table(run, wide: bool = False):
    """One row per playbook step: its status and result (the reason, or the instruction); a dry
    run says what each step would do. -o wide adds the action and the evidence."""
    from aiops.cli.tables import Column, Grid, heading, lines, styled

    status = "dry run: nothing ran" if run.dry_run else run.status
    grid = Grid(Column("#", "num"), Column("step", min_width=14), Column("action", "id", wide=True),
                Column("status", "word"), Column("result", min_width=24),
                title=heading((f"Playbook {run.playbook}", "bold"), f": {run.title} ",
                              (f"({status})", _COLOURS.get(run.status if not run.dry_run else "planned", ""))),
                wide=wide)
    for s in run.steps:
        if s.status == "planned":
            result = lines(f"with {_params(s.params)}" if s.params else None,
                           *(f"expect {c['condition']}" for c in s.checks))
        elif s.status == "manual":
            result = s.manual or ""
        else:
            evidence = s.evidence if wide else s.evidence[:1] if not s.reason else []
            result = lines(s.reason, *(styled(e, "dim") for e in evidence))
        grid.row(s.number, s.name, s.action or "manual", styled(s.status, _COLOURS.get(s.status, "")), result)
    return grid
