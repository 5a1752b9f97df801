"""The lab's own doors, against the real service: POST /infer and /admin/faults bodies.

Random bytes, JSON of every shape, wrong types, NaN/Infinity, huge numbers, deep nesting,
bad content types and 10 MB bodies: every answer is 2xx or 4xx, never 5xx; afterwards the
service is healthy, counted no error of its own and logged no unhandled error.
"""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.fakes.lab import start_lab
from tests.fuzz.conftest import examples
from tests.fuzz.strategies import AWKWARD_NUMBERS, DEEP, JSON, SCALARS, TEXT, dumps

# hypothesis warns when a generated example is large to print (10 MB bodies are the point)
pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")

CONTENT_TYPES = st.sampled_from(["application/json", "application/json; charset=utf-8", "text/plain",
                                 "application/x-www-form-urlencoded", "multipart/form-data", "",
                                 "application/json; charset=utf-16", "image/png", "*/*"])
TEN_MB = b'{"observation": [' + b"0, " * (10 * 1024 * 1024 // 3) + b"0]}"


@pytest.fixture(scope="module")
def lab():
    """One real lab for the module; when the fuzzing is over it must be healthy, with no error
    of its own counted and no unhandled error logged (checked at teardown: whichever worker)."""
    process = start_lab(extra_args=("--synthetic-rps", "0"))
    try:
        yield process
        assert_unharmed(process)
    finally:
        process.close()


def assert_unharmed(lab) -> None:
    for _ in range(12):
        assert lab.post("/infer", {"observation": [0, 0, 1]})[0] == 200
    status, body = lab.get("/health")
    assert status == 200 and body["checks"]["errors"] == "ok", body
    assert body["details"]["errors"]["errors"] == 0
    for path in ("/infer", "/admin/faults"):
        assert lab.sample("http_requests_total", method="POST", path=path, status="500") in (None, 0.0)
    assert not [r for r in lab.logs() if r["message"] == "Unhandled error"]


def post(lab, path: str, body: bytes, content_type: str, token: str | None = None) -> int:
    """Send ``body`` as it is (any size, any type); the status, or 413 when the service cut a
    huge upload short by closing the connection after answering."""
    parts = urlsplit(lab.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    headers = {"Content-Type": content_type} if content_type else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        try:
            conn.request("POST", path, body=body, headers=headers)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the service answered (413) and closed before the upload ended
        try:
            response = conn.getresponse()
        except (ConnectionResetError, http.client.RemoteDisconnected):
            assert len(body) > 64 * 1024, "the connection was dropped on a small body"
            return 413
        response.read()
        return response.status
    finally:
        conn.close()


OBSERVATIONS = st.one_of(
    st.lists(st.integers(0, 3), min_size=3, max_size=3),
    st.lists(st.one_of(SCALARS, AWKWARD_NUMBERS), max_size=6),
    st.lists(st.integers(), max_size=5000),
    JSON, st.just([[0, 0], 1, 2]))
INFER_BODIES = st.one_of(
    st.binary(max_size=2000),
    JSON.map(dumps),
    st.builds(lambda o: dumps({"observation": o}), OBSERVATIONS),
    st.dictionaries(TEXT, JSON, max_size=4).map(lambda d: dumps({**d, "observation": [0, 0, 0]})),
    DEEP.map(lambda t: b'{"observation": ' + t.encode() + b"}"),
    st.builds(lambda t: dumps({"observation": t}), TEXT),
)


@examples(300)
@given(INFER_BODIES, CONTENT_TYPES)
@example(TEN_MB, "application/json")
@example(b'{"observation": [NaN, Infinity, -Infinity]}', "application/json")
@example(b'{"observation": [1' + b"0" * 5000 + b', 0, 0]}', "application/json")
def test_infer_bodies(lab, door, body, content_type):
    door("lab POST /infer bodies")()
    status = post(lab, "/infer", body, content_type)
    assert 200 <= status < 500, (status, body[:200], content_type)


FAULT_NAMES = st.one_of(st.sampled_from(["error-rate", "slow-inference", "accuracy-drop", "entropy-spike",
                                         "training-stall", "not-ready", "memory-leak", "ERROR-RATE",
                                         " error-rate ", "error-rate=0.1=2", "crash=abc"]), TEXT)
FAULT_VALUES = st.one_of(AWKWARD_NUMBERS, SCALARS, JSON, st.integers(), st.floats())
FAULT_ITEMS = st.one_of(
    st.fixed_dictionaries({"fault": FAULT_NAMES}, optional={"value": FAULT_VALUES}),
    st.fixed_dictionaries({"spec": st.one_of(FAULT_NAMES, JSON)}),
    FAULT_NAMES, JSON)
ADMIN_BODIES = st.one_of(
    st.binary(max_size=1000),
    FAULT_ITEMS.map(dumps),
    st.lists(FAULT_ITEMS, max_size=6).map(dumps),
    DEEP.map(str.encode),
)


@examples(200)
@given(ADMIN_BODIES, CONTENT_TYPES, st.sampled_from(["right", "right", "right", "wrong", "none"]))
@example(TEN_MB, "application/json", "right")
@example(b'{"fault": "error-rate", "value": 1' + b"0" * 400 + b"}", "application/json", "right")
def test_admin_faults_bodies(lab, door, body, content_type, token):
    door("lab POST /admin/faults bodies")()
    if b"crash" in body.lower():
        body = body.lower().replace(b"crash", b"crush")  # a valid crash fault would end the lab
    given_token = {"right": lab.admin_token, "wrong": "x" * 32, "none": None}[token]
    try:
        status = post(lab, "/admin/faults", body, content_type, given_token)
        assert 200 <= status < 500, (status, body[:200], content_type)
        assert token == "right" or status == 401
    finally:
        lab.clear_fault()  # a valid fault the fuzzer set (a leak, slow inference) ends here
