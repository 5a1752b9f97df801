"""Timestamps, timeline entries, the running summary and error ranking."""

from __future__ import annotations

import datetime as dt

import pytest

from aiops.logs.model import (ErrorGroup, TraceSummary, epoch_ms, iso, make_entry, parse_timestamp,
                              rank_groups)
from aiops.logs.timeline import Trace

UTC = dt.timezone.utc
T = dt.datetime(2026, 1, 28, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize("raw, expected", [
    ("2026-01-28T10:00:00Z", T),
    ("2026-01-28T12:00:00+02:00", T),
    ("2026-01-28T10:00:00", T),  # naive is UTC, as Elasticsearch reads it
    ("2026-01-28T10:00:00.250Z", T + dt.timedelta(milliseconds=250)),
    (1769594400000, T),
    ("1769594400000", T),
])
def test_parse_timestamp(raw, expected):
    assert parse_timestamp(raw) == expected


@pytest.mark.parametrize("raw", [None, "", "yesterday", True, {"a": 1}, "2026-13-01T00:00:00Z"])
def test_unusable_timestamps_are_none(raw):
    assert parse_timestamp(raw) is None


def test_epoch_ms_truncates_like_a_date_field():
    assert epoch_ms(T + dt.timedelta(microseconds=1999)) == epoch_ms(T) + 1
    assert iso(T + dt.timedelta(microseconds=1999)) == "2026-01-28T10:00:00.001Z"  # JSON's one precision
    assert iso(T) == "2026-01-28T10:00:00.000Z"


def test_entry_keeps_unknown_fields_and_normalises_level():
    source = {"timestamp": "x", "level": "error", "logger": "a.b", "message": "boom",
              "correlation_id": "c", "duration_ms": 12, "context": {"step": 1}, "user_id": "u-1"}
    entry = make_entry(source, T + dt.timedelta(milliseconds=1500), T, "f@0")
    assert entry.to_dict() == {"time": "2026-01-28T10:00:01.500Z", "offset_ms": 1500.0,
                               "level": "ERROR", "logger": "a.b", "message": "boom",
                               "duration_ms": 12, "context": {"step": 1},
                               "fields": {"user_id": "u-1"}, "location": "f@0"}
    assert entry.is_error and not entry.incomplete


def test_summary_counts_spans_and_error_messages():
    summary = TraceSummary()
    for i, (level, logger, message) in enumerate([("INFO", "a", "ok"), ("ERROR", "b", "bad"),
                                                  ("ERROR", "b", "bad"), (None, "a", "x"),
                                                  ("FATAL", None, "dead")]):
        summary.add(make_entry({"level": level, "logger": logger, "message": message},
                               T + dt.timedelta(seconds=i), T, None))
    d = summary.to_dict()
    assert d["records"] == 5 and d["span_ms"] == 4000.0
    assert d["by_level"] == {"(none)": 1, "ERROR": 2, "FATAL": 1, "INFO": 1}
    assert d["by_logger"] == {"(none)": 1, "a": 2, "b": 2}
    assert [(e["logger"], e["message"], e["count"]) for e in d["errors"]] == \
        [("b", "bad", 2), (None, "dead", 1)]
    assert d["incomplete"] == 2


def test_groups_rank_like_a_terms_aggregation():
    def group(logger, message, count):
        return ErrorGroup(logger, message, count, T, T, {"ERROR": count}, [])
    groups = [group("b", "x", 3), group("a", "y", 3), group("a", "x", 3), group("c", "z", 9)]
    assert [(g.logger, g.message) for g in rank_groups(groups, 3)] == [("c", "z"), ("a", "x"),
                                                                       ("a", "y")]


def test_trace_limit_truncates_and_closes_the_source():
    closed = []

    def records():
        try:
            for i in range(10):
                yield {"timestamp": f"2026-01-28T10:00:0{i}Z", "correlation_id": "c"}, None
        finally:
            closed.append(True)

    with Trace("c", backend="t", source="s", start=T, end=T, records=records(), limit=3) as trace:
        entries = list(trace)
    assert [e.offset_ms for e in entries] == [0.0, 1000.0, 2000.0]
    assert trace.summary.truncated and closed == [True]


def test_trace_is_known_empty_before_iteration():
    trace = Trace("c", backend="t", source="s", start=T, end=T, records=iter([]))
    assert trace.empty
    assert trace.to_dict()["records"] == []
