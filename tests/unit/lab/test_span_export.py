"""The lab's span export process: spans cross the pipe unchanged, and a dead exporter loses spans,
never requests or the lab's exit."""

from __future__ import annotations

import json
import marshal
import time

import pytest

from tests.conftest import require



@pytest.fixture(autouse=True)
def _sdk():
    require("opentelemetry.sdk.trace")
    require("opentelemetry.exporter.otlp.json.file")


def _finished_spans():
    """Spans of every shape the lab makes: a server span continuing a remote parent with a trace
    state, children, an error with an exception event, a link, attributes of every type."""
    from opentelemetry import trace
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode, TraceFlags, TraceState

    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "lab", "service.instance.id": "i-1"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("aiops.lab", "1.2.3")
    remote = SpanContext(0x4BF92F3577B34DA6A3CE929D0E0E4736, 0x00F067AA0BA902B7, True, TraceFlags(1),
                         TraceState([("vendor", "x=1")]))
    server = tracer.start_span("POST /infer", context=trace.set_span_in_context(trace.NonRecordingSpan(remote)),
                               kind=SpanKind.SERVER,
                               attributes={"http.request.method": "POST", "ai.action": [1, 0], "ai.free_energy": 1.25,
                                           "ai.learning": True, "tags": ("a", "b")},
                               links=[Link(SpanContext(0xABC, 0xDEF, False, TraceFlags(1)), {"why": "retry"})])
    with trace.use_span(server, end_on_exit=False):
        tracer.start_span("state inference", start_time=10, attributes=None).end(end_time=20)
        tracer.start_span("policy evaluation", start_time=20, attributes={"lab.fault_delay_ms": 2.5}).end(end_time=40)
    server.record_exception(ValueError("bad [observation]"))
    server.set_status(Status(StatusCode.ERROR, "ValueError: bad [observation]"))
    server.end()
    spans = memory.get_finished_spans()
    provider.shutdown()
    return spans


def test_spans_cross_the_pipe_unchanged():
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

    from aiops.lab.spanexport import flatten, rebuild

    spans = _finished_spans()
    assert len(spans) == 3 and any(s.events for s in spans) and any(s.links for s in spans)
    again = rebuild(marshal.loads(marshal.dumps([flatten(s) for s in spans])), spans[0].resource)
    # the OTLP encoding is what leaves the lab: it must be byte for byte the same
    assert encode_spans(again).SerializeToString() == encode_spans(spans).SerializeToString()
    assert [s.to_json() for s in again] == [s.to_json() for s in spans]


class _Counting:
    """An SDK IdGenerator handing out span IDs 1, 2, 3...: the same IDs for two ways of making spans."""

    def __init__(self, first: int = 1) -> None:
        self.next = first

    def generate_span_id(self) -> int:
        self.next += 1
        return self.next - 1

    def generate_trace_id(self) -> int:
        return 0x4BF92F3577B34DA6A3CE929D0E0E4736

    def is_trace_id_random(self) -> bool:
        return True  # as the SDK's own generator: a flag the children must carry too


def _provider(memory, ids, limits=None):
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": "lab"}), id_generator=ids,
                              span_limits=limits)
    provider.add_span_processor(SimpleSpanProcessor(memory))
    return provider


ATTRIBUTES = {"ai.model": "tmaze", "ai.policy_count": 4, "ai.free_energy": 1.25, "ai.action": (1, 0)}
CHILDREN = [("state inference", 10, 20, {"ai.learning": True}), ("policy evaluation", 20, 40, {"lab.fault": "slow-inference"}),
            ("action selection", 40, 45, None)]


@pytest.mark.parametrize("tight", [False, True])
def test_attached_attributes_and_children_are_the_spans_the_sdk_would_make(tight):
    """What the lab attaches to a server span comes out of the export process as the very spans
    the SDK makes when the attributes are set and the children started in the lab: same OTLP bytes,
    the span limits (OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT, ..._VALUE_LENGTH_LIMIT) applied alike."""
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
    from opentelemetry.sdk.trace import SpanLimits
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.trace import SpanKind

    from aiops.lab.spanexport import flatten, rebuild

    limits = SpanLimits(max_span_attributes=3, max_span_attribute_length=3) if tight else SpanLimits()
    memory = InMemorySpanExporter()
    tracer = _provider(memory, _Counting(), limits).get_tracer("aiops.lab", "1.2.3")
    server = tracer.start_span("POST /infer", kind=SpanKind.SERVER, start_time=5, attributes={"url.path": "/infer"})
    server.set_attributes(ATTRIBUTES)
    with trace.use_span(server, end_on_exit=False):
        for name, start, end, attributes in CHILDREN:
            tracer.start_span(name, start_time=start, attributes=attributes).end(end_time=end)
    server.end(end_time=50)
    in_lab = sorted(memory.get_finished_spans(), key=lambda s: s.context.span_id)

    memory.clear()
    tracer = _provider(memory, _Counting(), limits).get_tracer("aiops.lab", "1.2.3")
    tracer.start_span("POST /infer", kind=SpanKind.SERVER, start_time=5, attributes={"url.path": "/infer"}).end(end_time=50)
    (bare,) = memory.get_finished_spans()
    flat = marshal.loads(marshal.dumps([flatten(bare, (ATTRIBUTES, CHILDREN))]))
    made = rebuild(flat, bare.resource, ids=_Counting(2), limits=limits)
    if tight:
        assert list(made[0].attributes) == ["ai.policy_count", "ai.free_energy", "ai.action"]  # the last three
        assert made[2].attributes["lab.fault"] == "slo"
    assert [s.name for s in made] == ["POST /infer", *(c[0] for c in CHILDREN)]
    assert encode_spans(made).SerializeToString() == encode_spans(in_lab).SerializeToString()
    assert [s.to_json() for s in made] == [s.to_json() for s in in_lab]


