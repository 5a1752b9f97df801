"""OpenTelemetry tracing for the lab: a server span per request, a span per inference phase.

    POST /infer                      server span (OpenTelemetry's ASGI middleware); W3C
    |                                traceparent continued, correlation_id attribute
    `- inference                     ai.model, ai.model_id, ai.policy_count, ai.iterations,
       |- state inference            ai.free_energy, ai.entropy, ai.action
       |- policy evaluation
       `- action selection

Spans go to OTLP/HTTP (``--otlp-endpoint`` or the standard ``OTEL_EXPORTER_OTLP_*``
variables) and/or to OTLP JSON lines in a file (``--trace-file``), through batch processors
that :meth:`LabTracing.shutdown` flushes when the lab stops. With tracing off the service
holds :data:`NO_TRACING`, whose hooks do nothing, and opentelemetry is never imported.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Mapping

from aiops.core.errors import UsageError

SERVICE_NAME = "active-inference-sim-lab"
UNTRACED = "/metrics,/live,/ready"  # probe and scrape traffic: many requests, nothing to explain
QUEUE = 65536  # spans held for export; a full queue drops, so it is sized for bursts
OTLP_ENV = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")


@dataclass
class TracingOptions:
    """What ``aiops lab serve`` was asked to export; ``environ`` supplies the OTEL_* variables."""

    otlp_endpoint: str | None = None
    trace_file: str | None = None
    sample: float | None = None  # None: the SDK's default (OTEL_TRACES_SAMPLER, else always on)
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)

    @property
    def otlp(self) -> bool:
        return bool(self.otlp_endpoint or any(self.environ.get(v) for v in OTLP_ENV))

    @property
    def wanted(self) -> bool:
        return self.otlp or bool(self.trace_file)


def traces_url(endpoint: str) -> str:
    """A collector base URL (``http://host:4318``) or a full traces URL, as the traces URL."""
    from aiops.core.http import normalise_url

    url = normalise_url(endpoint)
    return url if url.endswith("/v1/traces") else url + "/v1/traces"


def check_trace_file(path: str) -> None:
    """UsageError unless spans can be appended to ``path`` (created when missing, as the lab would)."""
    try:
        with open(os.path.expanduser(path), "a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise UsageError(f"cannot write the trace file {path}: {exc.strerror or exc}") from None


class NoTracing:
    """Tracing off: every hook is a no-op."""

    enabled = False

    def middleware(self) -> list[Any]:
        return []

    def annotate(self, correlation_id: str) -> None:
        """Put the request's correlation ID on its server span."""

    def inference(self, phases: Any, *, model: str, model_id: str) -> None:
        """Record one step's phases (:class:`aiops.lab.phases.Phases`) as spans."""

    def failed(self, error: BaseException) -> None:
        """Record a failed inference on the request's trace."""

    def flush(self, timeout_s: float = 2.0) -> None:
        """Export what is queued (the crash fault calls this before dying)."""

    def shutdown(self) -> None:
        """Flush and stop the exporters."""


NO_TRACING = NoTracing()


class LabTracing(NoTracing):
    """The OpenTelemetry SDK set up for one lab process (see the module docstring)."""

    enabled = True

    def __init__(self, options: TracingOptions, *, instance: str, model_id: str | None = None) -> None:
        from opentelemetry import trace
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

        from aiops import __version__

        self._trace = trace
        attributes = {"service.name": options.environ.get("OTEL_SERVICE_NAME") or SERVICE_NAME,
                      "service.version": __version__, "service.instance.id": instance}
        if model_id:
            attributes["ai.model_id"] = model_id
        sampler = None if options.sample is None else ParentBased(TraceIdRatioBased(options.sample))
        self.provider = TracerProvider(resource=Resource.create(attributes), sampler=sampler)
        for exporter in _exporters(options):
            self.provider.add_span_processor(_batch(exporter, options.environ))
        self.tracer = self.provider.get_tracer("aiops.lab")

    def middleware(self) -> list[Any]:
        from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
        from starlette.middleware import Middleware

        return [Middleware(OpenTelemetryMiddleware, tracer_provider=self.provider, excluded_urls=UNTRACED,
                           exclude_spans=["receive", "send"])]

    def annotate(self, correlation_id: str) -> None:
        span = self._trace.get_current_span()
        if span.is_recording():
            span.set_attribute("correlation_id", correlation_id)

    def inference(self, phases: Any, *, model: str, model_id: str) -> None:
        if not self._trace.get_current_span().is_recording():
            return  # not sampled: no phase spans either
        result = phases.result
        attributes = {"ai.model": model, "ai.model_id": model_id, "ai.policy_count": phases.policies,
                      "ai.iterations": int(phases.iterations), "ai.free_energy": float(phases.free_energy),
                      "ai.entropy": float(phases.entropy), "ai.action": [int(a) for a in result.action]}
        step = self.tracer.start_span("inference", start_time=phases.start, attributes=attributes)
        inside = self._trace.set_span_in_context(step)
        detail = {"state inference": {"ai.iterations": attributes["ai.iterations"],
                                      "ai.free_energy": attributes["ai.free_energy"],
                                      "ai.learning": phases.learns},
                  "policy evaluation": {"ai.policy_count": phases.policies},
                  "action selection": {"ai.action": attributes["ai.action"]}}
        if phases.policy_start:
            detail["policy evaluation"].update({"lab.fault": "slow-inference",
                                                "lab.fault_delay_ms": (phases.policy_end - phases.policy_start) / 1e6})
        for name, start, end in phases.timeline():
            self.tracer.start_span(name, context=inside, start_time=start, attributes=detail[name]).end(end_time=end)
        step.end(end_time=phases.action_end)

    def failed(self, error: BaseException) -> None:
        from opentelemetry.trace import Status, StatusCode

        if not self._trace.get_current_span().is_recording():
            return
        span = self.tracer.start_span("inference")
        span.record_exception(error)
        span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error}"))
        span.end()

    def ids(self) -> tuple[str | None, str | None]:
        """(trace_id, span_id) of the current span when it is sampled: for every log record."""
        context = self._trace.get_current_span().get_span_context()
        if not context.trace_flags.sampled:
            return None, None
        return format(context.trace_id, "032x"), format(context.span_id, "016x")

    def flush(self, timeout_s: float = 2.0) -> None:
        self.provider.force_flush(int(timeout_s * 1000))

    def shutdown(self) -> None:
        self.provider.shutdown()


def start(options: TracingOptions | None, *, instance: str, model_id: str | None = None) -> NoTracing:
    """LabTracing when anything is to be exported, else :data:`NO_TRACING`; UsageError when an
    exporter cannot be set up (a trace file that cannot be opened, a bad endpoint URL)."""
    if options is None or not options.wanted:
        return NO_TRACING
    return LabTracing(options, instance=instance, model_id=model_id)


def _exporters(options: TracingOptions) -> list[Any]:
    exporters = []
    if options.otlp:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        kwargs: dict[str, Any] = {}
        if options.otlp_endpoint:
            kwargs["endpoint"] = traces_url(options.otlp_endpoint)
        if not options.environ.get("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT") \
                and not options.environ.get("OTEL_EXPORTER_OTLP_TIMEOUT"):
            kwargs["timeout"] = 5.0  # a dead collector must not hold the shutdown for long
        exporters.append(OTLPSpanExporter(**kwargs))
    if options.trace_file:
        from opentelemetry.exporter.otlp.json.file import FileSpanExporter

        try:
            exporters.append(FileSpanExporter(os.path.expanduser(options.trace_file)))
        except OSError as exc:
            raise UsageError(f"cannot write the trace file {options.trace_file}: "
                             f"{exc.strerror or exc}") from None
    return exporters


def _batch(exporter: Any, environ: Mapping[str, str]) -> Any:
    """A batch processor; the OTEL_BSP_* variables win over these defaults."""
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    kwargs: dict[str, Any] = {}
    if not environ.get("OTEL_BSP_MAX_QUEUE_SIZE"):
        kwargs["max_queue_size"] = QUEUE
    if not environ.get("OTEL_BSP_SCHEDULE_DELAY"):
        kwargs["schedule_delay_millis"] = 500  # `aiops trace show` finds a request half a second later
    return BatchSpanProcessor(exporter, **kwargs)
