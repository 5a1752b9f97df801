"""``aiops incident`` end to end: the real CLI, the real client, the simulator over TLS."""

from __future__ import annotations

import json
import time

import pytest

from tests.conftest import free_port
from tests.fakes.pagerduty_sim import pagerduty_sim  # noqa: F401 (fixture)


@pytest.fixture
def pd(cli, pagerduty_sim, monkeypatch):
    """``pd(*args)``: run ``aiops incident ARGS`` against the simulator."""
    for key, value in pagerduty_sim.env().items():
        monkeypatch.setenv(key, value)

    def run(*args, **kw):
        return cli("incident", *args, **kw)

    run.sim = pagerduty_sim
    return run


def audit_lines(tmp_path):
    """The audit file's action records (the hash chain's genesis record left out)."""
    path = tmp_path / "xdg-data" / "aiops" / "audit.jsonl"
    lines = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    return [r for r in lines if r["action"] != "audit.genesis"]


def test_list_json_shape_and_filters(pd):
    sim = pd.sim
    sim.create_incident("api down", priority="P1")
    sim.create_incident("slow", urgency="low", status="acknowledged")
    sim.create_incident("old news", status="resolved")
    result = pd("list")
    assert result.exit_code == 0, result.stderr
    doc = result.json()
    assert doc["schema"] == "aiops.incidents/v1" and doc["count"] == 2 and doc["more"] is False
    first = doc["incidents"][0]
    assert set(first) == {"id", "number", "title", "status", "urgency", "priority", "service",
                          "service_id", "created_at", "last_status_change_at", "resolved_at",
                          "assignees", "teams", "html_url"}
    assert {i["title"] for i in doc["incidents"]} == {"api down", "slow"}
    assert pd("list", "-s", "all").json()["count"] == 3
    assert [i["title"] for i in pd("list", "--urgency", "high").json()["incidents"]] == ["api down"]
    assert pd("list", "--service", "Sim Lab API", "--mine").json()["count"] == 2
    assert pd("list", "--since", "1h", "--until", "now").json()["count"] == 2
    assert pd("list", "--since", "2d", "--until", "1d").json()["count"] == 0
    assert pd("list", "--sort", "incident_number:asc").json()["incidents"][0]["title"] == "api down"


def test_list_limit_says_more_on_stderr(pd):
    pd.sim.create_incidents(5)
    result = pd("list", "--limit", "2")
    assert result.json()["count"] == 2 and result.json()["more"] is True
    assert "more match" in result.stderr


@pytest.mark.parametrize("args, message", [
    (("list", "--sort", "title"), "--sort"), (("list", "-s", "open-ish"), "--status"),
    (("list", "--since", "yesterday"), "--since"), (("list", "--service", "Nope"), "Nope"),
    (("ack",), "name at least one incident"), (("ack", "P!"), "invalid incident reference"),
])
def test_bad_input_exits_2(pd, args, message):
    result = pd(*args)
    assert result.exit_code == 2 and message in result.stderr, result.stderr


def test_show_and_log(pd):
    inc = pd.sim.create_incident("api down", status="acknowledged")
    shown = pd("show", str(inc["incident_number"]))
    assert shown.exit_code == 0, shown.stderr
    doc = shown.json()
    assert doc["incident"]["id"] == inc["id"]
    assert [e["action"] for e in doc["log_entries"]] == ["trigger", "acknowledge"]
    log = pd("log", inc["id"]).json()
    assert log["schema"] == "aiops.incident-log/v1" and len(log["log_entries"]) == 2
    table = pd("show", inc["id"], tty=True)
    assert "api down" in table.stdout and "acknowledge" in table.stdout


def test_an_incident_by_a_unique_prefix_of_its_id(pd, tmp_path):
    one, two = pd.sim.create_incident("api down"), pd.sim.create_incident("queue growing")
    shown = pd("show", one["id"][:7])
    assert shown.exit_code == 0, shown.stderr
    assert shown.json()["incident"]["id"] == one["id"]
    assert pd("log", two["id"][:7]).json()["incident"]["id"] == two["id"]
    acked = pd("ack", two["id"][:7])
    assert acked.exit_code == 0 and acked.json()["results"][0]["id"] == two["id"]
    ambiguous = pd("show", "Q")  # every simulated incident ID starts with Q
    assert ambiguous.exit_code == 2
    assert "ambiguous" in ambiguous.stderr and one["id"] in ambiguous.stderr and two["id"] in ambiguous.stderr
    assert pd("show", "QZZZZZZZZ").exit_code == 3  # no such incident


def test_unknown_incident_exits_3(pd):
    result = pd("show", "31337")
    assert result.exit_code == 3 and "31337 not found" in result.stderr