def test_what_is_attached_waits_for_its_span_and_is_bounded(tmp_path):
    """Attached data crosses the pipe with its span's batch and leaves the exporter then; data
    for spans the batch processor dropped never piles up beyond ``held``."""
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    memory = InMemorySpanExporter()
    tracer = _provider(memory, _Counting()).get_tracer("aiops.lab")
    for name in ("GET /", "POST /infer"):
        tracer.start_span(name).end()
    plain, infer = memory.get_finished_spans()
    exporter = _exporter(tmp_path, held=2)
    try:
        exporter.attach(infer.context.span_id, {"ai.model": "tmaze"}, CHILDREN)
        exporter.export([plain, infer])
        assert exporter._extras == {}
        for span_id in (101, 102, 103):  # spans that never reach the exporter
            exporter.attach(span_id, {}, [])
        assert list(exporter._extras) == [102, 103]
    finally:
        exporter.shutdown()
    (line,) = _lines(tmp_path)
    spans = [s for rs in line["resourceSpans"] for ss in rs["scopeSpans"] for s in ss["spans"]]
    assert [s["name"] for s in spans] == ["GET /", "POST /infer", *(c[0] for c in CHILDREN)]
    server_id = spans[1]["spanId"]
    assert all(s["parentSpanId"] == server_id and s["traceId"] == spans[1]["traceId"] for s in spans[2:])
    assert len({s["spanId"] for s in spans}) == 5
    assert {a["key"] for a in spans[1]["attributes"]} == {"ai.model"} and "attributes" not in spans[0]


def _exporter(tmp_path, held=65536, **setup):
    from aiops.lab.spanexport import PipeExporter

    return PipeExporter({"resource": {"service.name": "lab"}, "schema_url": "", "otlp": None,
                         "trace_file": str(tmp_path / "traces.jsonl"), **setup}, held=held)


def _lines(tmp_path) -> list[dict]:
    path = tmp_path / "traces.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_one_export_per_batch_flush_answers_and_shutdown_drains(tmp_path):
    from opentelemetry.sdk.trace.export import SpanExportResult

    spans = _finished_spans()
    exporter = _exporter(tmp_path)
    assert exporter.export(spans[:2]) == SpanExportResult.SUCCESS
    assert exporter.force_flush(10_000)
    assert len(_lines(tmp_path)) == 1  # flushed: written before the answer came
    assert exporter.export(spans[2:]) == SpanExportResult.SUCCESS
    exporter.shutdown()  # what was sent before the pipe closed is exported before the child exits
    assert exporter.proc.returncode == 0
    exports = [[s["name"] for rs in line["resourceSpans"] for ss in rs["scopeSpans"] for s in ss["spans"]]
               for line in _lines(tmp_path)]
    assert exports == [[s.name for s in spans[:2]], [spans[2].name]]


def test_a_dead_export_process_drops_spans_and_never_hangs(tmp_path, capfd):
    from opentelemetry.sdk.trace.export import SpanExportResult

    exporter = _exporter(tmp_path)
    exporter.proc.kill()
    exporter.proc.wait()
    start = time.monotonic()
    assert exporter.export(_finished_spans()) == SpanExportResult.FAILURE
    assert exporter.export(_finished_spans()) == SpanExportResult.FAILURE
    assert not exporter.force_flush(10_000)
    exporter.shutdown()
    assert time.monotonic() - start < 2
    said = capfd.readouterr().err
    assert said.count("spans are no longer exported") == 1  # said once, not per batch


def test_an_export_process_that_cannot_start_is_an_error_naming_why(tmp_path, capfd):
    from aiops.lab.spanexport import ExportError

    with pytest.raises(ExportError, match="exit status 2"):
        _exporter(tmp_path, trace_file=str(tmp_path / "missing" / "traces.jsonl"))
    assert "No such file or directory" in capfd.readouterr().err


def test_an_export_process_that_stops_reading_is_given_up_within_the_timeout(tmp_path, capfd, monkeypatch):
    """Its exporters stuck (a collector that never answers): a batch waits at most the send
    timeout for room in the pipe, then the lab stops exporting instead of blocking."""
    import signal

    from opentelemetry.sdk.trace.export import SpanExportResult

    from aiops.lab import spanexport

    monkeypatch.setattr(spanexport, "SEND_TIMEOUT", 0.5)
    exporter = _exporter(tmp_path)
    exporter.proc.send_signal(signal.SIGSTOP)  # reads nothing more
    try:
        spans = _finished_spans() * 400  # more than a pipe holds
        start = time.monotonic()
        results = [exporter.export(spans) for _ in range(3)]
        assert time.monotonic() - start < 5
        assert results[-1] == SpanExportResult.FAILURE
        assert capfd.readouterr().err.count("has stopped reading; spans are no longer exported") == 1
    finally:
        exporter.proc.send_signal(signal.SIGCONT)
        exporter.shutdown()


def test_what_is_attached_waits_as_long_as_the_batch_queue_holds_spans():
    from aiops.lab.tracing import QUEUE, _queue_size

    assert _queue_size({}) == QUEUE
    assert _queue_size({"OTEL_BSP_MAX_QUEUE_SIZE": "200000"}) == 200000
    assert _queue_size({"OTEL_BSP_MAX_QUEUE_SIZE": "lots"}) == QUEUE  # the SDK keeps a smaller default then
