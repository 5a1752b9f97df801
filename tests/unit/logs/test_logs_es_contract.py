"""The Elasticsearch simulator speaks the client's wire contract and Elastic's spec, as 8.x and 9.x.

Every response the simulator sent while the real client loaded data, traced (PIT, search_after,
``_shard_doc``), grouped errors (terms aggregations) and hit the error paths is validated
against the published OpenAPI spec (``../shared/specs/elasticsearch/``).
"""

from __future__ import annotations

import base64

import pytest

from tests.conftest import require
from tests.fakes import es_openapi
from tests.fakes.elasticsearch_sim import VERSIONS, ElasticsearchSim
from tests.fakes.log_corpus import DAYS, ES_MAPPINGS, corpus, es_actions, window


@pytest.fixture(scope="module", params=VERSIONS)
def session(request):
    """A simulator with basic auth, loaded with the corpus through the real client."""
    require("elasticsearch")
    from elasticsearch import Elasticsearch, helpers

    with ElasticsearchSim(users={"reader": "s3cret"}, version=request.param) as sim:
        es = Elasticsearch(sim.url, basic_auth=("reader", "s3cret"), max_retries=0)
        days = corpus(noise=50)
        for day in DAYS:
            es.indices.create(index=f"logs-{day}", mappings=ES_MAPPINGS)
            helpers.bulk(es, es_actions(f"logs-{day}", days[day]), refresh=True)
        yield sim, es


def _exercise(sim, es):
    """Drive every endpoint and error the backends rely on through the real client."""
    from elasticsearch import ApiError, Elasticsearch

    from aiops.logs import open_backend

    backend = open_backend({"logs.url": sim.url, "logs.username": "reader",
                            "logs.password": "s3cret"}, backend="elasticsearch", page_size=4)
    start, end = window()
    with backend.trace("req-alpha", start, end) as trace:
        assert len(list(trace)) > 8
    backend.errors(start, end, top=3)
    es.info()
    es.indices.refresh(index="logs-*")
    failures = [
        lambda: Elasticsearch(sim.url, max_retries=0).info(),  # 401: no credentials
        lambda: es.field_caps(index="nope", fields=["x"]),  # 404 index_not_found
        lambda: es.search(index="logs-*", sort=[{"_id": "asc"}]),  # 400: _id sorting refused
        lambda: es.search(index="logs-*", sort=[{"_shard_doc": "asc"}]),  # 400: needs a PIT
        lambda: es.close_point_in_time(id="bm9wZQ"),  # 404: unknown PIT
        lambda: es.indices.create(index=f"logs-{DAYS[0]}"),  # 400: exists
    ]
    failures.append(lambda: sim.fail_next(429) or es.search(index="logs-*"))  # 429
    statuses = []
    for call in failures:
        with pytest.raises(ApiError) as info:
            call()
        statuses.append(info.value.meta.status)
    return statuses


def test_every_simulator_response_follows_the_published_spec(session):
    sim, es = session
    sim.responses.clear()
    assert _exercise(sim, es) == [401, 404, 400, 400, 404, 400, 429]
    seen = {(op, status >= 400) for op, status, _ in sim.responses}
    assert {("search", False), ("open_point_in_time", False), ("close_point_in_time", False),
            ("field_caps", False), ("info", False), ("refresh", False), ("error", True)} <= seen
    problems = [p for op, status, body in sim.responses
                for p in es_openapi.validate("search" if op == "error" else op, status, body)]
    assert problems == [], "\n".join(problems)


def test_bulk_and_index_creation_responses_follow_the_spec(session):
    sim, es = session
    from elasticsearch import helpers

    sim.responses.clear()
    es.indices.create(index="logs-contract", mappings={"properties": {"timestamp": {"type": "date"}}})
    ok, errors = helpers.bulk(es, [{"_index": "logs-contract", "_source": {"timestamp": "nope"}},
                                   {"_index": "logs-contract", "_source": {"timestamp": 1}}],
                              raise_on_error=False)
    assert ok == 1 and errors[0]["index"]["status"] == 400
    problems = [p for op, status, body in sim.responses for p in es_openapi.validate(op, status, body)]
    assert [op for op, _, _ in sim.responses] == ["indices.create", "bulk"] and problems == []


