"""Everything aiops talks to, started at once on 127.0.0.1: the docs' and the contract's machine.

``start_stack(workdir)`` starts the real lab service (with a fault, so alerts fire and the log
has errors), a real Alertmanager, a real Prometheus scraping the lab as job
``active-inference`` with the runbook's rules shortened to fire within seconds, and the
PagerDuty simulator with a few incidents. ``stack.env()`` gives the ``AIOPS_*`` variables that
point aiops at all of them (the lab's log file is the ``file`` log backend). The JSON contract
tests and the documentation-example runner share it.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from tests.fakes.lab import LabProcess, start_lab
from tests.fakes.prom_stack import (ServerProcess, get_json, shortened_rules, start_alertmanager,
                                    start_prometheus, wait_for)


@dataclass
class Stack:
    """The running servers and what a test needs to know about them."""

    lab: LabProcess
    prometheus: ServerProcess
    alertmanager: ServerProcess
    pagerduty: Any
    workdir: Path
    incidents: list[dict] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        """``AIOPS_*`` variables pointing aiops at every server of the stack."""
        return {"AIOPS_PROMETHEUS_URL": self.prometheus.url,
                "AIOPS_ALERTMANAGER_URL": self.alertmanager.url,
                "AIOPS_LOGS_BACKEND": "file", "AIOPS_LOGS_FILE": str(self.lab.log_file),
                "AIOPS_LAB_ADMIN_TOKEN": self.lab.admin_token,
                **self.pagerduty.env()}

    def firing(self, name: str) -> bool:
        """True once Alertmanager holds alert ``name``."""
        return any(a["labels"]["alertname"] == name
                   for a in get_json(self.alertmanager.url + "/api/v2/alerts"))

    def close(self) -> None:
        for stop in (self.prometheus.stop, self.alertmanager.stop, self.lab.close, self.pagerduty.close):
            with contextlib.suppress(Exception):
                stop()


def start_stack(workdir: Path, *, faults: tuple[str, ...] = ("error-rate=0.3",),
                wait_alert: str | None = "HighErrorRate") -> Stack:
    """Start the lab, Alertmanager, Prometheus and the PagerDuty simulator; wait for ``wait_alert``."""
    from tests.fakes.pagerduty_sim import PagerDutySim

    workdir = Path(workdir)
    started: list[Any] = []
    try:
        lab = start_lab(faults)
        started.append(lab)
        am = start_alertmanager(workdir)
        started.append(am)
        prom = start_prometheus(workdir, jobs={"active-inference": [lab.url.split("://", 1)[1]]},
                                rule_files=[shortened_rules(workdir / "rules.yml", window="10s")],
                                alertmanager=am.url)
        started.append(prom)
        pagerduty = PagerDutySim()
        stack = Stack(lab, prom, am, pagerduty, workdir)
        stack.incidents = [pagerduty.create_incident("HighErrorRate: Sim Lab API returns 5xx", priority="P1"),
                           pagerduty.create_incident("MemoryLeak on simlab-2", status="acknowledged")]
        policy = pagerduty.service["escalation_policy"]["id"]
        pagerduty.account.add_oncall(pagerduty.user["id"], policy_id=policy, level=1)
        if wait_alert:
            wait_for(lambda: stack.firing(wait_alert), timeout=60, what=f"{wait_alert} in Alertmanager")
        return stack
    except BaseException:
        for server in reversed(started):
            with contextlib.suppress(Exception):
                server.close() if hasattr(server, "close") else server.stop()
        raise


@contextlib.contextmanager
def running_stack(workdir: Path, **kwargs: Any) -> Iterator[Stack]:
    stack = start_stack(workdir, **kwargs)
    try:
        yield stack
    finally:
        stack.close()
