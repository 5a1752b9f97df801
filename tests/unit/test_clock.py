"""The P1 clock: boundaries (exactly 5:00, one second late), never acknowledged, reopened."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest

from aiops.incidents.clock import advance, compute_clock, describe, human_duration, severity_of

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 1, 28, 10, 0, 0, tzinfo=UTC)


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


@dataclass
class Inc:
    status: str = "triggered"
    priority: str | None = "P1"
    id: str = "QABC"
    number: int = 7
    title: str = "API down"
    created_at: dt.datetime = T0
    resolved_at: dt.datetime | None = None
    last_status_change_at: dt.datetime | None = None


@dataclass
class Entry:
    type: str
    created_at: dt.datetime
    agent: str | None = "Alex"
    agent_type: str | None = "user_reference"


@dataclass
class Audit:
    time: dt.datetime
    action: str
    outcome: str
    actor: str = "oncall@example.com"
    details: dict = field(default_factory=dict)


def log(*items: tuple[str, float], agent_type: str = "user_reference") -> list[Entry]:
    return [Entry(f"{kind}_log_entry", at(s), agent_type=agent_type) for kind, s in items]


def state(clock, name):
    return clock.milestone(name)


def test_acknowledged_at_exactly_five_minutes_is_met():
    clock = compute_clock(Inc("acknowledged"), log(("trigger", 0), ("acknowledge", 300)), now=at(400))
    m = state(clock, "Immediate response")
    assert (m.status, m.happened, m.due) == ("met", at(300), at(300))
    assert m.took_seconds == 300 and m.late_seconds is None
    assert describe(m) == "met in 5m 00s"


def test_acknowledged_one_second_late_is_missed_by_one_second():
    clock = compute_clock(Inc("acknowledged"), log(("trigger", 0), ("acknowledge", 301)), now=at(400))
    m = state(clock, "Immediate response")
    assert (m.status, m.late_seconds) == ("missed", 1.0)
    assert describe(m) == "missed by 1s"
    assert clock.verdict == "missed" and clock.exit_code() == 3


def test_never_acknowledged_is_pending_until_the_deadline_then_missed():
    entries = log(("trigger", 0))
    before = compute_clock(Inc(), entries, now=at(120))
    m = state(before, "Immediate response")
    assert (m.status, m.time_left_seconds) == ("pending", 180.0)
    assert describe(m) == "3m 00s left" and before.exit_code() == 0
    edge = compute_clock(Inc(), entries, now=at(300))
    assert state(edge, "Immediate response").status == "pending"  # 5:00 exactly: not yet missed
    after = compute_clock(Inc(), entries, now=at(301))
    m = state(after, "Immediate response")
    assert (m.status, m.happened, m.late_seconds) == ("missed", None, 1.0)
    assert m.note == "has not happened"
    assert after.exit_code() == 3


def test_four_milestones_in_runbook_order_with_their_due_times():
    clock = compute_clock(Inc(), log(("trigger", 0)), now=at(1))
    assert [(m.name, m.due) for m in clock.milestones] == [
        ("Immediate response", at(300)), ("Investigation", at(900)), ("Resolution", at(3600)),
        ("Post-incident", at(86400))]
    assert clock.verdict == "pending" and not clock.settled


def test_full_response_from_log_entries_and_audit():
    entries = log(("trigger", 0), ("acknowledge", 120), ("annotate", 600), ("resolve", 2400))
    audit = [Audit(at(80000), "postmortem", "written")]
    clock = compute_clock(Inc("resolved", resolved_at=at(2400)), entries, audit, now=at(90000))
    assert [m.status for m in clock.milestones] == ["met"] * 4
    assert [m.happened for m in clock.milestones] == [at(120), at(600), at(2400), at(80000)]
    assert state(clock, "Post-incident").evidence == "postmortem by oncall@example.com (audit)"
    assert clock.settled and clock.exit_code() == 0


def test_audit_actions_count_when_the_log_lacks_them():
    audit = [Audit(at(200), "acknowledge", "acknowledged"), Audit(at(500), "note", "noted"),
             Audit(at(30), "acknowledge", "failed")]
    clock = compute_clock(Inc("acknowledged"), log(("trigger", 0)), audit, now=at(600))
    assert state(clock, "Immediate response").happened == at(200)
    assert state(clock, "Investigation").happened == at(500)


def test_audit_times_within_the_same_second_are_not_a_reopen():
    # PagerDuty logs whole seconds; aiops's audit entries carry milliseconds.
    entries = log(("trigger", 0), ("acknowledge", 5), ("resolve", 5))
    audit = [Audit(at(5.05), "acknowledge", "acknowledged"), Audit(at(5.1), "resolve", "resolved")]
    clock = compute_clock(Inc("resolved"), entries, audit, now=at(10))
    assert clock.reopened_at == []
    assert state(clock, "Resolution").happened == at(5)


def test_audit_resolve_counts_when_the_log_has_none():
    clock = compute_clock(Inc("resolved"), log(("trigger", 0)), [Audit(at(700), "resolve", "resolved")],
                          now=at(800))
    assert state(clock, "Resolution").happened == at(700)


def test_an_investigation_action_counts_as_investigation():
    clock = compute_clock(Inc(), log(("trigger", 0)), [Audit(at(700), "triage", "done")], now=at(800))
    assert state(clock, "Investigation").happened == at(700)


def test_a_person_resolving_without_acknowledging_has_responded():
    clock = compute_clock(Inc("resolved"), log(("trigger", 0), ("resolve", 240)), now=at(400))
    m = state(clock, "Immediate response")
    assert (m.status, m.happened) == ("met", at(240))
    assert m.evidence.startswith("resolve without acknowledging")


def test_an_automatic_resolve_is_not_a_response():
    entries = log(("trigger", 0)) + log(("resolve", 240), agent_type="service_reference")
    clock = compute_clock(Inc("resolved"), entries, now=at(400))
    assert state(clock, "Immediate response").status == "missed"
    assert state(clock, "Resolution").status == "met"


def test_reopened_incident_counts_the_final_resolve_from_the_original_trigger():
    entries = log(("trigger", 0), ("acknowledge", 60), ("resolve", 1200), ("trigger", 1800),
                  ("acknowledge", 1860), ("resolve", 4200))
    clock = compute_clock(Inc("resolved", resolved_at=at(4200)), entries, now=at(5000))
    m = state(clock, "Resolution")
    assert (m.status, m.happened, m.late_seconds) == ("missed", at(4200), 600.0)
    assert clock.reopened_at == [at(1800)]
    assert "reopened" in m.note and "2026-01-28T10:20:00Z" in m.note
    assert state(clock, "Immediate response").happened == at(60)  # the first ack still counts
    assert clock.to_dict()["reopened"] == 1


def test_reopened_and_resolved_again_in_time_is_met():
    entries = log(("trigger", 0), ("resolve", 600), ("acknowledge", 900), ("resolve", 3000))
    clock = compute_clock(Inc("resolved"), entries, now=at(3100))
    assert state(clock, "Resolution").status == "met"
    assert state(clock, "Resolution").happened == at(3000)


def test_reopened_and_still_open_waits_for_the_next_resolve():
    entries = log(("trigger", 0), ("acknowledge", 60), ("resolve", 600), ("trigger", 900))
    pending = compute_clock(Inc("triggered"), entries, now=at(1000))
    assert state(pending, "Resolution").status == "pending"
    assert state(pending, "Resolution").happened is None
    missed = compute_clock(Inc("triggered"), entries, now=at(3601))
    assert state(missed, "Resolution").status == "missed"


def test_reopen_seen_only_in_the_status():
    entries = log(("trigger", 0), ("resolve", 600))
    clock = compute_clock(Inc("acknowledged", last_status_change_at=at(700)), entries, now=at(800))
    assert clock.reopened_at == [at(700)]
    assert state(clock, "Resolution").status == "pending"


def test_lower_severity_clock_is_informational():
    clock = compute_clock(Inc(priority="P3"), log(("trigger", 0)), now=at(4000))
    assert clock.verdict == "missed" and clock.severity == "P3"
    assert not clock.applies and clock.exit_code() == 0
    assert compute_clock(Inc(priority=None), [], now=at(4000)).exit_code() == 3


@pytest.mark.parametrize("priority, severity", [("P1", "P1"), ("p2", "P2"), ("P5", "P4"),
                                                ("SEV-1", None), (None, None)])
def test_severity_from_priority(priority, severity):
    assert severity_of(priority) == severity


def test_advance_counts_down_and_then_misses():
    clock = compute_clock(Inc(), log(("trigger", 0)), now=at(298))
    later = advance(clock, at(299))
    assert state(later, "Immediate response").time_left_seconds == 1.0
    assert state(advance(clock, at(302)), "Immediate response").status == "missed"
    assert state(clock, "Immediate response").time_left_seconds == 2.0  # the original is unchanged


@pytest.mark.parametrize("seconds, text", [(0, "0s"), (59, "59s"), (300, "5m 00s"), (3661, "1h 01m"),
                                           (90000, "1d 01h"), (-61, "-1m 01s"), (None, "-")])
def test_human_duration(seconds, text):
    assert human_duration(seconds) == text


def test_json_shape():
    doc = compute_clock(Inc(), log(("trigger", 0), ("acknowledge", 100)), now=at(200)).to_dict()
    assert doc["schema"] == "aiops.incidents.clock/v1"
    assert set(doc) >= {"incident", "number", "start", "now", "verdict", "applies", "severity",
                        "reopened", "reopened_at", "milestones"}
    assert set(doc["milestones"][0]) == {"name", "within_seconds", "due", "status", "happened",
                                         "took_seconds", "evidence", "actor", "time_left_seconds",
                                         "late_seconds", "note"}
