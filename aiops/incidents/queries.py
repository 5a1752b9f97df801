"""Read-only PagerDuty queries: list, get, log entries, notes, on-call, the current user."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Callable, Iterable, Iterator

from aiops.core.errors import UsageError
from aiops.incidents.client import NotFound, PagerDuty, Rejected
from aiops.incidents.models import (
    INCIDENT,
    LOG_ENTRY,
    NOTE,
    ONCALL,
    USER,
    Incident,
    IncidentDetail,
    IncidentList,
    IncidentLog,
    LogEntry,
    Note,
    Oncall,
    OncallList,
    page_of,
)

ITEM_SHAPES = {"incidents": INCIDENT, "log_entries": LOG_ENTRY, "oncalls": ONCALL, "users": USER,
               "services": {"id": str, "name?": str}}
PAGE = 100            # the largest page PagerDuty serves for incidents and log entries
OFFSET_CEILING = 10_000  # offset + limit may not exceed this on classic pagination
STATUSES = ("triggered", "acknowledged", "resolved")
SORT_FIELDS = ("incident_number", "created_at", "resolved_at", "urgency")
PREFIX_SEARCH = 500  # open incidents searched for an ID prefix
_ID = re.compile(r"^[A-Z0-9]{1,20}$")  # an ID, or the start of one
_SERVICE_ID = re.compile(r"^P[A-Z0-9]{6}$")


def normalise_ref(raw: str) -> str:
    """``PABC123``, ``1234``, ``#1234`` or an incident URL -> the ID or number PagerDuty accepts."""
    text = str(raw).strip()
    if "/incidents/" in text:
        text = text.rstrip("/").rsplit("/incidents/", 1)[1].split("/")[0].split("?")[0]
    text = text.lstrip("#")
    if text.isdigit() and int(text) > 0 or _ID.match(text) and not text.isdigit():
        return text
    raise UsageError(f"invalid incident reference {raw!r}: use an incident ID (PABC123) "
                     "or number (1234)")


def read_refs(text: str) -> list[str]:
    """Incident references from text (stdin), separated by whitespace, commas or newlines."""
    return [part for part in re.split(r"[\s,]+", text) if part]


def paginate(pd: PagerDuty, path: str, key: str, params: dict[str, Any] | None = None, *,
             limit: int | None = None, page: int = PAGE,
             progress: Callable[..., None] | None = None) -> tuple[list[dict], bool]:
    """Classic pagination up to ``limit`` items; returns (items, more-exist)."""
    items: list[dict] = []
    offset, more = 0, True
    while more and (limit is None or len(items) < limit):
        want = page if limit is None else min(page, limit - len(items))
        if offset + want > OFFSET_CEILING:
            want = OFFSET_CEILING - offset
            if want <= 0:
                return items, True
        body = pd.jget(path, {**(params or {}), "limit": want, "offset": offset},
                       shape=page_of(key, ITEM_SHAPES.get(key, object)))
        batch = body.get(key) or []
        items.extend(batch)
        offset += len(batch)
        more = bool(body.get("more")) and bool(batch)
        if progress:
            progress(len(batch))
    return items, more


def incident_params(*, statuses: Iterable[str] = (), urgencies: Iterable[str] = (),
                    service_ids: Iterable[str] = (), team_ids: Iterable[str] = (),
                    user_ids: Iterable[str] = (), since: dt.datetime | None = None,
                    until: dt.datetime | None = None, sort: str | None = None) -> dict[str, Any]:
    """GET /incidents query parameters; no window means every incident (``date_range=all``)."""
    params: dict[str, Any] = {}
    for name, values in (("statuses[]", statuses), ("urgencies[]", urgencies),
                         ("service_ids[]", service_ids), ("team_ids[]", team_ids),
                         ("user_ids[]", user_ids)):
        if values:
            params[name] = list(values)
    if since or until:
        params["since"] = _iso(since or dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc))
        params["until"] = _iso(until or dt.datetime.now(dt.timezone.utc), ceil=True)
    else:
        params["date_range"] = "all"  # without it PagerDuty returns only about the last month
    if sort:
        params["sort_by"] = check_sort(sort)
    return params


def check_sort(sort: str) -> str:
    """``created_at:desc`` / ``urgency,incident_number:asc``; raises UsageError otherwise."""
    parts = [p.strip() for p in sort.split(",") if p.strip()]
    for part in parts:
        name, _, direction = part.partition(":")
        if name not in SORT_FIELDS or direction not in ("", "asc", "desc"):
            raise UsageError(f"invalid --sort {sort!r}: use FIELD[:asc|desc] with FIELD one of "
                             f"{', '.join(SORT_FIELDS)}")
    if not 1 <= len(parts) <= 2:
        raise UsageError(f"invalid --sort {sort!r}: one or two fields")
    return ",".join(parts)


def _iso(value: dt.datetime, *, ceil: bool = False) -> str:
    """Whole seconds; an end is rounded up so that "--until now" includes this second."""
    if ceil and value.microsecond:
        value = value.replace(microsecond=0) + dt.timedelta(seconds=1)
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def list_incidents(pd: PagerDuty, *, limit: int = 100, mine: bool = False,
                   services: Iterable[str] = (), progress: Callable[..., None] | None = None,
                   **filters: Any) -> IncidentList:
    """Incidents matching ``filters`` (see :func:`incident_params`), up to ``limit``, paginated.

    ``mine`` adds the current user to ``user_ids``; ``services`` are IDs or exact names.
    """
    if limit < 1:
        raise UsageError("--limit must be at least 1")
    if mine:
        filters["user_ids"] = [*filters.get("user_ids", ()), current_user_id(pd)]
    if services:
        filters["service_ids"] = [*filters.get("service_ids", ()), *service_ids(pd, services)]
    raw, more = paginate(pd, "/incidents", "incidents", incident_params(**filters), limit=limit,
                         progress=progress)
    return IncidentList([Incident.from_api(i) for i in raw], more=more)


