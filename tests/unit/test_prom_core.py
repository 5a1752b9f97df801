"""Prometheus/Alertmanager answers to aiops data and errors, without servers."""

from __future__ import annotations

import datetime as dt

import pytest

from aiops.core.errors import AuthError, ConfigError, UpstreamError, UsageError
from aiops.prometheus.alerts import merge, parse_ts, priority_of
from aiops.prometheus.client import api_error
from aiops.prometheus.http import Server, server_message, status_error
from aiops.prometheus.results import QueryResult, parse_result
from aiops.prometheus.silences import Silence, _matches, build_silence, parse_matcher

BAD = ('HTTP Status Code 400 (b\'{"status":"error","errorType":"bad_data","error":"invalid parameter '
       '\\\\"query\\\\": 1:10: parse error: missing unit character in duration"}\')')


def test_bad_data_is_a_usage_error_with_prometheus_own_message():
    exc = api_error("http://p:9090", BAD)
    assert isinstance(exc, UsageError)
    assert exc.message == ('Prometheus rejected the query (bad_data): invalid parameter "query": '
                           "1:10: parse error: missing unit character in duration")


@pytest.mark.parametrize("text,kind", [
    ('HTTP Status Code 422 (b\'{"status":"error","errorType":"execution","error":"many-to-many"}\')',
     UsageError),
    ('HTTP Status Code 503 (b\'{"status":"error","errorType":"timeout","error":"query timed out"}\')',
     UpstreamError),
    ("HTTP Status Code 502 (b'<html>Bad Gateway</html>')", UpstreamError),
    ("HTTP Status Code 401 (b'Unauthorized')", AuthError),
    ("HTTP Status Code 404 (b'404 page not found')", ConfigError),
])
def test_other_statuses(text, kind):
    assert type(api_error("http://p:9090", text)) is kind


def test_results_keep_their_type_and_no_data_is_not_zero():
    kind, series = parse_result([1700000000.5, "2"])
    assert kind == "scalar" and series[0].value == 2.0
    kind, series = parse_result([{"metric": {"__name__": "up", "job": "x"}, "value": [1.0, "0"]}])
    assert kind == "vector" and series[0].value == 0.0 and series[0].label_text() == 'up{job="x"}'
    kind, series = parse_result([{"metric": {}, "values": [[1.0, "1"], [2.0, "NaN"]]}])
    assert kind == "matrix" and len(series[0].samples) == 2
    empty = QueryResult("nothing", "vector", [])
    assert empty.no_data and empty.to_dict()["no_data"] is True
    zero = QueryResult("up", "vector", parse_result([{"metric": {}, "value": [1.0, "0"]}])[1])
    assert not zero.no_data and zero.to_dict()["series"][0]["value"] == 0.0


def test_values_json_cannot_hold_are_spelled_as_prometheus_does():
    kind, series = parse_result([{"metric": {}, "values": [[1.0, "NaN"], [2.0, "+Inf"], [3.0, "-Inf"], [4.0, "1.5"]]}])
    doc = QueryResult("x", kind, series).to_dict()
    assert [v for _, v in doc["series"][0]["values"]] == ["NaN", "+Inf", "-Inf", 1.5]


def test_alertmanager_and_prometheus_error_bodies():
    am = Server("Alertmanager", "http://am:9093", 1.0, setting="alertmanager.url")
    assert server_message('{"code":601,"message":"silenceID in path must be of type uuid"}') == \
        "silenceID in path must be of type uuid"
    assert server_message('"silence not found"') == "silence not found"
    assert isinstance(status_error(am, "/api/v2/silences", 400, '"bad matcher"'), UsageError)
    assert isinstance(status_error(am, "/api/v2/silences", 500, "boom"), UpstreamError)
    missing = status_error(am, "/api/v2/silence/x", 404, "", not_found="no silence x")
    assert isinstance(missing, UsageError) and missing.message == "no silence x"


