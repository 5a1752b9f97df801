"""``aiops logs trace`` / ``aiops logs errors`` from the command line, over log files."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest

from tests.fakes.log_corpus import T0, bulk_records, invalid_lines, record, write_jsonl

WIN = ["--since", "2026-01-27T00:00:00Z", "--until", "2026-02-01T00:00:00Z"]


@pytest.fixture
def logfile(tmp_path):
    records = [record(T0 + dt.timedelta(milliseconds=250 * i), "req-7" if i % 2 else "req-8",
                      ("INFO", "ERROR", "WARN", "FATAL")[i % 4], f"svc.{i % 3}",
                      "boom [x]" if i % 4 == 1 else "step done", i) for i in range(12)]
    return write_jsonl(tmp_path / "app.jsonl", records, extra=invalid_lines(["req-7"]))


def test_trace_json_is_one_streamed_document(cli, logfile):
    result = cli("logs", "trace", "req-7", "--file", str(logfile), *WIN, "-o", "json")
    assert result.exit_code == 0, result.stderr
    doc = result.json()
    assert doc["schema"] == "aiops.logs.trace/v1" and doc["backend"] == "file"
    assert [r["offset_ms"] for r in doc["records"]] == [0.0, 500.0, 1000.0, 1500.0, 2000.0, 2500.0]
    assert doc["summary"]["by_level"] == {"ERROR": 3, "FATAL": 3}
    assert doc["summary"]["errors"][0]["message"] == "boom [x]"
    assert doc["window"] == {"start": "2026-01-27T00:00:00.000Z", "end": "2026-02-01T00:00:00.000Z"}
    assert "2 matching record(s) skipped: 2 not valid JSON" in result.stderr


def test_trace_json_equals_the_core_to_dict(cli, logfile):
    from aiops.core.timewindow import parse_window
    from aiops.logs import open_backend

    result = cli("logs", "trace", "req-7", "--file", str(logfile), *WIN, "-o", "json")
    with open_backend(file=str(logfile)).trace("req-7", *parse_window(WIN[1], WIN[3])) as trace:
        assert result.json() == json.loads(json.dumps(trace.to_dict()))


def test_trace_table_streams_lines_and_highlights_errors(cli, logfile):
    result = cli("logs", "trace", "req-7", "--file", str(logfile), *WIN, "-o", "table")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("correlation ID req-7 in ")
    assert "2026-01-28T10:00:00.250Z" in lines[1] and "+0.000s" in lines[1] and "ERROR" in lines[1]
    assert "boom [x]" in lines[1]
    assert "6 record(s) from 2026-01-28T10:00:00.250Z" in result.stdout
    assert "1x svc.1: boom [x]" in result.stdout


def test_no_records_exit_0_and_3_with_require(cli, logfile):
    plain = cli("logs", "trace", "req-nobody", "--file", str(logfile), *WIN, "-o", "json")
    assert plain.exit_code == 0 and plain.json()["records"] == []
    assert "no records for correlation ID 'req-nobody'" in plain.stderr
    required = cli("logs", "trace", "req-nobody", "--file", str(logfile), *WIN, "--require")
    assert required.exit_code == 3 and "error: no records" in required.stderr


def test_limit_is_reported(cli, tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", bulk_records(30, "c"))
    result = cli("logs", "trace", "c", "--file", str(path), *WIN, "--limit", "5", "-o", "json")
    assert len(result.json()["records"]) == 5 and result.json()["summary"]["truncated"]
    assert "stopped after 5 records" in result.stderr


def test_errors_table_and_json(cli, logfile):
    result = cli("logs", "errors", "--file", str(logfile), *WIN, "--top", "2", "-o", "json")
    assert result.exit_code == 0, result.stderr
    doc = result.json()
    assert doc["schema"] == "aiops.logs.errors/v1" and doc["total"] == 6
    assert [(g["logger"], g["message"], g["count"]) for g in doc["groups"]] == \
        [("svc.0", "boom [x]", 1), ("svc.0", "step done", 1)]  # ties: by logger, then message
    assert doc["other"] == 4
    table = cli("logs", "errors", "--file", str(logfile), *WIN, "-o", "table")
    assert "6 error record(s)" in table.stdout and "boom [x]" in table.stdout


def test_errors_defaults_to_the_last_15_minutes(cli, tmp_path):
    now = dt.datetime.now(dt.timezone.utc)
    path = write_jsonl(tmp_path / "a.jsonl", [
        record(now - dt.timedelta(minutes=5), "fresh", "ERROR", "l", "recent", 1),
        record(now - dt.timedelta(minutes=50), "old", "ERROR", "l", "old", 2)])
    doc = cli("logs", "errors", "--file", str(path), "-o", "json").json()
    assert [g["message"] for g in doc["groups"]] == ["recent"]


@pytest.mark.parametrize("args, code, text", [
    (["--file", "x.jsonl", "--backend", "opensearch"], 2, "cannot be combined with --backend"),
    (["--backend", "elasticsearch"], 2, "no elasticsearch URL configured"),
    (["--backend", "file"], 2, "no log file given"),
    (["--backend", "solr"], 2, "unknown log backend 'solr'"),
    (["--url", "ftp://x", "--backend", "opensearch"], 2, "scheme must be http or https"),
    (["--since", "yesterday"], 2, "invalid --since"),
])
def test_bad_input_is_one_line(cli, args, code, text):
    result = cli("logs", "trace", "req-1", *args)
    assert result.exit_code == code and text in result.stderr
    assert "Traceback" not in result.stderr


def test_the_file_backend_comes_from_config(cli, logfile, tmp_path):
    (tmp_path / "aiops.toml").write_text(f'[logs]\nbackend = "file"\nfile = "{logfile}"\n')
    result = cli("logs", "trace", "req-8", *WIN, "-o", "json")
    assert result.exit_code == 0 and len(result.json()["records"]) == 6


def test_importing_the_cli_loads_no_client_library():
    code = ("import sys, aiops.cli.logs, aiops.logs, aiops.logs.files; "
            "print(sorted(m for m in ('elasticsearch', 'opensearchpy', 'elastic_transport', "
            "'aiohttp', 'rich') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