def test_aggregations_match_their_spec_types(session):
    sim, es = session
    body = es.search(index="logs-*", size=0, aggs={
        "loggers": {"terms": {"field": "logger", "size": 2},
                    "aggs": {"first": {"min": {"field": "timestamp"}},
                             "last": {"max": {"field": "timestamp"}}}}}).body
    loggers = body["aggregations"]["loggers"]
    assert es_openapi.validate_component("_types.aggregations.StringTermsAggregate", loggers) == []
    bucket = loggers["buckets"][0]
    assert es_openapi.validate_component("_types.aggregations.MinAggregate", bucket["first"]) == []
    assert bucket["first"]["value_as_string"].endswith("Z")
    assert loggers["sum_other_doc_count"] > 0  # size 2 of 3 loggers


def test_the_validator_rejects_bodies_that_break_the_spec(session):
    good = {"took": 1, "timed_out": False, "_shards": {"total": 1, "successful": 1, "failed": 0},
            "hits": {"hits": [{"_index": "a", "_id": "1", "sort": [1, "x"]}]}}
    assert es_openapi.validate("search", 200, good) == []
    assert es_openapi.validate("search", 200, {**good, "hits": {"hits": "nope"}})
    assert es_openapi.validate("search", 200, {k: v for k, v in good.items() if k != "took"})
    assert es_openapi.validate("search", 200, {**good, "pit": "misnamed pit_id"})
    assert es_openapi.validate("open_point_in_time", 200, {"pit_id": "x", "_shards": good["_shards"]})
    assert es_openapi.validate("search", 429, {"error": "string, not an ErrorCause", "status": 429})


def _get(sim, accept: str, content_type: str | None = None, body: bytes | None = None):
    import urllib.error
    import urllib.request

    headers = {"Accept": accept, "Authorization": "Basic " + base64.b64encode(b"reader:s3cret").decode()}
    if content_type:
        headers["Content-Type"] = content_type
    request = urllib.request.Request(sim.url + ("/logs-*/_search" if body else "/"), data=body,
                                     headers=headers)
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_wire_contract_headers(session):
    sim, es = session
    import json

    es.info()
    method, path, headers = sim.requests[-1]
    assert "compatible-with=8" in headers["Accept"]  # the 8.x client, which both servers speak
    media = "application/vnd.elasticsearch+json; compatible-with={}"
    for accepted in (sim.major, sim.major - 1):
        status, headers, _ = _get(sim, media.format(accepted))
        assert status == 200 and headers["X-Elastic-Product"] == "Elasticsearch"
        assert headers["Content-Type"] == f"application/vnd.elasticsearch+json;compatible-with={accepted}"
    for refused in (sim.major + 1, sim.major - 2):
        status, headers, body = _get(sim, media.format(refused))
        error = json.loads(body)
        assert status == 400 and error["error"]["type"] == "media_type_header_exception"
        assert error["error"]["caused_by"]["reason"] == (
            f"Accept version must be either version {sim.major} or {sim.major - 1}, but found "
            f"{refused}. Accept={media.format(refused)}")
        assert es_openapi.validate("search", 400, error) == []
    status, _, body = _get(sim, media.format(sim.major), media.format(sim.major - 1), b"{}")
    assert status == 400 and b"the compatible versions must match" in body
    assert _get(sim, "application/json", "application/json", b"{}")[0] == 200


def test_an_8x_server_refuses_the_9x_client_the_way_the_real_one_does():
    """The failure users of 8.x clusters saw: 400 'Accept version must be either version 8 or 7'."""
    with ElasticsearchSim(users={"reader": "s3cret"}, version="8.19.3") as sim:
        status, _, body = _get(sim, "application/vnd.elasticsearch+json; compatible-with=9",
                               "application/vnd.elasticsearch+json; compatible-with=9", b"{}")
    assert status == 400
    assert b"Accept version must be either version 8 or 7, but found 9" in body
