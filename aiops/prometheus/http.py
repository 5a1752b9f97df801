"""JSON over HTTP to Prometheus's and Alertmanager's APIs (the parts the client library lacks).

Uses aiops's aiohttp ``fetch``; failures become aiops errors naming the server: unreachable or
timed out -> exit 5; the server refusing the request (400/422) -> exit 2 with its own message;
401/403 -> exit 4; 404 -> exit 2 (wrong base URL, or ``not_found`` when given).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiops.core import safejson
from aiops.core.errors import AiopsError, AuthError, ConfigError, UpstreamError, UsageError


@dataclass(frozen=True)
class Server:
    """Where to send requests: ``name`` (for messages), base URL, timeout and TLS."""

    name: str
    base: str
    timeout: float
    ca_bundle: str | None = None
    insecure: bool = False
    setting: str = ""

    @classmethod
    def from_config(cls, cfg: Any, key: str, *, timeout: float | None = None) -> "Server":
        """``key`` is ``prometheus.url`` or ``alertmanager.url``."""
        from aiops.core.http import normalise_url

        name = "Prometheus" if key.startswith("prometheus") else "Alertmanager"
        return cls(name, normalise_url(cfg.get(key)), float(timeout or cfg.get("timeout")),
                   cfg.get("tls.ca_bundle"), bool(cfg.get("tls.insecure")), key)


def session(server: Server) -> Any:
    """An aiohttp session for ``server`` (create it inside the running event loop)."""
    import aiohttp

    from aiops.core.http import ssl_context

    connector = aiohttp.TCPConnector(ssl=ssl_context(server.ca_bundle, server.insecure), limit=32)
    return aiohttp.ClientSession(connector=connector, trust_env=False)


async def request_json(http: Any, server: Server, path: str, *, method: str = "GET",
                       params: Any = None, body: Any = None, not_found: str | None = None) -> Any:
    """One request; the decoded JSON answer (None for an empty body)."""
    from aiops.core.http import FetchError, fetch

    kwargs: dict[str, Any] = {}
    if params:
        kwargs["params"] = params
    if body is not None:
        kwargs["json"] = body
    try:
        resp = await fetch(http, server.base + path, timeout=server.timeout, method=method, **kwargs)
    except FetchError as exc:
        raise UpstreamError(f"{server.name} at {server.base}: {exc.reason}",
                            hint=f"check {server.setting}" if server.setting else None) from None
    if 200 <= resp.status < 300:
        if not resp.body.strip():
            return None
        try:
            return safejson.loads(resp.body)
        except (ValueError, UnicodeDecodeError):
            raise UpstreamError(f"{server.name} at {server.base}: {path} answered non-JSON "
                                f"(HTTP {resp.status})") from None
    raise status_error(server, path, resp.status, resp.text(), not_found)


def status_error(server: Server, path: str, status: int, text: str,
                 not_found: str | None = None) -> AiopsError:
    """The aiops error for a non-2xx answer, carrying the server's own message."""
    message = server_message(text)
    where = f"{server.name} at {server.base}"
    if status == 404:
        if not_found:
            return UsageError(not_found)
        return ConfigError(f"{where}: HTTP 404 for {path}",
                           hint=f"{server.setting or 'the URL'} must be the server's base URL")
    if status in (400, 422):
        return UsageError(f"{server.name} rejected the request: {message}")
    if status in (401, 403):
        return AuthError(f"{where}: HTTP {status}: {message or 'not authorised'}")
    return UpstreamError(f"{where}: HTTP {status} for {path}: {message or 'no detail'}")


def server_message(text: str) -> str:
    """Prometheus {"error": ...}, Alertmanager {"message": ...} or a JSON string, else the text."""
    try:
        doc = safejson.loads(text)
    except ValueError:
        return text.strip()[:300]
    if isinstance(doc, dict):
        return str(doc.get("error") or doc.get("message") or doc)[:300]
    return str(doc)[:300]


def run(coro: Any) -> Any:
    """Run one coroutine to completion (the core's public functions are synchronous)."""
    import asyncio

    return asyncio.run(coro)
