"""``aiops lab pagerduty``: the sandbox as a command. Its answers are the same class the
``pagerduty_sim`` fixture contract-checks; here: the command line, the state file across a
restart, the sandbox header, loopback-only binding and ``aiops incident`` saying it is a sandbox."""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import urllib.request

from aiops.lab.pagerduty import SANDBOX_HEADER, PagerDutySandbox
from aiops.lab.process import read_announcement, stop_process
from tests.conftest import require
from tests.fakes.aiops_process import run_aiops
from tests.fakes.pagerduty_contract import check_exchanges
from tests.fakes.schemas import check_schema


def start(state, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIOPS_")}
    proc = subprocess.Popen([sys.executable, "-m", "aiops", "lab", "pagerduty", "--state", str(state)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    info = read_announcement(proc, 60)
    assert info is not None, proc.stderr.read() if proc.poll() is not None else "no announcement"
    return proc, info


def enqueue(info, key, summary):
    ctx = ssl.create_default_context(cafile=info["ca_bundle"])
    body = json.dumps({"routing_key": key, "event_action": "trigger", "dedup_key": "drill-1",
                       "payload": {"summary": summary, "source": "lab", "severity": "critical"}}).encode()
    req = urllib.request.Request(info["events_url"], data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, context=ctx, timeout=10) as resp:
        return resp.status, resp.headers.get(SANDBOX_HEADER), json.loads(resp.read())


def test_command_announces_keeps_state_across_restart_and_incident_says_sandbox(tmp_path):
    require("trustme")
    require("pagerduty")
    state = tmp_path / "pd" / "state.json"
    proc, info = start(state, tmp_path)
    try:
        check_schema(info)
        assert info["sandbox"] is True and info["url"].startswith("https://127.0.0.1:")
        assert set(info["settings"]) == {"pagerduty.base_url", "pagerduty.events_url",
                                         "pagerduty.ca_bundle", "pagerduty.from_email"}
        saved = json.loads(state.read_text())
        assert oct(state.stat().st_mode & 0o777) == "0o600"
        assert saved["token"] not in json.dumps(info)  # secrets stay in the state file
        status, header, body = enqueue(info, saved["routing_key"], "[FIRING:1] MemoryLeak lab")
        assert (status, body["status"]) == (202, "success")
        assert "sandbox" in header and "not PagerDuty" in header
    finally:
        assert stop_process(proc) == 0
    proc, info2 = start(state, tmp_path)  # same state: same CA, tokens and the incident
    try:
        assert info2["ca_bundle"] == info["ca_bundle"]
        env = {"AIOPS_PAGERDUTY_TOKEN": saved["token"], "AIOPS_PAGERDUTY_BASE_URL": info2["url"],
               "AIOPS_PAGERDUTY_CA_BUNDLE": info2["ca_bundle"], "AIOPS_PAGERDUTY_FROM_EMAIL": saved["from_email"]}
        listed = run_aiops("incident", "list", "-o", "json", env=env, tmp=tmp_path)
        assert listed.returncode == 0, listed.stderr
        assert [i["title"] for i in json.loads(listed.stdout)["incidents"]] == ["[FIRING:1] MemoryLeak lab"]
        assert "is aiops lab pagerduty: a local sandbox, not PagerDuty" in listed.stderr
        acked = run_aiops("incident", "ack", "1", env=env, tmp=tmp_path)
        assert acked.returncode == 0, acked.stderr
        assert "not PagerDuty" in acked.stderr
    finally:
        stop_process(proc)
    assert json.loads(state.read_text())["account"]["incidents"]  # the ack was saved on the way out


def test_refuses_non_loopback_and_foreign_state_files(tmp_path):
    bad = run_aiops("lab", "pagerduty", "--host", "0.0.0.0", env={}, tmp=tmp_path, timeout=60)
    assert bad.returncode == 2 and bad.stderr.startswith("error: refusing to listen on 0.0.0.0")
    mine = tmp_path / "notes.json"
    mine.write_text('{"mine": true}')
    foreign = run_aiops("lab", "pagerduty", "--state", str(mine), env={}, tmp=tmp_path, timeout=60)
    assert foreign.returncode == 2 and "not a sandbox state file" in foreign.stderr
    assert mine.read_text() == '{"mine": true}'  # never overwritten


def test_every_answer_carries_the_sandbox_header_and_follows_the_spec(tmp_path):
    require("trustme")
    sandbox = PagerDutySandbox(state_file=tmp_path / "s.json")
    try:
        ctx = ssl.create_default_context(cafile=sandbox.ca_path)
        for path, token in (("/incidents", sandbox.token), ("/incidents", "wrong"), ("/nowhere", sandbox.token)):
            req = urllib.request.Request(sandbox.url + path, headers={"Authorization": f"Token token={token}"})
            try:
                with urllib.request.urlopen(req, context=ctx, timeout=10) as resp:
                    headers = resp.headers
            except urllib.error.HTTPError as exc:
                headers = exc.headers
            assert headers[SANDBOX_HEADER]
    finally:
        sandbox.close()
    check_exchanges([x for x in sandbox.exchanges if x.path != "/nowhere"])
