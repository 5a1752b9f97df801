"""PromQL through prometheus-api-client, failing fast and speaking aiops's exit codes.

The library retries refused connections for seconds by default; :func:`connect` gives it a
``Retry`` that never retries (on a lean urllib3 session, :mod:`aiops.prometheus.transport`), so an
unreachable Prometheus is exit 5 within ``timeout``.
Prometheus's own error bodies become one-line errors: ``bad_data`` and ``execution`` (the
query is wrong or too big) exit 2, ``timeout``/``unavailable``/``internal`` exit 5.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import re
import time
from typing import Any, Callable, Mapping

from aiops.core.errors import AiopsError, AuthError, ConfigError, UpstreamError, UsageError
from aiops.prometheus.results import QueryResult, RangeResult, parse_result

_STATUS = re.compile(r"HTTP Status Code (\d+) \((.*)\)\s*$", re.S)
USER_ERRORS = ("bad_data", "execution")


class Client:
    """A configured ``PrometheusConnect`` plus the base URL for messages."""

    def __init__(self, base: str, connect: Any, timeout: float, secrets: tuple[str, ...] = ()) -> None:
        self.base = base
        self.pc = connect
        self.timeout = timeout
        self.secrets = secrets  # credentials a server might echo in an error: never shown

    def close(self) -> None:
        self.pc.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect(cfg: Any, *, timeout: float | None = None, pool: int = 16, compress: bool = False) -> Client:
    """A client for ``cfg['prometheus.url']`` that does not retry and honours the TLS settings.

    ``compress`` asks for gzip: worth it for big range results, not for instant queries
    (Prometheus spends ~1 ms of CPU per gzipped answer, more than the query itself).
    """
    from prometheus_api_client import PrometheusConnect
    from urllib3.util.retry import Retry

    from aiops.prometheus.http import Access
    from aiops.prometheus.transport import PoolSession

    access = Access.from_config(cfg, "prometheus")
    base = access.base
    timeout = float(timeout or cfg.get("timeout"))
    # no retries of any kind (a refused connection is reported at once); follow redirects
    retry = Retry(total=None, connect=0, read=0, status=0, other=0, redirect=3, raise_on_status=False)
    verify = access.ca_bundle or not access.insecure
    session = PoolSession(base, retry=retry, verify=verify, pool=pool, compress=compress,
                          headers=access.headers)
    return Client(base, PrometheusConnect(base, retry=retry, session=session, timeout=timeout), timeout,
                  access.secrets())


def call(client: Client, fn: Callable[[], Any]) -> Any:
    """Run one library call, mapping every failure to an :class:`AiopsError`."""
    import urllib3
    from prometheus_api_client import PrometheusApiClientException

    where = f"Prometheus at {client.base}"
    try:
        return fn()
    except PrometheusApiClientException as exc:
        from aiops.prometheus.http import hide

        raise api_error(client.base, hide(str(exc), client.secrets)) from None
    except urllib3.exceptions.HTTPError as exc:
        reason = getattr(exc, "reason", None) or exc
        # urllib3's connection errors subclass its TimeoutError: judge by the socket error
        # underneath, so a refused connection is never reported as a timeout.
        if _refused(reason):
            raise UpstreamError(f"{where}: connection refused",
                                hint="check prometheus.url and that Prometheus is running") from None
        connecting = isinstance(reason, urllib3.exceptions.NewConnectionError)
        if not connecting and isinstance(reason, (urllib3.exceptions.TimeoutError, TimeoutError)):
            raise UpstreamError(f"{where}: timed out after {client.timeout:g}s") from None
        if isinstance(reason, urllib3.exceptions.SSLError):
            raise UpstreamError(f"{where}: TLS error: {_root(reason)}") from None
        raise UpstreamError(f"{where}: {_connection_reason(reason)}",
                            hint="check prometheus.url and that Prometheus is running") from None
    except OSError as exc:
        raise UpstreamError(f"{where}: {_connection_reason(exc)}") from None
    except (ValueError, KeyError, TypeError) as exc:  # 200 but not Prometheus's JSON
        raise UpstreamError(f"{where}: unexpected answer ({type(exc).__name__}: {str(exc)[:120]})",
                            hint="is prometheus.url a Prometheus server?") from None


def api_error(base: str, text: str) -> AiopsError:
    """The error for a non-200 answer; ``text`` is the library's 'HTTP Status Code N (body)'."""
    match = _STATUS.search(text)
    status, body = (int(match.group(1)), _body(match.group(2))) if match else (0, text)
    try:
        doc = json.loads(body)
        kind, message = doc.get("errorType", ""), doc.get("error", "")
    except (ValueError, AttributeError):
        kind, message = "", body.strip()[:200]
    if kind in USER_ERRORS:
        return UsageError(f"Prometheus rejected the query ({kind}): {message}")
    if status in (401, 403) or (status == 400 and not kind and rejected_credentials(message)):
        return AuthError(f"Prometheus at {base}: HTTP {status}: {message or 'not authorised'}",
                         hint="check prometheus.bearer_token (or _file), username/password and headers")
    if status == 404:
        return ConfigError(f"Prometheus at {base}: HTTP 404 for the query API",
                           hint="prometheus.url must be the server's base URL")
    detail = f"{kind}: {message}" if kind else (message or "no detail")
    return UpstreamError(f"Prometheus at {base}: HTTP {status}: {detail}")


