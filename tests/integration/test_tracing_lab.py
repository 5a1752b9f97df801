"""The real lab with the real OpenTelemetry SDK and exporters, read back with ``aiops trace``.

Spans from real requests go (1) through the OTLP JSON file exporter into ``aiops trace show
--file`` and (2) through OTLP/HTTP into the Jaeger-compatible test server, whose every
response is checked against Jaeger's published OpenAPI spec.
"""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from tests.conftest import require, wait_for
from tests.fakes.jaeger import JaegerServer
from tests.fakes.jaeger_openapi import validate
from tests.fakes.json_contract import validate as validate_document
from tests.fakes.lab import lab, start_lab  # noqa: F401 (fixture)

QUIET = ("--synthetic-rps", "0")
PHASES = ["POST /infer", "state inference", "policy evaluation", "action selection"]


@pytest.fixture(autouse=True)
def _sdk():
    require("opentelemetry.sdk.trace")
    require("opentelemetry.exporter.otlp.proto.http.trace_exporter")
    require("opentelemetry.exporter.otlp.json.file")


def _spans(path: Path) -> list[dict]:
    out = []
    if not path.exists():
        return out
    for line in path.read_text().splitlines():
        for rs in json.loads(line)["resourceSpans"]:
            for ss in rs["scopeSpans"]:
                out += ss["spans"]
    return out


def _infer(svc, cid: str, **headers: str) -> dict:
    status, body = svc.post("/infer", {"observation": [0, 0, 0]}, headers={"X-Correlation-ID": cid, **headers})
    assert status == 200, body
    return body


def _record(svc, cid: str) -> dict:
    return wait_for(lambda: next((r for r in svc.logs() if r.get("correlation_id") == cid
                                  and r["message"].startswith("Inference completed")), None),
                    10, 0.1, f"the log record of {cid}")


def test_slow_request_waterfall_from_its_correlation_id(lab, cli, tmp_path):
    traces = tmp_path / "traces.jsonl"
    svc = lab(faults=("slow-inference=0.4",), extra_args=(*QUIET, "--trace-file", str(traces)))
    _infer(svc, "req-slow-1")
    record = _record(svc, "req-slow-1")
    assert len(record["trace_id"]) == 32 and len(record["span_id"]) == 16
    wait_for(lambda: sum(s["traceId"] == record["trace_id"] for s in _spans(traces)) == 4, 10, 0.1, "4 spans")

    doc = cli("trace", "show", "req-slow-1", "--file", str(traces), "--log-file", str(svc.log_file), "-o", "json")
    assert doc.exit_code == 0, doc.stderr
    trace = doc.json()
    assert trace["schema"] == "aiops.trace/v1" and trace["trace_id"] == record["trace_id"]
    assert trace["correlation_id"] == "req-slow-1"
    assert [s["name"] for s in trace["spans"]] == PHASES
    assert trace["slowest"]["name"] == "policy evaluation" and trace["slowest"]["share"] > 0.9
    assert trace["slowest"]["instance"] == svc.url
    by_name = {s["name"]: s for s in trace["spans"]}
    validate_document(trace, "aiops.trace/v1")
    root = by_name["POST /infer"]
    server = root["attributes"]
    assert server["correlation_id"] == "req-slow-1"
    assert record["span_id"] == root["span_id"]  # the log line names its span
    assert root["kind"] == "server" and root["parent_span_id"] is None and root["depth"] == 0
    assert root["resource"]["service.instance.id"] == svc.url and root["instance"] == svc.url
    assert server["ai.model"] == "tmaze" and server["ai.policy_count"] == 4
    # the same for every span of the process: on the resource, not repeated on each span
    assert root["resource"]["ai.model_id"] == svc.info["model_id"] and "ai.model_id" not in server
    assert "ai.iterations" in server and "ai.free_energy" in server
    assert server["http.route"] == "/infer" and server["http.response.status_code"] == 200
    policy = by_name["policy evaluation"]
    assert policy["attributes"]["lab.fault"] == "slow-inference" and policy["parent_span_id"] == root["span_id"]
    assert policy["duration_ms"] >= 400 and 0 <= policy["offset_ms"] < root["duration_ms"]
    assert set(trace["critical_path"]) >= {by_name[n]["span_id"] for n in ("POST /infer", "policy evaluation")}

    table = cli("trace", "show", "req-slow-1", "--file", str(traces), "--log-file", str(svc.log_file),
                "--logs", "-o", "table", env={"COLUMNS": "80"})
    assert table.exit_code == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[-1].startswith("slowest: policy evaluation") and all(len(line) <= 80 for line in lines)
    assert any("Inference completed successfully" in line for line in lines)
    assert any(line.startswith("* ") and "policy evaluation" in line for line in lines)


