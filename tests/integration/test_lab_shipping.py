"""Log shipping from a running lab: OpenSearch (osmem-server) and the Elasticsearch bulk API."""

from __future__ import annotations

import asyncio
import json
import threading

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


class _FakeElasticsearch:
    """Just enough of Elasticsearch's bulk API (with its product header) to receive documents."""

    def __init__(self) -> None:
        from aiohttp import web

        self.docs: list[dict] = []
        self.port = free_port()
        app = web.Application()
        app.router.add_route("*", "/_bulk", self._bulk)
        self._runner = web.AppRunner(app)
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            self._loop.run_until_complete(self._runner.setup())
            self._loop.run_until_complete(web.TCPSite(self._runner, "127.0.0.1", self.port).start())
            ready.set()
            self._loop.run_forever()

        threading.Thread(target=run, daemon=True).start()
        ready.wait(10)

    async def _bulk(self, request):
        from aiohttp import web

        lines = [json.loads(line) for line in (await request.text()).splitlines() if line.strip()]
        items = []
        for action, doc in zip(lines[::2], lines[1::2]):
            op = next(iter(action))
            self.docs.append({"_op": op, "_index": action[op]["_index"], **doc})
            items.append({op: {"_index": action[op]["_index"], "_id": str(len(self.docs)),
                               "status": 201, "result": "created"}})
        return web.json_response({"took": 1, "errors": False, "items": items},
                                 headers={"X-Elastic-Product": "Elasticsearch"})

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)


@pytest.fixture
def fake_es():
    server = _FakeElasticsearch()
    yield server
    server.close()


def test_logs_are_bulk_created_in_elasticsearch(lab, fake_es):
    svc = lab(extra_args=("--ship-logs",), env={"AIOPS_LOGS_BACKEND": "elasticsearch",
                                                 "AIOPS_LOGS_URL": f"http://127.0.0.1:{fake_es.port}"})
    svc.post("/infer", {"observation": [0, 0, 1]}, headers={"X-Correlation-ID": "ship-me-2"})
    doc = svc.wait_for(lambda: next((d for d in fake_es.docs if d["correlation_id"] == "ship-me-2"), None),
                       what="the record in Elasticsearch")
    assert doc["_op"] == "create" and doc["_index"] == "logs-sim-lab"  # works for data streams too
    assert doc["level"] == "INFO" and "@timestamp" in doc


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
