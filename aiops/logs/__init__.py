"""Follow one correlation ID through Elasticsearch, OpenSearch or JSON-lines log files.

    from aiops.logs import open_backend

    backend = open_backend(cfg)                      # the logs.* settings, or overrides
    with backend.trace("req-12345", start, end) as trace:
        for entry in trace:                          # TimelineEntry, in time order, streamed
            ...
    trace.summary.to_dict()                          # complete once iteration ends
    backend.errors(start, end, top=10).to_dict()     # ErrorReport

Client libraries are imported only by the backend that needs them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from aiops.core.errors import ConfigError, UsageError
from aiops.logs.model import ErrorGroup, ErrorReport, Skipped, TimelineEntry, TraceSummary
from aiops.logs.timeline import Trace, write_json

__all__ = ["BACKENDS", "ErrorGroup", "ErrorReport", "LogBackend", "Skipped", "TimelineEntry",
           "Trace", "TraceSummary", "open_backend", "write_json"]

BACKENDS = ("elasticsearch", "opensearch", "file")


class LogBackend(Protocol):
    """What every backend offers."""

    name: str

    @property
    def source(self) -> str: ...

    def trace(self, correlation_id: str, start: dt.datetime, end: dt.datetime, *,
              limit: int | None = None) -> Trace: ...

    def errors(self, start: dt.datetime, end: dt.datetime, *, top: int = 10) -> ErrorReport: ...

    def close(self) -> None: ...


def open_backend(cfg: Any = None, backend: str | None = None, url: str | None = None,
                 index: str | None = None, file: str | None = None,
                 timeout: float | None = None, **options: Any) -> LogBackend:
    """The log backend the arguments, else the ``logs.*`` settings in ``cfg``, select.

    ``file`` alone selects the file backend. ``options`` go to the cluster backend
    (``page_size``, ``retries``, ``sleep``, ...). Raises ConfigError/UsageError naming
    what is missing.
    """
    get = _getter(cfg)
    if file and backend not in (None, "file"):
        raise UsageError(f"--file reads log files; it cannot be combined with --backend {backend}")
    chosen = backend or ("file" if file else get("logs.backend"))
    if chosen not in BACKENDS:
        raise UsageError(f"unknown log backend '{chosen}'; choose one of {', '.join(BACKENDS)}")
    if chosen == "file":
        from aiops.logs.files import FileBackend

        path = file or get("logs.file")
        if not path:
            raise ConfigError("no log file given", hint="pass --file PATH_OR_GLOB or set logs.file")
        return FileBackend(path)
    return _cluster(get, chosen, url, index, timeout, options)


def _cluster(get: Any, chosen: str, url: str | None, index: str | None,
             timeout: float | None, options: dict[str, Any]) -> LogBackend:
    from aiops.core.http import normalise_url
    from aiops.logs.cluster import ClusterBackend

    raw_url = url or get("logs.url")
    if not raw_url:
        raise ConfigError(f"no {chosen} URL configured",
                          hint="pass --url or set logs.url (or read files with --file PATH)")
    base = normalise_url(raw_url)
    timeout = float(timeout or get("timeout") or 10.0)
    auth = dict(api_key=get("logs.api_key"), username=get("logs.username"),
                password=get("logs.password"), ca_bundle=get("logs.ca_bundle") or get("tls.ca_bundle"),
                insecure=bool(get("tls.insecure")), timeout=timeout)
    if chosen == "elasticsearch":
        from aiops.logs.elastic import ElasticClient

        client: Any = ElasticClient(base, **auth)
    else:
        from aiops.logs.opensearch import OpenSearchClient

        client = OpenSearchClient(base, **auth)
    return ClusterBackend(client, index or get("logs.index") or "logs-*", timeout=timeout, **options)


def _getter(cfg: Any) -> Any:
    from collections.abc import Mapping

    from aiops.core.config import BY_KEY

    if cfg is None:
        return lambda key: BY_KEY[key].default
    if isinstance(cfg, Mapping):  # a plain {key: value} dict; the rest come from defaults
        return lambda key: cfg.get(key, BY_KEY[key].default)
    return cfg.get
