"""`aiops health check` against real sockets on 127.0.0.1 that fail in every way."""

from __future__ import annotations

import time

import pytest

from tests.conftest import free_port, require
from tests.fakes.http_target import TargetServer


@pytest.fixture
def server():
    servers = []

    def start(mode: str, **kwargs) -> TargetServer:
        servers.append(TargetServer(mode, **kwargs))
        return servers[-1]

    yield start
    for s in servers:
        s.close()


def probe(cli, *args: str, timeout: float = 1.0):
    start = time.monotonic()
    result = cli("health", "check", *args, "--timeout", str(timeout), "-o", "json")
    elapsed = time.monotonic() - start
    assert elapsed < timeout + 1.0, f"took {elapsed:.2f}s with --timeout {timeout}"
    assert "Traceback" not in result.stderr
    return result, (result.json()["targets"][0] if result.stdout else None)


def test_healthy_target_exits_0(cli, server):
    result, target = probe(cli, server("healthy").url)
    assert result.exit_code == 0, result.stderr
    assert target["verdict"] == "healthy"
    assert all(ep["ok"] and ep["status_code"] == 200 for ep in target["endpoints"].values())
    assert target["metrics"]["missing"] == []
    assert "ai_inference_duration_seconds" in target["metrics"]["present"]


def test_connection_refused_is_unreachable(cli):
    result, target = probe(cli, f"http://127.0.0.1:{free_port()}")
    assert result.exit_code == 5
    assert target["verdict"] == "unreachable"
    assert target["reasons"] == [f"all endpoints: connection refused by 127.0.0.1:{target['url'].rsplit(':', 1)[1]}"]


def test_dns_failure_is_unreachable(cli):
    result, target = probe(cli, "http://no-such-host.invalid:8000")
    assert result.exit_code == 5
    assert target["verdict"] == "unreachable"
    assert any("DNS" in r or "timed out" in r for r in target["reasons"])


@pytest.mark.parametrize("mode", ["hang", "drip"])
def test_silent_or_dripping_server_times_out(cli, server, mode):
    result, target = probe(cli, server(mode).url, timeout=1.0)
    assert result.exit_code == 5
    assert target["reasons"] == ["all endpoints: timed out after 1s"]


@pytest.mark.parametrize("mode,code", [("status500", 500), ("status503", 503)])
def test_server_errors_are_unhealthy(cli, server, mode, code):
    result, target = probe(cli, server(mode).url)
    assert result.exit_code == 3
    assert target["verdict"] == "unhealthy"
    assert target["endpoints"]["/live"]["status_code"] == code
    assert target["reasons"] == [f"all endpoints: HTTP {code}"]
    assert target["endpoints"]["/health"]["reason"] == f"HTTP {code}"


@pytest.mark.parametrize("mode,reason", [
    ("html", "expected JSON, got text/html"),
    ("invalid_json", "invalid JSON"),
    ("missing_fields", "missing field(s): timestamp, version, checks"),
])
def test_bad_health_bodies_are_named(cli, server, mode, reason):
    result, target = probe(cli, server(mode).url)
    assert result.exit_code == 3
    assert target["verdict"] == "degraded"
    assert reason in target["endpoints"]["/health"]["reason"]


def test_not_ready_is_unhealthy(cli, server):
    result, target = probe(cli, server("not_ready").url)
    assert result.exit_code == 3
    assert target["verdict"] == "unhealthy"
    assert "/ready: HTTP 503" in target["reasons"]


def test_unparsable_metrics_degrade(cli, server):
    result, target = probe(cli, server("bad_metrics").url)
    assert result.exit_code == 3
    assert target["verdict"] == "degraded"
    assert "not Prometheus exposition format" in target["endpoints"]["/metrics"]["reason"]


def test_oversized_body_is_capped(cli, server):
    result, target = probe(cli, server("oversized").url)
    assert result.exit_code == 3
    assert "exceeds the 4194304-byte cap" in target["endpoints"]["/health"]["reason"]


def test_redirect_loop(cli, server):
    result, target = probe(cli, server("redirect_loop").url)
    assert result.exit_code == 5
    assert all("too many redirects" in r for r in target["reasons"])


def test_malformed_url_is_a_usage_error(cli, server):
    good = server("healthy").url
    result, _ = probe(cli, "ftp://example.com", good)
    assert result.exit_code == 2
    targets = {t["target"]: t for t in result.json()["targets"]}
    assert "scheme must be http or https" in targets["ftp://example.com"]["reasons"][0]
    assert targets[good]["verdict"] == "healthy"


def test_self_signed_certificate(cli, server, tmp_path):
    trustme = require("trustme")
    ca = trustme.CA()
    ctx = __import__("ssl").create_default_context(__import__("ssl").Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(ctx)
    url = server("healthy", ssl_context=ctx).url
    result, target = probe(cli, url)
    assert result.exit_code == 5
    assert all("certificate verification failed" in r for r in target["reasons"])

    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    result, target = probe(cli, url, "--ca-bundle", str(bundle))
    assert result.exit_code == 0 and target["verdict"] == "healthy"

    result, target = probe(cli, url, "--insecure")
    assert result.exit_code == 0
    assert "not verified" in result.stderr


def test_mixed_targets_exit_with_the_worst(cli, server):
    ok, bad = server("healthy").url, server("status500").url
    result, _ = probe(cli, ok, bad, f"http://127.0.0.1:{free_port()}")
    assert result.exit_code == 3
    assert result.json()["summary"] == {"targets": 3, "healthy": 1, "degraded": 0,
                                        "unhealthy": 1, "unreachable": 1}


def test_overall_deadline_stops_the_run(cli, server):
    url = server("hang").url
    start = time.monotonic()
    result = cli("health", "check", url, "--timeout", "30", "--deadline", "1", "-o", "json")
    assert time.monotonic() - start < 2.0
    assert result.exit_code == 5
    assert "deadline of 1s reached" in result.json()["targets"][0]["reasons"][0]


def test_plain_http_never_reads_the_ca_store(cli, server, monkeypatch):
    import ssl

    def refuse(*args, **kwargs):
        raise AssertionError("a TLS context was built for a plain-http fleet")

    monkeypatch.setattr(ssl, "create_default_context", refuse)
    result, target = probe(cli, server("healthy").url)
    assert result.exit_code == 0, result.stderr
    assert target["verdict"] == "healthy"


def test_a_bad_ca_bundle_stops_the_run_before_any_probe(cli, server, tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("not a certificate\n")
    result = cli("health", "check", server("healthy").url, "--ca-bundle", str(bundle), "-o", "json")
    assert result.exit_code == 2
    assert "cannot load CA bundle" in result.stderr and str(bundle) in result.stderr
    assert not result.stdout
