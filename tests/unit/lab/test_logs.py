"""The runbook's structured log format."""

from __future__ import annotations

import io
import json
import logging

from aiops.lab.logs import FIELDS, RunbookFormatter, configure, event, iso_utc


def _record(level=logging.INFO, name="active_inference.core", msg="Inference completed successfully", **extra):
    record = logging.LogRecord(name, level, __file__, 1, msg, None, None)
    record.created = 1738058400.25
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_a_record_has_exactly_the_runbook_fields():
    fmt = RunbookFormatter({"model_id": "model-x"})
    doc = json.loads(fmt.format(_record(correlation_id="req-12345", user_id="user-67890",
                                        duration_ms=150, context={"episode": 42, "step": 100,
                                                                  "accuracy": 0.95})))
    assert tuple(doc) == FIELDS
    assert doc == {"timestamp": "2025-01-28T10:00:00.250Z", "level": "INFO",
                   "logger": "active_inference.core", "message": "Inference completed successfully",
                   "correlation_id": "req-12345", "user_id": "user-67890", "model_id": "model-x",
                   "duration_ms": 150, "context": {"episode": 42, "step": 100, "accuracy": 0.95}}


def test_missing_fields_are_null_and_context_always_has_the_three_keys():
    doc = RunbookFormatter().to_dict(_record(context={"status": 500}))
    assert doc["correlation_id"] is None and doc["duration_ms"] is None and doc["model_id"] is None
    assert doc["user_id"] == "system"
    assert doc["context"] == {"episode": None, "step": None, "accuracy": None, "status": 500}


def test_levels_are_the_runbooks_and_nan_is_null():
    fmt = RunbookFormatter()
    assert fmt.to_dict(_record(logging.WARNING))["level"] == "WARN"
    assert fmt.to_dict(_record(logging.CRITICAL))["level"] == "FATAL"
    assert fmt.to_dict(_record(logging.DEBUG))["level"] == "DEBUG"
    line = fmt.format(_record(context={"accuracy": float("nan")}))
    assert json.loads(line)["context"]["accuracy"] is None  # strict JSON, no NaN


def test_exceptions_become_one_line_in_context():
    try:
        raise ValueError("bad thing")
    except ValueError as exc:
        record = _record(logging.ERROR)
        record.exc_info = (type(exc), exc, exc.__traceback__)
    doc = RunbookFormatter().to_dict(record)
    assert doc["context"]["error"] == "ValueError: bad thing"


def test_iso_utc():
    assert iso_utc(0) == "1970-01-01T00:00:00.000Z"


def test_configure_writes_json_lines_from_a_background_thread(tmp_path):
    path = tmp_path / "lab.log"
    setup = configure(log_file=str(path), defaults={"model_id": "model-t"})
    try:
        log = logging.getLogger("active_inference.test")
        event(log, logging.INFO, "hello", correlation_id="c-1", user_id="u", duration_ms=1.23456,
              episode=3, step=4, accuracy=0.5, extra_key="x")
        event(log, logging.DEBUG, "hidden at info level")
    finally:
        setup.close()
    docs = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(docs) == 1
    assert docs[0]["message"] == "hello" and docs[0]["duration_ms"] == 1.235
    assert docs[0]["context"] == {"episode": 3, "step": 4, "accuracy": 0.5, "extra_key": "x"}
    assert docs[0]["model_id"] == "model-t"
    assert not logging.getLogger("active_inference").handlers  # close() removed them


def test_configure_to_a_stream_waits_for_start():
    stream = io.StringIO()
    setup = configure(stream=stream, start=False)
    try:
        event(logging.getLogger("active_inference.test"), logging.WARNING, "queued")
        assert stream.getvalue() == ""
        setup.listener.start()
    finally:
        setup.close()
    assert json.loads(stream.getvalue())["level"] == "WARN"
