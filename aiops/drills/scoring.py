"""Scoring a scenario: alerts fired (and how fast), false alarms, verdict, playbook, instance.

The instance triage names is the first scenario instance (``host:port``) mentioned by a
problem finding, in the report's order (most important first): the alert's ``instance``
label, the scorecard's worst instance, the unreachable target.
"""

from __future__ import annotations

import re
from typing import Any


def named_instance(report: Any, urls: list[str]) -> int | None:
    """1-based index of the instance the report's most important finding names, or None."""
    hostports = [u.split("://", 1)[-1].rstrip("/") for u in urls]
    pattern = re.compile("|".join(re.escape(h) + r"(?!\d)" for h in hostports))
    for finding in report.findings:
        if finding.status != "problem":
            continue
        match = pattern.search("\n".join([finding.title, *finding.evidence]))
        if match:
            return hostports.index(match.group(0)) + 1
    return None


def score(scenario: Any, result: Any, watch: Any) -> None:
    """Fill ``result.fired``, ``missing``, ``false_alarms``, ``detection_seconds`` and ``checks``."""
    expect = scenario.expect
    starts = watch.started  # when the instance's first fault was in effect (wall seconds after t0)
    for (name, instance), seen in sorted(watch.firing.items(), key=lambda kv: kv[1]):
        if name in expect.alerts and instance in starts:
            detection = max(0.0, seen - starts[instance])
            result.fired.append({"alert": name, "instance": instance, "detection_seconds": round(detection, 2)})
        else:
            result.false_alarms.append({"alert": name, "instance": instance})
    fired_names = {a["alert"] for a in result.fired}
    result.missing = [a for a in expect.alerts if a not in fired_names]
    primary = [a["detection_seconds"] for a in result.fired if a["alert"] == result.triage_alert]
    result.detection_seconds = min(primary) if primary else None
    result.checks = {
        "alerts": not result.missing,
        "false_alarms": not result.false_alarms,
        "verdict": result.verdict in expect.verdicts if expect.verdicts else None,
        "playbook": result.playbook == expect.playbook if expect.playbook is not None else None,
        "instance": result.instance == expect.instance if expect.instance is not None else None,
    }

