"""Real Prometheus and Alertmanager for tests, on free loopback ports.

``start_prometheus(workdir, jobs={"active-inference": ["127.0.0.1:8000"]}, rule_files=[...],
alertmanager=am.url)`` and ``start_alertmanager(workdir)`` start the Debian binaries with a
temporary storage path and short intervals; ``stop()`` ends them. The fixtures
``prometheus_factory`` and ``alertmanager`` (import them into a test module) skip locally when
the binaries are missing and fail under CI=true. ``shortened_rules(path)`` writes the runbook's
rules with short ``for:`` durations and range windows, so alerts fire within seconds;
``backfill(storage, series)`` writes known history for ``start_prometheus(storage=...)``.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import wait_for  # noqa: F401 (re-exported for the tests that import it here)

from tests.conftest import free_port, require

AM_CONFIG = """\
route:
  receiver: blackhole
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: blackhole
"""


@dataclass
class ServerProcess:
    """A started server: ``url`` answers when this exists; ``stop()`` terminates it."""

    name: str
    url: str
    proc: subprocess.Popen
    workdir: Path
    log_path: Path
    config_path: Path
    extra: dict[str, Any] = field(default_factory=dict)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def reload(self) -> None:
        """Re-read the config file (POST /-/reload; started with --web.enable-lifecycle)."""
        urllib.request.urlopen(urllib.request.Request(self.url + "/-/reload", method="POST"),
                               timeout=5).read()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def _wait_ready(server: ServerProcess, path: str = "/-/ready", timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f"{server.name} exited with {server.proc.returncode}:\n{server.log()[-3000:]}")
        try:
            with urllib.request.urlopen(server.url + path, timeout=1) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"{server.name} not ready after {timeout}s:\n{server.log()[-3000:]}")


def _spawn(name: str, argv: list[str], workdir: Path, url: str, config_path: Path,
           ready: str = "/-/ready") -> ServerProcess:
    log_path = workdir / f"{name}.log"
    log = log_path.open("wb")
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            cwd=workdir)
    log.close()
    server = ServerProcess(name, url, proc, workdir, log_path, config_path)
    _wait_ready(server, ready)
    return server


def prometheus_config(jobs: dict[str, list[str]], rule_files: list[str | Path] = (),
                      alertmanager: str | None = None, scrape_interval: str = "1s",
                      evaluation_interval: str = "1s", scrape_configs: list[dict] = ()) -> str:
    """The YAML (written as JSON, which YAML reads) of a Prometheus config."""
    config: dict[str, Any] = {
        "global": {"scrape_interval": scrape_interval, "scrape_timeout": scrape_interval,
                   "evaluation_interval": evaluation_interval},
        "rule_files": [str(p) for p in rule_files],
        "scrape_configs": [{"job_name": job, "static_configs": [{"targets": list(targets)}]}
                           for job, targets in jobs.items()] + list(scrape_configs),
    }
    if alertmanager:
        host = alertmanager.split("://", 1)[-1].rstrip("/")
        config["alerting"] = {"alertmanagers": [{"static_configs": [{"targets": [host]}]}]}
    return json.dumps(config, indent=2)


def start_prometheus(workdir: Path, *, jobs: dict[str, list[str]] | None = None,
                     rule_files: list[str | Path] = (), alertmanager: str | None = None,
                     scrape_interval: str = "1s", evaluation_interval: str = "1s",
                     storage: Path | None = None, scrape_configs: list[dict] = (),
                     retention: str | None = None) -> ServerProcess:
    """Prometheus on a free port scraping ``jobs`` ({job: ["host:port", ...]})."""
    binary = require("prometheus", binary=True)
    workdir = Path(workdir) / f"prometheus-{free_port()}"
    workdir.mkdir(parents=True)
    config_path = workdir / "prometheus.yml"
    config_path.write_text(prometheus_config(jobs or {}, rule_files, alertmanager,
                                             scrape_interval, evaluation_interval, scrape_configs))
    port = free_port()
    argv = [binary, f"--config.file={config_path}", f"--web.listen-address=127.0.0.1:{port}",
            f"--storage.tsdb.path={storage or workdir / 'data'}", "--web.enable-lifecycle",
            "--log.level=warn", *([f"--storage.tsdb.retention.time={retention}"] if retention else [])]
    return _spawn("prometheus", argv, workdir, f"http://127.0.0.1:{port}", config_path)


def start_blackbox(workdir: Path, modules: str) -> ServerProcess:
    """The real blackbox exporter (Debian's prometheus-blackbox-exporter) on a free port;
    ``modules`` is its config file's text. ``.address`` is HOST:PORT for scrape jobs."""
    binary = require("prometheus-blackbox-exporter", binary=True)
    workdir = Path(workdir) / f"blackbox-{free_port()}"
    workdir.mkdir(parents=True)
    config_path = workdir / "blackbox.yml"
    config_path.write_text(modules)
    port = free_port()
    argv = [binary, f"--config.file={config_path}", f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn"]
    server = _spawn("blackbox", argv, workdir, f"http://127.0.0.1:{port}", config_path, ready="/-/healthy")
    server.extra["address"] = f"127.0.0.1:{port}"
    return server


def start_alertmanager(workdir: Path, *, config: str = AM_CONFIG) -> ServerProcess:
    """Alertmanager on a free port, clustering off, routing everything to a no-op receiver."""
    binary = require("prometheus-alertmanager", binary=True)
    workdir = Path(workdir) / f"alertmanager-{free_port()}"
    workdir.mkdir(parents=True)
    config_path = workdir / "alertmanager.yml"
    config_path.write_text(config)
    port = free_port()
    argv = [binary, f"--config.file={config_path}", f"--web.listen-address=127.0.0.1:{port}",
            f"--storage.path={workdir / 'data'}", "--cluster.listen-address=", "--log.level=warn"]
    return _spawn("alertmanager", argv, workdir, f"http://127.0.0.1:{port}", config_path)


_RANGE = re.compile(r"\[(\d+[smhdw])\]")


def shortened_rules(path: Path, *, for_: str = "1s", window: str = "20s",
                    names: tuple[str, ...] = ()) -> Path:
    """Write the catalog's rules with every ``for:`` set to ``for_`` and every range
    selector (``[5m]``, ``[1h]``) set to ``window``; only ``names`` when given."""
    from aiops.catalog import ALERT_RULES

    rules = [{"alert": r.name, "expr": _RANGE.sub(f"[{window}]", r.expr), "for": for_,
              "labels": {"severity": r.severity, "priority": r.priority},
              "annotations": {"summary": r.summary}}
             for r in ALERT_RULES if not names or r.name in names]
    path.write_text(json.dumps({"groups": [{"name": "active-inference-test", "rules": rules}]},
                               indent=2))
    return path


def backfill(storage: Path, series: dict[str, list[tuple[float, float]]]) -> Path:
    """Write ``{'name{labels}': [(unix seconds, value), ...]}`` into TSDB blocks under
    ``storage`` with ``promtool tsdb create-blocks-from openmetrics`` (start Prometheus with
    ``storage=`` to query them)."""
    promtool = require("promtool", binary=True)
    storage = Path(storage)
    storage.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []
    for name in sorted({key.split("{", 1)[0] for key in series}):
        lines.append(f"# TYPE {name} gauge")
        for key, samples in series.items():
            if key.split("{", 1)[0] == name:
                lines += [f"{key} {value!r} {ts:.3f}" for ts, value in samples]
    source = storage.parent / f"{storage.name}.om"
    source.write_text("\n".join(lines) + "\n# EOF\n")
    done = subprocess.run([promtool, "tsdb", "create-blocks-from", "openmetrics", str(source), str(storage)],
                          capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"promtool backfill failed: {done.stdout}{done.stderr}")
    return storage


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return json.loads(resp.read())


@pytest.fixture
def prometheus_factory(tmp_path):
    """``prometheus_factory(jobs=..., rule_files=..., alertmanager=...)`` -> ServerProcess."""
    started: list[ServerProcess] = []

    def start(**kwargs: Any) -> ServerProcess:
        server = start_prometheus(tmp_path, **kwargs)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def alertmanager(tmp_path):
    """A running Alertmanager (ServerProcess) for one test."""
    server = start_alertmanager(tmp_path)
    yield server
    server.stop()
