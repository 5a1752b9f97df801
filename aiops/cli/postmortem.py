"""``aiops postmortem``: draft a post-mortem from what aiops saw; check what is left to write."""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from aiops.cli import output
from aiops.cli.common import ForceOpt, SinceOpt, TimeoutOpt, UntilOpt, get_state, global_options
from aiops.core.errors import UsageError

app = typer.Typer(no_args_is_help=True)

IncidentOpt = Annotated[Optional[str], typer.Option(
    "--incident", "-i", metavar="ID", help="PagerDuty incident ID or number")]
OutOpt = Annotated[str, typer.Option("--out", metavar="DIR", help="directory to write into")]
TemplateOpt = Annotated[Optional[str], typer.Option(
    "--template", metavar="FILE", help="your own Jinja2 template [default: the shipped one]")]
RedactOpt = Annotated[bool, typer.Option(
    "--redact", help="remove user identifiers (user_id values, e-mail addresses) from log excerpts")]
TitleOpt = Annotated[Optional[str], typer.Option(
    "--title", metavar="TEXT", help="title [default: the incident's title]")]
AuthorOpt = Annotated[Optional[list[str]], typer.Option(
    "--author", metavar="NAME", help="author (repeatable) [default: pagerduty.from_email or $USER]")]
ChartsOpt = Annotated[Optional[bool], typer.Option(
    "--charts/--no-charts", help="PNG charts beside the document [default: when matplotlib is "
    "installed; else text sparklines]", show_default=False)]


def _actor(cfg: Any) -> str:
    import getpass

    try:
        return cfg.get("pagerduty.from_email") or getpass.getuser()
    except (KeyError, OSError):
        return "aiops"


def _window(incident: str | None, since: str | None, until: str | None) -> dict[str, Any]:
    from aiops.core.timewindow import parse_time, parse_window

    if incident is None and since is None:
        raise UsageError("give --incident ID, or a window with --since (and --until)")
    if incident is None:
        start, end = parse_window(since, until)
        return {"since": start, "until": end}
    start = parse_time(since, what="--since") if since else None
    end = parse_time(until, what="--until") if until else None
    if start and end and start >= end:
        raise UsageError("--since must be before --until")
    return {"since": start, "until": end}


@app.command(short_help="Draft a post-mortem with its timeline, P1 clock and key metrics.")
@global_options
def new(incident: IncidentOpt = None, since: SinceOpt = None, until: UntilOpt = None,
        out: OutOpt = ".", template: TemplateOpt = None, force: ForceOpt = False,
        redact: RedactOpt = False, title: TitleOpt = None, author: AuthorOpt = None,
        charts: ChartsOpt = None, timeout: TimeoutOpt = None) -> None:
    """Draft a post-mortem: facts, the P1 clock, a merged timeline, key metrics, charts.

    Reads the PagerDuty incident and its log, the audit log, Prometheus (ALERTS and the key
    metrics) and the logs; a source that cannot be read is written into the document as a
    gap (exit 0 with a warning). Writes <date>-incident-<n>.md into --out, never over an
    existing file without --force (exit 2). Unknown incident: exit 3.

    Examples:

    \b
      aiops postmortem new --incident 1234 --out postmortems/
      aiops postmortem new --since 2026-01-28T09:30Z --until 2026-01-28T11:00Z --title "Latency spike"
    """
    from aiops import postmortem
    from aiops.incidents.audit import AuditLog, default_path
    from aiops.postmortem.sources import from_config

    cfg = get_state().config(timeout=timeout)
    actor = _actor(cfg)
    audit = AuditLog(default_path(cfg.get("audit.path")), secrets=cfg.secrets()) if incident else None
    result = postmortem.new(from_config(cfg), incident_ref=incident, out_dir=out,
                            template=template, force=force, redact=redact, title=title,
                            authors=author or [actor], actor=actor, secrets=cfg.secrets(),
                            charts=charts, audit_log=audit, **_window(incident, since, until))
    for gap in result.draft.gaps:
        output.warn(f"{gap.source}: {gap.reason} (written into the document as a gap)")
    for message in result.warnings:
        output.warn(message)
    output.render(result, table=written_table)


@app.command(short_help="List what a post-mortem still lacks, each with its line.")
@global_options
def check(path: Annotated[str, typer.Argument(metavar="FILE", help="the post-mortem (Markdown)")]) -> None:
    """List what a post-mortem still lacks, each with its line: unfilled placeholders, missing
    sections, action items without owner or due date, and, in an incident post-mortem (not a
    window one), a timeline without the acknowledgement.

    Exit 0 when complete, 3 when anything is left, 2 when FILE cannot be read.

    Example:

    \b
      aiops postmortem check postmortems/2026-01-28-incident-1234.md
    """
    from aiops.postmortem import check_file

    report = check_file(path)
    output.render(report, table=check_table)
    raise typer.Exit(report.exit_code())


def written_table(result: Any) -> Any:
    """What was written, the clock verdict and the gaps."""
    from aiops.cli.tables import Column, Grid, heading, lines, styled

    d = result.draft
    grid = Grid(Column("what", "word"), Column("value"), title=heading(("wrote ", "bold"), result.path))
    severity = f"{d.severity} ({d.severity_basis})" if d.severity and d.severity_basis else d.severity
    for what, value in (("incident", d.incident_ref or "none (a window post-mortem)"),
                        ("severity", severity or "left for you to set"), ("timeline", f"{len(d.timeline)} events"),
                        ("clock", d.clock.verdict if d.clock is not None else "not computed"),
                        ("charts", lines(*result.charts) if result.charts else "none (sparklines)"),
                        ("to write", f"{result.placeholders} placeholder(s): aiops postmortem check {result.path}")):
        grid.row(what, value)
    for gap in d.gaps:
        grid.row(styled("gap", "yellow"), f"{gap.source}: {gap.reason}")
    return grid


def check_table(report: Any) -> Any:
    """line | section | problem, sorted by line."""
    from aiops.cli.tables import Column, Grid, heading, styled

    verdict = styled("complete", "green") if report.complete else \
        styled(f"{len(report.problems)} thing(s) left to write", "yellow")
    grid = Grid(Column("line", "num"), Column("section", min_width=12), Column("problem", min_width=30),
                title=heading((report.path, "bold"), f" ({report.kind} post-mortem): ", verdict))
    for p in report.problems:
        grid.row(p.line, p.section, p.message)
    return grid
