"""``aiops incident``: PagerDuty incidents from the terminal, safely, with an audit trail."""

from __future__ import annotations

import contextlib
import sys
from typing import Annotated, Any, Optional

import typer

from aiops.cli import output
from aiops.cli.common import DryRunOpt, SinceOpt, TimeoutOpt, UntilOpt, YesOpt, get_state, global_options
from aiops.cli.incident_render import (action_table, audit_table, audit_verify_table, detail_view,
                                      incidents_table, log_table, oncall_table)
from aiops.core.errors import INTERRUPTED, UsageError

app = typer.Typer(no_args_is_help=True)

RefsArg = Annotated[Optional[list[str]], typer.Argument(
    metavar="[INCIDENT]...", show_default=False,
    help="incident IDs or numbers (PABC123, 1234, #1234), or a unique prefix of an open incident's "
    "ID; '-' reads them from stdin")]
RefArg = Annotated[str, typer.Argument(metavar="INCIDENT", help="incident ID, a unique prefix of an open "
                                       "incident's ID, or number")]
MineOpt = Annotated[bool, typer.Option("--mine", help="every open incident assigned to you")]
StatusOpt = Annotated[Optional[list[str]], typer.Option(
    "--status", "-s", metavar="STATUS", help="triggered, acknowledged, resolved, open or all "
    "(repeatable) [default: open = triggered and acknowledged]")]
UrgencyOpt = Annotated[Optional[list[str]], typer.Option(
    "--urgency", metavar="high|low", help="only this urgency (repeatable)")]
ServiceOpt = Annotated[Optional[list[str]], typer.Option(
    "--service", metavar="ID|NAME", help="only incidents on this service (repeatable)")]
TeamOpt = Annotated[Optional[list[str]], typer.Option(
    "--team", metavar="ID", help="only incidents of this team (repeatable)")]
LimitOpt = Annotated[int, typer.Option(
    "--limit", "-n", metavar="N", help="at most N incidents (fetched 100 a page)")]
SortOpt = Annotated[str, typer.Option(
    "--sort", metavar="FIELD[:asc|desc]", help="incident_number, created_at, resolved_at or "
    "urgency; up to two, comma-separated")]


def _settings(timeout: float | None) -> Any:
    from aiops.incidents import Settings

    return Settings.from_config(get_state().config(timeout=timeout))


@contextlib.contextmanager
def _connect(settings: Any) -> Any:
    """The PagerDuty session; on the way out, says so when the endpoint was the lab sandbox."""
    from aiops.incidents import connect

    from aiops.core.errors import AiopsError

    with connect(settings) as pd:
        try:
            yield pd
        except AiopsError:
            raise  # the error line stays the first line on stderr
        finally:
            if pd.sandbox and not isinstance(sys.exc_info()[1], AiopsError):
                output.info(f"note: {pd.settings.rest_url} is {pd.sandbox}")


def _audit_log() -> Any:
    from aiops.incidents.audit import AuditLog, default_path

    cfg = get_state().config()
    return AuditLog(default_path(cfg.get("audit.path")), secrets=cfg.secrets())


def _stdin_is_tty() -> bool:
    return sys.stdin.isatty()


def _refs(given: list[str] | None) -> list[str]:
    """Arguments, with '-' replaced by the references read from stdin."""
    from aiops.incidents.queries import read_refs

    refs: list[str] = []
    for ref in given or []:
        refs.extend(read_refs(sys.stdin.read()) if ref == "-" else [ref])
    return refs


def _statuses(given: list[str] | None) -> list[str]:
    wanted: list[str] = []
    for value in given or ["open"]:
        expand = {"open": ["triggered", "acknowledged"], "all": []}.get(value, [value])
        if value not in ("open", "all", "triggered", "acknowledged", "resolved"):
            raise UsageError(f"invalid --status {value!r}: triggered, acknowledged, resolved, open or all")
        if value == "all":
            return []
        wanted.extend(s for s in expand if s not in wanted)
    return wanted


def _confirm(plan: Any, yes: bool) -> None:
    """Bulk changes ask first on a terminal; without one they need --yes."""
    if yes or plan.changes <= 1:
        return
    verb = {"acknowledge": "acknowledge", "resolve": "resolve"}[plan.action]
    if not _stdin_is_tty():
        raise UsageError(f"refusing to {verb} {plan.changes} incidents without confirmation: "
                         "stdin is not a terminal", hint="check with --dry-run, then add --yes")
    output.stderr().print(action_table(plan.report()))
    if not typer.confirm(f"{verb.capitalize()} these {plan.changes} incidents?", default=False,
                         err=True):
        output.info("nothing changed")
        raise typer.Exit(INTERRUPTED)


def _finish(report: Any) -> None:
    output.render(report, table=action_table)
    problem = report.problem()
    if problem:
        hint = ("re-run the same command to finish: incidents already done are skipped"
                if report.upstream_failure else None)
        output.error(f"{report.action}: {problem}", hint)
    raise typer.Exit(report.exit_code())


