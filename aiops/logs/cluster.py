"""Elasticsearch and OpenSearch: point-in-time + ``search_after`` paging, bounded retries.

A :class:`ClusterBackend` drives a small client adapter (``elastic.py``, ``opensearch.py``).
Traces page through a point in time sorted by ``timestamp`` and a tie-breaker, so there is
no 10,000-hit ceiling and no record is seen twice or skipped; the point in time is closed
in a ``finally``. A 429 is retried a bounded number of times with exponential backoff and
jitter (the clients' own retries are switched off: they retry immediately).
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
from typing import Any, Callable, Iterator, Protocol

from aiops.core.errors import AiopsError, AuthError, ConfigError, UpstreamError, UsageError
from aiops.logs import query as q
from aiops.logs.model import CORRELATION_ID, ErrorReport, Skipped
from aiops.logs.timeline import Trace

log = logging.getLogger(__name__)

PAGE_SIZE = 5000  # fewer round trips; a page of hits is a few MB, so memory stays flat
KEEP_ALIVE = "2m"
RETRIES = 4
BACKOFF_BASE = 0.5
BACKOFF_CAP = 8.0
HINT_FILES = "is the cluster up and logs.url right? While it is down, read log files with --file PATH"


class ClusterClient(Protocol):
    """What a backend needs from a client library (one adapter per library)."""

    name: str  # "elasticsearch" or "opensearch"
    product: str  # for messages
    url: str
    tiebreak: list[dict[str, Any]]

    def field_caps(self, index: str, fields: list[str]) -> dict[str, Any]: ...
    def open_pit(self, index: str, keep_alive: str) -> str: ...
    def search(self, body: dict[str, Any]) -> dict[str, Any]: ...
    def search_index(self, index: str, body: dict[str, Any]) -> dict[str, Any]: ...
    def close_pit(self, pit_id: str) -> None: ...
    def failure(self, exc: Exception) -> "Failure | None": ...


class Failure:
    """A client exception reduced to what decides the outcome."""

    def __init__(self, status: int | None, error_type: str = "", reason: str = "",
                 resource: str | None = None, timeout: bool = False, tls: bool = False,
                 wrong_product: bool = False) -> None:
        self.status, self.error_type, self.reason = status, error_type, reason
        self.resource, self.timeout, self.tls, self.wrong_product = resource, timeout, tls, wrong_product


def backoff_delay(attempt: int, base: float | None = None, cap: float | None = None,
                  rand: Callable[[float, float], float] = random.uniform) -> float:
    """Exponential backoff with equal jitter: half fixed, half random."""
    base = BACKOFF_BASE if base is None else base
    ceiling = min(BACKOFF_CAP if cap is None else cap, base * 2 ** attempt)
    return ceiling / 2 + rand(0, ceiling / 2)


class ClusterBackend:
    """Trace and group errors over an index pattern on Elasticsearch or OpenSearch."""

    def __init__(self, client: ClusterClient, index: str, *, timeout: float = 10.0,
                 page_size: int | None = None, keep_alive: str = KEEP_ALIVE,
                 retries: int = RETRIES, sleep: Callable[[float], None] = time.sleep,
                 rand: Callable[[float, float], float] = random.uniform) -> None:
        self.client, self.index, self.timeout = client, index, timeout
        self.page_size = page_size or PAGE_SIZE
        self.keep_alive, self.retries = keep_alive, retries
        self._sleep, self._rand = sleep, rand
        self._fields: q.Fields | None = None

    @property
    def name(self) -> str:
        return self.client.name

    @property
    def source(self) -> str:
        return f"{self.client.url} {self.index}"

    def trace(self, correlation_id: str, start: dt.datetime, end: dt.datetime, *,
              limit: int | None = None) -> Trace:
        """Every record with exactly this correlation ID in [start, end], in time order."""
        if not correlation_id:
            raise UsageError("the correlation ID is empty")
        fields = self.fields()
        match = q.id_filter(fields, correlation_id, self.index)
        skipped = Skipped(missing_fields=self._count(q.without_timestamp(match)))
        page = self.page_size if limit is None else max(1, min(self.page_size, limit + 1))
        records = self._pages(q.trace_query(match, start, end), correlation_id, page)
        return Trace(correlation_id, backend=self.name, source=self.source, start=start, end=end,
                     records=records, skipped=skipped, limit=limit)

    def errors(self, start: dt.datetime, end: dt.datetime, *, top: int = 10) -> ErrorReport:
        """ERROR/FATAL records in [start, end] grouped by logger and message (terms aggs)."""
        fields = self.fields()
        body = q.errors_body(fields, start, end, top, self.index)
        response = self._call("search", self.client.search_index, self.index, body)
        missing = self._count(q.without_timestamp(q.error_levels(fields, self.index)))
        return ErrorReport(self.name, self.source, start, end, q.total_hits(response),
                           q.parse_errors(response, top), Skipped(missing_fields=missing))

    def close(self) -> None:
        """Release the client's connections."""
        close = getattr(self.client, "close", None)
        if close is not None:
            close()

    def fields(self) -> q.Fields:
        """Field mapping facts for the index pattern (one ``_field_caps`` call, cached)."""
        if self._fields is None:
            caps = self._call("field capabilities request", self.client.field_caps,
                              self.index, q.CAPS_FIELDS)
            self._fields = q.resolve_fields(caps, self.index, self.client.url)
        return self._fields

    def _count(self, query: dict[str, Any]) -> int:
        body = {"size": 0, "track_total_hits": True, "query": query}
        return q.total_hits(self._call("search", self.client.search_index, self.index, body))

    def _pages(self, query: dict[str, Any], correlation_id: str, page: int
               ) -> Iterator[tuple[dict[str, Any], str | None]]:
        pit = self._call("point-in-time request", self.client.open_pit, self.index, self.keep_alive)
        try:
            after: list[Any] | None = None
            sort = q.trace_sort(self.client.tiebreak)
            while True:
                body: dict[str, Any] = {"size": page, "query": query, "sort": sort,
                                        "pit": {"id": pit, "keep_alive": self.keep_alive},
                                        "track_total_hits": False}
                if after is not None:
                    body["search_after"] = after
                response = self._call("search", self.client.search, body)
                pit = response.get("pit_id") or pit
                hits = response.get("hits", {}).get("hits", [])
                for hit in hits:
                    source = hit.get("_source") or {}
                    # the term lookup may also hit a text field; only the exact ID belongs here
                    if source.get(CORRELATION_ID) == correlation_id:
                        yield source, hit.get("_index")
                if len(hits) < page:
                    return
                after = hits[-1]["sort"]
        finally:
            try:
                self.client.close_pit(pit)
            except Exception as exc:  # the point in time expires by itself; do not mask errors
                log.debug("closing the point in time failed: %s", exc)

    def _call(self, action: str, func: Callable[..., Any], *args: Any) -> Any:
        for attempt in range(self.retries + 1):
            try:
                return func(*args)
            except Exception as exc:
                failure = self.client.failure(exc)
                if failure is None:
                    raise
                if failure.status == 429 and attempt < self.retries:
                    delay = backoff_delay(attempt, rand=self._rand)
                    log.info("%s answered 429; retrying in %.1fs", self.client.product, delay)
                    self._sleep(delay)
                    continue
                raise self._error(failure, action, attempt + 1) from None
        raise AssertionError("unreachable")

    def _error(self, f: Failure, action: str, attempts: int) -> AiopsError:
        product, url = self.client.product, self.client.url
        if f.status is None:
            if f.wrong_product:
                return UsageError(f"the server at {url} is not {product}",
                                  hint="for OpenSearch use --backend opensearch")
            if f.timeout:
                return UpstreamError(f"no answer from {product} at {url} within {self.timeout:g}s",
                                     hint=HINT_FILES)
            return UpstreamError(f"cannot reach {product} at {url}: {f.reason}",
                                 hint="check logs.ca_bundle (or set tls.insecure)" if f.tls else HINT_FILES)
        detail = f"{f.status} {f.error_type}".strip()
        if f.status == 406 or f.error_type == "media_type_header_exception":
            speaks = getattr(self.client, "speaks", product)
            return UsageError(f"the server at {url} refuses {speaks} requests ({detail})",
                              hint=f"for OpenSearch use --backend opensearch; {product} must be "
                                   "8.x or 9.x")
        if f.status == 401:
            return AuthError(f"{product} at {url} rejected the credentials ({detail})",
                             hint="set logs.api_key, or logs.username and logs.password")
        if f.status == 403:
            return AuthError(f"{product} at {url} denied reading '{self.index}' ({detail})",
                             hint="the user needs read and view_index_metadata on the index")
        if f.status == 404 and f.error_type == "index_not_found_exception":
            missing = f.resource or self.index
            return ConfigError(f"index '{missing}' does not exist on {url}",
                               hint=f"check --index / logs.index (now '{self.index}')")
        if f.status == 429:
            return UpstreamError(f"{product} at {url} is overloaded: {detail} after {attempts} "
                                 "attempts", hint="retry later, or narrow the window with --since")
        reason = f": {f.reason}" if f.reason else ""
        return UpstreamError(f"{product} at {url} failed the {action} ({detail}){reason}")


def api_failure(status: int, body: Any) -> Failure:
    """An HTTP error response (status and Elasticsearch-style error body) as a Failure."""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        root = (error.get("root_cause") or [error])[0]
        return Failure(status, str(error.get("type", "")), str(root.get("reason") or ""),
                       root.get("resource.id") or root.get("index"))
    return Failure(status, "", str(error or body or "")[:200])


def root_reason(exc: BaseException) -> str:
    """The innermost cause, in one line (e.g. 'Connection refused')."""
    seen = exc
    for _ in range(20):  # exception chains can be cyclic
        nxt = seen.__cause__ or seen.__context__
        if nxt is None:
            break
        seen = nxt
    text = str(seen).strip() or type(seen).__name__
    if "Connection refused" in text or "Errno 111" in text:
        return "connection refused"
    return text.splitlines()[0][:200]
