"""Files a user hands aiops: config TOML, playbook YAML and log lines, as any bytes.

Every example goes through the parser the command uses and must end in a result or the typed
error that the CLI turns into its documented exit code (anything else is exit 1). One example in
four (at most a few dozen per test) also runs the real command in-process: exit 0 or the documented code with one ``error:``
line naming the file, never exit 1, never a traceback, nothing written beside the input.
"""

from __future__ import annotations

import gzip
import json
import os

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.fuzz.conftest import examples
from tests.fuzz.strategies import JSON, SCALARS, TEXT, body_of, nested

# hypothesis warns when a generated example is large to print (10 MB bodies are the point)
pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")

VALID_CONFIG = b"""timeout = 5
targets = ["http://127.0.0.1:8000"]
[prometheus]
url = "http://127.0.0.1:9090"
[logs]
backend = "file"
file = "app.jsonl"
[environments.prod]
targets = ["https://10.0.0.7:8000"]
"""
KEYS = ["timeout", "targets", "output", "env", "tls", "health", "prometheus", "logs", "pagerduty",
        "lab", "audit", "playbooks", "environments", "colour"]


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        text = repr(value)
        return {"nan": "nan", "inf": "inf", "-inf": "-inf"}.get(text, text)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {_toml_value(v)}" for k, v in value.items()) + "}"
    return '""'


TOML_DOCS = st.dictionaries(st.sampled_from(KEYS), JSON, max_size=6).map(
    lambda d: "\n".join(f"{k} = {_toml_value(v)}" for k, v in d.items()).encode("utf-8", "replace"))


@st.composite
def flipped(draw, data: bytes) -> bytes:
    """``data`` with a few bytes replaced, inserted or removed."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(out)))
        how = draw(st.sampled_from(["set", "insert", "delete"]))
        byte = draw(st.integers(0, 255))
        if how == "set" and i < len(out):
            out[i] = byte
        elif how == "insert":
            out.insert(i, byte)
        elif i < len(out):
            del out[i]
    return bytes(out)


def _one_error_line(stderr: str, *names: str) -> None:
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, stderr
    assert any(name in errors[0] for name in names), stderr


@examples(300)
@given(st.one_of(st.binary(max_size=600), TOML_DOCS, flipped(VALID_CONFIG),
                 st.integers(1, 4000).map(lambda n: b"targets = " + nested(n).encode())))
@example(b"# caf\xe9\n")
@example(b'targets = "http://x"')
@example(b"timeout = nan")
def test_config_files_of_any_bytes(cli, tmp_path, door, data):
    from aiops.core.config import load
    from aiops.core.errors import ConfigError

    door("config TOML (parser)")()
    (tmp_path / "aiops.toml").write_bytes(data)
    try:
        load(cwd=tmp_path, environ={}, user_file=tmp_path / "none.toml")
    except ConfigError as exc:
        assert "aiops.toml" in exc.message
    if not door.sample("config TOML (CLI)", data, one_in=4, cap=60):
        return
    before = sorted(os.listdir(tmp_path))
    result = cli("config", "show", "-o", "json")
    assert "Traceback" not in result.stderr
    assert result.exit_code in (0, 2), (result.exit_code, result.stderr)
    if result.exit_code == 2:
        _one_error_line(result.stderr, "aiops.toml")
    else:
        assert json.loads(result.stdout)["files"]
    assert sorted(os.listdir(tmp_path)) == before


VALID_PLAYBOOK = b"""name: high-error-rate
title: High error rate
severity: critical
alerts: [HighErrorRate]
steps:
  - name: Check health
    action: health.check
    expect:
      verdict: == healthy
  - name: Look at the dashboards
    manual: Open the error rate panel
