"""The lab's admin endpoint and the ``aiops lab fault`` client."""

from __future__ import annotations

import pytest

from tests.fakes.lab import lab, start_lab  # noqa: F401 (fixture)


@pytest.fixture(scope="module")
def svc():
    process = start_lab()
    yield process
    process.close()


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic abc"}])
def test_admin_without_the_token_is_401(svc, headers):
    for method in ("GET", "POST", "DELETE"):
        status, resp_headers, body = svc.request(method, "/admin/faults", {"spec": "not-ready"} if method == "POST" else None,
                                                 headers=headers)
        assert status == 401 and resp_headers["www-authenticate"] == "Bearer"
        assert b"admin token" in body
    assert svc.get("/ready")[0] == 200  # nothing was injected


@pytest.mark.parametrize("body, message", [
    ({"spec": "disk-full"}, "unknown fault 'disk-full'"),
    ({"fault": "error-rate", "value": 2}, "outside (0, 1]"),
    ({"fault": "error-rate", "value": "x"}, "not a number"),
    ({"nothing": 1}, "expected"),
    ([{"spec": "not-ready"}, {"spec": "bogus"}], "unknown fault 'bogus'"),
])
def test_bad_fault_requests_are_400_and_change_nothing(svc, body, message):
    status, resp = svc.admin("POST", body=body)
    assert status == 400 and message in resp["error"]
    assert svc.admin("GET")[1]["active"] == []


def test_unknown_fault_to_clear_is_400(svc):
    assert svc.admin("DELETE", "/admin/faults/bogus")[0] == 400


def test_set_list_and_clear(svc):
    body = svc.set_fault("entropy-spike=3")
    assert [f["spec"] for f in body["active"]] == ["entropy-spike=3"]
    assert {f["name"] for f in body["available"]} >= {"memory-leak", "crash"}
    status, body = svc.admin("POST", body=[{"fault": "not-ready"}, "error-rate=0.1"])
    assert status == 200 and [f["name"] for f in body["active"]] == ["entropy-spike", "error-rate", "not-ready"]
    assert svc.get("/ready")[0] == 503
    assert [f["name"] for f in svc.clear_fault("not-ready")["active"]] == ["entropy-spike", "error-rate"]
    assert svc.clear_fault()["active"] == []
    assert svc.get("/ready")[0] == 200
    messages = [r["message"] for r in svc.logs() if r["logger"] == "active_inference.faults"]
    assert "Fault injected: entropy-spike=3" in messages and "Fault cleared: not-ready" in messages


def test_admin_is_disabled_without_a_configured_token(lab):
    svc = lab(admin_token="")
    status, body = svc.get("/admin/faults", headers={"Authorization": "Bearer anything"})
    assert status == 403 and "disabled" in body["error"]


def test_fault_cli_sets_lists_and_clears(svc, cli):
    env = {"AIOPS_LAB_ADMIN_TOKEN": svc.admin_token}
    result = cli("lab", "fault", "set", "slow-inference=0.01", "error-rate", "-t", svc.url, "-o", "json", env=env)
    assert result.exit_code == 0, result.stderr
    report = result.json()
    assert report["schema"] == "aiops.lab.faults/v1" and report["changed"] == ["slow-inference=0.01", "error-rate=0.5"]
    assert [f["spec"] for f in report["active"]] == ["error-rate=0.5", "slow-inference=0.01"]
    listed = cli("lab", "fault", "list", "--target", svc.url, "-o", "json", env=env).json()
    assert len(listed["active"]) == 2 and len(listed["available"]) == 12  # 8 faults, 4 noise
    table = cli("lab", "fault", "list", "-t", svc.url, "-o", "table", env=env)
    assert "2 active fault(s)" in table.stdout and "slow-inference" in table.stdout
    assert cli("lab", "fault", "clear", "error-rate", "-t", svc.url, "-o", "json", env=env).json()["changed"] == ["error-rate"]
    cleared = cli("lab", "fault", "clear", "-t", svc.url, "-o", "json", env=env).json()
    assert cleared["active"] == [] and cleared["changed"] == ["all"]


def test_fault_cli_errors_have_exit_codes(svc, cli):
    env = {"AIOPS_LAB_ADMIN_TOKEN": svc.admin_token}
    bad = cli("lab", "fault", "set", "disk-full", "-t", svc.url, env=env)
    assert bad.exit_code == 2 and "unknown fault 'disk-full'" in bad.stderr
    assert cli("lab", "fault", "set", "error-rate=3", "-t", svc.url, env=env).exit_code == 2
    wrong = cli("lab", "fault", "list", "-t", svc.url, env={"AIOPS_LAB_ADMIN_TOKEN": "wrong-token"})
    assert wrong.exit_code == 4 and "wrong-token" not in wrong.stderr
    assert cli("lab", "fault", "list", "-t", svc.url).exit_code == 4  # no token at all
    assert cli("lab", "fault", "list", env=env).exit_code == 2  # no target
    from tests.conftest import free_port

    gone = cli("lab", "fault", "list", "-t", f"http://127.0.0.1:{free_port()}", env=env)
    assert gone.exit_code == 5 and "connection refused" in gone.stderr
