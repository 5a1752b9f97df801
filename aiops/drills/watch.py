"""What a drill watches while a scenario runs: the faults' schedule and Prometheus's alerts.

:class:`Watch` applies each fault and noise event at its time (scenario time divided by the
speed; the duration-valued noise and the crash delay are divided too) through the lab's admin
API, polls Prometheus's ``/api/v1/alerts`` and records the first moment each alert is seen
firing on each instance.
"""

from __future__ import annotations

import json
import time
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Callable

from aiops.catalog import ALERT_RULES
from aiops.core.errors import UpstreamError
from aiops.lab.faults import SELF_CLEARING

POLL_S = 0.25
SCALED_VALUES = (*SELF_CLEARING, "crash")  # faults whose value is a duration
_SEVERITY = {"critical": 0, "warning": 1, "info": 2}
_ORDER = [r.name for r in ALERT_RULES]


def priority_order(alerts: list[str] | tuple[str, ...]) -> list[str]:
    """Runbook severity first (critical, warning, info), then the runbook's order of rules."""
    rules = {r.name: r for r in ALERT_RULES}
    return sorted(alerts, key=lambda a: (_SEVERITY[rules[a].severity], _ORDER.index(a)))


@dataclass
class Watch:
    """One scenario's clock, schedule and alert observations (times relative to ``t0``)."""

    scenario: Any  # aiops.drills.scenario.Scenario
    speed: float
    labs: list[Any]  # aiops.lab.stack.procs.Proc, instance i is labs[i - 1]
    prometheus: str
    token: str
    say: Callable[[str], None]
    t0: float = 0.0
    firing: dict[tuple[str, int | None], float] = field(default_factory=dict)
    applied: list[str] = field(default_factory=list)
    started: dict[int, float] = field(default_factory=dict)  # instance -> first fault active (s after t0)

    def instance_of(self, label: str | None) -> int | None:
        hostports = [p.url.split("://", 1)[-1] for p in self.labs]
        return hostports.index(label) + 1 if label in hostports else None

    def actions(self) -> list[tuple[float, str, Any]]:
        """(wall seconds after t0, set|clear, event), in order."""
        out = []
        for e in self.scenario.events:
            out.append((e.at / self.speed, "set", e))
            if e.until is not None:
                out.append((e.until / self.speed, "clear", e))
        return sorted(out, key=lambda a: a[0])

    def apply(self, action: str, event: Any) -> None:
        from aiops.lab.admin import faults
        from aiops.lab.faults import format_fault

        value = event.value / self.speed if event.fault in SCALED_VALUES and event.value else event.value
        spec = format_fault(event.fault, value)
        url = self.labs[event.instance - 1].url
        try:
            faults(url, action, [spec if action == "set" else event.fault], token=self.token, timeout=5.0)
        except UpstreamError:
            if action == "clear" or event.fault != "crash":  # a crashed lab answers nothing
                raise
        now = self.elapsed()
        if action == "set" and not event.noise:
            self.started.setdefault(event.instance, now)
        self.applied.append(f"{now:.1f}s {action} {spec} on instance {event.instance}")

    def elapsed(self) -> float:
        return time.monotonic() - self.t0

    def poll(self) -> None:
        """Record alerts firing now (first sighting per alert and instance)."""
        try:
            with urllib.request.urlopen(self.prometheus + "/api/v1/alerts", timeout=2) as resp:
                alerts = json.loads(resp.read())["data"]["alerts"]
        except (OSError, ValueError, KeyError):
            return  # Prometheus busy or taken down on purpose: the next poll will tell
        now = self.elapsed()
        for a in alerts:
            if a.get("state") == "firing":
                key = (a["labels"].get("alertname", "?"), self.instance_of(a["labels"].get("instance")))
                self.firing.setdefault(key, now)

    def run(self, until_done: Callable[[], bool], deadline_s: float, cancel: Any = None) -> None:
        """Apply the schedule and poll until ``until_done()`` (after every event has started)
        or ``deadline_s`` after t0; KeyboardInterrupt as soon as ``cancel`` (an Event) is set."""
        pending = self.actions()
        self.t0 = time.monotonic()
        last_start = max((a[0] for a in pending if a[1] == "set"), default=0.0)
        while True:
            now = self.elapsed()
            while pending and pending[0][0] <= now:
                _, action, event = pending.pop(0)
                self.apply(action, event)
            self.poll()
            started = not any(a[1] == "set" for a in pending)
            if started and now >= last_start and until_done() or now >= deadline_s:
                return
            if cancel is not None and cancel.wait(POLL_S):
                raise KeyboardInterrupt
            if cancel is None:
                time.sleep(POLL_S)
