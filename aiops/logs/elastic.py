"""Elasticsearch 8.x and 9.x through the official 8.x client (imported only when used).

The client sends ``compatible-with=8`` media types, which 8.x servers speak natively and 9.x
servers accept through REST API compatibility; the 9.x client's ``compatible-with=9`` is
refused by every 8.x server (400 media_type_header_exception).

Tie-breaker: ``_shard_doc``, which with a point in time is unique across every shard of
every index the pattern matched.
"""

from __future__ import annotations

from typing import Any

from aiops.core.redact import redact
from aiops.logs.cluster import Failure, api_failure, root_reason


class ElasticClient:
    """Adapter from :class:`aiops.logs.cluster.ClusterBackend` to ``elasticsearch.Elasticsearch``."""

    name = "elasticsearch"
    product = "Elasticsearch"
    speaks = "Elasticsearch 8 (compatible-with=8)"  # the media types this client sends
    tiebreak = [{"_shard_doc": {"order": "asc"}}]

    def __init__(self, url: str, *, timeout: float, api_key: str | None = None,
                 username: str | None = None, password: str | None = None,
                 ca_bundle: str | None = None, insecure: bool = False, es: Any = None) -> None:
        self.url = redact(url)  # for messages; the client library gets the real one
        if es is None:
            from elasticsearch import Elasticsearch

            options: dict[str, Any] = {
                "request_timeout": timeout,
                # retries are ours: the client retries a 429 immediately and sleeps only
                # between connection errors, so both are off here
                "max_retries": 0, "retry_on_status": (), "retry_on_timeout": False,
            }
            if api_key:
                options["api_key"] = api_key
            elif username:
                options["basic_auth"] = (username, password or "")
            if url.startswith("https"):
                options["verify_certs"] = not insecure
                if insecure:
                    options["ssl_show_warn"] = False
                elif ca_bundle:
                    options["ca_certs"] = ca_bundle
            es = Elasticsearch(url, **options)
        self.es = es

    def field_caps(self, index: str, fields: list[str]) -> dict[str, Any]:
        return self.es.field_caps(index=index, fields=fields).body

    def open_pit(self, index: str, keep_alive: str) -> str:
        return self.es.open_point_in_time(index=index, keep_alive=keep_alive).body["id"]

    def search(self, body: dict[str, Any]) -> dict[str, Any]:
        return self.es.search(**body).body

    def search_index(self, index: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.es.search(index=index, **body).body

    def close_pit(self, pit_id: str) -> None:
        self.es.close_point_in_time(id=pit_id)

    def close(self) -> None:
        self.es.close()

    def failure(self, exc: Exception) -> Failure | None:
        from elastic_transport import ConnectionError as TransportConnectionError
        from elastic_transport import ConnectionTimeout, TlsError
        from elasticsearch import ApiError, UnsupportedProductError

        if isinstance(exc, UnsupportedProductError):
            return Failure(None, wrong_product=True)
        if isinstance(exc, ApiError):
            return api_failure(exc.meta.status, exc.body)
        if isinstance(exc, ConnectionTimeout):
            return Failure(None, timeout=True)
        if isinstance(exc, TransportConnectionError):
            return Failure(None, reason=root_reason(exc), tls=isinstance(exc, TlsError))
        return None

