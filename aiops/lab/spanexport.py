"""Span export in a process of its own, so that encoding spans never holds the lab's interpreter.

The OTLP exporters encode every span in Python. Run in the lab's process, the export thread
held the GIL for a few milliseconds a batch while the event loop and the inference worker
waited: at 200 requests/s that added milliseconds to /infer's p95 (benchmarks/bench_tracing.py).
So the lab keeps the SDK's :class:`BatchSpanProcessor` (its queue, batch size, timer, the
``OTEL_BSP_*`` variables, flush and shutdown) and gives it :class:`PipeExporter`, which writes
each batch, flattened to builtin types and ``marshal``-ed, to a child process
(``python -m aiops.lab.spanexport``). The child turns each batch back into SDK spans and hands it,
unchanged, to the real exporters (OTLP/HTTP, OTLP JSON file): one export per batch, as in process.

What a request adds to its server span once it has been answered (the inference's attributes
and phase spans) is the lab's most frequent tracing work, and making an SDK span costs tens of
microseconds. So the lab attaches it to the server span as plain data (:meth:`PipeExporter.attach`),
and the child makes the attributes and the child spans with the SDK (:func:`rebuild`) before they
are exported: the same spans, IDs from the SDK's generator, at a fraction of the lab's CPU.

The pipe carries frames: a 4-byte big-endian length, then a marshal-ed batch (a list of span
tuples, see :func:`flatten`), or an empty frame asking the child to flush and answer ``F``. The
child ends when the pipe closes (the lab exited, however it exited), after exporting what it
received; it ignores SIGINT and SIGTERM, which reach it with the lab's process group, so that
the lab's last spans still go out.
"""

from __future__ import annotations

import json
import marshal
import os
import select
import struct
import subprocess
import sys
import threading
import time
from typing import Any, Sequence

from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

FRAME = struct.Struct(">I")
READY, FLUSHED = b"R", b"F"
START_TIMEOUT = 30.0  # seconds for the child to import the SDK and set up its exporters
SEND_TIMEOUT = 30.0  # seconds a batch may wait for the child to read (its exporters retry for 5 s)


def flatten(span: Any, extra: tuple | None = None) -> tuple:
    """A finished SDK span (``ReadableSpan``) as builtin types only, for ``marshal``, with what
    :meth:`PipeExporter.attach` attached to it (``extra``)."""
    context, parent, status, scope = span.context, span.parent, span.status, span.instrumentation_scope
    return (span.name, context.trace_id, context.span_id, int(context.trace_flags), tuple(context.trace_state.items()),
            None if parent is None else (parent.span_id, parent.is_remote),
            span.kind.value, span.start_time, span.end_time, dict(span.attributes or {}),
            status.status_code.value, status.description,
            [(e.name, e.timestamp, dict(e.attributes or {})) for e in span.events],
            [(link.context.trace_id, link.context.span_id, int(link.context.trace_flags), dict(link.attributes or {}))
             for link in span.links],
            (scope.name, scope.version, scope.schema_url) if scope else None, extra)


