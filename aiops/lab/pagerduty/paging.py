"""PagerDuty's classic pagination and time parameters, as the sandbox answers them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiops.lab.pagerduty.state import ApiError, invalid

OFFSET_CEILING = 10_000


def query_time(query: dict[str, list[str]], name: str) -> dt.datetime | None:
    raw = (query.get(name) or [None])[0]
    if raw is None:
        return None
    try:
        value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(400, "Invalid 'since' or 'until' Parameter Values", 2004) from None
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def page(items: list[dict], query: dict[str, list[str]], key: str, *, default: int = 25,
          maximum: int = 100, render: Any = None) -> dict:
    """Classic pagination, with PagerDuty's ceiling on offset + limit."""
    try:
        limit = int((query.get("limit") or [default])[0])
        offset = int((query.get("offset") or [0])[0])
    except ValueError:
        raise invalid("limit and offset must be integers") from None
    limit = max(1, min(limit, maximum))
    if offset < 0:
        raise invalid("Offset must be a non-negative integer")
    if offset + limit > OFFSET_CEILING:
        raise invalid(f"Offset plus limit must be at most {OFFSET_CEILING}")
    page = [render(i) for i in items[offset:offset + limit]] if render else items[offset:offset + limit]
    total = len(items) if (query.get("total") or ["false"])[0] == "true" else None
    return {key: page, "limit": limit, "offset": offset, "more": offset + len(page) < len(items),
            "total": total}
