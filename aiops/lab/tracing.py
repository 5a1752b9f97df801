"""OpenTelemetry tracing for the lab: a server span per request, a span per inference phase.

    POST /infer                 server span (:class:`ServerSpans`): W3C traceparent continued;
    |                           http.*, correlation_id, and for /infer ai.model, ai.policy_count,
    |                           ai.iterations, ai.free_energy, ai.entropy, ai.action
    |- state inference          (ai.learning when the agent learned here)
    |- policy evaluation        (lab.fault when the slow-inference fault slowed it)
    `- action selection

Spans go to OTLP/HTTP (``--otlp-endpoint`` or the standard ``OTEL_EXPORTER_OTLP_*``
variables) and/or to OTLP JSON lines in a file (``--trace-file``), through the SDK's batch
processor and a process of their own that encodes and sends them
(:mod:`aiops.lab.spanexport`), flushed by :meth:`LabTracing.shutdown` when the lab stops. The
inference's attributes and phase spans are made there too, from the timings the request
attached to its server span. What
is the same for every span of the process (service, version, instance, ``ai.model_id``) is on
the resource, encoded once per export. With tracing off the service holds :data:`NO_TRACING`,
whose hooks do nothing, and opentelemetry is never imported.
"""

from __future__ import annotations

import contextvars
import os
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from aiops.core.errors import UsageError

SERVICE_NAME = "active-inference-sim-lab"
UNTRACED = "/metrics,/live,/ready"  # probe and scrape traffic: many requests, nothing to explain
QUEUE = 65536  # spans held for export; a full queue drops, so it is sized for bursts
# Spans per export, as the batch processor counts them: a request's server span, its phase spans
# travelling with it (LabTracing._phases). A batch is encoded and sent by the export process
# (aiops.lab.spanexport), so the lab's share is flattening it for the pipe. Small batches keep
# each of those short and a trace in the file or the collector soon after its request; the SDK's
# default of 512 would hold several seconds of spans at the lab's usual rates.
BATCH = 64
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

    def inference(self, phases: Any, *, model: str) -> None:
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
        resource = Resource.create(attributes)
        self.provider = TracerProvider(resource=resource, sampler=sampler)
        self.exporter = _exporter(options, resource)
        self.provider.add_span_processor(_batch(self.exporter, options.environ))
        self.tracer = self.provider.get_tracer("aiops.lab")

    def middleware(self) -> list[Any]:
        from starlette.middleware import Middleware

        return [Middleware(ServerSpans, tracer=self.tracer)]

    def annotate(self, correlation_id: str) -> None:
        span = self._trace.get_current_span()
        if span.is_recording():
            span.set_attribute("correlation_id", correlation_id)

    def inference(self, phases: Any, *, model: str) -> None:
        """Within a request, the spans are made once its answer has been sent
        (:class:`ServerSpans` calls them): the client does not wait for its trace."""
        after = _AFTER_RESPONSE.get()
        if after is None:
            self._phases(phases, model)
        else:
            after.append(lambda: self._phases(phases, model))

    def _phases(self, phases: Any, model: str) -> None:
        server = self._trace.get_current_span()
        context = server.get_span_context()
        if not server.is_recording() or not context.trace_flags.sampled:
            return  # not exported: no phase spans either
        attributes = {"ai.model": model, "ai.policy_count": int(phases.policies), "ai.iterations": int(phases.iterations),
                      "ai.free_energy": float(phases.free_energy), "ai.entropy": float(phases.entropy),
                      "ai.action": tuple(int(a) for a in phases.result.action)}
        # The phases carry no attributes of their own (the request's are on the server span):
        # their story is their timing.
        detail: dict[str, Any] = {"state inference": {"ai.learning": True} if phases.learns else None,
                                  "policy evaluation": {"ai.cache_hit": True} if phases.policy_cached else None,
                                  "action selection": None}
        if phases.policy_start:
            detail["policy evaluation"] = {**(detail["policy evaluation"] or {}), "lab.fault": "slow-inference",
                                           "lab.fault_delay_ms": (phases.policy_end - phases.policy_start) / 1e6}
        # Attached as plain data, made into the server span's attributes and its child spans by the
        # export process (aiops.lab.spanexport): three SDK spans made here cost more than all the
        # rest of the request's tracing.
        self.exporter.attach(context.span_id, attributes,
                             [(name, start, end, detail[name]) for name, start, end in phases.timeline()])

    def failed(self, error: BaseException) -> None:
        from opentelemetry.trace import Status, StatusCode

        server = self._trace.get_current_span()
        if server.is_recording():
            server.record_exception(error)
            server.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error}"))

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


