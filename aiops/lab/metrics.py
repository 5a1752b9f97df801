"""The lab's Prometheus metrics: every runbook metric under its exact name and type.

Two runbook counters have names without the ``_total`` suffix that prometheus_client's
Counter always adds, and the runbook's TrainingStalled alert queries one of them by its
bare name (``increase(ai_episodes_completed[1h])``). They are rendered here in the
Prometheus text format (``# TYPE ai_episodes_completed counter`` /
``ai_episodes_completed 42``), which Prometheus stores under exactly that name.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any, Callable

INFERENCE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class BareCounter:
    """A thread-safe counter exposed under its exact name, optionally with labels."""

    def __init__(self, name: str, documentation: str, labelnames: tuple[str, ...] = ()) -> None:
        self.name, self.documentation, self.labelnames = name, documentation, tuple(labelnames)
        self._values: dict[tuple[str, ...], float] = {}
        self._lock = threading.Lock()
        if not labelnames:
            self._values[()] = 0.0

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        """Add ``amount`` (>= 0) to the series with these label values."""
        if amount < 0:
            raise ValueError("counters only go up")
        key = tuple(str(labels[n]) for n in self.labelnames)
        with self._lock:
            self._values[key] = self._values.get(key, 0.0) + amount

    def value(self, **labels: str) -> float:
        """The current value of the series with these label values (0 when never touched)."""
        return self._values.get(tuple(str(labels[n]) for n in self.labelnames), 0.0)

    def render(self) -> str:
        """HELP, TYPE and one sample line per series, in the Prometheus text format."""
        from prometheus_client.utils import floatToGoString

        doc = self.documentation.replace("\\", r"\\").replace("\n", r"\n")
        lines = [f"# HELP {self.name} {doc}\n", f"# TYPE {self.name} counter\n"]
        with self._lock:
            items = sorted(self._values.items())
        for key, value in items:
            labels = ",".join(f'{n}="{_escape(v)}"' for n, v in zip(self.labelnames, key))
            lines.append(f"{self.name}{{{labels}}} {floatToGoString(value)}\n" if labels
                         else f"{self.name} {floatToGoString(value)}\n")
        return "".join(lines)


def _escape(value: str) -> str:
    return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


CPU_SAMPLE_SECONDS = 1.0  # CPU % over less than this is dominated by clock-tick rounding


class LabMetrics:
    """The registry and every metric the lab exports; ``render()`` is the /metrics body.

    ``memory_limit`` (bytes) is what ``memory_usage_bytes`` is judged against;
    ``disk_path`` is the file system ``disk_usage_percent`` measures.
    """

    def __init__(self, *, memory_limit: int, disk_path: str = ".") -> None:
        import psutil
        from prometheus_client import (CollectorRegistry, Counter, Gauge, GCCollector, Histogram,
                                       Info, PlatformCollector, ProcessCollector)

        r = self.registry = CollectorRegistry(auto_describe=True)
        self.inference_duration = Histogram("ai_inference_duration_seconds", "Time taken for inference",
                                            buckets=INFERENCE_BUCKETS, registry=r)
        nan = float("nan")
        gauges = {
            "accuracy": ("ai_model_accuracy", "Model prediction accuracy"),
            "entropy": ("ai_belief_entropy", "Agent belief uncertainty (nats)"),
            "free_energy": ("ai_free_energy", "Free energy computation (nats)"),
            "training_loss": ("ai_training_loss", "Model training loss"),
            "convergence_time": ("ai_convergence_time", "Time to convergence (seconds)"),
            "sample_efficiency": ("ai_sample_efficiency", "Samples needed for learning"),
        }
        for attr, (name, doc) in gauges.items():
            gauge = Gauge(name, doc, registry=r)
            gauge.set(nan)  # NaN until measured: no alert fires on a value nobody measured
            setattr(self, attr, gauge)
        self.cpu = Gauge("cpu_usage_percent", "CPU utilization of the service (% of all cores)",
                         registry=r)
        self.memory = Gauge("memory_usage_bytes", "Memory consumption (resident set size)", registry=r)
        self.memory_limit = Gauge("memory_limit_bytes", "Memory limit the memory check uses", registry=r)
        self.disk = Gauge("disk_usage_percent", "Disk space usage", registry=r)
        self.request_queue = Gauge("request_queue_length",
                                   "Inference requests accepted and not yet answered", registry=r)
        self.http_requests = Counter("http_requests", "HTTP requests by method, path and status",
                                     ["method", "path", "status"], registry=r)
        self.model_info = Info("ai_model", "The model the service runs", registry=r)
        self.episodes = BareCounter("ai_episodes_completed", "Training episodes")
        self.network = BareCounter("network_io_bytes", "Network traffic (HTTP bytes)", ("direction",))
        for direction in ("received", "sent"):
            self.network.inc(0, direction=direction)
        for status in ("200", "500"):  # present from the start, so rate() sees the first errors
            self.http_requests.labels("POST", "/infer", status)
        ProcessCollector(registry=r)
        PlatformCollector(registry=r)
        GCCollector(registry=r)
        self.memory_limit.set(memory_limit)
        self.limit_bytes = memory_limit
        self.disk_path = disk_path
        self._process = psutil.Process()
        self._process.cpu_percent(None)  # the first call only primes the counter
        self._cpus = psutil.cpu_count() or 1
        self._cpu_value, self._cpu_at = 0.0, time.monotonic()
        self.cpu_floor: Callable[[], float] = lambda: 0.0  # the cpu-burst noise fault raises it
        self._lock = threading.Lock()

    def observe_inference(self, seconds: float, entropy: float, free_energy: float) -> None:
        """One inference (API or training): its duration and the agent's belief summary."""
        self.inference_duration.observe(seconds)
        self.entropy.set(entropy)
        self.free_energy.set(free_energy)

    def system(self) -> dict[str, float]:
        """Measure CPU, memory and disk now; update the gauges and return the values."""
        import psutil

        with self._lock:
            now = time.monotonic()
            if now - self._cpu_at >= CPU_SAMPLE_SECONDS:  # shorter intervals are tick noise
                self._cpu_value = min(100.0, self._process.cpu_percent(None) / self._cpus)
                self._cpu_at = now
            cpu = max(self._cpu_value, self.cpu_floor())
            rss = self._process.memory_info().rss
            disk = psutil.disk_usage(self.disk_path).percent
        self.cpu.set(cpu)
        self.memory.set(rss)
        self.disk.set(disk)
        return {"cpu_percent": cpu, "rss_bytes": rss, "disk_percent": disk,
                "memory_limit_bytes": self.limit_bytes}

    def render(self) -> bytes:
        """The Prometheus text exposition of everything."""
        from prometheus_client import generate_latest

        self.system()
        return generate_latest(self.registry) + (self.episodes.render() + self.network.render()).encode()


def default_memory_limit() -> int:
    """The cgroup memory limit when one is set, else the machine's physical memory."""
    import psutil

    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(path) as fh:
                raw = fh.read().strip()
        except OSError:
            continue
        if raw.isdigit() and int(raw) < (1 << 60):
            return int(raw)
    return int(psutil.virtual_memory().total)


def info_labels(model: str, model_id: str) -> dict[str, Any]:
    """The labels of ``ai_model_info``."""
    return {"model": model, "model_id": model_id, "pid": str(os.getpid())}
