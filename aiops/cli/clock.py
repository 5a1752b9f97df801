"""``aiops incident clock``: the P1 response clock of one incident, once or as a live countdown.

Registered onto the ``incident`` group with ``clock.register(app)``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Callable

import typer

from aiops.cli import output
from aiops.cli.common import TimeoutOpt, get_state, global_options
from aiops.core.errors import INTERRUPTED

IncidentArg = Annotated[str, typer.Argument(metavar="INCIDENT", help="incident ID or number")]
WatchOpt = Annotated[bool, typer.Option("--watch", "-w", help="live countdown until every "
                                        "milestone is met or missed, or Ctrl-C")]
RefreshOpt = Annotated[float, typer.Option("--refresh", metavar="SECONDS", min=1.0,
                                           help="with --watch: re-read PagerDuty this often")]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _reader(timeout: float | None) -> Callable[[str], Any]:
    from aiops.incidents import Settings
    from aiops.incidents.audit import default_path
    from aiops.incidents.clock import incident_clock
    from aiops.postmortem.sources import audit_provider, pagerduty_provider

    cfg = get_state().config(timeout=timeout)
    settings = Settings.from_config(cfg)
    settings.require_token()
    incident = pagerduty_provider(settings)
    audit = audit_provider(default_path(cfg.get("audit.path")))
    return lambda ref: incident_clock(incident, audit, ref, now=_now())


@global_options
def clock(incident: IncidentArg, watch: WatchOpt = False, refresh: RefreshOpt = 15.0,
          timeout: TimeoutOpt = None) -> None:
    """The runbook's four P1 milestones for INCIDENT: due, happened, met / missed / time left.

    Immediate response (acknowledge) within 5 minutes, Investigation (first note) within 15,
    Resolution within an hour, Post-incident (aiops postmortem new) within 24 hours, all from
    the trigger. Exit 3 when a deadline is missed, 0 otherwise.

    Examples:

    \b
      aiops incident clock 1234
      aiops incident clock 1234 --watch
    """
    read = _reader(timeout)
    result = read(incident)
    if watch and not result.settled:
        result = _watch(read, incident, result, refresh)
    output.render(result, table=clock_table)
    raise typer.Exit(result.exit_code())


def _watch(read: Callable[[str], Any], ref: str, result: Any, refresh: float) -> Any:
    """Redraw every second, re-read every ``refresh`` seconds, stop once the clock is settled."""
    import time

    from rich.live import Live

    from aiops.incidents.clock import advance

    fetched = time.monotonic()
    try:
        with Live(clock_table(result), console=output.stdout(), auto_refresh=False,
                  transient=True) as live:
            while not result.settled:
                time.sleep(1.0)
                if time.monotonic() - fetched >= refresh:
                    result, fetched = read(ref), time.monotonic()
                else:
                    result = advance(result, _now())
                live.update(clock_table(result), refresh=True)
    except KeyboardInterrupt:
        raise typer.Exit(INTERRUPTED) from None
    return result


_COLOURS = {"met": "green", "missed": "red", "pending": "yellow"}


def clock_table(result: Any) -> Any:
    """One row per milestone: due and happened (relative to the clock's now), status, evidence."""
    from aiops.cli.tables import Column, Grid, heading, relative, styled
    from aiops.incidents.clock import describe, iso

    head = f"#{result.number} " if result.number is not None else ""
    note = "" if result.applies else f" ({result.severity}: for reference only)"
    reopened = f", reopened {len(result.reopened_at)}x" if result.reopened_at else ""
    grid = Grid(Column("milestone", min_width=14), Column("due", "time"), Column("happened", "time"),
                Column("status", min_width=14), Column("evidence", min_width=16),
                title=heading((f"{head}{result.title or result.incident}", "bold"),
                              f": P1 clock from {iso(result.start)} ({relative(result.start, result.now)})"
                              f"{reopened}{note}"))
    for m in result.milestones:
        grid.row(m.name, relative(m.due, result.now), relative(m.happened, result.now),
                 styled(describe(m), _COLOURS[m.status]), m.evidence or m.note or "")
    return grid


def register(app: Any) -> None:
    """Add ``clock`` to a typer group (the ``incident`` group)."""
    app.command("clock", short_help="The P1 response clock: each deadline met, missed or pending.")(clock)
