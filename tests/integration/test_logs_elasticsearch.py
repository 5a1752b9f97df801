"""``aiops logs`` against the Elasticsearch simulator as an 8.x and as a 9.x server.

Every test runs against both server versions (the simulator enforces each one's media types
the way the real server does), through the one client aiops ships.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest

from tests.conftest import free_port, require
from tests.fakes.elasticsearch_sim import VERSIONS, ElasticsearchSim
from tests.fakes.log_corpus import ES_MAPPINGS, TRICKY_IDS, bulk_records, corpus, window

require("elasticsearch")

WIN = ["--since", "2026-01-27T00:00:00Z", "--until", "2026-02-01T00:00:00Z"]


@pytest.fixture(scope="module", params=VERSIONS)
def version(request):
    return request.param


@pytest.fixture(scope="module")
def es(version):
    with ElasticsearchSim(users={"reader": "s3cret"}, forbidden={"intern"}, version=version) as sim:
        for day, records in corpus().items():
            sim.create_index(f"logs-{day}", ES_MAPPINGS)
            sim.load(f"logs-{day}", records)
        sim.create_index("big-1", ES_MAPPINGS)
        sim.load("big-1", bulk_records(12_345, "req-big", noise_every=5))
        yield sim


@pytest.fixture
def env(es):
    return {"AIOPS_LOGS_URL": es.url, "AIOPS_LOGS_USERNAME": "reader",
            "AIOPS_LOGS_PASSWORD": "s3cret", "AIOPS_LOGS_BACKEND": "elasticsearch"}


def test_trace_passes_the_10000_hit_ceiling_once_each_and_closes_the_pit(cli, es, env):
    opened = es.pits_opened
    result = cli("logs", "trace", "req-big", "--index", "big-*", *WIN, "-o", "json", env=env)
    assert result.exit_code == 0, result.stderr
    doc = result.json()
    seqs = [r["context"]["seq"] for r in doc["records"]]
    assert seqs == list(range(12_345))  # in (timestamp, _shard_doc) order, no gaps or repeats
    assert doc["summary"]["records"] == 12_345 and doc["summary"]["by_level"]["ERROR"] == 247
    assert es.pits_opened == opened + 1 and es.open_pits == 0


@pytest.mark.parametrize("cid", TRICKY_IDS)
def test_an_id_with_query_syntax_matches_only_itself(cli, es, env, cid):
    result = cli("logs", "trace", cid, *WIN, "-o", "json", env=env)
    assert result.exit_code == 0, result.stderr
    records = result.json()["records"]
    assert records and {r["location"] for r in records} <= {"logs-2026.01.28", "logs-2026.01.29"}
    expected = sum(1 for day in corpus().values() for r in day
                   if r.get("correlation_id") == cid and "timestamp" in r)
    assert len(records) == expected


def test_429_is_retried_with_backoff_then_succeeds(es, monkeypatch):
    from aiops.logs import open_backend

    sleeps = []
    backend = open_backend({"logs.url": es.url, "logs.username": "reader", "logs.password": "s3cret"},
                           backend="elasticsearch", sleep=sleeps.append)
    es.fail_next(429, count=2, path="_search")
    with backend.trace("req-alpha", *window()) as trace:
        assert len(list(trace)) > 10
    assert len(sleeps) == 2 and sleeps[1] > sleeps[0] * 0.9 > 0


def test_persistent_429_gives_up_with_exit_5(cli, es, env, monkeypatch):
    monkeypatch.setattr("aiops.logs.cluster.BACKOFF_BASE", 0.01)
    es.fail_next(429, count=50, path="_field_caps")
    result = cli("logs", "trace", "req-alpha", *WIN, env=env)
    es.faults.clear()
    assert result.exit_code == 5
    assert "429 es_rejected_execution_exception after 5 attempts" in result.stderr


def test_bad_credentials_exit_4(cli, es, env):
    result = cli("logs", "trace", "req-alpha", env={**env, "AIOPS_LOGS_PASSWORD": "wrong"})
    assert result.exit_code == 4 and "rejected the credentials (401 security_exception)" in result.stderr
    assert "wrong" not in result.stderr
    denied = cli("logs", "errors", env={**env, "AIOPS_LOGS_USERNAME": "intern",
                                        "AIOPS_LOGS_PASSWORD": ""})
    assert denied.exit_code == 4


def test_unknown_index_is_named(cli, es, env):
    result = cli("logs", "trace", "req-alpha", "--index", "logs-2026.01.28,nope-7", env=env)
    assert result.exit_code == 2 and "index 'nope-7' does not exist" in result.stderr
    empty = cli("logs", "errors", "--index", "nothing-*", env=env)
    assert empty.exit_code == 2 and "no index matches 'nothing-*'" in empty.stderr


def test_unreachable_cluster_exits_5_quickly_with_a_file_hint(cli, env):
    start = time.monotonic()
    result = cli("logs", "trace", "req-alpha", "--url", f"http://127.0.0.1:{free_port()}", env=env)
    assert result.exit_code == 5 and "cannot reach Elasticsearch" in result.stderr
    assert "--file" in result.stderr and time.monotonic() - start < 5


def test_silent_cluster_exits_5_within_the_timeout(cli, env):
    with socket.socket() as server:  # accepts connections, never answers
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        held = []
        stop = threading.Event()

        def accept():
            server.settimeout(0.2)
            while not stop.is_set():
                try:
                    held.append(server.accept()[0])
                except OSError:
                    pass
        thread = threading.Thread(target=accept, daemon=True)
        thread.start()
        start = time.monotonic()
        url = "http://127.0.0.1:%d" % server.getsockname()[1]
        result = cli("logs", "trace", "req-alpha", "--url", url, "--timeout", "0.5", env=env)
        elapsed = time.monotonic() - start
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
    assert result.exit_code == 5 and "within 0.5s" in result.stderr
    assert elapsed < 5


def test_errors_groups_with_terms_aggregations(cli, es, env):
    result = cli("logs", "errors", *WIN, "--top", "3", "-o", "json", env=env)
    assert result.exit_code == 0, result.stderr
    doc = result.json()
    assert len(doc["groups"]) == 3 and doc["total"] >= sum(g["count"] for g in doc["groups"])
    counts = [g["count"] for g in doc["groups"]]
    assert counts == sorted(counts, reverse=True)
    assert all(1 <= len(g["sample_correlation_ids"]) <= 3 for g in doc["groups"])
    assert doc["skipped"]["missing_fields"] == 4  # the error records written without a timestamp


def test_no_records_exit_0_or_3_with_require(cli, es, env):
    plain = cli("logs", "trace", "req-nobody", *WIN, env=env)
    assert plain.exit_code == 0 and "no records" in plain.stderr
    required = cli("logs", "trace", "req-nobody", *WIN, "--require", env=env)
    assert required.exit_code == 3 and es.open_pits == 0


def test_a_server_that_is_not_elasticsearch_is_refused(cli, env):
    require("osmem_server")
    from tests.fakes.osmem import start_osmem, stop_osmem

    proc, url = start_osmem()
    try:  # an OpenSearch-compatible server refuses the client's compatible-with=8 media type
        result = cli("logs", "trace", "req-alpha", "--url", url, env=env)
    finally:
        stop_osmem(proc)
    assert result.exit_code == 2 and "refuses Elasticsearch 8 (compatible-with=8) requests (406" in result.stderr
    assert "--backend opensearch" in result.stderr


def test_api_key_auth(cli, version):
    with ElasticsearchSim(api_key="a2V5LWlkOnNlY3JldA==", version=version) as sim:
        sim.create_index("logs-1", ES_MAPPINGS)
        sim.load("logs-1", bulk_records(5, "req-key"))
        env = {"AIOPS_LOGS_URL": sim.url, "AIOPS_LOGS_BACKEND": "elasticsearch"}
        ok = cli("logs", "trace", "req-key", *WIN, "-o", "json",
                 env={**env, "AIOPS_LOGS_API_KEY": "a2V5LWlkOnNlY3JldA=="})
        assert ok.exit_code == 0 and len(ok.json()["records"]) == 5
        bad = cli("logs", "trace", "req-key", *WIN, env={**env, "AIOPS_LOGS_API_KEY": "d3Jvbmc="})
        assert bad.exit_code == 4 and "d3Jvbmc=" not in bad.stderr


def test_tls_with_the_configured_ca_bundle(cli, tmp_path, version):
    trustme = require("trustme")
    import ssl

    ca = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server)
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    with ElasticsearchSim(ssl_context=server, version=version) as sim:
        sim.create_index("logs-1", ES_MAPPINGS)
        sim.load("logs-1", bulk_records(3, "req-tls"))
        env = {"AIOPS_LOGS_URL": sim.url, "AIOPS_LOGS_BACKEND": "elasticsearch"}
        ok = cli("logs", "trace", "req-tls", *WIN, "-o", "json",
                 env={**env, "AIOPS_LOGS_CA_BUNDLE": str(bundle)})
        assert ok.exit_code == 0, ok.stderr
        assert len(ok.json()["records"]) == 3
        untrusted = cli("logs", "trace", "req-tls", *WIN, env=env)
        assert untrusted.exit_code == 5 and "logs.ca_bundle" in untrusted.stderr


def test_a_server_without_the_product_header_is_not_elasticsearch(cli, es, env):
    es.product = None
    try:
        result = cli("logs", "trace", "req-alpha", *WIN, env=env)
    finally:
        es.product = "Elasticsearch"
    assert result.exit_code == 2 and "is not Elasticsearch" in result.stderr
    assert "--backend opensearch" in result.stderr