def test_go_timestamps_and_priorities():
    ts = parse_ts("2026-11-28T01:59:38.285873047Z")
    assert ts == dt.datetime(2026, 11, 28, 1, 59, 38, 285873, tzinfo=dt.timezone.utc)
    assert parse_ts("0001-01-01T00:00:00Z") is None
    assert priority_of({"alertname": "X", "priority": "P3", "severity": "critical"}) == "P3"
    assert priority_of({"alertname": "MemoryLeak"}) == "P1"
    assert priority_of({"alertname": "Custom", "severity": "warning"}) == "P2"
    assert priority_of({"alertname": "Custom"}) is None


PROM = [{"labels": {"alertname": "LowModelAccuracy", "instance": "a", "severity": "warning"},
         "annotations": {"summary": "Model accuracy has dropped below threshold"},
         "state": "firing", "activeAt": "2026-01-28T10:00:00.5Z", "value": "5e-01"},
        {"labels": {"alertname": "HighErrorRate", "instance": "a", "severity": "critical"},
         "annotations": {}, "state": "pending", "activeAt": "2026-01-28T10:05:00Z", "value": "2e-01"}]
AM = [{"labels": {"alertname": "LowModelAccuracy", "instance": "a", "severity": "warning", "env": "x"},
       "annotations": {"summary": "Model accuracy has dropped below threshold"},
       "startsAt": "2026-01-28T10:00:01Z", "fingerprint": "f1",
       "status": {"state": "suppressed", "silencedBy": ["s-1"], "inhibitedBy": []}},
      {"labels": {"alertname": "OnlyInAM", "severity": "info"}, "annotations": {},
       "startsAt": "2026-01-28T09:00:00Z", "status": {"state": "active", "silencedBy": [],
                                                      "inhibitedBy": []}}]


def test_merge_joins_both_views_and_orders_by_priority():
    alerts = merge(PROM, AM)
    assert [(a.name, a.state, a.priority) for a in alerts] == [
        ("HighErrorRate", "pending", "P1"), ("LowModelAccuracy", "silenced", "P2"),
        ("OnlyInAM", "firing", "P3")]
    low = alerts[1]
    assert low.sources == ["prometheus", "alertmanager"] and low.silenced_by == ["s-1"]
    assert alerts[0].summary == "High error rate detected"  # from the runbook when unannotated


@pytest.mark.parametrize("text,op,value", [
    ("alertname=HighErrorRate", "=", "HighErrorRate"), ('instance!="lab-1:8000"', "!=", "lab-1:8000"),
    ("job=~'active-.*'", "=~", "active-.*"), ("severity !~ info|warning", "!~", "info|warning"),
])
def test_matchers(text, op, value):
    m = parse_matcher(text)
    assert (m.op, m.value) == (op, value)
    assert Silence.from_api({"matchers": [m.api()], "startsAt": None, "endsAt": None}).matchers[0] == m


def test_bad_matchers_and_missing_comment_or_author_are_usage_errors():
    for bad in ("no-operator", "=value", "x=~(unclosed"):
        with pytest.raises(UsageError, match="invalid matcher"):
            parse_matcher(bad)
    with pytest.raises(UsageError, match="--comment"):
        build_silence(["alertname=X"], duration="1h", comment="  ", author="me")
    with pytest.raises(UsageError, match="--author"):
        build_silence(["alertname=X"], duration="1h", comment="why", author=None)
    with pytest.raises(UsageError, match="non-empty"):
        build_silence(["alertname=~.*"], duration="1h", comment="why", author="me")
    with pytest.raises(UsageError, match="--duration"):
        build_silence(["alertname=X"], duration="forever", comment="why", author="me")