def test_a_trace_id_leads_back_to_its_log_lines(lab, cli, tmp_path):
    traces = tmp_path / "traces.jsonl"
    svc = lab(extra_args=(*QUIET, "--trace-file", str(traces)))
    for cid in ("req-a", "req-b"):
        _infer(svc, cid)
    wanted = _record(svc, "req-b")["trace_id"]
    wait_for(lambda: any(s["traceId"] == wanted for s in _spans(traces)), 10, 0.1, "the spans")
    doc = cli("trace", "show", wanted, "--file", str(traces), "--logs", "--log-file", str(svc.log_file),
              "-o", "json").json()
    assert doc["correlation_id"] is None and doc["trace_id"] == wanted
    assert [e["fields"]["trace_id"] for e in doc["logs"]] == [wanted]
    assert doc["logs"][0]["message"] == "Inference completed successfully"


def test_traceparent_is_continued(lab, tmp_path):
    traces = tmp_path / "traces.jsonl"
    svc = lab(extra_args=(*QUIET, "--trace-file", str(traces)))
    parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    _infer(svc, "req-parent", traceparent=parent)
    # the server span ends last, so it may reach the file in a later export than its children
    server = wait_for(lambda: next((s for s in _spans(traces) if s["traceId"] == "0af7651916cd43dd8448eb211c80319c"
                                    and s["name"] == "POST /infer"), None), 10, 0.1, "the continued trace's server span")
    assert server["parentSpanId"] == "b7ad6b7169203331" and server["kind"] == 2
    unsampled = "00-1af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"
    _infer(svc, "req-unsampled", traceparent=unsampled)
    assert _record(svc, "req-unsampled")["trace_id"] is None  # the caller chose not to sample


def test_sigterm_flushes_every_span(tmp_path):
    traces = tmp_path / "traces.jsonl"
    # A minute between exports and batches larger than the test's 160 spans: whatever reaches
    # the file was flushed by the shutdown itself (and the standard variables win over the lab's).
    svc = start_lab(extra_args=(*QUIET, "--trace-file", str(traces)),
                    env={"OTEL_BSP_SCHEDULE_DELAY": "60000", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "1000"})
    try:
        requests = 40
        for i in range(requests):
            _infer(svc, f"req-{i}")
        assert _spans(traces) == []
        svc.proc.send_signal(signal.SIGTERM)
        assert svc.proc.wait(20) == 0
    finally:
        svc.close()
    spans = _spans(traces)
    assert len(spans) == requests * len(PHASES)
    assert len({s["traceId"] for s in spans}) == requests


def test_the_lab_serves_on_when_its_span_export_process_dies(tmp_path):
    """Spans are encoded and sent by a child process; if it dies, requests and the lab's exit
    are unaffected, and the lab says once that spans are no longer exported."""
    import psutil

    traces = tmp_path / "traces.jsonl"
    svc = start_lab(extra_args=(*QUIET, "--trace-file", str(traces)))
    try:
        export = [p for p in psutil.Process(svc.proc.pid).children() if "aiops.lab.spanexport" in p.cmdline()]
        assert len(export) == 1
        _infer(svc, "req-before")
        wait_for(lambda: len(_spans(traces)) == len(PHASES), 10, 0.1, "the first request's spans")
        export[0].kill()
        for i in range(40):
            _infer(svc, f"req-{i}")
        svc.proc.send_signal(signal.SIGTERM)
        assert svc.proc.wait(20) == 0
    finally:
        svc.close()
    assert "\n".join(svc.output).count("spans are no longer exported") == 1
    assert len(_spans(traces)) == len(PHASES)


def test_spans_leave_in_small_batches(tmp_path):
    """Every 64 requests' spans go out at once, without waiting for the export timer: the export
    thread never holds the interpreter long while requests wait (bench_tracing.py). The batch
    processor counts a request's server span; its phase spans travel with it."""
    from aiops.lab.tracing import BATCH

    traces = tmp_path / "traces.jsonl"
    svc = start_lab(extra_args=(*QUIET, "--trace-file", str(traces)), env={"OTEL_BSP_SCHEDULE_DELAY": "60000"})
    try:
        requests = 2 * BATCH + 3  # two full batches and three requests more
        for i in range(requests):
            _infer(svc, f"req-{i}")
        wait_for(lambda: len(_spans(traces)) >= 2 * BATCH * len(PHASES), 10, 0.1, "two batches before the timer")
        exports = [sum(len(ss["spans"]) for rs in json.loads(line)["resourceSpans"] for ss in rs["scopeSpans"])
                   for line in traces.read_text().splitlines()]
        assert exports == [BATCH * len(PHASES)] * 2  # one line per export; the rest waits for the timer or the exit
        svc.proc.send_signal(signal.SIGTERM)
        assert svc.proc.wait(20) == 0
    finally:
        svc.close()
    assert len(_spans(traces)) == requests * len(PHASES)


