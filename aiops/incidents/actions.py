"""Acknowledge, resolve and annotate incidents: planned first, applied in chunks, never twice.

The flow is ``plan_change`` (read each incident's current state: no writes) then
``apply_change`` (bulk ``PUT /incidents``, at most 250 per request). Incidents already in the
target state are skipped, so re-running a command is idempotent; a resolved incident is never
acknowledged (PagerDuty would reopen it). When a write fails in a way that leaves its effect
unknown (5xx, dropped connection, timeout, 429 beyond the retries) aiops does not resend it
blindly: it reads the incidents back and sends the change once more only to those still
needing it. If PagerDuty stops answering, the report says which incidents are done and which
are not. Every incident gets one audit entry per action.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable, Iterable

from aiops.incidents.audit import AuditLog
from aiops.incidents.client import NotFound, PagerDuty, Rejected, Unavailable
from aiops.incidents.models import (
    ACKNOWLEDGED,
    ALREADY_ACKNOWLEDGED,
    ALREADY_RESOLVED,
    FAILED,
    NOT_ATTEMPTED,
    NOT_FOUND,
    NOTED,
    RESOLVED,
    WOULD,
    INCIDENT,
    NOTE,
    ActionReport,
    ActionResult,
    Incident,
)
from aiops.incidents.queries import OFFSET_CEILING, current_user_id, get_raw, incident_params, normalise_ref, paginate

CHUNK = 250  # PagerDuty answers 413 to a bulk update of more incidents
TARGET = {"acknowledge": "acknowledged", "resolve": "resolved"}
DONE_AS = {"acknowledge": ACKNOWLEDGED, "resolve": RESOLVED}
ALREADY = {"acknowledge": ALREADY_ACKNOWLEDGED, "resolve": ALREADY_RESOLVED}
Progress = Callable[..., None]


@dataclass
class Plan:
    """What a status change would do to each incident (``outcome`` is ``would_*`` or final)."""

    action: str
    results: list[ActionResult]
    resolution: str | None = None

    def report(self) -> ActionReport:
        """The plan as a dry-run report."""
        return ActionReport(self.action, True, [replace(r) for r in self.results])

    @property
    def changes(self) -> int:
        return sum(r.outcome == WOULD[self.action] for r in self.results)


def settled(action: str, status: str) -> str | None:
    """The final outcome for an incident now in ``status``, or None if it still needs changing."""
    if status == TARGET[action]:
        return ALREADY[action]
    if status == "resolved":  # acknowledging a resolved incident would reopen it
        return ALREADY_RESOLVED
    return None


def _result(ref: str, raw: dict[str, Any], action: str) -> ActionResult:
    inc = Incident.from_api(raw)
    return ActionResult(ref=ref, id=inc.id, number=inc.number, title=inc.title,
                        previous_status=inc.status,
                        outcome=settled(action, inc.status) or WOULD[action])


def plan_change(pd: PagerDuty, action: str, *, refs: Iterable[str] = (), mine: bool = False,
                resolution: str | None = None, progress: Progress | None = None) -> Plan:
    """Read the current state of every incident: ``refs`` (IDs or numbers) and, with ``mine``,
    every open incident assigned to the current user. No writes. Raises ConfigError before
    any request when ``From`` is not configured."""
    if action not in TARGET:
        raise ValueError(action)
    pd.settings.require_from()
    refs = [str(r) for r in refs]
    for ref in refs:
        normalise_ref(ref)  # every reference valid before the first request
    results: list[ActionResult] = []
    if mine:
        open_ = ["triggered"] if action == "acknowledge" else ["triggered", "acknowledged"]
        params = incident_params(statuses=open_, user_ids=[current_user_id(pd)])
        raw, _ = paginate(pd, "/incidents", "incidents", params, limit=OFFSET_CEILING)
        results = [_result(str(i["id"]), i, action) for i in raw]
    for ref in refs:
        try:
            results.append(_result(ref, get_raw(pd, ref), action))
        except NotFound:
            results.append(ActionResult(ref=ref, outcome=NOT_FOUND, reason="no such incident"))
        if progress:
            progress(1)
    seen: set[str] = set()
    unique = []
    for r in results:  # "1234" and its ID name the same incident: act once
        if r.id is None or r.id not in seen:
            unique.append(r)
            seen.add(r.id or "")
    return Plan(action, unique, resolution)


def apply_change(pd: PagerDuty, plan: Plan, *, audit: AuditLog | None = None,
                 chunk_size: int = CHUNK, progress: Progress | None = None) -> ActionReport:
    """Carry out ``plan``: bulk updates of at most ``chunk_size`` incidents, one audit entry each."""
    actor = pd.settings.require_from()
    report = ActionReport(plan.action, False, [replace(r) for r in plan.results])
    pending = [r for r in report.results if r.outcome == WOULD[plan.action]]
    for r in pending:
        r.outcome = NOT_ATTEMPTED
    _audit(audit, actor, plan, [r for r in report.results if r.outcome != NOT_ATTEMPTED])
    chunk_size = max(1, min(chunk_size, CHUNK))
    for start in range(0, len(pending), chunk_size):
        chunk = pending[start:start + chunk_size]
        if report.upstream_failure is None:
            _apply_chunk(pd, plan, chunk, report)
        else:
            for r in chunk:
                r.reason = f"not attempted: {report.upstream_failure}"
        _audit(audit, actor, plan, chunk)
        if progress:
            progress(len(chunk))
    return report


def _body(plan: Plan, ids: Iterable[str]) -> list[dict[str, Any]]:
    extra = {"resolution": plan.resolution} if plan.action == "resolve" and plan.resolution else {}
    return [{"id": i, "type": "incident_reference", "status": TARGET[plan.action], **extra}
            for i in ids]


def _apply_chunk(pd: PagerDuty, plan: Plan, chunk: list[ActionResult], report: ActionReport,
                 *, retry: bool = True) -> None:
    try:
        updated = pd.rput("/incidents", _body(plan, (r.id for r in chunk)),
                          shape=([{"id?": str, "status?": str}], None)) or []
    except Unavailable as exc:
        return _reconcile(pd, plan, chunk, report, exc, retry)
    except (Rejected, NotFound):  # one bad incident fails the whole request: go one by one
        for r in chunk:
            if report.upstream_failure is None:
                _apply_one(pd, plan, r, report)
            else:
                r.reason = f"not attempted: {report.upstream_failure}"
        return None
    status = {i.get("id"): i.get("status") for i in updated if isinstance(i, dict)}
    unclear = []
    for r in chunk:
        if status.get(r.id) == TARGET[plan.action]:
            r.outcome, r.reason = DONE_AS[plan.action], None
        else:
            unclear.append(r)
    if unclear:
        _reconcile(pd, plan, unclear, report, None, retry)
    return None


def _reconcile(pd: PagerDuty, plan: Plan, items: list[ActionResult], report: ActionReport,
               cause: Unavailable | None, retry: bool) -> None:
    """After a write with an unknown effect: read each incident, then resend only what is left."""
    left = []
    for n, r in enumerate(items):
        try:
            status = get_raw(pd, r.id or r.ref)["status"]
        except NotFound:
            r.outcome, r.reason = NOT_FOUND, "no such incident"
            continue
        except Unavailable as exc:
            why = cause.message if cause else exc.message
            for rest in items[n:]:
                rest.outcome, rest.reason = FAILED, f"state unknown: {why}"
            report.upstream_failure = exc.message
            return
        if status == TARGET[plan.action]:
            r.outcome = DONE_AS[plan.action]
            r.reason = f"confirmed after: {cause.message}" if cause else None
        elif status == "resolved":
            r.outcome, r.reason = ALREADY_RESOLVED, "resolved meanwhile"
        else:
            left.append(r)
    if not left:
        return
    if retry:
        _apply_chunk(pd, plan, left, report, retry=False)
        return
    why = cause.message if cause else "PagerDuty did not apply the change"
    for r in left:
        r.outcome, r.reason = FAILED, why
    if cause is not None:
        report.upstream_failure = cause.message


def _apply_one(pd: PagerDuty, plan: Plan, r: ActionResult, report: ActionReport) -> None:
    body = _body(plan, [r.id or r.ref])[0]
    del body["id"]
    try:
        raw = pd.rput(f"/incidents/{r.id}", body, shape=(INCIDENT, None))
    except NotFound:
        r.outcome, r.reason = NOT_FOUND, "no such incident"
        return
    except Rejected as exc:  # e.g. resolved meanwhile: read it to tell which
        _reconcile(pd, plan, [r], report, None, retry=False)
        if r.outcome == FAILED:
            r.reason = exc.message
        return
    except Unavailable as exc:
        _reconcile(pd, plan, [r], report, exc, retry=False)
        return
    if raw and raw.get("status") == TARGET[plan.action]:
        r.outcome, r.reason = DONE_AS[plan.action], None
    else:
        _reconcile(pd, plan, [r], report, None, retry=False)


def _audit(audit: AuditLog | None, actor: str, plan: Plan, results: list[ActionResult]) -> None:
    if audit is None or not results:
        return
    audit.append(audit.entry(actor, plan.action, r.id or r.ref, r.outcome, number=r.number,
                             title=r.title, previous_status=r.previous_status, reason=r.reason,
                             resolution=plan.resolution if plan.action == "resolve" else None)
                 for r in results)


def add_note(pd: PagerDuty, ref: str, content: str, *, dry_run: bool = False,
             audit: AuditLog | None = None) -> ActionReport:
    """Add a note to one incident. After an unclear failure the notes are read back: a note is
    never added twice."""
    from aiops.core.redact import redact

    actor = pd.settings.require_from()
    # a note is read by everyone on the incident: never a credential (a target URL's user-info)
    content = redact(content, [pd.settings.token or "", pd.settings.routing_key or ""])
    if not content.strip():
        from aiops.core.errors import UsageError

        raise UsageError("the note is empty")
    try:
        raw = get_raw(pd, ref)
    except NotFound:
        result = ActionResult(ref=ref, outcome=NOT_FOUND, reason="no such incident")
        report = ActionReport("note", dry_run, [result])
    else:
        result = _result(ref, raw, "resolve")
        result.outcome = WOULD["note"]
        report = ActionReport("note", dry_run, [result])
        if not dry_run:
            _post_note(pd, result, content, report)
    if not dry_run and audit is not None:
        audit.append([audit.entry(actor, "note", result.id or ref, result.outcome,
                                  number=result.number, title=result.title,
                                  reason=result.reason, content=content)])
    return report


def _post_note(pd: PagerDuty, r: ActionResult, content: str, report: ActionReport) -> None:
    path = f"/incidents/{r.id}/notes"

    def copies() -> int:
        return sum(n.get("content") == content for n in pd.rget(path, shape=([NOTE], None)) or [])

    before = copies()  # so that a failure can be told apart from an earlier identical note
    for attempt in (1, 2):
        try:
            pd.rpost(path, {"content": content})
            r.outcome, r.reason = NOTED, None
            return
        except Rejected as exc:
            r.outcome, r.reason = FAILED, exc.message
            return
        except Unavailable as exc:
            try:
                added = copies() > before
            except Unavailable as again:
                r.outcome, r.reason = FAILED, f"state unknown: {exc.message}"
                report.upstream_failure = again.message
                return
            if added:
                r.outcome, r.reason = NOTED, f"confirmed after: {exc.message}"
                return
            if attempt == 2:
                r.outcome, r.reason = FAILED, exc.message
                report.upstream_failure = exc.message
