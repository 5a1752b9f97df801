"""``aiops drill run``: each scenario on its own stack, scenarios run concurrently.

For one scenario: start a stack (its own lab instances, Prometheus at the drill's speed,
Alertmanager, PagerDuty sandbox), wait until Prometheus scrapes every instance, run the schedule
while watching alerts (:mod:`aiops.drills.watch`), find the incident Alertmanager raised in the
sandbox, take the scenario's ``down`` sources away, run triage (``--alert`` for the
first-priority expected alert that fired, else plain), draft the post-mortem, score, and stop
the stack whatever happened.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import json
import re
import shutil
import ssl
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Callable

from aiops.core.errors import AiopsError
from aiops.drills.report import DrillReport, ScenarioResult
from aiops.drills.scoring import named_instance, score
from aiops.drills.watch import Watch, priority_order

SCRAPED_TIMEOUT_S = 60.0
MIN_WAIT_S = 90.0  # the least wall-clock wait for expected alerts, whatever the speed: a busy machine is slow
TRIAGE_TIMEOUT_S = 30.0  # triage's budget in a drill: the drill judges the answer (bench_triage its speed)
INCIDENT_WAIT_S = 20.0  # after Alertmanager's group_wait
_POSTMORTEM_LOCK = threading.Lock()  # drafts use shared template and chart state: one at a time


def run_drills(scenarios: list[Any], *, speed: float = 60.0, jobs: int = 4, workdir: str | Path | None = None,
               keep: bool = False, timeout: float | None = None,
               progress: Callable[[str], None] | None = None) -> DrillReport:
    """Run every scenario (``jobs`` at a time, each on its own stack) and score them; ``timeout``
    is triage's time budget (the ``timeout`` setting; None: its default)."""
    from aiops.lab.stack import timing
    from aiops.lab.stack.procs import binary

    t = timing(speed)
    binary("prometheus"), binary("prometheus-alertmanager")  # exit 2 before anything starts
    say = progress or (lambda message: None)
    began = time.monotonic()
    started_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
    base = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="aiops-drill-"))
    cancel = threading.Event()
    pool = concurrent.futures.ThreadPoolExecutor(max(1, jobs))
    try:
        futures = [pool.submit(_guarded, s, speed, base / _slug(s.name), say, cancel, timeout) for s in scenarios]
        while not all(f.done() for f in futures):
            concurrent.futures.wait(futures, timeout=0.5)  # short waits: Ctrl-C gets through
        results = [f.result() for f in futures]
    except KeyboardInterrupt:
        say("interrupted: stopping every scenario's stack")
        cancel.set()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        if not keep and workdir is None:
            shutil.rmtree(base, ignore_errors=True)
    return DrillReport(speed, t.to_dict(), started_at, results, time.monotonic() - began, jobs)


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name)[:60] or "scenario"


def _guarded(scenario: Any, speed: float, workdir: Path, say: Callable[[str], None],
             cancel: threading.Event, timeout: float | None = None) -> ScenarioResult:
    began = time.monotonic()
    result = ScenarioResult(scenario.name, scenario.file, "noise-only" if scenario.noise_only else "fault",
                            scenario.expect.to_dict())
    say(f"{scenario.name}: starting {scenario.instances} instance(s)")
    try:
        run_scenario(scenario, speed, workdir, result, say, cancel, timeout)
    except KeyboardInterrupt:
        result.error = "interrupted"
    except AiopsError as exc:
        result.error = exc.message
    except Exception as exc:  # one broken scenario must not sink the others
        result.error = f"internal error: {type(exc).__name__}: {exc}"
    result.duration_seconds = time.monotonic() - began
    say(f"{scenario.name}: {'pass' if result.passed else 'FAIL'}" + (f" ({result.error})" if result.error else ""))
    return result


def run_scenario(scenario: Any, speed: float, workdir: Path, result: ScenarioResult,
                 say: Callable[[str], None], cancel: threading.Event | None = None,
                 timeout: float | None = None) -> None:
    """One scenario, start to finish; fills ``result``."""
    from aiops.lab.stack import down, up

    workdir.mkdir(parents=True, exist_ok=True)
    if cancel is not None and cancel.is_set():
        raise KeyboardInterrupt
    stack = up(workdir / "stack", instances=scenario.instances, speed=speed, timeout=90)
    say(f"{scenario.name}: stack up")
    try:
        _drill(scenario, stack, result, say, cancel, timeout)
    finally:
        down(stack.state_dir, timeout=5)


