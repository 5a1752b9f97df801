"""A stateful PagerDuty REST API v2 + Events API v2 simulator over TLS on 127.0.0.1.

The real ``pagerduty`` client talks to it unchanged: https (a throwaway ``trustme`` CA), the API
at the origin root, ``self`` links under the base URL. It implements what aiops uses:

- ``GET /users/me`` (400 with a plain-string error for an account-level token), ``GET /users``,
  ``GET /services``, ``GET /oncalls``;
- ``GET /incidents`` (filters, ``since``/``until`` or ``date_range=all``, else about the last
  month; ``sort_by``; classic pagination: ``limit`` (max 100), ``offset``, ``more``, ``total``
  only with ``total=true``, ``offset + limit`` capped at 10,000);
- ``GET/PUT /incidents/{id}`` (GET also by number), bulk ``PUT /incidents`` (413 above 250),
  ``GET /incidents/{id}/log_entries``, ``GET/POST /incidents/{id}/notes``;
- ``POST /v2/enqueue`` (Events API v2: trigger, acknowledge, resolve by dedup key);
- 401 for a bad token, 400 for a write without a known ``From`` user, rate-limit headers on
  every answer and a real 960-requests-a-minute limit, PagerDuty's error bodies;
- fault injection: :meth:`PagerDutySim.fail` (any status, optionally after applying the
  change), :meth:`rate_limit`, :meth:`delay`, :meth:`drop`, :meth:`malformed`, :meth:`mutate`.

Every exchange is recorded (``sim.exchanges``) so tests can check what was sent and validate
every answer against PagerDuty's OpenAPI spec (``tests/fakes/pagerduty_contract.py``). The
account's data and state machine are in ``pagerduty_state.py``, the transport in
``pagerduty_http.py``.

Use the ``pagerduty_sim`` fixture: ``sim.url``, ``sim.token``, ``sim.ca_path``, ``sim.env()``,
``sim.create_incident(...)``, ``sim.fail(...)``.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from typing import Any

import pytest

from tests.fakes.pagerduty_http import Exchange, Fault, Server, make_handler, tls
from tests.fakes.pagerduty_state import Account, ApiError, invalid, not_found

BULK_LIMIT = 250
OFFSET_CEILING = 10_000
ACCOUNT_LEVEL_ERROR = ("Because this request was made using an account-level access token, "
                       "we were unable to correlate a user with this request. You may try "
                       "again by providing a 'From' header with a valid user email.")


class PagerDutySim:
    """The simulator. ``token`` is a user-level token, ``account_token`` an account-level one."""

    def __init__(self, *, rate_limit_per_minute: int = 960, seed: int = 7) -> None:
        ctx, self.ca_path = tls()
        self._server = Server(("127.0.0.1", 0), make_handler(self))
        self._server.socket = ctx.wrap_socket(self._server.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self._server.server_address[1]}"
        self.account = Account(self.url, seed=seed)
        self.lock = threading.Lock()
        self.faults: list[Fault] = []
        self.exchanges: list[Exchange] = []
        self.rate_limit_per_minute = rate_limit_per_minute
        self._hits: dict[str, list[float]] = {}
        self.token = "u+" + self.account.new_id("", 18).lower()
        self.account_token = "a+" + self.account.new_id("", 18).lower()
        self.routing_key = self.account.new_id("", 32).lower()
        self.user = self.account.add_user("Alex Oncall", "oncall@example.com")
        self.other_user = self.account.add_user("Sam Secondary", "secondary@example.com")
        self.tokens: dict[str, str | None] = {self.token: self.user["id"], self.account_token: None}
        self.service = self.account.add_service("Sim Lab API", routing_key=self.routing_key)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    # -- set-up helpers --------------------------------------------------------------------------
    def env(self, **extra: str) -> dict[str, str]:
        """``AIOPS_*`` variables pointing aiops at this simulator."""
        return {"AIOPS_PAGERDUTY_TOKEN": self.token, "AIOPS_PAGERDUTY_BASE_URL": self.url,
                "AIOPS_PAGERDUTY_EVENTS_URL": self.url, "AIOPS_PAGERDUTY_CA_BUNDLE": self.ca_path,
                "AIOPS_PAGERDUTY_FROM_EMAIL": "oncall@example.com",
                "AIOPS_PAGERDUTY_ROUTING_KEY": self.routing_key, **extra}

    def settings(self, **overrides: Any) -> Any:
        """``aiops.incidents.Settings`` for this simulator."""
        from aiops.incidents import Settings

        base = dict(token=self.token, from_email="oncall@example.com", base_url=self.url,
                    events_url=self.url, routing_key=self.routing_key, ca_bundle=self.ca_path,
                    timeout=5.0)
        return Settings(**{**base, **overrides})

    def create_incident(self, title: str = "Sim Lab API is down", *, status: str = "triggered",
                        service_id: str | None = None, assignee: str | None = "me",
                        urgency: str = "high", priority: str | None = None,
                        created_at: dt.datetime | None = None) -> dict:
        """A new incident (assigned to ``self.user`` unless ``assignee`` is None or a user ID),
        moved to ``status`` through the real transitions."""
        uid = self.user["id"] if assignee == "me" else assignee
        inc = self.account.create_incident(title, service_id=service_id or self.service["id"],
                                           assignee=uid, urgency=urgency, priority=priority,
                                           created_at=created_at)
        for step in {"triggered": [], "acknowledged": ["acknowledged"],
                     "resolved": ["resolved"]}[status]:
            inc = self.account.transition(inc["id"], step, self.other_user["id"])
        return inc

    def create_incidents(self, n: int, **kw: Any) -> list[dict]:
        return [self.create_incident(f"Sim Lab incident {i + 1}", **kw) for i in range(n)]

    def incident(self, key: str) -> dict:
        return self.account.incident(str(key))

    def count(self, key: str, entry_type: str) -> int:
        return self.account.count(str(key), entry_type)

    # -- faults ------------------------------------------------------------------------------------
    def _add(self, fault: Fault) -> Fault:
        with self.lock:
            self.faults.append(fault)
        return fault

    def fail(self, method: str, path: str, status: int = 500, *, times: int = 1,
             apply: bool = False, skip: int = 0, body: Any = None,
             headers: dict[str, str] | None = None) -> Fault:
        """Answer ``status`` (after applying the change if ``apply``)."""
        return self._add(Fault(method, path, "status", times, status, headers or {}, body,
                               apply, skip=skip))

    def rate_limit(self, method: str, path: str, *, reset: int = 1, retry_after: int | None = None,
                   times: int = 1, skip: int = 0) -> Fault:
        """Answer 429 with PagerDuty's rate-limit headers (and Retry-After if given)."""
        headers = {"ratelimit-limit": str(self.rate_limit_per_minute), "ratelimit-remaining": "0",
                   "ratelimit-reset": str(reset)}
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        return self._add(Fault(method, path, "status", times, 429, headers, skip=skip))

    def delay(self, method: str, path: str, seconds: float, *, times: int = 1) -> Fault:
        return self._add(Fault(method, path, "delay", times, seconds=seconds))

    def drop(self, method: str, path: str, *, times: int = 1, apply: bool = False,
             skip: int = 0) -> Fault:
        """Close the connection without an answer (after applying the change if ``apply``)."""
        return self._add(Fault(method, path, "drop", times, apply=apply, skip=skip))

    def malformed(self, method: str, path: str, *, times: int = 1) -> Fault:
        return self._add(Fault(method, path, "malformed", times))

    def mutate(self, method: str, path: str, change: Any, *, times: int = 1) -> Fault:
        """Answer with ``change(real JSON answer)``: any JSON value, or raw bytes (fuzzing)."""
        return self._add(Fault(method, path, "mutate", times, body=change))

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.matches(method, path):
                    if fault.skip:
                        fault.skip -= 1
                        return None
                    fault.times -= 1
                    return fault
        return None

    # -- the API ---------------------------------------------------------------------------------
    def requests(self, method: str | None = None, path: str | None = None) -> list[Exchange]:
        """Recorded exchanges, optionally only those matching ``method`` and ``path`` (regex)."""
        return [x for x in self.exchanges if (method is None or x.method == method)
                and (path is None or re.fullmatch(path, x.path))]

    def _rate_headers(self, token: str) -> tuple[dict[str, str], bool]:
        now = time.monotonic()
        with self.lock:
            hits = [t for t in self._hits.get(token, []) if now - t < 60] + [now]
            self._hits[token] = hits
        remaining = max(0, self.rate_limit_per_minute - len(hits))
        reset = int(60 - (now - hits[0])) + 1
        headers = {"ratelimit-limit": str(self.rate_limit_per_minute),
                   "ratelimit-remaining": str(remaining), "ratelimit-reset": str(reset)}
        return headers, len(hits) > self.rate_limit_per_minute

    def handle(self, method: str, path: str, query: dict[str, list[str]], headers: Any,
               body: Any) -> tuple[int, Any]:
        """Route one request; returns (status, JSON body) or raises ApiError."""
        if path == "/v2/enqueue":
            return self._enqueue(body)
        auth = headers.get("Authorization", "")
        token = auth.removeprefix("Token token=") if auth.startswith("Token token=") else None
        if token not in self.tokens:
            raise ApiError(401, "Authentication failed", 2006)
        acct = self.account
        user_id = self.tokens[token]
        parts = [p for p in path.split("/") if p]
        one = lambda name: (query.get(name) or [None])[0]  # noqa: E731
        if method == "GET" and path == "/users/me":
            if user_id is None:
                raise ApiError(400, "", body={"error": ACCOUNT_LEVEL_ERROR})
            return 200, {"user": acct.user(user_id)}
        if method == "GET" and path == "/users":
            q = (one("query") or "").lower()
            users = [acct.user(u) for u, rec in acct.users.items()
                     if q in rec["name"].lower() or q in rec["email"].lower()]
            return 200, _page(users, query, "users")
        if method == "GET" and path == "/services":
            q = (one("query") or "").lower()
            services = [acct.service(s) for s, rec in acct.services.items() if q in rec["name"].lower()]
            return 200, _page(services, query, "services")
        if method == "GET" and path == "/oncalls":
            rows = acct.oncalls(query.get("schedule_ids[]", []), query.get("escalation_policy_ids[]", []))
            return 200, _page(rows, query, "oncalls")
        if parts[:1] != ["incidents"]:
            raise not_found()
        if len(parts) == 1:
            if method == "GET":
                return 200, _page(self._list(query), query, "incidents", default=25,
                                  render=lambda r: acct.incident(r["id"]))
            if method == "PUT":
                return 200, {"incidents": self._bulk(headers, body)}
        elif len(parts) == 2:
            if method == "GET":
                return 200, {"incident": acct.incident(parts[1])}
            if method == "PUT" and not parts[1].isdigit():
                actor = self._from_user(headers)
                item = (body or {}).get("incident") or {}
                acct.find(parts[1])
                return 200, {"incident": acct.transition(parts[1], item.get("status", ""), actor,
                                                         resolution=item.get("resolution"))}
        elif len(parts) == 3 and not parts[1].isdigit():
            if parts[2] == "log_entries" and method == "GET":
                return 200, _page(acct.log_entries(parts[1]), query, "log_entries", default=25)
            if parts[2] == "notes" and method == "GET":
                return 200, {"notes": list(acct.find(parts[1])["notes"])}
            if parts[2] == "notes" and method == "POST":
                actor = self._from_user(headers)
                content = ((body or {}).get("note") or {}).get("content")
                if not content:
                    raise invalid("Note content is required")
                return 200, {"note": acct.add_note(parts[1], actor, content)}
        raise not_found()

    def _from_user(self, headers: Any) -> str:
        """Incident writes need ``From: <email of a user>`` (PagerDuty answers 400 without it)."""
        user_id = self.account.user_by_email(headers.get("From"))
        if user_id is None:
            raise invalid("Requester User Not Found" if headers.get("From") else
                          "You must specify a user's email address in the \"From\" header to "
                          "perform this action")
        return user_id

    def _list(self, query: dict[str, list[str]]) -> list[dict]:
        """The matching incident records, sorted (rendered only for the page served)."""
        acct = self.account
        statuses = query.get("statuses[]", [])
        urgencies = query.get("urgencies[]", [])
        services = query.get("service_ids[]", [])
        users = query.get("user_ids[]", [])
        since, until = _time(query, "since"), _time(query, "until")
        if (query.get("date_range") or [None])[0] != "all":
            now = acct.clock()
            since = since or now - dt.timedelta(days=30)  # without a window: about the last month
            until = until or now
        with acct.lock:
            recs = [r for r in acct.incidents.values()
                    if (not statuses or r["status"] in statuses)
                    and (not urgencies or r["urgency"] in urgencies)
                    and (not services or r["service"] in services)
                    and (not users or set(users) & set(r["assignees"]))
                    and (since is None or r["created_at"] >= since)
                    and (until is None or r["created_at"] < until)]
            for spec in reversed(((query.get("sort_by") or ["incident_number"])[0]).split(",")):
                name, _, direction = spec.partition(":")
                key = {"incident_number": "number", "created_at": "created_at",
                       "urgency": "urgency", "resolved_at": "resolved_at"}.get(name)
                if key is None:
                    raise invalid(f"Invalid sort_by field {name}")
                epoch = dt.datetime.min.replace(tzinfo=dt.timezone.utc)
                recs.sort(key=lambda r: r[key] or (epoch if key == "resolved_at" else 0),
                          reverse=direction == "desc")
            return recs

    def _bulk(self, headers: Any, body: Any) -> list[dict]:
        items = (body or {}).get("incidents")
        if not isinstance(items, list) or not items:
            raise invalid("incidents must be a non-empty array")
        if len(items) > BULK_LIMIT:
            raise ApiError(413, "Request Entity Too Large", 2001,
                           [f"Cannot update more than {BULK_LIMIT} incidents at once"])
        actor = self._from_user(headers)
        acct = self.account
        with acct.lock:  # all or nothing, as PagerDuty validates the whole batch first
            errors = []
            for item in items:
                try:
                    rec = acct.find(str(item.get("id", "")))
                except ApiError:
                    errors.append(f"Incident {item.get('id')} Not Found")
                    continue
                if item.get("type") not in ("incident", "incident_reference"):
                    errors.append("Incident type must be incident or incident_reference")
                if rec["status"] == "resolved":
                    errors.append(f"Incident {rec['id']} Already Resolved")
            if errors:
                raise invalid(*errors)
            return [acct.transition(str(i["id"]), i.get("status", ""), actor,
                                    resolution=i.get("resolution")) for i in items]

    def _enqueue(self, body: Any) -> tuple[int, Any]:
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
        service_id = self.account.routing_keys.get(key)
        if service_id is None:
            raise bad("Invalid routing key")
        action = body.get("event_action")
        payload = body.get("payload") or {}
        dedup = body.get("dedup_key") or self.account.new_id("", 32).lower()
        open_incident = next((r for r in self.account.incidents.values()
                              if r["key"] == dedup and r["status"] != "resolved"), None)
        if action == "trigger":
            missing = [f for f in ("summary", "source", "severity") if not payload.get(f)]
            if missing:
                raise bad(*(f"'payload.{f}' is missing or blank" for f in missing))
            if open_incident is None:  # a trigger with an open dedup key joins that alert
                inc = self.account.create_incident(payload["summary"], service_id=service_id,
                                                   assignee=self.user["id"],
                                                   urgency="high" if payload["severity"] in (
                                                       "critical", "error") else "low")
                self.account.incidents[inc["id"]]["key"] = dedup
        elif action in ("acknowledge", "resolve"):
            if not body.get("dedup_key"):
                raise bad("'dedup_key' is required for acknowledge and resolve events")
            if open_incident is not None:
                self.account.transition(open_incident["id"], action + "d", None)
        else:
            raise bad("'event_action' must be one of trigger, acknowledge, resolve")
        return 202, {"status": "success", "message": "Event processed", "dedup_key": dedup}

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


