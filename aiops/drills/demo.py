"""``aiops demo``: start the lab with a fault, let the symptom show, triage it, stop the lab.

Needs nothing configured: the lab runs as a child process (``python -m aiops lab serve
--port 0 --fault ...``) writing its logs to a temporary file, and triage reads its /metrics
directly (no Prometheus scrapes a lab on a random port) and its log file. The lab is stopped
whatever happens, Ctrl-C included.
"""

from __future__ import annotations

import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

from aiops.core.errors import UsageError
from aiops.lab.process import LabProcess

# The playbook each fault should lead triage to.
EXPECTED = {"memory-leak": "memory-leak", "slow-inference": "high-response-time",
            "error-rate": "high-error-rate", "accuracy-drop": "low-model-accuracy",
            "entropy-spike": "training-issues", "training-stall": "training-stalled",
            "not-ready": "application-down", "crash": "application-down"}


@dataclass
class DemoResult:
    """The fault injected, the playbook it calls for, the lab and the triage report."""

    fault: str
    expected_playbook: str
    lab_url: str
    lab_exit: int | None
    report: Any  # aiops.triage.TriageReport

    @property
    def found(self) -> bool:
        """Triage chose the playbook the injected fault calls for."""
        playbook = self.report.choice.playbook
        return playbook is not None and playbook.name == self.expected_playbook

    def exit_code(self) -> int:
        """0 when triage found the injected fault, 3 when it did not."""
        from aiops.core import errors

        return errors.OK if self.found else errors.CHECK_FAILED

    def to_dict(self) -> dict[str, Any]:
        return {"schema": "aiops.drills.demo/v1", "fault": self.fault, "expected_playbook": self.expected_playbook,
                "found": self.found, "lab": {"url": self.lab_url, "exit_status": self.lab_exit},
                "report": self.report.to_dict()}


def run_demo(cfg: Any, *, fault: str = "memory-leak", wait: float = 5.0, python: str = sys.executable,
             lab_args: tuple[str, ...] = (), say: Callable[[str], None] | None = None,
             sleep: Callable[[float], None] = time.sleep) -> DemoResult:
    """Start the lab with ``fault``, let it run ``wait`` seconds, triage it, stop it."""
    from aiops.lab.faults import format_fault, parse_fault
    from aiops.triage import triage

    name, value = parse_fault(fault)
    spec = format_fault(name, value)
    if wait < 0:
        raise UsageError("--wait must be 0 or more seconds")
    say = say or (lambda message: None)
    with tempfile.TemporaryDirectory(prefix="aiops-demo-") as tmp:
        lab = LabProcess(Path(tmp), faults=[spec], python=python, extra_args=lab_args)
        try:
            say(f"starting the Sim Lab service with fault {spec}")
            url = lab.announce(timeout=60)
            ready = lab.wait_ready(timeout=60, path="/live" if name == "not-ready" else "/ready")
            say(f"lab listening on {url}" + ("" if ready else f" (it exited: {lab.why()})"))
            _let_it_run(lab, wait, say, sleep)
            say(f"triaging {url} (metrics read from its /metrics, logs from {lab.log_file.name})")
            values = {**cfg.values, "targets": [url], "logs.backend": "file", "logs.file": str(lab.log_file)}
            report = triage(replace(cfg, values=values), targets=[url], metrics_source="scrape",
                            read_alerts=False, progress=say)
        finally:
            status = lab.stop()
            say(f"lab stopped (exit status {status})")
    return DemoResult(spec, EXPECTED[name], url, status, report)


def _let_it_run(lab: LabProcess, wait: float, say: Callable[[str], None], sleep: Callable[[float], None]) -> None:
    end = time.monotonic() + wait
    while (left := end - time.monotonic()) > 0:
        say(f"letting the fault show: {left:.0f}s left")
        sleep(min(1.0, left))
        if lab.proc.poll() is not None:
            say(f"the lab exited: {lab.why()}")
            return
