"""The simulator itself, driven by the real ``pagerduty`` client, and its contract checks.

Every answer these tests receive is validated against PagerDuty's published OpenAPI spec when
the ``pagerduty_sim`` fixture tears down; here we also prove the validation can fail.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import require
from tests.fakes import pagerduty_contract as contract
from tests.fakes.pagerduty_sim import PagerDutySim, pagerduty_sim  # noqa: F401 (fixture)


@pytest.fixture(scope="module")
def spec():
    found = contract.contracts()
    if found is None:
        if contract.IN_CI:
            pytest.fail(f"PagerDuty OpenAPI specs not found in {contract.SPEC_DIR}")
        pytest.skip(f"PagerDuty OpenAPI specs not found in {contract.SPEC_DIR}")
    return found


def client(sim, token=None, **kw):
    pagerduty = require("pagerduty")
    import ssl

    c = pagerduty.RestApiV2Client(token or sim.token, base_url=sim.url, trust_env=False,
                                  verify=ssl.create_default_context(cafile=sim.ca_path), **kw)
    c.retry[429] = 1
    c.sleep_timer = 0.01
    return c


RAW_EXAMPLES = [("/incidents", "get"), ("/incidents", "put"), ("/incidents/{id}", "get"),
                ("/incidents/{id}", "put"), ("/incidents/{id}/log_entries", "get"),
                ("/incidents/{id}/notes", "get"), ("/incidents/{id}/notes", "post"),
                ("/oncalls", "get")]


def _examples(raw_spec):
    for template, method in RAW_EXAMPLES:
        response = raw_spec["paths"][template][method]["responses"]["200"]
        for example in response["content"]["application/json"].get("examples", {}).values():
            yield template, method, example["value"]


def test_the_patched_spec_accepts_pagerdutys_own_examples_and_the_raw_one_does_not(spec):
    raw = json.loads(contract.spec_files()["rest"].read_text())
    unpatched = contract.Contract("raw", contract._convert_document(raw), "")
    patched = spec[0]
    raw_failures = 0
    for template, method, value in _examples(raw):
        assert patched.validate(patched.response_pointer(template, method, 200), value) == [], template
        raw_failures += bool(unpatched.validate(unpatched.response_pointer(template, method, 200), value))
    assert raw_failures >= 3  # nullable fields, channel ambiguity: the quirks are real


def test_each_quirk_patch_is_needed(spec):
    raw = json.loads(contract.spec_files()["rest"].read_text())
    unpatched = contract.Contract("raw", contract._convert_document(raw), "")
    entry = {"id": "R1", "type": "acknowledge_log_entry", "summary": "Acknowledged by A",
             "created_at": "2026-01-28T10:00:00Z", "channel": {"type": "api"},
             "agent": {"id": "PU", "type": "user_reference"}}
    body = {"log_entries": [entry], "limit": 25, "offset": 0, "more": False, "total": None}
    pointer = "/incidents/{id}/log_entries"
    assert unpatched.validate(unpatched.response_pointer(pointer, "get", 200), body)
    assert spec[0].validate(spec[0].response_pointer(pointer, "get", 200), body) == []
    incident = {"incident": {"id": "Q1", "type": "incident", "status": "triggered",
                             "resolved_at": None, "priority": None}}
    assert unpatched.validate(unpatched.response_pointer("/incidents/{id}", "get", 200), incident)
    assert spec[0].validate(spec[0].response_pointer("/incidents/{id}", "get", 200), incident) == []


def test_validation_catches_a_broken_answer(spec):
    rest = spec[0]
    pointer = rest.response_pointer("/incidents/{id}", "get", 200)
    assert rest.validate(pointer, {"incident": {"id": "Q1", "status": "on fire"}})
    assert rest.validate(pointer, {"incidents": []})
    x = type("X", (), dict(method="GET", path="/incidents/Q1", status=200, injected=False,
                           request_body=None, raw=b'{"incident": {"status": 3}}'))()
    assert contract.check_exchange(x, spec)
    x.path = "/nowhere"
    assert contract.check_exchange(x, spec) == ["GET /nowhere -> 200: no such operation in PagerDuty's spec"]


def test_state_machine_and_log_entries(pagerduty_sim):
    sim = pagerduty_sim
    inc = sim.create_incident()
    c = client(sim, default_from="oncall@example.com")
    c.rput("/incidents", json=[{"id": inc["id"], "type": "incident_reference", "status": "acknowledged"}])
    c.rput("/incidents", json=[{"id": inc["id"], "type": "incident_reference", "status": "acknowledged"}])
    assert sim.count(inc["id"], "acknowledge_log_entry") == 2  # PagerDuty logs a re-ack too
    done = c.rput(f"/incidents/{inc['id']}", json={"type": "incident_reference", "status": "resolved",
                                                   "resolution": "fixed"})
    assert done["status"] == "resolved" and done["resolved_at"]
    r = c.put(f"/incidents/{inc['id']}", json={"incident": {"type": "incident_reference",
                                                             "status": "acknowledged"}})
    assert r.status_code == 400 and r.json()["error"]["code"] == 2001  # resolved is final
    entries = c.rget(f"/incidents/{inc['id']}/log_entries")
    assert [e["type"] for e in entries] == ["resolve_log_entry", "acknowledge_log_entry",
                                            "acknowledge_log_entry", "trigger_log_entry"]
    assert entries[0]["note"] == "fixed"
    assert c.rget(f"/incidents/{inc['incident_number']}")["id"] == inc["id"]  # number works on GET
    assert all(e["self"].startswith(sim.url) for e in entries)


def test_classic_pagination_total_and_the_offset_ceiling(pagerduty_sim):
    sim = pagerduty_sim
    sim.create_incidents(30)
    c = client(sim)
    page = c.jget("/incidents", params={"limit": 10, "offset": 20, "date_range": "all"})
    assert (len(page["incidents"]), page["more"], page["total"]) == (10, False, None)
    page = c.jget("/incidents", params={"limit": 10, "total": "true", "date_range": "all"})
    assert (page["more"], page["total"]) == (True, 30)
    assert c.jget("/incidents", params={"limit": 500})["limit"] == 100
    r = c.get("/incidents", params={"limit": 100, "offset": 9_950})
    assert r.status_code == 400 and r.json()["error"]["message"] == "Invalid Input Provided"
    assert len(list(c.iter_all("/incidents", params={"date_range": "all"}))) == 30


def test_bulk_limit_from_header_auth_and_error_bodies(pagerduty_sim):
    sim = pagerduty_sim
    incidents = sim.create_incidents(251)
    body = {"incidents": [{"id": i["id"], "type": "incident_reference", "status": "acknowledged"}
                          for i in incidents]}
    with_from = client(sim, default_from="oncall@example.com")
    assert with_from.put("/incidents", json=body).status_code == 413
    no_from = client(sim)
    body["incidents"] = body["incidents"][:2]
    r = no_from.put("/incidents", json=body)
    assert r.status_code == 400 and "From" in r.json()["error"]["errors"][0]
    assert all(sim.incident(i["id"])["status"] == "triggered" for i in incidents)
    bad = client(sim, token="not-a-token")
    with pytest.raises(require("pagerduty").HttpError) as exc:
        bad.rget("/incidents")
    assert exc.value.response.status_code == 401
    assert exc.value.response.json() == {"error": {"message": "Authentication failed", "code": 2006}}
    missing = with_from.get("/incidents/Q0000000000000")
    assert missing.status_code == 404
    assert missing.json() == {"error": {"message": "Not Found", "code": 2100}}
    account = client(sim, token=sim.account_token)
    r = account.get("/users/me")
    assert r.status_code == 400 and isinstance(r.json()["error"], str)
    assert account.api_key_access == "account"


def test_rate_limit_headers_and_the_real_limit():
    sim = PagerDutySim(rate_limit_per_minute=3)
    try:
        c = client(sim)
        statuses = [c.get("/users/me") for _ in range(3)]
        assert [r.headers["ratelimit-remaining"] for r in statuses] == ["2", "1", "0"]
        c.retry = {429: -2}  # a negative bound returns the 429 at once, to look at it
        r = c.get("/users/me")
        assert r.status_code == 429 and int(r.headers["ratelimit-reset"]) > 0
        assert r.json()["error"]["code"] == 2020
    finally:
        sim.close()


def test_injected_faults(pagerduty_sim):
    sim = pagerduty_sim
    inc = sim.create_incident()
    c = client(sim, default_from="oncall@example.com")
    sim.fail("PUT", "/incidents", 500, apply=True)
    r = c.put("/incidents", json={"incidents": [{"id": inc["id"], "type": "incident_reference",
                                                  "status": "acknowledged"}]})
    assert r.status_code == 500 and sim.incident(inc["id"])["status"] == "acknowledged"
    sim.malformed("GET", r"/incidents/.+")
    r = c.get(f"/incidents/{inc['id']}")
    assert r.status_code == 200 and r.text.startswith('{"incident"')
    with pytest.raises(ValueError):
        json.loads(r.text)
    sim.rate_limit("GET", "/incidents", reset=4, retry_after=2)
    c.retry = {429: -2}
    r = c.get("/incidents")
    assert (r.status_code, r.headers["retry-after"], r.headers["ratelimit-reset"]) == (429, "2", "4")


def test_events_api_trigger_dedup_and_resolve(pagerduty_sim):
    pagerduty = require("pagerduty")
    import ssl

    sim = pagerduty_sim
    events = pagerduty.EventsApiV2Client(sim.routing_key, base_url=sim.url, trust_env=False,
                                         verify=ssl.create_default_context(cafile=sim.ca_path))
    key = events.trigger("DRILL: down", "simlab-1", dedup_key="drill-1")
    assert key == "drill-1"
    events.trigger("DRILL: down again", "simlab-1", dedup_key="drill-1")
    opened = [i for i in sim.account.incidents.values() if i["key"] == "drill-1"]
    assert len(opened) == 1 and opened[0]["title"] == "DRILL: down"
    events.resolve("drill-1")
    assert sim.incident(opened[0]["id"])["status"] == "resolved"
    bad = pagerduty.EventsApiV2Client("short", base_url=sim.url, trust_env=False,
                                      verify=ssl.create_default_context(cafile=sim.ca_path))
    with pytest.raises(pagerduty.HttpError) as exc:
        bad.trigger("x", "y")
    assert exc.value.response.status_code == 400
    assert exc.value.response.json()["status"] == "invalid event"
