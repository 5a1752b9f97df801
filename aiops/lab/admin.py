"""Client for a lab's admin endpoint: list, inject and clear faults on a running service."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiops.core import safejson
from aiops.core.errors import AuthError, UpstreamError, UsageError
from aiops.core.http import FetchError, aiohttp_tls, fetch, normalise_url
from aiops.core.redact import redact
from aiops.lab.faults import format_fault, parse_fault

SCHEMA = "aiops.lab.faults/v1"


@dataclass
class FaultReport:
    """The faults active on one lab after the request, and the ones it knows."""

    target: str
    active: list[dict[str, Any]] = field(default_factory=list)
    available: list[dict[str, Any]] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "target": self.target, "changed": self.changed,
                "active": self.active, "available": self.available}


def faults(target: str, action: str = "list", specs: list[str] | tuple[str, ...] = (), *,
           token: str | None, timeout: float = 10.0, ca_bundle: str | None = None,
           insecure: bool = False) -> FaultReport:
    """``action`` is ``list``, ``set`` (specs ``NAME[=VALUE]``) or ``clear`` (names; none = all).

    Validates specs locally first (UsageError); 401/403 -> AuthError, 400 -> UsageError,
    anything else unexpected -> UpstreamError.
    """
    import asyncio

    url = normalise_url(target)
    if not token:
        raise AuthError("no admin token for the lab",
                        hint="set AIOPS_LAB_ADMIN_TOKEN (or lab.admin_token in the config)")
    if action == "set":
        if not specs:
            raise UsageError("name at least one fault to set, e.g. error-rate=0.2")
        parsed = [parse_fault(s) for s in specs]
        requests = [("POST", "/admin/faults", [{"spec": format_fault(n, v)} for n, v in parsed])]
        changed = [format_fault(n, v) for n, v in parsed]
    elif action == "clear":
        names = [parse_fault(s.partition("=")[0])[0] for s in specs]
        requests = [("DELETE", f"/admin/faults/{n}", None) for n in names] or [("DELETE", "/admin/faults", None)]
        changed = names or ["all"]
    elif action == "list":
        requests, changed = [("GET", "/admin/faults", None)], []
    else:
        raise UsageError(f"unknown action '{action}'")
    tls = aiohttp_tls(ca_bundle, insecure)
    body = asyncio.run(_send(url, requests, token, timeout, tls))
    return FaultReport(redact(url), body.get("active", []), body.get("available", []), changed)


async def _send(url: str, requests: list[tuple[str, str, Any]], token: str, timeout: float,
                tls: Any) -> dict[str, Any]:
    import aiohttp

    headers = {"Authorization": f"Bearer {token}", "User-Agent": "aiops-lab"}
    body: dict[str, Any] = {}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=tls), trust_env=False,
                                     headers=headers) as session:
        for method, path, payload in requests:
            try:
                resp = await fetch(session, url + path, timeout=timeout, method=method,
                                   **({"json": payload} if payload is not None else {}))
            except FetchError as exc:
                raise UpstreamError(f"lab admin endpoint {url}{path}: {exc.reason}") from None
            body = _decode(resp.body)
            message = body.get("error") if isinstance(body, dict) else None
            if resp.status in (401, 403):
                raise AuthError(f"lab at {url} refused the admin request: {message or resp.status}",
                                hint="check AIOPS_LAB_ADMIN_TOKEN against the lab's admin token")
            if resp.status == 400:
                raise UsageError(f"lab at {url} rejected the request: {message}")
            if resp.status != 200 or not isinstance(body, dict):
                raise UpstreamError(f"lab admin endpoint {url}{path} answered HTTP {resp.status}")
    return body


def _decode(raw: bytes) -> Any:
    try:
        return safejson.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
