"""What a good /health body and a good /metrics page look like (the runbook's schema)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

REQUIRED_FIELDS = ("status", "timestamp", "version", "checks")
REQUIRED_CHECKS = ("memory", "disk", "dependencies")


def judge_health_body(resp: Any) -> tuple[dict[str, Any] | None, list[str], str]:
    """Validate a /health response against the runbook.

    Returns (parsed body or None, problems, severity). Severity is ``unhealthy`` for a
    non-2xx answer or a body saying ``unhealthy``, ``degraded`` for a 2xx answer whose body
    is malformed, incomplete, says ``degraded`` or names failing checks.
    """
    problems: list[str] = []
    ok_status = 200 <= resp.status < 300
    if not ok_status:
        problems.append(f"HTTP {resp.status}")
    body, body_problem = _parse_json(resp)
    if body_problem:  # an error page's body is not news; a 200 with a bad body is
        return None, problems or [body_problem], "unhealthy" if not ok_status else "degraded"
    if not isinstance(body, dict):
        return None, problems + ["expected a JSON object"], "unhealthy" if not ok_status else "degraded"
    missing = [f for f in REQUIRED_FIELDS if f not in body]
    if missing:
        problems.append(f"missing field(s): {', '.join(missing)}")
    if "timestamp" in body and not _is_iso8601(body["timestamp"]):
        problems.append(f"timestamp {body['timestamp']!r} is not ISO-8601")
    if "version" in body and not isinstance(body["version"], str):
        problems.append("version is not a string")
    checks = body.get("checks")
    if "checks" in body and not isinstance(checks, dict):
        problems.append("checks is not an object")
    elif isinstance(checks, dict):
        absent = [c for c in REQUIRED_CHECKS if c not in checks]
        if absent:
            problems.append(f"missing check(s): {', '.join(absent)}")
        failing = [f"{name}={value}" for name, value in checks.items() if value != "ok"]
        if failing:
            problems.append(f"failing check(s): {', '.join(str(f) for f in failing)}")
    status = body.get("status")
    if status not in (None, "healthy"):
        problems.append(f"status is {status!r}")
    severity = "unhealthy" if not ok_status or status not in (None, "healthy", "degraded") else "degraded"
    return body, problems, severity


def judge_metrics(text: str, expected: list[str]) -> tuple[list[str], list[str], str | None]:
    """Read a Prometheus exposition page (prometheus_client's parser judges what is valid;
    :mod:`aiops.health.exposition` skips it for pages in the canonical subset).

    Returns (expected names present, expected names missing, parse problem or None).
    """
    from aiops.health.exposition import names as exported

    try:
        names = exported(text)
    except Exception as exc:  # the parser raises ValueError/TypeError/IndexError on garbage
        return [], list(expected), f"not Prometheus exposition format: {str(exc)[:120]}"
    if not names:
        return [], list(expected), "no metrics exported"
    present = [n for n in expected if n in names or f"{n}_total" in names]
    return present, [n for n in expected if n not in present], None


def _parse_json(resp: Any) -> tuple[Any, str | None]:
    text = resp.body.decode("utf-8", errors="replace").lstrip()
    if not text:
        return None, "empty body"
    try:
        return json.loads(text), None
    except ValueError as exc:
        if text[:1] == "<" or "html" in (resp.content_type or ""):
            return None, f"expected JSON, got {resp.content_type or 'HTML'}"
        return None, f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"


def _is_iso8601(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True
