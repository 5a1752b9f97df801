"""Fuzzing the lab's PagerDuty sandbox (``aiops lab pagerduty``): its write endpoints get any
bytes, any JSON, wrong shapes, deep nesting, NaN, bad lengths and a 10 MB body.

Each request must get an answer (never a dropped connection) with a 2xx or 4xx status, never
a 5xx; afterwards the sandbox still serves its incidents. No contract check here: the bodies
are hostile on purpose, and the answers to them are PagerDuty's error bodies.
"""

from __future__ import annotations

import http.client
import json
import ssl

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.conftest import require
from tests.fuzz.conftest import examples
from tests.fuzz.strategies import DEEP, JSON, TEXT, dumps

# hypothesis warns when a generated example is large to print (10 MB bodies are the point)
pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")

TEN_MB = b'{"note": {"content": "' + b"a" * (10 * 1024 * 1024) + b'"}}'
ENDPOINTS = [("PUT", "/incidents/{id}"), ("POST", "/incidents/{id}/notes"), ("PUT", "/incidents"),
             ("POST", "/v2/enqueue")]


@pytest.fixture(scope="module")
def sandbox():
    require("trustme")
    from aiops.lab.pagerduty import PagerDutySandbox

    sim = PagerDutySandbox()
    sim.incident_id = sim.create_incident()["id"]
    try:
        yield sim
        status, body = send(sim, "GET", "/incidents?date_range=all", b"")
        assert status == 200 and json.loads(body)["incidents"], body[:200]
        assert not [x for x in sim.exchanges if x.status is None or x.status >= 500]
    finally:
        sim.close()


def send(sim, method: str, path: str, body: bytes, headers: dict | None = None) -> tuple[int, bytes]:
    host, port = sim._server.server_address[:2]
    conn = http.client.HTTPSConnection(host, port, timeout=30,
                                       context=ssl.create_default_context(cafile=str(sim.ca_path)))
    sent = {"Authorization": f"Token token={sim.token}", "From": sim.user["email"],
            "Content-Type": "application/json", **(headers or {})}
    try:
        conn.request(method, path, body=body, headers=sent)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def shaped(sim, draw) -> bytes:
    """A body of roughly the shape the endpoint expects, with anything inside."""
    return draw(st.one_of(
        st.builds(lambda v: dumps({"incident": v}), JSON),
        st.builds(lambda v: dumps({"incident": {"type": "incident_reference", "status": v}}), JSON),
        st.builds(lambda v: dumps({"note": {"content": v}}), JSON),
        st.builds(lambda v: dumps({"note": v}), JSON),
        st.builds(lambda items: dumps({"incidents": items}), st.lists(JSON, max_size=4)),
        st.builds(lambda a, p, d: dumps({"routing_key": sim.routing_key, "event_action": a,
                                         "payload": p, "dedup_key": d}),
                  st.sampled_from(["trigger", "acknowledge", "resolve", "nope"]),
                  st.one_of(JSON, st.fixed_dictionaries({"summary": JSON, "source": JSON,
                                                         "severity": JSON})),
                  st.one_of(st.none(), JSON)),
    ))


BODIES = st.one_of(st.binary(max_size=2000), JSON.map(dumps), DEEP.map(str.encode),
                   TEXT.map(lambda t: t.encode("utf-8", "surrogatepass")))


@examples(120)
@given(st.sampled_from(ENDPOINTS), st.data())
@example(ENDPOINTS[1], TEN_MB)
@example(ENDPOINTS[0], b'{"incident": ' + b"[" * 5000 + b"]" * 5000 + b"}")
@example(ENDPOINTS[1], b'{"note": {"content": NaN}}')
@example(ENDPOINTS[1], b'{"note": {"content": 5}}')
@example(ENDPOINTS[2], b'{"incidents": [1, 2]}')
@example(ENDPOINTS[3], b'[1, 2]')
@example(ENDPOINTS[0], b'{"incident": "x\xe9"}')
def test_sandbox_write_bodies(sandbox, door, endpoint, data):
    door("lab PagerDuty sandbox write bodies")()
    method, path = endpoint
    if isinstance(data, bytes):  # an @example's body
        body = data
    else:
        body = shaped(sandbox, data.draw) if data.draw(st.booleans()) else data.draw(BODIES)
    status, answer = send(sandbox, method, path.replace("{id}", sandbox.incident_id), body)
    assert 200 <= status < 500, (status, body[:200], answer[:200])
    if status >= 400:
        json.loads(answer)  # PagerDuty's error body, as JSON


@pytest.mark.parametrize("headers, expected", [
    ({"Content-Length": "-1"}, 400), ({"Content-Length": "abc"}, 400),
    ({"Content-Length": str(64 * 1024 * 1024 * 1024)}, 413),
])
def test_sandbox_bad_lengths(sandbox, door, headers, expected):
    door("lab PagerDuty sandbox write bodies")()
    host, port = sandbox._server.server_address[:2]
    conn = http.client.HTTPSConnection(host, port, timeout=30,
                                       context=ssl.create_default_context(cafile=str(sandbox.ca_path)))
    try:
        conn.putrequest("POST", "/v2/enqueue")
        for name, value in {"Content-Type": "application/json", **headers}.items():
            conn.putheader(name, value)
        conn.endheaders()
        response = conn.getresponse()
        assert response.status == expected
        json.loads(response.read())
    finally:
        conn.close()