class ServerSpans:
    """ASGI middleware: one SERVER span per HTTP request, continuing the caller's W3C traceparent.

    OpenTelemetry's own ASGI middleware does this too, but collects some twenty attributes in
    both semantic-convention generations and updates metric instruments on every request:
    measured here it cost the lab about twice the CPU of these few lines, against a budget of
    10 % of /infer's p95 (benchmarks/bench_tracing.py). Attributes follow the stable HTTP
    semantic conventions: http.request.method, url.path, http.route, http.response.status_code.
    What the request's inference adds to its trace (attributes, phase spans) is recorded once
    the answer has been sent, before the server span ends.
    """

    def __init__(self, app: Any, tracer: Any) -> None:
        from opentelemetry import context, propagate, trace
        from opentelemetry.trace import SpanKind, Status, StatusCode

        self.app, self.tracer = app, tracer
        self._context, self._propagate, self._trace = context, propagate, trace
        self._server, self._error, self._status = SpanKind.SERVER, StatusCode.ERROR, Status
        self._untraced = set(UNTRACED.split(","))

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] in self._untraced:
            await self.app(scope, receive, send)
            return
        carrier = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]
                   if k in (b"traceparent", b"tracestate")}
        parent = self._propagate.extract(carrier) if carrier else None
        method, path = scope["method"], scope["path"]
        route = path if path in _ROUTES else "/admin/faults/{name}" if path.startswith("/admin/faults/") else None
        attributes = {"http.request.method": method, "url.path": path}
        if route:
            attributes["http.route"] = route
        span = self.tracer.start_span(f"{method} {route}" if route else method, context=parent,
                                      kind=self._server, attributes=attributes)
        token = self._context.attach(self._trace.set_span_in_context(span))
        after: list[Callable[[], None]] = []
        deferred = _AFTER_RESPONSE.set(after)
        status = 500

        async def traced_send(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, traced_send)
        except BaseException as exc:
            span.record_exception(exc)
            raise
        finally:
            _AFTER_RESPONSE.reset(deferred)
            for record in after:  # the answer is on its way: now the rest of the trace
                record()
            span.set_attribute("http.response.status_code", status)
            if status >= 500:
                span.set_status(self._status(self._error, f"HTTP {status}"))
            span.end()
            self._context.detach(token)


# Work on a request's trace that can wait until its answer is sent (LabTracing.inference).
_AFTER_RESPONSE: contextvars.ContextVar[list[Callable[[], None]] | None] = \
    contextvars.ContextVar("aiops_lab_after_response", default=None)
_ROUTES = {"/", "/health", "/ready", "/live", "/metrics", "/infer", "/admin/faults"}


def start(options: TracingOptions | None, *, instance: str, model_id: str | None = None) -> NoTracing:
    """LabTracing when anything is to be exported, else :data:`NO_TRACING`; UsageError when an
    exporter cannot be set up (a trace file that cannot be opened, a bad endpoint URL)."""
    if options is None or not options.wanted:
        return NO_TRACING
    return LabTracing(options, instance=instance, model_id=model_id)


def _exporter(options: TracingOptions, resource: Any) -> Any:
    """The export process's pipe (:mod:`aiops.lab.spanexport`), set up with the exporters asked for;
    UsageError when the trace file cannot be written."""
    from aiops.lab.spanexport import ExportError, PipeExporter

    otlp: dict[str, Any] | None = None
    if options.otlp:
        otlp = {}
        if options.otlp_endpoint:
            otlp["endpoint"] = traces_url(options.otlp_endpoint)
        if not options.environ.get("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT") \
                and not options.environ.get("OTEL_EXPORTER_OTLP_TIMEOUT"):
            otlp["timeout"] = 5.0  # a dead collector must not hold the shutdown for long
    trace_file = None
    if options.trace_file:
        check_trace_file(options.trace_file)
        trace_file = os.path.expanduser(options.trace_file)
    setup = {"resource": dict(resource.attributes), "schema_url": resource.schema_url, "otlp": otlp,
             "trace_file": trace_file}
    try:  # what is attached waits at most as long as a span can wait in the batch processor's queue
        return PipeExporter(setup, env=dict(options.environ), held=_queue_size(options.environ))
    except ExportError as exc:
        raise UsageError(f"cannot export spans: {exc}") from None


def _queue_size(environ: Mapping[str, str]) -> int:
    """The batch processor's queue size: OTEL_BSP_MAX_QUEUE_SIZE when it is a positive integer
    (as the SDK reads it), else :data:`QUEUE`."""
    try:
        size = int(environ.get("OTEL_BSP_MAX_QUEUE_SIZE") or QUEUE)
    except ValueError:
        return QUEUE
    return size if size > 0 else QUEUE


def _batch(exporter: Any, environ: Mapping[str, str]) -> Any:
    """A batch processor; the OTEL_BSP_* variables win over these defaults."""
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    kwargs: dict[str, Any] = {}
    if not environ.get("OTEL_BSP_MAX_QUEUE_SIZE"):
        kwargs["max_queue_size"] = QUEUE
    if not environ.get("OTEL_BSP_SCHEDULE_DELAY"):
        kwargs["schedule_delay_millis"] = 500  # `aiops trace show` finds a request half a second later
    if not environ.get("OTEL_BSP_MAX_EXPORT_BATCH_SIZE"):
        kwargs["max_export_batch_size"] = BATCH
    return BatchSpanProcessor(exporter, **kwargs)