def _drill(scenario: Any, stack: Any, result: ScenarioResult, say: Callable[[str], None],
           cancel: threading.Event | None, timeout: float | None) -> None:
    prometheus = stack.settings["prometheus.url"]
    _wait_scraped(prometheus, scenario.instances)
    watch = Watch(scenario, stack.speed, stack.labs, prometheus, stack.settings["lab.admin_token"], say)
    expected = set(scenario.expect.alerts)
    fault_instances = {e.instance for e in scenario.faults}

    def done() -> bool:
        if scenario.noise_only or not expected:
            return watch.elapsed() >= max(e.at for e in scenario.events) / stack.speed + scenario.observe / stack.speed
        return expected <= {name for (name, inst) in watch.firing if inst in fault_instances}

    deadline = max(e.at for e in scenario.events) / stack.speed + max(scenario.within / stack.speed, MIN_WAIT_S)
    watch.run(done, deadline, cancel)
    result.schedule = watch.applied
    fired = [a for a in priority_order(list(expected)) if any(n == a and i in fault_instances for n, i in watch.firing)]
    result.triage_alert = fired[0] if fired else None
    say(f"{scenario.name}: alerts seen after {watch.elapsed():.1f}s")
    incident = _incident(stack, result.triage_alert, stack.timing.group_wait_s + INCIDENT_WAIT_S) \
        if result.triage_alert else None
    result.incident = incident
    say(f"{scenario.name}: incident {incident} after {watch.elapsed():.1f}s")
    cfg = _config(stack, timeout)
    result.sources_down = list(scenario.down)
    for source in scenario.down:
        _take_down(stack, source)
    from aiops.triage import triage

    say(f"{scenario.name}: triage" + (f" --alert {result.triage_alert}" if result.triage_alert else ""))
    report = triage(cfg, alert=result.triage_alert, incident=str(incident) if incident else None)
    result.verdict, result.summary = report.verdict, report.summary
    result.triage_sources = {src.name: src.status for src in report.sources}
    result.playbook = report.choice.playbook.name if report.choice.playbook else None
    result.instance = named_instance(report, [p.url for p in stack.labs])
    say(f"{scenario.name}: triage done after {watch.elapsed():.1f}s")
    result.postmortem = _postmortem(cfg, stack, incident, "pagerduty" not in scenario.down, watch)
    say(f"{scenario.name}: post-mortem drafted after {watch.elapsed():.1f}s")
    score(scenario, result, watch)


def _wait_scraped(prometheus: str, instances: int) -> None:
    """Until Prometheus has scraped every instance once (up == 1 for all)."""
    from aiops.core.errors import UpstreamError

    query = urllib.parse.quote('sum(up{job="active-inference"})')
    deadline = time.monotonic() + SCRAPED_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{prometheus}/api/v1/query?query={query}", timeout=2) as resp:
                data = json.loads(resp.read())["data"]["result"]
            if data and float(data[0]["value"][1]) >= instances:
                return
        except (OSError, ValueError, KeyError, IndexError):
            pass
        time.sleep(0.25)
    raise UpstreamError(f"Prometheus at {prometheus} did not scrape all {instances} instance(s) within "
                        f"{SCRAPED_TIMEOUT_S:g}s")


def _config(stack: Any, timeout: float | None) -> Any:
    """The triage configuration: the stack's environment ``lab``, nothing from the user's files."""
    from aiops.core.config import load

    return load(config_path=stack.config_file, env_name="lab", environ={},
                flags={"timeout": TRIAGE_TIMEOUT_S if timeout is None else timeout},
                user_file=stack.state_dir / "no-user-config.toml")


def _incident(stack: Any, alert: str, wait_s: float) -> int | None:
    """The number of the sandbox incident Alertmanager raised for ``alert`` (None if none came)."""
    s = stack.settings
    ctx = ssl.create_default_context(cafile=s["pagerduty.ca_bundle"])
    req = urllib.request.Request(s["pagerduty.base_url"] + "/incidents?date_range=all&limit=100",
                                 headers={"Authorization": f"Token token={s['pagerduty.token']}",
                                          "Accept": "application/vnd.pagerduty+json;version=2"})
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(req, context=ctx, timeout=5) as resp:
                found = [i for i in json.loads(resp.read())["incidents"] if alert in i["title"]]
            if found:
                return int(found[0]["incident_number"])
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.5)
    return None


def _take_down(stack: Any, source: str) -> None:
    """Prometheus or the sandbox: stop the process. Logs: the log files disappear (moved away)."""
    if source in ("prometheus", "pagerduty"):
        stack.proc(source).stop(5)
        return
    lost = stack.state_dir / "logs-gone"
    lost.mkdir(exist_ok=True)
    for path in stack.state_dir.glob("lab-*.log"):
        path.rename(lost / path.name)  # the labs keep writing to the moved files


def _postmortem(cfg: Any, stack: Any, incident: int | None, pd_up: bool, watch: Watch) -> str | None:
    """The drafted post-mortem's path: from the incident when the sandbox is up, else the window."""
    from aiops import postmortem
    from aiops.postmortem.sources import from_config

    now = dt.datetime.now(dt.timezone.utc)
    window = {} if incident and pd_up else {"since": now - dt.timedelta(seconds=watch.elapsed() + 60), "until": now}
    with _POSTMORTEM_LOCK:
        written = postmortem.new(from_config(cfg), incident_ref=str(incident) if incident and pd_up else None,
                                 out_dir=stack.state_dir.parent / "postmortem", charts=False,
                                 title=None if incident and pd_up else f"Drill {watch.scenario.name}",
                                 authors=["aiops drill"], actor="aiops drill", secrets=cfg.secrets(), **window)
    return written.path