def rebuild(items: Sequence[tuple], resource: Any, ids: Any = None, limits: Any = None) -> list[Any]:
    """The SDK spans :func:`flatten` was given, on ``resource``; a span's attached extra adds its
    attributes to it and its children after it (span IDs from ``ids``, an SDK ``IdGenerator``),
    within the span limits (``limits``, default the ``OTEL_*_LIMIT`` variables) as the SDK applies them."""
    from opentelemetry.attributes import BoundedAttributes
    from opentelemetry.sdk.trace import Event, ReadableSpan, SpanLimits
    from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
    from opentelemetry.sdk.util.instrumentation import InstrumentationScope
    from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode, TraceFlags, TraceState

    ids = ids or RandomIdGenerator()
    limits = limits or SpanLimits()

    def bounded(attributes: dict[str, Any] | None, more: dict[str, Any] | None = None) -> Any:
        merged = {**(attributes or {}), **(more or {})}
        if limits.max_span_attribute_length is None and len(merged) <= limits.max_span_attributes:
            return merged  # within the limits: attached values are already what span attributes may be
        out = BoundedAttributes(limits.max_span_attributes, attributes, immutable=False,
                                max_value_len=limits.max_span_attribute_length)
        for key, value in (more or {}).items():  # as Span.set_attributes adds them
            out[key] = value
        return out

    kinds, codes, scopes = {k.value: k for k in SpanKind}, {c.value: c for c in StatusCode}, {}
    unset = Status(StatusCode.UNSET)
    spans = []
    for (name, trace_id, span_id, flags, state, parent, kind, start, end, attributes, code, description,
         events, links, scope, extra) in items:
        if scope is not None and scope not in scopes:
            scopes[scope] = InstrumentationScope(*scope)
        context = SpanContext(trace_id, span_id, False, TraceFlags(flags), TraceState(list(state)))
        if extra is not None:
            attributes = bounded(attributes, extra[0])
        spans.append(ReadableSpan(
            name=name, context=context,
            parent=None if parent is None else SpanContext(trace_id, parent[0], parent[1]),
            resource=resource, attributes=attributes,
            events=[Event(n, a, t) for n, t, a in events],
            links=[Link(SpanContext(t, s, False, TraceFlags(f)), a) for t, s, f, a in links],
            kind=kinds[kind], status=Status(codes[code], description), start_time=start, end_time=end,
            instrumentation_scope=scopes.get(scope)))
        for child, child_start, child_end, child_attributes in extra[1] if extra is not None else ():
            spans.append(ReadableSpan(
                name=child, context=SpanContext(trace_id, ids.generate_span_id(), False, context.trace_flags,
                                                context.trace_state),
                parent=context, resource=resource, attributes=bounded(child_attributes), kind=SpanKind.INTERNAL,
                status=unset, start_time=child_start, end_time=child_end, instrumentation_scope=scopes.get(scope)))
    return spans


class ExportError(Exception):
    """The export process could not start; the message is what it said."""


