"""The lab service's core, independent of the web framework.

:class:`LabService` owns the model, the API agent, the trainer, the metrics and the active
faults. The ASGI app (``aiops.lab.app``) is a thin HTTP layer over it.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import hashlib
import logging
import os
import time
from dataclasses import dataclass
from typing import Any, Callable

from aiops import __version__
from aiops.lab.faults import CPU_BURST_PERCENT, SELF_CLEARING, ActiveFault, FaultSet, format_fault
from aiops.lab.logs import event, iso_utc
from aiops.lab.metrics import LabMetrics, default_memory_limit, info_labels
from aiops.lab.phases import Phases, perceive, plan
from aiops.lab.tracing import NO_TRACING
from aiops.lab.training import Trainer

log_core = logging.getLogger("active_inference.core")
log_api = logging.getLogger("active_inference.api")
log_faults = logging.getLogger("active_inference.faults")
log_service = logging.getLogger("active_inference.service")
log_cache = logging.getLogger("active_inference.cache")

MAX_LEAK_MB = 1024.0
MIN_ERROR_SAMPLE = 10  # /infer requests in the window before the error ratio counts


@dataclass
class LabConfig:
    """Everything that shapes one lab service; the CLI flags map onto it one to one."""

    model: str = "tmaze"
    faults: tuple[tuple[str, float | None], ...] = ()
    admin_token: str | None = None
    train_interval: float = 0.1  # seconds between training steps
    accuracy_window: int = 50  # episodes in the rolling accuracy / loss
    synthetic_rps: float = 5.0  # the service's own synthetic /infer traffic (0 = none)
    error_window: float = 60.0  # seconds of /infer outcomes behind the /health error check
    memory_limit: int | None = None  # bytes; default: cgroup limit or physical memory
    leak_cap_mb: float = MAX_LEAK_MB
    disk_path: str = "."
    warmup_steps: int = 3
    seed: int = 0
    session_window: float = 300.0  # seconds a user stays in ai_active_sessions after a request
    cache_entries: int = 1024  # inference cache bound (0 = no cache)
    store_path: str | None = None  # episode store (SQLite); None = a temporary file


class InferenceFailed(Exception):
    """The model backend failed (the error-rate fault); the API answers 500."""


class ObservationError(ValueError):
    """A body that is not a usable observation; ``status`` is 400 or 422."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class ErrorWindow:
    """Outcomes of the last ``seconds`` of /infer requests, in one-second buckets."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds, self._clock = seconds, clock
        self._buckets: collections.deque = collections.deque()  # [second, total, errors]

    def record(self, error: bool) -> None:
        """Count one request outcome now."""
        now = int(self._clock())
        if not self._buckets or self._buckets[-1][0] != now:
            self._buckets.append([now, 0, 0])
            self._prune(now)
        bucket = self._buckets[-1]
        bucket[1] += 1
        bucket[2] += int(error)

    def _prune(self, now: int) -> None:
        while self._buckets and self._buckets[0][0] <= now - self.seconds:
            self._buckets.popleft()

    def counts(self) -> tuple[int, int]:
        """(requests, errors) in the window."""
        self._prune(int(self._clock()))
        buckets = list(self._buckets)
        return sum(b[1] for b in buckets), sum(b[2] for b in buckets)


def model_id_for(model: Any) -> str:
    """``model-<name>-<8 hex digits of the arrays' hash>``: changes when the model does."""
    digest = hashlib.sha1()
    for arrays in (model.A, model.B, model.C, model.D):
        for array in arrays:
            digest.update(array.tobytes())
    return f"model-{model.name.replace(':', '-')}-{digest.hexdigest()[:8]}"


def _level(percent: float, warning: float, critical: float) -> str:
    return "critical" if percent >= critical else "warning" if percent >= warning else "ok"