"""


@st.composite
def yaml_docs(draw) -> bytes:
    import yaml

    value = draw(st.one_of(JSON, st.fixed_dictionaries({
        "name": TEXT, "title": TEXT, "severity": SCALARS, "alerts": JSON,
        "steps": st.lists(st.dictionaries(st.sampled_from(["name", "action", "params", "expect",
                                                           "manual", "timeout"]), JSON,
                                          max_size=4), max_size=4)})))
    return yaml.safe_dump(value, allow_unicode=True).encode("utf-8", "replace")


ALIAS_BOMB = ('a: &a ["x","x","x","x","x","x","x","x","x"]\n' + "".join(
    f"{n}: &{n} [{','.join(['*' + p] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi"))).encode()


@examples(200)
@given(st.one_of(st.binary(max_size=600), yaml_docs(), flipped(VALID_PLAYBOOK),
                 st.integers(1, 3000).map(lambda n: b"steps: " + nested(n).encode())))
@example(ALIAS_BOMB)
@example(b"steps: &x [*x]\n")
@example(b"name: \xff\xfe")
@example(VALID_PLAYBOOK)
def test_playbooks_of_any_bytes(cli, tmp_path, door, data):
    from aiops.playbooks.library import check_file

    door("playbooks YAML (parser)")()
    path = tmp_path / "custom.yaml"
    path.write_bytes(data)
    playbook, problems = check_file(path)
    assert (playbook is None) == bool(problems) and all(p.file == str(path) for p in problems)
    if not door.sample("playbooks YAML (CLI)", data, one_in=4, cap=50):
        return
    before = sorted(os.listdir(tmp_path))
    result = cli("playbook", "validate", str(path), "-o", "json")
    assert "Traceback" not in result.stderr
    assert result.exit_code in (0, 2), (result.exit_code, result.stderr)
    doc = json.loads(result.stdout)
    assert doc["files"][0]["ok"] == (result.exit_code == 0)
    if result.exit_code == 2:
        assert "custom.yaml" in result.stderr
    assert sorted(os.listdir(tmp_path)) == before


RECORD_FIELDS = st.fixed_dictionaries({}, optional={
    "timestamp": st.one_of(st.just("2026-01-28T10:00:00Z"), SCALARS, JSON),
    "level": st.one_of(st.sampled_from(["INFO", "ERROR", "FATAL", "error"]), SCALARS),
    "logger": st.one_of(st.just("active_inference.core"), SCALARS),
    "message": st.one_of(TEXT, JSON),
    "correlation_id": st.one_of(st.just("req-1"), SCALARS, JSON),
    "duration_ms": SCALARS, "context": JSON})
LINES = st.lists(st.one_of(
    RECORD_FIELDS.map(lambda r: json.dumps(r, allow_nan=True).encode("utf-8", "surrogatepass")),
    st.binary(max_size=200).filter(lambda b: b"\n" not in b),
    st.just(b'{"correlation_id": "req-1", "timestamp": "2026-01-28T10:00:00Z", "message": "' +
            b"x" * 300_000 + b'"}'),
    st.integers(1, 3000).map(lambda n: b'{"correlation_id": "req-1", "context": ' +
                             nested(n).encode() + b"}"),
), max_size=12)


@examples(150)
@given(LINES, st.sampled_from(["plain", "gzip", "corrupt gzip"]), st.sampled_from(["req-1", "*", "a\"b"]))
def test_log_lines_of_any_bytes_and_length(cli, tmp_path, door, lines, kind, cid):
    import datetime as dt

    from aiops.core.errors import UsageError
    from aiops.logs.files import FileBackend

    door("log lines (parser)")()
    data = b"\n".join(lines)
    name = "app.jsonl" if kind == "plain" else "app.jsonl.gz"
    payload = gzip.compress(data) if kind == "gzip" else data if kind == "plain" else b"\x1f\x8b" + data
    (tmp_path / name).write_bytes(payload)
    backend = FileBackend(str(tmp_path / name))
    start, end = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc), dt.datetime(2100, 1, 1, tzinfo=dt.timezone.utc)
    try:
        with backend.trace(cid, start, end) as trace:
            rendered = [json.dumps(e.to_dict(), default=str) for e in trace]
        assert len(rendered) == trace.summary.records
        json.dumps(backend.errors(start, end).to_dict(), default=str)
    except UsageError as exc:
        assert kind == "corrupt gzip" and name in exc.message
    if not door.sample("log lines (CLI)", data, one_in=4, cap=40):
        return
    window = ("--since", "2000-01-01T00:00:00Z", "--until", "2100-01-01T00:00:00Z")
    for args in (("logs", "trace", cid), ("logs", "errors")):
        result = cli(*args, "--file", str(tmp_path / name), *window, "-o", "json")
        assert "Traceback" not in result.stderr
        expected = (0, 2) if kind == "corrupt gzip" else (0,)
        assert result.exit_code in expected, (args, result.exit_code, result.stderr)
        if result.exit_code == 0:
            json.loads(result.stdout)
        else:
            _one_error_line(result.stderr, name)


TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
SPAN = st.fixed_dictionaries(
    {"traceId": st.one_of(st.just(TRACE_ID), SCALARS),
     "spanId": st.one_of(st.just("00f067aa0ba902b7"), st.just("b7ad6b7169203331"), SCALARS),
     "startTimeUnixNano": st.one_of(st.just("1769594400000000000"), SCALARS, JSON),
     "endTimeUnixNano": st.one_of(st.just("1769594400500000000"), SCALARS, JSON)},
    optional={"parentSpanId": st.one_of(st.just("00f067aa0ba902b7"), SCALARS), "name": st.one_of(TEXT, JSON),
              "attributes": JSON, "status": JSON, "kind": JSON})
TRACE_LINES = st.lists(st.one_of(
    st.lists(st.one_of(SPAN, JSON), max_size=4).map(lambda spans: json.dumps(
        {"resourceSpans": [{"resource": {}, "scopeSpans": [{"spans": spans}]}]},
        allow_nan=True).encode("utf-8", "surrogatepass")),
    JSON.map(lambda v: json.dumps(v, allow_nan=True).encode("utf-8", "surrogatepass")),
    st.binary(max_size=200).filter(lambda b: b"\n" not in b),
    st.integers(1, 3000).map(lambda n: f'{{"resourceSpans": {nested(n)}, "t": "{TRACE_ID}"}}'.encode()),
), max_size=8)


@examples(100)
@given(TRACE_LINES, st.sampled_from(["plain", "gzip", "corrupt gzip"]))
def test_trace_files_of_any_bytes(cli, tmp_path, door, lines, kind):
    import datetime as dt

    from aiops.core.errors import CheckFailed
    from aiops.tracing import search, show
    from aiops.tracing.files import FileSource

    door("trace files (reader)")()
    data = b"\n".join(lines)
    name = "spans.jsonl" if kind == "plain" else "spans.jsonl.gz"
    (tmp_path / name).write_bytes(gzip.compress(data) if kind == "gzip" else
                                  data if kind == "plain" else b"\x1f\x8b" + data)
    source = FileSource(str(tmp_path / name))
    start, end = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc), dt.datetime(2100, 1, 1, tzinfo=dt.timezone.utc)
    try:
        json.dumps(show(source, TRACE_ID).to_dict())
    except CheckFailed:
        pass  # no span of that trace survived: exit 3, named
    json.dumps(search(source, start, end).to_dict())
    if not door.sample("trace files (CLI)", data, one_in=4, cap=25):
        return
    for args in (("trace", "show", TRACE_ID), ("trace", "search")):
        result = cli(*args, "--file", str(tmp_path / name), "--since", "2000-01-01T00:00:00Z",
                     "--until", "2100-01-01T00:00:00Z", "-o", "json")
        assert "Traceback" not in result.stderr
        assert result.exit_code in (0, 3), (args, result.exit_code, result.stderr)
        if result.exit_code == 0:
            json.loads(result.stdout)
        else:
            _one_error_line(result.stderr, name)


@pytest.fixture(scope="module")
def exported_dashboard(tmp_path_factory) -> dict:
    """A real dashboard document, as ``aiops dashboards export`` writes it."""
    from aiops.dashboards.grafana import export

    out = tmp_path_factory.mktemp("dashboards")
    export(str(out))
    return json.loads((out / "aiops-main.json").read_text())


@examples(100)
@given(st.data())
@example(None)
def test_dashboard_files_of_any_bytes(cli, tmp_path, door, exported_dashboard, data):
    from aiops.dashboards.validate import validate_dir

    door("dashboard JSON (validate)")()
    body = nested(3000).encode() if data is None else data.draw(body_of(exported_dashboard))
    (tmp_path / "board.json").write_bytes(body)
    result = validate_dir(tmp_path)
    json.dumps(result.to_dict())
    assert result.exit_code() in (0, 3)
    if not door.sample("dashboard JSON (CLI)", body, one_in=4, cap=25):
        return
    before = sorted(os.listdir(tmp_path))
    run = cli("dashboards", "validate", str(tmp_path), "-o", "json")
    assert "Traceback" not in run.stderr
    assert run.exit_code == result.exit_code(), (run.exit_code, run.stderr)
    json.loads(run.stdout)
    assert sorted(os.listdir(tmp_path)) == before
