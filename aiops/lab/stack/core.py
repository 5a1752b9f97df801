"""``aiops lab stack``: N lab instances, Prometheus, Alertmanager and the PagerDuty sandbox.

``up`` writes everything into a state directory: the Prometheus config (job
``active-inference`` scraping the instances, the rules at the stack's speed: at speed 1 the
shipped rule file), the Alertmanager config (its own ``pagerduty_configs`` receiver, ``url``
pointed at the sandbox's Events API v2, trusting the sandbox's CA), ``aiops.toml`` with the
environment ``lab``, the logs, and ``stack.json``: what was started (PID and the process's start
time, so ``down`` stops only processes this stack started, never a reused PID).
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import json
import os
import secrets
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from aiops.core.errors import UpstreamError, UsageError
from aiops.lab.stack import configs
from aiops.lab.stack.procs import Proc, aiops_argv, announcement, binary, free_port, spawn, wait_http
from aiops.lab.stack.timing import Timing, rule_groups, timing

SCHEMA = "aiops.lab.stack/v1"
STATE_FILE = "stack.json"
CONFIG_FILE = "aiops.toml"
ENV = "lab"
MAX_INSTANCES = 20


@dataclass
class Stack:
    """A started stack, as ``stack.json`` records it."""

    state_dir: Path
    speed: float
    procs: list[Proc]
    settings: dict[str, Any]
    started_at: str
    cwd_config: dict[str, str] | None = None  # {"path", "sha256"} of a ./aiops.toml we created
    running: dict[str, bool] = field(default_factory=dict)  # filled by status()

    @property
    def timing(self) -> Timing:
        return timing(self.speed)

    @property
    def config_file(self) -> Path:
        return self.state_dir / CONFIG_FILE

    def proc(self, name: str) -> Proc:
        return next(p for p in self.procs if p.name == name)

    @property
    def labs(self) -> list[Proc]:
        return [p for p in self.procs if p.name.startswith("lab-")]

    def save(self) -> None:
        data = {"schema": SCHEMA, "state_dir": str(self.state_dir), "speed": self.speed,
                "started_at": self.started_at, "settings": self.settings, "cwd_config": self.cwd_config,
                "procs": [p.to_dict() for p in self.procs]}
        _private_write(self.state_dir / STATE_FILE, json.dumps(data, indent=2))

    def to_dict(self) -> dict[str, Any]:
        """The public view (``aiops.lab.stack/v1``): no secrets."""
        return {"schema": SCHEMA, "state_dir": str(self.state_dir), "environment": ENV,
                "config_file": str(self.config_file), "started_at": self.started_at,
                "timing": self.timing.to_dict(),
                "components": [{"name": p.name, "pid": p.pid, "url": p.url, "log": p.log,
                                "running": self.running.get(p.name)} for p in self.procs]}

    def exit_code(self) -> int:
        """0 when every component runs (or status was not asked), 3 otherwise."""
        from aiops.core.errors import CHECK_FAILED, OK

        return CHECK_FAILED if self.running and not all(self.running.values()) else OK


def _private_write(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)


def load(state_dir: str | Path) -> Stack:
    """The stack recorded in ``state_dir``; UsageError when there is none."""
    path = Path(state_dir).expanduser().resolve() / STATE_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"no lab stack in {path.parent}", hint="start one with 'aiops lab stack up'") from None
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path}: unreadable stack state: {exc}") from None
    if data.get("schema") != SCHEMA:
        raise UsageError(f"{path}: not a lab stack state file")
    return Stack(Path(data["state_dir"]), float(data["speed"]), [Proc(**p) for p in data["procs"]],
                 data["settings"], data["started_at"], data.get("cwd_config"))


def status(state_dir: str | Path) -> Stack:
    """The recorded stack with ``running`` filled in for each component."""
    stack = load(state_dir)
    stack.running = {p.name: p.alive() for p in stack.procs}
    return stack


def up(state_dir: str | Path, *, instances: int = 1, speed: float = 1.0, lab_args: Sequence[str] = (),
       timeout: float = 60.0, cwd_config: Path | None = None,
       progress: Callable[[str], None] | None = None) -> Stack:
    """Start the stack; on any failure, stop what was started and raise."""
    say = progress or (lambda message: None)
    if not 1 <= instances <= MAX_INSTANCES:
        raise UsageError(f"--instances must be between 1 and {MAX_INSTANCES}, got {instances}")
    t = timing(speed)
    prometheus, alertmanager = binary("prometheus"), binary("prometheus-alertmanager")  # exit 2 first
    state_dir = Path(state_dir).expanduser().resolve()
    state_dir.mkdir(parents=True, exist_ok=True)
    if (state_dir / STATE_FILE).exists() and any(p.alive() for p in load(state_dir).procs):
        raise UsageError(f"a lab stack is already running in {state_dir}",
                         hint="'aiops lab stack status' shows it; 'aiops lab stack down' stops it")
    started: list[tuple[Proc, subprocess.Popen]] = []
    try:
        return _up(state_dir, t, instances, list(lab_args), timeout, cwd_config, prometheus, alertmanager,
                   started, say)
    except BaseException:
        for proc, popen in reversed(started):
            proc.stop(5)
            popen.wait(5)
        raise


def _up(state_dir: Path, t: Timing, instances: int, lab_args: list[str], timeout: float,
        cwd_config: Path | None, prometheus: str, alertmanager: str,
        started: list[tuple[Proc, subprocess.Popen]], say: Callable[[str], None]) -> Stack:
    token = secrets.token_hex(16)
    say(f"starting {instances} lab instance(s) and the PagerDuty sandbox")
    for i in range(1, instances + 1):
        argv = aiops_argv("lab", "serve", "--host", "127.0.0.1", "--port", "0",
                          "--log-file", str(state_dir / f"lab-{i}.log"), *lab_args)
        started.append(spawn(f"lab-{i}", argv, state_dir, env={"AIOPS_LAB_ADMIN_TOKEN": token}))
    pd_state = state_dir / "pagerduty.json"
    started.append(spawn("pagerduty", aiops_argv("lab", "pagerduty", "--state", str(pd_state)), state_dir))
    with concurrent.futures.ThreadPoolExecutor(len(started)) as pool:
        infos = list(pool.map(lambda s: announcement(s[0], s[1], timeout), started))
    for (proc, _), info in zip(started, infos):
        proc.url = info["url"]
    with concurrent.futures.ThreadPoolExecutor(instances) as pool:
        list(pool.map(lambda s: wait_http(s[0], s[1], "/ready", timeout), started[:instances]))
    pd = json.loads(pd_state.read_text(encoding="utf-8"))
    say("starting Alertmanager (receiver: the sandbox's Events API v2) and Prometheus")
    am_yml = state_dir / "alertmanager.yml"
    am_yml.write_text(configs.alertmanager_config(t, pd["url"] + "/v2/enqueue", pd["routing_key"], pd["ca_bundle"]))
    os.chmod(am_yml, 0o600)  # it holds the routing key
    am = _start_server("alertmanager", state_dir, started, timeout, lambda port: [
        alertmanager, f"--config.file={am_yml}", f"--web.listen-address=127.0.0.1:{port}",
        f"--storage.path={state_dir / 'alertmanager-data'}", "--cluster.listen-address=", "--log.level=warn"])
    rules = state_dir / "rules.yml"
    rules.write_text(json.dumps(rule_groups(t), indent=2))
    prom_yml = state_dir / "prometheus.yml"
    labs = [p for p, _ in started[:instances]]
    prom_yml.write_text(configs.prometheus_config(t, [p.url for p in labs], str(rules), am.url))
    prom = _start_server("prometheus", state_dir, started, timeout, lambda port: [
        prometheus, f"--config.file={prom_yml}", f"--web.listen-address=127.0.0.1:{port}",
        f"--storage.tsdb.path={state_dir / 'prometheus-data'}", "--web.enable-lifecycle", "--log.level=warn"])
    settings = {"targets": [p.url for p in labs], "prometheus.url": prom.url, "alertmanager.url": am.url,
                "logs.backend": "file", "logs.file": str(state_dir / "lab-*.log"),
                "pagerduty.base_url": pd["url"], "pagerduty.events_url": pd["url"],
                "pagerduty.ca_bundle": pd["ca_bundle"], "pagerduty.from_email": pd["from_email"],
                "pagerduty.token": pd["token"], "pagerduty.routing_key": pd["routing_key"],
                "lab.admin_token": token, "audit.path": str(state_dir / "audit.jsonl")}
    _private_write(state_dir / CONFIG_FILE, configs.aiops_toml(settings, ENV))
    stack = Stack(state_dir, t.speed, [p for p, _ in started], settings,
                  dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"))
    if cwd_config is not None and not cwd_config.exists():
        text = configs.aiops_toml(settings, ENV)
        _private_write(cwd_config, text)
        stack.cwd_config = {"path": str(cwd_config.resolve()), "sha256": _sha(text)}
    stack.save()
    stack.running = {p.name: p.alive() for p in stack.procs}
    return stack


def _sha(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()


def _start_server(name: str, state_dir: Path, started: list, timeout: float,
                  argv_for: Callable[[int], list[str]]) -> Proc:
    """A Debian binary on a free port (it cannot report one the OS chose); one retry on a race."""
    for attempt in range(3):
        port = free_port()
        proc, popen = spawn(name, argv_for(port), state_dir, f"http://127.0.0.1:{port}")
        started.append((proc, popen))
        try:
            wait_http(proc, popen, "/-/ready", timeout)
            return proc
        except UpstreamError:
            if popen.poll() is None or attempt == 2:
                raise
            started.pop()  # lost the port to someone else: try another
    raise AssertionError("unreachable")


@dataclass
class DownReport:
    state_dir: str
    stopped: list[dict[str, Any]]
    removed: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {"schema": "aiops.lab.stack-down/v1", "state_dir": self.state_dir, "components": self.stopped,
                "removed": self.removed}


def down(state_dir: str | Path, *, timeout: float = 10.0) -> DownReport:
    """Stop every process this stack started (and nothing else); keep the logs and configs."""
    stack = load(state_dir)
    with concurrent.futures.ThreadPoolExecutor(max(1, len(stack.procs))) as pool:
        outcomes = list(pool.map(lambda p: p.stop(timeout), reversed(stack.procs)))
    stopped = [{"name": p.name, "pid": p.pid, "outcome": o} for p, o in zip(reversed(stack.procs), outcomes)]
    removed = []
    if stack.cwd_config:  # the ./aiops.toml we wrote, unless someone changed it since
        path = Path(stack.cwd_config["path"])
        if path.is_file() and _sha(path.read_text(encoding="utf-8")) == stack.cwd_config["sha256"]:
            path.unlink()
            removed.append(str(path))
    (stack.state_dir / STATE_FILE).unlink()
    return DownReport(str(stack.state_dir), stopped, removed)
