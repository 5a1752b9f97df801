"""The cluster backend's logic with a scripted client: queries, paging, retries, errors."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from aiops.core.errors import AuthError, ConfigError, UpstreamError, UsageError
from aiops.logs import query as q
from aiops.logs.cluster import ClusterBackend, Failure, backoff_delay

UTC = dt.timezone.utc
START, END = dt.datetime(2026, 1, 28, tzinfo=UTC), dt.datetime(2026, 1, 29, tzinfo=UTC)
CAPS = {"indices": ["logs-a", "logs-b"], "fields": {
    "timestamp": {"date": {"type": "date"}},
    "correlation_id": {"text": {"type": "text"}}, "correlation_id.keyword": {"keyword": {"type": "keyword"}},
    "level": {"keyword": {"type": "keyword"}}, "logger": {"keyword": {"type": "keyword"}},
    "message": {"text": {"type": "text"}}, "message.keyword": {"keyword": {"type": "keyword"}}}}


class ApiFailure(Exception):
    def __init__(self, status, error_type="", reason="", resource=None):
        super().__init__(reason)
        self.failure = Failure(status, error_type, reason, resource)


class FakeClient:
    """Serves ``docs`` (already in sort order) page by page; records every call."""

    name, product, url = "elasticsearch", "Elasticsearch", "http://es.test:9200"
    tiebreak = [{"_shard_doc": {"order": "asc"}}]

    def __init__(self, docs=(), caps=CAPS, fail=None):
        self.docs, self.caps, self.fail = list(docs), caps, dict(fail or {})
        self.calls, self.open, self.index_bodies = [], set(), []

    def _maybe_fail(self, op):
        self.calls.append(op)
        queue = self.fail.get(op)
        if queue:
            item = queue.pop(0)  # None: this call succeeds
            if item is not None:
                raise item

    def field_caps(self, index, fields):
        self._maybe_fail("field_caps")
        return self.caps

    def open_pit(self, index, keep_alive):
        self._maybe_fail("open_pit")
        self.open.add("pit-1")
        return "pit-1"

    def search(self, body):
        self._maybe_fail("search")
        assert body["pit"]["id"] in self.open
        after = body.get("search_after", [-1])[0]
        page = [d for d in self.docs if d["sort"][0] > after][:body["size"]]
        self.last_body = body
        return {"hits": {"hits": page}, "pit_id": "pit-1"}

    def search_index(self, index, body):
        self._maybe_fail("search_index")
        self.index_bodies.append(body)
        return {"hits": {"total": {"value": 2, "relation": "eq"}}, "aggregations": {}}

    def close_pit(self, pit_id):
        self.calls.append("close_pit")
        self.open.discard(pit_id)

    def failure(self, exc):
        return getattr(exc, "failure", None)


def _docs(n, cid="req-1", other_every=0):
    out = []
    for i in range(n):
        source = {"timestamp": f"2026-01-28T10:00:00.{i % 1000:03d}Z", "level": "INFO",
                  "correlation_id": cid if not other_every or i % other_every else cid + " x",
                  "context": {"seq": i}}
        out.append({"_index": "logs-a", "_source": source, "sort": [i]})
    return out


def _backend(client, **kw):
    kw.setdefault("sleep", lambda s: None)
    return ClusterBackend(client, "logs-*", page_size=10, **kw)


def test_pages_through_everything_once_and_closes_the_pit():
    client = FakeClient(_docs(35, other_every=7))
    with _backend(client).trace("req-1", START, END) as trace:
        seqs = [e.context["seq"] for e in trace]
    assert seqs == [i for i in range(35) if i % 7]  # text-field false positives are dropped
    assert client.calls.count("search") == 4 and client.open == set()


def test_the_id_is_only_ever_a_term_value():
    cid = 'we"ird id*?\\:x'
    client = FakeClient(_docs(3, cid))
    with _backend(client).trace(cid, START, END) as trace:
        assert len(list(trace)) == 3
    body = json.dumps(client.last_body)
    assert "query_string" not in body and "wildcard" not in body
    assert client.last_body["query"]["bool"]["filter"][0] == {"bool": {"should": [
        {"term": {"correlation_id.keyword": {"value": cid}}}], "minimum_should_match": 1}}
    assert client.last_body["sort"] == [{"timestamp": {"order": "asc"}},
                                        {"_shard_doc": {"order": "asc"}}]


def test_pit_is_closed_when_the_consumer_stops_early_or_a_page_fails():
    client = FakeClient(_docs(35))
    with _backend(client).trace("req-1", START, END) as trace:
        next(iter(trace))
    assert client.open == set()
    failing = FakeClient(_docs(35), fail={"search": [None, ApiFailure(500, "x")]})
    with pytest.raises(UpstreamError, match="500 x"):
        with _backend(failing).trace("req-1", START, END) as trace:
            list(trace)
    assert failing.open == set() and failing.calls.count("search") == 2


def test_429_is_retried_with_growing_backoff_then_succeeds():
    delays = []
    client = FakeClient(_docs(3), fail={"open_pit": [ApiFailure(429, "es_rejected_execution_exception")
                                                     for _ in range(3)]})
    backend = _backend(client, sleep=delays.append, rand=lambda a, b: b)
    with backend.trace("req-1", START, END) as trace:
        assert len(list(trace)) == 3
    assert delays == [0.5, 1.0, 2.0]


def test_429_retries_are_bounded():
    delays = []
    client = FakeClient(_docs(3), fail={"field_caps": [ApiFailure(429, "es_rejected_execution_exception")
                                                       for _ in range(10)]})
    with pytest.raises(UpstreamError, match="429 es_rejected_execution_exception after 5 attempts"):
        _backend(client, sleep=delays.append, retries=4).trace("req-1", START, END)
    assert len(delays) == 4 and client.calls.count("field_caps") == 5


def test_backoff_is_capped_and_jittered():
    assert backoff_delay(0, rand=lambda a, b: a) == 0.25
    assert backoff_delay(10, rand=lambda a, b: b) == 8.0


@pytest.mark.parametrize("failure, error, text", [
    (ApiFailure(401, "security_exception"), AuthError, "rejected the credentials"),
    (ApiFailure(403, "security_exception"), AuthError, "denied reading 'logs-*'"),
    (ApiFailure(404, "index_not_found_exception", "no such index [logs-x]", "logs-x"), ConfigError,
     "index 'logs-x' does not exist on http://es.test:9200"),
    (ApiFailure(400, "parsing_exception", "unknown query [x]"), UpstreamError, "unknown query"),
    (ApiFailure(400, "media_type_header_exception"), UsageError, "refuses Elasticsearch requests"),
    (ApiFailure(406, ""), UsageError, "refuses Elasticsearch requests"),
])
def test_failures_map_to_exit_codes(failure, error, text):
    with pytest.raises(error, match=text.replace("[", r"\[").replace("*", r"\*")):
        _backend(FakeClient(fail={"field_caps": [failure]})).trace("req-1", START, END)


def test_unreachable_and_timeout_hint_at_files():
    gone = ApiFailure(None, reason="connection refused")
    with pytest.raises(UpstreamError, match="cannot reach Elasticsearch") as info:
        _backend(FakeClient(fail={"field_caps": [gone]})).trace("req-1", START, END)
    assert "--file" in info.value.hint
    slow = ApiFailure(None)
    slow.failure.timeout = True
    with pytest.raises(UpstreamError, match="within 2s"):
        _backend(FakeClient(fail={"field_caps": [slow]}), timeout=2).trace("req-1", START, END)


def test_empty_pattern_and_missing_timestamp_are_config_errors():
    with pytest.raises(ConfigError, match="no index matches 'logs-\\*'"):
        _backend(FakeClient(caps={"indices": [], "fields": {}})).trace("c", START, END)
    with pytest.raises(ConfigError, match="'timestamp' is mapped as keyword"):
        _backend(FakeClient(caps={"indices": ["a"], "fields": {
            "timestamp": {"keyword": {}}, "correlation_id": {"keyword": {}}}})).trace("c", START, END)
    with pytest.raises(UsageError):
        _backend(FakeClient()).trace("", START, END)


def test_agg_fields_prefer_keyword_and_refuse_mixed_mappings():
    assert q.agg_field(CAPS, "message", "logs-*") == "message.keyword"
    assert q.agg_field(CAPS, "logger", "logs-*") == "logger"
    assert q.agg_field(CAPS, "nothing", "logs-*") is None
    mixed = {"fields": {"logger": {"keyword": {}, "text": {}}}}
    with pytest.raises(ConfigError, match="keyword, text"):
        q.agg_field(mixed, "logger", "logs-*")


def test_errors_body_and_parsing():
    client = FakeClient()
    report = _backend(client).errors(START, END, top=3)
    body, count = client.index_bodies
    assert count["query"]["bool"]["must_not"] == [{"exists": {"field": "timestamp"}}]
    assert body["size"] == 0 and body["aggs"]["loggers"]["terms"]["field"] == "logger"
    assert body["aggs"]["loggers"]["aggs"]["messages"]["terms"] == {"field": "message.keyword",
                                                                    "size": 3}
    assert report.total == 2 and report.skipped.missing_fields == 2
    response = {"aggregations": {"loggers": {"buckets": [
        {"key": "b", "doc_count": 3, "messages": {"buckets": [
            {"key": "m", "doc_count": 3, "first": {"value": 1769594400000.0},
             "last": {"value": 1769594401000.0},
             "levels": {"buckets": [{"key": "ERROR", "doc_count": 2}, {"key": "error", "doc_count": 1}]},
             "ids": {"buckets": [{"key": "id-1", "doc_count": 2}]}}]}},
        {"key": "a", "doc_count": 3, "messages": {"buckets": [
            {"key": "m", "doc_count": 3, "first": {"value": 0.0}, "last": {"value": 0.0},
             "levels": {"buckets": []}}]}}]}}}
    groups = q.parse_errors(response, 5)
    assert [(g.logger, g.levels) for g in groups] == [("a", {}), ("b", {"ERROR": 3})]
    assert groups[1].sample_correlation_ids == ["id-1"]
