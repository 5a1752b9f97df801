"""The stack's processes: start detached (own session, output to files), find where they
listen, tell whether one is still the process we started, stop it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from aiops.core.errors import ConfigError, UpstreamError

# binary -> the Debian package that installs it
PACKAGES = {"prometheus": "prometheus", "prometheus-alertmanager": "prometheus-alertmanager"}


@dataclass
class Proc:
    """One started process: enough to find it again, and to be sure it is still ours."""

    name: str  # lab-1, pagerduty, alertmanager, prometheus
    pid: int
    started: float  # the process's own start time (psutil): a reused PID is not ours
    url: str
    log: str
    argv: list[str]

    def to_dict(self) -> dict[str, Any]:
        """As ``stack.json`` records it (its start time an RFC 3339 timestamp)."""
        import datetime as dt

        from aiops.core.timewindow import rfc3339

        out = asdict(self)
        out["started_at"] = rfc3339(dt.datetime.fromtimestamp(out.pop("started"), dt.timezone.utc))
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Proc":
        import datetime as dt

        started = dt.datetime.fromisoformat(data["started_at"].replace("Z", "+00:00")).timestamp()
        return cls(data["name"], int(data["pid"]), started, data["url"], data["log"], list(data["argv"]))

    def alive(self) -> bool:
        """Still running, and still the process this stack started: the same start time (to the
        second: boot time as the kernel reports it may drift by one) and the same command line,
        so that a PID reused within that second by another program is not taken for ours."""
        import psutil

        try:
            proc = psutil.Process(self.pid)
            return (abs(proc.create_time() - self.started) < 1.0 and proc.status() != psutil.STATUS_ZOMBIE
                    and proc.cmdline() == self.argv)
        except psutil.Error:
            return False

    def stop(self, timeout: float = 10.0) -> str:
        """SIGTERM (SIGKILL after ``timeout``); 'stopped', 'killed' or 'not_running'."""
        import psutil

        if not self.alive():
            return "not_running"
        proc = psutil.Process(self.pid)
        try:
            proc.send_signal(signal.SIGTERM)
            if self._gone(timeout):
                return "stopped"
            proc.kill()
        except psutil.NoSuchProcess:
            return "stopped"
        self._gone(5.0)
        return "killed"

    def _gone(self, timeout: float) -> bool:
        """Whether it exits within ``timeout``. A process started by an earlier ``aiops`` run is
        not our child: once it exits, only its (possibly non-reaping) init can reap it, so a
        zombie counts as gone rather than waiting on it forever."""
        import time

        until = time.monotonic() + timeout
        while self.alive():
            if time.monotonic() >= until:
                return False
            time.sleep(0.05)
        return True


def binary(name: str) -> str:
    """The executable's path; ConfigError (exit 2) naming the Debian package when missing."""
    path = shutil.which(name)
    if path is None:
        raise ConfigError(f"{name} is not installed (Debian package {PACKAGES[name]})",
                          hint=f"apt-get install {PACKAGES[name]}")
    return path


def free_port() -> int:
    """A free loopback port, for binaries that cannot report the one they were given by the OS."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def spawn(name: str, argv: list[str], workdir: Path, url: str = "",
          env: dict[str, str] | None = None) -> tuple[Proc, subprocess.Popen]:
    """Start ``argv`` in its own session (Ctrl-C of the caller does not reach it), stdout and
    stderr to ``workdir/<name>.out``."""
    import psutil

    log = workdir / f"{name}.out"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("AIOPS_")},
           "PYTHONUNBUFFERED": "1", "NO_COLOR": "1", **(env or {})}
    with log.open("wb") as out:
        popen = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                 cwd=workdir, env=env, start_new_session=True)
    try:
        started = psutil.Process(popen.pid).create_time()
    except psutil.Error:
        started = time.time()
    return Proc(name, popen.pid, started, url, str(log), argv), popen


def aiops_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "aiops", *args]


def announcement(proc: Proc, popen: subprocess.Popen, timeout: float) -> dict[str, Any]:
    """The first line of an aiops child's output (its JSON announcement)."""
    deadline = time.monotonic() + timeout
    path = Path(proc.log)
    while time.monotonic() < deadline:
        text = path.read_text(errors="replace") if path.exists() else ""
        first = text.split("\n", 1)
        if len(first) == 2:
            try:
                info = json.loads(first[0])
                if isinstance(info, dict) and info.get("url"):
                    return info
            except ValueError:
                pass
            raise UpstreamError(f"{proc.name} did not start: {first[0][:200]}")
        if popen.poll() is not None:
            raise UpstreamError(f"{proc.name} exited with status {popen.returncode}: {_tail(path)}")
        time.sleep(0.05)
    raise UpstreamError(f"{proc.name} did not announce itself within {timeout:g}s")


def wait_http(proc: Proc, popen: subprocess.Popen, path: str, timeout: float, context: Any = None) -> None:
    """Until ``proc.url + path`` answers 200; UpstreamError when it exits or the time is up."""
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if popen.poll() is not None:
            raise UpstreamError(f"{proc.name} exited with status {popen.returncode}: {_tail(Path(proc.log))}")
        try:
            with urllib.request.urlopen(proc.url + path, timeout=2, context=context) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise UpstreamError(f"{proc.name} at {proc.url}: {path} not ready within {timeout:g}s: {_tail(Path(proc.log))}")


def _tail(path: Path) -> str:
    lines = path.read_text(errors="replace").strip().splitlines() if path.exists() else []
    return lines[-1][:300] if lines else "no output"
