"""Alertmanager silences (API v2): add, list, expire, each with a dry run where it changes things.

Every silence names why (``comment``) and who (``author``): both are required, as in amtool.
Matchers use Alertmanager's syntax: ``name=value``, ``name!=value``, ``name=~regex``,
``name!~regex`` (values may be quoted).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from aiops.core.errors import UsageError
from aiops.core.redact import redact
from aiops.core.timewindow import rfc3339
from aiops.prometheus.alerts import parse_ts

_MATCHER = re.compile(r'^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$')
STATES = ("active", "pending", "expired")


@dataclass(frozen=True)
class Matcher:
    name: str
    op: str  # = != =~ !~
    value: str

    @property
    def is_regex(self) -> bool:
        return "~" in self.op

    @property
    def is_equal(self) -> bool:
        return not self.op.startswith("!")

    def api(self) -> dict[str, Any]:
        """Alertmanager API v2's matcher object."""
        return {"name": self.name, "value": self.value, "isRegex": self.is_regex, "isEqual": self.is_equal}

    def __str__(self) -> str:
        return f'{self.name}{self.op}"{self.value}"'

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "op": self.op, "value": self.value}


def parse_matcher(text: str) -> Matcher:
    """``alertname=HighErrorRate`` -> Matcher; UsageError explaining the syntax otherwise."""
    match = _MATCHER.match(text)
    if not match:
        raise UsageError(f"invalid matcher '{text}': use name=value, name!=value, name=~regex "
                         "or name!~regex")
    name, op, value = match.groups()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1]
    if "~" in op:
        try:
            re.compile(value)
        except re.error as exc:
            raise UsageError(f"invalid matcher '{text}': bad regular expression: {exc}") from None
    return Matcher(name, op, value)


@dataclass
class Silence:
    id: str | None
    matchers: list[Matcher]
    starts_at: dt.datetime
    ends_at: dt.datetime
    created_by: str
    comment: str
    state: str | None = None  # active | pending | expired
    updated_at: dt.datetime | None = None

    @classmethod
    def from_api(cls, raw: dict[str, Any]) -> "Silence":
        matchers = [Matcher(m["name"], _op(m), m["value"]) for m in raw.get("matchers", [])]
        return cls(raw.get("id"), matchers, parse_ts(raw.get("startsAt")), parse_ts(raw.get("endsAt")),
                   raw.get("createdBy", ""), raw.get("comment", ""),
                   raw.get("status", {}).get("state"), parse_ts(raw.get("updatedAt")))

    def api(self) -> dict[str, Any]:
        body = {"matchers": [m.api() for m in self.matchers], "startsAt": _iso(self.starts_at),
                "endsAt": _iso(self.ends_at), "createdBy": self.created_by, "comment": self.comment}
        if self.id:
            body["id"] = self.id
        return body

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "state": self.state, "matchers": [str(m) for m in self.matchers],
                "starts_at": self.starts_at, "ends_at": self.ends_at, "created_by": self.created_by,
                "comment": self.comment, "updated_at": self.updated_at}


def _op(raw: dict[str, Any]) -> str:
    equal, regex = raw.get("isEqual", True), raw.get("isRegex", False)
    return {(True, False): "=", (False, False): "!=", (True, True): "=~", (False, True): "!~"}[
        (bool(equal), bool(regex))]


def _ends(silence: Silence) -> dt.datetime:
    """Sort key: the end time (a server's unreadable time sorts last)."""
    return silence.ends_at or dt.datetime.min.replace(tzinfo=dt.timezone.utc)


def _iso(value: dt.datetime) -> str:
    return rfc3339(value)


@dataclass
class SilenceChange:
    """What ``add`` or ``expire`` did (or, with ``dry_run``, would do)."""

    action: str  # create | expire
    dry_run: bool
    silence: Silence
    alertmanager_url: str
    affected_alerts: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"schema": "aiops.silence/v1", "action": self.action, "dry_run": self.dry_run,
                "done": not self.dry_run,
                "alertmanager_url": self.alertmanager_url, "silence": self.silence.to_dict(),
                "affected_alerts": self.affected_alerts}


@dataclass
class SilenceList:
    alertmanager_url: str
    silences: list[Silence]

    def to_dict(self) -> dict[str, Any]:
        return {"schema": "aiops.prometheus.silences/v1", "alertmanager_url": self.alertmanager_url,
                "silences": [s.to_dict() for s in self.silences]}


def _now(clock: Callable[[], dt.datetime] | None) -> dt.datetime:
    return (clock or (lambda: dt.datetime.now(dt.timezone.utc)))()