def test_errors_are_recorded_on_the_span(lab, cli, tmp_path):
    traces = tmp_path / "traces.jsonl"
    svc = lab(faults=("error-rate=1",), extra_args=(*QUIET, "--trace-file", str(traces)))
    status, _ = svc.post("/infer", {"observation": [0, 0, 0]}, headers={"X-Correlation-ID": "req-err"})
    assert status == 500
    wait_for(lambda: len(_spans(traces)) >= 1, 10, 0.1, "the failed request's span")
    found = cli("trace", "search", "--error", "--file", str(traces), "-o", "json").json()
    assert found["schema"] == "aiops.trace.search/v1" and found["matched"] == 1
    assert found["traces"][0]["error_count"] == 1 and found["traces"][0]["correlation_ids"] == ["req-err"]
    doc = cli("trace", "show", found["traces"][0]["trace_id"], "--file", str(traces), "-o", "json").json()
    failed = doc["spans"][0]
    assert failed["name"] == "POST /infer" and failed["status"]["code"] == "error" and failed["error"] is True
    assert failed["events"][0]["name"] == "exception" and "model backend error" in json.dumps(failed["events"])


def test_sampling_zero_records_nothing(lab, tmp_path):
    traces = tmp_path / "traces.jsonl"
    svc = lab(extra_args=(*QUIET, "--trace-file", str(traces), "--trace-sample", "0"))
    _infer(svc, "req-unsampled")
    assert _record(svc, "req-unsampled")["trace_id"] is None
    svc.stop()
    assert _spans(traces) == []


def test_otlp_http_into_the_jaeger_compatible_server(lab, cli):
    require("opentelemetry.proto.collector.trace.v1.trace_service_pb2")
    jaeger = JaegerServer()
    try:
        svc = lab(faults=("slow-inference=0.3",), extra_args=(*QUIET, "--otlp-endpoint", jaeger.url))
        _infer(svc, "req-jaeger")
        trace_id = _record(svc, "req-jaeger")["trace_id"]
        wait_for(lambda: jaeger.ingested >= 4, 10, 0.1, "4 spans in the Jaeger test server")

        shown = cli("trace", "show", "req-jaeger", "--url", jaeger.url, "--log-file", str(svc.log_file),
                    "-o", "json")
        assert shown.exit_code == 0, shown.stderr
        doc = shown.json()
        assert doc["trace_id"] == trace_id and doc["slowest"]["name"] == "policy evaluation"
        assert doc["source"] == f"Jaeger at {jaeger.url}"

        found = cli("trace", "search", "--url", jaeger.url, "--since", "5m", "--min-duration", "200ms",
                    "-o", "json").json()
        assert [t["trace_id"] for t in found["traces"]] == [trace_id]

        missing = cli("trace", "show", "ffffffffffffffffffffffffffffffff", "--url", jaeger.url)
        assert missing.exit_code == 3 and "no trace" in missing.stderr
        services = json.loads(_get(jaeger.url + "/api/v3/services"))
        assert services == {"services": ["active-inference-sim-lab"]}
        bad = _get(jaeger.url + "/api/v3/traces?query.startTimeMin=x")
        assert "service name" in bad

        tempo = cli("trace", "show", trace_id, "--backend", "tempo", "--url", jaeger.url, "-o", "json")
        assert tempo.exit_code == 0, tempo.stderr
        assert [s["span_id"] for s in tempo.json()["spans"]] == [s["span_id"] for s in doc["spans"]]
    finally:
        jaeger.close()
    problems = [p for route, status, body in jaeger.responses for p in validate(route, status, body)]
    assert jaeger.responses and problems == []
    assert {(r, s) for r, s, _ in jaeger.responses} >= {("/api/v3/traces/{traceId}", 200),
                                                        ("/api/v3/traces/{traceId}", 404),
                                                        ("/api/v3/traces", 200), ("/api/v3/traces", 400),
                                                        ("/api/v3/services", 200)}


def test_the_standard_otel_variables_select_the_collector(lab):
    jaeger = JaegerServer()
    try:
        svc = lab(extra_args=QUIET, env={"OTEL_EXPORTER_OTLP_ENDPOINT": jaeger.url,
                                         "OTEL_SERVICE_NAME": "lab-from-env"})
        _infer(svc, "req-env")
        wait_for(lambda: jaeger.ingested >= 4, 10, 0.1, "spans from the environment's endpoint")
        assert json.loads(_get(jaeger.url + "/api/v3/services")) == {"services": ["lab-from-env"]}
    finally:
        jaeger.close()


def _get(url: str) -> str:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.read().decode()


def test_a_bad_trace_file_stops_the_lab_before_it_starts(cli, tmp_path):
    result = cli("lab", "serve", "--port", "0", "--trace-file", str(tmp_path / "missing" / "t.jsonl"))
    assert result.exit_code == 2 and "cannot write the trace file" in result.stderr
