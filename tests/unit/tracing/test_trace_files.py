"""``aiops trace`` over OTLP JSON files: the analysis, bad input, and what the terminal shows."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aiops.tracing.analysis import build
from aiops.tracing.model import Skipped, spans_of
from tests.fakes.json_contract import validate

ROOT = Path(__file__).resolve().parents[3]
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
T0 = 1_800_000_000_000_000_000


def span(span_id: str, name: str, start_ms: float, end_ms: float, parent: str | None = None,
         error: bool = False, **attrs: str) -> dict:
    out = {"traceId": TRACE, "spanId": span_id, "name": name, "kind": 1,
           "startTimeUnixNano": str(T0 + int(start_ms * 1e6)), "endTimeUnixNano": str(T0 + int(end_ms * 1e6)),
           "attributes": [{"key": k, "value": {"stringValue": v}} for k, v in attrs.items()]}
    if parent:
        out["parentSpanId"] = parent
    if error:
        out["status"] = {"code": 2, "message": "boom"}
    return out


def export(*spans: dict, service: str = "active-inference-sim-lab") -> str:
    resource = {"attributes": [{"key": "service.name", "value": {"stringValue": service}},
                               {"key": "service.instance.id", "value": {"stringValue": "http://10.0.0.7:8000"}}]}
    return json.dumps({"resourceSpans": [{"resource": resource, "scopeSpans": [{"spans": list(spans)}]}]}) + "\n"


SLOW = [span("a000000000000001", "POST /infer", 0, 1900, correlation_id="req-1"),
        span("a000000000000002", "inference", 10, 1890, "a000000000000001"),
        span("a000000000000003", "state inference", 10, 300, "a000000000000002"),
        span("a000000000000004", "policy evaluation", 300, 1839, "a000000000000002"),
        span("a000000000000005", "action selection", 1839, 1890, "a000000000000002")]


def view_of(spans: list[dict]):
    skipped = Skipped()
    parsed = list(spans_of(json.loads(export(*spans)), skipped))
    return build(TRACE, parsed, "test")


def test_self_time_critical_path_and_dominant_phase():
    view = view_of(SLOW)
    assert [r.span.name for r in view.rows] == [s["name"] for s in SLOW]
    assert [r.depth for r in view.rows] == [0, 1, 2, 2, 2]
    assert view.slowest.span.name == "policy evaluation"
    assert view.phase_line() == "policy evaluation: 81 % of 1.9 s"
    assert [r.critical for r in view.rows] == [True, True, True, True, True]
    assert view.summary().startswith("slowest: policy evaluation (active-inference-sim-lab on "
                                     "http://10.0.0.7:8000) 1.54 s of its own, 81 %")


def test_parallel_children_only_the_last_finisher_is_critical():
    view = view_of([span("b000000000000001", "root", 0, 100),
                    span("b000000000000002", "fast", 0, 30, "b000000000000001"),
                    span("b000000000000003", "slow", 0, 90, "b000000000000001")])
    assert {r.span.name: r.critical for r in view.rows} == {"root": True, "fast": False, "slow": True}
    assert view.rows[0].self_ns == 10_000_000  # 100 ms less the 90 ms its children cover


def test_orphans_and_duplicates_and_base64_ids():
    orphan = span("c000000000000002", "late child", 5, 6, "ffffffffffffffff")
    b64 = dict(SLOW[0], traceId="S/kvNXezTaajzpKdDg5HNg==", spanId="oAAAAAAAAAE=")
    view = view_of([b64, SLOW[0], orphan])
    assert [r.span.name for r in view.rows] == ["POST /infer", "late child"]


def write(path: Path, text: str, gz: bool = False) -> Path:
    if gz:
        with gzip.open(path, "wt") as fh:
            fh.write(text)
    else:
        path.write_text(text)
    return path


def test_show_reads_gzip_and_globs_and_counts_corrupt_lines(cli, tmp_path):
    write(tmp_path / "a.jsonl", export(*SLOW[:2]) + '{"resourceSpans": [{"scopeSpans": [{"spans": [{"trac\n')
    write(tmp_path / "b.jsonl.gz", export(*SLOW[2:]) + f"not json but {TRACE}\n", gz=True)
    result = cli("trace", "show", TRACE, "--file", str(tmp_path / "*.jsonl*"), "-o", "json")
    assert result.exit_code == 0, result.stderr
    doc = result.json()
    assert doc["span_count"] == 5 and doc["skipped"]["corrupt_lines"] == 2
    assert "skipped 2 corrupt line(s)" in result.stderr


def test_a_file_whose_name_has_glob_characters_is_read_literally(cli, tmp_path):
    write(tmp_path / "we[ir]d*.jsonl", export(*SLOW))
    write(tmp_path / "wid.jsonl", export(span("b000000000000001", "other", 0, 5)))  # the glob's match
    result = cli("trace", "show", TRACE, "--file", str(tmp_path / "we[ir]d*.jsonl"), "-o", "json")
    assert result.exit_code == 0, result.stderr
    assert result.json()["span_count"] == 5


def test_deeply_nested_lines_are_corrupt_lines_not_a_crash(cli, tmp_path):
    path = write(tmp_path / "t.jsonl", export(*SLOW) + "[" * 5000 + "]" * 5000 + "\n")
    result = cli("trace", "search", "--file", str(path), "--since", "2026-01-01T00:00:00Z",
                 "--until", "2030-01-01T00:00:00Z", "-o", "json")
    assert result.exit_code == 0, result.stderr
    assert result.json()["skipped"]["corrupt_lines"] == 1


def test_unknown_trace_is_exit_3_and_missing_file_exit_2(cli, tmp_path):
    path = write(tmp_path / "t.jsonl", export(*SLOW))
    unknown = cli("trace", "show", "0" * 31 + "1", "--file", str(path))
    assert unknown.exit_code == 3 and unknown.stderr.startswith("error: no trace 0000")
    missing = cli("trace", "show", TRACE, "--file", str(tmp_path / "nope.jsonl"))
    assert missing.exit_code == 2 and "no trace file matches" in missing.stderr


def test_correlation_id_without_a_log_store_or_without_trace_ids(cli, tmp_path):
    path = write(tmp_path / "t.jsonl", export(*SLOW))
    logs = tmp_path / "lab.log"
    logs.write_text(json.dumps({"timestamp": "2099-01-01T00:00:00Z", "level": "INFO", "logger": "x",
                                "message": "m", "correlation_id": "req-9"}) + "\n")
    untraced = cli("trace", "show", "req-9", "--file", str(path), "--log-file", str(logs),
                   "--since", "2098-12-31T00:00:00Z", "--until", "2099-01-02T00:00:00Z")
    assert untraced.exit_code == 3 and "carry no trace_id" in untraced.stderr
    nothing = cli("trace", "show", "req-unknown", "--file", str(path), "--log-file", str(logs))
    assert nothing.exit_code == 3 and "no log records" in nothing.stderr


def test_unreachable_store_is_exit_5_within_the_timeout(cli):
    import socket

    with socket.socket() as sock:  # a port that accepts and never answers
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        began = time.monotonic()
        result = cli("trace", "show", TRACE, "--url", url, "--timeout", "1")
        assert result.exit_code == 5 and "timed out" in result.stderr
        assert time.monotonic() - began < 5
    refused = cli("trace", "search", "--url", url, "--timeout", "1")
    assert refused.exit_code == 5 and "connection refused" in refused.stderr


def test_waterfall_fits_80_and_120_columns_and_escapes_hostile_names(cli, tmp_path):
    hostile = span("d000000000000009", "[bold red]fake[/] \x1b[2J\nsecond line " + "x" * 200, 400, 500,
                   "a000000000000004", error=True)
    path = write(tmp_path / "t.jsonl", export(*SLOW, hostile))
    for width in (80, 120):
        out = cli("trace", "show", TRACE, "--file", str(path), "-o", "table", env={"COLUMNS": str(width)})
        assert out.exit_code == 0, out.stderr
        lines = out.stdout.splitlines()
        assert all(len(line) <= width for line in lines), [len(line) for line in lines]
        assert len(lines) == 3 + 6 + 1  # header, the spans, the summary line
        assert "[bold red]fake[/]" in out.stdout and "\x1b" not in out.stdout
        assert lines[-1].startswith("slowest: policy evaluation")
        assert any(line.startswith("*!") or line.startswith(" !") for line in lines)
    assert lines[2].startswith("  span")
    assert lines[3].startswith("* POST /infer") and lines[8].startswith("*   └ action selection")


def test_search_slowest_first_with_filters(cli, tmp_path):
    now = time.time_ns()

    def trace(tid: str, ms: float, error: bool = False) -> dict:
        return {"traceId": tid, "spanId": tid[:16], "name": "POST /infer", "kind": 2,
                "startTimeUnixNano": str(now - 10 ** 9), "endTimeUnixNano": str(now - 10 ** 9 + int(ms * 1e6)),
                **({"status": {"code": 2}} if error else {})}

    path = write(tmp_path / "t.jsonl", export(trace("1" * 32, 50), trace("2" * 32, 1500), trace("3" * 32, 800, True)))
    doc = cli("trace", "search", "--file", str(path), "--since", "5m", "-o", "json").json()
    assert [t["trace_id"][0] for t in doc["traces"]] == ["2", "3", "1"]
    slow = cli("trace", "search", "--file", str(path), "--min-duration", "500ms", "--limit", "1", "-o", "json").json()
    assert (slow["matched"], [t["trace_id"][0] for t in slow["traces"]]) == (2, ["2"])
    errors = cli("trace", "search", "--file", str(path), "--error", "-o", "json").json()
    assert [t["trace_id"][0] for t in errors["traces"]] == ["3"]
    for width in (80, 120):
        table = cli("trace", "search", "--file", str(path), "-o", "table", env={"COLUMNS": str(width)})
        assert table.exit_code == 0 and all(len(line) <= width for line in table.stdout.splitlines())
        assert "2" * 32 in table.stdout  # trace IDs are never broken


def test_ten_thousand_spans_render(cli, tmp_path):
    spans = [span("e000000000000000", "root", 0, 10_000)]
    spans += [span(f"{i:016x}", f"step {i}", i, i + 1, "e000000000000000") for i in range(1, 10_000)]
    path = write(tmp_path / "big.jsonl", export(*spans))
    out = cli("trace", "show", TRACE, "--file", str(path), "-o", "table", env={"COLUMNS": "100"})
    assert out.exit_code == 0 and len(out.stdout.splitlines()) == 10_000 + 4


@pytest.mark.parametrize("argv", [["--help"], ["trace", "--help"], ["trace", "show", "--help"]])
def test_help_never_loads_opentelemetry(argv):
    code = ("import sys; from aiops.cli.main import main\n"
            f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
            "sys.stderr.write(','.join(m for m in sys.modules if m.startswith(('opentelemetry', 'aiohttp'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.stderr.strip().splitlines()[-1:] in ([], [""]), out.stderr[-300:]


def test_the_lab_without_tracing_never_loads_opentelemetry():
    code = ("import sys, aiops.lab.app, aiops.lab.service, aiops.lab.server, aiops.lab.tracing\n"
            "print(','.join(m for m in sys.modules if m.startswith('opentelemetry')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0 and out.stdout.strip() == "", out.stdout + out.stderr


def test_json_outputs_validate_against_their_schemas(cli, tmp_path):
    path = write(tmp_path / "t.jsonl", export(*SLOW) + "torn\n")
    logs = tmp_path / "lab.log"
    logs.write_text(json.dumps({"timestamp": "2027-01-15T08:00:00.100Z", "level": "INFO", "logger": "x",
                                "message": "m", "correlation_id": "req-1", "trace_id": TRACE}) + "\n")
    shown = cli("trace", "show", "req-1", "--file", str(path), "--log-file", str(logs), "--logs",
                "--since", "2027-01-14T00:00:00Z", "--until", "2027-01-16T00:00:00Z", "-o", "json")
    assert shown.exit_code == 0, shown.stderr
    doc = shown.json()
    assert doc["logs"][0]["message"] == "m" and doc["correlation_id"] == "req-1"
    validate(doc, "aiops.trace/v1")
    found = cli("trace", "search", "--file", str(path), "--since", "2027-01-14T00:00:00Z",
                "--until", "2027-01-16T00:00:00Z", "-o", "json")
    assert found.exit_code == 0 and found.json()["matched"] == 1
    validate(found.json(), "aiops.trace.search/v1")


def test_colours_on_a_terminal_keep_the_width_and_drop_hostile_escapes(tmp_path):
    import os
    import re

    hostile = span("d000000000000009", "evil \x1b[2J\x1b]0;title\x07 name", 400, 500, "a000000000000004", error=True)
    path = write(tmp_path / "t.jsonl", export(*SLOW, hostile))
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env.update({"FORCE_COLOR": "1", "COLUMNS": "80"})
    out = subprocess.run([sys.executable, "-m", "aiops", "trace", "show", TRACE, "--file", str(path), "-o", "table"],
                         capture_output=True, text=True, env=env, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert "\x1b[" in out.stdout and "\x1b[2J" not in out.stdout and "\x1b]0" not in out.stdout
    visible = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in out.stdout.splitlines()]
    assert max(len(line) for line in visible) <= 80 and visible[-1].startswith("slowest: policy evaluation")
    assert any("evil" in line and line.startswith("*!") for line in visible)


def test_a_parent_cycle_is_shown_not_lost():
    view = view_of([span("f000000000000001", "a", 0, 10, "f000000000000002"),
                    span("f000000000000002", "b", 1, 9, "f000000000000001"),
                    span("f000000000000003", "self", 2, 3, "f000000000000003")])
    assert sorted(r.span.name for r in view.rows) == ["a", "b", "self"]
    assert view.rows[0].span.name in ("a", "self") and view.slowest is not None


def test_show_leaves_the_garbage_collector_as_it_found_it(cli, tmp_path):
    """The collector is paused while a trace is read and drawn, and running again after,
    also when the command fails (the CLI runs in-process here, as in any embedding program)."""
    import gc

    path = write(tmp_path / "t.jsonl", export(*SLOW))
    assert gc.isenabled()
    assert cli("trace", "show", TRACE, "--file", str(path), "-o", "table").exit_code == 0 and gc.isenabled()
    assert cli("trace", "show", TRACE, "--file", str(path), "-o", "json").exit_code == 0 and gc.isenabled()
    assert cli("trace", "show", "f" * 32, "--file", str(path)).exit_code == 3 and gc.isenabled()
    gc.disable()
    try:
        assert cli("trace", "show", TRACE, "--file", str(path)).exit_code == 0 and not gc.isenabled()
    finally:
        gc.enable()
