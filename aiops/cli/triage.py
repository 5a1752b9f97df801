"""``aiops triage``: from an alert (or nothing) to what is wrong and what to do next."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from aiops.cli import output
from aiops.cli.common import TargetOpt, TimeoutOpt, get_state, global_options

AlertOpt = Annotated[Optional[str], typer.Option(
    "--alert", "-a", metavar="NAME", help="the alert to answer, e.g. MemoryLeak (chooses the playbook)")]
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
    output.render(report, table=triage_table, markdown=to_markdown)
    _warn(report)
    raise typer.Exit(report.exit_code())


def _warn(report) -> None:
    for message in report.warnings:
        output.warn(message)
    if report.note and not report.note["posted"]:
        output.warn(f"note not posted to incident {report.note['incident']}: {report.note['reason']}")


_COLOURS = {"critical": "red", "warning": "yellow", "info": "cyan", "ok": "green", "unknown": "dim",
            "passed": "green", "failed": "red", "error": "magenta", "skipped": "dim", "manual": "blue",
            "planned": "default"}


def triage_table(report):
    """Verdict line, findings (with evidence), playbook steps and next steps."""
    from rich.console import Group
    from rich.markup import escape
    from rich.table import Table
    from rich.text import Text

    colour = _COLOURS[report.verdict]
    head = [Text.from_markup(f"[bold {colour}]{report.verdict.upper()}[/] {escape(report.summary)}")]
    choice = report.choice
    head.append(Text(f"targets: {', '.join(report.targets) or 'none'}; metrics from "
                     f"{report.metrics_source or '-'}; {report.duration_ms / 1000:.1f}s"
                     + (f"; playbook {choice.playbook.name} ({choice.by}: {choice.reason})"
                        if choice.playbook else ""), style="dim"))
    if report.p1_clock is not None:
        from aiops.incidents.clock import describe

        head.append(Text("P1 clock: " + "; ".join(f"{m.name} {describe(m)}"
                                                  for m in report.p1_clock.milestones)))
    findings = Table(title="Findings", title_justify="left", show_lines=True)
    for name in ("#", "severity", "finding", "source"):
        findings.add_column(name, overflow="fold")
    for i, f in enumerate(report.findings, 1):
        tag = f.severity if f.status == "problem" else f.status
        body = escape(f.title) + "".join(f"\n[dim]{escape(e)}[/]" for e in f.evidence[:4])
        findings.add_row(str(i), f"[{_COLOURS.get(tag, 'dim')}]{tag}[/]", body, escape(f.source))
    parts = [*head, findings]
    if report.run:
        parts.append(steps_table(report.run))
    if report.next_steps:
        parts.append(Text("Next steps:\n" + "\n".join(f"  {i}. {s}" for i, s in enumerate(report.next_steps, 1))))
    return Group(*parts)


def steps_table(run):
    """One row per playbook step: status, and its result, evidence or instruction."""
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"Playbook {run.playbook}: {run.title} ({run.status})", title_justify="left")
    for name in ("#", "step", "action", "status", "result"):
        table.add_column(name, overflow="fold")
    for s in run.steps:
        lines = [s.reason] if s.reason else []
        lines += s.evidence[:4] if s.status != "manual" else [s.manual or ""]
        if s.status == "planned":
            lines = [f"with {s.params}" if s.params else ""] + [c["condition"] for c in s.checks]
        table.add_row(str(s.number), escape(s.name), s.action or "manual",
                      f"[{_COLOURS.get(s.status, 'default')}]{s.status}[/]", escape("\n".join(l for l in lines if l)))
    return table
