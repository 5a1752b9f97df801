"""aiops's incident core against the simulator, through the real ``pagerduty`` client:
pagination, retries, reconciliation, chunking, idempotency and failure reports."""

from __future__ import annotations

import pytest

from aiops.core.errors import AuthError
from aiops.incidents import (
    RetryPolicy,
    add_note,
    apply_change,
    connect,
    get_incident,
    list_incidents,
    list_log_entries,
    oncalls,
    plan_change,
    show_incident,
    trigger,
)
from aiops.incidents.audit import AuditLog, read
from aiops.incidents.client import NotFound, Unavailable
from tests.fakes.pagerduty_sim import pagerduty_sim  # noqa: F401 (fixture)


class Sleeps(list):
    """A RetryPolicy.sleep that records instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps():
    return Sleeps()


def session(sim, sleeps=None, **settings):
    policy = RetryPolicy(sleep=sleeps if sleeps is not None else Sleeps())
    return connect(sim.settings(**settings), retry=policy)


def ids(incidents):
    return [i["id"] for i in incidents]


def test_list_paginates_to_the_limit_and_reports_more(pagerduty_sim):
    pagerduty_sim.create_incidents(230)
    with session(pagerduty_sim) as pd:
        result = list_incidents(pd, limit=205, statuses=["triggered"], sort="incident_number:asc")
    assert len(result.incidents) == 205 and result.more
    assert [i.number for i in result.incidents[:3]] == [1, 2, 3]
    limits = [x.query["limit"][0] for x in pagerduty_sim.requests("GET", "/incidents")]
    assert limits == ["100", "100", "5"]


def test_list_filters_mine_service_by_name_status_and_window(pagerduty_sim):
    sim = pagerduty_sim
    other = sim.account.add_service("Billing")
    sim.create_incident("mine, high")
    sim.create_incident("theirs", assignee=sim.other_user["id"])
    sim.create_incident("low one", urgency="low")
    sim.create_incident("billing", service_id=other["id"])
    sim.create_incident("done", status="resolved")
    with session(sim) as pd:
        titles = lambda **kw: sorted(i.title for i in list_incidents(pd, **kw).incidents)  # noqa: E731
        assert titles(mine=True, statuses=["triggered"]) == ["billing", "low one", "mine, high"]
        assert titles(services=["Billing"]) == ["billing"]
        assert titles(services=[other["id"]]) == ["billing"]
        assert titles(urgencies=["low"]) == ["low one"]
        assert titles(statuses=["resolved"]) == ["done"]
        assert len(list_incidents(pd).incidents) == 5
    assert sim.requests("GET", "/incidents")[0].query["date_range"] == ["all"]


def test_list_stops_at_the_offset_ceiling(pagerduty_sim):
    sim = pagerduty_sim
    for n in range(10_050):  # straight into the account: the API path is not under test here
        sim.account.create_incident(f"storm {n}", service_id=sim.service["id"])
    with session(sim) as pd:
        result = list_incidents(pd, limit=10_050, statuses=[])
    assert len(result.incidents) == 10_000 and result.more
    assert all(int(x.query["offset"][0]) + int(x.query["limit"][0]) <= 10_000
               for x in sim.requests("GET", "/incidents"))
    sim.exchanges.clear()  # 100 pages of 100 incidents: validated by the smaller tests


def test_numbers_and_ids_both_work_and_the_timeline_is_oldest_first(pagerduty_sim):
    sim = pagerduty_sim
    inc = sim.create_incident(status="resolved")
    with session(sim) as pd:
        assert get_incident(pd, str(inc["incident_number"])).id == inc["id"]
        assert get_incident(pd, f"#{inc['incident_number']}").id == inc["id"]
        entries = list_log_entries(pd, str(inc["incident_number"]))
        detail = show_incident(pd, inc["id"])
        with pytest.raises(NotFound, match="incident 999 not found"):
            get_incident(pd, "999")
    assert [e.action for e in entries] == ["trigger", "resolve"]
    assert detail.incident.status == "resolved" and detail.log_entries == entries


def test_429_waits_what_the_headers_say_then_succeeds(pagerduty_sim, sleeps):
    sim = pagerduty_sim
    sim.create_incident()
    sim.rate_limit("GET", "/incidents", reset=3)
    sim.rate_limit("GET", "/incidents", reset=9, retry_after=2)
    with session(sim, sleeps) as pd:
        assert len(list_incidents(pd).incidents) == 1
    assert sleeps == [3.0, 2.0]


def test_429_retries_are_bounded(pagerduty_sim, sleeps):
    sim = pagerduty_sim
    sim.rate_limit("GET", "/incidents", reset=1, times=50)
    with session(sim, sleeps) as pd, pytest.raises(Unavailable) as exc:
        list_incidents(pd)
    assert exc.value.kind == "rate_limited" and exc.value.exit_code == 5
    assert len(sleeps) == RetryPolicy().max_429
    assert len(sim.requests("GET", "/incidents")) == RetryPolicy().max_429 + 1


def test_a_wait_longer_than_the_cap_is_not_slept(pagerduty_sim, sleeps):
    pagerduty_sim.rate_limit("GET", "/incidents", reset=3600)
    with session(pagerduty_sim, sleeps) as pd, pytest.raises(Unavailable, match="rate-limiting"):
        list_incidents(pd)
    assert sleeps == []


def test_5xx_is_retried_for_reads_only(pagerduty_sim, sleeps):
    sim = pagerduty_sim
    inc = sim.create_incident()
    sim.fail("GET", r"/incidents/.+", 503)
    with session(sim, sleeps) as pd:
        assert get_incident(pd, inc["id"]).id == inc["id"]
        sim.fail("POST", r"/incidents/.+/notes", 500)
        with pytest.raises(Unavailable):
            pd.rpost(f"/incidents/{inc['id']}/notes", {"content": "x"})
    assert len(sim.requests("POST", r"/incidents/.+/notes")) == 1  # a write is never resent blindly
    assert sleeps == [0.5]


def test_a_dropped_connection_on_a_read_is_retried_once(pagerduty_sim):
    sim = pagerduty_sim
    inc = sim.create_incident()
    sim.drop("GET", r"/incidents/.+")
    with session(sim) as pd:
        assert get_incident(pd, inc["id"]).id == inc["id"]
        sim.drop("GET", r"/incidents/.+", times=2)
        with pytest.raises(Unavailable, match="unreachable"):
            get_incident(pd, inc["id"])


def test_malformed_json_is_an_upstream_error(pagerduty_sim):
    inc = pagerduty_sim.create_incident()
    pagerduty_sim.malformed("GET", r"/incidents/.+")
    with session(pagerduty_sim) as pd, pytest.raises(Unavailable, match="malformed") as exc:
        get_incident(pd, inc["id"])
    assert exc.value.exit_code == 5


def test_bad_token_is_an_auth_error(pagerduty_sim):
    with session(pagerduty_sim, token="wrong-token-0000") as pd, pytest.raises(AuthError) as exc:
        list_incidents(pd)
    assert "401" in exc.value.message and "wrong-token" not in exc.value.message


def test_ack_is_idempotent_and_never_reopens_a_resolved_incident(pagerduty_sim, tmp_path):
    sim = pagerduty_sim
    triggered = sim.create_incidents(3)
    acked = sim.create_incident(status="acknowledged")
    resolved = sim.create_incident(status="resolved")
    refs = ids(triggered) + [acked["id"], str(resolved["incident_number"]), "424242"]
    audit = AuditLog(tmp_path / "audit.jsonl")
    with session(sim) as pd:
        first = apply_change(pd, plan_change(pd, "acknowledge", refs=refs), audit=audit)
        second = apply_change(pd, plan_change(pd, "acknowledge", refs=refs), audit=audit)
    assert first.summary == {"acknowledged": 3, "already_acknowledged": 1, "already_resolved": 1,
                             "not_found": 1}
    assert first.not_found == ["424242"] and first.exit_code() == 3
    assert second.summary == {"already_acknowledged": 4, "already_resolved": 1, "not_found": 1}
    assert sim.incident(resolved["id"])["status"] == "resolved"
    assert [sim.count(i, "acknowledge_log_entry") for i in ids(triggered)] == [1, 1, 1]
    assert len(sim.requests("PUT", "/incidents")) == 1
    entries = read(audit.path).entries
    assert len(entries) == 12 and {e.actor for e in entries} == {"oncall@example.com"}


def test_the_same_incident_twice_is_acted_on_once(pagerduty_sim):
    inc = pagerduty_sim.create_incident()
    with session(pagerduty_sim) as pd:
        plan = plan_change(pd, "acknowledge", refs=[inc["id"], str(inc["incident_number"])])
        report = apply_change(pd, plan)
    assert len(report.results) == 1 and report.results[0].outcome == "acknowledged"


def test_bulk_updates_are_chunked_at_250(pagerduty_sim):
    sim = pagerduty_sim
    incidents = sim.create_incidents(520)
    with session(sim) as pd:
        report = apply_change(pd, plan_change(pd, "resolve", refs=ids(incidents),
                                              resolution="storm over"))
    sizes = [len(x.request_body["incidents"]) for x in sim.requests("PUT", "/incidents")]
    assert sizes == [250, 250, 20] and report.summary == {"resolved": 520}
    assert sim.requests("PUT", "/incidents")[0].request_body["incidents"][0]["resolution"] == "storm over"
    assert all(x.request_headers.get("From") == "oncall@example.com"
               for x in sim.requests("PUT", "/incidents"))


def test_an_incident_resolved_meanwhile_does_not_fail_the_chunk(pagerduty_sim):
    sim = pagerduty_sim
    incidents = sim.create_incidents(4)
    with session(sim) as pd:
        plan = plan_change(pd, "acknowledge", refs=ids(incidents))
        sim.account.transition(incidents[1]["id"], "resolved", sim.other_user["id"])
        report = apply_change(pd, plan)
    assert [r.outcome for r in report.results] == ["acknowledged", "already_resolved",
                                                   "acknowledged", "acknowledged"]
    assert report.exit_code() == 0
    assert len(sim.requests("PUT", r"/incidents/.+")) == 4  # bulk refused: one by one


@pytest.mark.parametrize("applied", [True, False], ids=["applied-then-500", "500-not-applied"])
def test_a_5xx_on_a_bulk_write_is_reconciled_not_resent_blindly(pagerduty_sim, applied):
    sim = pagerduty_sim
    incidents = sim.create_incidents(5)
    sim.fail("PUT", "/incidents", 502, apply=applied)
    with session(sim) as pd:
        report = apply_change(pd, plan_change(pd, "acknowledge", refs=ids(incidents)))
    assert report.summary == {"acknowledged": 5} and report.exit_code() == 0
    assert all(sim.count(i, "acknowledge_log_entry") == 1 for i in ids(incidents))
    assert len(sim.requests("PUT", "/incidents")) == (1 if applied else 2)
    assert all((r.reason or "").startswith("confirmed after") for r in report.results) == applied


def test_network_failure_mid_batch_reports_done_and_not_done(pagerduty_sim, tmp_path):
    sim = pagerduty_sim
    incidents = sim.create_incidents(30)
    audit = AuditLog(tmp_path / "audit.jsonl")
    with session(sim) as pd:
        plan = plan_change(pd, "acknowledge", refs=ids(incidents))
        sim.drop("PUT", "/incidents", skip=1, times=100)       # chunk 2 never answers...
        sim.drop("GET", r"/incidents/.+", times=1000)          # ...and nothing else does either
        report = apply_change(pd, plan, audit=audit, chunk_size=10)
    outcomes = [r.outcome for r in report.results]
    assert outcomes == ["acknowledged"] * 10 + ["failed"] * 10 + ["not_attempted"] * 10
    assert report.exit_code() == 5 and "unreachable" in report.upstream_failure
    assert report.problem().startswith("20 not done, 10 done")
    assert all(r.reason.startswith("state unknown") for r in report.results[10:20])
    assert len(read(audit.path).entries) == 30
    sim.faults.clear()
    with session(sim) as pd:  # re-running finishes the job and touches nothing twice
        again = apply_change(pd, plan_change(pd, "acknowledge", refs=ids(incidents)))
    assert again.summary == {"already_acknowledged": 10, "acknowledged": 20}
    assert all(sim.count(i, "acknowledge_log_entry") == 1 for i in ids(incidents))


def test_notes_are_added_once_even_after_an_unclear_failure(pagerduty_sim, tmp_path):
    sim = pagerduty_sim
    inc = sim.create_incident()
    audit = AuditLog(tmp_path / "audit.jsonl")
    sim.fail("POST", r"/incidents/.+/notes", 500, apply=True)
    with session(sim) as pd:
        report = add_note(pd, str(inc["incident_number"]), "rolling back", audit=audit)
        assert report.results[0].outcome == "noted"
        sim.drop("POST", r"/incidents/.+/notes")  # not applied: sent once more
        assert add_note(pd, inc["id"], "second", audit=audit).results[0].outcome == "noted"
        dry = add_note(pd, inc["id"], "third", dry_run=True, audit=audit)
        missing = add_note(pd, "9999", "x", audit=audit)
    assert [n["content"] for n in sim.account.find(inc["id"])["notes"]] == ["rolling back", "second"]
    assert dry.results[0].outcome == "would_note" and missing.exit_code() == 3
    assert [e.outcome for e in read(audit.path).entries] == ["noted", "noted", "not_found"]


def test_oncalls_now_filtered(pagerduty_sim):
    sim = pagerduty_sim
    acct = sim.account
    sched = acct.add_schedule("Primary")
    policy = sim.service["escalation_policy"]["id"]
    acct.add_oncall(sim.user["id"], policy_id=policy, level=1, schedule_id=sched["id"])
    acct.add_oncall(sim.other_user["id"], policy_id=policy, level=2)
    with session(sim) as pd:
        everyone = oncalls(pd)
        primary = oncalls(pd, schedule_ids=[sched["id"]])
    assert [(o.user, o.escalation_level) for o in everyone.oncalls] == [("Alex Oncall", 1),
                                                                       ("Sam Secondary", 2)]
    assert [o.user for o in primary.oncalls] == ["Alex Oncall"]


def test_trigger_sends_a_deduplicated_event_and_retries_a_5xx(pagerduty_sim, tmp_path):
    sim = pagerduty_sim
    audit = AuditLog(tmp_path / "audit.jsonl")
    sim.fail("POST", "/v2/enqueue", 500, apply=True)
    report = trigger(sim.settings(), summary="DRILL: API down", source="simlab-1",
                     dedup_key="drill-7", audit=audit, retry=RetryPolicy(sleep=Sleeps()))
    assert report.results[0].outcome == "triggered" and report.results[0].id == "drill-7"
    assert len(sim.requests("POST", "/v2/enqueue")) == 2
    assert [i["title"] for i in sim.account.incidents.values()] == ["DRILL: API down"]
    assert read(audit.path).entries[0].incident == "drill-7"
