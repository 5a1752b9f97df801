"""The sandbox's Events API v2: ``POST /v2/enqueue`` (trigger, acknowledge, resolve by dedup key).

Alertmanager's own PagerDuty receiver sends here; a trigger whose dedup key has an open incident
joins it, as PagerDuty does.
"""

from __future__ import annotations

from typing import Any

from aiops.lab.pagerduty.state import Account, ApiError


def enqueue(account: Account, assignee: str, body: Any) -> tuple[int, Any]:
    """(202, PagerDuty's answer) for one event; ApiError (400) with its error body otherwise."""
    def bad(*errors: str) -> ApiError:
        return ApiError(400, "Event object is invalid", body={
            "status": "invalid event", "message": "Event object is invalid",
            "errors": list(errors)})

    if not isinstance(body, dict):
        raise ApiError(400, "", body={"status": "Unrecognized object",
                                      "message": "Event object format is unrecognized",
                                      "errors": ["JSON parse error"]})
    key = str(body.get("routing_key") or "")
    if len(key) != 32:
        raise bad("Length of 'routing_key' is incorrect (should be 32 characters)")
    service_id = account.routing_keys.get(key)
    if service_id is None:
        raise bad("Invalid routing key")
    action = body.get("event_action")
    payload = body.get("payload") or {}
    dedup = body.get("dedup_key") or account.new_id("", 32).lower()
    open_incident = next((r for r in account.incidents.values()
                          if r["key"] == dedup and r["status"] != "resolved"), None)
    if action == "trigger":
        missing = [f for f in ("summary", "source", "severity") if not payload.get(f)]
        if missing:
            raise bad(*(f"'payload.{f}' is missing or blank" for f in missing))
        if open_incident is None:  # a trigger with an open dedup key joins that alert
            inc = account.create_incident(payload["summary"], service_id=service_id,
                                               assignee=assignee,
                                               urgency="high" if payload["severity"] in (
                                                   "critical", "error") else "low")
            account.incidents[inc["id"]]["key"] = dedup
    elif action in ("acknowledge", "resolve"):
        if not body.get("dedup_key"):
            raise bad("'dedup_key' is required for acknowledge and resolve events")
        if open_incident is not None:
            account.transition(open_incident["id"], action + "d", None)
    else:
        raise bad("'event_action' must be one of trigger, acknowledge, resolve")
    return 202, {"status": "success", "message": "Event processed", "dedup_key": dedup}
