"""Trace stores over HTTP: Jaeger's query API v3 and Grafana Tempo's HTTP API.

| store  | one trace                     | search                                          |
|--------|-------------------------------|-------------------------------------------------|
| jaeger | GET /api/v3/traces/{traceId}  | GET /api/v3/traces?query.serviceName=...        |
| tempo  | GET /api/v2/traces/{traceId}  | GET /api/search?tags=...&minDuration=...&q=...  |

Both answer OTLP JSON. Failures: unreachable or timed out -> exit 5 (within ``timeout``),
401/403 -> exit 4, an unknown trace ID (404 or an empty answer) -> exit 3.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass
from typing import Any

from aiops.core import safejson
from aiops.core.errors import CheckFailed, UpstreamError
from aiops.tracing.model import Skipped, Span, spans_of


@dataclass(frozen=True)
class Store:
    """Where a trace store answers, and how to authenticate to it."""

    backend: str  # jaeger | tempo
    url: str
    timeout: float
    service: str | None = None
    token: str | None = None
    username: str | None = None
    password: str | None = None
    ca_bundle: str | None = None
    insecure: bool = False

    @property
    def label(self) -> str:
        from aiops.core.redact import redact

        return f"{self.backend.title()} at {redact(self.url)}"

    def headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        elif self.username:
            pair = f"{self.username}:{self.password or ''}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        return headers


def _server(store: Store) -> Any:
    from aiops.prometheus.http import Server

    return Server(store.label, store.url, store.timeout, store.ca_bundle, store.insecure, "tracing.url")


async def _get(store: Store, path: str, params: dict[str, Any] | None = None) -> tuple[int, bytes]:
    import aiohttp

    from aiops.core.http import FetchError, aiohttp_tls, fetch

    connector = aiohttp.TCPConnector(ssl=aiohttp_tls(store.ca_bundle, store.insecure))
    async with aiohttp.ClientSession(connector=connector, trust_env=False, headers=store.headers()) as http:
        try:
            resp = await fetch(http, store.url + path, timeout=store.timeout, params=params or None,
                               max_body=256 * 1024 * 1024)
        except FetchError as exc:
            raise UpstreamError(f"{store.label}: {exc.reason}", hint="check tracing.url") from None
    return resp.status, resp.body


def get(store: Store, path: str, params: dict[str, Any] | None = None, *, missing: str | None = None) -> Any:
    """GET ``path``; the decoded JSON documents (one per line for a streamed answer).

    ``missing`` is the CheckFailed message for a 404 (an unknown trace).
    """
    import asyncio

    from aiops.prometheus.http import status_error

    status, body = asyncio.run(_get(store, path, params))
    if status == 404 and missing:
        raise CheckFailed(missing, hint="check the ID, or widen the window with --since")
    if not 200 <= status < 300:
        raise status_error(_server(store), path, status, body.decode("utf-8", "replace"))
    return _documents(store, path, body)


def _documents(store: Store, path: str, body: bytes) -> list[Any]:
    text = body.decode("utf-8", "replace").strip()
    if not text:
        return []
    try:
        return [safejson.loads(text)]
    except ValueError:
        pass
    try:  # a server-streamed answer: one JSON object per line
        return [safejson.loads(line) for line in text.splitlines() if line.strip()]
    except ValueError:
        raise UpstreamError(f"{store.label}: {path} answered non-JSON") from None


def _traces_data(doc: Any) -> Any:
    """The ``TracesData`` inside an answer: bare, Jaeger's ``result`` or Tempo's ``trace``."""
    if isinstance(doc, dict):
        if isinstance(doc.get("error"), dict):
            raise UpstreamError(f"trace store error: {str(doc['error'].get('message') or doc['error'])[:300]}")
        for key in ("result", "trace"):
            if isinstance(doc.get(key), dict):
                return doc[key]
    return doc


def spans_from(docs: list[Any], skipped: Skipped, place: str) -> list[Span]:
    """Every span in a list of answers."""
    out: list[Span] = []
    for doc in docs:
        out.extend(spans_of(_traces_data(doc), skipped, place))
    return out


def rfc3339(when: dt.datetime) -> str:
    return when.astimezone(dt.timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def go_duration(seconds: float) -> str:
    """Seconds in Go's duration syntax, as Jaeger's and Tempo's query parameters take them."""
    return f"{seconds:.6f}".rstrip("0").rstrip(".") + "s"


class RemoteSource:
    """One trace store (:class:`Store`): fetch a trace by ID, search recent ones."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.name = store.backend

    @property
    def source(self) -> str:
        return self.store.label

    def get(self, trace_id: str, start: dt.datetime | None = None,
            end: dt.datetime | None = None) -> tuple[list[Span], Skipped]:
        """The spans of ``trace_id``; CheckFailed (exit 3) when the store does not know it."""
        skipped = Skipped()
        missing = f"no trace {trace_id} in {self.source}"
        if self.store.backend == "jaeger":
            params = {"startTime": rfc3339(start), "endTime": rfc3339(end)} if start and end else None
            docs = get(self.store, f"/api/v3/traces/{trace_id}", params, missing=missing)
        else:
            docs = get(self.store, f"/api/v2/traces/{trace_id}", missing=missing)
        spans = [s for s in spans_from(docs, skipped, self.source) if s.trace_id == trace_id]
        if not spans:
            raise CheckFailed(missing, hint="check the ID, or widen the window with --since")
        return spans, skipped

    def candidates(self, start: dt.datetime, end: dt.datetime, min_duration_s: float | None,
                   errors: bool, limit: int) -> tuple[list[Span], Skipped]:
        """Spans of the traces the store's own search returns for the window (to be ranked)."""
        skipped = Skipped()
        if self.store.backend == "jaeger":
            return self._jaeger_search(start, end, min_duration_s, errors, limit, skipped), skipped
        return self._tempo_search(start, end, min_duration_s, errors, limit, skipped), skipped

    def _jaeger_search(self, start: dt.datetime, end: dt.datetime, min_duration_s: float | None,
                       errors: bool, limit: int, skipped: Skipped) -> list[Span]:
        params: dict[str, Any] = {"query.serviceName": self.store.service, "query.startTimeMin": rfc3339(start),
                                  "query.startTimeMax": rfc3339(end),
                                  "query.searchDepth": min(1000, limit * 10 if errors else max(limit * 4, 20))}
        if min_duration_s:
            params["query.durationMin"] = go_duration(min_duration_s)
        docs = get(self.store, "/api/v3/traces", params)
        return spans_from(docs, skipped, self.source)

    def _tempo_search(self, start: dt.datetime, end: dt.datetime, min_duration_s: float | None,
                      errors: bool, limit: int, skipped: Skipped) -> list[Span]:
        condition = f'resource.service.name = "{_traceql_string(self.store.service or "")}"'
        if errors:
            condition += " && status = error"
        params: dict[str, Any] = {"q": "{ " + condition + " }", "start": int(start.timestamp()),
                                  "end": int(end.timestamp()) + 1, "limit": min(1000, max(limit * 4, 20))}
        if min_duration_s:
            params["minDuration"] = go_duration(min_duration_s)
        found = get(self.store, "/api/search", params)
        ids = [t.get("traceID") for doc in found if isinstance(doc, dict)
               for t in doc.get("traces") or [] if isinstance(t, dict) and t.get("traceID")]
        spans: list[Span] = []
        for trace_id in ids[: max(limit * 4, 20)]:
            try:
                spans += self.get(str(trace_id).lower().rjust(32, "0"))[0]
            except CheckFailed:  # gone between the search and the fetch
                continue
        return spans


def _traceql_string(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')
