"""One generated log set through all three backends: identical timelines and error summaries.

Files: day one plain (with broken lines only a file can hold), day two gzip. Elasticsearch
simulator: explicit keyword mappings, loaded with the official client's bulk helper.
osmem-server: dynamic mappings (text + .keyword), loaded with opensearch-py.
"""

from __future__ import annotations

import pytest

from aiops.logs import open_backend
from tests.conftest import require
from tests.fakes.elasticsearch_sim import ElasticsearchSim
from tests.fakes.log_corpus import (DAYS, ES_MAPPINGS, MAIN_IDS, OS_MAPPINGS, corpus, es_actions,
                                    invalid_lines, window, write_jsonl)
from tests.fakes.osmem import osmem_url  # noqa: F401 (fixture)

NOISE_IDS = sorted({r["correlation_id"] for day in corpus().values() for r in day
                    if r.get("correlation_id", "").startswith("req-") and r["correlation_id"]
                    not in MAIN_IDS})[:5]


@pytest.fixture(scope="module")
def backends(tmp_path_factory, osmem_url):  # noqa: F811
    require("elasticsearch")
    require("opensearchpy")
    from elasticsearch import Elasticsearch
    from elasticsearch import helpers as es_helpers
    from opensearchpy import OpenSearch
    from opensearchpy import helpers as os_helpers

    days = corpus()
    folder = tmp_path_factory.mktemp("difflogs")
    write_jsonl(folder / f"logs-{DAYS[0]}.jsonl", days[DAYS[0]], extra=invalid_lines())
    write_jsonl(folder / f"logs-{DAYS[1]}.jsonl.gz", days[DAYS[1]], compress=True)
    opensearch = OpenSearch(hosts=[osmem_url], timeout=60)
    with ElasticsearchSim() as sim:
        es = Elasticsearch(sim.url)
        for day in DAYS:
            es.indices.create(index=f"logs-{day}", mappings=ES_MAPPINGS)
            es_helpers.bulk(es, es_actions(f"logs-{day}", days[day]), refresh=True)
            opensearch.indices.create(index=f"diff-{day}", body={"mappings": OS_MAPPINGS})
            os_helpers.bulk(opensearch, es_actions(f"diff-{day}", days[day]), refresh=True)
        yield {
            "file": open_backend(file=str(folder / "logs-*")),
            "elasticsearch": open_backend({"logs.url": sim.url}, backend="elasticsearch",
                                          page_size=7),
            "opensearch": open_backend({"logs.url": osmem_url}, backend="opensearch",
                                       index="diff-*", page_size=7),
        }


def _timeline(backend, cid):
    with backend.trace(cid, *window()) as trace:
        records = [{k: v for k, v in e.to_dict().items() if k != "location"} for e in trace]
    summary = trace.summary.to_dict()
    return records, summary


@pytest.mark.parametrize("cid", [*MAIN_IDS, *NOISE_IDS, "req-nobody"])
def test_the_same_timeline_from_every_backend(backends, cid):
    results = {name: _timeline(b, cid) for name, b in backends.items()}
    file_records, file_summary = results["file"]
    assert file_records or cid == "req-nobody"
    for name in ("elasticsearch", "opensearch"):
        records, summary = results[name]
        assert records == file_records, name
        # broken JSON lines exist only in files; everything else must agree
        assert {**summary, "skipped": {**summary["skipped"], "invalid_json": 0}} == \
            {**file_summary, "skipped": {**file_summary["skipped"], "invalid_json": 0}}, name


def test_broken_lines_are_only_counted_by_the_file_backend(backends):
    assert _timeline(backends["file"], "req-alpha")[1]["skipped"] == {"invalid_json": 2,
                                                                      "missing_fields": 2}
    assert _timeline(backends["elasticsearch"], "req-alpha")[1]["skipped"] == {
        "invalid_json": 0, "missing_fields": 2}


@pytest.mark.parametrize("top", [1, 3, 10, 100])
def test_the_same_error_summary_from_every_backend(backends, top):
    reports = {name: b.errors(*window(), top=top).to_dict() for name, b in backends.items()}
    for report in reports.values():
        del report["backend"], report["source"]
        report["skipped"]["invalid_json"] = 0
    assert reports["file"]["groups"]
    assert reports["elasticsearch"] == reports["file"]
    assert reports["opensearch"] == reports["file"]
