"""The file backend: exact IDs, order across files, windows, bad lines, errors grouping."""

from __future__ import annotations

import datetime as dt
import json
import tracemalloc

import pytest

from aiops.core.errors import UsageError
from aiops.logs import open_backend
from aiops.logs.files import FileBackend
from tests.fakes.log_corpus import T0, TRICKY_IDS, bulk_records, record, write_jsonl

UTC = dt.timezone.utc
WINDOW = (T0 - dt.timedelta(days=1), T0 + dt.timedelta(days=3))


def _trace(backend, cid, window=WINDOW, **kw):
    with backend.trace(cid, *window, **kw) as trace:
        return [e.to_dict() for e in trace], trace.summary


@pytest.mark.parametrize("cid", TRICKY_IDS)
@pytest.mark.parametrize("ensure_ascii", [True, False])
def test_an_id_matches_only_itself(tmp_path, cid, ensure_ascii):
    ids = list(TRICKY_IDS)
    records = [record(T0 + dt.timedelta(seconds=i), ids[i % len(ids)], "INFO", "l", "m", i)
               for i in range(len(ids) * 3)]
    path = write_jsonl(tmp_path / "a.jsonl", records, ensure_ascii=ensure_ascii)
    entries, summary = _trace(FileBackend(str(path)), cid)
    assert summary.records == 3
    assert [e["context"]["seq"] for e in entries] == [i for i, r in enumerate(records)
                                                      if r["correlation_id"] == cid]


def test_order_is_time_then_file_then_position_across_a_glob(tmp_path):
    same = T0 + dt.timedelta(seconds=5)
    write_jsonl(tmp_path / "b.jsonl", [record(same, "c", "INFO", "l", "m", 3),
                                       record(T0, "c", "INFO", "l", "m", 1)])
    write_jsonl(tmp_path / "a.jsonl.gz", [record(same, "c", "INFO", "l", "m", 2),
                                          record(T0 + dt.timedelta(seconds=9), "c", "INFO", "l", "m", 4)],
                compress=True)
    entries, summary = _trace(FileBackend(str(tmp_path / "*.jsonl*")), "c")
    assert [e["context"]["seq"] for e in entries] == [1, 2, 3, 4]
    assert entries[1]["location"].endswith("a.jsonl.gz@0")
    assert summary.span_ms == 9000.0


def test_window_bounds_are_inclusive_and_outside_records_are_dropped(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", [record(T0 + dt.timedelta(minutes=m), "c", "INFO", "l",
                                                     "m", m) for m in range(10)])
    entries, _ = _trace(FileBackend(str(path)), "c",
                        (T0 + dt.timedelta(minutes=2), T0 + dt.timedelta(minutes=4)))
    assert [e["context"]["seq"] for e in entries] == [2, 3, 4]


def test_bad_lines_are_counted_not_fatal(tmp_path):
    good = [record(T0, "req-1", "INFO", "l", "m", 1), record(None, "req-1", "INFO", "l", "m", 2),
            record("not a time", "req-1", "INFO", "l", "m", 3), record(T0, "req-2", "INFO", "l", "m", 4)]
    path = write_jsonl(tmp_path / "a.jsonl", good, extra=[b'{"correlation_id": "req-1", "tim',
                                                           b'["req-1"]', b"plain text req-2",
                                                           b'"req-1" said hello'])
    entries, summary = _trace(FileBackend(str(path)), "req-1")
    assert [e["context"]["seq"] for e in entries] == [1]
    assert summary.skipped.to_dict() == {"invalid_json": 3, "missing_fields": 2}


def test_limit_stops_early(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", bulk_records(50, "c"))
    entries, summary = _trace(FileBackend(str(path)), "c", limit=7)
    assert len(entries) == 7 and summary.truncated and summary.records == 7


def test_missing_files_are_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="no file matches"):
        FileBackend(str(tmp_path / "*.jsonl")).paths()
    with pytest.raises(UsageError, match="no such file"):
        open_backend(file=str(tmp_path / "nope.jsonl")).trace("c", *WINDOW)


def test_errors_group_by_logger_and_message_with_samples(tmp_path):
    rows = [("a", "boom", "ERROR", "id-1"), ("a", "boom", "FATAL", "id-2"), ("a", "boom", "error", "id-2"),
            ("b", "boom", "ERROR", "id-3"), ("a", "other", "ERROR", "id-1"), ("a", "fine", "INFO", "id-1"),
            ("a", "boom", "Warn", "id-9"), (None, "no logger", "ERROR", "id-4")]
    records = [record(T0 + dt.timedelta(seconds=i), cid, level, logger, msg, i)
               for i, (logger, msg, level, cid) in enumerate(rows)]
    records.append(record(None, "id-5", "ERROR", "a", "boom", 99))
    path = write_jsonl(tmp_path / "a.jsonl", records, extra=[b'{"level": "ERROR", "broken'])
    report = FileBackend(str(path)).errors(*WINDOW, top=2)
    d = report.to_dict()
    assert d["total"] == 6 and d["other"] == 2
    first = d["groups"][0]
    assert (first["logger"], first["message"], first["count"]) == ("a", "boom", 3)
    assert first["levels"] == {"ERROR": 2, "FATAL": 1}
    assert first["sample_correlation_ids"] == ["id-2", "id-1"]
    assert first["first_seen"] == "2026-01-28T10:00:00.000Z"
    assert first["last_seen"] == "2026-01-28T10:00:02.000Z"
    assert (d["groups"][1]["logger"], d["groups"][1]["message"]) == ("a", "other")
    assert d["skipped"] == {"invalid_json": 1, "missing_fields": 1}


def _peak_tracing(tmp_path, n: int) -> tuple[int, int]:
    path = write_jsonl(tmp_path / f"big{n}.jsonl", bulk_records(n, "req-big", noise_every=3))
    backend = FileBackend(str(path), tmpdir=str(tmp_path))
    tracemalloc.start()
    try:
        count = 0
        with backend.trace("req-big", *WINDOW) as trace:
            for entry in trace:
                count += entry.context["seq"] >= 0
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert trace.summary.records == n and json.dumps(trace.summary.to_dict())
    return count, peak


def test_memory_does_not_grow_with_the_number_of_records(tmp_path, monkeypatch):
    from aiops.logs import scan, sorting

    monkeypatch.setattr(sorting, "RUN", 1000)  # small sort runs, so 4x the records spill 4x
    monkeypatch.setattr(scan, "SEGMENT", 256 * 1024)
    small, large = _peak_tracing(tmp_path, 4000), _peak_tracing(tmp_path, 16000)
    assert (small[0], large[0]) == (4000, 16000)
    assert large[1] < small[1] * 1.5, f"peak {small[1]} -> {large[1]} bytes"


def test_an_existing_file_with_glob_characters_is_read_literally(tmp_path, cli):
    weird = write_jsonl(tmp_path / "we[ir]d*.jsonl", [record(T0, "c", "INFO", "l", "m", 1)])
    write_jsonl(tmp_path / "wid.jsonl", [record(T0, "c", "INFO", "l", "m", 2)])  # the glob's match
    assert FileBackend(str(weird)).paths() == [str(weird)]
    assert FileBackend(str(tmp_path / "w[ie]d.jsonl")).paths() == [str(tmp_path / "wid.jsonl")]
    result = cli("logs", "trace", "c", "--file", str(weird), "--since", "2026-01-01T00:00:00Z",
                 "--until", "2026-03-01T00:00:00Z", "-o", "json")
    assert result.exit_code == 0, result.stderr
    assert [r["context"]["seq"] for r in result.json()["records"]] == [1]
