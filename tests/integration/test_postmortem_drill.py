"""The drill: trigger, ack, note and resolve through aiops against the PagerDuty simulator; then
``postmortem new --incident`` must tell the same story, ``incident clock`` must agree with it,
and ``postmortem check`` must point at exactly the sections a person still has to write."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import free_port
from tests.fakes.pagerduty_sim import pagerduty_sim  # noqa: F401 (fixture)

HUMAN_SECTIONS = ["Severity", "Summary", "Impact", "Root causes", "Trigger", "Resolution",
                  "Action items", "What went well", "What went wrong", "Where we got lucky"]


@pytest.fixture
def drill_env(cli, pagerduty_sim, tmp_path, monkeypatch):
    logs = tmp_path / "service.jsonl"
    now = dt.datetime.now(dt.timezone.utc)
    logs.write_text(json.dumps({"timestamp": now.isoformat().replace("+00:00", "Z"),
                                "level": "FATAL", "logger": "active_inference.core",
                                "message": "belief update diverged for user-67890",
                                "correlation_id": "req-1"}) + "\n")
    env = {**pagerduty_sim.env(), "AIOPS_PROMETHEUS_URL": f"http://127.0.0.1:{free_port()}",
           "AIOPS_LOGS_BACKEND": "file", "AIOPS_LOGS_FILE": str(logs), "AIOPS_TIMEOUT": "3"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return pagerduty_sim


def run(cli, *args):
    result = cli(*args)
    assert result.exit_code == 0, (args, result.stderr)
    return result


def test_drill_then_post_mortem_timeline_clock_and_check(cli, drill_env, tmp_path):
    sim = drill_env
    run(cli, "incident", "trigger", "--summary", "DRILL: Sim Lab API down")
    number = str(run(cli, "incident", "list", "-o", "json").json()["incidents"][0]["number"])
    run(cli, "incident", "ack", number)
    run(cli, "incident", "note", number, "error rate 12%, rolling back model v7")
    run(cli, "incident", "resolve", number, "--resolution", "rolled back model v7")
    before = cli("incident", "clock", number, "-o", "json")
    assert before.exit_code == 0, before.stderr
    assert before.json()["milestones"][3]["status"] == "pending"  # no post-mortem yet

    result = run(cli, "postmortem", "new", "--incident", number, "--out", "pm", "--no-charts",
                 "--redact", "-o", "json")
    doc = result.json()
    assert doc["path"].endswith(f"-incident-{number}.md")
    assert [g["source"] for g in doc["gaps"]] == ["alerts", "metrics"]
    text = (tmp_path / doc["path"]).read_text()

    # The timeline is the simulator's log, in order, with the aiops actions folded in.
    incident = sim.incident(number)
    log = sorted(reversed(sim.account.log_entries(incident["id"])),  # served newest first
                 key=lambda e: e["created_at"])
    rows = [line.split(" | ") for line in text.splitlines()
            if line.startswith("| 20") and "| pagerduty |" in line]
    assert [r[0].lstrip("| ") for r in rows] == [e["created_at"].replace("T", " ").rstrip("Z")
                                                for e in log]
    events = [r[3] for r in rows]
    assert events[0] == "Triggered through the API"
    assert events[1] == "Acknowledged by Alex Oncall (via aiops, oncall@example.com)"
    assert events[2] == "Note: error rate 12%, rolling back model v7 (via aiops, oncall@example.com)"
    assert events[3] == "Resolved by Alex Oncall: rolled back model v7 (via aiops, oncall@example.com)"
    assert "belief update diverged for [user]" in text  # the log error, redacted

    # The clock in the document is the clock aiops reports, now with the post-mortem written.
    clock = cli("incident", "clock", number, "-o", "json")
    assert clock.exit_code == 0, clock.stderr
    after = clock.json()
    assert after["verdict"] == "met"
    assert [m["status"] for m in after["milestones"]] == ["met"] * 4
    # PagerDuty's times have seconds; aiops writes every JSON time with milliseconds
    assert [m["happened"] for m in after["milestones"][:3]] == [
        log[i]["created_at"].replace("Z", ".000Z") for i in (1, 2, 3)]
    for m in after["milestones"][:3]:
        happened = m["happened"][:19].replace("T", " ")  # the document shows seconds
        assert f"| {m['name']} | " in text and f" | {happened} | **met**" in text
    assert [m["happened"] for m in doc["clock"]["milestones"][:3]] == \
        [m["happened"] for m in after["milestones"][:3]]

    # What is left is exactly what a person has to write.
    check = cli("postmortem", "check", doc["path"], "-o", "json")
    assert check.exit_code == 3
    problems = check.json()["problems"]
    assert [p["section"] for p in problems] == HUMAN_SECTIONS
    assert {p["kind"] for p in problems} == {"placeholder"}


def test_unknown_incident_is_exit_3(cli, drill_env):
    result = cli("postmortem", "new", "--incident", "9999", "--no-charts")
    assert result.exit_code == 3
    assert "incident 9999 not found" in result.stderr
    clock = cli("incident", "clock", "9999")
    assert clock.exit_code == 3


def test_missed_deadlines_exit_3_and_watch_stops_when_settled(cli, drill_env):
    sim = drill_env
    old = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=2)
    inc = sim.create_incident("stale outage", created_at=old)
    result = cli("incident", "clock", str(inc["incident_number"]), "-o", "json")
    assert result.exit_code == 3
    doc = result.json()
    assert doc["verdict"] == "missed"
    assert [m["status"] for m in doc["milestones"]] == ["missed"] * 4
    assert doc["milestones"][0]["note"] == "has not happened"
    watched = cli("incident", "clock", str(inc["incident_number"]), "--watch", "-o", "json")
    assert watched.exit_code == 3 and watched.json()["verdict"] == "missed"


def test_watch_counts_down_until_ctrl_c(drill_env, tmp_path):
    inc = drill_env.create_incident("live outage")
    env = {**os.environ, **drill_env.env(), "NO_COLOR": "1", "XDG_DATA_HOME": str(tmp_path),
           "XDG_CONFIG_HOME": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-m", "aiops", "incident", "clock",
                             str(inc["incident_number"]), "--watch", "-o", "table"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    time.sleep(4)
    assert proc.poll() is None  # still counting down: nothing is settled
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
