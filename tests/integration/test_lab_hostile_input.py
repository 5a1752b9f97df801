"""Hostile requests to the real lab: malformed input is a 4xx, and never the service's error.

A client's mistake (deep nesting, NaN, huge numbers, oversized or truncated bodies) must never
answer 500, count toward the /health error check or the HighErrorRate series, or be logged
as an unhandled error: otherwise any client can get an instance pulled from a load balancer.
"""

from __future__ import annotations

import json
import socket
import time
from urllib.parse import urlsplit

import pytest

from tests.fakes.lab import start_lab

DEEP = ("{\"observation\": " + "[" * 1200 + "0" + "]" * 1200 + "}").encode()  # ~2.4 KB, 1201 levels
DEEPER = ("[" * 20_000 + "]" * 20_000).encode()  # 40 KB: under the 64 KiB cap


@pytest.fixture(scope="module")
def svc():
    # no synthetic traffic: every /infer request in the error window is one of ours
    process = start_lab(extra_args=("--synthetic-rps", "0"))
    yield process
    process.close()


def _errors(svc) -> dict:
    status, body = svc.get("/health")
    return {"status": status, "check": body["checks"]["errors"], **body["details"]["errors"]}


def test_deep_nesting_is_400_and_never_turns_health_critical(svc):
    for body in (DEEP, DEEPER) * 6:
        status, _, data = svc.request("POST", "/infer", raw=body)
        assert status == 400, (status, data[:200])
        assert "nested deeper than 32 levels" in json.loads(data)["error"]
    for _ in range(10):  # enough requests for the error check to judge
        assert svc.post("/infer", {"observation": [0, 0, 1]})[0] == 200
    errors = _errors(svc)
    assert errors["status"] == 200 and errors["check"] == "ok" and errors["errors"] == 0
    assert svc.sample("http_requests_total", method="POST", path="/infer", status="500") in (None, 0.0)
    assert not [r for r in svc.logs() if r["message"] == "Unhandled error"]


def test_admin_faults_bodies_are_4xx(svc):
    auth = {"Authorization": f"Bearer {svc.admin_token}", "Content-Type": "application/json"}
    cases = {
        DEEPER: 400,
        b'{"fault": "error-rate", "value": 1' + b"0" * 400 + b"}": 400,  # int too large for a float
        b'{"fault": "error-rate", "value": NaN}': 400,
        b'{"fault": "error-rate", "value": Infinity}': 400,
        b'{"fault": "error-rate", "value": [[[[0.1]]]]}': 400,
        b'{"fault": 7}': 400,
        b"\xff\xfe{": 400,
        b"x" * (65 * 1024): 413,
    }
    for body, expected in cases.items():
        status, _, data = svc.request("POST", "/admin/faults", raw=body, headers=auth)
        assert status == expected, (body[:60], status, data[:200])
    assert svc.admin("GET")[1]["active"] == []


def test_nan_and_huge_numbers_on_infer_are_4xx(svc):
    for body in (b'{"observation": [NaN, 0, 0]}', b'{"observation": [1e999, 0, 0]}',
                 b'{"observation": [1' + b"0" * 5000 + b', 0, 0]}',
                 b'{"observation": [1' + b"0" * 400 + b', 0, 0]}'):
        status, _, data = svc.request("POST", "/infer", raw=body)
        assert 400 <= status < 500, (body[:40], status, data[:200])


def test_a_chunked_body_is_cut_off_at_the_cap(svc):
    host, port = urlsplit(svc.url).hostname, urlsplit(svc.url).port
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(b"POST /infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
        chunk = b"[" * 65536
        try:
            for _ in range(160):  # 10 MB offered; the service stops reading after 64 KiB
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        except OSError:
            pass  # the service answered and closed: exactly what should happen
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:100]


def test_clients_that_hang_up_and_4xx_never_count_as_errors(svc):
    before = _errors(svc)
    host, port = urlsplit(svc.url).hostname, urlsplit(svc.url).port
    for _ in range(12):  # announce 100 bytes, send 10, hang up
        with socket.create_connection((host, port), timeout=5) as sock:
            sock.sendall(b"POST /infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 100\r\n\r\n{\"observati")
    for _ in range(12):
        assert svc.post("/infer", {"observation": [9, 9, 9]})[0] == 422
        assert svc.post("/infer", {"nothing": 1})[0] == 422
    time.sleep(0.3)
    after = _errors(svc)
    assert after["errors"] == before["errors"] == 0
    assert after["requests"] == before["requests"]  # 4xx are not in the service's own ratio
    assert not [r for r in svc.logs() if r["message"] == "Unhandled error"]
