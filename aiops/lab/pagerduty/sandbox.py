"""The PagerDuty sandbox: a stateful REST API v2 + Events API v2 server over TLS on loopback.

``aiops lab pagerduty`` runs it; the test suite uses this same class (and checks every answer
against PagerDuty's published OpenAPI specs). The real ``pagerduty`` client talks to it
unchanged: https (a throwaway CA, see :mod:`aiops.lab.pagerduty.tls`), the API at the origin
root, ``self`` links under the base URL. It implements what aiops uses:

- ``GET /users/me`` (400 with a plain-string error for an account-level token), ``GET /users``,
  ``GET /services``, ``GET /oncalls``;
- ``GET /incidents`` (filters, ``since``/``until`` or ``date_range=all``, else about the last
  month; ``sort_by``; classic pagination: ``limit`` (max 100), ``offset``, ``more``, ``total``
  only with ``total=true``, ``offset + limit`` capped at 10,000);
- ``GET/PUT /incidents/{id}`` (GET also by number), bulk ``PUT /incidents`` (413 above 250),
  ``GET /incidents/{id}/log_entries``, ``GET/POST /incidents/{id}/notes``;
- ``POST /v2/enqueue`` (Events API v2: trigger, acknowledge, resolve by dedup key), which is
  where Alertmanager's own PagerDuty receiver sends alerts;
- 401 for a bad token, 400 for a write without a known ``From`` user, rate-limit headers on
  every answer and a real 960-requests-a-minute limit, PagerDuty's error bodies;
- the ``X-Aiops-Sandbox`` header on every answer: it is plainly not PagerDuty;
- fault injection for tests: :meth:`PagerDutySandbox.fail` (any status, optionally after
  applying the change), :meth:`rate_limit`, :meth:`delay`, :meth:`drop`, :meth:`malformed`.

With a ``state_file`` the account (tokens, users, services, incidents) is loaded from it at
start and saved after every accepted change, so a restarted sandbox keeps its incidents.
Every exchange is recorded (``sandbox.exchanges``, the last 10,000) for tests.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import re
import secrets
import threading
import time
from pathlib import Path
from typing import Any

from aiops.core.errors import UsageError
from aiops.lab.pagerduty.events import enqueue
from aiops.lab.pagerduty.http import Exchange, Fault, Server, make_handler
from aiops.lab.pagerduty.paging import page as _page
from aiops.lab.pagerduty.paging import query_time as _time
from aiops.lab.pagerduty.state import Account, ApiError, dump, invalid, not_found, restore
from aiops.lab.pagerduty.tls import certificates

BULK_LIMIT = 250
ACCOUNT_LEVEL_ERROR = ("Because this request was made using an account-level access token, "
                       "we were unable to correlate a user with this request. You may try "
                       "again by providing a 'From' header with a valid user email.")


SCHEMA = "aiops.lab.pagerduty-state/v1"
FROM_EMAIL = "oncall@example.com"


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class PagerDutySandbox:
    """The sandbox. ``token`` is a user-level token, ``account_token`` an account-level one.

    Binds ``host`` (loopback only unless ``allow_remote``) on ``port`` (0: a free one).
    """

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, state_file: str | Path | None = None,
                 tls_dir: str | Path | None = None, allow_remote: bool = False,
                 rate_limit_per_minute: int = 960, seed: int | None = 7) -> None:
        if not allow_remote and not is_loopback(host):
            raise UsageError(f"refusing to listen on {host}: the sandbox binds loopback only",
                             hint="pass --allow-remote to expose it on another address")
        self.state_file = Path(state_file) if state_file else None
        saved = self._load()
        ctx, self.ca_path = certificates(tls_dir or (self.state_file.parent / (self.state_file.name + ".tls")
                                                     if self.state_file else None))
        try:
            self._server = Server((host, port), make_handler(self))
        except OSError as exc:
            raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        self._server.socket = ctx.wrap_socket(self._server.socket, server_side=True)
        shown = f"[{host}]" if ":" in host else host
        self.url = f"https://{shown}:{self._server.server_address[1]}"
        self.account = Account(self.url, seed=None if saved else seed)
        self.lock = threading.Lock()
        self.faults: list[Fault] = []
        self.exchanges: list[Exchange] = []  # the last MAX_EXCHANGES (http.py trims)
        self.rate_limit_per_minute = rate_limit_per_minute
        self._hits: dict[str, list[float]] = {}
        self._save_lock = threading.Lock()
        if saved:
            restore(self.account, saved["account"])
            self.token, self.account_token = saved["token"], saved["account_token"]
            self.routing_key = saved["routing_key"]
            self.user = self.account.user(saved["user"])
            self.other_user = self.account.user(saved["other_user"])
            self.service = self.account.service(saved["service"])
        else:
            fresh = seed is None or self.state_file is not None
            self.token = "u+" + (secrets.token_hex(9) if fresh else self.account.new_id("", 18).lower())
            self.account_token = "a+" + (secrets.token_hex(9) if fresh else self.account.new_id("", 18).lower())
            self.routing_key = secrets.token_hex(16) if fresh else self.account.new_id("", 32).lower()
            self.user = self.account.add_user("Alex Oncall", FROM_EMAIL)
            self.other_user = self.account.add_user("Sam Secondary", "secondary@example.com")
            self.service = self.account.add_service("Sim Lab API", routing_key=self.routing_key)
        self.tokens: dict[str, str | None] = {self.token: self.user["id"], self.account_token: None}
        self.persist()
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    # -- state file ------------------------------------------------------------------------------
    def _load(self) -> dict[str, Any] | None:
        if self.state_file is None or not self.state_file.exists():
            return None
        try:
            data = json.loads(self.state_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise UsageError(f"{self.state_file}: not a sandbox state file: {exc}") from None
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            raise UsageError(f"{self.state_file}: not a sandbox state file (schema {SCHEMA} expected)",
                             hint="give a new --state path; the sandbox never overwrites other files")
        return data

    def persist(self) -> None:
        """Save the account to the state file (atomically, mode 0600: it holds the tokens)."""
        if self.state_file is None:
            return
        with self._save_lock:
            data = {"schema": SCHEMA, "url": self.url, "token": self.token,
                    "account_token": self.account_token, "routing_key": self.routing_key,
                    "from_email": FROM_EMAIL, "user": self.user["id"], "other_user": self.other_user["id"],
                    "service": self.service["id"], "ca_bundle": self.ca_path, "account": dump(self.account)}
            self.state_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.state_file.with_name(self.state_file.name + ".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh)
            os.replace(tmp, self.state_file)

    def announcement(self) -> dict[str, Any]:
        """The first stdout line of ``aiops lab pagerduty``: where it listens and the settings
        to use. The tokens and routing key are not in it: they are in the state file."""
        return {"schema": "aiops.lab.pagerduty/v1", "url": self.url, "pid": os.getpid(), "sandbox": True,
                "events_url": self.url + "/v2/enqueue", "ca_bundle": self.ca_path,
                "state_file": str(self.state_file) if self.state_file else None,
                "settings": {"pagerduty.base_url": self.url, "pagerduty.events_url": self.url,
                             "pagerduty.ca_bundle": self.ca_path, "pagerduty.from_email": FROM_EMAIL},
                "secret_settings_in_state_file": ["pagerduty.token (token)",
                                                  "pagerduty.routing_key (routing_key)"]}

    # -- set-up helpers --------------------------------------------------------------------------
    def env(self, **extra: str) -> dict[str, str]:
        """``AIOPS_*`` variables pointing aiops at this sandbox."""
        return {"AIOPS_PAGERDUTY_TOKEN": self.token, "AIOPS_PAGERDUTY_BASE_URL": self.url,
                "AIOPS_PAGERDUTY_EVENTS_URL": self.url, "AIOPS_PAGERDUTY_CA_BUNDLE": self.ca_path,
                "AIOPS_PAGERDUTY_FROM_EMAIL": FROM_EMAIL,
                "AIOPS_PAGERDUTY_ROUTING_KEY": self.routing_key, **extra}

    def settings(self, **overrides: Any) -> Any:
        """``aiops.incidents.Settings`` for this sandbox."""
        from aiops.incidents import Settings

        base = dict(token=self.token, from_email=FROM_EMAIL, base_url=self.url,
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
        return enqueue(self.account, self.user["id"], body)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
