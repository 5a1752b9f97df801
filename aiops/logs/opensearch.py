"""OpenSearch through ``opensearch-py`` (imported only when this backend is used).

Its point-in-time endpoint is ``POST /{index}/_search/point_in_time``. Tie-breaker:
``_index`` then ``_shard_doc``. ``_shard_doc`` alone is not unique across indices on every
OpenSearch-compatible server (osmem-server numbers documents per index), and ``_index``
first keeps the order equal to "index, then document" everywhere.
"""

from __future__ import annotations

from typing import Any

from aiops.core.errors import ConfigError
from aiops.core.redact import redact
from aiops.logs.cluster import Failure, api_failure, root_reason


class OpenSearchClient:
    """Adapter from :class:`aiops.logs.cluster.ClusterBackend` to ``opensearchpy.OpenSearch``."""

    name = "opensearch"
    product = "OpenSearch"
    tiebreak = [{"_index": {"order": "asc"}}, {"_shard_doc": {"order": "asc"}}]

    def __init__(self, url: str, *, timeout: float, api_key: str | None = None,
                 username: str | None = None, password: str | None = None,
                 ca_bundle: str | None = None, insecure: bool = False, client: Any = None) -> None:
        self.url = redact(url)  # for messages; the client library gets the real one
        if api_key:
            raise ConfigError("logs.api_key is an Elasticsearch API key; OpenSearch takes "
                              "logs.username and logs.password")
        if client is None:
            from opensearchpy import OpenSearch

            options: dict[str, Any] = {
                "timeout": timeout,
                # retries are ours (bounded, with backoff); the client's are immediate
                "max_retries": 0, "retry_on_status": (), "retry_on_timeout": False,
            }
            if username:
                options["http_auth"] = (username, password or "")
            if url.startswith("https"):
                options.update(use_ssl=True, verify_certs=not insecure, ssl_show_warn=False)
                if ca_bundle and not insecure:
                    options["ca_certs"] = ca_bundle
            client = OpenSearch(hosts=[url], **options)
        self.os = client

    def field_caps(self, index: str, fields: list[str]) -> dict[str, Any]:
        return self.os.field_caps(index=index, params={"fields": ",".join(fields)})

    def open_pit(self, index: str, keep_alive: str) -> str:
        return self.os.create_pit(index=index, params={"keep_alive": keep_alive})["pit_id"]

    def search(self, body: dict[str, Any]) -> dict[str, Any]:
        return self.os.search(body=body)

    def search_index(self, index: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.os.search(index=index, body=body)

    def close_pit(self, pit_id: str) -> None:
        self.os.delete_pit(body={"pit_id": [pit_id]})

    def close(self) -> None:
        self.os.close()

    def failure(self, exc: Exception) -> Failure | None:
        from opensearchpy import ConnectionError as OsConnectionError
        from opensearchpy import ConnectionTimeout, SSLError, TransportError

        if isinstance(exc, ConnectionTimeout):
            return Failure(None, timeout=True)
        if isinstance(exc, OsConnectionError):
            return Failure(None, reason=root_reason(exc.info if isinstance(exc.info, Exception)
                                                    else exc), tls=isinstance(exc, SSLError))
        if isinstance(exc, TransportError) and isinstance(exc.status_code, int):
            info = exc.info if isinstance(exc.info, dict) else {"error": exc.error}
            return api_failure(exc.status_code, info)
        return None
