"""Time compression for the lab stack and drills, derived mechanically from the rule catalog.

The runbook's rules watch windows of minutes to an hour. ``--speed F`` divides every duration
by F: each rule's ``for`` and every range selector in its expression (``[5m]``, ``[1h]``), the
scrape and evaluation intervals (Prometheus's customary 15 s at speed 1) and Alertmanager's
grouping timers (its defaults). Nothing else changes: thresholds, label matchers and the rules'
order come from :data:`aiops.catalog.ALERT_RULES`, the one catalog (never a second copy).

Floors keep a compressed stack measurable: intervals never go below :data:`FLOOR_S`, a range
window never below :data:`MIN_SAMPLES` scrape intervals (``rate`` needs samples to work on),
and ``for`` never below zero. At ``--speed 1`` the rules are the shipped rule file's, exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from aiops.catalog import ALERT_RULES
from aiops.catalog.checks import promql_duration
from aiops.core.errors import UsageError
from aiops.core.timewindow import parse_duration

BASE_SCRAPE_S = 15.0  # scrape and rule evaluation interval at speed 1
AM_GROUP_WAIT_S, AM_GROUP_INTERVAL_S, AM_REPEAT_S = 30.0, 300.0, 4 * 3600.0  # Alertmanager's defaults
FLOOR_S = 1.0
MIN_SAMPLES = 4
MAX_SPEED = 3600.0
_RANGE = re.compile(r"\[(\d+[smhdw])\]")


@dataclass(frozen=True)
class Timing:
    """Every duration of a stack at one speed, in seconds."""

    speed: float
    scrape_s: float
    evaluation_s: float
    group_wait_s: float
    group_interval_s: float
    repeat_s: float

    def scaled(self, seconds: float) -> float:
        """A scenario duration (fault start, noise length) in wall-clock seconds at this speed."""
        return seconds / self.speed

    def window(self, seconds: float) -> float:
        """A rule's range window at this speed (at least MIN_SAMPLES scrapes)."""
        if self.speed == 1:
            return seconds
        return max(seconds / self.speed, MIN_SAMPLES * self.scrape_s)

    def to_dict(self) -> dict[str, Any]:
        return {"speed": self.speed, "scrape_interval_seconds": self.scrape_s,
                "evaluation_interval_seconds": self.evaluation_s,
                "alertmanager_group_wait_seconds": self.group_wait_s,
                "alertmanager_group_interval_seconds": self.group_interval_s}


def timing(speed: float) -> Timing:
    """The stack's intervals at ``speed`` (UsageError outside 1..3600)."""
    if not 1.0 <= speed <= MAX_SPEED:
        raise UsageError(f"--speed must be between 1 and {MAX_SPEED:g}, got {speed:g}")
    interval = max(FLOOR_S, BASE_SCRAPE_S / speed)
    return Timing(speed, interval, interval, max(FLOOR_S, AM_GROUP_WAIT_S / speed),
                  max(FLOOR_S, AM_GROUP_INTERVAL_S / speed), max(FLOOR_S, AM_REPEAT_S / speed))


def rule_groups(t: Timing) -> dict[str, Any]:
    """The catalog's rules with every ``for`` and range window divided by the speed."""
    from aiops.prometheus.rules import GROUP, rule_groups as shipped

    if t.speed == 1:
        return shipped()

    def window(match: re.Match) -> str:
        return f"[{promql_duration(t.window(parse_duration(match.group(1))))}]"

    rules = [{"alert": r.name, "expr": _RANGE.sub(window, r.expr),
              "for": promql_duration(parse_duration(r.for_) / t.speed),
              "labels": {"severity": r.severity, "priority": r.priority},
              "annotations": {"summary": r.summary, "speed": f"{t.speed:g}"}} for r in ALERT_RULES]
    return {"groups": [{"name": GROUP, "interval": promql_duration(t.evaluation_s), "rules": rules}]}


def detection_floor_s(t: Timing, alert: str) -> float:
    """The least time an alert needs from fault to firing at this speed: its ``for`` (scaled)."""
    rule = next(r for r in ALERT_RULES if r.name == alert)
    return parse_duration(rule.for_) / t.speed
