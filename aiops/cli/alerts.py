"""``aiops alerts``: the runbook's rules, their tests, what is firing, and silences."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from aiops.cli import output
from aiops.cli.common import DryRunOpt, ForceOpt, TargetOpt, TimeoutOpt, get_state, global_options
from aiops.core.errors import UsageError

app = typer.Typer(no_args_is_help=True)
silence_app = typer.Typer(no_args_is_help=True)
app.add_typer(silence_app, name="silence", help="Add, list and expire Alertmanager silences.")

_STATE_COLOURS = {"firing": "red", "pending": "yellow", "silenced": "dim", "inhibited": "dim"}


@app.command()
@global_options
def rules(out: Annotated[Optional[str], typer.Option(
              "--out", metavar="FILE", help="write the file here instead of stdout")] = None,
          force: ForceOpt = False,
          blackbox: Annotated[bool, typer.Option(
              "--blackbox", help="write the blackbox exporter scrape job instead: it probes each "
              "target's /health, /ready, /live and /metrics")] = False,
          blackbox_modules: Annotated[bool, typer.Option(
              "--blackbox-modules", help="write the blackbox exporter's module file for that job")] = False,
          exporter: Annotated[Optional[str], typer.Option(
              "--exporter", metavar="HOST:PORT", help="where the blackbox exporter listens")] = None,
          job: Annotated[Optional[str], typer.Option(
              "--job", metavar="JOB", help="the service's job; the probes are job JOB-blackbox "
              "[default: config prometheus.job]")] = None,
          target: TargetOpt = None) -> None:
    """Print or write the runbook's alert rules as a rule file, or (--blackbox) the scrape
    job that makes Prometheus probe what 'aiops health check' probes.

    stdout gets the YAML itself unless -o json is asked for. --out never overwrites an
    existing file without --force. 'aiops health check --via prometheus' reads the probes back.

    Examples:

    \b
      aiops alerts rules > /etc/prometheus/rules/active-inference.rules.yml
      aiops alerts rules --out rules/active-inference.rules.yml --force
      aiops alerts rules --blackbox --exporter 127.0.0.1:9115 --env prod --out blackbox-job.yml
      aiops alerts rules --blackbox-modules --out /etc/prometheus/blackbox.yml --force
    """
    import sys

    if blackbox and blackbox_modules:
        raise UsageError("give --blackbox or --blackbox-modules, not both")
    if blackbox or blackbox_modules:
        from aiops.health.targets import resolve_targets
        from aiops.prometheus.blackbox import export

        cfg = get_state().config()
        result = export("modules" if blackbox_modules else "scrape-config",
                        targets=resolve_targets(target or [], cfg) if blackbox else None,
                        exporter=exporter, job=job or cfg.get("prometheus.job"), out=out, force=force)
        what = f"{result.probes} probes" if blackbox else "blackbox modules"
    else:
        from aiops.prometheus.rules import export_rules

        result = export_rules(out, force=force)
        what = f"{len(result.rules)} rules"
    if out is None and not output.json_requested():
        sys.stdout.write(result.text)
        return
    if out is not None:
        output.info(f"wrote {what} to {result.path}")
    output.render(result, table=lambda r: f"{r.path}: {what}")


@app.command("test")
@global_options
def test_(rules_file: Annotated[Optional[str], typer.Option(
              "--rules", metavar="FILE", help="check this rule file instead of the shipped one")] = None,
          tests_file: Annotated[Optional[str], typer.Option(
              "--tests", metavar="FILE", help="promtool unit tests to run [default: the shipped ones]")] = None,
          promtool: Annotated[Optional[str], typer.Option(
              "--promtool", metavar="PATH", help="the promtool executable")] = None) -> None:
    """Run promtool check rules and the shipped promtool unit tests.

    The unit tests show each of the six rules firing where it should and staying quiet
    where it should not. Exit 3 when promtool reports a failure, 2 when promtool is missing.

    Examples:

    \b
      aiops alerts test
      aiops alerts test --rules my.rules.yml --tests my-tests.yml
    """
    from aiops.prometheus.rules import run_rule_tests

    report = run_rule_tests(rules_file, tests_file, promtool=promtool)
    output.render(report, table=rules_test_table)
    raise typer.Exit(report.exit_code())


@app.command("list")
@global_options
def list_(source: Annotated[str, typer.Option(
              "--source", metavar="SOURCE", help="both, prometheus or alertmanager")] = "both",
          timeout: TimeoutOpt = None) -> None:
    """Pending and firing alerts, highest priority first.

    From Prometheus (/api/v1/alerts) and Alertmanager (/api/v2/alerts). Columns: priority (P1-P4), severity, state (pending / firing / silenced / inhibited),
    since when, summary and labels. Exit 5 when a source is unreachable (what the other
    one said is still shown).

    Examples:

    \b
      aiops alerts list
      aiops alerts list --source alertmanager -o json
    """
    from aiops.prometheus.alerts import list_alerts

    result = list_alerts(get_state().config(timeout=timeout), source=source)
    for status in result.sources:
        if not status.ok:
            output.warn(f"{status.name}: {status.error}")
    output.render(result, table=alerts_table, wide=True)
    raise typer.Exit(result.exit_code())


CommentOpt = Annotated[Optional[str], typer.Option(
    "--comment", "-c", metavar="TEXT", help="why (incident, ticket); required")]
AuthorOpt = Annotated[Optional[str], typer.Option(
    "--author", "-a", metavar="NAME", help="who is silencing; required")]


@silence_app.command("add")
@global_options
def silence_add(matchers: Annotated[list[str], typer.Argument(
                    metavar="MATCHER...", help="name=value, name!=value, name=~regex, name!~regex")],
                duration: Annotated[str, typer.Option(
                    "--duration", "-d", metavar="DURATION", help="how long, e.g. 2h")] = "2h",
                comment: CommentOpt = None, author: AuthorOpt = None, dry_run: DryRunOpt = False,
                timeout: TimeoutOpt = None) -> None:
    """Silence matching alerts for DURATION (--comment, --author required).

    Creates the silence in Alertmanager and shows the alerts the silence matches now. Exit 2 for a missing comment or author or a
    bad matcher, 5 when Alertmanager is unreachable.

    Examples:

    \b
      aiops alerts silence add alertname=HighErrorRate instance=lab-1:8000 -d 1h \\
          --comment "INC-42: rollback in progress" --author alice
      aiops alerts silence add 'alertname=~"High.*"' -c "maintenance" -a bob --dry-run
    """
    from aiops.prometheus.silences import add_silence

    change = add_silence(get_state().config(timeout=timeout), matchers, duration=duration,
                         comment=comment, author=author, dry_run=dry_run)
    output.render(change, table=change_table)


@silence_app.command("list")
@global_options
def silence_list(expired: Annotated[bool, typer.Option(
                     "--expired", help="also list expired silences")] = False,
                 timeout: TimeoutOpt = None) -> None:
    """Active and pending silences (with --expired, expired ones too).

    Example:

    \b
      aiops alerts silence list -o json
    """
    from aiops.prometheus.silences import list_silences

    states = ("active", "pending", "expired") if expired else ("active", "pending")
    result = list_silences(get_state().config(timeout=timeout), states=states)
    output.render(result, table=silences_table, wide=True)


@silence_app.command("expire")
@global_options
def silence_expire(silence_id: Annotated[str, typer.Argument(
                       metavar="ID", help="the silence's ID, or a unique prefix of it (as 'silence list' shows)")],
                   dry_run: DryRunOpt = False, timeout: TimeoutOpt = None) -> None:
    """Expire a silence now. Exit 2 when there is no such silence, it already expired, or a
    prefix matches more than one (the candidates are listed).

    Examples:

    \b
      aiops alerts silence expire 6b4f4c4e-5e0c-4d4b-9f8e-2d1c0a6b7c3e
      aiops alerts silence expire 6b4f4c4e
    """
    from aiops.prometheus.silences import expire_silence

    change = expire_silence(get_state().config(timeout=timeout), silence_id, dry_run=dry_run)
    output.render(change, table=change_table)


def alerts_table(result, wide: bool = False):
    """P | severity | state | alert | since | summary; -o wide adds the labels."""
    from aiops.cli.tables import Column, Grid, heading, styled

    sources = ", ".join(f"{s.name} {'ok' if s.ok else 'UNREACHABLE'}" for s in result.sources)
    grid = Grid(Column("P", "word"), Column("severity", "word"), Column("state", "word"),
                Column("alert", "id"), Column("since", "time"), Column("summary"),
                Column("labels", wide=True),
                title=heading((f"{len(result.alerts)} alert(s)", "bold"), f" ({sources})"), wide=wide)
    skip = {"alertname", "severity", "priority"}
    for a in result.alerts:
        labels = ", ".join(f"{k}={v}" for k, v in sorted(a.labels.items()) if k not in skip)
        grid.row(a.priority, a.severity, styled(a.state, _STATE_COLOURS.get(a.state, "")), a.name,
                 a.since, a.summary, labels)
    return grid


def rules_test_table(report):
    """One row per promtool run: what ran, ok or failed, its output."""
    from aiops.cli.tables import Column, Grid, heading, styled

    grid = Grid(Column("command"), Column("result", "word"), Column("output"),
                title=heading(("PASS" if report.ok else "FAIL", "bold green" if report.ok else "bold red"),
                              f": {report.rules_file}"))
    for run in report.runs:
        grid.row(" ".join(run.command[1:]), styled("ok", "green") if run.ok else styled("failed", "red"),
                 run.output)
    return grid


def silences_table(result, wide: bool = False):
    """id (a unique prefix; the full ID with -o wide) | state | matchers | ends | by | comment."""
    from aiops.cli.tables import Column, Grid, heading, lines
    from aiops.core.ids import short_ids

    longest = max((len(str(m)) for s in result.silences for m in s.matchers), default=8)
    grid = Grid(Column("id", "id"), Column("state", "word"), Column("matchers", min_width=min(longest, 32)),
                Column("ends", "time"),
                Column("by", "id"), Column("comment"),
                title=heading((f"{len(result.silences)} silence(s)", "bold"), f" at {result.alertmanager_url}"),
                wide=wide)
    short = short_ids([s.id for s in result.silences if s.id])
    for s in result.silences:
        grid.row(s.id if wide else short.get(s.id, s.id), s.state, lines(*map(str, s.matchers)),
                 s.ends_at, s.created_by, s.comment)
    return grid


def change_table(change):
    """What a silence add or expire did (or, in a dry run, would do)."""
    from aiops.cli.tables import Column, Grid, heading, relative

    verb = {"create": "create", "expire": "expire"}[change.action]
    title = f"would {verb} (dry run)" if change.dry_run else f"{verb}d"
    s = change.silence
    grid = Grid(Column("field", "word"), Column("value"), title=heading((f"silence {title}", "bold"),
                                                                        f": {s.id or '(new)'}"))
    for field, value in (("matchers", ", ".join(map(str, s.matchers))), ("state", s.state or "-"),
                         ("starts", f"{relative(s.starts_at)} ({_utc(s.starts_at)})"),
                         ("ends", f"{relative(s.ends_at)} ({_utc(s.ends_at)})"),
                         ("author", s.created_by), ("comment", s.comment)):
        grid.row(field, value)
    if change.action == "create":
        names = sorted({a["name"] or "?" for a in change.affected_alerts})
        grid.row("matches now", f"{len(change.affected_alerts)} alert(s)" + (f": {', '.join(names)}" if names else ""))
    return grid


def _utc(value) -> str:
    return "-" if value is None else value.strftime("%Y-%m-%d %H:%M UTC")
