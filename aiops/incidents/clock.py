"""The P1 response clock: the runbook's four milestones for one incident, met, missed or pending.

Every deadline counts from the incident's start (its ``created_at``, the first trigger) and
never restarts, not even when the incident is reopened. What counts as each milestone
happening, from the incident's PagerDuty log entries and the aiops audit log:

- **Immediate response** (5 min): the first acknowledgement (an ``acknowledge_log_entry`` or an
  aiops ``acknowledge`` action). A person who resolves the incident before anyone acknowledged
  it has responded too; an automatic resolve (by the service or an integration) has not.
- **Investigation** (15 min): the first note (an ``annotate_log_entry`` or an aiops ``note``
  action) or an aiops investigation action (``triage``, ``playbook``, ``diagnose``): notes are
  where responders record what they checked.
- **Resolution** (1 h): the resolve that left the incident resolved. A resolve followed by a
  reopen (a trigger or acknowledgement logged after it, or the incident no longer resolved)
  does not count; the reopen is reported and the milestone waits for the next resolve.
  PagerDuty's log decides; aiops ``resolve`` actions count only when the log has no resolve.
- **Post-incident** (24 h): the post-mortem draft written by ``aiops postmortem new --incident``
  (its ``postmortem`` audit action).

A milestone is ``met`` when it happened at or before its due time (exactly 5:00 is met),
``missed`` when it happened later or has not happened and the due time has passed, and
``pending`` (with the time left) otherwise. The clock binds P1 incidents; for an incident with
a known lower severity it is computed but informational (never exit 3).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from aiops.catalog.incident import P1_TIMELINE
from aiops.core import errors
from aiops.core.timewindow import human_duration

SCHEMA = "aiops.incidents.clock/v1"
ACK_TYPES = ("acknowledge_log_entry", "acknowledgement_log_entry")
NOTE_TYPES = ("annotate_log_entry",)
RESOLVE_TYPES = ("resolve_log_entry",)
TRIGGER_TYPES = ("trigger_log_entry",)
INVESTIGATION_ACTIONS = ("note", "triage", "playbook", "diagnose")
POSTMORTEM_ACTION = "postmortem"
_PRIORITY = re.compile(r"\bP([1-5])\b", re.I)


@dataclass
class Event:
    """One thing that moves the clock: ``kind`` is acknowledge, note, resolve, trigger,
    investigate or postmortem; ``by_person`` is False for a service or integration."""

    time: dt.datetime
    kind: str
    source: str  # pagerduty | audit
    actor: str | None = None
    by_person: bool = True

    def describe(self) -> str:
        who = f" by {self.actor}" if self.actor else ""
        return f"{self.kind}{who} ({self.source})"


@dataclass
class MilestoneState:
    """One milestone of the P1 timeline for one incident."""

    name: str
    within_seconds: int
    due: dt.datetime
    status: str  # met | missed | pending
    happened: dt.datetime | None = None
    evidence: str | None = None
    actor: str | None = None
    time_left_seconds: float | None = None  # pending only
    late_seconds: float | None = None  # missed only: how far past the due time (or now)
    note: str | None = None

    @property
    def took_seconds(self) -> float | None:
        if self.happened is None:
            return None
        return (self.happened - (self.due - dt.timedelta(seconds=self.within_seconds))).total_seconds()

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "within_seconds": self.within_seconds, "due": self.due,
                "status": self.status, "happened": self.happened,
                "took_seconds": self.took_seconds, "evidence": self.evidence, "actor": self.actor,
                "time_left_seconds": self.time_left_seconds, "late_seconds": self.late_seconds,
                "note": self.note}


@dataclass
class Clock:
    """The four milestones of one incident at ``now``."""

    incident: str
    start: dt.datetime
    now: dt.datetime
    milestones: list[MilestoneState]
    number: int | None = None
    title: str | None = None
    status: str | None = None
    severity: str | None = None
    reopened_at: list[dt.datetime] = field(default_factory=list)

    @property
    def applies(self) -> bool:
        """The P1 clock binds P1 incidents and incidents of unknown severity."""
        return self.severity in (None, "P1")

    @property
    def verdict(self) -> str:
        states = {m.status for m in self.milestones}
        return "missed" if "missed" in states else "pending" if "pending" in states else "met"

    @property
    def settled(self) -> bool:
        """No milestone is still pending: the clock will not change any more."""
        return all(m.status != "pending" for m in self.milestones)

    def milestone(self, name: str) -> MilestoneState:
        return next(m for m in self.milestones if m.name == name)

    def exit_code(self) -> int:
        """3 when a deadline of a binding clock was missed, else 0."""
        return errors.CHECK_FAILED if self.applies and self.verdict == "missed" else errors.OK

    def to_dict(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "incident": self.incident, "number": self.number,
                "title": self.title, "status": self.status, "severity": self.severity,
                "applies": self.applies, "start": self.start, "now": self.now,
                "verdict": self.verdict, "reopened": len(self.reopened_at),
                "reopened_at": self.reopened_at,
                "milestones": [m.to_dict() for m in self.milestones]}


def severity_of(priority: str | None) -> str | None:
    """P1-P4 from a PagerDuty priority name (``P1`` ... ``P5``; P5 counts as P4), else None."""
    match = _PRIORITY.search(priority or "")
    if not match:
        return None
    return f"P{min(int(match.group(1)), 4)}"


def _utc(when: dt.datetime) -> dt.datetime:
    return when.replace(tzinfo=dt.timezone.utc) if when.tzinfo is None else when


def events_from_log(entries: Iterable[Any]) -> list[Event]:
    """PagerDuty log entries (``type``, ``created_at``, ``agent``, ``agent_type``) as events."""
    kinds = {**dict.fromkeys(ACK_TYPES, "acknowledge"), **dict.fromkeys(NOTE_TYPES, "note"),
             **dict.fromkeys(RESOLVE_TYPES, "resolve"), **dict.fromkeys(TRIGGER_TYPES, "trigger")}
    out = []
    for entry in entries:
        kind = kinds.get(getattr(entry, "type", ""))
        when = getattr(entry, "created_at", None)
        if kind and when is not None:
            agent_type = getattr(entry, "agent_type", None) or ""
            out.append(Event(_utc(when), kind, "pagerduty", getattr(entry, "agent", None),
                             by_person=agent_type.startswith("user")))
    return out


def events_from_audit(entries: Iterable[Any]) -> list[Event]:
    """Successful aiops audit actions (``acknowledge``, ``note``, ``resolve``, ...) as events."""
    done = {"acknowledge": ("acknowledged", "acknowledge"), "resolve": ("resolved", "resolve"),
            "note": ("noted", "note"), POSTMORTEM_ACTION: ("written", "postmortem")}
    out = []
    for entry in entries:
        action, outcome = getattr(entry, "action", ""), getattr(entry, "outcome", "")
        if action in done and outcome == done[action][0]:
            kind = done[action][1]
        elif action in INVESTIGATION_ACTIONS and outcome not in ("failed", "not_found"):
            kind = "investigate"
        else:
            continue
        out.append(Event(_utc(entry.time), kind, "audit", getattr(entry, "actor", None)))
    return out


def _first(events: list[Event], kinds: tuple[str, ...], *, person: bool = False) -> Event | None:
    return next((e for e in events if e.kind in kinds and (e.by_person or not person)), None)


def _resolution(events: list[Event], status: str | None, resolved_at: dt.datetime | None,
                changed_at: dt.datetime | None) -> tuple[Event | None, list[dt.datetime], str | None]:
    """The resolve that stuck (or None), the reopen times, and a note about earlier resolves."""
    resolved: Event | None = None
    reopened: list[dt.datetime] = []
    earlier: list[Event] = []
    for e in events:
        if e.kind == "resolve":
            if resolved is None:
                resolved = e
        elif e.kind in ("trigger", "acknowledge") and resolved is not None and e.time > resolved.time:
            reopened.append(e.time)
            earlier.append(resolved)
            resolved = None
    if status is not None and status != "resolved" and resolved is not None:
        reopened.append(changed_at or resolved.time)  # reopened without a log entry we know
        earlier.append(resolved)
        resolved = None
    if resolved is None and status == "resolved" and resolved_at is not None:
        resolved = Event(_utc(resolved_at), "resolve", "pagerduty")
    note = None
    if earlier:
        note = "reopened; earlier resolve(s) at " + ", ".join(iso(e.time) for e in earlier)
    return resolved, reopened, note


def _state(name: str, within: int, due: dt.datetime, event: Event | None,
           now: dt.datetime, note: str | None = None) -> MilestoneState:
    if event is not None:
        met = event.time <= due
        return MilestoneState(name, within, due, "met" if met else "missed", event.time,
                              event.describe(), event.actor,
                              late_seconds=None if met else (event.time - due).total_seconds(),
                              note=note)
    if now <= due:
        return MilestoneState(name, within, due, "pending",
                              time_left_seconds=(due - now).total_seconds(), note=note)
    return MilestoneState(name, within, due, "missed", late_seconds=(now - due).total_seconds(),
                          note=note or "has not happened")


def compute_clock(incident: Any, log_entries: Iterable[Any] = (), audit: Iterable[Any] = (), *,
                  now: dt.datetime, start: dt.datetime | None = None) -> Clock:
    """The four P1 milestones of ``incident`` (an ``Incident`` or anything with ``id``,
    ``created_at``, ``status``, ...) from its log entries and audit entries, at ``now``."""
    now = _utc(now)
    logged = sorted(events_from_log(log_entries), key=lambda e: e.time)
    events = sorted(logged + events_from_audit(audit), key=lambda e: e.time)
    begin = start or getattr(incident, "created_at", None)
    if begin is None:
        triggers = [e.time for e in events if e.kind == "trigger"]
        begin = triggers[0] if triggers else (events[0].time if events else now)
    begin = _utc(begin)
    status = getattr(incident, "status", None)
    # Status changes and reopens come from PagerDuty's log when it has them: its times are
    # whole seconds, so an audit entry a few milliseconds later could look like a reopen.
    changes = logged if any(e.kind == "resolve" for e in logged) else \
        [e for e in events if e.kind == "resolve"]
    resolved, reopened, note = _resolution(
        changes, status, getattr(incident, "resolved_at", None),
        getattr(incident, "last_status_change_at", None))
    ack = _first(events, ("acknowledge",))
    responder = _first(events, ("resolve",), person=True)
    if responder is not None and (ack is None or responder.time < ack.time):
        ack = Event(responder.time, "resolve without acknowledging", responder.source,
                    responder.actor)
    found = {"Immediate response": ack,
             "Investigation": _first(events, ("note", "investigate")),
             "Resolution": resolved,
             "Post-incident": _first(events, ("postmortem",))}
    states = []
    for m in P1_TIMELINE:
        due = begin + dt.timedelta(seconds=m.within_seconds)
        states.append(_state(m.name, m.within_seconds, due, found[m.name], now,
                             note if m.name == "Resolution" else None))
    return Clock(incident=str(getattr(incident, "id", "") or ""), start=begin, now=now,
                 milestones=states, number=getattr(incident, "number", None),
                 title=getattr(incident, "title", None), status=status,
                 severity=severity_of(getattr(incident, "priority", None)), reopened_at=reopened)


def iso(when: dt.datetime | None) -> str:
    """``2026-01-28T10:00:00Z`` (seconds; the clock's resolution)."""
    if when is None:
        return "-"
    return _utc(when).astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")




def describe(state: MilestoneState) -> str:
    """One phrase for a milestone: ``met in 4m 12s``, ``missed by 1s``, ``4m 59s left``."""
    if state.status == "pending":
        return f"{human_duration(state.time_left_seconds)} left"
    if state.status == "met":
        return f"met in {human_duration(state.took_seconds)}"
    if state.happened is None:
        return f"missed: not done, {human_duration(state.late_seconds)} overdue"
    return f"missed by {human_duration(state.late_seconds)}"


def incident_clock(fetch_incident: Any, fetch_audit: Any, ref: str, *, now: dt.datetime) -> Clock:
    """The clock of incident ``ref`` read through the post-mortem providers
    (:mod:`aiops.postmortem.sources`): PagerDuty for the incident, the audit log for actions."""
    data = fetch_incident(ref)
    audit = fetch_audit(data.incident.id, None, None) if fetch_audit is not None else []
    return compute_clock(data.incident, data.log_entries, audit, now=now)


def advance(clock: Clock, now: dt.datetime) -> Clock:
    """The same facts at a later ``now``: pending milestones count down or become missed."""
    from dataclasses import replace

    now = _utc(now)
    states = [_state(m.name, m.within_seconds, m.due, None, now, m.note) if m.status == "pending"
              else m for m in clock.milestones]
    return replace(clock, now=now, milestones=states)
