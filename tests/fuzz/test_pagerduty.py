"""PagerDuty's answers, mutated: the real client against the simulator, one answer changed.

Each example picks a command and one of the requests it makes, and the simulator answers that
request with a mutation of its real answer (a changed or dropped field, another JSON value,
random bytes, the body cut short, deep nesting). The command must end with a documented exit
code (0, 3 or 5; 4 never, the token is right), one ``error:`` line when it fails, no traceback;
a write leaves the audit log complete and its hash chain intact, and a post-mortem is written
whole or not at all.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fakes.pagerduty_sim import pagerduty_sim  # noqa: F401 (fixture)
from tests.fuzz.conftest import examples
from tests.fuzz.strategies import MUTATIONS

# hypothesis warns when a generated example is large to print (10 MB bodies are the point)
pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")

# command -> the requests it makes (method, path regex); {id} is the incident's ID
COMMANDS = {
    ("incident", "list"): [("GET", "/incidents")],
    ("incident", "show", "{id}"): [("GET", "/incidents/[^/]+"), ("GET", "/incidents/.+/log_entries"),
                                   ("GET", "/incidents/.+/notes")],
    ("incident", "oncall"): [("GET", "/oncalls")],
    ("incident", "ack", "{id}", "--yes"): [("GET", "/incidents/[^/]+"), ("PUT", "/incidents")],
    ("incident", "note", "{id}", "checking"): [("GET", "/incidents/[^/]+"),
                                               ("POST", "/incidents/.+/notes"),
                                               ("GET", "/incidents/.+/notes")],
    ("postmortem", "new", "--incident", "{id}", "--out", "{out}", "--force"): [
        ("GET", "/incidents/[^/]+"), ("GET", "/incidents/.+/log_entries"), ("GET", "/incidents/.+/notes")],
}


@examples(40)
@given(st.sampled_from(sorted(COMMANDS)), st.data(), MUTATIONS)
def test_mutated_pagerduty_answers(cli, pagerduty_sim, tmp_path, door, command, data, mutation):
    from aiops.incidents.audit import verify

    door("PagerDuty JSON answers")()
    sim = pagerduty_sim
    inc = sim.create_incident()
    method, path = data.draw(st.sampled_from(COMMANDS[command]))
    sim.faults.clear()
    sim.mutate(method, path, mutation, times=5)
    audit = tmp_path / f"audit-{inc['id']}.jsonl"
    out = tmp_path / f"pm-{inc['id']}"
    args = [a.replace("{id}", inc["id"]).replace("{out}", str(out)) for a in command]
    result = cli(*args, "-o", "json", env=sim.env(
        AIOPS_AUDIT_PATH=str(audit), AIOPS_TIMEOUT="5", AIOPS_PROMETHEUS_URL="http://127.0.0.1:9",
        AIOPS_LOGS_BACKEND="file", AIOPS_LOGS_FILE=str(tmp_path / "no-logs.jsonl")))
    sim.faults.clear()
    assert "Traceback" not in result.stderr
    assert result.exit_code in (0, 3, 5), (args, method, path, mutation, result.stderr[-600:])
    if result.exit_code == 5:
        errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1, result.stderr
    if result.stdout.strip():
        json.loads(result.stdout)
    if audit.exists():  # a write happened or was attempted: recorded whole, chain intact
        assert audit.read_bytes().endswith(b"\n")
        assert verify(audit).status == "verified"
    if out.exists():  # a post-mortem is written whole (atomically) or not at all
        for doc in out.iterdir():
            assert doc.suffix in (".md", ".png"), doc.name  # no temporary file left behind
            if doc.suffix == ".md":
                assert doc.read_text().rstrip().endswith("`aiops postmortem check FILE` lists what is left.")