def get_raw(pd: PagerDuty, ref: str) -> dict[str, Any]:
    """The API's incident object for an ID, a unique prefix of an open incident's ID (as git
    takes a commit), or a number; :class:`NotFound` if there is none, UsageError (exit 2)
    listing the candidates when a prefix matches several."""
    key = normalise_ref(ref)
    try:
        return pd.rget(f"/incidents/{key}", shape=INCIDENT)
    except NotFound:
        full = None if key.isdigit() else _by_prefix(pd, key)
        if full is None:
            raise NotFound(f"incident {ref} not found") from None
    return pd.rget(f"/incidents/{full}")


def _by_prefix(pd: PagerDuty, prefix: str) -> str | None:
    """The one open incident whose ID starts with ``prefix``; None when none does."""
    from aiops.core.ids import resolve_prefix

    raw, _ = paginate(pd, "/incidents", "incidents",
                      incident_params(statuses=("triggered", "acknowledged")), limit=PREFIX_SEARCH)
    ids = [i["id"] for i in raw if str(i.get("id", "")).upper().startswith(prefix.upper())]
    return resolve_prefix(prefix, ids, what="open incident") if ids else None


def get_incident(pd: PagerDuty, ref: str) -> Incident:
    """One incident by ID or number (``PABC123``, ``1234``, ``#1234``)."""
    return Incident.from_api(get_raw(pd, ref))


def list_log_entries(pd: PagerDuty, ref: str, *, limit: int | None = None) -> list[LogEntry]:
    """An incident's log entries, oldest first (PagerDuty serves them newest first)."""
    key = normalise_ref(ref)
    incident_id = get_raw(pd, key)["id"] if key.isdigit() else key
    try:
        raw, _ = paginate(pd, f"/incidents/{incident_id}/log_entries", "log_entries",
                          {"is_overview": "false"}, limit=limit)
    except NotFound:
        full = None if key.isdigit() else get_raw(pd, key)["id"]  # a prefix of the ID?
        if full is None or full == key:
            raise NotFound(f"incident {ref} not found") from None
        return list_log_entries(pd, full, limit=limit)
    entries = [LogEntry.from_api(e) for e in reversed(raw)]
    epoch = dt.datetime.min.replace(tzinfo=dt.timezone.utc)
    return sorted(entries, key=lambda e: e.created_at or epoch)  # stable: ties keep API order


def list_notes(pd: PagerDuty, incident_id: str) -> list[Note]:
    """An incident's notes (this endpoint is not paginated)."""
    return [Note.from_api(n) for n in pd.rget(f"/incidents/{incident_id}/notes", shape=[NOTE])]


def show_incident(pd: PagerDuty, ref: str) -> IncidentDetail:
    """The incident, its timeline of log entries and its notes."""
    incident = get_incident(pd, ref)
    return IncidentDetail(incident, list_log_entries(pd, incident.id), list_notes(pd, incident.id))


def incident_log(pd: PagerDuty, ref: str, *, limit: int | None = None) -> IncidentLog:
    """``log``: the incident and its log entries, oldest first."""
    incident = get_incident(pd, ref)
    return IncidentLog(incident, list_log_entries(pd, incident.id, limit=limit))


def oncalls(pd: PagerDuty, *, schedule_ids: Iterable[str] = (),
            escalation_policy_ids: Iterable[str] = ()) -> OncallList:
    """Who is on call now, ordered by escalation policy then level."""
    params: dict[str, Any] = {}
    if schedule_ids:
        params["schedule_ids[]"] = list(schedule_ids)
    if escalation_policy_ids:
        params["escalation_policy_ids[]"] = list(escalation_policy_ids)
    raw, _ = paginate(pd, "/oncalls", "oncalls", params)
    rows = [Oncall.from_api(o) for o in raw]
    return OncallList(sorted(rows, key=lambda o: (o.escalation_policy or "", o.escalation_level or 0)))


def current_user_id(pd: PagerDuty) -> str:
    """The user behind the token, or (account-level token) the user with the From email."""
    try:
        return pd.rget("/users/me", shape=USER)["id"]
    except Rejected:  # 400: an account-level token has no user of its own
        email = pd.settings.require_from()
    for user in iter_users(pd, email):
        if str(user.get("email", "")).lower() == email.lower():
            return user["id"]
    raise UsageError(f"no PagerDuty user has the email {email} (pagerduty.from_email)")


def iter_users(pd: PagerDuty, query: str) -> Iterator[dict]:
    raw, _ = paginate(pd, "/users", "users", {"query": query})
    return iter(raw)


def service_ids(pd: PagerDuty, names_or_ids: Iterable[str]) -> list[str]:
    """``--service`` values to IDs: an ID passes through, a name is looked up (exact, any case)."""
    out = []
    for value in names_or_ids:
        if _SERVICE_ID.match(value):
            out.append(value)
            continue
        raw, _ = paginate(pd, "/services", "services", {"query": value})
        match = [s["id"] for s in raw if str(s.get("name", "")).lower() == value.lower()]
        if not match:
            raise UsageError(f"no PagerDuty service named {value!r}",
                             hint="pass the service ID (PXXXXXX) or its exact name")
        out.extend(match)
    return out