def test_ack_one_by_number_and_audit(pd, tmp_path):
    inc = pd.sim.create_incident()
    result = pd("ack", f"#{inc['incident_number']}")
    assert result.exit_code == 0, result.stderr
    assert result.json()["results"][0]["outcome"] == "acknowledged"
    assert pd.sim.incident(inc["id"])["status"] == "acknowledged"
    [entry] = audit_lines(tmp_path)
    assert (entry["action"], entry["incident"], entry["outcome"], entry["actor"]) == (
        "acknowledge", inc["id"], "acknowledged", "oncall@example.com")
    audit = pd("audit", "--incident", str(inc["incident_number"])).json()
    assert audit["count"] == 1 and audit["entries"][0]["incident"] == inc["id"]


def test_unknown_incidents_exit_3_while_the_others_are_processed(pd):
    a, b = pd.sim.create_incidents(2)
    result = pd("ack", a["id"], "4040", b["id"], "Q0NOSUCHINCDNT", "--yes")
    assert result.exit_code == 3
    assert "not found: 4040, Q0NOSUCHINCDNT" in result.stderr
    assert result.json()["summary"] == {"acknowledged": 2, "not_found": 2}
    assert pd.sim.incident(a["id"])["status"] == pd.sim.incident(b["id"])["status"] == "acknowledged"


def test_dry_run_shows_exactly_what_would_change_and_changes_nothing(pd, tmp_path):
    sim = pd.sim
    a, b = sim.create_incidents(2)
    c = sim.create_incident(status="acknowledged")
    result = pd("resolve", a["id"], b["id"], c["id"], "--dry-run")
    assert result.exit_code == 0
    doc = result.json()
    assert doc["dry_run"] is True
    assert [r["outcome"] for r in doc["results"]] == ["would_resolve"] * 3
    assert sim.requests("PUT") == [] and audit_lines(tmp_path) == []
    assert sim.incident(a["id"])["status"] == "triggered"


def test_bulk_without_a_terminal_needs_yes(pd):
    a, b = pd.sim.create_incidents(2)
    result = pd("ack", a["id"], b["id"])
    assert result.exit_code == 2 and "--yes" in result.stderr
    assert pd.sim.requests("PUT") == []


def test_bulk_on_a_terminal_asks_first(pd, monkeypatch):
    monkeypatch.setattr("aiops.cli.incident._stdin_is_tty", lambda: True)
    a, b = pd.sim.create_incidents(2)
    declined = pd("ack", a["id"], b["id"], tty=True, stdin="n\n")
    assert declined.exit_code == 130 and "Acknowledge these 2 incidents?" in declined.stderr
    assert "nothing changed" in declined.stderr and pd.sim.requests("PUT") == []
    accepted = pd("ack", a["id"], b["id"], tty=True, stdin="y\n")
    assert accepted.exit_code == 0 and "2 acknowledged" in accepted.stdout


def test_one_change_does_not_ask(pd):
    a = pd.sim.create_incident()
    b = pd.sim.create_incident(status="acknowledged")
    assert pd("ack", a["id"], b["id"]).exit_code == 0  # only one of the two changes


def test_ids_from_stdin(pd):
    incidents = pd.sim.create_incidents(3)
    listed = pd("list", "-o", "json").json()
    ids = "\n".join(i["id"] for i in listed["incidents"])
    result = pd("ack", "-", "--yes", stdin=ids + "\n")
    assert result.exit_code == 0 and result.json()["summary"] == {"acknowledged": 3}
    assert all(pd.sim.incident(i["id"])["status"] == "acknowledged" for i in incidents)


def test_ack_mine_and_resolve_with_a_resolution(pd):
    sim = pd.sim
    mine = sim.create_incidents(2)
    theirs = sim.create_incident(assignee=sim.other_user["id"])
    result = pd("ack", "--mine", "--yes")
    assert result.json()["summary"] == {"acknowledged": 2}
    assert sim.incident(theirs["id"])["status"] == "triggered"
    done = pd("resolve", mine[0]["id"], "--resolution", "rolled back 0.4.2")
    assert done.exit_code == 0
    entries = sim.account.log_entries(mine[0]["id"])
    assert entries[0]["type"] == "resolve_log_entry" and entries[0]["note"] == "rolled back 0.4.2"


def test_mine_with_an_account_level_token_uses_the_from_email(pd, monkeypatch):
    monkeypatch.setenv("AIOPS_PAGERDUTY_TOKEN", pd.sim.account_token)
    pd.sim.create_incidents(2)
    assert pd("list", "--mine").json()["count"] == 2