def _change(action: str, refs: list[str] | None, mine: bool, dry_run: bool, yes: bool,
            timeout: float | None, resolution: str | None = None) -> None:
    from aiops.incidents import apply_change, plan_change

    refs = _refs(refs)
    if not refs and not mine:
        raise UsageError("name at least one incident (ID or number), '-' for stdin, or --mine")
    settings = _settings(timeout)
    settings.require_from()  # exit 2 before any request
    with _connect(settings) as pd:
        with output.progress("reading incidents", total=len(refs) or None) as advance:
            plan = plan_change(pd, action, refs=refs, mine=mine, resolution=resolution,
                               progress=advance)
        if dry_run:
            _finish(plan.report())
        _confirm(plan, yes)
        with output.progress(f"{action} incidents", total=plan.changes) as advance:
            report = apply_change(pd, plan, audit=_audit_log(), progress=advance)
    _finish(report)


@app.command("list")
@global_options
def list_(status: StatusOpt = None, urgency: UrgencyOpt = None, service: ServiceOpt = None,
          team: TeamOpt = None, mine: MineOpt = False, since: SinceOpt = None,
          until: UntilOpt = None, limit: LimitOpt = 100, sort: SortOpt = "created_at:desc",
          timeout: TimeoutOpt = None) -> None:
    """List incidents (open ones by default).

    Newest first unless --sort says otherwise; --since/--until filter on creation time.

    Examples:

    \b
      aiops incident list
      aiops incident list --mine --urgency high
      aiops incident list -s all --since 2d --service "Sim Lab API" -o json
    """
    from aiops.core.timewindow import parse_time
    from aiops.incidents import list_incidents

    start = parse_time(since, what="--since") if since else None
    end = parse_time(until, what="--until") if until else None
    if start and end and start >= end:
        raise UsageError("--since must be before --until")
    with _connect(_settings(timeout)) as pd:
        with output.progress("listing incidents", total=limit) as advance:
            result = list_incidents(pd, limit=limit, mine=mine, services=service or [],
                                    statuses=_statuses(status), urgencies=urgency or [],
                                    team_ids=team or [], since=start, until=end, sort=sort,
                                    progress=advance)
    output.render(result, table=incidents_table, wide=True)
    if result.more:
        output.info(f"showing the first {len(result.incidents)}; more match (raise --limit)")


@app.command()
@global_options
def show(incident: RefArg, timeout: TimeoutOpt = None) -> None:
    """Show an incident, its timeline and notes.

    The timeline is the incident's log entries, oldest first.

    Example:

    \b
      aiops incident show 1234
    """
    from aiops.incidents import show_incident

    with _connect(_settings(timeout)) as pd:
        detail = show_incident(pd, incident)
    output.render(detail, table=detail_view, wide=True)


@app.command()
@global_options
def ack(incidents: RefsArg = None, mine: MineOpt = False, dry_run: DryRunOpt = False,
        yes: YesOpt = False, timeout: TimeoutOpt = None) -> None:
    """Acknowledge incidents.

    Incidents already acknowledged or resolved are left alone. More than one change asks for confirmation on a terminal; without one, pass --yes.
    Exit 3 if an incident is not found (the others are still acknowledged), 5 if PagerDuty
    stops answering (the report says which incidents are done; re-run to finish).

    Examples:

    \b
      aiops incident ack 1234
      aiops incident ack --mine --dry-run
      aiops incident list --urgency high -o json | jq -r '.incidents[].id' | aiops incident ack - --yes
    """
    _change("acknowledge", incidents, mine, dry_run, yes, timeout)


@app.command()
@global_options
def resolve(incidents: RefsArg = None, resolution: Annotated[Optional[str], typer.Option(
                "--resolution", metavar="TEXT", help="added to the resolve log entry")] = None,
            mine: MineOpt = False, dry_run: DryRunOpt = False, yes: YesOpt = False,
            timeout: TimeoutOpt = None) -> None:
    """Resolve incidents.

    Incidents already resolved are left alone; otherwise the same rules as ack.

    Examples:

    \b
      aiops incident resolve 1234 --resolution "rolled back 0.4.2"
      aiops incident resolve 1234 1235 1236 --yes
    """
    _change("resolve", incidents, mine, dry_run, yes, timeout, resolution)


@app.command()
@global_options
def note(incident: RefArg, text: Annotated[str, typer.Argument(
             metavar="TEXT", help="the note; '-' reads it from stdin")],
         dry_run: DryRunOpt = False, timeout: TimeoutOpt = None) -> None:
    """Add a note to an incident.

    Never added twice, even when PagerDuty fails mid-request.

    Example:

    \b
      aiops incident note 1234 "rolling back to 0.4.1"
    """
    from aiops.incidents import add_note

    content = sys.stdin.read().strip() if text == "-" else text
    settings = _settings(timeout)
    settings.require_from()
    with _connect(settings) as pd:
        report = add_note(pd, incident, content, dry_run=dry_run,
                          audit=None if dry_run else _audit_log())
    _finish(report)