def _time(query: dict[str, list[str]], name: str) -> dt.datetime | None:
    raw = (query.get(name) or [None])[0]
    if raw is None:
        return None
    try:
        value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(400, "Invalid 'since' or 'until' Parameter Values", 2004) from None
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def _page(items: list[dict], query: dict[str, list[str]], key: str, *, default: int = 25,
          maximum: int = 100, render: Any = None) -> dict:
    """Classic pagination, with PagerDuty's ceiling on offset + limit."""
    try:
        limit = int((query.get("limit") or [default])[0])
        offset = int((query.get("offset") or [0])[0])
    except ValueError:
        raise invalid("limit and offset must be integers") from None
    limit = max(1, min(limit, maximum))
    if offset < 0:
        raise invalid("Offset must be a non-negative integer")
    if offset + limit > OFFSET_CEILING:
        raise invalid(f"Offset plus limit must be at most {OFFSET_CEILING}")
    page = [render(i) for i in items[offset:offset + limit]] if render else items[offset:offset + limit]
    total = len(items) if (query.get("total") or ["false"])[0] == "true" else None
    return {key: page, "limit": limit, "offset": offset, "more": offset + len(page) < len(items),
            "total": total}


@pytest.fixture
def pagerduty_sim(request: pytest.FixtureRequest):
    """A fresh simulator per test; afterwards every answer it gave is checked against
    PagerDuty's OpenAPI spec (when the spec is available; under CI=true it must be)."""
    from tests.conftest import require

    require("trustme")
    require("pagerduty")
    sim = PagerDutySim()
    yield sim
    sim.close()
    from tests.fakes.pagerduty_contract import check_exchanges

    check_exchanges(sim.exchanges)