class LabService:
    """Model, agents, trainer, metrics and faults of one lab process.

    Builds the model at construction (an unknown model name raises UsageError); call
    :meth:`warm_up` (blocking, off the event loop) to become ready.
    """

    def __init__(self, config: LabConfig, *, clock: Callable[[], float] = time.time,
                 crash: Callable[[], None] | None = None) -> None:
        from aiops.inference import Agent, build_model

        self.config = config
        self._clock = clock
        self.started = clock()
        self._crash = crash or (lambda: os._exit(1))
        self.model, self.env = build_model(config.model, seed=config.seed)
        self.model_id = model_id_for(self.model)
        self.num_obs = list(self.model.num_obs)
        self._agent_args = dict(policy_len=1, gamma=16.0, action_selection="deterministic",
                                seed=config.seed)
        self.api_agent = Agent(self.model, **self._agent_args)
        self.metrics = LabMetrics(memory_limit=config.memory_limit or default_memory_limit(),
                                  disk_path=config.disk_path)
        self.metrics.model_info.info(info_labels(config.model, self.model_id))
        self.metrics.cpu_floor = self.cpu_floor
        self.faults = FaultSet(clock)
        self.faults.on_change(self._fault_changed)
        self.errors = ErrorWindow(config.error_window)
        self.executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="lab-infer")
        self._infrastructure(config)
        self.trainer = Trainer(Agent(self.model, **self._agent_args), self.env, self.model, self.faults,
                               observe=self._observe, on_episode=self._episode_done,
                               interval=config.train_interval, window=config.accuracy_window,
                               seed=config.seed)
        self.ready = False
        self.ready_at: float | None = None  # when warm-up finished: a startup crash counts from here
        self.load_error: str | None = None
        self.shipper: Any = None  # set by the server when logs are shipped
        self.tracing: Any = NO_TRACING  # set by the server when spans are exported
        self._leak: list[bytes] = []
        self._leaked_bytes = 0
        self._log_credit = 0.0
        for name, value in config.faults:
            self.faults.set(name, value)

    def _infrastructure(self, config: LabConfig) -> None:
        """Sessions, the inference cache and the episode store, exported by one collector."""
        from aiops.lab.cache import InferenceCache
        from aiops.lab.collectors import LabCollector
        from aiops.lab.resources import Cgroup
        from aiops.lab.sessions import SessionWindow
        from aiops.lab.store import StoreHandle

        self.sessions = SessionWindow(config.session_window)
        self.cache = InferenceCache(config.cache_entries)
        self.episodes = StoreHandle(config.store_path)  # opened at warm-up, off the start-up path
        self.store_error: str | None = None
        self.metrics.registry.register(LabCollector(sessions=self.sessions, cache=self.cache,
                                                    store=self.episodes, cgroup=Cgroup.discover()))

    # -- lifecycle ---------------------------------------------------------------------

    def warm_up(self) -> None:
        """Run a few inferences, start training, then report ready (blocking)."""
        try:
            obs = self.env.reset()
            for _ in range(max(1, self.config.warmup_steps)):
                self.api_agent.reset()
                self.api_agent.infer(obs)
            self.episodes.start()
            self.trainer.start()
        except Exception as exc:  # a model that cannot run: /health says why
            self.load_error = f"{type(exc).__name__}: {exc}"
            event(log_service, logging.CRITICAL, "Model warm-up failed", exc_info=exc)
            return
        self.ready = True
        self.ready_at = self._clock()
        event(log_service, logging.INFO, "Service ready", model=self.config.model)

    def shutdown(self) -> None:
        """Stop training and the inference worker."""
        self.trainer.stop()
        self.executor.shutdown(wait=False, cancel_futures=True)
        self._leak.clear()
        self.episodes.close()

    def tick(self, seconds: float) -> None:
        """Advance time-driven faults by ``seconds`` (memory growth, a scheduled crash)."""
        rate = self.faults.value("memory-leak")
        cap = self.config.leak_cap_mb * 1024 * 1024
        if rate and self._leaked_bytes < cap:
            size = int(min(rate * 1024 * 1024 * seconds, cap - self._leaked_bytes))
            if size > 0:
                self._leak.append(b"\xa5" * size)  # written, so resident (not lazily mapped)
                self._leaked_bytes += size
        self._noise(seconds)
        crash = next((f for f in self.faults.snapshot() if f.name == "crash"), None)
        # counted from when the fault was set or the service became ready, whichever is later: a
        # slow start (a loaded machine) never eats the delay that `--fault crash=N` promises
        if crash is not None and self.ready_at is not None \
                and self._clock() >= max(crash.since, self.ready_at) + (crash.value or 0.0):
            event(log_service, logging.CRITICAL, "Fatal error: process terminating", fault="crash")
            self._crash()

    def _noise(self, seconds: float) -> None:
        """Log noise at its rate; the self-clearing noise (cpu-burst, restart) ends on time."""
        rate = self.faults.value("log-noise")
        if rate:
            self._log_credit += rate * seconds
            while self._log_credit >= 1.0:
                self._log_credit -= 1.0
                event(log_cache, logging.WARNING, "Cache miss ratio high: recomputing beliefs",
                      fault="log-noise")
        now = self._clock()
        for name in SELF_CLEARING:
            fault = self.faults.get(name)
            if fault is not None and now >= fault.since + (fault.value or 0.0):
                self.faults.clear(name)
                if name == "restart":
                    event(log_service, logging.INFO, "Service started after restart")

    def restarting(self) -> bool:
        """Under the restart fault every endpoint answers 503, as while a process comes up."""
        return self.faults.active("restart")

    def cpu_floor(self) -> float:
        """The CPU share the cpu-burst fault reports (0 when it is not active)."""
        return CPU_BURST_PERCENT if self.faults.active("cpu-burst") else 0.0

    def _fault_changed(self, name: str, fault: ActiveFault | None) -> None:
        if fault is None:
            event(log_faults, logging.WARNING, f"Fault cleared: {name}", fault=name)
            if name == "memory-leak":
                self._leak.clear()
                self._leaked_bytes = 0
        else:
            event(log_faults, logging.WARNING, f"Fault injected: {format_fault(name, fault.value)}",
                  fault=name, value=fault.value)
            if name == "restart":
                event(log_service, logging.INFO, "Service restarting", fault=name)

    # -- inference -----------------------------------------------------------------------

    def check_observation(self, payload: Any) -> list[int]:
        """The observation in a decoded /infer body; ObservationError(422) when unusable."""
        if not isinstance(payload, dict):
            raise ObservationError(400, "body must be a JSON object like {\"observation\": [0, 0, 0]}")
        obs = payload.get("observation")
        if obs is None:
            raise ObservationError(422, "missing field 'observation'")
        if not isinstance(obs, list) or any(isinstance(o, bool) or not isinstance(o, int) for o in obs):
            raise ObservationError(422, "'observation' must be a list of integers (one outcome per modality)")
        if len(obs) != len(self.num_obs):
            raise ObservationError(422, f"'observation' has {len(obs)} value(s); the model has "
                                        f"{len(self.num_obs)} modalities {self.num_obs}")
        bad = [i for i, (o, n) in enumerate(zip(obs, self.num_obs)) if not 0 <= o < n]
        if bad:
            i = bad[0]
            raise ObservationError(422, f"observation[{i}] = {obs[i]} is outside 0..{self.num_obs[i] - 1}")
        return obs

    async def _api_step(self, obs: list[int], delay: float) -> Any:
        """One step of the API agent in the worker thread, phase by phase (see :mod:`aiops.lab.phases`).

        The slow-inference fault slows policy evaluation: the step is split around the delay,
        which is awaited on the event loop so that other requests keep being served.
        """
        loop = asyncio.get_running_loop()
        if not delay:
            return await loop.run_in_executor(self.executor, self._whole_step, obs)
        phases = await loop.run_in_executor(self.executor, perceive, self.api_agent, obs)
        phases.policy_start = time.time_ns()
        await asyncio.sleep(delay)
        return await loop.run_in_executor(self.executor, plan, self.api_agent, phases, self.cache, tuple(obs))

    def _whole_step(self, obs: list[int]) -> Phases:
        return plan(self.api_agent, perceive(self.api_agent, obs), self.cache, tuple(obs))

    def _entropy(self, raw: float) -> float:
        return raw + (self.faults.value("entropy-spike") or 0.0)

    def _observe(self, seconds: float, result: Any) -> None:
        self.metrics.observe_inference(seconds, self._entropy(result.entropy), result.free_energy)

    def _episode_done(self, stats: Any) -> None:
        m = self.metrics
        m.episodes.inc()
        m.accuracy.set(stats.accuracy)
        m.training_loss.set(stats.loss)
        m.sample_efficiency.set(stats.sample_efficiency)
        m.convergence_time.set(stats.convergence_time)
        correct, loss, steps, seconds = self.trainer.last_result  # seconds: to converge
        try:
            store = self.episodes.wait()
            if store is None:
                raise RuntimeError(self.episodes.error or "the episode store did not open")
            store.record(correct=bool(correct), loss=loss, steps_to_converge=steps, seconds_to_converge=seconds)
            self.store_error = None
        except Exception as exc:  # a full disk must not stop training: /health reports it
            if self.store_error is None:
                event(log_service, logging.ERROR, "Episode store write failed", exc_info=exc)
            self.store_error = f"{type(exc).__name__}: {exc}"

    async def infer(self, obs: list[int], *, correlation_id: str, user_id: str) -> dict[str, Any]:
        """One perception-action step from the model's prior for ``obs``.

        Runs in the inference worker thread so the event loop stays responsive. Raises
        :class:`InferenceFailed` when the error-rate fault picks this request.
        """
        start = time.perf_counter()
        stats = self.trainer.stats
        progress = dict(episode=stats.episodes, step=stats.steps,
                        accuracy=None if stats.accuracy != stats.accuracy else round(stats.accuracy, 4))
        if self.faults.should_fail():
            event(log_api, logging.ERROR, "Inference failed: model backend error",
                  correlation_id=correlation_id, user_id=user_id,
                  duration_ms=(time.perf_counter() - start) * 1000, **progress, path="/infer", status=500)
            failure = InferenceFailed("model backend error")
            self.tracing.failed(failure)
            raise failure
        self.metrics.request_queue.inc()  # the capacity rule's "request queue"
        try:
            phases = await self._api_step(obs, self.faults.value("slow-inference") or 0.0)
        finally:
            self.metrics.request_queue.dec()
        result = phases.result
        seconds = time.perf_counter() - start
        self.tracing.inference(phases, model=self.config.model)
        self._observe(seconds, result)
        event(log_core, logging.INFO, "Inference completed successfully", correlation_id=correlation_id,
              user_id=user_id, duration_ms=seconds * 1000, **progress, path="/infer", status=200,
              action=list(result.action))
        body = result.to_dict()
        body["entropy"] = self._entropy(result.entropy)
        return {"correlation_id": correlation_id, "model_id": self.model_id,
                "duration_ms": round(seconds * 1000, 3), **body}

    # -- probes --------------------------------------------------------------------------

    def readiness(self) -> tuple[int, dict[str, Any]]:
        """(HTTP status, body) for /ready: 200 once warmed up, 503 otherwise or under not-ready."""
        if self.faults.active("not-ready"):
            return 503, {"status": "not ready", "reason": "not accepting traffic"}
        if self.load_error:
            return 503, {"status": "not ready", "reason": f"model failed to load: {self.load_error}"}
        if not self.ready:
            return 503, {"status": "not ready", "reason": "model warming up"}
        return 200, {"status": "ready", "model_id": self.model_id}

    def health(self) -> tuple[int, dict[str, Any]]:
        """The runbook's /health body; HTTP 503 when the status is ``unhealthy``."""
        system = self.metrics.system()
        mem_pct = 100.0 * system["rss_bytes"] / max(1, system["memory_limit_bytes"])
        requests, errors = self.errors.counts()
        ratio = errors / requests if requests else 0.0
        deps, problems = self._dependencies()
        checks = {
            "memory": _level(mem_pct, 80.0, 90.0),
            "disk": _level(system["disk_percent"], 85.0, 95.0),
            "dependencies": deps,
            "errors": _level(100.0 * ratio, 1.0, 5.0) if requests >= MIN_ERROR_SAMPLE else "ok",
        }
        values = set(checks.values())
        status = ("unhealthy" if values & {"critical", "failing"} else
                  "degraded" if values - {"ok"} else "healthy")
        body = {
            "status": status, "timestamp": iso_utc(self._clock()), "version": __version__,
            "checks": checks,
            "details": {
                "uptime_seconds": round(self._clock() - self.started, 1), "model": self.config.model,
                "model_id": self.model_id,
                "memory": {"rss_bytes": system["rss_bytes"], "limit_bytes": system["memory_limit_bytes"],
                           "percent": round(mem_pct, 2)},
                "disk": {"path": os.path.abspath(self.config.disk_path),
                         "percent": system["disk_percent"]},
                "errors": {"window_seconds": self.config.error_window, "requests": requests,
                           "errors": errors, "ratio": round(ratio, 4)},
                "dependencies": problems,
                "training": self.trainer.stats.to_dict(),
                "episode_store": self._store_summary(),
                "log_shipping": self.shipper.status() if self.shipper is not None else None,
            },
        }
        return (503 if status == "unhealthy" else 200), body

    def _store_summary(self) -> dict[str, Any]:
        try:
            store = self.episodes.current
            if store is None:
                return {"path": None, "episodes": None, "error": self.episodes.error}
            return {"path": store.path, **store.summary(), "error": self.store_error}
        except Exception as exc:  # reported, not raised: /health must answer
            return {"path": None, "episodes": None, "error": f"{type(exc).__name__}: {exc}"}

    def _dependencies(self) -> tuple[str, list[str]]:
        problems = []
        if self.load_error:
            problems.append(f"model: {self.load_error}")
        elif not self.ready:
            problems.append("model: warming up")
        if self.trainer.error:
            problems.append(f"trainer: {self.trainer.error}")
        if self.store_error:
            problems.append(f"episode store: {self.store_error}")
        if self.shipper is not None and self.shipper.last_error:
            problems.append(f"log store: {self.shipper.last_error}")
        if not problems:
            return "ok", []
        hard = self.load_error or self.trainer.error
        return ("failing" if hard else "degraded"), problems
