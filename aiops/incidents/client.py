"""The PagerDuty session: the ``pagerduty`` client with deliberate retries, quiet logs, typed errors.

``pagerduty`` (PagerDuty's maintained successor of the deprecated ``pdpyras``) is imported
lazily: it is a heavy import and the CLI must start fast. What aiops changes about it:

- 429 is retried a bounded number of times, waiting what ``Retry-After`` or ``ratelimit-reset``
  ask for (the library alone retries forever and ignores both headers);
- a 5xx or a dropped connection is retried only for idempotent requests (GET, and events that
  carry a dedup key); a mutating request that fails that way is reconciled by the caller, which
  reads the current state instead of blindly sending the change again;
- unreachable hosts fail at once (no 3 x 21 s network retries), so exit 5 comes within the timeout;
- the library's ``pagerduty`` logger (which logs every 5xx at ERROR) goes to ``--debug`` only;
- errors become :mod:`aiops.core.errors` types whose messages never contain the token.
"""

from __future__ import annotations

import email.utils
import functools
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from aiops.core.errors import AuthError, CheckFailed, ConfigError, UpstreamError, UsageError

SANDBOX_HEADER = "X-Aiops-Sandbox"  # on every answer of ``aiops lab pagerduty`` (aiops.lab.pagerduty)

REGIONS = {"us": ("https://api.pagerduty.com", "https://events.pagerduty.com"),
           "eu": ("https://api.eu.pagerduty.com", "https://events.eu.pagerduty.com")}
log = logging.getLogger("aiops.incidents")


@dataclass(frozen=True)
class Settings:
    """Everything needed to talk to PagerDuty; built from the config by :meth:`from_config`."""

    token: str | None = field(default=None, repr=False)
    from_email: str | None = None
    region: str = "us"
    base_url: str | None = None
    events_url: str | None = None
    routing_key: str | None = field(default=None, repr=False)
    ca_bundle: str | None = None
    insecure: bool = False
    timeout: float = 10.0

    @classmethod
    def from_config(cls, cfg: Any) -> Settings:
        """The ``pagerduty.*`` settings (plus ``timeout`` and the TLS fallbacks) of a Config."""
        return cls(token=cfg.get("pagerduty.token"), from_email=cfg.get("pagerduty.from_email"),
                   region=cfg.get("pagerduty.region") or "us",
                   base_url=cfg.get("pagerduty.base_url"),
                   events_url=cfg.get("pagerduty.events_url"),
                   routing_key=cfg.get("pagerduty.routing_key"),
                   ca_bundle=cfg.get("pagerduty.ca_bundle") or cfg.get("tls.ca_bundle"),
                   insecure=bool(cfg.get("tls.insecure")), timeout=float(cfg.get("timeout")))

    @property
    def rest_url(self) -> str:
        return (self.base_url or REGIONS[self.region][0]).rstrip("/")

    @property
    def events_base_url(self) -> str:
        return (self.events_url or REGIONS[self.region][1]).rstrip("/")

    def require_from(self) -> str:
        """The ``From`` email for writes; a ConfigError (exit 2) before any request if unset."""
        if not self.from_email:
            raise ConfigError("pagerduty.from_email is not set: PagerDuty needs your login email "
                              "in the From header to change incidents",
                              hint="set it in aiops.toml ([pagerduty] from_email = \"you@example.com\") "
                                   "or AIOPS_PAGERDUTY_FROM_EMAIL")
        return self.from_email

    def require_token(self) -> str:
        if not self.token:
            raise ConfigError("no PagerDuty API token: pagerduty.token is not set",
                              hint="export AIOPS_PAGERDUTY_TOKEN=... (keep it out of files)")
        return self.token


@dataclass
class RetryPolicy:
    """How hard to try. ``sleep`` is injectable so tests can record the waits."""

    max_429: int = 5          # retries of a rate-limited request (any method: 429 means not done)
    max_5xx: int = 2          # retries of an idempotent request after a server error
    max_network: int = 1      # retries of an idempotent request after a dropped connection
    backoff: float = 0.5      # first wait when the server names none; doubles each time
    max_wait: float = 60.0    # the longest single wait aiops accepts
    sleep: Callable[[float], None] = time.sleep


class NotFound(CheckFailed):
    """PagerDuty answered 404 (exit 3)."""


class Rejected(UsageError):
    """PagerDuty refused the request as invalid (400, 413, ...)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class Unavailable(UpstreamError):
    """No usable answer: network failure, timeout, 5xx, 429 beyond the retries, bad JSON."""

    def __init__(self, message: str, kind: str, status: int | None = None,
                 hint: str | None = None) -> None:
        super().__init__(message, hint)
        self.kind, self.status = kind, status


class _Retryable(Exception):
    """Raised from the client's response hook so that aiops, not the library, decides."""

    def __init__(self, response: Any) -> None:
        self.response = response


