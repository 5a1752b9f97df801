"""JSON over HTTP to Prometheus's and Alertmanager's APIs (the parts the client library lacks).

Uses aiops's aiohttp ``fetch``; failures become aiops errors naming the server: unreachable or
timed out -> exit 5; the server refusing the request (400/422) -> exit 2 with its own message;
401/403 -> exit 4; 404 -> exit 2 (wrong base URL, or ``not_found`` when given).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiops.core import safejson
from aiops.core.errors import AiopsError, AuthError, ConfigError, UpstreamError, UsageError


@dataclass(frozen=True)
class Access:
    """How to reach Prometheus or Alertmanager: base URL (a path prefix such as
    ``/prometheus`` or ``/select/0/prometheus`` is kept on every request), headers (bearer
    token or basic auth, extra headers such as ``X-Scope-OrgID``) and TLS."""

    name: str
    base: str
    headers: dict[str, str] = field(default_factory=dict, repr=False)
    ca_bundle: str | None = None
    insecure: bool = False
    setting: str = ""

    @classmethod
    def from_config(cls, cfg: Any, service: str) -> "Access":
        """``service`` is ``prometheus`` or ``alertmanager``; ConfigError (exit 2) for an
        unreadable token file, a malformed header or two kinds of credentials at once."""
        from aiops.core.config import split_header
        from aiops.core.http import normalise_url

        key = f"{service}.url"
        name = "Prometheus" if service == "prometheus" else "Alertmanager"
        headers: dict[str, str] = {}
        for text in cfg.get(f"{service}.headers") or []:
            header, value, _ = split_header(text)
            if not header or ":" not in str(text) or any(c.isspace() for c in header):
                raise ConfigError(f"{service}.headers: expected 'Name: value', got {header or text!r}")
            headers[header] = value
        token = cfg.get(f"{service}.bearer_token")
        token_file = cfg.get(f"{service}.bearer_token_file")
        user, password = cfg.get(f"{service}.username"), cfg.get(f"{service}.password")
        if sum(bool(x) for x in (token, token_file, user)) > 1:
            raise ConfigError(f"{service}: set one of bearer_token, bearer_token_file or username/password")
        if token_file:
            token = _read_token(token_file, f"{service}.bearer_token_file")
        if token:
            headers["Authorization"] = f"Bearer {token}"
        elif user:
            import base64

            pair = f"{user}:{password or ''}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        insecure = cfg.get(f"{service}.insecure")
        return cls(name, normalise_url(cfg.get(key)), headers,
                   cfg.get(f"{service}.ca_bundle") or cfg.get("tls.ca_bundle"),
                   bool(cfg.get("tls.insecure") if insecure is None else insecure), key)


    def secrets(self) -> tuple[str, ...]:
        """The credentials in the headers (whole values and their token part), longest first."""
        from aiops.core.config import split_header

        found: set[str] = set()
        for name, value in self.headers.items():
            if split_header(f"{name}: {value}")[2] and value:
                found.add(value)
                found.update(part for part in value.split(" ", 1)[1:] if part)
        return tuple(sorted(found, key=len, reverse=True))


def hide(text: str, secrets: tuple[str, ...] | list[str]) -> str:
    """``text`` with every credential replaced by ``****`` (servers echo tokens in errors)."""
    for secret in secrets:
        text = text.replace(secret, "****")
    return text


def _read_token(path: str, setting: str) -> str:
    from pathlib import Path

    try:
        token = Path(path).expanduser().read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"{setting}: cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{setting}: {path} is not a text file") from None
    if not token:
        raise ConfigError(f"{setting}: {path} is empty")
    return token


@dataclass(frozen=True)
class Server:
    """Where to send requests: ``name`` (for messages), base URL, timeout, TLS and headers."""

    name: str
    base: str
    timeout: float
    ca_bundle: str | None = None
    insecure: bool = False
    setting: str = ""
    headers: dict[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def from_config(cls, cfg: Any, key: str, *, timeout: float | None = None) -> "Server":
        """``key`` is ``prometheus.url`` or ``alertmanager.url``."""
        access = Access.from_config(cfg, key.split(".", 1)[0])
        return cls(access.name, access.base, float(timeout or cfg.get("timeout")),
                   access.ca_bundle, access.insecure, key, access.headers)


def session(server: Server) -> Any:
    """An aiohttp session for ``server`` (create it inside the running event loop)."""
    import aiohttp

    from aiops.core.http import aiohttp_tls

    connector = aiohttp.TCPConnector(ssl=aiohttp_tls(server.ca_bundle, server.insecure), limit=32)
    return aiohttp.ClientSession(connector=connector, trust_env=False, headers=server.headers)


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
        raise unreachable(server, exc) from None
    return decode(server, path, resp.status, resp.body, not_found)


def reader(server: Server) -> Any:
    """A :class:`aiops.core.wire.Reader` for ``server``: read-only GETs on kept-alive
    connections, for commands that poll (``aiops dashboard``) and must start fast."""
    from aiops.core import wire
    from aiops.core.http import tls_loader

    return wire.Reader(timeout=server.timeout, tls=tls_loader(server.ca_bundle, server.insecure),
                       headers=server.headers)


async def get_json(http: Any, server: Server, path: str, params: dict[str, str]) -> Any:
    """``GET path?params`` through a :func:`reader`; the decoded JSON answer, errors as
    :func:`request_json` gives them."""
    from urllib.parse import urlencode

    from aiops.core.http import FetchError

    try:
        answer = await http.get(f"{server.base}{path}?{urlencode(params)}")
    except FetchError as exc:
        raise unreachable(server, exc) from None
    return decode(server, path, answer.status, answer.body)


def unreachable(server: Server, exc: Any) -> UpstreamError:
    return UpstreamError(f"{server.name} at {server.base}: {exc.reason}",
                         hint=f"check {server.setting}" if server.setting else None)


def decode(server: Server, path: str, status: int, body: bytes, not_found: str | None = None) -> Any:
    """The JSON of a 2xx answer (None when empty); the aiops error for anything else."""
    if 200 <= status < 300:
        if not body.strip():
            return None
        try:
            return safejson.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise UpstreamError(f"{server.name} at {server.base}: {path} answered non-JSON "
                                f"(HTTP {status})") from None
    raise status_error(server, path, status, body.decode("utf-8", errors="replace"), not_found)


def status_error(server: Server, path: str, status: int, text: str,
                 not_found: str | None = None) -> AiopsError:
    """The aiops error for a non-2xx answer, carrying the server's own message."""
    secrets = Access("", "", server.headers).secrets()
    text = hide(text, secrets)
    message = server_message(text)
    where = f"{server.name} at {server.base}"
    if status == 404:
        if not_found:
            return UsageError(not_found)
        return ConfigError(f"{where}: HTTP 404 for {path}",
                           hint=f"{server.setting or 'the URL'} must be the server's base URL")
    from aiops.prometheus.client import rejected_credentials

    if status in (401, 403) or status == 400 and not text.lstrip().startswith("{") and rejected_credentials(message):
        service = server.setting.split(".", 1)[0] or "the server"
        return AuthError(f"{where}: HTTP {status}: {message or 'not authorised'}",
                         hint=f"check {service}.bearer_token (or _file), username/password and headers")
    if status in (400, 422):
        return UsageError(f"{server.name} rejected the request: {message}")
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
