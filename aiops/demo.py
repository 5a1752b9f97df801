"""``aiops demo``: start the lab with a fault, let the symptom show, triage it, stop the lab.

Needs nothing configured: the lab runs as a child process (``python -m aiops lab serve
--port 0 --fault ...``) writing its logs to a temporary file, and triage reads its /metrics
directly (no Prometheus scrapes a lab on a random port) and its log file. The lab is stopped
whatever happens, Ctrl-C included.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

from aiops.errors import UpstreamError, UsageError

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
        from aiops import errors

        return errors.OK if self.found else errors.CHECK_FAILED

    def to_dict(self) -> dict[str, Any]:
        return {"schema": "aiops.demo/v1", "fault": self.fault, "expected_playbook": self.expected_playbook,
                "found": self.found, "lab": {"url": self.lab_url, "exit_status": self.lab_exit},
                "report": self.report.to_dict()}


class Lab:
    """The lab child process: started in its own session so Ctrl-C reaches only aiops."""

    def __init__(self, fault: str, workdir: Path, python: str = sys.executable,
                 extra_args: tuple[str, ...] = ()) -> None:
        self.log_file = workdir / "lab.log"
        self.stderr_file = workdir / "lab.stderr"
        argv = [python, "-m", "aiops", "lab", "serve", "--host", "127.0.0.1", "--port", "0",
                "--fault", fault, "--log-file", str(self.log_file), *extra_args]
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "NO_COLOR": "1"}
        with self.stderr_file.open("wb") as err:
            self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL,
                                         text=True, env=env, start_new_session=True)
        self.url = ""

    def announce(self, timeout: float) -> str:
        """Wait for the first stdout line (``{"url": ...}``); UpstreamError when none comes."""
        box: list[str] = []
        reader = threading.Thread(target=lambda: box.append(self.proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        try:
            self.url = json.loads(box[0])["url"] if box and box[0].strip() else ""
        except (ValueError, KeyError, TypeError):
            self.url = ""
        if not self.url:
            raise UpstreamError(f"the lab did not start: {self._why()}")
        return self.url

    def wait_ready(self, timeout: float, path: str = "/ready") -> bool:
        """True once ``path`` answers 200; False when the lab exited first (the crash fault)."""
        import urllib.request

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(self.url + path, timeout=2) as resp:
                    if resp.status == 200:
                        return True
            except OSError:
                pass
            time.sleep(0.1)
        raise UpstreamError(f"the lab at {self.url}: {path} not 200 within {timeout:g}s: {self._why()}")

    def _why(self) -> str:
        if self.proc.poll() is None:
            return "no answer yet"
        tail = self.stderr_file.read_text(errors="replace").strip().splitlines()[-1:] or ["no output"]
        return f"exit status {self.proc.returncode}: {tail[0][:200]}"

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM, then SIGKILL after ``timeout``; returns the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.proc.stdout:
            self.proc.stdout.close()
        return self.proc.returncode


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
        lab = Lab(spec, Path(tmp), python, lab_args)
        try:
            say(f"starting the Sim Lab service with fault {spec}")
            url = lab.announce(timeout=60)
            ready = lab.wait_ready(timeout=60, path="/live" if name == "not-ready" else "/ready")
            say(f"lab listening on {url}" + ("" if ready else f" (it exited: {lab._why()})"))
            _let_it_run(lab, wait, say, sleep)
            say(f"triaging {url} (metrics read from its /metrics, logs from {lab.log_file.name})")
            values = {**cfg.values, "targets": [url], "logs.backend": "file", "logs.file": str(lab.log_file)}
            report = triage(replace(cfg, values=values), targets=[url], metrics_source="scrape",
                            read_alerts=False, progress=say)
        finally:
            status = lab.stop()
            say(f"lab stopped (exit status {status})")
    return DemoResult(spec, EXPECTED[name], url, status, report)


def _let_it_run(lab: Lab, wait: float, say: Callable[[str], None], sleep: Callable[[float], None]) -> None:
    end = time.monotonic() + wait
    while (left := end - time.monotonic()) > 0:
        say(f"letting the fault show: {left:.0f}s left")
        sleep(min(1.0, left))
        if lab.proc.poll() is not None:
            say(f"the lab exited: {lab._why()}")
            return
