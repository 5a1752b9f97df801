"""The HTTP session prometheus-api-client runs on: one urllib3 pool, one ``Retry`` policy.

``PrometheusConnect`` accepts any session with requests' ``request(...)`` signature. A plain
``requests.Session`` costs ~0.8 ms of CPU per call here (request preparation, hooks,
settings merging), more than Prometheus takes to answer a scorecard query; a urllib3 pool
costs ~0.4 ms, so concurrent queries spend their time waiting for Prometheus, not for the
GIL. The ``Retry`` given is the only retry policy: aiops passes one that never retries, so a
refused connection fails at once.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit


class Reply:
    """The part of ``requests.Response`` prometheus-api-client reads."""

    def __init__(self, status: int, content: bytes) -> None:
        self.status_code = status
        self.content = content
        self.ok = 200 <= status < 400

    def json(self) -> Any:
        from aiops.core import safejson

        return safejson.loads(self.content)  # ValueError for garbage, deep nesting included


class PoolSession:
    """``session.request(method, url, params=..., timeout=...)`` on a urllib3 connection pool."""

    def __init__(self, base: str, *, retry: Any, verify: bool | str = True, pool: int = 16,
                 compress: bool = False, headers: dict[str, str] | None = None) -> None:
        import urllib3

        parts = urlsplit(base)
        tls: dict[str, Any] = {}
        if parts.scheme == "https":
            tls = {"cert_reqs": "CERT_REQUIRED" if verify else "CERT_NONE"}
            if isinstance(verify, str):
                tls["ca_certs"] = verify
            if not verify:
                urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        self._pool = urllib3.connection_from_url(base, maxsize=pool, block=False, retries=retry, **tls)
        self._retry = retry
        self._headers = {"Accept-Encoding": "gzip" if compress else "identity",
                         "User-Agent": "aiops", **(headers or {})}
        self.verify, self.cert, self.proxies, self.headers = verify, None, {}, {}

    def mount(self, prefix: str, adapter: Any) -> None:
        """PrometheusConnect mounts a requests adapter; the pool already has the policy."""

    def request(self, method: str, url: str, params: dict | None = None, headers: dict | None = None,
                timeout: float | None = None, data: Any = None, **_: Any) -> Reply:
        import urllib3

        path = urlsplit(url).path
        query = urlencode(params or {}, doseq=True)
        body, extra = None, {}
        if method == "POST":
            body, extra = query, {"Content-Type": "application/x-www-form-urlencoded"}
        elif query:
            path = f"{path}?{query}"
        resp = self._pool.urlopen(method, path, body=body, headers={**self._headers, **extra, **(headers or {})},
                                  retries=self._retry, redirect=True, preload_content=True,
                                  timeout=urllib3.Timeout(connect=timeout, read=timeout))
        return Reply(resp.status, resp.data)

    def close(self) -> None:
        self._pool.close()
