"""The data the incident commands return: plain dataclasses with ``to_dict()`` for JSON."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from aiops.core import errors

# Outcomes of a mutating action, one per incident.
ACKNOWLEDGED = "acknowledged"
ALREADY_ACKNOWLEDGED = "already_acknowledged"
RESOLVED = "resolved"
ALREADY_RESOLVED = "already_resolved"
NOTED = "noted"
TRIGGERED = "triggered"
NOT_FOUND = "not_found"
FAILED = "failed"
NOT_ATTEMPTED = "not_attempted"
WOULD = {"acknowledge": "would_acknowledge", "resolve": "would_resolve", "note": "would_note",
         "trigger": "would_trigger"}
DONE = frozenset({ACKNOWLEDGED, ALREADY_ACKNOWLEDGED, RESOLVED, ALREADY_RESOLVED, NOTED, TRIGGERED})


def parse_time(value: Any) -> dt.datetime | None:
    """PagerDuty's ISO-8601 timestamps as aware datetimes (None for none or an unreadable one)."""
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


# The shapes of PagerDuty's answers, as far as aiops reads them (aiops.core.shapes specs).
REF = {"id?": str, "type?": str, "summary?": str, "name?": str}
INCIDENT = {"id": str, "incident_number?": int, "title?": str, "summary?": str, "status?": str,
            "urgency?": str, "priority?": REF, "service?": REF, "created_at?": str,
            "last_status_change_at?": str, "resolved_at?": str, "assignments?": [{"assignee?": REF}],
            "teams?": [REF], "html_url?": str}
LOG_ENTRY = {"id?": str, "type?": str, "created_at?": str, "agent?": REF, "summary?": str,
             "channel?": {"type?": str}, "note?": str}
NOTE = {"id?": str, "created_at?": str, "user?": REF, "content?": str}
ONCALL = {"user?": REF, "escalation_policy?": REF, "escalation_level?": int, "schedule?": REF,
          "start?": str, "end?": str}
USER = {"id": str, "email?": str}


def page_of(key: str, item: Any) -> dict[str, Any]:
    """A classic-pagination answer: ``{key: [item...], "more": bool}``."""
    return {f"{key}?": [item], "more?": bool}


def _summary(ref: Any) -> str | None:
    return ref.get("summary") or ref.get("name") if isinstance(ref, dict) else None


@dataclass
class Incident:
    """One PagerDuty incident, reduced to what responders and post-mortems use."""

    id: str
    number: int | None
    title: str
    status: str
    urgency: str | None
    priority: str | None
    service: str | None
    service_id: str | None
    created_at: dt.datetime | None
    last_status_change_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None
    assignees: list[str] = field(default_factory=list)
    teams: list[str] = field(default_factory=list)
    html_url: str | None = None

    @classmethod
    def from_api(cls, raw: dict[str, Any]) -> Incident:
        service = raw.get("service") or {}
        return cls(
            id=raw["id"], number=raw.get("incident_number"),
            title=raw.get("title") or raw.get("summary") or "", status=raw.get("status", ""),
            urgency=raw.get("urgency"), priority=_summary(raw.get("priority")),
            service=_summary(service), service_id=service.get("id"),
            created_at=parse_time(raw.get("created_at")),
            last_status_change_at=parse_time(raw.get("last_status_change_at")),
            resolved_at=parse_time(raw.get("resolved_at")),
            assignees=[_summary(a.get("assignee")) or "" for a in raw.get("assignments") or []],
            teams=[_summary(t) or "" for t in raw.get("teams") or []],
            html_url=raw.get("html_url"))

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "number": self.number, "title": self.title, "status": self.status,
                "urgency": self.urgency, "priority": self.priority, "service": self.service,
                "service_id": self.service_id, "created_at": self.created_at,
                "last_status_change_at": self.last_status_change_at,
                "resolved_at": self.resolved_at, "assignees": self.assignees, "teams": self.teams,
                "html_url": self.html_url}


@dataclass
class LogEntry:
    """One entry of an incident's log: who did what, when, through which channel."""

    id: str
    type: str
    created_at: dt.datetime | None
    agent: str | None
    agent_type: str | None
    summary: str
    channel: str | None = None
    note: str | None = None

    @property
    def action(self) -> str:
        """``acknowledge`` for ``acknowledge_log_entry``: the verb a timeline shows."""
        return self.type.removesuffix("_log_entry")

    @classmethod
    def from_api(cls, raw: dict[str, Any]) -> LogEntry:
        agent = raw.get("agent") or {}
        channel = raw.get("channel") or {}
        return cls(id=raw.get("id", ""), type=raw.get("type", ""),
                   created_at=parse_time(raw.get("created_at")), agent=_summary(agent),
                   agent_type=agent.get("type"), summary=raw.get("summary") or "",
                   channel=channel.get("type"), note=raw.get("note"))

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "action": self.action,
                "created_at": self.created_at, "agent": self.agent, "agent_type": self.agent_type,
                "summary": self.summary, "channel": self.channel, "note": self.note}


