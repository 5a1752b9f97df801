"""Events API v2: trigger an alert (for drills), through ``pagerduty.EventsApiV2Client``.

Every event carries a dedup key (generated when none is given), so resending it after a 5xx or
a dropped connection cannot create a second alert: that is what makes the retry safe.
"""

from __future__ import annotations

import uuid
from typing import Any

from aiops.core.errors import ConfigError, UsageError
from aiops.incidents.audit import AuditLog
from aiops.incidents.client import RetryPolicy, Settings, client_classes, configure, guarded, route_library_logs, tls
from aiops.incidents.models import TRIGGERED, WOULD, ActionReport, ActionResult

SEVERITIES = ("critical", "error", "warning", "info")


def trigger(settings: Settings, *, summary: str, source: str, severity: str = "critical",
            dedup_key: str | None = None, component: str | None = None,
            custom_details: dict[str, Any] | None = None, dry_run: bool = False,
            audit: AuditLog | None = None, actor: str | None = None,
            retry: RetryPolicy | None = None, transport: Any = None) -> ActionReport:
    """Send a ``trigger`` event; the report's one row carries the dedup key as ``id``."""
    key = settings.routing_key
    if not key:
        raise ConfigError("pagerduty.routing_key is not set (the Events API v2 integration key)",
                          hint="export AIOPS_PAGERDUTY_ROUTING_KEY=... for the drill service")
    if len(key) != 32:
        raise ConfigError("pagerduty.routing_key must be 32 characters (an Events API v2 "
                          "integration key)")
    if severity not in SEVERITIES:
        raise UsageError(f"invalid severity {severity!r}: one of {', '.join(SEVERITIES)}")
    if not summary.strip() or not source.strip():
        raise UsageError("an event needs a non-empty summary and source")
    dedup_key = dedup_key or f"aiops-drill-{uuid.uuid4().hex[:16]}"
    result = ActionResult(ref=dedup_key, id=dedup_key, title=summary, outcome=WOULD["trigger"])
    report = ActionReport("trigger", dry_run, [result])
    if dry_run:
        return report
    payload = {"component": component} if component else None
    with _events_client(settings, retry or RetryPolicy(), transport) as client:
        result.id = guarded(lambda: client.trigger(
            summary, source, dedup_key=dedup_key, severity=severity, payload=payload,
            custom_details=custom_details), "POST /v2/enqueue", settings.events_base_url,
            client.aiops_retry, settings.timeout)
    result.outcome = TRIGGERED
    if audit is not None:
        audit.append([audit.entry(actor or settings.from_email or "unknown", "trigger", result.id,
                                  TRIGGERED, title=summary, source=source, severity=severity)])
    return report


def _events_client(settings: Settings, policy: RetryPolicy, transport: Any) -> Any:
    import pagerduty

    route_library_logs()
    extra = {"transport": transport} if transport is not None else {}
    try:
        client = client_classes()[1](settings.routing_key, base_url=settings.events_base_url,
                                      verify=tls(settings), trust_env=False, **extra)
    except pagerduty.UrlError:
        raise ConfigError("pagerduty.events_url must be an https:// URL") from None
    return configure(client, settings, policy)