def wait_from_headers(headers: Any, attempt: int, policy: RetryPolicy,
                      now: Callable[[], float] = time.time) -> float:
    """Seconds to wait before retrying a 429: Retry-After, else ratelimit-reset, else backoff."""
    for name in ("retry-after", "ratelimit-reset"):
        raw = headers.get(name)
        if raw is None:
            continue
        try:
            return max(0.0, float(raw))
        except ValueError:
            parsed = email.utils.parsedate_to_datetime(raw) if name == "retry-after" else None
            if parsed is not None:
                return max(0.0, parsed.timestamp() - now())
    return policy.backoff * 2 ** attempt


def _disconnect(exc: BaseException | None) -> bool:
    """A connection that broke after it was made (worth one retry), not one that never opened."""
    import httpx2

    return isinstance(exc, (httpx2.RemoteProtocolError, httpx2.ReadError, httpx2.WriteError))


def with_retries(policy: RetryPolicy, method: str, idempotent: bool, call: Callable[[], Any]) -> Any:
    """Run one library request under ``policy``; returns the final response (or raises)."""
    import pagerduty

    n429 = n5xx = nnet = 0
    while True:
        try:
            return call()
        except _Retryable as signal:
            response = signal.response
            if response.status_code == 429:
                wait = wait_from_headers(response.headers, n429, policy)
                if n429 >= policy.max_429 or wait > policy.max_wait:
                    return response
                n429 += 1
            elif idempotent and n5xx < policy.max_5xx:
                wait = policy.backoff * 2 ** n5xx
                n5xx += 1
            else:
                return response
            log.warning("%s %s: status %d; retrying in %.1fs", method,
                        response.request.url.path, response.status_code, wait)
            policy.sleep(wait)
        except pagerduty.Error as exc:
            if isinstance(exc, pagerduty.HttpError) or not (
                    idempotent and nnet < policy.max_network and _disconnect(exc.__cause__)):
                raise
            nnet += 1
            log.warning("%s: connection dropped (%s); retrying", method, type(exc.__cause__).__name__)


@functools.cache
def client_classes() -> tuple[type, type]:
    """The library's REST and Events clients with aiops's response hook and retry loop."""
    import pagerduty

    class Hooked:
        aiops_retry: RetryPolicy
        aiops_idempotent: frozenset[str] = frozenset({"GET"})

        def postprocess(self, response: Any, *args: Any) -> None:
            super().postprocess(response, *args)  # type: ignore[misc]
            if SANDBOX_HEADER in response.headers:  # ``aiops lab pagerduty``, not PagerDuty
                self.aiops_sandbox = response.headers[SANDBOX_HEADER]
            if response.status_code == 429 or response.status_code >= 500:
                raise _Retryable(response)

        def request(self, method: str, url: str, **kw: Any) -> Any:
            parent = super().request  # type: ignore[misc]
            return with_retries(self.aiops_retry, method.upper(),
                                method.upper() in self.aiops_idempotent,
                                lambda: parent(method, url, **kw))

    class Rest(Hooked, pagerduty.RestApiV2Client):
        pass

    class Events(Hooked, pagerduty.EventsApiV2Client):
        aiops_idempotent = frozenset({"POST"})  # every aiops event carries a dedup key

    return Rest, Events


class _Demote(logging.Handler):
    """Re-emit the library's records at DEBUG under ``aiops.pagerduty``: visible with --debug only."""

    def emit(self, record: logging.LogRecord) -> None:
        target = logging.getLogger("aiops.pagerduty")
        if target.isEnabledFor(logging.DEBUG):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            target.handle(record)


def route_library_logs() -> None:
    """Stop the ``pagerduty`` logger reaching stderr on its own (it logs 5xx at ERROR)."""
    lib = logging.getLogger("pagerduty")
    if not any(isinstance(h, _Demote) for h in lib.handlers):
        lib.addHandler(_Demote())
    lib.propagate = False


def configure(client: Any, settings: Settings, policy: RetryPolicy) -> Any:
    client.timeout = settings.timeout
    client.max_network_attempts = 0  # aiops decides about network retries (see with_retries)
    client.retry = {429: policy.max_429}  # bounded even if the hook is bypassed: never "forever"
    client.aiops_retry = policy
    return client


def tls(settings: Settings) -> Any:
    from aiops.core.http import ssl_context

    return ssl_context(settings.ca_bundle, settings.insecure)


