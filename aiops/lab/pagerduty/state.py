"""The PagerDuty account behind the sandbox: users, services, incidents, log entries, notes,
on-calls, with the real incident state machine (triggered -> acknowledged -> resolved; resolved
is final) and PagerDuty's object shapes (``self`` links under the sandbox's base URL).

Pure data: no HTTP here. Methods return API objects (dicts) or raise :class:`ApiError` carrying
the status and the error body exactly as PagerDuty shapes it.
"""

from __future__ import annotations

import datetime as dt
import random
import string
import threading
from typing import Any, Callable

STATUSES = ("triggered", "acknowledged", "resolved")
_ALNUM = string.ascii_uppercase + string.digits


class ApiError(Exception):
    """An error response: ``status`` and PagerDuty's error body."""

    def __init__(self, status: int, message: str, code: int | None = None,
                 errors: list[str] | None = None, body: Any = None) -> None:
        super().__init__(message)
        self.status = status
        if body is None:
            body = {"error": {"message": message, **({"code": code} if code is not None else {}),
                              **({"errors": errors} if errors else {})}}
        self.body = body


def invalid(*errors: str) -> ApiError:
    return ApiError(400, "Invalid Input Provided", 2001, list(errors))


def not_found() -> ApiError:
    return ApiError(404, "Not Found", 2100)


def iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Account:
    """One PagerDuty account's state. Thread-safe: every public method takes the lock."""

    def __init__(self, base_url: str, *, seed: int | None = 7,
                 clock: Callable[[], dt.datetime] | None = None) -> None:
        self.base = base_url.rstrip("/")
        self.web = "https://aiops-sim.pagerduty.com"
        self.clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))
        self.lock = threading.RLock()
        self._rng = random.Random(seed)
        self.users: dict[str, dict] = {}
        self.services: dict[str, dict] = {}
        self.policies: dict[str, dict] = {}
        self.schedules: dict[str, dict] = {}
        self.incidents: dict[str, dict] = {}   # id -> internal record
        self.by_number: dict[int, str] = {}
        self.oncall_rows: list[dict] = []
        self.routing_keys: dict[str, str] = {}  # integration key -> service id
        self._next_number = 1

    # -- ids and references -------------------------------------------------------------------
    def new_id(self, prefix: str = "P", length: int = 6) -> str:
        return prefix + "".join(self._rng.choice(_ALNUM) for _ in range(length))

    def ref(self, kind: str, obj_id: str, summary: str, path: str) -> dict[str, Any]:
        return {"id": obj_id, "type": f"{kind}_reference", "summary": summary,
                "self": f"{self.base}/{path}/{obj_id}", "html_url": f"{self.web}/{path}/{obj_id}"}

    def user_ref(self, user_id: str) -> dict:
        return self.ref("user", user_id, self.users[user_id]["name"], "users")

    def service_ref(self, service_id: str) -> dict:
        return self.ref("service", service_id, self.services[service_id]["name"], "services")

    def policy_ref(self, policy_id: str) -> dict:
        return self.ref("escalation_policy", policy_id, self.policies[policy_id]["name"],
                        "escalation_policies")

    # -- directory ------------------------------------------------------------------------------
    def add_user(self, name: str, email: str) -> dict:
        with self.lock:
            uid = self.new_id()
            self.users[uid] = {"id": uid, "name": name, "email": email}
            return self.user(uid)

    def user(self, uid: str) -> dict:
        u = self.users[uid]
        return {**self.ref("user", uid, u["name"], "users"), "type": "user", "name": u["name"],
                "email": u["email"], "time_zone": "Etc/UTC", "color": "purple", "role": "admin",
                "avatar_url": f"{self.web}/avatars/{uid}.png", "description": "",
                "invitation_sent": False, "job_title": "SRE", "teams": [], "contact_methods": [],
                "notification_rules": []}

    def user_by_email(self, email: str | None) -> str | None:
        for uid, u in self.users.items():
            if email and u["email"].lower() == email.lower():
                return uid
        return None

    def add_service(self, name: str, *, policy_name: str | None = None,
                    routing_key: str | None = None) -> dict:
        with self.lock:
            pid = self.new_id()
            self.policies[pid] = {"id": pid, "name": policy_name or f"{name} escalation"}
            sid = self.new_id()
            self.services[sid] = {"id": sid, "name": name, "policy": pid,
                                  "created_at": iso(self.clock())}
            if routing_key:
                self.routing_keys[routing_key] = sid
            return self.service(sid)

    def service(self, sid: str) -> dict:
        s = self.services[sid]
        return {**self.ref("service", sid, s["name"], "services"), "type": "service",
                "name": s["name"], "description": "", "auto_resolve_timeout": None,
                "acknowledgement_timeout": None, "created_at": s["created_at"],
                "status": "active", "alert_creation": "create_alerts_and_incidents",
                "escalation_policy": self.policy_ref(s["policy"]), "teams": [],
                "integrations": [], "incident_urgency_rule": {"type": "constant", "urgency": "high"}}

    def add_schedule(self, name: str) -> dict:
        with self.lock:
            sched_id = self.new_id()
            self.schedules[sched_id] = {"id": sched_id, "name": name}
            return self.ref("schedule", sched_id, name, "schedules")

    def add_oncall(self, user_id: str, *, policy_id: str, level: int = 1,
                   schedule_id: str | None = None, start: dt.datetime | None = None,
                   end: dt.datetime | None = None) -> None:
        with self.lock:
            self.oncall_rows.append({"user": user_id, "policy": policy_id, "level": level,
                                     "schedule": schedule_id, "start": start, "end": end})

    def oncalls(self, schedule_ids: list[str], policy_ids: list[str]) -> list[dict]:
        with self.lock:
            now, rows = self.clock(), []
            for row in self.oncall_rows:
                if schedule_ids and row["schedule"] not in schedule_ids:
                    continue
                if policy_ids and row["policy"] not in policy_ids:
                    continue
                if row["start"] and row["start"] > now or row["end"] and row["end"] <= now:
                    continue
                sched = row["schedule"]
                rows.append({
                    "escalation_policy": self.policy_ref(row["policy"]),
                    "escalation_level": row["level"],
                    "schedule": self.ref("schedule", sched, self.schedules[sched]["name"],
                                         "schedules") if sched else None,
                    "user": self.user_ref(row["user"]),
                    "start": iso(row["start"]), "end": iso(row["end"])})
            return rows

    # -- incidents ------------------------------------------------------------------------------
    def create_incident(self, title: str, *, service_id: str, assignee: str | None = None,
                        urgency: str = "high", priority: str | None = None,
                        created_at: dt.datetime | None = None, incident_key: str | None = None,
                        agent: dict | None = None) -> dict:
        with self.lock:
            iid = self.new_id("Q", 13)
            number = self._next_number
            self._next_number += 1
            when = created_at or self.clock()
            rec = {"id": iid, "number": number, "title": title, "service": service_id,
                   "status": "triggered", "urgency": urgency, "priority": priority,
                   "created_at": when, "updated_at": when, "last_change": when,
                   "last_change_by": agent or self.service_ref(service_id),
                   "resolved_at": None, "assignees": [assignee] if assignee else [],
                   "acks": [], "key": incident_key or self.new_id("", 32).lower(),
                   "log": [], "notes": []}
            self.incidents[iid] = rec
            self.by_number[number] = iid
            rec["first_entry"] = self._log(rec, "trigger", agent or self.service_ref(service_id),
                                           when, channel={"type": "api"})
            return self.incident(iid)

    def find(self, key: str) -> dict:
        """An incident record by ID or number; 404 otherwise."""
        iid = self.by_number.get(int(key)) if key.isdigit() else key
        rec = self.incidents.get(iid or "")
        if rec is None:
            raise not_found()
        return rec

    def incident(self, key: str) -> dict:
        with self.lock:
            rec = self.find(key)
            p = rec["priority"]
            return {
                "id": rec["id"], "type": "incident",
                "summary": f"[#{rec['number']}] {rec['title']}",
                "self": f"{self.base}/incidents/{rec['id']}",
                "html_url": f"{self.web}/incidents/{rec['id']}",
                "incident_number": rec["number"], "title": rec["title"],
                "created_at": iso(rec["created_at"]), "updated_at": iso(rec["updated_at"]),
                "status": rec["status"], "incident_key": rec["key"],
                "service": self.service_ref(rec["service"]),
                "assignments": [{"at": iso(rec["created_at"]), "assignee": self.user_ref(u)}
                                for u in rec["assignees"]],
                "assigned_via": "escalation_policy",
                "last_status_change_at": iso(rec["last_change"]),
                "last_status_change_by": rec["last_change_by"],
                "resolved_at": iso(rec["resolved_at"]),
                "first_trigger_log_entry": self._entry_ref(rec, rec["first_entry"]),
                "alert_counts": {"all": 0, "triggered": 0, "resolved": 0},
                "is_mergeable": True, "incident_type": {"name": "incident_default"},
                "escalation_policy": self.policy_ref(self.services[rec["service"]]["policy"]),
                "teams": [], "pending_actions": [],
                "acknowledgements": [{"at": iso(at), "acknowledger": self.user_ref(u)}
                                     for u, at in rec["acks"]],
                "alert_grouping": None,
                "priority": None if p is None else {
                    "id": f"PRI{p}", "type": "priority_reference", "summary": p, "name": p,
                    "self": f"{self.base}/priorities/PRI{p}"},
                "resolve_reason": None, "urgency": rec["urgency"]}

    def transition(self, key: str, status: str, user_id: str | None, *,
                   resolution: str | None = None, channel: str = "api") -> dict:
        """Apply one status change with its log entry; resolved is final (400).

        ``user_id`` None means the service itself (an Events API acknowledge or resolve).
        """
        with self.lock:
            rec = self.find(key)
            if status not in STATUSES:
                raise invalid(f"Status must be one of {', '.join(STATUSES)}.")
            if rec["status"] == "resolved":
                raise invalid("Incident Already Resolved")
            if status == "triggered":
                raise invalid("Incident cannot be moved back to triggered")
            now = self.clock()
            agent = self.user_ref(user_id) if user_id else self.service_ref(rec["service"])
            if status == "acknowledged":  # acknowledging again is allowed and logged again
                if user_id:
                    rec["acks"] = [(u, at) for u, at in rec["acks"] if u != user_id] + [(user_id, now)]
                self._log(rec, "acknowledge", agent, now, channel={"type": channel})
            else:
                rec["acks"], rec["assignees"], rec["resolved_at"] = [], [], now
                self._log(rec, "resolve", agent, now, channel={"type": channel}, note=resolution)
            if status != rec["status"]:
                rec["last_change"], rec["last_change_by"] = now, agent
            rec["status"], rec["updated_at"] = status, now
            return self.incident(rec["id"])

    def add_note(self, key: str, user_id: str, content: str) -> dict:
        with self.lock:
            rec = self.find(key)
            now = self.clock()
            note = {"id": self.new_id(), "user": self.user_ref(user_id), "content": content,
                    "created_at": iso(now),
                    "channel": {"summary": "The PagerDuty website or APIs", "type": "web_api"}}
            rec["notes"].append(note)
            self._log(rec, "annotate", self.user_ref(user_id), now,
                      channel={"type": "note", "summary": content})
            return note

    # -- log entries ----------------------------------------------------------------------------
    def _log(self, rec: dict, action: str, agent: dict, when: dt.datetime, *,
             channel: dict, note: str | None = None) -> dict:
        words = {"trigger": "Triggered through the API", "acknowledge": "Acknowledged by",
                 "resolve": "Resolved by", "annotate": "Note added by"}
        summary = words[action] if action == "trigger" else f"{words[action]} {agent['summary']}"
        entry = {"id": self.new_id("R", 13), "type": f"{action}_log_entry", "summary": summary,
                 "created_at": when, "agent": agent, "channel": channel, "note": note}
        rec["log"].append(entry)
        return entry

    def _entry_ref(self, rec: dict, entry: dict) -> dict:
        return {"id": entry["id"], "type": f"{entry['type']}_reference",
                "summary": entry["summary"],
                "self": f"{self.base}/log_entries/{entry['id']}?incident_id={rec['id']}",
                "html_url": f"{self.web}/incidents/{rec['id']}/log_entries/{entry['id']}"}

    def log_entries(self, key: str) -> list[dict]:
        """Newest first, as PagerDuty lists them."""
        with self.lock:
            rec = self.find(key)
            out = []
            for e in reversed(rec["log"]):
                item = {**self._entry_ref(rec, e), "type": e["type"],
                        "created_at": iso(e["created_at"]), "agent": e["agent"],
                        "channel": e["channel"], "service": self.service_ref(rec["service"]),
                        "incident": self.ref("incident", rec["id"],
                                             f"[#{rec['number']}] {rec['title']}", "incidents"),
                        "teams": [], "contexts": [], "event_details": {}}
                if e["note"]:
                    item["note"] = e["note"]
                out.append(item)
            return out

    def count(self, key: str, entry_type: str) -> int:
        """How many log entries of ``entry_type`` (e.g. ``acknowledge_log_entry``) an incident has."""
        with self.lock:
            return sum(e["type"] == entry_type for e in self.find(key)["log"])


# -- persistence ----------------------------------------------------------------------------------
_SAVED = ("users", "services", "policies", "schedules", "incidents", "oncall_rows", "routing_keys",
          "_next_number")


def _encode(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$dt"}:
            return dt.datetime.fromisoformat(value["$dt"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def dump(account: Account) -> dict[str, Any]:
    """The account's data as JSON-ready values (datetimes tagged ``{"$dt": ISO}``)."""
    with account.lock:
        return {name: _encode(getattr(account, name)) for name in _SAVED}


def restore(account: Account, data: dict[str, Any]) -> None:
    """Load what :func:`dump` wrote into an empty account (links use the account's base URL)."""
    with account.lock:
        for name in _SAVED:
            if name in data:
                setattr(account, name, _decode(data[name]))
        account.by_number = {rec["number"]: iid for iid, rec in account.incidents.items()}
        for rec in account.incidents.values():  # the first entry is the same object as log[0]
            rec["first_entry"] = rec["log"][0]