class PipeExporter(SpanExporter):
    """The lab's batch processor's exporter: each batch to the export process.

    ``setup`` is what the child needs (JSON): ``resource`` (attributes), ``schema_url``,
    ``otlp`` (null, or the OTLPSpanExporter's keyword arguments), ``trace_file`` (null or a path).
    """

    def __init__(self, setup: dict[str, Any], env: dict[str, str] | None = None, *, held: int = 65536) -> None:
        self._lock, self._write_lock, self._extras_lock = threading.Lock(), threading.Lock(), threading.Lock()
        self._broken = False
        self._extras: dict[int, tuple] = {}  # span ID: what attach() attached, until its span is exported
        self._held = held  # extras kept at most: a span the batch processor dropped never takes its own
        self.proc = subprocess.Popen([sys.executable, "-m", "aiops.lab.spanexport", json.dumps(setup)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        os.set_blocking(self.proc.stdin.fileno(), False)  # writes wait in select, with a timeout
        if self._answer(START_TIMEOUT) != READY:
            self.proc.stdin.close()
            code = self.proc.wait(5)
            raise ExportError(f"the span export process did not start (exit status {code})")

    def attach(self, span_id: int, attributes: dict[str, Any],
               children: Sequence[tuple[str, int, int, dict[str, Any] | None]]) -> None:
        """Before the span ``span_id`` ends: attributes for it, and child spans (name, start and
        end in epoch nanoseconds, attributes or None), made by the export process. Attribute
        values are what span attributes may be (str, bool, int, float, or a tuple of one of them)."""
        with self._extras_lock:
            if len(self._extras) >= self._held:
                del self._extras[next(iter(self._extras))]
            self._extras[span_id] = (attributes, children)

    def export(self, spans: Sequence[Any]) -> SpanExportResult:
        with self._extras_lock:
            extras = [self._extras.pop(s.context.span_id, None) for s in spans]
        data = marshal.dumps([flatten(s, e) for s, e in zip(spans, extras)])
        return SpanExportResult.SUCCESS if self._send(data, SEND_TIMEOUT) else SpanExportResult.FAILURE

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        timeout = timeout_millis / 1000
        until = time.monotonic() + timeout
        with self._lock:  # one question at a time: the answer read is the answer to it
            return self._send(b"", timeout) and self._answer(until - time.monotonic()) == FLUSHED

    def shutdown(self) -> None:
        """Close the pipe: the child exports what it holds and exits (waited for, within reason)."""
        self._close()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def _send(self, data: bytes, timeout: float) -> bool:
        """Write one frame within ``timeout`` seconds. A child that is gone, or that reads
        nothing for that long (its exporters stuck), ends the export: spans are dropped from
        then on, as a dead collector drops them, and the lab never waits on it again."""
        frame = memoryview(FRAME.pack(len(data)) + data)
        with self._write_lock:
            if self._broken:
                return False
            fd, until = self.proc.stdin.fileno(), time.monotonic() + timeout
            try:
                while frame:
                    if not select.select([], [fd], [], max(0.0, until - time.monotonic()))[1]:
                        raise TimeoutError
                    try:
                        frame = frame[os.write(fd, frame):]
                    except BlockingIOError:
                        pass  # the pipe filled up between select and write: wait again
                return True
            except (OSError, ValueError) as exc:
                self._broken = True
                why = "has stopped reading" if isinstance(exc, TimeoutError) else "has exited"
                print(f"aiops lab: the span export process {why}; spans are no longer exported",
                      file=sys.stderr, flush=True)
                self._close()
                return False

    def _close(self) -> None:
        try:
            self.proc.stdin.close()
        except OSError:
            pass

    def _answer(self, timeout: float) -> bytes:
        """One byte from the child within ``timeout`` seconds (b"" when none came)."""
        fd = self.proc.stdout.fileno()
        until = time.monotonic() + timeout
        while (left := until - time.monotonic()) > 0:
            if select.select([fd], [], [], left)[0]:
                return os.read(fd, 1)
        return b""


def _exporters(setup: dict[str, Any]) -> list[Any]:
    exporters = []
    if setup.get("otlp") is not None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporters.append(OTLPSpanExporter(**setup["otlp"]))
    if setup.get("trace_file"):
        from opentelemetry.exporter.otlp.json.file import FileSpanExporter

        exporters.append(FileSpanExporter(setup["trace_file"]))
    return exporters


def _read(stream: Any, size: int) -> bytes:
    data = stream.read(size)
    return data if len(data) == size else b""


def main(argv: Sequence[str]) -> int:
    """The child: frames from stdin to the exporters until stdin closes."""
    import logging
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    os.nice(10)  # background work: when CPU is short, the service it traces goes first
    logging.basicConfig(level=logging.WARNING, format="aiops lab span export: %(name)s: %(message)s")
    from opentelemetry.sdk.resources import Resource

    setup = json.loads(argv[0])
    resource = Resource(setup["resource"], setup.get("schema_url"))
    from opentelemetry.sdk.trace import SpanLimits
    from opentelemetry.sdk.trace.id_generator import RandomIdGenerator

    ids, limits = RandomIdGenerator(), SpanLimits()  # the lab's environment: its OTEL_*_LIMIT variables
    try:
        exporters = _exporters(setup)
    except OSError as exc:
        print(f"aiops lab span export: {exc}", file=sys.stderr, flush=True)
        return 2
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    stdout.write(READY)
    stdout.flush()
    while header := _read(stdin, FRAME.size):
        (size,) = FRAME.unpack(header)
        if size == 0:
            for exporter in exporters:
                exporter.force_flush()
            stdout.write(FLUSHED)
            stdout.flush()
            continue
        data = _read(stdin, size)
        if not data:
            break
        spans = rebuild(marshal.loads(data), resource, ids, limits)
        for exporter in exporters:
            exporter.export(spans)
    for exporter in exporters:
        exporter.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