def test_missing_from_exits_2_before_any_request(pd, monkeypatch):
    monkeypatch.delenv("AIOPS_PAGERDUTY_FROM_EMAIL")
    inc = pd.sim.create_incident()
    for args in (("ack", inc["id"]), ("resolve", inc["id"]), ("note", inc["id"], "x")):
        result = pd(*args)
        assert result.exit_code == 2 and "from_email" in result.stderr
    assert pd.sim.exchanges == []


def test_invalid_token_exits_4_naming_the_problem(pd, monkeypatch):
    monkeypatch.setenv("AIOPS_PAGERDUTY_TOKEN", "u+definitely-not-valid")
    result = pd("list")
    assert result.exit_code == 4
    assert "PagerDuty rejected the API token (401" in result.stderr
    assert "definitely-not-valid" not in result.stderr + result.stdout


def test_missing_token_exits_2(pd, monkeypatch):
    monkeypatch.delenv("AIOPS_PAGERDUTY_TOKEN")
    result = pd("list")
    assert result.exit_code == 2 and "AIOPS_PAGERDUTY_TOKEN" in result.stderr


def test_unreachable_api_exits_5(pd, monkeypatch):
    monkeypatch.setenv("AIOPS_PAGERDUTY_BASE_URL", f"https://127.0.0.1:{free_port()}")
    result = pd("list", "--timeout", "2")
    assert result.exit_code == 5 and "unreachable" in result.stderr


def test_a_hanging_api_exits_5_within_the_timeout(pd):
    pd.sim.delay("GET", "/incidents", 30)
    start = time.monotonic()
    result = pd("list", "--timeout", "1")
    assert result.exit_code == 5 and "no answer within 1s" in result.stderr
    assert time.monotonic() - start < 10  # the library alone would wait 60 s and retry


def test_note_and_note_from_stdin(pd):
    inc = pd.sim.create_incident()
    assert pd("note", inc["id"], "rolling back").exit_code == 0
    assert pd("note", str(inc["incident_number"]), "-", stdin="from a pipe\n").exit_code == 0
    notes = [n["content"] for n in pd.sim.account.find(inc["id"])["notes"]]
    assert notes == ["rolling back", "from a pipe"]
    shown = pd("show", inc["id"]).json()
    assert [n["content"] for n in shown["notes"]] == notes
    assert pd("note", "777", "x").exit_code == 3


def test_oncall(pd):
    sim = pd.sim
    policy = sim.service["escalation_policy"]["id"]
    sim.account.add_oncall(sim.user["id"], policy_id=policy, level=1)
    doc = pd("oncall", "--escalation-policy", policy).json()
    assert doc["schema"] == "aiops.oncall/v1"
    assert [(o["user"], o["escalation_level"]) for o in doc["oncalls"]] == [("Alex Oncall", 1)]
    assert pd("oncall", "--escalation-policy", "PNOPE00").json()["oncalls"] == []


def test_trigger_a_drill(pd, tmp_path, monkeypatch):
    sim = pd.sim
    dry = pd("trigger", "--summary", "DRILL: Sim Lab API down", "--dry-run")
    assert dry.exit_code == 0 and sim.exchanges == []
    result = pd("trigger", "--summary", "DRILL: Sim Lab API down", "--dedup-key", "drill-42")
    assert result.exit_code == 0, result.stderr
    assert result.json()["results"][0]["id"] == "drill-42"
    assert [i["title"] for i in sim.account.incidents.values()] == ["DRILL: Sim Lab API down"]
    assert audit_lines(tmp_path)[-1]["action"] == "trigger"
    assert pd("trigger", "--summary", "x", "--severity", "bad").exit_code == 2
    monkeypatch.delenv("AIOPS_PAGERDUTY_ROUTING_KEY")
    assert pd("trigger", "--summary", "x").exit_code == 2


def test_audit_path_setting_and_filters(pd, tmp_path, monkeypatch):
    monkeypatch.setenv("AIOPS_AUDIT_PATH", str(tmp_path / "elsewhere.jsonl"))
    a, b = pd.sim.create_incidents(2)
    pd("ack", a["id"])
    pd("resolve", a["id"], b["id"], "--yes")
    assert (tmp_path / "elsewhere.jsonl").exists() and audit_lines(tmp_path) == []
    assert pd("audit").json()["count"] == 3
    assert pd("audit", "--action", "resolve").json()["count"] == 2
    assert pd("audit", "-i", b["id"]).json()["entries"][0]["outcome"] == "resolved"
    assert "resolved" in pd("audit", tty=True).stdout


def test_every_command_has_help_with_an_example(cli):
    for command in ("list", "show", "ack", "resolve", "note", "log", "oncall", "trigger", "audit"):
        result = cli("incident", command, "--help")
        assert result.exit_code == 0 and "aiops incident" in result.stdout, command