def rejected_credentials(text: str) -> bool:
    """Whether a plain-text 400 from an auth proxy is about the credentials (vmauth answers an
    unknown bearer token with 400 "cannot find the provided auth token")."""
    low = text.lower()
    return "auth" in low and any(w in low for w in ("token", "credential", "password", "unauthori"))


def _body(literal: str) -> str:
    try:
        value = ast.literal_eval(literal)
    except (ValueError, SyntaxError):
        return literal
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _refused(exc: BaseException) -> bool:
    """Whether a refused connection is anywhere in ``exc``'s chain of causes."""
    import errno

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ConnectionRefusedError) or getattr(current, "errno", None) == errno.ECONNREFUSED:
            return True
        if "connection refused" in str(current).lower():
            return True
        current = current.__cause__ or current.__context__
    return False


def _connection_reason(exc: BaseException) -> str:
    root = _root(exc)
    text = str(root)
    if _refused(exc):
        return "connection refused"
    if isinstance(root, TimeoutError) or "timed out" in text.lower():
        return "timed out"
    if "Name or service not known" in text or "NameResolution" in text or "nodename" in text:
        return "DNS lookup failed"
    return f"cannot connect: {text[:160]}"


def _root(exc: BaseException) -> BaseException:
    """The innermost cause: requests wraps urllib3 wraps the socket error."""
    while (nxt := exc.__cause__ or exc.__context__) is not None and nxt is not exc:
        exc = nxt
    return exc


def query(client: Client, promql: str, *, at: dt.datetime | None = None, raw: bool = False) -> Any:
    """One instant query; ``at`` defaults to Prometheus's now. ``raw``: the result list as
    Prometheus sends it (no Series objects: for answers of thousands of series)."""
    params = {"time": f"{at.timestamp():.3f}"} if at else None
    start = time.perf_counter()
    raw_result = call(client, lambda: client.pc.custom_query(promql, params=params))
    if raw:
        return raw_result
    kind, series = parse_result(raw_result)
    return QueryResult(promql, kind, series, at, (time.perf_counter() - start) * 1000)


def query_range(client: Client, promql: str, start: dt.datetime, end: dt.datetime,
                step_s: float) -> RangeResult:
    """One range query from ``start`` to ``end`` every ``step_s`` seconds."""
    if step_s <= 0:
        raise UsageError("--step must be positive")
    began = time.perf_counter()
    raw = call(client, lambda: client.pc.custom_query_range(promql, start, end, f"{step_s:g}s"))
    _, series = parse_result(raw)
    return RangeResult(promql, start, end, step_s, series, (time.perf_counter() - began) * 1000)


def query_many(client: Client, queries: Mapping[str, str], *, at: dt.datetime | None = None,
               workers: int = 16, raw: bool = False) -> dict[str, QueryResult | AiopsError]:
    """Run instant queries concurrently; each key maps to its result or its error.

    The worker threads are all started before any query is sent: a thread started while
    others hold the GIL waits for it, which would stagger the queries by milliseconds each.
    An unreachable Prometheus fails every query the same way; the caller decides what that
    means (the scorecard falls back to scraping).
    """
    import threading

    results: dict[str, QueryResult | AiopsError] = {}
    go = threading.Event()
    items = list(queries.items())
    shares = [items[i::max(1, min(workers, len(items)))] for i in range(max(1, min(workers, len(items))))]

    crashed: list[BaseException] = []

    def work(share: list[tuple[str, str]]) -> None:
        go.wait()
        for key, promql in share:
            try:
                results[key] = query(client, promql, at=at, raw=raw)
            except AiopsError as exc:
                results[key] = exc
            except Exception as exc:  # a bug: re-raised in the caller's thread below
                crashed.append(exc)
                return

    threads = [threading.Thread(target=work, args=(share,), daemon=True) for share in shares if share]
    for thread in threads:
        thread.start()
    go.set()
    for thread in threads:
        thread.join()
    if crashed:
        raise crashed[0]
    return {key: results[key] for key in queries}
