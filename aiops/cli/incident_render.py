"""Tables for ``aiops incident`` (rich is imported inside each function: start-up time)."""

from __future__ import annotations

import datetime as dt
from typing import Any

STATUS_STYLE = {"triggered": "bold red", "acknowledged": "yellow", "resolved": "green"}
OUTCOME_STYLE = {"acknowledged": "green", "resolved": "green", "noted": "green",
                 "triggered": "green", "already_acknowledged": "dim", "already_resolved": "dim",
                 "not_found": "red", "failed": "bold red", "not_attempted": "red"}


def _esc(value: Any) -> str:
    from rich.markup import escape

    return escape("" if value is None else str(value))


def _when(value: dt.datetime | None) -> str:
    if value is None:
        return "-"
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")


def _status(status: str) -> str:
    style = STATUS_STYLE.get(status)
    return f"[{style}]{_esc(status)}[/]" if style else _esc(status)


def incidents_table(result: Any) -> Any:
    """One row per incident."""
    from rich.table import Table

    table = Table(title=f"{len(result.incidents)} incident(s)" + (" (more match)" if result.more else ""),
                  title_justify="left")
    for name in ("#", "id", "status", "urgency", "priority", "service", "created", "title"):
        table.add_column(name, overflow="fold", justify="right" if name == "#" else "left")
    for i in result.incidents:
        table.add_row(str(i.number or ""), i.id, _status(i.status), _esc(i.urgency),
                      _esc(i.priority or "-"), _esc(i.service), _when(i.created_at), _esc(i.title))
    return table


def _entries(entries: list[Any], title: str) -> Any:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for name in ("time", "action", "agent", "channel", "summary"):
        table.add_column(name, overflow="fold")
    for e in entries:
        summary = e.summary + (f" ({e.note})" if e.note else "")
        table.add_row(_when(e.created_at), _esc(e.action), _esc(e.agent), _esc(e.channel or "-"),
                      _esc(summary))
    return table


def detail_view(detail: Any) -> Any:
    """The incident's fields, its timeline, its notes."""
    from rich.console import Group
    from rich.table import Table

    i = detail.incident
    fields = Table(show_header=False, box=None, title=f"#{i.number} {_esc(i.title)}",
                   title_justify="left")
    fields.add_column(style="bold")
    fields.add_column(overflow="fold")
    for name, value in (("id", i.id), ("status", None), ("urgency", i.urgency),
                        ("priority", i.priority or "-"), ("service", i.service),
                        ("created", _when(i.created_at)),
                        ("last change", _when(i.last_status_change_at)),
                        ("resolved", _when(i.resolved_at)),
                        ("assignees", ", ".join(i.assignees) or "-"), ("url", i.html_url)):
        fields.add_row(name, _status(i.status) if name == "status" else _esc(value))
    parts = [fields, _entries(detail.log_entries, "timeline")]
    if detail.notes:
        notes = Table(title="notes", title_justify="left")
        for name in ("time", "user", "note"):
            notes.add_column(name, overflow="fold")
        for n in detail.notes:
            notes.add_row(_when(n.created_at), _esc(n.user), _esc(n.content))
        parts.append(notes)
    return Group(*parts)


def log_table(result: Any) -> Any:
    i = result.incident
    return _entries(result.log_entries, f"#{i.number} {_esc(i.title)} ({i.id})")


def action_table(report: Any) -> Any:
    """One row per incident: what was (or, in a dry run, would be) done."""
    from rich.table import Table

    counts = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in report.summary.items())
    title = f"{'dry run: ' if report.dry_run else ''}{report.action}: {counts or 'nothing to do'}"
    table = Table(title=title, title_justify="left")
    for name in ("incident", "#", "was", "outcome", "title", "reason"):
        table.add_column(name, overflow="fold")
    for r in report.results:
        style = OUTCOME_STYLE.get(r.outcome, "cyan")
        table.add_row(_esc(r.id or r.ref), str(r.number or ""), _esc(r.previous_status or "-"),
                      f"[{style}]{_esc(r.outcome.replace('_', ' '))}[/]", _esc(r.title or ""),
                      _esc(r.reason or ""))
    return table


def oncall_table(result: Any) -> Any:
    from rich.table import Table

    table = Table(title="on call now", title_justify="left")
    for name in ("escalation policy", "level", "user", "schedule", "until"):
        table.add_column(name, overflow="fold")
    for o in result.oncalls:
        table.add_row(_esc(o.escalation_policy), str(o.escalation_level or ""), _esc(o.user),
                      _esc(o.schedule or "-"), _when(o.end) if o.end else "permanent")
    return table


def audit_table(report: Any) -> Any:
    from rich.table import Table

    title = f"{len(report.entries)} audit entr{'y' if len(report.entries) == 1 else 'ies'} ({report.path})"
    table = Table(title=_esc(title), title_justify="left")
    for name in ("time", "actor", "action", "incident", "outcome", "details"):
        table.add_column(name, overflow="fold")
    for e in report.entries:
        details = ", ".join(f"{k}={v}" for k, v in e.details.items() if k != "title")
        table.add_row(_when(e.time), _esc(e.actor), _esc(e.action), _esc(e.incident),
                      _esc(e.outcome.replace("_", " ")), _esc(details))
    return table


def audit_verify_table(result: Any) -> Any:
    """The verdict of ``incident audit --verify``: one line per fact."""
    from rich.table import Table

    colour = "green" if result.ok else "red"
    table = Table(title=_esc(f"audit log {result.path}"), title_justify="left", show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    table.add_row("verdict", f"[{colour}]{_esc(result.summary())}[/]")
    table.add_row("records", str(result.records))
    if result.adopted_lines:
        table.add_row("adopted", f"{result.adopted_lines} line(s) written before the chain")
    if result.line:
        table.add_row("first bad line", str(result.line))
    for note in result.notes:
        table.add_row("note", _esc(note))
    return table
