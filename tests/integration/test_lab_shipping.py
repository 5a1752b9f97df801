"""Log shipping from a running lab: OpenSearch (osmem-server) and the Elasticsearch bulk API."""

from __future__ import annotations

import pytest

from tests.conftest import free_port, require
from tests.fakes.lab import lab  # noqa: F401 (fixture)


def test_logs_are_bulk_indexed_into_opensearch(lab, request):
    require("osmem_server")
    url = request.getfixturevalue("osmem_url")
    from opensearchpy import OpenSearch

    svc = lab(extra_args=("--ship-logs", "--ship-index", "logs-sim-lab-test"),
              env={"AIOPS_LOGS_BACKEND": "opensearch", "AIOPS_LOGS_URL": url})
    svc.post("/infer", {"observation": [0, 0, 1]}, headers={"X-Correlation-ID": "ship-me-1"})
    client = OpenSearch(hosts=[url])

    def shipped():
        if not client.indices.exists(index="logs-sim-lab-test"):
            return None
        client.indices.refresh(index="logs-sim-lab-test")
        hits = client.search(index="logs-sim-lab-test",
                             body={"query": {"match_phrase": {"correlation_id": "ship-me-1"}}})["hits"]["hits"]
        return hits

    hits = svc.wait_for(shipped, what="the record in OpenSearch")
    doc = hits[0]["_source"]
    assert doc["message"] == "Inference completed successfully" and doc["@timestamp"] == doc["timestamp"]
    assert doc["model_id"] == svc.info["model_id"]
    assert svc.get("/health")[1]["checks"]["dependencies"] == "ok"


@pytest.fixture
def es():
    from tests.fakes.elasticsearch_sim import ElasticsearchSim

    with ElasticsearchSim() as sim:
        yield sim


def test_logs_are_bulk_created_in_elasticsearch_and_traceable(lab, es, cli):
    svc = lab(extra_args=("--ship-logs",), env={"AIOPS_LOGS_BACKEND": "elasticsearch",
                                                 "AIOPS_LOGS_URL": es.url})
    svc.post("/infer", {"observation": [0, 0, 1]}, headers={"X-Correlation-ID": "ship-me-2"})

    def shipped():
        index = es.indices.get("logs-sim-lab")  # one name for an index or a data stream
        return index and next((d.source for d in index.docs if d.source["correlation_id"] == "ship-me-2"), None)

    doc = svc.wait_for(shipped, what="the record in Elasticsearch")
    assert doc["level"] == "INFO" and doc["@timestamp"] == doc["timestamp"]
    assert any(path.startswith("/_bulk") for _, path, _ in es.requests)
    trace = cli("logs", "trace", "ship-me-2", "--backend", "elasticsearch", "--url", es.url, "-o", "json")
    assert trace.exit_code == 0, trace.stderr
    assert "Inference completed successfully" in trace.stdout


def test_an_unreachable_log_store_degrades_health_but_not_service(lab):
    svc = lab(extra_args=("--ship-logs",), env={"AIOPS_LOGS_BACKEND": "opensearch",
                                                 "AIOPS_LOGS_URL": f"http://127.0.0.1:{free_port()}"})
    svc.wait_for(lambda: svc.get("/health")[1]["checks"]["dependencies"] == "degraded",
                 what="dependencies degraded")
    status, body = svc.get("/health")
    assert status == 200 and body["status"] == "degraded"
    assert any(p.startswith("log store:") for p in body["details"]["dependencies"])
    assert svc.post("/infer", {"observation": [0, 0, 0]})[0] == 200
    assert any("warning: shipping logs to" in line for line in svc.output)
