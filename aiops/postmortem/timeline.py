"""The merged timeline: PagerDuty log entries and notes, aiops audit actions, alerts, log errors.

An aiops action and the PagerDuty log entry it caused (same kind, within
:data:`SAME_ACTION_SECONDS`) are one event: the PagerDuty entry, marked ``via aiops``. An
``annotate`` log entry shows its note's text when the notes could be read.
Alert intervals give a ``firing`` event and, when the alert stopped before the window ended, a
``cleared`` event at the last sample that still showed it firing. Each top log-error group is
one event at its first occurrence.
"""

from __future__ import annotations

import bisect
import datetime as dt
from typing import Any, Iterable

from aiops.postmortem.model import TimelineEvent
from aiops.core.redact import Redactor

SAME_ACTION_SECONDS = 10.0
_PD_KINDS = {"annotate": "note", "acknowledgement": "acknowledge"}
_AUDIT_KINDS = {"acknowledge": "acknowledge", "resolve": "resolve", "note": "note",
                "trigger": "trigger", "postmortem": "postmortem"}


def _utc(when: dt.datetime) -> dt.datetime:
    return when.replace(tzinfo=dt.timezone.utc) if when.tzinfo is None else when


def from_log_entries(entries: Iterable[Any], notes: Iterable[Any], clean: Redactor) -> list[TimelineEvent]:
    """PagerDuty log entries, oldest first; each ``annotate`` entry carries its note's text
    (the n-th note for the n-th annotate entry) when the notes could be read."""
    pending = sorted((n for n in notes if getattr(n, "created_at", None) is not None),
                     key=lambda n: n.created_at)
    pending.reverse()
    out = []
    for e in entries:
        if e.created_at is None:
            continue
        kind = e.type.removesuffix("_log_entry")
        kind = _PD_KINDS.get(kind, kind)
        if kind == "note" and pending:
            n = pending.pop()
            out.append(TimelineEvent(_utc(e.created_at), "pagerduty", "note",
                                     clean.text(f"Note: {n.content}"), n.user or e.agent))
            continue
        summary = e.summary or kind
        if kind == "resolve" and e.note:
            summary += f": {e.note}"
        out.append(TimelineEvent(_utc(e.created_at), "pagerduty", kind, clean.text(summary), e.agent))
    for n in reversed(pending):  # notes without an annotate entry we know of
        out.append(TimelineEvent(_utc(n.created_at), "pagerduty", "note",
                                 clean.text(f"Note: {n.content}"), n.user))
    return out


def _audit_summary(entry: Any, clean: Redactor) -> str:
    details = entry.details or {}
    if entry.action == "note" and details.get("content"):
        text = f"aiops note ({entry.outcome}): {details['content']}"
    elif entry.action == "postmortem":
        text = f"post-mortem draft {entry.outcome}" + (f": {details['file']}" if details.get("file") else "")
    else:
        text = f"aiops {entry.action}: {entry.outcome}"
        extra = [f"{k} {details[k]}" for k in ("resolution", "reason") if details.get(k)]
        if extra:
            text += f" ({'; '.join(str(x) for x in extra)})"
    return clean.text(text)


def merge_audit(events: list[TimelineEvent], audit: Iterable[Any], clean: Redactor) -> list[TimelineEvent]:
    """Add audit actions; one that matches a PagerDuty event marks it ``via aiops`` instead."""
    by_kind: dict[str, list[tuple[float, int]]] = {}
    for i, e in enumerate(events):
        if e.source == "pagerduty":
            by_kind.setdefault(e.kind, []).append((e.time.timestamp(), i))
    for rows in by_kind.values():
        rows.sort()
    taken: set[int] = set()
    out = list(events)
    for entry in audit:
        kind = _AUDIT_KINDS.get(entry.action, entry.action)
        when = _utc(entry.time)
        done = entry.outcome in ("acknowledged", "resolved", "noted", "triggered")
        match = _nearest(by_kind.get(kind, []), when.timestamp(), taken) if done else None
        if match is not None:
            taken.add(match)
            events[match].summary += f" (via aiops, {entry.actor})" if entry.actor else " (via aiops)"
            continue
        out.append(TimelineEvent(when, "audit", kind, _audit_summary(entry, clean), entry.actor))
    return out


def _nearest(rows: list[tuple[float, int]], ts: float, taken: set[int]) -> int | None:
    """The first untaken event within SAME_ACTION_SECONDS of ``ts`` (rows sorted by time)."""
    i = bisect.bisect_left(rows, (ts - SAME_ACTION_SECONDS, -1))
    while i < len(rows) and rows[i][0] <= ts + SAME_ACTION_SECONDS:
        if rows[i][1] not in taken:
            return rows[i][1]
        i += 1
    return None


def from_alerts(intervals: Iterable[Any], window_end: dt.datetime, step_s: float = 60.0
                ) -> list[TimelineEvent]:
    """A ``firing`` event per alert interval, and ``cleared`` when it ended inside the window."""
    out = []
    for a in intervals:
        where = a.labels.get("instance") or a.labels.get("job") or ""
        tag = ", ".join(x for x in (a.severity, a.priority) if x)
        name = f"{a.name}{' on ' + where if where else ''}"
        out.append(TimelineEvent(_utc(a.start), "alerts", "alert-firing",
                                 f"{name} firing" + (f" ({tag})" if tag else "")))
        if (window_end - _utc(a.end)).total_seconds() > step_s:
            out.append(TimelineEvent(_utc(a.end), "alerts", "alert-cleared",
                                     f"{name} last seen firing"))
    return out


def from_log_errors(report: Any, clean: Redactor) -> list[TimelineEvent]:
    """One event per top error group, at its first occurrence (messages cleaned)."""
    out = []
    for g in getattr(report, "groups", None) or []:
        levels = "/".join(sorted(g.levels)) or "ERROR"
        last = g.last_seen.astimezone(dt.timezone.utc).strftime("%H:%M:%S")
        out.append(TimelineEvent(_utc(g.first_seen), "logs", "log-error",
                                 f"{g.count}x {levels} {clean.log(g.logger)}: {clean.log(g.message)}"
                                 f" (last at {last})"))
    return out


def sort_events(events: list[TimelineEvent]) -> list[TimelineEvent]:
    """Oldest first; ties keep source order (alerts, PagerDuty, audit, logs)."""
    rank = {"alerts": 0, "pagerduty": 1, "audit": 2, "logs": 3}
    return sorted(events, key=lambda e: (e.time, rank.get(e.source, 9)))