@app.command()
@global_options
def log(incident: RefArg, limit: Annotated[Optional[int], typer.Option(
            "--limit", "-n", metavar="N", help="only the newest N entries")] = None,
        timeout: TimeoutOpt = None) -> None:
    """Print an incident's log entries.

    Oldest first: who did what, when, through which channel.

    Example:

    \b
      aiops incident log 1234
    """
    from aiops.incidents import incident_log

    with _connect(_settings(timeout)) as pd:
        result = incident_log(pd, incident, limit=limit)
    output.render(result, table=log_table, wide=True)


@app.command()
@global_options
def oncall(schedule: Annotated[Optional[list[str]], typer.Option(
               "--schedule", metavar="ID", help="only this schedule (repeatable)")] = None,
           escalation_policy: Annotated[Optional[list[str]], typer.Option(
               "--escalation-policy", metavar="ID", help="only this policy (repeatable)")] = None,
           timeout: TimeoutOpt = None) -> None:
    """Who is on call now.

    One row per escalation policy and level.

    Example:

    \b
      aiops incident oncall --escalation-policy PT20YPA
    """
    from aiops.incidents import oncalls

    with _connect(_settings(timeout)) as pd:
        result = oncalls(pd, schedule_ids=schedule or [], escalation_policy_ids=escalation_policy or [])
    output.render(result, table=oncall_table)


@app.command()
@global_options
def trigger(summary: Annotated[str, typer.Option("--summary", metavar="TEXT",
                                                 help="what is wrong (the incident title)")],
            source: Annotated[str, typer.Option("--source", metavar="HOST",
                                                help="the affected system")] = "aiops-drill",
            severity: Annotated[str, typer.Option("--severity", metavar="LEVEL",
                                                  help="critical, error, warning or info")] = "critical",
            dedup_key: Annotated[Optional[str], typer.Option(
                "--dedup-key", metavar="KEY", help="[default: a new aiops-drill-... key]")] = None,
            component: Annotated[Optional[str], typer.Option("--component", metavar="NAME")] = None,
            dry_run: DryRunOpt = False, timeout: TimeoutOpt = None) -> None:
    """Trigger an Events API v2 alert (drills).

    Sent with pagerduty.routing_key and a dedup key, so a retry never opens a second alert.

    Example:

    \b
      aiops incident trigger --summary "DRILL: Sim Lab API down" --severity critical
    """
    import getpass

    from aiops.incidents import trigger as send

    settings = _settings(timeout)
    report = send(settings, summary=summary, source=source, severity=severity,
                  dedup_key=dedup_key, component=component, dry_run=dry_run,
                  audit=None if dry_run else _audit_log(),
                  actor=settings.from_email or getpass.getuser())
    _finish(report)


@app.command()
@global_options
def audit(incident: Annotated[Optional[str], typer.Option(
              "--incident", "-i", metavar="INCIDENT", help="only this incident (ID or number)")] = None,
          action: Annotated[Optional[str], typer.Option(
              "--action", metavar="ACTION", help="acknowledge, resolve, note or trigger")] = None,
          since: SinceOpt = None,
          limit: Annotated[int, typer.Option("--limit", "-n", metavar="N",
                                             help="the newest N entries")] = 100,
          verify: Annotated[bool, typer.Option(
              "--verify", help="walk the hash chain; exit 3 naming the first line that was "
                               "changed, removed or reordered")] = False) -> None:
    """Show the audit log of changes aiops made.

    Every acknowledge, resolve, note and trigger, oldest first. Each record carries the SHA-256
    of the one before it: --verify proves nothing was edited, removed or reordered.

    Examples:

    \b
      aiops incident audit --incident 1234 --since 1d
      aiops incident audit --verify
    """
    from aiops.core.timewindow import parse_time
    from aiops.incidents.audit import default_path, read

    cfg = get_state().config()
    if verify:
        _verify_audit(default_path(cfg.get("audit.path")))
        return
    report = read(default_path(cfg.get("audit.path")), incident=incident, action=action,
                  since=parse_time(since, what="--since") if since else None, limit=limit)
    output.render(report, table=audit_table, wide=True)


def _verify_audit(path: Any) -> None:
    from aiops.core.errors import CHECK_FAILED
    from aiops.incidents.audit import verify

    result = verify(path)
    output.render(result, table=audit_verify_table)
    if not result.ok:
        output.error(f"audit log {path}: {result.summary()}",
                     hint="compare with a backup or the PagerDuty log; the lines after the named "
                          "one cannot be trusted" if result.status == "failed" else None)
        raise typer.Exit(CHECK_FAILED)