class PagerDuty:
    """A REST API v2 session. Use as a context manager; every method returns decoded JSON."""

    def __init__(self, settings: Settings, *, retry: RetryPolicy | None = None,
                 transport: Any = None) -> None:
        import pagerduty

        token = settings.require_token()
        route_library_logs()
        self.settings = settings
        self.policy = retry or RetryPolicy()
        self.base_url = settings.rest_url
        extra = {"transport": transport} if transport is not None else {}
        try:
            client = client_classes()[0](token, default_from=settings.from_email,
                                          base_url=self.base_url, verify=tls(settings),
                                          trust_env=False, **extra)
        except pagerduty.UrlError:
            raise ConfigError(f"pagerduty.base_url must be an https:// URL, got {self.base_url!r}") from None
        self.client = configure(client, settings, self.policy)

    def __enter__(self) -> PagerDuty:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()

    @property
    def sandbox(self) -> str | None:
        """The sandbox's notice when the endpoint answered as ``aiops lab pagerduty``, else None."""
        return getattr(self.client, "aiops_sandbox", None)

    def jget(self, path: str, params: dict | None = None) -> Any:
        """GET ``path``; the whole JSON body (for pagination fields)."""
        return self.call("GET", path, lambda: self.client.jget(path, params=params or {}))

    def rget(self, path: str, params: dict | None = None) -> Any:
        """GET ``path``; the wrapped entity (``incident`` of ``{"incident": ...}``)."""
        return self.call("GET", path, lambda: self.client.rget(path, params=params or {}))

    def rput(self, path: str, body: Any) -> Any:
        return self.call("PUT", path, lambda: self.client.rput(path, json=body))

    def rpost(self, path: str, body: Any) -> Any:
        return self.call("POST", path, lambda: self.client.rpost(path, json=body))

    def call(self, method: str, path: str, fn: Callable[[], Any]) -> Any:
        return guarded(fn, f"{method} {path}", self.base_url, self.policy, self.settings.timeout)


def guarded(fn: Callable[[], Any], what: str, base_url: str, policy: RetryPolicy,
            timeout: float) -> Any:
    """Run a library call; its exceptions become aiops errors (no token, no traceback)."""
    import pagerduty

    try:
        return fn()
    except pagerduty.HttpError as exc:
        raise http_error(exc.response, what, policy) from None
    except pagerduty.Error as exc:
        raise network_error(exc, base_url, timeout) from None


def error_text(response: Any) -> str:
    """PagerDuty's error body in one line: message (code): details."""
    try:
        body = response.json()
    except ValueError:
        return (response.text or "").strip()[:200] or response.reason_phrase
    err = body.get("error", body) if isinstance(body, dict) else body
    if isinstance(err, str):
        return err[:200]
    if not isinstance(err, dict):
        return str(err)[:200]
    text = str(err.get("message") or err.get("status") or "error")
    if err.get("code") is not None:
        text += f" (code {err['code']})"
    details = err.get("errors") or []
    if details:
        text += ": " + "; ".join(str(d) for d in details)
    return text[:300]


def http_error(response: Any, what: str, policy: RetryPolicy) -> Exception:
    """An aiops error for a PagerDuty HTTP error response."""
    status = response.status_code
    if status == 401:
        return AuthError(f"PagerDuty rejected the API token (401 Unauthorized) for {what}",
                         hint="check pagerduty.token / AIOPS_PAGERDUTY_TOKEN; an EU account "
                              "also needs pagerduty.region = \"eu\"")
    if status == 403:
        return AuthError(f"the PagerDuty token may not {what} (403 Forbidden: {error_text(response)})",
                         hint="use a token whose user or scopes allow this action")
    if status == 404:
        return NotFound(f"{what}: not found (404)")
    if status == 429:
        wait = wait_from_headers(response.headers, policy.max_429, policy)
        return Unavailable(f"PagerDuty is rate-limiting {what} (429 after {policy.max_429} "
                           "retries)", "rate_limited", 429, hint=f"try again in {wait:.0f}s")
    if status >= 500:
        return Unavailable(f"PagerDuty answered {status} to {what}: {error_text(response)}",
                           "server", status)
    if 200 <= status < 300:  # a success whose body could not be decoded or unwrapped
        return Unavailable(f"PagerDuty answered {what} with a malformed body", "malformed", status)
    return Rejected(f"PagerDuty refused {what} ({status}): {error_text(response)}", status)


def network_error(exc: Exception, base_url: str, timeout: float) -> Exception:
    """An aiops error for a request that got no HTTP response."""
    import httpx2

    cause = exc.__cause__
    if isinstance(cause, httpx2.TimeoutException):
        reason = f"no answer within {timeout:g}s ({type(cause).__name__})"
    elif isinstance(cause, httpx2.ConnectError):
        reason = f"cannot connect: {cause}"
    elif cause is not None:
        reason = f"connection failed: {type(cause).__name__}"
    else:
        return Unavailable(f"PagerDuty client error: {exc}", "client")
    return Unavailable(f"PagerDuty at {base_url} is unreachable: {reason}", "network",
                       hint="check the network, pagerduty.region and pagerduty.base_url")
