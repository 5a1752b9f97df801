"""Raw calls to Prometheus's HTTP API v1 and Alertmanager's API v2 (async, one session each).

Each returns the decoded ``data`` as the server sends it; :mod:`aiops.prometheus.alerts` and
:mod:`aiops.prometheus.silences` turn them into aiops's dataclasses.
"""

from __future__ import annotations

import re
from typing import Any

from aiops.core import shapes
from aiops.core.errors import UpstreamError, UsageError
from aiops.prometheus.http import Server, request_json

_PREFIX = re.compile(r"^[0-9a-fA-F][0-9a-fA-F-]{0,35}$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

# What aiops reads of each answer (the APIs document more; extra keys are fine).
LABELS = {str: str}
PROMETHEUS_ALERT = {"labels": LABELS, "annotations?": LABELS, "state?": str, "activeAt?": str,
                    "value?": str}
RULE_GROUP = {"name?": str, "rules": [{"name": str, "labels?": LABELS, "annotations?": LABELS,
                                       "state?": str, "health?": str, "type?": str}]}
TARGET = {"labels?": LABELS, "discoveredLabels?": LABELS, "scrapePool?": str, "scrapeUrl?": str}
ALERTMANAGER_ALERT = {"labels": LABELS, "annotations?": LABELS, "startsAt?": str,
                      "fingerprint?": str,
                      "status?": {"state?": str, "silencedBy?": [str], "inhibitedBy?": [str]}}
SILENCE = {"id?": str, "matchers": [{"name": str, "value": str, "isRegex?": bool, "isEqual?": bool}],
           "startsAt": str, "endsAt": str, "updatedAt?": str, "createdBy?": str, "comment?": str,
           "status?": {"state?": str}}


def _shaped(server: Server, path: str, value: Any, spec: Any) -> Any:
    """``value`` when it has the shape aiops reads; else the server answered garbage (exit 5)."""
    try:
        return shapes.conform(value, spec, "answer")
    except ValueError as exc:
        raise UpstreamError(f"{server.name} at {server.base}: unexpected answer to {path} ({exc})",
                            hint=f"is {server.setting or 'the URL'} a {server.name} server?") from None


def _data(server: Server, path: str, doc: Any, spec: Any) -> Any:
    if not isinstance(doc, dict) or doc.get("status") != "success" or "data" not in doc:
        raise UpstreamError(f"{server.name} at {server.base}: unexpected answer to {path}")
    return _shaped(server, path, doc["data"], spec)


async def prometheus_alerts(http: Any, server: Server) -> list[dict[str, Any]]:
    """Pending and firing alerts (``/api/v1/alerts``)."""
    doc = await request_json(http, server, "/api/v1/alerts")
    return list(_data(server, "/api/v1/alerts", doc, {"alerts": [PROMETHEUS_ALERT]})["alerts"])


async def prometheus_rules(http: Any, server: Server, kind: str = "alert") -> list[dict[str, Any]]:
    """Rule groups loaded by Prometheus (``/api/v1/rules?type=alert``)."""
    doc = await request_json(http, server, "/api/v1/rules", params={"type": kind})
    return list(_data(server, "/api/v1/rules", doc, {"groups": [RULE_GROUP]})["groups"])


async def prometheus_targets(http: Any, server: Server, state: str = "active") -> list[dict[str, Any]]:
    """Scrape targets (``/api/v1/targets``)."""
    doc = await request_json(http, server, "/api/v1/targets", params={"state": state})
    return list(_data(server, "/api/v1/targets", doc, {"activeTargets": [TARGET]})["activeTargets"])


async def alertmanager_alerts(http: Any, server: Server, *, silenced: bool = True,
                              inhibited: bool = True) -> list[dict[str, Any]]:
    """Alerts Alertmanager holds (``/api/v2/alerts``), silenced and inhibited ones included."""
    params = {"active": "true", "silenced": str(silenced).lower(),
              "inhibited": str(inhibited).lower()}
    doc = await request_json(http, server, "/api/v2/alerts", params=params)
    return _shaped(server, "/api/v2/alerts", doc, [ALERTMANAGER_ALERT])


async def list_silences(http: Any, server: Server) -> list[dict[str, Any]]:
    """Every silence Alertmanager knows (``/api/v2/silences``), expired ones included."""
    doc = await request_json(http, server, "/api/v2/silences")
    return _shaped(server, "/api/v2/silences", doc, [SILENCE])


def is_silence_id(silence_id: str) -> bool:
    """True for a whole UUID, False for a prefix of one; UsageError for anything else."""
    text = silence_id.strip()
    if _UUID.match(text):
        return True
    if text and _PREFIX.match(text):
        return False
    raise UsageError(f"invalid silence ID '{silence_id}': expected a UUID or the start of one",
                     hint="'aiops alerts silence list' shows the IDs")


def check_silence_id(silence_id: str) -> str:
    """Alertmanager silence IDs are UUIDs; say so before asking the server."""
    if not _UUID.match(silence_id.strip()):
        raise UsageError(f"invalid silence ID '{silence_id}': expected a UUID",
                         hint="'aiops alerts silence list' shows the IDs")
    return silence_id.strip()


async def get_silence(http: Any, server: Server, silence_id: str) -> dict[str, Any]:
    """One silence by ID; exit 2 when Alertmanager has none with that ID."""
    sid = check_silence_id(silence_id)
    doc = await request_json(http, server, f"/api/v2/silence/{sid}",
                             not_found=f"{server.name} at {server.base} has no silence {sid}")
    return _shaped(server, "/api/v2/silence/{id}", doc, SILENCE)


async def post_silence(http: Any, server: Server, silence: dict[str, Any]) -> str:
    """Create a silence; returns its ID."""
    doc = await request_json(http, server, "/api/v2/silences", method="POST", body=silence)
    if not isinstance(doc, dict) or "silenceID" not in doc:
        raise UpstreamError(f"{server.name} at {server.base}: no silenceID in the answer")
    return str(doc["silenceID"])


async def delete_silence(http: Any, server: Server, silence_id: str) -> None:
    """Expire a silence now."""
    sid = check_silence_id(silence_id)
    await request_json(http, server, f"/api/v2/silence/{sid}", method="DELETE",
                       not_found=f"{server.name} at {server.base} has no silence {sid}")