@dataclass
class Note:
    id: str
    created_at: dt.datetime | None
    user: str | None
    content: str

    @classmethod
    def from_api(cls, raw: dict[str, Any]) -> Note:
        return cls(id=raw.get("id", ""), created_at=parse_time(raw.get("created_at")),
                   user=_summary(raw.get("user")), content=raw.get("content", ""))

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "created_at": self.created_at, "user": self.user,
                "content": self.content}


@dataclass
class IncidentList:
    incidents: list[Incident]
    more: bool = False  # more incidents match than were fetched (--limit or the offset ceiling)

    def to_dict(self) -> dict[str, Any]:
        return {"schema": "aiops.incidents/v1", "count": len(self.incidents), "more": self.more,
                "incidents": [i.to_dict() for i in self.incidents]}


@dataclass
class IncidentDetail:
    """``show``: the incident, its log-entry timeline (oldest first) and its notes."""

    incident: Incident
    log_entries: list[LogEntry]
    notes: list[Note]

    def to_dict(self) -> dict[str, Any]:
        return {"schema": "aiops.incident/v1", "incident": self.incident.to_dict(),
                "log_entries": [e.to_dict() for e in self.log_entries],
                "notes": [n.to_dict() for n in self.notes]}


@dataclass
class IncidentLog:
    incident: Incident
    log_entries: list[LogEntry]

    def to_dict(self) -> dict[str, Any]:
        return {"schema": "aiops.incident-log/v1", "incident": self.incident.to_dict(),
                "log_entries": [e.to_dict() for e in self.log_entries]}


@dataclass
class Oncall:
    user: str | None
    user_id: str | None
    escalation_policy: str | None
    escalation_level: int | None
    schedule: str | None
    start: dt.datetime | None
    end: dt.datetime | None

    @classmethod
    def from_api(cls, raw: dict[str, Any]) -> Oncall:
        user = raw.get("user") or {}
        return cls(user=_summary(user), user_id=user.get("id"),
                   escalation_policy=_summary(raw.get("escalation_policy")),
                   escalation_level=raw.get("escalation_level"),
                   schedule=_summary(raw.get("schedule")),
                   start=parse_time(raw.get("start")), end=parse_time(raw.get("end")))

    def to_dict(self) -> dict[str, Any]:
        return {"user": self.user, "user_id": self.user_id,
                "escalation_policy": self.escalation_policy,
                "escalation_level": self.escalation_level, "schedule": self.schedule,
                "start": self.start, "end": self.end}


@dataclass
class OncallList:
    oncalls: list[Oncall]

    def to_dict(self) -> dict[str, Any]:
        return {"schema": "aiops.oncall/v1", "oncalls": [o.to_dict() for o in self.oncalls]}


@dataclass
class ActionResult:
    """What happened to one incident: ``outcome`` and, when it failed, why."""

    ref: str
    id: str | None = None
    number: int | None = None
    title: str | None = None
    previous_status: str | None = None
    outcome: str = NOT_ATTEMPTED
    reason: str | None = None

    @property
    def done(self) -> bool:
        return self.outcome in DONE

    def to_dict(self) -> dict[str, Any]:
        return {"ref": self.ref, "id": self.id, "number": self.number, "title": self.title,
                "previous_status": self.previous_status, "outcome": self.outcome,
                "reason": self.reason}


@dataclass
class ActionReport:
    """The result of ``ack`` / ``resolve`` / ``note`` / ``trigger``: one row per incident."""

    action: str
    dry_run: bool
    results: list[ActionResult]
    upstream_failure: str | None = None  # set when PagerDuty stopped answering mid-run

    @property
    def summary(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for r in self.results:
            counts[r.outcome] = counts.get(r.outcome, 0) + 1
        return counts

    @property
    def not_found(self) -> list[str]:
        return [r.ref for r in self.results if r.outcome == NOT_FOUND]

    def exit_code(self) -> int:
        """5 when PagerDuty failed us, 3 when an incident was not found or failed, else 0."""
        if self.upstream_failure:
            return errors.UNREACHABLE
        if self.not_found or any(r.outcome in (FAILED, NOT_ATTEMPTED) for r in self.results):
            return errors.CHECK_FAILED
        return errors.OK

    def problem(self) -> str | None:
        """One line naming what went wrong, or None."""
        parts = []
        if self.not_found:
            parts.append(f"not found: {', '.join(self.not_found)}")
        failed = [r for r in self.results if r.outcome in (FAILED, NOT_ATTEMPTED)]
        if failed:
            done = sum(r.done for r in self.results)
            parts.append(f"{len(failed)} not done, {done} done"
                         + (f" ({self.upstream_failure})" if self.upstream_failure else ""))
        return "; ".join(parts) or None

    def to_dict(self) -> dict[str, Any]:
        return {"schema": "aiops.incident-action/v1", "action": self.action,
                "dry_run": self.dry_run, "summary": self.summary, "not_found": self.not_found,
                "upstream_failure": self.upstream_failure,
                "results": [r.to_dict() for r in self.results]}
