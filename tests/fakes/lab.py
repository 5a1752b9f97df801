"""Start the real lab service (``python -m aiops lab serve``) as a subprocess for tests.

    from tests.fakes.lab import lab, start_lab   # ``lab`` is a pytest fixture (a factory)

    def test_something(lab):
        svc = lab(faults=("error-rate=0.5",))
        status, body = svc.get("/health")
        svc.set_fault("slow-inference=2")

``start_lab`` waits until /ready answers 200 (or /live, when ``not-ready`` is among the
faults). By default it passes fast-test flags (training every 10 ms, a 20-episode
accuracy window, 20 synthetic requests/s, a 10 s error window); ``fast=False`` keeps the
service's defaults. Logs go to a temporary JSON-lines file (``.log_file``, ``.logs()``).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import pytest

from aiops.lab.process import read_announcement, stop_process
from tests.conftest import wait_for

FAST_ARGS = ("--train-interval", "0.01", "--accuracy-window", "20", "--synthetic-rps", "20",
             "--error-window", "10")
REPO = Path(__file__).resolve().parents[2]


@dataclass
class LabProcess:
    """A running lab: its URL, process, log file and admin token."""

    url: str
    proc: subprocess.Popen
    log_file: Path
    admin_token: str
    info: dict[str, Any]
    output: list[str] = field(default_factory=list)  # stdout after the first line, and stderr
    _tmp: Any = None

    # -- HTTP --------------------------------------------------------------------------------

    def request(self, method: str, path: str, body: Any = None, *, headers: dict[str, str] | None = None,
                raw: bytes | None = None, timeout: float = 10.0) -> tuple[int, dict[str, str], bytes]:
        """(status, lower-cased headers, body bytes); HTTP errors are returned, not raised."""
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers or {})
        if data is not None and "Content-Type" not in (headers or {}):
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()

    def get(self, path: str, **kw: Any) -> tuple[int, Any]:
        """(status, decoded JSON or text)."""
        status, headers, body = self.request("GET", path, **kw)
        return status, _decode(body, headers)

    def post(self, path: str, body: Any = None, **kw: Any) -> tuple[int, Any]:
        status, headers, data = self.request("POST", path, body, **kw)
        return status, _decode(data, headers)

    def admin(self, method: str, path: str = "/admin/faults", body: Any = None) -> tuple[int, Any]:
        status, headers, data = self.request(method, path, body,
                                             headers={"Authorization": f"Bearer {self.admin_token}"})
        return status, _decode(data, headers)

    def set_fault(self, spec: str) -> dict:
        status, body = self.admin("POST", body={"spec": spec})
        assert status == 200, (status, body)
        return body

    def clear_fault(self, name: str | None = None) -> dict:
        status, body = self.admin("DELETE", "/admin/faults" + (f"/{name}" if name else ""))
        assert status == 200, (status, body)
        return body

    # -- metrics and logs ----------------------------------------------------------------------

    def metrics_text(self) -> str:
        status, _, body = self.request("GET", "/metrics")
        assert status == 200, status
        return body.decode()

    def metrics(self) -> dict[str, Any]:
        """Metric families by name, parsed with prometheus_client's parser."""
        from prometheus_client.parser import text_string_to_metric_families

        return {f.name: f for f in text_string_to_metric_families(self.metrics_text())}

    def sample(self, name: str, **labels: str) -> float | None:
        """The value of sample ``name`` with exactly ``labels`` (None when absent).

        The parser names counter samples ``<family>_total``: the lab's bare
        ``ai_episodes_completed`` counter is read as ``sample("ai_episodes_completed_total")``.
        """
        for family in self.metrics().values():
            for s in family.samples:
                if s.name == name and s.labels == labels:
                    return s.value
        return None

    def logs(self) -> list[dict[str, Any]]:
        """Every JSON record written so far (the current log file)."""
        if not self.log_file.exists():
            return []
        lines = self.log_file.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> Any:
        """Poll ``predicate`` until it returns something truthy; fail the test after ``timeout``."""
        return wait_for(predicate, timeout, interval=0.1, what=f"lab {self.url}: {what}")

    # -- lifecycle -----------------------------------------------------------------------------

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM and wait (kill after ``timeout``); returns the exit status. Logs stay readable."""
        return stop_process(self.proc, timeout)

    def close(self) -> None:
        """Stop, then delete the temporary log directory (if start_lab made one)."""
        self.stop()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


def _decode(body: bytes, headers: dict[str, str]) -> Any:
    if "json" in headers.get("content-type", ""):
        return json.loads(body)
    return body.decode("utf-8", errors="replace")


def _drain(stream: Any, sink: list[str]) -> None:
    for line in iter(stream.readline, ""):
        sink.append(line.rstrip("\n"))
    stream.close()


def start_lab(faults: Iterable[str] = (), *, model: str = "tmaze", log_file: str | Path | None = None,
              extra_args: Iterable[str] = (), fast: bool = True, admin_token: str | None = None,
              env: dict[str, str] | None = None, timeout: float = 30.0) -> LabProcess:
    """Start ``python -m aiops lab serve --port 0`` on 127.0.0.1 and wait until it is ready."""
    faults = list(faults)
    tmp = None
    if log_file is None:
        tmp = tempfile.TemporaryDirectory(prefix="aiops-lab-")
        log_file = Path(tmp.name) / "lab.log"
    token = secrets.token_hex(16) if admin_token is None else admin_token  # "" = no admin token
    args = [sys.executable, "-m", "aiops", "lab", "serve", "--host", "127.0.0.1", "--port", "0",
            "--model", model, "--log-file", str(log_file)]
    for spec in faults:
        args += ["--fault", spec]
    args += [*(FAST_ARGS if fast else ()), *extra_args]
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("AIOPS_")}
    child_env.update({"NO_COLOR": "1", "PYTHONUNBUFFERED": "1"}, **(env or {}))
    if token:
        child_env["AIOPS_LAB_ADMIN_TOKEN"] = token
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=child_env, cwd=str(REPO))
    output: list[str] = []
    info = _first_line(proc, timeout, output)
    threading.Thread(target=_drain, args=(proc.stdout, output), daemon=True).start()
    lab = LabProcess(info["url"], proc, Path(log_file), token, info, output, tmp)
    probe = "/live" if any(f.split("=")[0] == "not-ready" for f in faults) else "/ready"
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            lab.close()
            raise RuntimeError(f"lab exited with {proc.returncode} before {probe} answered 200: "
                               + " | ".join(output[-5:]))
        try:
            if lab.request("GET", probe, timeout=2)[0] == 200:
                return lab
        except OSError:
            pass
        if time.monotonic() > deadline:
            lab.close()
            raise RuntimeError(f"lab at {lab.url}: {probe} not 200 within {timeout}s")
        time.sleep(0.05)


def _first_line(proc: subprocess.Popen, timeout: float, output: list[str]) -> dict[str, Any]:
    """The announce line, or RuntimeError with stderr when the lab exits or stays silent."""
    threading.Thread(target=_drain, args=(proc.stderr, output), daemon=True).start()
    info = read_announcement(proc, timeout)
    if info is None:
        if proc.poll() is None:
            proc.kill()
        proc.wait(5)
        time.sleep(0.1)
        raise RuntimeError(f"lab did not announce its URL (exit {proc.returncode}): " + " | ".join(output[-5:]))
    return info


@pytest.fixture
def lab():
    """Factory fixture: ``lab(faults=(), **start_lab_kwargs) -> LabProcess``; all stopped at teardown."""
    started: list[LabProcess] = []

    def factory(faults: Iterable[str] = (), **kwargs: Any) -> LabProcess:
        process = start_lab(faults, **kwargs)
        started.append(process)
        return process

    yield factory
    for process in started:
        process.close()
