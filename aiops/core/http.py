"""aiops's own HTTP: aiohttp with verified TLS, capped bodies and one-line failure reasons.

aiohttp is imported inside the functions: it is a heavy import and the CLI must start fast.
"""

from __future__ import annotations

import errno
import functools
import re
import ssl
import time
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import urlsplit

from aiops.core.errors import UsageError

DEFAULT_MAX_BODY = 4 * 1024 * 1024
_CHUNK = 64 * 1024


@dataclass
class Response:
    """A complete (capped) response."""

    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    latency_s: float
    content_type: str = ""

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


@dataclass
class FetchError(Exception):
    """A request that produced no usable response: ``kind`` is transport, timeout, tls or body."""

    kind: str
    reason: str
    latency_s: float = 0.0
    status: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from aiops.core.redact import redact

        self.reason = redact(self.reason)  # e.g. aiohttp's InvalidURL quotes the whole URL

    def __str__(self) -> str:
        return self.reason


_SCHEME_TYPO = re.compile(r"^(https?)(?::/?|//|/|:\\\\)(?=[^/])", re.IGNORECASE)


def normalise_url(raw: str) -> str:
    """``host:port`` -> ``http://host:port``; reject what cannot be a base URL.

    Raises UsageError with the reason, e.g. ``invalid URL 'ftp://x': scheme must be http or https``.
    """
    text = raw.strip()
    if "://" not in text:
        # host:port means http; a mistyped scheme ("http//x", "https:/x") is not a host name
        typo = _SCHEME_TYPO.match(text)
        if typo:
            fixed = f"{typo.group(1).lower()}://{text[typo.end():]}"
            raise UsageError(f"invalid URL '{raw}': malformed scheme (did you mean '{fixed}'?)")
        text = "http://" + text
    try:
        parts = urlsplit(text)
        port = parts.port  # raises ValueError when out of range or not a number
    except ValueError as exc:
        raise UsageError(f"invalid URL '{raw}': {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise UsageError(f"invalid URL '{raw}': scheme must be http or https")
    if not parts.hostname or len(text.split(maxsplit=1)) != 1:
        raise UsageError(f"invalid URL '{raw}': no host name" if not parts.hostname
                         else f"invalid URL '{raw}': contains white space")
    del port
    return text.rstrip("/")


def aiohttp_tls(ca_bundle: str | None = None, insecure: bool = False) -> ssl.SSLContext | bool:
    """TLS for an aiohttp connector: ``True`` is aiohttp's own verifying context (built once
    when aiohttp is imported: loading the system's CA store costs ~50 ms, so it is not loaded
    again), ``False`` skips verification, and a CA bundle gets a context of its own."""
    if insecure:
        return False
    return ssl_context(ca_bundle) if ca_bundle else True


def tls_loader(ca_bundle: str | None = None, insecure: bool = False) -> Callable[[], ssl.SSLContext | bool]:
    """:func:`ssl_context` built on first call and kept: plain-http work never pays for reading
    the CA store. Call it at once to report a bad CA bundle before any request."""
    return functools.cache(lambda: ssl_context(ca_bundle, insecure))


def ssl_context(ca_bundle: str | None = None, insecure: bool = False) -> ssl.SSLContext | bool:
    """One TLS context for a whole run (loading the CA store costs ~50 ms: never per request)."""
    if insecure:
        return False
    try:
        return ssl.create_default_context(cafile=ca_bundle) if ca_bundle else ssl.create_default_context()
    except (OSError, ssl.SSLError) as exc:
        raise UsageError(f"cannot load CA bundle {ca_bundle}: {exc}") from None


async def fetch(session: Any, url: str, *, timeout: float, max_body: int = DEFAULT_MAX_BODY,
                method: str = "GET", **kwargs: Any) -> Response:
    """One request, its body read up to ``max_body`` bytes; failures become :class:`FetchError`."""
    import asyncio

    import aiohttp

    start = time.perf_counter()
    try:
        async with asyncio.timeout(timeout):
            async with session.request(method, url, max_redirects=10, **kwargs) as resp:
                length = resp.content_length
                if length is not None and length > max_body:
                    raise FetchError("body", f"body of {length} bytes exceeds the {max_body}-byte cap",
                                     time.perf_counter() - start, resp.status)
                if length is not None:  # known and within the cap: one read
                    body = await resp.read()
                    return Response(str(resp.url), resp.status, _headers(resp), body,
                                    time.perf_counter() - start, resp.content_type or "")
                chunks, size = [], 0
                while chunk := await resp.content.read(_CHUNK):
                    size += len(chunk)
                    if size > max_body:
                        raise FetchError("body", f"body exceeds the {max_body}-byte cap",
                                         time.perf_counter() - start, resp.status)
                    chunks.append(chunk)
                return Response(str(resp.url), resp.status, _headers(resp), b"".join(chunks),
                                time.perf_counter() - start, resp.content_type or "")
    except FetchError:
        raise
    except (TimeoutError, asyncio.TimeoutError):
        raise FetchError("timeout", f"timed out after {timeout:g}s",
                         time.perf_counter() - start) from None
    except aiohttp.ClientError as exc:
        raise FetchError(*describe(exc), time.perf_counter() - start) from None
    except (ValueError, OSError) as exc:  # e.g. a URL aiohttp/yarl cannot use
        raise FetchError("transport", f"{type(exc).__name__}: {exc}",
                         time.perf_counter() - start) from None


def _headers(resp: Any) -> dict[str, str]:
    return {k.lower(): v for k, v in resp.headers.items()}


def describe(exc: BaseException) -> tuple[str, str]:
    """(kind, one-line reason) for an aiohttp client exception."""
    import aiohttp

    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return "tls", f"TLS certificate verification failed: {_short(exc.certificate_error)}"
    if isinstance(exc, aiohttp.ClientSSLError):
        return "tls", f"TLS error: {_short(exc)}"
    dns_error = getattr(aiohttp, "ClientConnectorDNSError", ())
    if dns_error and isinstance(exc, dns_error):
        return "transport", f"DNS lookup failed for {exc.host}"
    if isinstance(exc, aiohttp.ClientConnectorError):
        os_err = exc.os_error
        if isinstance(os_err, ConnectionRefusedError) or getattr(os_err, "errno", None) == errno.ECONNREFUSED:
            return "transport", f"connection refused by {exc.host}:{exc.port}"
        if "Name or service not known" in str(exc) or "nodename nor servname" in str(exc):
            return "transport", f"DNS lookup failed for {exc.host}"
        return "transport", f"cannot connect to {exc.host}:{exc.port}: {_short(os_err)}"
    if isinstance(exc, aiohttp.TooManyRedirects):
        return "transport", "too many redirects (redirect loop)"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "transport", "server closed the connection without a response"
    if isinstance(exc, aiohttp.ClientPayloadError):
        return "body", f"incomplete or malformed body: {_short(exc)}"
    if isinstance(exc, aiohttp.InvalidURL):
        return "transport", f"invalid URL: {exc}"
    if isinstance(exc, aiohttp.ClientResponseError):
        return "transport", f"bad HTTP response: {exc.message}"
    return "transport", f"{type(exc).__name__}: {_short(exc)}"


def _short(exc: object) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]
