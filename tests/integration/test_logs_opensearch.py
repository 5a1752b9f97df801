"""``aiops logs`` against the real osmem-server through ``opensearch-py``.

Logs are indexed through the client with dynamic mappings (strings become text with a
``.keyword`` sub-field, as Fluent Bit / Filebeat leave them without a template).
"""

from __future__ import annotations

import pytest

from tests.conftest import require
from tests.fakes.log_corpus import (OS_MAPPINGS, T0, TRICKY_IDS, bulk_records, corpus, es_actions,
                                    record)
from tests.fakes.osmem import osmem_url  # noqa: F401 (fixture)

WIN = ["--since", "2026-01-27T00:00:00Z", "--until", "2026-02-01T00:00:00Z"]


@pytest.fixture(scope="module")
def opensearch(osmem_url):  # noqa: F811
    require("opensearchpy")
    from opensearchpy import OpenSearch, helpers

    client = OpenSearch(hosts=[osmem_url], timeout=60)
    for day, records in corpus().items():
        client.indices.create(index=f"logs-{day}", body={"mappings": OS_MAPPINGS})
        helpers.bulk(client, es_actions(f"logs-{day}", records), refresh=True, chunk_size=2000)
    client.indices.create(index="big-1", body={"mappings": OS_MAPPINGS})
    helpers.bulk(client, es_actions("big-1", bulk_records(10_050, "req-big", noise_every=5)),
                 refresh=True, chunk_size=5000)
    # equal timestamps in three indices: each index numbers its documents from 0
    for n, name in enumerate(("ties-a", "ties-b", "ties-c")):
        client.indices.create(index=name, body={"mappings": OS_MAPPINGS})
        helpers.bulk(client, es_actions(name, [record(T0, "req-tie", "INFO", "l", "m", n * 10 + i)
                                               for i in range(7)]), refresh=True)
    yield client, osmem_url


@pytest.fixture
def env(opensearch):
    return {"AIOPS_LOGS_URL": opensearch[1], "AIOPS_LOGS_BACKEND": "opensearch"}


def _open_pits(client) -> int:
    return len(client.transport.perform_request("GET", "/_search/point_in_time/_all")["pits"])


def test_trace_pages_past_10000_once_each_and_closes_the_pit(cli, opensearch, env):
    result = cli("logs", "trace", "req-big", "--index", "big-*", *WIN, "-o", "json", env=env)
    assert result.exit_code == 0, result.stderr
    seqs = [r["context"]["seq"] for r in result.json()["records"]]
    assert seqs == list(range(10_050))
    assert _open_pits(opensearch[0]) == 0


def test_equal_timestamps_across_indices_are_neither_lost_nor_repeated(opensearch):
    from aiops.logs import open_backend

    backend = open_backend({"logs.url": opensearch[1]}, backend="opensearch", index="ties-*",
                           page_size=4)
    with backend.trace("req-tie", T0, T0) as trace:
        seqs = [e.context["seq"] for e in trace]
    assert seqs == [n * 10 + i for n in range(3) for i in range(7)]  # index, then document


@pytest.mark.parametrize("cid", TRICKY_IDS)
def test_an_id_with_query_syntax_matches_only_itself(cli, opensearch, env, cid):
    result = cli("logs", "trace", cid, *WIN, "-o", "json", env=env)
    assert result.exit_code == 0, result.stderr
    expected = [r["context"]["seq"] for day in corpus().values() for r in day
                if r.get("correlation_id") == cid and "timestamp" in r]
    assert sorted(r["context"]["seq"] for r in result.json()["records"]) == sorted(expected)


def test_errors_use_keyword_subfields(cli, opensearch, env):
    result = cli("logs", "errors", *WIN, "--top", "4", "-o", "json", env=env)
    assert result.exit_code == 0, result.stderr
    doc = result.json()
    assert len(doc["groups"]) == 4 and doc["backend"] == "opensearch"
    assert doc["total"] == doc["other"] + sum(g["count"] for g in doc["groups"])


def test_unknown_index_is_named(cli, opensearch, env):
    result = cli("logs", "trace", "req-alpha", "--index", "nope-1", env=env)
    assert result.exit_code == 2 and "index 'nope-1' does not exist" in result.stderr


def test_api_keys_are_refused_for_opensearch(cli, opensearch, env):
    result = cli("logs", "trace", "req-alpha", env={**env, "AIOPS_LOGS_API_KEY": "abc=="})
    assert result.exit_code == 2 and "logs.username and logs.password" in result.stderr