def test_silence_window_and_matching():
    now = dt.datetime(2026, 1, 28, 10, tzinfo=dt.timezone.utc)
    s = build_silence(["alertname=HighErrorRate", "instance=~lab-.*"], duration="90m",
                      comment="INC-1", author="alice", clock=lambda: now)
    assert s.ends_at - s.starts_at == dt.timedelta(minutes=90)
    assert s.api()["startsAt"] == "2026-01-28T10:00:00.000Z"
    assert _matches(s.matchers, {"alertname": "HighErrorRate", "instance": "lab-1"})
    assert not _matches(s.matchers, {"alertname": "HighErrorRate", "instance": "db-1"})


class _FakeLibrary:
    """Stands in for PrometheusConnect: answers by query text, or raises."""

    def __init__(self, answers):
        self.answers = answers

    def custom_query(self, query, params=None):
        answer = self.answers[query]
        if isinstance(answer, BaseException):
            raise answer
        return answer


def test_query_many_keeps_each_answer_or_error_apart():
    from prometheus_api_client import PrometheusApiClientException

    from aiops.prometheus.client import Client, query_many

    client = Client("http://p:9090", _FakeLibrary({
        "up": [{"metric": {"instance": "a"}, "value": [1.0, "1"]}],
        "nothing": [],
        "bad(": PrometheusApiClientException(
            'HTTP Status Code 400 (b\'{"status":"error","errorType":"bad_data","error":"parse error"}\')'),
    }), 1.0)
    results = query_many(client, {"u": "up", "n": "nothing", "b": "bad("}, workers=2)
    assert list(results) == ["u", "n", "b"]
    assert results["u"].series[0].value == 1.0 and results["n"].no_data
    assert isinstance(results["b"], UsageError) and "parse error" in results["b"].message


def test_query_many_reraises_a_bug_in_the_caller():
    from aiops.prometheus.client import Client, query_many

    client = Client("http://p:9090", _FakeLibrary({"up": RuntimeError("bug")}), 1.0)
    with pytest.raises(RuntimeError, match="bug"):
        query_many(client, {"u": "up"})


def _raised(outer: BaseException, cause: BaseException) -> BaseException:
    try:
        try:
            raise cause
        except BaseException as inner:
            raise outer from inner
    except BaseException as exc:
        return exc


def _call_raising(exc: BaseException) -> UpstreamError:
    from aiops.prometheus.client import Client, call

    def fail():
        raise exc

    with pytest.raises(UpstreamError) as info:
        call(Client("http://prom:9090", None, 3.0), fail)
    return info.value


@pytest.mark.parametrize("wrapper", ["ConnectTimeoutError", "NewConnectionError", "ProtocolError"])
def test_a_refused_connection_is_never_reported_as_a_timeout(wrapper):
    import urllib3
    from urllib3.exceptions import MaxRetryError

    conn = urllib3.connection.HTTPConnection("prom", 9090)
    refused = ConnectionRefusedError(111, "Connection refused")
    reason = _raised(getattr(urllib3.exceptions, wrapper)(
        *((conn, "Failed to establish a new connection") if wrapper != "ProtocolError" else ("aborted",))),
        refused)
    error = _call_raising(MaxRetryError(None, "/api/v1/query", reason=reason))
    assert error.message == "Prometheus at http://prom:9090: connection refused"
    assert error.exit_code == 5


def test_a_read_timeout_is_still_a_timeout():
    from urllib3.exceptions import MaxRetryError, ReadTimeoutError

    error = _call_raising(MaxRetryError(None, "/api/v1/query", reason=ReadTimeoutError(None, "/", "read timed out")))
    assert error.message == "Prometheus at http://prom:9090: timed out after 3s"


def test_refused_by_a_real_closed_port_says_so():
    from aiops.core.config import load
    from aiops.prometheus.client import connect, query
    from tests.conftest import free_port

    with connect(load(flags={"prometheus.url": f"http://127.0.0.1:{free_port()}"}), timeout=5) as client:
        with pytest.raises(UpstreamError, match="connection refused"):
            query(client, "up")
