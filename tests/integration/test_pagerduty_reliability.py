"""The reliability scenario: bulk-acknowledge 300 incidents while PagerDuty answers one chunk
with 429 and one with 500. Afterwards every incident is acknowledged exactly once or listed as
failed, the audit log has one entry per incident, and a second run changes nothing."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from tests.fakes.pagerduty_sim import pagerduty_sim  # noqa: F401 (fixture)

N = 300


@pytest.fixture
def storm(cli, pagerduty_sim, monkeypatch, tmp_path):
    for key, value in pagerduty_sim.env().items():
        monkeypatch.setenv(key, value)
    incidents = pagerduty_sim.create_incidents(N)
    ids = [i["id"] for i in incidents]

    def ack():
        return cli("incident", "ack", "-", "--yes", "-o", "json", stdin="\n".join(ids) + "\n")

    def audit():
        path = tmp_path / "xdg-data" / "aiops" / "audit.jsonl"
        records = [json.loads(line) for line in path.read_text().splitlines()]
        return [r for r in records if r["action"] != "audit.genesis"]  # the chain's first record

    return pagerduty_sim, ids, ack, audit


@pytest.mark.parametrize("applied", [True, False], ids=["500-after-applying", "500-before-applying"])
def test_bulk_ack_through_a_429_and_a_500(storm, applied):
    sim, ids, ack, audit = storm
    sim.rate_limit("PUT", "/incidents", reset=1)                   # chunk 1: 429 first
    sim.fail("PUT", "/incidents", 500, skip=1, apply=applied)     # chunk 2: 500

    first = ack()
    assert first.exit_code == 0, first.stderr
    report = first.json()
    assert report["summary"] == {"acknowledged": N}
    assert all(sim.incident(i)["status"] == "acknowledged" for i in ids)
    assert Counter(sim.count(i, "acknowledge_log_entry") for i in ids) == {1: N}  # exactly once
    puts = sim.requests("PUT", "/incidents")
    assert [x.status for x in puts][:3] == [429, 200, 500]
    assert puts[1].at - puts[0].at >= 0.9                          # waited what ratelimit-reset said
    assert max(len(x.request_body["incidents"]) for x in puts) <= 250

    entries = audit()
    assert len(entries) == N and Counter(e["incident"] for e in entries) == Counter(ids)
    assert {e["outcome"] for e in entries} == {"acknowledged"}

    put_count = len(sim.requests("PUT"))
    second = ack()
    assert second.exit_code == 0, second.stderr
    assert second.json()["summary"] == {"already_acknowledged": N}
    assert len(sim.requests("PUT")) == put_count                   # the second run changed nothing
    assert Counter(sim.count(i, "acknowledge_log_entry") for i in ids) == {1: N}


def test_a_chunk_that_keeps_failing_is_listed_as_failed_and_a_rerun_finishes(storm):
    sim, ids, ack, audit = storm
    sim.rate_limit("PUT", "/incidents", reset=1)
    sim.fail("PUT", "/incidents", 500, skip=1, times=10)          # chunk 2 fails, retry too

    first = ack()
    assert first.exit_code == 5
    assert "50 not done, 250 done" in first.stderr and "re-run the same command" in first.stderr
    results = first.json()["results"]
    failed = [r["id"] for r in results if r["outcome"] == "failed"]
    done = [r["id"] for r in results if r["outcome"] == "acknowledged"]
    assert (len(done), len(failed)) == (250, 50)
    assert all(r["reason"] for r in results if r["outcome"] == "failed")
    for i in ids:  # acknowledged exactly once, or listed as failed (and untouched)
        assert sim.count(i, "acknowledge_log_entry") == (1 if i in done else 0)
    assert Counter(e["incident"] for e in audit()) == Counter(ids)

    sim.faults.clear()
    second = ack()
    assert second.exit_code == 0, second.stderr
    assert second.json()["summary"] == {"already_acknowledged": 250, "acknowledged": 50}
    assert Counter(sim.count(i, "acknowledge_log_entry") for i in ids) == {1: N}