def build_silence(matchers: list[str], *, duration: str, comment: str | None, author: str | None,
                  start: dt.datetime | None = None,
                  clock: Callable[[], dt.datetime] | None = None) -> Silence:
    """Validate everything a silence needs (exit 2 on any gap) before Alertmanager sees it."""
    from aiops.core.timewindow import parse_duration

    if not comment or not comment.strip():
        raise UsageError("a silence needs --comment: say why it is silenced (an incident, a ticket)")
    if not author or not author.strip():
        raise UsageError("a silence needs --author: who is silencing")
    if not matchers:
        raise UsageError("a silence needs at least one matcher, e.g. alertname=HighErrorRate")
    parsed = [parse_matcher(m) for m in matchers]
    if not any(m.is_equal and (m.value if not m.is_regex else not re.fullmatch(m.value, ""))
               for m in parsed):
        raise UsageError("at least one matcher must match a non-empty value "
                         "(a silence of everything is refused)")
    begins = start or _now(clock)
    return Silence(None, parsed, begins, begins + dt.timedelta(seconds=parse_duration(duration, what="--duration")),
                   author.strip(), comment.strip())


def add_silence(cfg: Any, matchers: list[str], *, duration: str = "2h", comment: str | None = None,
                author: str | None = None, dry_run: bool = False, timeout: float | None = None,
                clock: Callable[[], dt.datetime] | None = None) -> SilenceChange:
    """Create a silence; ``dry_run`` only validates and lists the alerts it would silence."""
    from aiops.prometheus import api, http

    silence = build_silence(matchers, duration=duration, comment=comment, author=author, clock=clock)
    server = http.Server.from_config(cfg, "alertmanager.url", timeout=timeout)

    async def go() -> list[dict[str, Any]]:
        async with http.session(server) as session:
            alerts = await api.alertmanager_alerts(session, server)
            if not dry_run:
                silence.id = await api.post_silence(session, server, silence.api())
                silence.state = "active" if silence.starts_at <= _now(clock) else "pending"
            return alerts

    alerts = http.run(go())
    affected = [{"name": a.get("labels", {}).get("alertname"), "labels": a.get("labels", {})}
                for a in alerts if _matches(silence.matchers, a.get("labels", {}))]
    return SilenceChange("create", dry_run, silence, redact(server.base), affected)


def _matches(matchers: list[Matcher], labels: dict[str, str]) -> bool:
    for m in matchers:
        value = labels.get(m.name, "")
        hit = bool(re.fullmatch(m.value, value)) if m.is_regex else value == m.value
        if hit != m.is_equal:
            return False
    return True


def list_silences(cfg: Any, *, states: tuple[str, ...] = ("active", "pending"),
                  timeout: float | None = None) -> SilenceList:
    """Silences in ``states`` (any of active, pending, expired), newest end first."""
    from aiops.prometheus import api, http

    bad = [s for s in states if s not in STATES]
    if bad:
        raise UsageError(f"unknown silence state '{bad[0]}' (known: {', '.join(STATES)})")
    server = http.Server.from_config(cfg, "alertmanager.url", timeout=timeout)

    async def go() -> list[dict[str, Any]]:
        async with http.session(server) as session:
            return await api.list_silences(session, server)

    silences = [Silence.from_api(raw) for raw in http.run(go())]
    chosen = [s for s in silences if s.state in states]
    return SilenceList(redact(server.base), sorted(chosen, key=_ends, reverse=True))


def expire_silence(cfg: Any, silence_id: str, *, dry_run: bool = False,
                   timeout: float | None = None) -> SilenceChange:
    """Expire a silence now; exit 2 when it does not exist or has already expired.

    ``silence_id`` may be a unique prefix of the ID of an active or pending silence (as in
    ``silence list``); an ambiguous prefix is exit 2 listing the candidates.
    """
    from aiops.prometheus import api, http

    full = api.is_silence_id(silence_id)
    server = http.Server.from_config(cfg, "alertmanager.url", timeout=timeout)

    async def go() -> dict[str, Any]:
        nonlocal silence_id
        async with http.session(server) as session:
            if not full:
                from aiops.core.ids import resolve_prefix

                live = [s for s in await api.list_silences(session, server)
                        if s.get("status", {}).get("state") in ("active", "pending")]
                silence_id = resolve_prefix(silence_id, [s["id"] for s in live if s.get("id")],
                                            what="active silence")
            raw = await api.get_silence(session, server, silence_id)
            if raw.get("status", {}).get("state") == "expired":
                raise UsageError(f"silence {silence_id} has already expired")
            if not dry_run:
                await api.delete_silence(session, server, silence_id)
                raw = await api.get_silence(session, server, silence_id)
            return raw

    return SilenceChange("expire", dry_run, Silence.from_api(http.run(go())), redact(server.base))
