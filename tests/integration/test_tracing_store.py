"""`aiops trace` against the Jaeger-compatible test server: authentication and Tempo search."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest

from tests.conftest import require
from tests.fakes.jaeger import JaegerServer
from tests.fakes.jaeger_openapi import validate

TOKEN = "tr4ce-s3cret-token-value"


def _ingest(url: str, trace_id: str, ms: float, error: bool = False) -> None:
    """One OTLP/HTTP export (JSON encoding) of a two-span trace that started a second ago."""
    now = time.time_ns() - 10 ** 9
    spans = [{"traceId": trace_id, "spanId": "a" * 16, "name": "POST /infer", "kind": 2,
              "startTimeUnixNano": str(now), "endTimeUnixNano": str(now + int(ms * 1e6)),
              "attributes": [{"key": "correlation_id", "value": {"stringValue": f"req-{trace_id[:4]}"}}]},
             {"traceId": trace_id, "spanId": "b" * 16, "parentSpanId": "a" * 16, "name": "policy evaluation",
              "kind": 1, "startTimeUnixNano": str(now + 1000), "endTimeUnixNano": str(now + int(ms * 0.9e6)),
              **({"status": {"code": 2, "message": "boom"}} if error else {})}]
    body = {"resourceSpans": [{"resource": {"attributes": [
        {"key": "service.name", "value": {"stringValue": "active-inference-sim-lab"}}]},
        "scopeSpans": [{"spans": spans}]}]}
    # protobuf's JSON mapping takes IDs as base64; OTLP/HTTP JSON as hex: the server decodes protobuf's
    for span in spans:
        for key in ("traceId", "spanId", "parentSpanId"):
            if key in span:
                import base64

                span[key] = base64.b64encode(bytes.fromhex(span[key])).decode()
    req = urllib.request.Request(url + "/v1/traces", data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as resp:
        assert resp.status == 200


@pytest.fixture
def store():
    require("opentelemetry.proto.collector.trace.v1.trace_service_pb2")
    server = JaegerServer(token=TOKEN)
    yield server
    server.close()
    assert [p for r, s, b in server.responses if r.startswith("/api/v3") for p in validate(r, s, b)] == []


def test_a_refused_token_is_exit_4_and_never_shown(cli, store):
    _ingest(store.url, "1" * 32, 300)
    refused = cli("trace", "show", "1" * 32, "--url", store.url, "--debug", env={"AIOPS_TRACING_TOKEN": "wrong-token-value"})
    assert refused.exit_code == 4 and "HTTP 401" in refused.stderr
    assert "wrong-token-value" not in refused.stderr + refused.stdout
    shown = cli("trace", "show", "1" * 32, "--url", store.url, "-o", "json", env={"AIOPS_TRACING_TOKEN": TOKEN})
    assert shown.exit_code == 0, shown.stderr
    assert shown.json()["slowest"]["name"] == "policy evaluation" and TOKEN not in shown.stdout


def test_tempo_search_and_show(cli, store):
    for trace_id, ms, error in (("2" * 32, 1200, False), ("3" * 32, 80, True), ("4" * 32, 400, False)):
        _ingest(store.url, trace_id, ms, error)
    env = {"AIOPS_TRACING_BACKEND": "tempo", "AIOPS_TRACING_URL": store.url, "AIOPS_TRACING_TOKEN": TOKEN}
    found = cli("trace", "search", "--since", "5m", "-o", "json", env=env).json()
    assert [t["trace_id"][0] for t in found["traces"]] == ["2", "4", "3"]
    assert found["source"] == f"Tempo at {store.url}"
    errors = cli("trace", "search", "--error", "-o", "json", env=env).json()
    assert [t["trace_id"][0] for t in errors["traces"]] == ["3"]
    slow = cli("trace", "search", "--min-duration", "1s", "-o", "json", env=env).json()
    assert [t["trace_id"][0] for t in slow["traces"]] == ["2"]
    unknown = cli("trace", "show", "5" * 32, env=env)
    assert unknown.exit_code == 3 and "no trace" in unknown.stderr
