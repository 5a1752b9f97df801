"""Ship the lab's JSON log records to Elasticsearch or OpenSearch in bulk.

The official clients' bulk helpers (``elasticsearch.helpers.bulk`` /
``opensearchpy.helpers.bulk``) send batches from a background thread. Documents are
written with ``op_type=create`` and an ``@timestamp`` copy of ``timestamp``, so the same
code works for a plain index and for a data stream (Elasticsearch's built-in ``logs-*-*``
template turns ``logs-sim-lab`` into one).
"""

from __future__ import annotations

import json
import logging
import queue
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

BACKENDS = ("elasticsearch", "opensearch")
DEFAULT_INDEX = "logs-sim-lab"


@dataclass(frozen=True)
class ShipTarget:
    """Where to ship: backend, URL, index and credentials (never printed)."""

    backend: str
    url: str
    index: str = DEFAULT_INDEX
    api_key: str | None = None
    username: str | None = None
    password: str | None = None
    ca_bundle: str | None = None

    def describe(self) -> dict[str, str]:
        from aiops.core.redact import redact

        return {"backend": self.backend, "url": redact(self.url), "index": self.index}


def make_client(target: ShipTarget) -> tuple[Any, Callable[..., Any]]:
    """(client, bulk helper) for the target's backend; the client library is imported here."""
    https = target.url.lower().startswith("https://")
    auth = (target.username, target.password or "") if target.username else None
    if target.backend == "elasticsearch":
        from elasticsearch import Elasticsearch, helpers

        client = Elasticsearch(target.url, api_key=target.api_key, basic_auth=auth,
                               ca_certs=target.ca_bundle if https else None, request_timeout=10,
                               max_retries=1, retry_on_status=())
        return client, helpers.bulk
    from opensearchpy import OpenSearch, helpers

    headers = {"Authorization": f"ApiKey {target.api_key}"} if target.api_key else None
    client = OpenSearch(hosts=[target.url], http_auth=auth, headers=headers,
                        ca_certs=target.ca_bundle if https else None, timeout=10, max_retries=1)
    return client, helpers.bulk


class BulkShipper(logging.Handler):
    """A logging handler that queues formatted records and bulk-indexes them.

    It expects records whose message is the JSON line made by the runbook formatter (the
    log queue's listener hands it exactly those). A full queue drops records rather than
    blocking; failures are reported on stderr at most once a minute and in ``status()``.
    """

    def __init__(self, target: ShipTarget, *, batch_size: int = 500, interval: float = 1.0,
                 max_queue: int = 50_000, client_factory: Callable[[ShipTarget], tuple] = make_client,
                 stderr: Any = None) -> None:
        super().__init__()
        self.target = target
        self.batch_size, self.interval = batch_size, interval
        self._queue: queue.Queue = queue.Queue(max_queue)
        self._factory = client_factory
        self._client: Any = None
        self._bulk: Callable[..., Any] | None = None
        self._stop = threading.Event()
        self._stderr = stderr
        self._last_warning = 0.0
        self.shipped = self.failed = self.dropped = 0
        self.last_error: str | None = None
        self._thread = threading.Thread(target=self._run, name="log-shipper", daemon=True)
        self._thread.start()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            doc = json.loads(record.getMessage())
        except ValueError:
            return
        doc["@timestamp"] = doc.get("timestamp")
        try:
            self._queue.put_nowait(doc)
        except queue.Full:
            self.dropped += 1

    def status(self) -> dict[str, Any]:
        """Counts and the last error, for /health."""
        return {**self.target.describe(), "shipped": self.shipped, "failed": self.failed,
                "dropped": self.dropped, "queued": self._queue.qsize(), "last_error": self.last_error}

    def close(self) -> None:
        """Send what is queued (up to ~10 s), then stop."""
        self._stop.set()
        self._thread.join(timeout=10)
        super().close()

    def _run(self) -> None:
        while True:
            batch = self._take()
            if batch:
                self._send(batch)
            elif self._stop.is_set():
                return

    def _take(self) -> list[dict[str, Any]]:
        batch: list[dict[str, Any]] = []
        deadline = time.monotonic() + self.interval
        while len(batch) < self.batch_size:
            timeout = deadline - time.monotonic()
            if timeout <= 0 or self._stop.is_set() and self._queue.empty():
                break
            try:
                batch.append(self._queue.get(timeout=min(timeout, 0.1)))
            except queue.Empty:
                continue
        return batch

    def _send(self, batch: list[dict[str, Any]]) -> None:
        actions = [{"_op_type": "create", "_index": self.target.index, "_source": doc} for doc in batch]
        try:
            if self._client is None:
                self._client, self._bulk = self._factory(self.target)
            ok, errors = self._bulk(self._client, actions, raise_on_error=False,
                                    raise_on_exception=False)
        except Exception as exc:  # any client or transport failure: count, report, carry on
            self.failed += len(batch)
            self._warn(f"{type(exc).__name__}: {str(exc)[:200]}")
            return
        self.shipped += ok
        if errors:
            self.failed += len(errors)
            self._warn(f"{len(errors)} of {len(batch)} records rejected: {_describe(errors[0])}")
        else:
            self.last_error = None

    def _warn(self, reason: str) -> None:
        from aiops.core.redact import redact

        reason = redact(reason, [self.target.password or "", self.target.api_key or ""])
        self.last_error = reason  # shown by /health: no credentials
        now = time.monotonic()
        if now - self._last_warning >= 60:
            self._last_warning = now
            stream = self._stderr or sys.stderr
            stream.write(f"warning: shipping logs to {redact(self.target.url)} failed: {reason}\n")
            stream.flush()


def _describe(item: Any) -> str:
    """One line for a failed bulk item: ``HTTP 400: mapper_parsing_exception ...``."""
    detail = next(iter(item.values()), item) if isinstance(item, dict) and len(item) == 1 else item
    if isinstance(detail, dict):
        error = detail.get("error")
        if isinstance(error, dict):
            error = f"{error.get('type')}: {error.get('reason')}"
        return f"HTTP {detail.get('status')}: {str(error)[:200]}"
    return str(detail)[:200]
