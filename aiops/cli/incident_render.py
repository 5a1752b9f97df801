"""Tables for ``aiops incident`` (rich is imported inside each function: start-up time).

Times are relative ("3m ago"); ``show`` also gives them in UTC; JSON keeps them absolute.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

STATUS_STYLE = {"triggered": "bold red", "acknowledged": "yellow", "resolved": "green"}
OUTCOME_STYLE = {"acknowledged": "green", "resolved": "green", "noted": "green",
                 "triggered": "green", "already_acknowledged": "dim", "already_resolved": "dim",
                 "not_found": "red", "failed": "bold red", "not_attempted": "red"}


def _when(value: dt.datetime | None) -> str:
    """Relative, with the UTC time: "3m ago (2026-01-28 10:27 UTC)"."""
    from aiops.cli.tables import relative

    if value is None:
        return "-"
    return f"{relative(value)} ({value.astimezone(dt.timezone.utc):%Y-%m-%d %H:%M UTC})"


def _status(status: str) -> Any:
    from aiops.cli.tables import styled

    return styled(status, STATUS_STYLE.get(status, ""))


def incidents_table(result: Any, wide: bool = False) -> Any:
    """One row per incident; -o wide adds the urgency, priority and assignees."""
    from aiops.cli.tables import Column, Grid, heading

    grid = Grid(Column("#", "num"), Column("id", "id"), Column("status", "word"), Column("urgency", "word", wide=True),
                Column("priority", "word", wide=True), Column("service", min_width=10, optional=True),
                Column("created", "time"), Column("title", min_width=30), Column("assignees", wide=True),
                title=heading((f"{len(result.incidents)} incident(s)", "bold"),
                              " (more match: raise --limit)" if result.more else ""), wide=wide)
    for i in result.incidents:
        grid.row(i.number or "", i.id, _status(i.status), i.urgency, i.priority, i.service, i.created_at, i.title,
                 i.assignees)
    return grid


def _entries(entries: list[Any], title: Any, wide: bool = False) -> Any:
    from aiops.cli.tables import Column, Grid

    grid = Grid(Column("when", "time"), Column("action", "word"), Column("agent", min_width=12),
                Column("channel", "word", wide=True), Column("summary", min_width=24), title=title, wide=wide)
    for e in entries:
        grid.row(e.created_at, e.action, e.agent, e.channel, e.summary + (f" ({e.note})" if e.note else ""))
    return grid


def detail_view(detail: Any, wide: bool = False) -> Any:
    """The incident's fields, its timeline, its notes."""
    from aiops.cli.tables import Column, Grid, group, heading

    i = detail.incident
    fields = Grid(Column("field", "word"), Column("value"), title=heading((f"#{i.number} {i.title}", "bold")))
    for name, value in (("id", i.id), ("status", _status(i.status)), ("urgency", i.urgency),
                        ("priority", i.priority), ("service", i.service), ("created", _when(i.created_at)),
                        ("last change", _when(i.last_status_change_at)), ("resolved", _when(i.resolved_at)),
                        ("assignees", i.assignees or None), ("url", i.html_url)):
        fields.row(name, value)
    parts = [fields, heading(), _entries(detail.log_entries, heading(("timeline", "bold")), wide)]
    if detail.notes:
        notes = Grid(Column("when", "time"), Column("user", min_width=12), Column("note", min_width=24),
                     title=heading(("notes", "bold")))
        for n in detail.notes:
            notes.row(n.created_at, n.user, n.content)
        parts += [heading(), notes]
    return group(*parts)


def log_table(result: Any, wide: bool = False) -> Any:
    from aiops.cli.tables import heading

    i = result.incident
    return _entries(result.log_entries, heading((f"#{i.number} {i.title}", "bold"), f" ({i.id})"), wide)


def action_table(report: Any) -> Any:
    """One row per incident: what was (or, in a dry run, would be) done."""
    from aiops.cli.tables import Column, Grid, heading, styled

    counts = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in report.summary.items())
    grid = Grid(Column("incident", "id"), Column("#", "num"), Column("was", "word"), Column("outcome", "word"),
                Column("title", min_width=16), Column("reason", min_width=16),
                title=heading((f"{'dry run: ' if report.dry_run else ''}{report.action}", "bold"),
                              f": {counts or 'nothing to do'}"))
    for r in report.results:
        grid.row(r.id or r.ref, r.number or "", r.previous_status,
                 styled(r.outcome.replace("_", " "), OUTCOME_STYLE.get(r.outcome, "cyan")), r.title or "",
                 r.reason or "")
    return grid


def oncall_table(result: Any) -> Any:
    from aiops.cli.tables import Column, Grid, heading

    grid = Grid(Column("escalation policy", min_width=16), Column("level", "num"), Column("user", "id"),
                Column("schedule", min_width=12), Column("until", "time"), title=heading(("on call now", "bold")))
    for o in result.oncalls:
        grid.row(o.escalation_policy, o.escalation_level or "", o.user, o.schedule, o.end or "permanent")
    return grid


def audit_table(report: Any, wide: bool = False) -> Any:
    """The audit entries; -o wide adds each entry's details."""
    from aiops.cli.tables import Column, Grid, heading

    n = len(report.entries)
    grid = Grid(Column("when", "time"), Column("actor", "id"), Column("action", "word"), Column("incident", "id"),
                Column("outcome", "word"), Column("details", min_width=20, wide=True),
                title=heading((f"{n} audit entr{'y' if n == 1 else 'ies'}", "bold"), f" ({report.path})"), wide=wide)
    for e in report.entries:
        grid.row(e.time, e.actor, e.action, e.incident, e.outcome.replace("_", " "),
                 ", ".join(f"{k}={v}" for k, v in e.details.items() if k != "title"))
    return grid


def audit_verify_table(result: Any) -> Any:
    """The verdict of ``incident audit --verify``: one line per fact."""
    from aiops.cli.tables import Column, Grid, heading, styled

    grid = Grid(Column("fact", "word"), Column("value"), title=heading(("audit log", "bold"), f" {result.path}"))
    grid.row("verdict", styled(result.summary(), "green" if result.ok else "red"))
    grid.row("records", result.records)
    if result.adopted_lines:
        grid.row("adopted", f"{result.adopted_lines} line(s) written before the chain")
    if result.line:
        grid.row("first bad line", result.line)
    for note in result.notes:
        grid.row("note", note)
    return grid
